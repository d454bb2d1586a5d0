"""The training metrics against the library pieces they use or deliberately do not use.

Each test pins a meaning a drop-in library call would change: macro-F1 over the labels present,
top-3 with unknown labels or fewer than 3 classes, ECE weighted by bin share, the fitted
temperature as the NLL minimiser, and NDCG@10 for one target.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import ndcg_score

from training.recommend.evaluate import hits_and_gains, rank_top_k
from training.triage.evaluate import (
    ECE_BINS,
    calibration_error,
    calibration_error_floor,
    core_metrics,
    evaluate,
    expected_calibration_error,
    fit_temperature,
    log_softmax,
)


def _one_hot_scores(predicted: list[int], n_labels: int) -> np.ndarray:
    scores = np.full((len(predicted), n_labels), 0.1 / (n_labels - 1))
    scores[np.arange(len(predicted)), predicted] = 0.9
    return scores


def test_macro_f1_averages_only_the_labels_present_in_y() -> None:
    # class 3 never occurs in y but is predicted once: it costs class 0 a recall, and is not
    # averaged in as an F1 of 0 (which would give 0.75 * 5/6 instead).
    y = np.array([0, 0, 1, 1, 2, 2])
    predicted = [0, 3, 1, 1, 2, 2]
    metrics = core_metrics(_one_hot_scores(predicted, 4), y)
    f1_class_0 = 2 * 1.0 * 0.5 / 1.5
    assert metrics["macro_f1"] == pytest.approx((f1_class_0 + 1 + 1) / 3)
    assert metrics["accuracy"] == pytest.approx(5 / 6)


def test_unknown_label_is_a_miss_and_not_a_class() -> None:
    # -1 is a department the bundle does not know (training/triage/promotion.py)
    y = np.array([0, 1, -1])
    metrics = core_metrics(_one_hot_scores([0, 1, 1], 3), y)
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["top3_accuracy"] == pytest.approx(2 / 3)
    # class 1: precision 1/2 (the -1 row predicted 1), recall 1
    assert metrics["macro_f1"] == pytest.approx((1 + 2 * 0.5 / 1.5) / 2)
    assert np.isnan(core_metrics(_one_hot_scores([0, 1], 3), np.array([-1, -1]))["macro_f1"])


def test_top3_with_fewer_than_three_classes_is_every_known_label() -> None:
    metrics = core_metrics(_one_hot_scores([0, 0, 1], 2), np.array([1, 0, 0]))
    assert metrics["top3_accuracy"] == 1.0
    assert metrics["accuracy"] == pytest.approx(1 / 3)


def test_top3_counts_the_third_choice_and_not_the_fourth() -> None:
    probabilities = np.array([[0.4, 0.3, 0.2, 0.1], [0.4, 0.3, 0.2, 0.1]])
    assert core_metrics(probabilities, np.array([2, 3]))["top3_accuracy"] == 0.5


def test_empty_slice_reports_only_its_size() -> None:
    assert core_metrics(np.zeros((0, 4)), np.zeros(0, dtype=int)) == {"n": 0}


def test_per_department_figures_and_confusion_rows_are_true_labels() -> None:
    y = np.array([0, 0, 1, 1, 1, 2])
    predicted = [0, 1, 1, 1, 0, 1]
    result = evaluate(
        _one_hot_scores(predicted, 3),
        y,
        ["a", "b", "c"],
        ["30+"] * 6,
        [10] * 6,
        abstain_threshold=0.0,
    )
    assert result["confusion"] == [[1, 1, 0], [1, 2, 0], [0, 1, 0]]
    b = result["per_department"]["b"]
    assert (b["precision"], b["recall"], b["support"]) == (pytest.approx(0.5), 2 / 3, 3)
    assert b["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    c = result["per_department"]["c"]
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 1)
    assert isinstance(b["support"], int)


def test_perfectly_calibrated_confidences_have_zero_ece() -> None:
    # 0.8 confident and right 8 times in 10; 0.5 confident and right 2 times in 4
    confidence = np.array([0.8] * 10 + [0.5] * 4)
    correct = np.array([True] * 8 + [False] * 2 + [True, False, True, False])
    assert calibration_error(confidence, correct) == pytest.approx(0.0, abs=1e-12)
    probabilities = np.tile([0.8, 0.2], (10, 1))
    assert expected_calibration_error(probabilities, np.array([0] * 8 + [1] * 2)) == pytest.approx(
        0.0, abs=1e-12
    )


def test_ece_weights_each_bin_by_its_share_of_cases() -> None:
    # 10 cases at 0.95 all right (gap 0.05), 30 at 0.55 all wrong (gap 0.55); an unweighted mean
    # of the gaps would be 0.3.
    confidence = np.array([0.95] * 10 + [0.55] * 30)
    correct = np.array([True] * 10 + [False] * 30)
    assert calibration_error(confidence, correct) == pytest.approx(0.25 * 0.05 + 0.75 * 0.55)


def test_ece_bins_agree_with_sklearn_calibration_curve() -> None:
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.2, 1.0, 2000)
    correct = rng.uniform(size=2000) < confidence**2
    accuracy, mean_confidence = calibration_curve(
        correct, confidence, n_bins=ECE_BINS, strategy="uniform"
    )
    # calibration_curve gives no counts: count with its own binning
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=ECE_BINS)
    share = counts[counts > 0] / len(confidence)
    expected = float(np.sum(share * np.abs(accuracy - mean_confidence)))
    assert calibration_error(confidence, correct) == pytest.approx(expected, rel=1e-12)


def test_ece_floor_is_what_a_perfect_model_reads_and_shrinks_with_more_cases() -> None:
    rng = np.random.default_rng(7)
    small, large = rng.uniform(0.3, 1.0, 220), rng.uniform(0.3, 1.0, 2200)
    small_mean, small_p90 = calibration_error_floor(small)
    large_mean, _ = calibration_error_floor(large)
    assert 0 < small_mean < small_p90
    # 220 cases in 15 bins: a perfectly calibrated model still reads about 0.06
    assert 0.04 < small_mean < 0.08
    assert large_mean < small_mean / 2
    # one perfectly calibrated draw lands inside the floor's spread, not far above it
    right = rng.random(220) < small
    assert calibration_error(small, right) < small_p90 * 1.5
    assert calibration_error_floor(np.array([])) == (0.0, 0.0)


def test_fitted_temperature_minimises_validation_nll() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3000, 6)) * 4
    y = np.array([rng.choice(6, p=np.exp(row)) for row in log_softmax(logits, 2.5)])

    def nll(t: float) -> float:
        return float(-log_softmax(logits, t)[np.arange(len(y)), y].mean())

    fitted = fit_temperature(logits, y)
    assert fitted == pytest.approx(2.5, rel=0.1)
    for step in (1e-4, -1e-4):
        assert nll(fitted) <= nll(fitted * (1 + step))


def test_temperature_stops_at_the_upper_bound_when_logits_say_nothing() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(500, 4)) * 3
    assert fit_temperature(logits, rng.integers(0, 4, 500)) == pytest.approx(20.0, rel=1e-5)


def test_ndcg_gain_of_one_target_is_sklearn_ndcg_at_10() -> None:
    rng = np.random.default_rng(2)
    scores = rng.normal(size=(200, 50))  # continuous: no ties, where ndcg_score would average
    targets = rng.integers(0, 50, 200)
    empty = [np.zeros(0, np.int64)] * 200
    top = rank_top_k(scores, empty, empty)
    found, gains = hits_and_gains(top, targets)
    relevance = np.zeros_like(scores)
    relevance[np.arange(200), targets] = 1.0
    assert gains.mean() == pytest.approx(ndcg_score(relevance, scores, k=10), rel=1e-12)
    assert found.mean() == pytest.approx(
        np.mean([t in np.argsort(-row)[:10] for row, t in zip(scores, targets, strict=True)])
    )
