"""The recommenders' inputs, computed once for serving and training (numpy only).

The predictor builds a request's graph inputs with these functions, and so do the training
models, the evaluation and the tuning (`training.recommend`), so a bundle serves exactly what
was measured:

The cart (every architecture): a request's cart is a set. Its known items become their distinct
item indices in ascending order (`cart_items`), whatever order or repetition the request or the
held-out basket lists them in; the item graph and the sequence read that one form.

Cart weighting (item graph, hybrid): each of the c distinct cart items weighs

    weight = max(c, 1) ** -cart_size_power

computed in float64 and rounded once to float32 (`cart_weights`).

History weighting (item graph, hybrid): a user's baskets, oldest first, become the items of the
last `limit` baskets and their weights

    weight = decay ** age / (baskets used) ** size_power

where `age` counts baskets back (0 = the latest basket) and "baskets used" is how many of the
last `limit` baskets the user has; float64, rounded once to float32 (`history_weights`).

`graph_inputs` (flat history with ages, as the evaluation cases hold it) and
`basket_graph_inputs` (stored baskets, as the predictor holds them) return all four inputs of the
item graph for one request.

Sequence encoding (SASRec, hybrid): the history's items, oldest first (each basket as stored),
then the cart (`cart_items`), as one int64 row of `max_len` item indices: the last `max_len` of
them, left-padded with the padding index (the catalogue size), so the last column is always the
most recent item (`sequence_items`, `sequence_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Weighting(Protocol):
    """The item graph's input settings: the manifest's `ItemGraphPreprocessing` on the serving
    side, the training `ItemGraph` itself on the other (both name them alike)."""

    @property
    def cart_size_power(self) -> float: ...

    @property
    def history_decay(self) -> float: ...

    @property
    def history_limit(self) -> int: ...

    @property
    def history_size_power(self) -> float: ...


@dataclass(frozen=True)
class GraphInputs:
    """The item graph's inputs for one request (the ONNX graph's `cart`, `cart_weight`,
    `history` and `history_weight`)."""

    cart: np.ndarray
    cart_weight: np.ndarray
    history: np.ndarray
    history_weight: np.ndarray


def cart_items(cart: Sequence[int] | np.ndarray) -> np.ndarray:
    """A cart's item indices -> its distinct items, ascending, int64 (the one form every model
    reads: the cart is a set)."""
    return np.unique(np.asarray(cart, dtype=np.int64).ravel())


def cart_weights(size: int, power: float) -> np.ndarray:
    """The float32 weight of each of `size` distinct cart items: max(size, 1) ** -power,
    computed in float64 and rounded once."""
    return np.full(size, float(max(size, 1)) ** -float(power), dtype=np.float32)


def history_ages(baskets: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Earlier baskets (oldest first) -> flat history items and their age in baskets."""
    if not baskets:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    items = np.concatenate(baskets).astype(np.int64)
    ages = np.concatenate(
        [np.full(len(b), len(baskets) - 1 - i, dtype=np.int64) for i, b in enumerate(baskets)]
    )
    return items, ages


def history_weights(
    items: np.ndarray, ages: np.ndarray, decay: float, limit: int, size_power: float
) -> tuple[np.ndarray, np.ndarray]:
    """History items (with their age in baskets) -> the items of the last `limit` baskets and
    their decayed weights (float32); see the module docstring."""
    ages = np.asarray(ages, np.int64)
    keep = ages < limit
    used = float(ages[keep].max() + 1) if keep.any() else 1.0
    weights = float(decay) ** ages[keep] / used ** float(size_power)
    return np.asarray(items, np.int64)[keep], weights.astype(np.float32)


def basket_history(
    baskets: Sequence[np.ndarray], decay: float, limit: int, size_power: float
) -> tuple[np.ndarray, np.ndarray]:
    """A user's stored baskets (oldest first; empty ones skipped) -> history items and weights."""
    items, ages = history_ages([np.asarray(b, np.int64) for b in baskets if len(b)])
    return history_weights(items, ages, decay, limit, size_power)


def graph_inputs(
    cart: Sequence[int] | np.ndarray, history: np.ndarray, ages: np.ndarray, weighting: Weighting
) -> GraphInputs:
    """One request's item-graph inputs: the cart (`cart_items`) and its weights, the history
    items (oldest first, with their age in baskets) of the last `history_limit` baskets and
    theirs."""
    items = cart_items(cart)
    kept, weights = history_weights(
        history,
        ages,
        weighting.history_decay,
        weighting.history_limit,
        weighting.history_size_power,
    )
    return GraphInputs(items, cart_weights(len(items), weighting.cart_size_power), kept, weights)


def basket_graph_inputs(
    cart: Sequence[int] | np.ndarray, baskets: Sequence[np.ndarray], weighting: Weighting
) -> GraphInputs:
    """`graph_inputs` of a cart and a user's stored baskets (oldest first; empty ones skipped)."""
    items, ages = history_ages([np.asarray(b, np.int64) for b in baskets if len(b)])
    return graph_inputs(cart, items, ages, weighting)


def sequence_items(history: np.ndarray, cart: Sequence[int] | np.ndarray) -> np.ndarray:
    """The sequence a sequential model reads: history items (oldest first, as stored), then the
    cart (`cart_items`), int64."""
    return np.concatenate([np.asarray(history, np.int64).ravel(), cart_items(cart)])


def sequence_row(items: np.ndarray, max_len: int, padding: int) -> np.ndarray:
    """The last `max_len` of `items` (oldest first) as an int64 row [max_len], left-padded
    with `padding`."""
    row = np.full(max_len, padding, dtype=np.int64)
    recent = np.asarray(items, np.int64).ravel()[-max_len:]
    if len(recent):
        row[max_len - len(recent) :] = recent
    return row


def basket_sequence(
    baskets: Sequence[np.ndarray], cart: Sequence[int] | np.ndarray, max_len: int, padding: int
) -> np.ndarray:
    """A user's stored baskets (oldest first) then the cart, as the sequence row [max_len]."""
    parts = [np.asarray(b, np.int64) for b in baskets if len(b)]
    history = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    return sequence_row(sequence_items(history, cart), max_len, padding)
