"""The blend + SASRec hybrid: its scores, its tuning and its ONNX graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from tests.unit.test_recommend_sasrec import (
    EMPTY,
    N_ITEMS,
    as_baskets,
    cycle_sequences,
    small_model,
)
from training.export import ParityError
from training.recommend import hybrid as hybrid_module
from training.recommend.evaluate import Cases
from training.recommend.hybrid import (
    Hybrid,
    check_hybrid_parity,
    hybrid_onnx,
    sequential_unit,
    tune_hybrid,
)
from training.recommend.models import ItemKNN, Popularity
from training.recommend.sasrec import SASRec


@pytest.fixture(scope="module")
def sasrec() -> SASRec:
    return small_model().fit(as_baskets(cycle_sequences()))


@pytest.fixture(scope="module")
def knn_graph():  # type: ignore[no-untyped-def]
    return ItemKNN().fit(as_baskets(cycle_sequences(), basket_size=3)).graph_


def next_item_cases(n: int = 40, seed: int = 1) -> Cases:
    histories = cycle_sequences(n_users=n, seed=seed, lengths=(3, 8))
    targets = np.array([(h[-1] + 1) % N_ITEMS for h in histories], dtype=np.int64)
    return Cases(
        [EMPTY] * n,
        list(histories),
        [np.arange(len(h))[::-1] for h in histories],
        targets,
        exclude_history=True,
    )


def test_sequential_unit_puts_the_best_item_at_one() -> None:
    unit = sequential_unit(np.array([[1.0, 3.0, 2.0]]), temperature=1.0)
    assert unit[0, 1] == pytest.approx(1.0)
    assert unit[0, 0] == pytest.approx(np.exp(-2.0))
    # a higher temperature flattens it
    assert sequential_unit(np.array([[1.0, 3.0]]), 4.0)[0, 0] > unit[0, 0]


def test_hybrid_adds_the_weighted_sequential_scores(sasrec: SASRec, knn_graph) -> None:  # type: ignore[no-untyped-def]
    cases = next_item_cases(5)
    graph_only = knn_graph.score_batch(cases.carts, cases.histories, cases.ages)
    hybrid = Hybrid(knn_graph, sasrec, weight=2.0, temperature=0.5)
    got = hybrid.score_batch(cases.carts, cases.histories, cases.ages)
    logits = sasrec.score_batch(cases.carts, cases.histories)
    np.testing.assert_allclose(got, graph_only + 2.0 * sequential_unit(logits, 0.5), atol=1e-6)
    off = Hybrid(knn_graph, sasrec, weight=0.0, temperature=1.0)
    np.testing.assert_allclose(
        off.score_batch(cases.carts, cases.histories, cases.ages), graph_only
    )


def test_tuning_weighs_in_a_sequential_model_that_knows_the_order(sasrec: SASRec) -> None:
    # Popularity alone cannot know the next step of the cycle; SASRec can.
    popularity = Popularity().fit(as_baskets(cycle_sequences())).graph_
    cases = next_item_cases()
    weight, temperature, trace = tune_hybrid(popularity, sasrec, cases, "ndcg@10")
    assert weight > 0
    assert temperature in hybrid_module.TEMPERATURES
    best = max(t["ndcg@10"] for t in trace)
    assert trace[0]["weight"] == 0.0 and best >= trace[0]["ndcg@10"] + 0.3


def test_hybrid_onnx_parity_and_inputs(sasrec: SASRec, knn_graph, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hybrid = Hybrid(knn_graph, sasrec, weight=1.0, temperature=2.0)
    worst = check_hybrid_parity(hybrid, tmp_path / "hybrid.onnx")
    assert 0.0 <= worst <= 1e-4
    graph = hybrid_onnx(hybrid).graph
    assert {i.name for i in graph.input} == {
        "item_seq",
        "cart",
        "cart_weight",
        "history",
        "history_weight",
        "exclude",
        "k",
    }
    assert [o.name for o in graph.output] == ["scores", "items", "cart_contribution"]


def test_hybrid_parity_fails_when_the_reference_drifts(
    sasrec: SASRec,
    knn_graph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    hybrid = Hybrid(knn_graph, sasrec, weight=1.0, temperature=1.0)
    exact = sasrec.score_rows
    monkeypatch.setattr(sasrec, "score_rows", lambda rows: exact(rows) * 0.5)
    with pytest.raises(ParityError):
        check_hybrid_parity(hybrid, tmp_path / "drift.onnx", n_requests=8)
