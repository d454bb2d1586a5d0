"""The recommender's inputs, written once (`recommend.features`): history weighting and sequence
encoding as the predictor and the training models compute them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from scipy import sparse

from recommend.features import (
    basket_graph_inputs,
    basket_history,
    basket_sequence,
    cart_items,
    cart_weights,
    history_ages,
    history_weights,
    sequence_items,
    sequence_row,
)
from training.recommend.models import ItemGraph

BASKETS = [np.array([1, 2]), np.array([], np.int64), np.array([3]), np.array([4, 5])]


def test_history_weights_keep_the_last_baskets_decayed_and_scaled() -> None:
    items, weights = basket_history(BASKETS, decay=0.5, limit=2, size_power=1.0)
    # the empty basket is skipped: [1, 2] is 2 baskets ago, [3] 1, [4, 5] the latest
    np.testing.assert_array_equal(items, [3, 4, 5])
    np.testing.assert_allclose(weights, [0.5 / 2, 1.0 / 2, 1.0 / 2])
    assert items.dtype == np.int64 and weights.dtype == np.float32


def test_history_weights_of_no_history_are_empty() -> None:
    items, weights = basket_history([], decay=0.7, limit=10, size_power=0.5)
    assert items.shape == weights.shape == (0,)
    items, weights = history_weights(np.array([7]), np.array([3]), 0.7, 2, 0.0)
    assert items.shape == weights.shape == (0,)


def test_history_weights_match_the_previous_serving_formula() -> None:
    """The predictor's former `_weighted`: the last `limit` non-empty baskets, weights
    d ** age / (baskets used) ** q, to the bit."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        baskets = [rng.integers(0, 30, int(rng.integers(0, 4))) for _ in range(rng.integers(0, 9))]
        decay, limit, power = float(rng.choice([0.5, 0.7, 1.0])), int(rng.integers(1, 6)), 0.5
        kept = [b for b in baskets if len(b)][-limit:]
        items, weights = basket_history(baskets, decay, limit, power)
        if not kept:
            assert len(items) == 0
            continue
        ages = np.concatenate([np.full(len(b), len(kept) - 1 - i) for i, b in enumerate(kept)])
        expected = (decay**ages / len(kept) ** power).astype(np.float32)
        np.testing.assert_array_equal(items, np.concatenate(kept))
        np.testing.assert_array_equal(weights, expected)


def test_item_graph_training_inputs_use_the_served_history_weights() -> None:
    n = 8
    empty = sparse.csr_matrix((n, n), dtype=np.float32)
    graph = ItemGraph(
        empty,
        empty,
        np.ones(n, np.float32),
        history_decay=0.6,
        history_limit=2,
        history_size_power=0.5,
    )
    history, ages = history_ages([b for b in BASKETS if len(b)])
    _, hist = graph.inputs([np.array([0])], [history], [ages])
    items, weights = basket_history(BASKETS, 0.6, 2, 0.5)
    expected = np.zeros(n, np.float32)
    np.add.at(expected, items, weights)
    np.testing.assert_array_equal(np.asarray(hist.todense())[0], expected)


def test_sequence_rows_are_left_padded_and_keep_the_most_recent() -> None:
    np.testing.assert_array_equal(sequence_row(np.array([1, 2]), 4, 9), [9, 9, 1, 2])
    np.testing.assert_array_equal(sequence_row(np.arange(6), 4, 9), [2, 3, 4, 5])
    np.testing.assert_array_equal(sequence_row(np.zeros(0, np.int64), 3, 9), [9, 9, 9])
    row = basket_sequence(BASKETS, np.array([6, 7]), 5, 9)
    np.testing.assert_array_equal(row, [3, 4, 5, 6, 7])


def test_a_cart_is_its_distinct_items_ascending() -> None:
    for listed in ([7, 3, 7, 1], [1, 3, 7], [3, 1, 7, 7, 7]):
        np.testing.assert_array_equal(cart_items(listed), [1, 3, 7])
        assert cart_items(listed).dtype == np.int64
    assert cart_items([]).shape == (0,)


def test_cart_weights_round_a_float64_power_once() -> None:
    for size in range(12):
        for power in (0.0, 0.5, 1.0, 1.5):
            expected = np.float32(float(max(size, 1)) ** -power)
            weights = cart_weights(size, power)
            assert weights.dtype == np.float32 and weights.shape == (size,)
            assert (weights == expected).all()


def test_graph_inputs_read_the_cart_as_a_set() -> None:
    graph = ItemGraph(
        sparse.csr_matrix((8, 8), dtype=np.float32),
        sparse.csr_matrix((8, 8), dtype=np.float32),
        np.ones(8, np.float32),
        history_limit=2,
        cart_size_power=0.5,
    )
    one = basket_graph_inputs([5, 2, 5, 6, 2, 1], BASKETS, graph)
    np.testing.assert_array_equal(one.cart, [1, 2, 5, 6])
    np.testing.assert_array_equal(one.cart_weight, cart_weights(4, 0.5))
    np.testing.assert_array_equal(one.history, [3, 4, 5])
    again = basket_graph_inputs([6, 1, 2, 5], BASKETS, graph)
    for a, b in zip(vars(one).values(), vars(again).values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sequences_end_with_the_cart_as_a_set() -> None:
    history = np.array([4, 4, 9])
    np.testing.assert_array_equal(sequence_items(history, [8, 2, 8]), [4, 4, 9, 2, 8])
    np.testing.assert_array_equal(
        basket_sequence(BASKETS, [7, 6, 7], 5, 9), basket_sequence(BASKETS, [6, 7], 5, 9)
    )


def test_features_and_manifest_import_no_heavy_library() -> None:
    code = (
        "import json, sys\n"
        "import recommend.features, recommend.manifest\n"
        "print(json.dumps(sorted(m for m in ('torch', 'scipy', 'sklearn', 'pandas', 'mlflow') "
        "if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
