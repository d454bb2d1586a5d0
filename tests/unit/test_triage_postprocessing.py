"""Predictor post-processing: temperature, top-k order, abstain threshold, urgency from rules."""

from __future__ import annotations

import numpy as np
import pytest

from training.triage.evaluate import (
    choose_abstain_threshold,
    expected_calibration_error,
    fit_temperature,
)
from triage.predictor import _compare_answers as _compare
from triage.predictor import softmax


def test_postprocessing_softmax_temperature_flattens_without_reordering() -> None:
    logits = np.array([[2.0, 1.0, 0.0]])
    sharp, flat = softmax(logits, 0.5), softmax(logits, 2.0)
    assert np.allclose(sharp.sum(), 1) and np.allclose(flat.sum(), 1)
    assert sharp[0, 0] > softmax(logits)[0, 0] > flat[0, 0]
    assert list(np.argsort(-flat[0])) == [0, 1, 2]


def test_postprocessing_softmax_is_stable_for_huge_logits() -> None:
    assert np.all(np.isfinite(softmax(np.array([[1e4, -1e4, 0.0]]))))


def test_postprocessing_temperature_recovers_known_overconfidence() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 5)) * 2
    y = np.array([rng.choice(5, p=p) for p in softmax(true_logits)])
    fitted = fit_temperature(true_logits * 3, y)  # a model 3x overconfident
    assert fitted == pytest.approx(3.0, rel=0.15)
    assert expected_calibration_error(
        softmax(true_logits * 3, fitted), y
    ) < expected_calibration_error(softmax(true_logits * 3), y)


def test_postprocessing_abstain_threshold_reaches_target_on_kept_cases() -> None:
    confidence = np.linspace(0.51, 1.0, 100)
    probabilities = np.stack([confidence, 1 - confidence], axis=1)
    y = np.where(confidence > 0.5, 0, 1)
    y[:20] = 1 - y[:20]  # the 20 least confident answers are wrong: 80% accuracy overall
    threshold = choose_abstain_threshold(
        probabilities, y, target_accuracy=0.9, max_abstain_rate=0.6
    )
    kept = probabilities.max(axis=1) >= threshold
    assert (probabilities[kept].argmax(axis=1) == y[kept]).mean() >= 0.9
    assert 0.6 <= kept.mean() < 1.0  # abstains, but no more than needed
    assert choose_abstain_threshold(probabilities, np.zeros(100, dtype=int), 0.5, 0.5) == 0.0


def test_postprocessing_abstain_never_exceeds_the_allowed_rate() -> None:
    probabilities = np.tile([0.6, 0.4], (50, 1))
    threshold = choose_abstain_threshold(probabilities, np.ones(50, dtype=int), 0.99, 0.2)
    assert (probabilities.max(axis=1) >= threshold).mean() >= 0.8


def test_postprocessing_self_test_comparison_names_the_difference() -> None:
    expected = {
        "triage_level": "consultation",
        "urgency": "routine",
        "red_flags": [],
        "abstain": False,
        "departments": [{"name": "眼科", "probability": 0.5}],
    }
    same = {**expected, "departments": [{"name": "眼科", "probability": 0.5004}]}
    assert _compare(expected, same) is None
    moved = {**expected, "departments": [{"name": "眼科", "probability": 0.52}]}
    assert "眼科" in str(_compare(expected, moved))
    assert "urgency" in str(_compare(expected, {**same, "urgency": "emergency"}))
    assert "triage_level" in str(_compare(expected, {**same, "triage_level": "consultation_24"}))
