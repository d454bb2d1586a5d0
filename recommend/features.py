"""The recommenders' inputs, computed once for serving and training (numpy only).

The predictor builds a request's graph inputs with these functions, and so do the training
models, the evaluation and the tuning (`training.recommend`), so a bundle serves exactly what
was measured:

History weighting (item graph, hybrid): a user's baskets, oldest first, become the items of the
last `limit` baskets and their weights

    weight = decay ** age / (baskets used) ** size_power

where `age` counts baskets back (0 = the latest basket) and "baskets used" is how many of the
last `limit` baskets the user has.

Sequence encoding (SASRec, hybrid): the history's items, oldest first, then the cart, as one
int64 row of `max_len` item indices: the last `max_len` of them, left-padded with the padding
index (the catalogue size), so the last column is always the most recent item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
    weights = decay ** ages[keep] / used**size_power
    return np.asarray(items, np.int64)[keep], weights.astype(np.float32)


def basket_history(
    baskets: Sequence[np.ndarray], decay: float, limit: int, size_power: float
) -> tuple[np.ndarray, np.ndarray]:
    """A user's stored baskets (oldest first; empty ones skipped) -> history items and weights."""
    items, ages = history_ages([np.asarray(b, np.int64) for b in baskets if len(b)])
    return history_weights(items, ages, decay, limit, size_power)


def sequence_row(items: np.ndarray, max_len: int, padding: int) -> np.ndarray:
    """The last `max_len` of `items` (oldest first) as an int64 row [max_len], left-padded
    with `padding`."""
    row = np.full(max_len, padding, dtype=np.int64)
    recent = np.asarray(items, np.int64).ravel()[-max_len:]
    if len(recent):
        row[max_len - len(recent) :] = recent
    return row


def basket_sequence(
    baskets: Sequence[np.ndarray], cart: np.ndarray, max_len: int, padding: int
) -> np.ndarray:
    """A user's stored baskets (oldest first) then the cart, as the sequence row [max_len]."""
    parts = [np.asarray(b, np.int64) for b in baskets if len(b)]
    return sequence_row(np.concatenate([*parts, np.asarray(cart, np.int64)]), max_len, padding)
