"""RecommendPredictor: loads a recommend bundle and completes carts (torch-free).

The bundle holds the ONNX scoring graph (in-cart masking and top-k inside it), the item map and
catalogue (`items.csv`, with each item's drug ingredients), the known users' recent baskets
(`users.csv`), the popularity fallback, golden examples and, when the catalogue sells drugs, the
prescription checker it filters with (the embedded bundle `safety/`).

Three architectures share this predictor:
    recommend.item_graph.v1  (cart, cart_weight, history, history_weight, exclude, k)
                             -> (scores, items, cart_contribution)
    recommend.sasrec.v1      (item_seq, exclude, k) -> (scores, items)
    recommend.hybrid.v1      (item_seq + the item graph's inputs) -> (as the item graph)

The item graph reads the cart (its distinct items, ascending) weighted by its size and the last
`history_limit` baskets, weighted by age; a sequential model reads the last `max_len` items of
every stored basket, then the cart (`recommend.features`, which training's models and evaluation
call too, so the bundle serves what training measured). Those settings are the manifest's typed
preprocessing section (`recommend.manifest`): a bundle missing one is refused.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from prescription.predictor import PrescriptionPredictor
from recommend.features import basket_graph_inputs, basket_history, basket_sequence, cart_items
from recommend.manifest import (
    ARCHITECTURES,
    HYBRID,
    ITEM_GRAPH,
    SASREC,
    TASK,
    ItemGraphPreprocessing,
    RecommendPostprocessing,
    RecommendPreprocessing,
    SASRecPreprocessing,
)
from recommend.safety import SafetyFilter
from recommend.schema import Recommendation, ScoreRequest, ScoreResult, Suppressed
from runtime.bundle import Bundle
from runtime.errors import BundleError
from runtime.onnx import OnnxModel
from runtime.predictor import BundlePredictor

logger = logging.getLogger(__name__)

__all__ = [
    "ARCHITECTURES",
    "HYBRID",
    "ITEM_GRAPH",
    "SASREC",
    "TASK",
    "Item",
    "RecommendPredictor",
    "compare_results",
]

SELF_TEST_ATOL = 1e-4
# SASRec reads no weighted history; the "you bought this before" reason looks this many
# baskets back.
_REASON_BASKETS = 10
# Candidates asked of the graph per wanted item when a safety filter may remove some.
_CANDIDATE_FACTOR = 3
_CANDIDATE_EXTRA = 16


@dataclass(frozen=True)
class Item:
    """One catalogue item."""

    item_id: str
    name: str
    ingredients: tuple[str, ...]


def _read_items(path: Path) -> list[Item]:
    items: list[Item] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for position, row in enumerate(csv.DictReader(handle)):
            if int(row["index"]) != position:
                raise BundleError(f"{path}: row {position + 2} has index {row['index']}")
            ingredients = tuple(filter(None, row["ingredients"].split("|")))
            items.append(Item(row["item_id"], row["name"], ingredients))
    return items


def _read_users(path: Path) -> dict[str, list[np.ndarray]]:
    """users.csv: user_id, baskets ('3 17;5' = two baskets, oldest first, item indices)."""
    users: dict[str, list[np.ndarray]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            users[row["user_id"]] = [
                np.array(basket.split(), dtype=np.int64)
                for basket in row["baskets"].split(";")
                if basket
            ]
    return users


def _safety_filter(
    bundle: Bundle, post: RecommendPostprocessing, items: list[Item], threads: int
) -> SafetyFilter | None:
    """The filter built from the embedded prescription bundle; the manifest's
    `postprocessing.safety_filter` and the presence of `safety/` must agree."""
    embedded = "safety" in bundle.manifest.bundles
    if post.safety_filter != embedded:
        raise BundleError(
            f"bundle {bundle.path}: postprocessing.safety_filter is {post.safety_filter} but the "
            f"bundle {'embeds' if embedded else 'does not embed'} a safety/ bundle"
        )
    if not embedded:
        return None
    checker = PrescriptionPredictor.from_bundle(bundle.nested("safety").path, threads=threads)
    return SafetyFilter(checker.checker, [item.ingredients for item in items])


class RecommendPredictor(BundlePredictor):
    """One recommend bundle, ready to score carts.

    Args:
        bundle: the verified bundle.
        model: its scoring graph.
        items: the catalogue, by item index.
        users: known user id -> recent baskets (item indices, oldest first).
        safety: the safety filter, or None when the catalogue has no drug items.
        preprocessing: the bundle's preprocessing section (its architecture's class).
    """

    task = TASK
    request_model = ScoreRequest

    def __init__(
        self,
        bundle: Bundle,
        model: OnnxModel,
        items: list[Item],
        users: dict[str, list[np.ndarray]],
        safety: SafetyFilter | None,
        preprocessing: RecommendPreprocessing,
    ) -> None:
        self.bundle = bundle
        self.model = model
        self.items = items
        self.users = users
        self.safety = safety
        self.preprocessing = preprocessing
        self.index = {item.item_id: i for i, item in enumerate(items)}
        self.architecture = bundle.manifest.architecture
        # the item graph's inputs (item graph, hybrid) and the sequence's width (SASRec, hybrid)
        self.weighting = (
            preprocessing if isinstance(preprocessing, ItemGraphPreprocessing) else None
        )
        self.max_len = (
            preprocessing.max_len if isinstance(preprocessing, SASRecPreprocessing) else None
        )

    @classmethod
    def _build(cls, bundle: Bundle, threads: int) -> RecommendPredictor:
        """The predictor of a verified bundle (`from_bundle` is the entry point)."""
        preprocessing = RecommendPreprocessing.for_bundle(bundle)
        post = RecommendPostprocessing.read(bundle, "postprocessing")
        try:
            items = _read_items(bundle.file("items.csv"))
            users = _read_users(bundle.file("users.csv"))
        except csv.Error as exc:
            raise BundleError(f"bundle {bundle.path}: unusable table: {exc!r}") from exc
        model = OnnxModel(
            bundle.file("model.onnx"), bundle.manifest.inputs, bundle.manifest.outputs, threads
        )
        safety = _safety_filter(bundle, post, items, threads)
        logger.info(
            "recommend bundle %s: %d items, %d users, safety filter %s",
            bundle.version,
            len(items),
            len(users),
            "on" if safety else "off",
        )
        return cls(bundle, model, items, users, safety, preprocessing)

    def headline_metrics(self) -> dict[str, Any]:
        """The deployed model's name and its test figures (HR@10, NDCG@10, coverage)."""
        metrics = self.bundle.manifest.metrics
        deployed = metrics.get("deployed")
        models = metrics.get("models", {})
        return {"deployed": deployed, "test": models.get(deployed, {}).get("test")}

    def predict(self, requests: Sequence[ScoreRequest]) -> list[ScoreResult]:
        """Score a batch of carts, in order."""
        return [self.score(request) for request in requests]

    @staticmethod
    def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
        return compare_results(expected, got)

    # -- one request ---------------------------------------------------------------------

    def _baskets(self, user_id: str | None) -> list[np.ndarray]:
        return self.users.get(user_id, []) if user_id else []

    def _feeds(
        self, cart: np.ndarray, baskets: list[np.ndarray]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The graph's inputs (all but k) for a cart (`cart_items`) and the user's baskets
        (oldest first), and the history items the "bought before" reason reads; built once per
        request, however many times the candidate list is widened."""
        cart = cart_items(cart)
        # next-item bundles never recommend what the user already has (the evaluation protocol)
        exclude = (
            np.concatenate([cart, *[np.asarray(b, np.int64) for b in baskets]])
            if self.preprocessing.exclude_history
            else cart
        )
        feeds: dict[str, np.ndarray] = {"exclude": exclude}
        if self.max_len is not None:
            feeds["item_seq"] = basket_sequence(baskets, cart, self.max_len, len(self.items))[
                None, :
            ]
        if self.weighting is None:
            history, _ = basket_history(baskets, 1.0, _REASON_BASKETS, 0.0)
            return feeds, history
        inputs = basket_graph_inputs(cart, baskets, self.weighting)
        feeds["cart"] = inputs.cart
        feeds["cart_weight"] = inputs.cart_weight
        feeds["history"] = inputs.history
        feeds["history_weight"] = inputs.history_weight
        return feeds, inputs.history

    def _run(
        self, feeds: dict[str, np.ndarray], ask: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Top `ask` items: scores, item indices, and each cart item's contribution (None for
        SASRec, which has no per-cart-item term)."""
        outputs = self.model.run({**feeds, "k": np.array([ask], dtype=np.int64)})
        if self.weighting is None:
            return outputs[0].reshape(-1), outputs[1].reshape(-1), None
        scores, items, contribution = outputs
        return scores, items, contribution

    def rank(self, cart: Sequence[str], history: Sequence[Sequence[str]], k: int) -> list[str]:
        """Top-k item ids for an explicit cart and history (oldest basket first), with no
        safety filter: the ranking the model itself gives, for evaluation and promotion.
        Unknown ids are ignored."""
        cart_index = cart_items([self.index[i] for i in cart if i in self.index])
        baskets = [
            np.array([self.index[i] for i in b if i in self.index], np.int64) for b in history
        ]
        feeds, _ = self._feeds(cart_index, baskets)
        scores, top, _ = self._run(feeds, min(k, len(self.items)))
        return [
            self.items[i].item_id
            for i, v in zip(top.tolist(), scores.tolist(), strict=True)
            if np.isfinite(v)
        ]

    def score(self, request: ScoreRequest) -> ScoreResult:
        """Complete one cart: top k items, never one in the cart, unsafe ones suppressed."""
        unknown = [item for item in request.cart if item not in self.index]
        cart = cart_items([self.index[item] for item in request.cart if item in self.index])
        feeds, history = self._feeds(cart, self._baskets(request.user_id))
        in_history = set(history.tolist())
        context = (
            self.safety.context(cart.tolist(), request.patient, request.current_medications)
            if self.safety
            else None
        )
        n = len(self.items)
        want = min(request.k, n)
        ask = min(
            n,
            want + _CANDIDATE_EXTRA
            if self.safety is None
            else want * _CANDIDATE_FACTOR + _CANDIDATE_EXTRA,
        )
        checked: dict[int, str | None] = {}
        while True:
            scores, items, contribution = self._run(feeds, ask)
            kept: list[tuple[int, float, int]] = []
            suppressed: list[Suppressed] = []
            for rank, (item, value) in enumerate(zip(items.tolist(), scores.tolist(), strict=True)):
                if not np.isfinite(value):
                    break  # only excluded items are left
                if self.safety is not None and context is not None:
                    if item not in checked:
                        checked[item] = self.safety.reason(item, context)
                    if checked[item]:
                        suppressed.append(
                            Suppressed(item_id=self.items[item].item_id, reason=checked[item])
                        )
                        continue
                kept.append((item, value, rank))
                if len(kept) == want:
                    break
            if len(kept) == want or ask >= n or not np.isfinite(scores[-1]):
                break
            ask = min(n, ask * 4)
        recommendations = [
            Recommendation(
                item_id=self.items[item].item_id,
                score=round(float(value), 6),
                reason=self._reason(item, rank, cart, contribution, in_history),
            )
            for item, value, rank in kept
        ]
        return ScoreResult(
            id=request.id,
            recommendations=recommendations,
            suppressed=suppressed,
            unknown_items=unknown,
            model=self.model_ref,
        )

    def _reason(
        self,
        item: int,
        rank: int,
        cart: np.ndarray,
        contribution: np.ndarray | None,
        in_history: set[int],
    ) -> str:
        if contribution is not None and len(cart) and contribution.shape[1] > rank:
            column = contribution[:, rank]
            best = int(np.argmax(column))
            if column[best] > 0:
                source = self.items[int(cart[best])]
                return f"often bought with {source.name or source.item_id}"
        if item in in_history:
            return "you bought this before"
        if self.max_len is not None and (len(cart) or in_history):
            return "often bought next after your recent items"
        if in_history:
            return "matches your purchase history"
        return "popular with other customers"


def compare_results(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
    """Difference between a recorded and a fresh answer (scores to 1e-4)."""
    want = [r["item_id"] for r in expected["recommendations"]]
    have = [r["item_id"] for r in got["recommendations"]]
    if want != have:
        return f"recommends {have}, expected {want}"
    for a, b in zip(expected["recommendations"], got["recommendations"], strict=True):
        if abs(a["score"] - b["score"]) > SELF_TEST_ATOL:
            return f"score of {a['item_id']} is {b['score']}, expected {a['score']}"
    if [s["item_id"] for s in expected["suppressed"]] != [s["item_id"] for s in got["suppressed"]]:
        return f"suppressed {got['suppressed']}, expected {expected['suppressed']}"
    if expected["unknown_items"] != got["unknown_items"]:
        return f"unknown items {got['unknown_items']}, expected {expected['unknown_items']}"
    return None
