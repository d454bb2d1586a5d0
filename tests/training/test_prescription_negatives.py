"""Negatives for the interaction model: uniform ones let a model score well by knowing which
drugs interact a lot; hard ones (degree-weighted) do not. Checks that make_splits draws both,
keeps them unlisted, apart from training and under the held-out rule."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from training.prescription.drug_features import (
    DrugFeatures,
    _degree_weights,
    _held_count,
    _weighted_positions,
    make_splits,
)

N_DRUGS = 60


def _pairs() -> pd.DataFrame:
    """Listings fall off steeply with a drug's index, so unlisted pairs range from two busy
    drugs to two quiet ones."""
    rng = np.random.default_rng(1)
    drugs = np.arange(N_DRUGS)
    weight = 1.0 / (drugs + 1.0) ** 1.2
    rows: set[tuple[str, str]] = set()
    while len(rows) < 600:
        a, b = rng.choice(drugs, 2, replace=False, p=weight / weight.sum())
        rows.add(tuple(sorted((f"d{a:02d}", f"d{b:02d}"))))
    levels = ["major", "moderate", "minor"]
    return pd.DataFrame(
        [(a, b, levels[i % 3]) for i, (a, b) in enumerate(sorted(rows))],
        columns=["a", "b", "level"],
    )


def _features() -> DrugFeatures:
    names = [f"d{i:02d}" for i in range(N_DRUGS)]
    return DrugFeatures(
        names=names, matrix=np.eye(N_DRUGS, dtype=np.float32), feature_names=list(names)
    )


def _splits(pairs: pd.DataFrame, hard_negative_fraction: float) -> dict:
    return make_splits(
        pairs,
        _features(),
        set(),
        seed=0,
        min_partners=1,
        negative_ratio=0.3,
        hard_negative_fraction=hard_negative_fraction,
    )


def _mean_degree_product(frame: pd.DataFrame, pairs: pd.DataFrame) -> float:
    """How listed, by drug alone, a set of pairs looks (the sampler's own weights)."""
    return float(_degree_weights(frame, Counter(pairs["a"].tolist() + pairs["b"].tolist())).mean())


def _keys(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for p in zip(frame["a"], frame["b"], strict=True)}


def test_weighted_positions_follow_the_weights_and_skip_zero_weights() -> None:
    rng = np.random.default_rng(0)
    weights = np.array([0.0, 1.0, 1.0, 1.0, 100.0, 100.0])
    counts = Counter()
    for _ in range(300):
        picked = _weighted_positions(weights, 2, rng)
        assert len(set(picked.tolist())) == 2 and 0 not in picked
        counts.update(picked.tolist())
    assert counts[4] > 250 and counts[5] > 250
    assert len(_weighted_positions(weights, 10, rng)) == 5  # only 5 positive weights


def test_hard_negatives_are_unlisted_degree_weighted_and_kept_out_of_training() -> None:
    pairs = _pairs()
    splits = _splits(pairs, 0.5)
    listed = _keys(pairs)

    random = splits["random"]
    assert len(random.hard_test_negatives) > 0
    for frame in (random.test_negatives, random.hard_test_negatives, random.train_negatives):
        assert not (_keys(frame) & listed)
    held_back = _keys(random.test_negatives) | _keys(random.hard_test_negatives)
    assert not (held_back & _keys(random.train_negatives))
    assert _mean_degree_product(random.hard_test_negatives, pairs) > 1.2 * _mean_degree_product(
        random.test_negatives, pairs
    )
    one_new = splits["one_new"]
    for frame in (one_new.test_negatives, one_new.hard_test_negatives):
        assert (_held_count(frame, one_new.held_out) == 1).all()
    assert not one_new.train_negatives["a"].isin(one_new.held_out).any()


def test_training_negatives_lean_harder_as_the_hard_fraction_grows() -> None:
    pairs = _pairs()
    hardest = _splits(pairs, 1.0)["random"].train_negatives
    uniform = _splits(pairs, 0.0)["random"].train_negatives
    assert _mean_degree_product(hardest, pairs) > _mean_degree_product(uniform, pairs)
