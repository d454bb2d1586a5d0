"""What a recommend bundle holds besides its graph: the catalogue linked to drug ingredients
(`items.csv`) and the embedded prescription bundle, the known users' recent baskets
(`users.csv`), the golden example requests and the model card."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommend.manifest import ItemGraphPreprocessing, RecommendPreprocessing, SASRecPreprocessing
from training.card import render_card, table
from training.config import RecommendConfig
from training.recommend.catalogue import Link, link_catalogue
from training.recommend.data import Baskets
from training.recommend.evaluate import TaskData
from training.recommend.loading import Loaded

# -- catalogue --------------------------------------------------------------------------------


@dataclass
class CatalogueLinks:
    """Each catalogue item's drug ingredients, how many were linked, and the prescription
    bundle that linked them (embedded as `safety/`; None when the run has no safety filter)."""

    links: list[Link]
    stats: dict[str, int]
    safety_bundle: Path | None


def link_items(config: RecommendConfig, loaded: Loaded) -> CatalogueLinks:
    """Link the catalogue with the configured prescription bundle's resolver (none: no links)."""
    n_items = loaded.data.n_items
    if not config.safety.prescription_bundle:
        return CatalogueLinks(
            [Link((), "")] * n_items, {"catalogue_items": n_items, "linked_items": 0}, None
        )
    from prescription.predictor import PrescriptionPredictor

    safety_bundle = Path(config.safety.prescription_bundle).resolve()
    checker = PrescriptionPredictor.from_bundle(safety_bundle).checker
    links, stats = link_catalogue(
        loaded.catalogue,
        checker.resolver,
        set(config.catalogue.link_aisles),
        set(config.catalogue.link_departments),
    )
    return CatalogueLinks(links, stats, safety_bundle)


def items_csv(catalogue: list[dict[str, str]], links: list[Link], counts: np.ndarray) -> str:
    """items.csv: index, item id, name, aisle, department, ingredients, how they were linked,
    and how many baskets hold the item."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["index", "item_id", "name", "aisle", "department", "ingredients", "linked_by", "baskets"]
    )
    for i, (row, link) in enumerate(zip(catalogue, links, strict=True)):
        writer.writerow(
            [
                i,
                row["item_id"],
                row.get("name", ""),
                row.get("aisle", ""),
                row.get("department", ""),
                "|".join(link.ingredients),
                link.how,
                int(counts[i]),
            ]
        )
    return buffer.getvalue()


# -- users ------------------------------------------------------------------------------------


def stored_baskets(preprocessing: RecommendPreprocessing, history_baskets: int) -> int | None:
    """Recent baskets kept per user (None: all of them).

    The item graph's history limit (else the configured `deploy.history_baskets`), and at least
    `max_len` for a sequential model, which reads up to max_len items of history (every basket
    holds at least one item). A bundle that never recommends an item of the user's history
    (`exclude_history`, next item) keeps every basket: the evaluation excludes the whole
    history, so the served answer must too.
    """
    if preprocessing.exclude_history:
        return None
    limit = (
        preprocessing.history_limit
        if isinstance(preprocessing, ItemGraphPreprocessing)
        else history_baskets
    )
    max_len = preprocessing.max_len if isinstance(preprocessing, SASRecPreprocessing) else 0
    return max(limit, max_len)


def users_csv(data: Baskets, history_baskets: int | None) -> str:
    """users.csv: user id, their last `history_baskets` baskets (None: all; '3 17;5': two
    baskets, oldest first, item indices)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["user_id", "baskets"])
    for user, baskets in sorted(data.user_baskets().items()):
        recent = baskets if history_baskets is None else baskets[-history_baskets:]
        writer.writerow(
            [data.user_ids[user], ";".join(" ".join(map(str, data.basket(int(b)))) for b in recent)]
        )
    return buffer.getvalue()


# -- golden examples --------------------------------------------------------------------------


def example_requests(
    loaded: Loaded, task: TaskData, links: list[Link], n: int
) -> list[dict[str, Any]]:
    """Golden inputs: validation carts, an empty cart, an unknown item, and - when the catalogue
    sells drugs - a warfarin cart and a pregnant patient, so the safety filter is replayed too."""
    ids = loaded.data.item_ids
    requests: list[dict[str, Any]] = []
    carts = [c for c in task.validation.carts if len(c)] or [np.zeros(0, np.int64)]
    for i, cart in enumerate(carts[: max(n - 4, 1)]):
        requests.append({"id": f"validation-{i}", "cart": [ids[j] for j in cart[:5]], "k": 5})
    requests.append({"id": "empty-cart", "cart": [], "k": 5})
    requests.append({"id": "unknown-item", "cart": ["no-such-item", ids[0]], "k": 3})
    if loaded.data.user_ids:
        requests.append(
            {"id": "known-user", "cart": [], "user_id": loaded.data.user_ids[0], "k": 5}
        )
    drug_items = [i for i, link in enumerate(links) if link.ingredients]
    if drug_items:
        warfarin = [i for i in drug_items if "warfarin" in links[i].ingredients]
        requests.append(
            {
                "id": "warfarin",
                "cart": [ids[warfarin[0]]] if warfarin else [],
                "current_medications": [{"name": "warfarin"}],
                "k": 10,
            }
        )
        requests.append(
            {"id": "pregnant", "cart": [ids[drug_items[0]]], "patient": {"pregnant": True}, "k": 10}
        )
    return requests


# -- model card -------------------------------------------------------------------------------

CARD_SUMMARY = (
    "Recommends products to add to a cart (and to a known user's cart, from their recent "
    "baskets). Every candidate carrying drug ingredients passes the embedded prescription "
    "checker: items that repeat an ingredient, duplicate a therapeutic class, interact at "
    "major or worse with the cart or current medications, or are contraindicated for the "
    "patient are suppressed and reported with the reason."
)
INTENDED_USE = [
    "'Frequently bought together' and personalised suggestions on the pharmacy's cart and "
    "checkout pages.",
]
OUT_OF_SCOPE = [
    "Medical advice: a recommendation is not a prescription, and a missing suppression is "
    "not a statement that an item is safe.",
    "Catalogues whose drug products are not linked to ingredients (see items.csv).",
]
LIMITATIONS = [
    "Item-graph models keep each item's strongest neighbours only (the ONNX table width); "
    "the metrics above are of the pruned, exported graph.",
    "ALS is scored by a linearised fold-in (see training/recommend/models.py).",
    "The safety filter knows only the ingredients that names link to; unlinked drug "
    "products are not filtered.",
]
USAGE = (
    "```bash\npython -m recommend score --bundle models/recommend/current "
    "--input in.jsonl --output out.jsonl\n```"
)
CARD_COLUMNS = [
    "model",
    "architecture",
    "val hr@10",
    "val ndcg@10",
    "test hr@10",
    "test ndcg@10",
    "test coverage@10",
    "fit s",
]


def model_rows(metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One card table row per model: validation and test figures and the fit time."""
    return [
        {
            "model": name,
            "architecture": m["architecture"],
            "val hr@10": m["validation"]["hr@10"],
            "val ndcg@10": m["validation"]["ndcg@10"],
            "test hr@10": m["test"]["hr@10"],
            "test ndcg@10": m["test"]["ndcg@10"],
            "test coverage@10": m["test"]["coverage@10"],
            "fit s": round(m["fit_seconds"], 1),
        }
        for name, m in metrics.items()
    ]


def _data_lines(manifest: dict[str, Any], link_stats: dict[str, int]) -> list[str]:
    data = manifest["training_config"]["data"]
    return [
        f"Interactions: {manifest['data']['description']} ({manifest['data']['task']}).",
        f"Users split by a hash of their id into train / validation / test "
        f"({data['validation_percent']}% validation, {data['test_percent']}% test); every model "
        "sees only the training users' baskets.",
        f"Catalogue linking: {link_stats}.",
    ]


def card(manifest: dict[str, Any], rows: list[dict[str, Any]], link_stats: dict[str, int]) -> str:
    """MODEL_CARD.md of a recommend bundle."""
    return render_card(
        title="Cart recommender",
        manifest=manifest,
        summary=CARD_SUMMARY,
        intended_use=INTENDED_USE,
        out_of_scope=OUT_OF_SCOPE,
        data_lines=_data_lines(manifest, link_stats),
        metric_sections=[
            ("Models (full ranking, held-out users)", table(rows, CARD_COLUMNS)),
        ],
        limitations=LIMITATIONS,
        usage=USAGE,
        owner="Pharmacy ML team (pharmacy-ml@hospital.example)",
    )
