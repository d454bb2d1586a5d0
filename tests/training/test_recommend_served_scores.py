"""What a trained bundle serves is what training measured, request by request.

Three small demo runs, each deploying one architecture: the tuned blend (an item graph, with a
history limit shorter than many users' histories), SASRec (next item, a `max_len` shorter than
the sequences, and fewer stored baskets than some users have) and the blend + SASRec hybrid
(both limits). For each, requests with carts in
different orders, with repeats and unknown items, for users with and without history, are
answered by the torch-free predictor and by the training-side evaluation (the deployed training
model's `score_batch` and `rank_top_k`, on the case each request makes, with the user's full
history from the training data); `tests.recommend_served.differences` lists where they differ.

The last test puts back the cart-order skew on the training side (the evaluation fed a held-out
basket in stored order, repeats kept, where the predictor reads the cart's distinct items in
ascending order) and shows the comparison catches it for the sequential models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest
from tests.recommend_served import TrainingSide, differences, request_set
from training.recommend.evaluate import TaskData

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
        "deploy.history_baskets=3",
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
CARTS = 60


@dataclass
class ServedRun:
    """One pipeline run: its name, the served bundle, the training side and its test cases."""

    name: str
    predictor: RecommendPredictor
    training: TrainingSide
    task: TaskData


@pytest.fixture(scope="module", params=sorted(RUNS))
def served_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tracking_uri: str
) -> ServedRun:
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
    real_select, real_load = train_module.select, train_module.load

    def select(config: Any, task: Any) -> Any:
        seen["task"], seen["chosen"] = task, real_select(config, task)
        return seen["chosen"]

    def load(config: Any) -> Any:
        seen["loaded"] = real_load(config)
        return seen["loaded"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module, "select", select)
        patch.setattr(train_module, "load", load)
        summary = train_module.train_recommend(config, Tracker(tracking_uri), "served-scores")  # type: ignore[arg-type]
    assert summary["details"]["deployed"] == name
    predictor = RecommendPredictor.from_bundle(summary["bundle"])
    assert predictor.architecture == ARCHITECTURES[name]
    data = seen["loaded"].data
    baskets = {
        data.user_ids[user]: [data.basket(int(b)) for b in rows]
        for user, rows in data.user_baskets().items()
    }
    task = seen["task"]
    training = TrainingSide(
        seen["chosen"].model, list(data.item_ids), baskets, task.task == "next_item"
    )
    return ServedRun(name, predictor, training, task)


def _requests(run: ServedRun) -> list[ScoreRequest]:
    """Carts from the test cases (held-out baskets as stored; random items for next item,
    whose cases have none) and users with more baskets than the bundle's limits."""
    rng = np.random.default_rng(0)
    carts = [c for c in run.task.test.carts if len(c) >= 2][:CARTS]
    n = len(run.training.item_ids)
    carts += [rng.integers(0, n, int(rng.integers(1, 8))) for _ in range(CARTS - len(carts))]
    users = sorted(u for u, b in run.training.baskets.items() if len(b) > 6)
    assert len(users) >= 5, run.name
    return request_set(run.training.item_ids, carts, users)


def test_served_answers_equal_the_training_evaluation(served_run: ServedRun) -> None:
    requests = _requests(served_run)
    assert differences(served_run.predictor, served_run.training, requests) == []


def test_a_next_item_bundle_stores_every_basket_it_must_exclude(served_run: ServedRun) -> None:
    """The evaluation excludes a user's whole history; a bundle that kept only the last
    baskets would recommend older ones again ("masked items differ" above)."""
    if not served_run.training.exclude_history:
        pytest.skip("cart completion excludes the cart only")
    stored = served_run.predictor.users
    for user, baskets in served_run.training.baskets.items():
        assert [b.tolist() for b in stored[user]] == [b.tolist() for b in baskets]
    # past the former limit, max(deploy.history_baskets, max_len) = 6
    assert max(len(b) for b in stored.values()) > 6


def _listed_order(history: np.ndarray, cart: np.ndarray) -> np.ndarray:
    """The old training side: the history, then the cart as listed, repeats kept."""
    return np.concatenate([np.asarray(history, np.int64), np.asarray(cart, np.int64)])


def test_a_cart_fed_in_listed_order_is_caught(
    served_run: ServedRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    if served_run.name == "blend":
        pytest.skip("an item graph reads the cart as a set: its order cannot matter")
    from training.recommend import sasrec

    monkeypatch.setattr(sasrec, "sequence_items", _listed_order)
    found = differences(served_run.predictor, served_run.training, _requests(served_run))
    assert any("sequence" in problem for problem in found), found[:5]
    # the answers move too, unless the hybrid's tuning gave the sequential scores no weight
    if getattr(served_run.training.model, "weight", 1.0):
        assert any("ranking differs" in problem for problem in found), found[:5]


def test_the_bundle_ranks_the_test_cases_as_the_evaluation_measured(
    served_run: ServedRun,
) -> None:
    """The deployed model's test HR@10 and NDCG@10, as `evaluate` measured them, equal the
    figures of the bundle's own ranking (`rank`, what `promote` compares) on the same cases."""
    from training.recommend.evaluate import evaluate
    from training.recommend.promotion import served_ranking_metrics

    cases, ids = served_run.task.test, served_run.training.item_ids
    measured = evaluate(served_run.training.model, cases, len(ids))
    served = served_ranking_metrics(served_run.predictor, cases, ids)
    assert served["n"] >= 20
    assert served["hr@10"] == measured["hr@10"]
    assert served["ndcg@10"] == pytest.approx(measured["ndcg@10"], abs=1e-12)
