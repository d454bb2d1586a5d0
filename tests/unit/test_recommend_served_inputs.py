"""One preprocessing for serving and training, on a small bundle built here (no torch, seconds).

An item graph with non-zero cart and history size powers (so cart weights are not all 1; carts
of 6 or 7 items were where a float32 power and a float64 power rounded to float32 disagreed with
the numpy this was written with), a repeat bonus, a history limit shorter than some users'
histories and values drawn from a few levels (so many scores tie exactly and the ranking's tie
order matters), exported as
the training pipeline exports it and served by the predictor. For requests with carts in
different orders, with repeats and unknown items, for users with and without history, the
served scores and ranking equal the training-side evaluation's (`tests.recommend_served`).

The last tests put back, one at a time, two skews this replaced and show that the comparison
catches them: the training side's cart weights one float32 step away from the predictor's (what
a float32 power of the cart size gave for carts of 6 and 7 items with the numpy this was written
with; numpy 2.4 rounds that power correctly, so the step is put in directly), and the evaluation
ranking equal scores in whatever order argpartition leaves them (the bundle's TopK: lower item
index first). The cart-order skew
matters to sequential models only: tests/training/test_recommend_served_scores.py shows it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from scipy import sparse

from recommend.features import GraphInputs, cart_weights
from recommend.features import graph_inputs as shared_graph_inputs
from recommend.manifest import ItemGraphPreprocessing, RecommendPostprocessing
from recommend.predictor import ITEM_GRAPH, TASK, RecommendPredictor
from runtime.bundle import write_bundle
from tests.recommend_served import TrainingSide, differences, request_set
from training.export import tensor_specs
from training.recommend import evaluate as evaluate_module
from training.recommend import models as models_module
from training.recommend.export import item_graph_onnx
from training.recommend.models import ItemGraph

N_ITEMS = 60
N_USERS = 30


def _graph(rng: np.random.Generator) -> ItemGraph:
    """A random item graph whose values come from a few levels (exact ties)."""
    rows = np.repeat(np.arange(N_ITEMS), 6)
    cols = (rows + rng.integers(1, N_ITEMS, len(rows))) % N_ITEMS
    values = rng.choice(np.array([0.25, 0.5, 1.0, 1.5], np.float32), len(rows))
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(N_ITEMS, N_ITEMS))
    popularity = (rng.integers(1, 5, N_ITEMS) / 4).astype(np.float32)
    return ItemGraph(
        matrix,
        (matrix * 0.3).tocsr(),
        popularity,
        history_decay=0.7,
        history_limit=3,
        repeat_weight=0.25,
        popularity_weight=0.1,
        cart_size_power=0.5,
        history_size_power=0.5,
    )


def _tables(users: dict[str, list[np.ndarray]]) -> tuple[str, str]:
    items = io.StringIO()
    writer = csv.writer(items, lineterminator="\n")
    writer.writerow(["index", "item_id", "name", "ingredients"])
    writer.writerows([i, f"SKU{i:03d}", "", ""] for i in range(N_ITEMS))
    stored = io.StringIO()
    writer = csv.writer(stored, lineterminator="\n")
    writer.writerow(["user_id", "baskets"])
    for user, baskets in users.items():
        writer.writerow([user, ";".join(" ".join(map(str, b)) for b in baskets)])
    return items.getvalue(), stored.getvalue()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[RecommendPredictor, TrainingSide]:
    rng = np.random.default_rng(7)
    graph = _graph(rng)
    users = {
        f"user{u}": [rng.integers(0, N_ITEMS, int(rng.integers(1, 5))) for _ in range(u % 7)]
        for u in range(N_USERS)
    }
    folder = tmp_path_factory.mktemp("served-inputs")
    onnx_path = folder / "model.onnx"
    onnx.save(item_graph_onnx(graph), str(onnx_path))
    preprocessing = ItemGraphPreprocessing(
        cart_size_power=graph.cart_size_power,
        history_decay=graph.history_decay,
        history_limit=graph.history_limit,
        history_size_power=graph.history_size_power,
        exclude_history=False,
    )
    manifest = {
        "task": TASK,
        "name": "recommend-served-inputs",
        "architecture": ITEM_GRAPH,
        "bundle_version": "served-inputs",
        "created_at": "2026-12-03T00:00:00+00:00",
        **tensor_specs(onnx_path),
        "preprocessing": preprocessing.to_manifest(),
        "postprocessing": RecommendPostprocessing(safety_filter=False).to_manifest(),
    }
    items_csv, users_csv = _tables(users)
    files: dict[str, bytes | str | Path] = {
        "model.onnx": onnx_path,
        "items.csv": items_csv,
        "users.csv": users_csv,
        "examples.jsonl": "",
    }
    bundle = write_bundle(folder / "bundle", manifest, files)
    predictor = RecommendPredictor.from_bundle(bundle.path, self_test=False)
    item_ids = [f"SKU{i:03d}" for i in range(N_ITEMS)]
    return predictor, TrainingSide(graph, item_ids, users, exclude_history=False)


def _requests(training: TrainingSide) -> list[Any]:
    rng = np.random.default_rng(1)
    carts = [rng.integers(0, N_ITEMS, int(rng.integers(1, 10))) for _ in range(80)]
    users = [
        u for u, baskets in training.baskets.items() if len(baskets) > training.model.history_limit
    ]
    return request_set(training.item_ids, carts, users)


def test_served_answers_equal_the_training_evaluation(
    served: tuple[RecommendPredictor, TrainingSide],
) -> None:
    predictor, training = served
    requests = _requests(training)
    # the set covers what it should: carts of 6 and 7 distinct items (where the skew test
    # puts its step), repeats, unknown items, users past the history limit
    sizes = {len(set(r.cart) - {"no-such-item"}) for r in requests}
    assert {0, 1, 6, 7} <= sizes
    assert any(len(set(r.cart)) < len(r.cart) for r in requests)
    assert differences(predictor, training, requests) == []


def _arbitrary_tie_ranking(
    scores: np.ndarray, carts: Any, excluded: Any, k: int = 10
) -> np.ndarray:
    """The old evaluation ranking: argpartition, then a stable sort of what it picked, so
    equal scores come in whatever order argpartition left them (the graph's TopK: by index)."""
    scores = scores.copy()
    for row, (cart, other) in enumerate(zip(carts, excluded, strict=True)):
        scores[row, cart] = -np.inf
        scores[row, other] = -np.inf
    k = min(k, scores.shape[1])
    top = (
        np.argpartition(-scores, k, axis=1)[:, :k]
        if k < scores.shape[1]
        else np.tile(np.arange(k), (len(scores), 1))
    )
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def _one_step_off_inputs(
    cart: Any, history: np.ndarray, ages: np.ndarray, weighting: Any
) -> GraphInputs:
    """The old training side's skew, made independent of how this numpy rounds a float32
    power: for carts of 6 and 7 items, cart weights one float32 step below the served ones."""
    inputs = shared_graph_inputs(cart, history, ages, weighting)
    weights = inputs.cart_weight
    if len(inputs.cart) in (6, 7):
        weights = np.nextafter(weights, np.float32(0))
    return GraphInputs(inputs.cart, weights, inputs.history, inputs.history_weight)


def test_cart_weights_one_float32_step_off_on_the_training_side_are_caught(
    served: tuple[RecommendPredictor, TrainingSide], monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor, training = served
    monkeypatch.setattr(models_module, "graph_inputs", _one_step_off_inputs)
    found = differences(predictor, training, _requests(training))
    assert any("cart weights differ" in problem for problem in found), found[:5]


def test_an_evaluation_ranking_with_another_tie_order_is_caught(
    served: tuple[RecommendPredictor, TrainingSide], monkeypatch: pytest.MonkeyPatch
) -> None:
    predictor, training = served
    monkeypatch.setattr(evaluate_module, "rank_top_k", _arbitrary_tie_ranking)
    found = differences(predictor, training, _requests(training))
    assert any("ranking differs" in problem or "top k" in problem for problem in found), found[:5]


@pytest.mark.parametrize("power", [0.0, 0.3, 0.5, 1.0])
def test_cart_weights_are_the_float64_power_rounded_once(power: float) -> None:
    """The served weight is max(size, 1) ** -power in float64, rounded once to float32: a
    float32 power may differ by a step, and whether it does depends on the numpy build (it did
    for carts of 6 and 7 when this was written; numpy 2.4 rounds a float32 ** -0.5 correctly)."""
    for size in range(0, 12):
        expected = np.float32(float(max(size, 1)) ** -power)
        weights = cart_weights(size, power)
        assert weights.dtype == np.float32 and len(weights) == size
        assert (weights == expected).all()
