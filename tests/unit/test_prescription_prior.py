"""The ATC class-pair prior, written as tables for the ONNX graph, equals the plain definition:
the average over a pair's class pairs of smoothed per-class-pair level counts."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from training.prescription.class_prior import ClassPairPrior
from training.prescription.drug_features import DrugFeatures
from training.prescription.severity import SEVERITIES

# d0, d1: class A; d2: classes A and B; d3: class B; d4: no ATC class.
CLASSES = {"d0": ["A"], "d1": ["A"], "d2": ["A", "B"], "d3": ["B"], "d4": []}
PAIRS = pd.DataFrame(
    [
        ("d0", "d1", "major"),
        ("d0", "d3", "moderate"),
        ("d1", "d3", "moderate"),
        ("d2", "d3", "minor"),
        ("d1", "d2", "unknown"),
        ("d0", "d4", "major"),
    ],
    columns=["a", "b", "level"],
)
NEGATIVES = pd.DataFrame([("d1", "d4"), ("d0", "d2")], columns=["a", "b"])


def _features() -> DrugFeatures:
    names = list(CLASSES)
    columns = ["atc3:A", "atc3:B", "cat:x"]
    matrix = np.zeros((len(names), len(columns)), dtype=np.float32)
    for i, name in enumerate(names):
        for c in CLASSES[name]:
            matrix[i, columns.index(f"atc3:{c}")] = 1
        matrix[i, 2] = 1
    return DrugFeatures(names=names, matrix=matrix, feature_names=columns)


def _brute_force(a: str, b: str, alpha: float) -> np.ndarray:
    graded = PAIRS[PAIRS["level"] != "unknown"]
    global_dist = np.array([(graded["level"] == s).mean() for s in SEVERITIES])
    keys = [tuple(sorted(k)) for k in itertools.product(CLASSES[a], CLASSES[b])]
    if not keys:
        return global_dist
    dists = []
    for key in keys:
        counts = np.zeros(3)
        for x, y, level in graded.itertuples(index=False):
            own = [tuple(sorted(k)) for k in itertools.product(CLASSES[x], CLASSES[y])]
            counts[SEVERITIES.index(level)] += own.count(key) / len(own) if own else 0
        dists.append((counts + alpha * global_dist) / (counts.sum() + alpha))
    return np.mean(dists, axis=0)


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_prescription_prior_tables_match_the_definition(alpha: float) -> None:
    features = _features()
    prior = ClassPairPrior(alpha).fit(features, PAIRS, NEGATIVES)
    names = list(CLASSES)
    for a, b in itertools.product(names, names):
        _, severity = prior.predict(np.array([names.index(a)]), np.array([names.index(b)]))
        np.testing.assert_allclose(
            severity[0], _brute_force(a, b, alpha), atol=1e-6, err_msg=f"{a},{b}"
        )


def test_prescription_prior_is_symmetric_and_a_distribution() -> None:
    prior = ClassPairPrior().fit(_features(), PAIRS, NEGATIVES)
    a, b = np.array([0, 2, 3, 4]), np.array([3, 3, 2, 1])
    p_ab, s_ab = prior.predict(a, b)
    p_ba, s_ba = prior.predict(b, a)
    np.testing.assert_allclose(s_ab, s_ba, atol=1e-7)
    np.testing.assert_allclose(p_ab, p_ba, atol=1e-7)
    np.testing.assert_allclose(s_ab.sum(axis=1), 1.0, atol=1e-6)
    assert ((p_ab > 0) & (p_ab < 1)).all()
