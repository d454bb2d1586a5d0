"""What a trained bundle serves is what training measured: for the same cart and history, the
scores the bundle's graph returns through the torch-free predictor's input building
(`recommend.features`: history weighting, sequence encoding, exclusion) equal the deployed
training model's `score_batch`, the scores the evaluation ranks.

Three small demo runs, each deploying one architecture: the tuned blend (an item graph, with a
history limit shorter than many users' histories), SASRec (next item, a `max_len` shorter than
the sequences) and the blend + SASRec hybrid (both limits).

Carts are compared sorted: a request's cart is a set and the predictor orders it by item index,
while the cart-completion evaluation feeds a held-out basket in its stored order (the item graph
does not depend on the order, a sequential model does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

from recommend.predictor import RecommendPredictor
from training.recommend.evaluate import Cases

ROOT = Path(__file__).resolve().parents[2]
SASREC = (
    "{name: sasrec, architecture: recommend.sasrec.v1,"
    " params: {hidden: 16, layers: 1, max_len: 6, epochs: 2}}"
)
GRAPHS = (
    "{name: item_knn, architecture: recommend.item_knn.v1},"
    " {name: transition, architecture: recommend.transition.v1}"
)
RUNS = {
    "blend": [
        f"models=[{GRAPHS}]",
        "deploy.blend.components=[item_knn, transition]",
        "deploy.history_baskets=3",
        "deploy.force=blend",
    ],
    "sasrec": [
        "data.task=next_item",
        f"models=[{SASREC}]",
        "deploy.blend.components=[]",
        "deploy.force=sasrec",
    ],
    "hybrid": [
        f"models=[{GRAPHS}, {SASREC}]",
        "deploy.blend.components=[item_knn, transition]",
        "deploy.history_baskets=3",
        "deploy.hybrid.sequential=sasrec",
        "deploy.force=hybrid",
    ],
}
ARCHITECTURES = {
    "blend": "recommend.item_graph.v1",
    "sasrec": "recommend.sasrec.v1",
    "hybrid": "recommend.hybrid.v1",
}
CASES = 60
ATOL = 1e-4


@pytest.fixture(scope="module", params=sorted(RUNS))
def served_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tracking_uri: str
) -> tuple[str, Any, Cases, RecommendPredictor]:
    """(run name, the deployed training model, the test cases, the served bundle's predictor)."""
    from training.config import load_config
    from training.recommend import train as train_module
    from training.tracking import Tracker

    name = request.param
    config = load_config(
        ROOT / "configs/recommend_demo.yaml",
        [
            "data.demo_users=200",
            "deploy.blend.rounds=1",
            "safety.prescription_bundle=null",
            f"output_dir={tmp_path_factory.mktemp(f'recommend-served-{name}')}",
            f"tracking.registered_model=recommend-served-{name}",
            *RUNS[name],
        ],
    )
    seen: dict[str, Any] = {}
    real_select = train_module.select

    def select(config: Any, task: Any) -> Any:
        seen["task"], seen["chosen"] = task, real_select(config, task)
        return seen["chosen"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module, "select", select)
        summary = train_module.train_recommend(config, Tracker(tracking_uri), "served-scores")  # type: ignore[arg-type]
    assert summary["details"]["deployed"] == name
    predictor = RecommendPredictor.from_bundle(summary["bundle"])
    assert predictor.architecture == ARCHITECTURES[name]
    return name, seen["chosen"].model, seen["task"].test, predictor


def _baskets(history: np.ndarray, ages: np.ndarray) -> list[np.ndarray]:
    """Flat history items and their ages -> baskets, oldest first (as `promotion_metrics`)."""
    baskets: list[list[int]] = [[] for _ in range(int(ages.max()) + 1)] if len(ages) else []
    for item, age in zip(history.tolist(), ages.tolist(), strict=True):
        baskets[len(baskets) - 1 - age].append(item)
    return [np.array(b, np.int64) for b in baskets]


def test_served_scores_equal_the_training_evaluation_scores(
    served_run: tuple[str, Any, Cases, RecommendPredictor],
) -> None:
    name, model, cases, predictor = served_run
    n = len(predictor.items)
    excluded = cases.excluded()
    compared = 0
    long_histories = 0
    for i in range(min(CASES, len(cases))):
        cart = np.unique(cases.carts[i]).astype(np.int64)
        history, ages = cases.histories[i], cases.ages[i]
        expected = model.score_batch([cart], [history], [ages])[0].astype(np.float64)
        expected[cart] = -np.inf
        expected[excluded[i]] = -np.inf
        # the served path: the predictor builds the graph's inputs, the graph masks and ranks
        feeds, _ = predictor._feeds(cart, _baskets(history, ages))
        scores, items, _ = predictor._run(feeds, n)
        finite = np.isfinite(scores)
        assert set(items[~finite].tolist()) == set(np.flatnonzero(~np.isfinite(expected)))
        np.testing.assert_allclose(scores[finite], expected[items[finite]], rtol=0, atol=ATOL)
        # the top 10 the evaluation ranks: same scores, whatever order ties take
        top = np.sort(expected[np.isfinite(expected)])[::-1][:10]
        np.testing.assert_allclose(scores[: len(top)], top, rtol=0, atol=ATOL)
        compared += 1
        long_histories += len(ages) > 0 and int(ages.max()) >= 3
    assert compared >= 20
    # the history limit (3 baskets) and max_len (6 items) truncate real histories here
    assert long_histories >= 5, name
