"""`python -m training train recommend`: fit every configured recommender on the same split,
evaluate them (full ranking), tune a blend, deploy the best on validation, export it to ONNX
with a parity check, link the catalogue to drug ingredients, and register the bundle in MLflow
as `recommend@candidate`.

Steps, top to bottom: interactions -> task split (cart completion or next item) -> fit + evaluate
each model -> blend tuned on validation -> deployed = best validation metric -> ONNX + parity ->
catalogue linking with the embedded prescription bundle -> golden examples -> bundle -> MLflow.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import logging
import random
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommend.predictor import HYBRID, ITEM_GRAPH, SASREC, TASK, RecommendPredictor
from recommend.schema import ScoreRequest
from runtime.bundle import write_bundle
from training.card import render_card, table
from training.config import ConfigError, DataError, RecommendConfig, resolve_data_dir
from training.export import git_commit, new_bundle_version, tensor_specs, utc_now
from training.recommend.catalogue import Link, link_catalogue
from training.recommend.data import (
    Baskets,
    demo_baskets,
    encode,
    load_instacart,
    load_sequences,
    load_tafeng,
    read_catalogue,
)
from training.recommend.evaluate import TaskData, cart_completion, evaluate, next_item
from training.recommend.export import check_item_graph_parity
from training.recommend.models import (
    ALS,
    EASE,
    ItemGraph,
    ItemKNN,
    Popularity,
    Transition,
)
from training.recommend.spark_fit import SparkALS, SparkCooccurrence
from training.recommend.tune import tune_blend
from training.tracking import Tracker

logger = logging.getLogger(__name__)

ARCHITECTURES: dict[str, Any] = {
    "recommend.popularity.v1": Popularity,
    "recommend.item_knn.v1": ItemKNN,
    "recommend.transition.v1": Transition,
    "recommend.ease.v1": EASE,
    "recommend.als.v1": ALS,
    # trained as Spark jobs (pyspark and Java 17 needed only when a config names them)
    "recommend.spark_cooccurrence.v1": SparkCooccurrence,
    "recommend.spark_als.v1": SparkALS,
}
SOURCES = {
    "tafeng": "recommend/tafeng/baskets.csv",
    "amazon_health": "recommend/amazon_health/sequences.txt",
    "amazon_beauty": "recommend/amazon_beauty/Beauty.txt",
    "instacart": "recommend/instacart",
}


def set_seeds(seed: int) -> None:
    """Seed every generator the pipeline uses; called once at the start of a run."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is part of [train]
        pass


@dataclass
class Loaded:
    """Interactions, the item catalogue and where they came from."""

    source: str
    data: Baskets
    catalogue: list[dict[str, str]]
    description: str


def _instacart_catalogue(folder: Path) -> list[dict[str, str]]:
    """products.csv with aisle and department names, as catalogue rows."""

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    aisles = {r["aisle_id"]: r["aisle"] for r in rows("aisles.csv")}
    departments = {r["department_id"]: r["department"] for r in rows("departments.csv")}
    return [
        {
            "item_id": r["product_id"],
            "name": r["product_name"],
            "aisle": aisles.get(r["aisle_id"], ""),
            "department": departments.get(r["department_id"], ""),
        }
        for r in rows("products.csv")
    ]


def load(config: RecommendConfig) -> Loaded:
    """Interactions and catalogue of the configured source."""
    source = config.data.source
    data_dir = resolve_data_dir(config.data.data_dir)
    if source == "auto":
        present = (
            data_dir is not None and (data_dir / SOURCES["instacart"] / "products.csv").is_file()
        )
        source = "instacart" if present else "demo"
    if source == "demo":
        folder = Path(config.data.demo_dir)
        catalogue = read_catalogue(folder / "catalogue.csv")
        frame = demo_baskets(folder, config.seed, config.data.demo_users)
        description = f"{folder} (hand-written catalogue, baskets drawn from its missions)"
    else:
        if data_dir is None or not (data_dir / SOURCES[source]).exists():
            raise DataError(
                f"data.source={source} needs {SOURCES[source]} under the data directory"
            )
        path = data_dir / SOURCES[source]
        if source == "tafeng":
            frame = load_tafeng(path)
        elif source == "instacart":
            frame = load_instacart(path)
        else:
            frame = load_sequences(path)
        catalogue = _instacart_catalogue(path) if source == "instacart" else []
        description = str(path)
    if catalogue:
        data = encode(frame, [row["item_id"] for row in catalogue])
    else:
        data = encode(frame)
        catalogue = [
            {"item_id": item, "name": "", "aisle": "", "department": ""} for item in data.item_ids
        ]
    logger.info(
        "%s: %d interactions, %d baskets, %d users, %d items",
        source,
        len(frame),
        data.n_baskets,
        len(data.user_ids),
        data.n_items,
    )
    return Loaded(source, data, catalogue, description)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build(spec: Any, seed: int) -> Any:
    if spec.architecture == SASREC:
        from training.recommend.sasrec import SASRec

        cls: Any = SASRec
    else:
        cls = ARCHITECTURES[spec.architecture]
    params = dict(spec.params)
    if "seed" in inspect.signature(cls).parameters:
        params.setdefault("seed", seed)
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigError(f"model {spec.name!r} ({spec.architecture}): {exc}") from exc


def fit_models(
    config: RecommendConfig, task: TaskData
) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    """Fit and evaluate every configured model; returns models and their metrics.

    For next item, each model is then refitted on the sequences minus only their test item and
    that refit is what `test` measures and what is deployed; `test_strict` is the first fit's.

    Returns:
        (deployable models, the first fits the blend is tuned on, metrics per model).
    """
    models: dict[str, Any] = {}
    first_fits: dict[str, Any] = {}
    metrics: dict[str, dict[str, Any]] = {}
    n_items = task.train.n_items
    for spec in config.models:
        model = _build(spec, config.seed)
        started = time.perf_counter()
        rss_before = _peak_rss_mb()
        if spec.architecture == SASREC:
            validation = task.validation.take(config.data.max_validation_cases, config.seed)
            model.fit(task.train, (validation.carts, validation.histories, validation.targets))
        else:
            model.fit(task.train)
        fit_seconds = time.perf_counter() - started
        metrics[spec.name] = {
            "architecture": spec.architecture,
            "fit_seconds": fit_seconds,
            "peak_rss_mb": _peak_rss_mb(),
            "rss_growth_mb": _peak_rss_mb() - rss_before,
            "validation": evaluate(model, task.validation, n_items),
            "test": evaluate(model, task.test, n_items),
        }
        first_fits[spec.name] = model
        if task.refit is not None:
            metrics[spec.name]["test_strict"] = metrics[spec.name]["test"]
            model = _refit(spec, config.seed, model, task.refit)
            metrics[spec.name]["test"] = evaluate(model, task.test, n_items)
        models[spec.name] = model
        logger.info("%s: %s", spec.name, metrics[spec.name])
    return models, first_fits, metrics


def _refit(spec: Any, seed: int, first: Any, data: Baskets) -> Any:
    """The same model, refitted on more data (a sequential model for its best epoch count)."""
    if spec.architecture == SASREC:
        # no validation left to stop on: train for as many epochs as the first fit found best
        spec = spec.model_copy(
            update={"params": {**spec.params, "epochs": max(int(first.best_epoch_), 1)}}
        )
    return _build(spec, seed).fit(data)


@dataclass
class Blended:
    """The tuned blend: built from the validation fits (what tuning and `validation` measured)
    and from the deployed fits (what `test` measures and the bundle serves)."""

    tuned: ItemGraph
    deployed: ItemGraph
    metrics: dict[str, Any]


def _blend(
    config: RecommendConfig, task: TaskData, models: dict[str, Any], tuning: dict[str, Any]
) -> Blended | None:
    """Tune the blend on `tuning` (the models as fitted for validation), then build it from
    `models` (the deployed fits: the same objects for cart completion, refits for next item)."""
    names = config.deploy.blend.components
    if len(names) < 2:
        return None
    missing = [n for n in names if n not in models or not hasattr(models[n], "graph_")]
    if missing:
        raise ConfigError(
            f"deploy.blend.components: {missing} are not item-graph models of this run"
        )
    graphs = {name: tuning[name].graph_ for name in names}
    history_limit = config.deploy.history_baskets
    started = time.perf_counter()
    params = tune_blend(
        graphs,
        task.validation.take(config.data.max_validation_cases, config.seed),
        config.deploy.metric,
        config.deploy.blend.rounds,
        history_limit,
        uses_cart=task.task == "cart_completion",
    )
    neighbours = config.deploy.blend.neighbours
    tuned = params.build(graphs, neighbours, history_limit)
    graph = params.build({n: models[n].graph_ for n in names}, neighbours, history_limit)
    n_items = task.train.n_items
    result = {
        "architecture": "recommend.blend.v1",
        "fit_seconds": time.perf_counter() - started,
        "params": params.settings(),
        "tuning": params.trace,
        "validation": evaluate(tuned, task.validation, n_items),
        "test": evaluate(graph, task.test, n_items),
    }
    if task.refit is not None:
        result["test_strict"] = evaluate(tuned, task.test, n_items)
    logger.info("blend: %s", result)
    return Blended(tuned, graph, result)


def _hybrid(
    config: RecommendConfig,
    task: TaskData,
    models: dict[str, Any],
    tuning: dict[str, Any],
    blended: Blended | None,
) -> tuple[Any, dict[str, Any]]:
    """Tune the blend + SASRec hybrid on the blend's validation cases; build it from the
    deployed fits (as `_blend` does)."""
    name = config.deploy.hybrid.sequential
    if name is None:
        return None, {}
    if name not in models or getattr(models[name], "net_", None) is None or blended is None:
        raise ConfigError(
            f"deploy.hybrid.sequential: {name!r} must be a recommend.sasrec.v1 model of this run, "
            "and the run needs a blend (deploy.blend.components)"
        )
    from training.recommend.hybrid import Hybrid, tune_hybrid

    started = time.perf_counter()
    params = blended.metrics["params"]
    weight, temperature, trace = tune_hybrid(
        blended.tuned,
        tuning[name],
        task.validation.take(config.data.max_validation_cases, config.seed),
        config.deploy.metric,
    )
    tuned = Hybrid(blended.tuned, tuning[name], weight, temperature)
    deployed = Hybrid(blended.deployed, models[name], weight, temperature)
    n_items = task.train.n_items
    result = {
        "architecture": HYBRID,
        "fit_seconds": time.perf_counter() - started,
        "params": {**params, **tuned.settings()},
        "tuning": trace,
        "validation": evaluate(tuned, task.validation, n_items),
        "test": evaluate(deployed, task.test, n_items),
    }
    if task.refit is not None:
        result["test_strict"] = evaluate(tuned, task.test, n_items)
    logger.info("hybrid: %s", {k: v for k, v in result.items() if k != "tuning"})
    return deployed, result


def _users_csv(data: Baskets, history_baskets: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["user_id", "baskets"])
    for user, baskets in sorted(data.user_baskets().items()):
        recent = baskets[-history_baskets:]
        writer.writerow(
            [data.user_ids[user], ";".join(" ".join(map(str, data.basket(int(b)))) for b in recent)]
        )
    return buffer.getvalue()


def _items_csv(catalogue: list[dict[str, str]], links: list[Link], counts: np.ndarray) -> str:
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


def _example_requests(
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


def _card(manifest: dict[str, Any], rows: list[dict[str, Any]], link_stats: dict[str, int]) -> str:
    return render_card(
        title="Cart recommender",
        manifest=manifest,
        summary=(
            "Recommends products to add to a cart (and to a known user's cart, from their recent "
            "baskets). Every candidate carrying drug ingredients passes the embedded prescription "
            "checker: items that repeat an ingredient, duplicate a therapeutic class, interact at "
            "major or worse with the cart or current medications, or are contraindicated for the "
            "patient are suppressed and reported with the reason."
        ),
        intended_use=[
            "'Frequently bought together' and personalised suggestions on the pharmacy's cart and "
            "checkout pages.",
        ],
        out_of_scope=[
            "Medical advice: a recommendation is not a prescription, and a missing suppression is "
            "not a statement that an item is safe.",
            "Catalogues whose drug products are not linked to ingredients (see items.csv).",
        ],
        data_lines=[
            f"Interactions: {manifest['data']['description']} ({manifest['data']['task']}).",
            f"Users split by a hash of their id into train / validation / test "
            f"({manifest['training_config']['data']['validation_percent']}% validation, "
            f"{manifest['training_config']['data']['test_percent']}% test); every model sees only "
            "the training users' baskets.",
            f"Catalogue linking: {link_stats}.",
        ],
        metric_sections=[
            (
                "Models (full ranking, held-out users)",
                table(
                    rows,
                    [
                        "model",
                        "architecture",
                        "val hr@10",
                        "val ndcg@10",
                        "test hr@10",
                        "test ndcg@10",
                        "test coverage@10",
                        "fit s",
                    ],
                ),
            ),
        ],
        limitations=[
            "Item-graph models keep each item's strongest neighbours only (the ONNX table width); "
            "the metrics above are of the pruned, exported graph.",
            "ALS is scored by a linearised fold-in (see training/recommend/models.py).",
            "The safety filter knows only the ingredients that names link to; unlinked drug "
            "products are not filtered.",
        ],
        usage=(
            "```bash\npython -m recommend score --bundle models/recommend/current "
            "--input in.jsonl --output out.jsonl\n```"
        ),
        owner="Pharmacy ML team (pharmacy-ml@hospital.example)",
    )


def train_recommend(
    config: RecommendConfig, tracker: Tracker, config_source: str
) -> dict[str, Any]:
    """Run the whole recommender pipeline; returns the run summary (also in summary.json)."""
    set_seeds(config.seed)
    started = time.perf_counter()
    loaded = load(config)
    if config.data.task == "cart_completion":
        task = cart_completion(
            loaded.data, config.seed, config.data.validation_percent, config.data.test_percent
        )
    else:
        task = next_item(loaded.data)
    logger.info(
        "%s: %d validation and %d test cases", task.task, len(task.validation), len(task.test)
    )
    models, first_fits, metrics = fit_models(config, task)
    blended = _blend(config, task, models, first_fits)
    candidates: dict[str, Any] = {
        name: m
        for name, m in models.items()
        if hasattr(m, "graph_") or metrics[name]["architecture"] == SASREC
    }
    if blended is not None:
        metrics["blend"] = blended.metrics
        candidates["blend"] = blended.deployed
    hybrid, hybrid_metrics = _hybrid(config, task, models, first_fits, blended)
    if hybrid is not None:
        metrics["hybrid"] = hybrid_metrics
        candidates["hybrid"] = hybrid
    metric = config.deploy.metric
    deployed_name = max(candidates, key=lambda name: metrics[name]["validation"][metric])
    if config.deploy.force is not None:
        if config.deploy.force not in candidates:
            raise ConfigError(
                f"deploy.force: {config.deploy.force!r} is not one of {sorted(candidates)}"
            )
        deployed_name = config.deploy.force
    deployed = candidates[deployed_name]
    logger.info(
        "deployed: %s (validation %s %.4f)",
        deployed_name,
        metric,
        metrics[deployed_name]["validation"][metric],
    )

    version = new_bundle_version()
    run_dir = Path(config.output_dir) / version
    run_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = run_dir / "model.onnx"
    if metrics[deployed_name]["architecture"] == HYBRID:
        from training.recommend.hybrid import check_hybrid_parity

        parity = check_hybrid_parity(deployed, onnx_path, atol=config.export.parity_atol)
        architecture = HYBRID
        graph = deployed.graph
        preprocessing: dict[str, Any] = {
            "cart_size_power": graph.cart_size_power,
            "history_decay": graph.history_decay,
            "history_limit": graph.history_limit,
            "history_size_power": graph.history_size_power,
            "max_len": deployed.sequential.max_len,
        }
    elif metrics[deployed_name]["architecture"] == SASREC:
        from training.recommend.sasrec_export import check_sasrec_bundle_parity

        parity = check_sasrec_bundle_parity(deployed, onnx_path, atol=config.export.parity_atol)
        architecture = SASREC
        graph = None
        preprocessing = {"max_len": deployed.max_len}
    else:
        graph = deployed if isinstance(deployed, ItemGraph) else deployed.graph_
        parity = check_item_graph_parity(graph, onnx_path, atol=config.export.parity_atol)
        architecture = ITEM_GRAPH
        preprocessing = {
            "cart_size_power": graph.cart_size_power,
            "history_decay": graph.history_decay,
            "history_limit": graph.history_limit,
            "history_size_power": graph.history_size_power,
        }
    preprocessing["exclude_history"] = task.task == "next_item"
    specs = tensor_specs(onnx_path)

    safety_bundle = None
    links = [Link((), "")] * loaded.data.n_items
    link_stats: dict[str, int] = {"catalogue_items": loaded.data.n_items, "linked_items": 0}
    if config.safety.prescription_bundle:
        from prescription.predictor import PrescriptionPredictor

        safety_bundle = Path(config.safety.prescription_bundle).resolve()
        checker = PrescriptionPredictor.from_bundle(safety_bundle).checker
        links, link_stats = link_catalogue(
            loaded.catalogue,
            checker.resolver,
            set(config.catalogue.link_aisles),
            set(config.catalogue.link_departments),
        )
    history_limit = graph.history_limit if graph is not None else config.deploy.history_baskets
    # A sequential model reads up to max_len items of history: keep enough baskets for it
    # (every basket holds at least one item).
    stored_baskets = max(history_limit, int(preprocessing.get("max_len", 0)))
    rows = [
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
    manifest: dict[str, Any] = {
        "task": TASK,
        "name": config.tracking.registered_model,
        "architecture": architecture,
        "bundle_version": version,
        "created_at": utc_now(),
        "git_commit": git_commit(),
        "training_config": config.model_dump(mode="json"),
        "data": {
            "source": loaded.source,
            "description": loaded.description,
            "task": task.task,
            "items": loaded.data.n_items,
            "users": len(loaded.data.user_ids),
            "baskets": loaded.data.n_baskets,
            "train_baskets": task.train.n_baskets,
            "validation_cases": len(task.validation),
            "test_cases": len(task.test),
        },
        **specs,
        "preprocessing": preprocessing,
        "postprocessing": {"safety_filter": safety_bundle is not None},
        "metrics": {
            "deployed": deployed_name,
            "deploy_metric": metric,
            "models": metrics,
            "parity_max_abs_diff": parity,
            "catalogue": link_stats,
        },
        "runtime_requires": {"onnxruntime": ">=1.17", "opset": "17"},
    }
    files: dict[str, bytes | str | Path] = {
        "model.onnx": onnx_path,
        "items.csv": _items_csv(loaded.catalogue, links, loaded.data.item_counts()),
        "users.csv": _users_csv(loaded.data, stored_baskets),
    }
    nested = {"safety": safety_bundle} if safety_bundle else None
    scratch = Path(tempfile.mkdtemp(prefix="recommend-bundle-"))
    try:
        staged = write_bundle(
            scratch / "b",
            manifest,
            {**files, "examples.jsonl": "{}\n", "MODEL_CARD.md": ""},
            nested,
        )
        predictor = RecommendPredictor.from_bundle(staged.path, self_test=False)
        lines = []
        for request in _example_requests(loaded, task, links, config.deploy.examples):
            parsed = ScoreRequest.model_validate(request)
            lines.append(
                json.dumps(
                    {"request": request, "expected": predictor.score(parsed).model_dump()},
                    ensure_ascii=False,
                )
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    files["examples.jsonl"] = "\n".join(lines) + "\n"
    files["MODEL_CARD.md"] = _card(manifest, rows, link_stats)
    bundle = write_bundle(run_dir / "bundle", manifest, files, nested)
    load_started = time.perf_counter()
    RecommendPredictor.from_bundle(bundle.path)
    load_seconds = time.perf_counter() - load_started

    with tracker.run(
        config.tracking.experiment, f"recommend-{version}", tags={"bundle_version": version}
    ) as run_id:
        tracker.log_params(
            {
                "config_file": config_source,
                "data_source": loaded.source,
                "task": task.task,
                "deployed": deployed_name,
                **{
                    f"model.{s.name}": f"{s.architecture} {json.dumps(s.params, sort_keys=True)}"
                    for s in config.models
                },
                "seed": config.seed,
            }
        )
        tracker.log_dict(config.model_dump(mode="json"), "config.json")
        tracker.log_metrics(
            {
                **{
                    f"{name}.{split}": {k: v for k, v in m[split].items()}
                    for name, m in metrics.items()
                    for split in ("validation", "test")
                },
                **{f"{name}.fit_seconds": m["fit_seconds"] for name, m in metrics.items()},
                "parity_max_abs_diff": parity,
                "bundle_load_seconds": load_seconds,
                "train_seconds": time.perf_counter() - started,
                "catalogue": {k: float(v) for k, v in link_stats.items()},
            }
        )
        tracker.log_dict({"models": metrics, "catalogue": link_stats}, "metrics.json")
        model_uri = tracker.log_bundle_model(
            bundle.path, code_paths=["runtime", "prescription", "recommend"]
        )
        model_version = tracker.register(
            model_uri,
            config.tracking.registered_model,
            "candidate",
            tags={
                "bundle_version": version,
                "bundle_hash": bundle.bundle_hash,
                "run_id": run_id,
                "data_source": loaded.source,
            },
        )
    summary = {
        "task": TASK,
        "bundle_version": version,
        "bundle": str(bundle.path),
        "data_source": loaded.source,
        "evaluation_task": task.task,
        "deployed": deployed_name,
        "mlflow_run_id": run_id,
        "registered": f"{config.tracking.registered_model} v{model_version} @candidate",
        "models": {
            name: {
                "validation": m["validation"],
                "test": m["test"],
                "fit_seconds": m["fit_seconds"],
            }
            for name, m in metrics.items()
        },
        "catalogue": link_stats,
        "bundle_load_seconds": load_seconds,
        "train_seconds": time.perf_counter() - started,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    latest = Path(config.output_dir) / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(version)
    return summary


__all__ = ["ARCHITECTURES", "fit_models", "load", "train_recommend"]
