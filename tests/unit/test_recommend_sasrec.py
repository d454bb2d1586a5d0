"""SASRec on synthetic sequences whose right answer is known: the cycle 0 -> 1 -> ... -> 9 -> 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from training.export import ParityError  # noqa: E402
from training.recommend import sasrec as sasrec_module  # noqa: E402
from training.recommend.data import Baskets  # noqa: E402
from training.recommend.sasrec import SASRec, check_sasrec_parity, user_sequences  # noqa: E402

N_ITEMS = 10
EMPTY = np.zeros(0, dtype=np.int64)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    # Tensors this small gain nothing from intra-op threads, and on a busy 2-core machine the
    # threads' spin-waiting made a 3 s fit take 50 s.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def cycle_sequences(
    n_users: int = 30, seed: int = 0, lengths: tuple[int, int] = (6, 16)
) -> list[np.ndarray]:
    """Each user walks the cycle from a random start for lengths[0]..lengths[1] steps."""
    rng = np.random.default_rng(seed)
    return [
        (int(rng.integers(N_ITEMS)) + np.arange(int(rng.integers(lengths[0], lengths[1] + 1))))
        % N_ITEMS
        for _ in range(n_users)
    ]


def as_baskets(sequences: list[np.ndarray], basket_size: int = 1) -> Baskets:
    """One basket per `basket_size` consecutive items of each user's sequence."""
    users, sizes, items = [], [], []
    for user, sequence in enumerate(sequences):
        for start in range(0, len(sequence), basket_size):
            basket = sequence[start : start + basket_size]
            users.append(user)
            sizes.append(len(basket))
            items.append(basket)
    return Baskets(
        item_ids=[f"i{i}" for i in range(N_ITEMS)],
        user_ids=[f"u{u}" for u in range(len(sequences))],
        basket_user=np.array(users, dtype=np.int64),
        indptr=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        indices=np.concatenate(items).astype(np.int64),
    )


def small_model(**overrides: object) -> SASRec:
    params: dict[str, object] = {
        "max_len": 8,
        "hidden": 16,
        "layers": 1,
        "heads": 2,
        "dropout": 0.0,
        "epochs": 40,
        "batch_size": 8,
        "lr": 1e-2,
        "seed": 0,
    }
    params.update(overrides)
    return SASRec(**params)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted() -> SASRec:
    return small_model().fit(as_baskets(cycle_sequences()))


def test_ranks_the_next_item_of_the_cycle_first(fitted: SASRec) -> None:
    histories = cycle_sequences(n_users=40, seed=1)
    scores = fitted.score_batch([EMPTY] * len(histories), histories)
    assert scores.shape == (40, N_ITEMS)
    expected = np.array([(h[-1] + 1) % N_ITEMS for h in histories])
    assert (scores.argmax(axis=1) == expected).mean() >= 0.9


def test_cart_items_follow_the_history(fitted: SASRec) -> None:
    # Cart [2, 3] after history [8, 9, 0, 1]: the last item is 3, so the next is 4, not 2.
    history = np.array([8, 9, 0, 1])
    with_cart = fitted.score_batch([np.array([2, 3])], [history])
    without = fitted.score_batch([EMPTY], [history])
    assert with_cart.argmax() == 4
    assert without.argmax() == 2


def test_baskets_are_flattened_in_order() -> None:
    sequences = cycle_sequences()
    baskets = as_baskets(sequences, basket_size=3)
    flat = user_sequences(baskets)
    assert len(flat) == len(sequences)
    for got, want in zip(flat, sequences, strict=True):
        np.testing.assert_array_equal(got, want)


def test_score_batch_is_deterministic_and_fit_is_seeded(fitted: SASRec) -> None:
    histories = cycle_sequences(n_users=5, seed=2)
    carts = [np.array([1]), EMPTY, np.array([4, 5]), EMPTY, EMPTY]
    first = fitted.score_batch(carts, histories)
    assert first.dtype == np.float32 and first.shape == (5, N_ITEMS)
    np.testing.assert_array_equal(first, fitted.score_batch(carts, histories))
    # One row alone scores as it does in a batch (up to BLAS blocking: float rounding).
    np.testing.assert_allclose(
        first[2:3], fitted.score_batch(carts[2:3], histories[2:3]), rtol=0, atol=1e-5
    )
    torch.manual_seed(123)  # the caller's state must neither matter nor be disturbed
    before = torch.get_rng_state()
    again = small_model().fit(as_baskets(cycle_sequences()))
    assert torch.equal(before, torch.get_rng_state())
    np.testing.assert_allclose(again.score_batch(carts, histories), first, atol=1e-5)


def test_attention_is_causal(fitted: SASRec) -> None:
    # Changing the most recent item changes its own position's state, never earlier ones: in
    # training, position t predicts item t+1 and must not see it.
    row = fitted.encode_sequence(np.array([1, 2, 3, 4, 5]), EMPTY)
    changed = row.copy()
    changed[-1] = 9
    with torch.no_grad():
        states = fitted.net_.hidden_states(torch.from_numpy(np.stack([row, changed])))
    torch.testing.assert_close(states[0, :-1], states[1, :-1])
    assert not torch.allclose(states[0, -1], states[1, -1])


def test_micro_batches_and_trimmed_columns_change_nothing(
    fitted: SASRec, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Trimming the all-padding columns (evaluation) gives the full-width scores.
    rows = np.stack([fitted.encode_sequence(h, EMPTY) for h in cycle_sequences(8, seed=3)])
    rows[0] = N_ITEMS
    np.testing.assert_allclose(
        fitted._forward_rows(rows, trim=True), fitted.score_rows(rows), rtol=0, atol=1e-5
    )
    # A logits budget of one row per micro-batch accumulates the same gradient as whole batches.
    monkeypatch.setattr(sasrec_module, "_MAX_LOGITS", 1)
    split = small_model().fit(as_baskets(cycle_sequences()))
    np.testing.assert_allclose(split.score_rows(rows), fitted.score_rows(rows), rtol=0, atol=1e-3)


def test_empty_sequence_gives_popularity() -> None:
    # Item 7 is much the most frequent: empty history and cart must rank it first.
    sequences = [*cycle_sequences(), *[np.array([7, 7, 7, 7]) for _ in range(10)]]
    model = small_model(epochs=2).fit(as_baskets(sequences))
    scores = model.score_batch([EMPTY, EMPTY], [EMPTY, np.array([3])])
    assert np.isfinite(scores).all()
    assert scores[0].argmax() == 7
    np.testing.assert_allclose(scores[0], model.popularity_)
    assert not np.allclose(scores[1], scores[0])


def test_encode_sequence_left_pads_and_truncates(fitted: SASRec) -> None:
    row = fitted.encode_sequence(np.array([1, 2]), np.array([3]))
    assert row.dtype == np.int64
    np.testing.assert_array_equal(row, [N_ITEMS] * 5 + [1, 2, 3])
    long = fitted.encode_sequence(np.arange(10) % N_ITEMS, np.array([5, 6]))
    np.testing.assert_array_equal(long, [4, 5, 6, 7, 8, 9, 5, 6])
    np.testing.assert_array_equal(fitted.encode_sequence(EMPTY, EMPTY), [N_ITEMS] * 8)
    with pytest.raises(ValueError):
        fitted.encode_sequence(np.array([N_ITEMS]), EMPTY)


def test_onnx_parity(fitted: SASRec, tmp_path: Path) -> None:
    worst = check_sasrec_parity(fitted, tmp_path / "sasrec.onnx", n=64, atol=1e-4)
    assert 0.0 <= worst <= 1e-4
    graph = fitted.to_onnx()
    assert [i.name for i in graph.graph.input] == ["item_seq"]
    assert [o.name for o in graph.graph.output] == ["scores"]


def test_onnx_parity_fails_when_the_graph_disagrees(
    fitted: SASRec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check must be able to fail: shift the PyTorch side's scores after export.
    exact = fitted.score_rows
    monkeypatch.setattr(fitted, "score_rows", lambda rows: exact(rows) + 1e-2)
    with pytest.raises(ParityError):
        check_sasrec_parity(fitted, tmp_path / "drift.onnx", n=8)


def test_validation_early_stopping_keeps_the_best_epoch() -> None:
    # At most 9 items: the target is never in its history, which the ranking excludes.
    sequences = cycle_sequences(lengths=(4, 9))
    train = as_baskets([s[:-1] for s in sequences])
    validation = (
        [EMPTY] * len(sequences),
        [s[:-1] for s in sequences],
        np.array([s[-1] for s in sequences]),
    )
    model = small_model(epochs=30, patience=3).fit(train, validation=validation)
    ndcgs = [h["ndcg"] for h in model.history_]
    assert model.epochs_ == len(model.history_) <= 30
    assert model.best_epoch_ == int(np.argmax(ndcgs)) + 1
    best = model.evaluate(*validation)
    assert best["ndcg"] == pytest.approx(max(ndcgs), abs=1e-6)
    assert best["hr"] >= 0.9


def test_max_seconds_stops_training() -> None:
    model = small_model(epochs=1000, max_seconds=0.0).fit(as_baskets(cycle_sequences()))
    assert model.epochs_ == 1


def test_unfitted_and_bad_parameters_raise() -> None:
    with pytest.raises(RuntimeError):
        SASRec().score_batch([EMPTY], [EMPTY])
    with pytest.raises(ValueError):
        SASRec(hidden=10, heads=3).fit(as_baskets(cycle_sequences()))


def test_recommend_sasrec_bundle_graph_masks_and_ranks(fitted: SASRec, tmp_path: Path) -> None:
    from training.recommend.sasrec_export import check_sasrec_bundle_parity, sasrec_bundle_onnx

    model = fitted
    assert check_sasrec_bundle_parity(model, tmp_path / "bundle.onnx") < 1e-4
    graph = sasrec_bundle_onnx(model)
    assert [i.name for i in graph.graph.input] == ["item_seq", "exclude", "k"]
    assert [o.name for o in graph.graph.output] == ["scores", "items"]
