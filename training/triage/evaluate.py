"""Triage metrics: accuracy, macro-F1, top-3, per department, calibration, slices, abstention.

Everything is computed from probabilities (numpy arrays), so the same code scores torch, sklearn
and ONNX outputs (and the torch-free predictor in `promote`). Counting metrics come from
scikit-learn, the temperature fit from scipy; top-3 and ECE stay numpy (reasons at each).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from triage.predictor import softmax

ECE_BINS = 15

AGE_SLICES = {
    "age_child_0_9": {"0+"},
    "age_teen_10_19": {"10+"},
    "age_adult_20_59": {"20+", "30+", "40+", "50+"},
    "age_senior_60_plus": {"60+", "70+", "80+"},
    "age_unknown": {"unknown"},
}
# haodf complaints are 20-270 characters; a third of them are under 60.
LENGTH_SLICES = {
    "length_short_lt60": (0, 60),
    "length_medium_60_120": (60, 120),
    "length_long_ge120": (120, 10**9),
}


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise log-softmax of logits / temperature in float64."""
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    return scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature in [0.05, 20] minimising validation negative log-likelihood.

    NLL in T is unimodal for temperature scaling, so a bounded 1-D search on log T is enough.
    """

    def nll(log_t: float) -> float:
        return float(-log_softmax(logits, math.exp(log_t))[np.arange(len(y)), y].mean())

    # xatol 1e-9 on log T: T within ~1e-7 (relative) of the minimiser, also at a bound, in ~13
    # NLL evaluations; scipy's default 1e-5 moved the haodf temperature by ~1e-6.
    result = minimize_scalar(
        nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded", options={"xatol": 1e-9}
    )
    return math.exp(float(result.x))


def calibrate(
    logits: np.ndarray, y: np.ndarray, target_accuracy: float, max_abstain_rate: float
) -> tuple[float, float, np.ndarray]:
    """Fit a temperature on these logits, then choose the abstain threshold on the calibrated
    probabilities (`choose_abstain_threshold`).

    Returns:
        (temperature, abstain threshold, calibrated probabilities).
    """
    temperature = fit_temperature(logits, y)
    probabilities = softmax(logits, temperature)
    threshold = choose_abstain_threshold(probabilities, y, target_accuracy, max_abstain_rate)
    return temperature, threshold, probabilities


def expected_calibration_error(
    probabilities: np.ndarray, y: np.ndarray, bins: int = ECE_BINS
) -> float:
    """ECE of the top-1 confidence with equal-width bins."""
    return calibration_error(probabilities.max(axis=1), probabilities.argmax(axis=1) == y, bins)


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of confidences against whether each answer was right, with equal-width bins."""
    return float(
        sum(
            share * abs(accuracy - mean)
            for mean, accuracy, share, _ in _reliability(confidence, correct, bins)
        )
    )


def calibration_error_floor(
    confidence: np.ndarray, bins: int = ECE_BINS, draws: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """The ECE a perfectly calibrated model would still show with these confidences on this many
    cases: (mean, 90th percentile) over draws where each case is right with probability equal to
    its confidence (consistency resampling, Broecker & Smith 2007).

    Binned ECE is biased upward on small sets: with ~220 cases and 15 bins a perfect model reads
    ~0.06. A measured ECE under the 90th percentile cannot be told apart from perfect calibration.
    """
    if len(confidence) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    right = rng.random((draws, len(confidence))) < confidence[None, :]
    floor = np.array([calibration_error(confidence, row, bins) for row in right])
    return float(floor.mean()), float(np.quantile(floor, 0.9))


def _reliability(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> list[tuple[float, float, float, int]]:
    """(mean confidence, accuracy, share of cases, count) of every non-empty equal-width bin
    (low, high].

    Kept in numpy: scikit-learn has no ECE, and `sklearn.calibration.calibration_curve` bins the
    same way but returns no bin counts, which both the ECE weights and the diagram need.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    found = []
    for low, high in itertools.pairwise(edges):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            found.append(
                (
                    float(confidence[in_bin].mean()),
                    float(correct[in_bin].mean()),
                    float(in_bin.mean()),
                    int(in_bin.sum()),
                )
            )
    return found


def choose_abstain_threshold(
    probabilities: np.ndarray, y: np.ndarray, target_accuracy: float, max_abstain_rate: float
) -> float:
    """Lowest top-1 probability threshold whose kept cases reach the target accuracy.

    Lower thresholds abstain less, so the lowest one meeting the target is taken. If none meets it
    within the allowed abstain rate, the threshold at that rate is returned (the best we can do
    without sending more than that share of patients to a human).
    """
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == y
    order = np.argsort(-confidence)
    kept_accuracy = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    min_kept = max(1, math.ceil(len(order) * (1 - max_abstain_rate)))
    for n_kept in range(len(order), min_kept - 1, -1):
        if kept_accuracy[n_kept - 1] >= target_accuracy:
            return 0.0 if n_kept == len(order) else float(confidence[order[n_kept - 1]])
    return float(confidence[order[min_kept - 1]])


def core_metrics(probabilities: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """accuracy, macro_f1 (over labels present in y), top3, ece and n."""
    if len(y) == 0:
        return {"n": 0}
    predicted = probabilities.argmax(axis=1)
    # y may hold -1 (a department the bundle does not know, `promotion`): it is a miss everywhere
    # and not a label of its own in macro-F1.
    present = np.unique(y[y >= 0])
    macro_f1 = (
        f1_score(y, predicted, labels=present, average="macro", zero_division=0)
        if present.size
        else float("nan")
    )
    # Kept in numpy rather than sklearn's top_k_accuracy_score: that raises on the -1 labels
    # above and on 2-column scores, and warns when there are 3 classes or fewer.
    top3 = np.argsort(-probabilities, axis=1)[:, :3]
    return {
        "n": len(y),
        "accuracy": float((predicted == y).mean()),
        "macro_f1": float(macro_f1),
        "top3_accuracy": float((top3 == y[:, None]).any(axis=1).mean()),
        "ece": expected_calibration_error(probabilities, y),
    }


def evaluate(
    probabilities: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
    age_buckets: Sequence[str],
    text_lengths: Sequence[int],
    abstain_threshold: float,
) -> dict[str, Any]:
    """All triage metrics for one split.

    Returns:
        {"overall": {...}, "selective": {...}, "per_department": {name: {precision, recall, f1,
        support}}, "slices": {slice: {...}}, "confusion": [[...]]}
    """
    predicted = probabilities.argmax(axis=1)
    every = np.arange(len(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=every, zero_division=0
    )
    confusion = confusion_matrix(y, predicted, labels=every)
    kept = probabilities.max(axis=1) >= abstain_threshold
    buckets = np.asarray(age_buckets)
    lengths = np.asarray(text_lengths)
    slices: dict[str, dict[str, float]] = {}
    for name, members in AGE_SLICES.items():
        mask = np.isin(buckets, list(members))
        slices[name] = core_metrics(probabilities[mask], y[mask])
    for name, (low, high) in LENGTH_SLICES.items():
        mask = (lengths >= low) & (lengths < high)
        slices[name] = core_metrics(probabilities[mask], y[mask])
    return {
        "overall": core_metrics(probabilities, y),
        "selective": {
            "abstain_threshold": float(abstain_threshold),
            "coverage": float(kept.mean()),
            "selective_accuracy": float((predicted[kept] == y[kept]).mean()) if kept.any() else 0.0,
        },
        "per_department": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "slices": slices,
        "confusion": confusion.tolist(),
    }


def plot_confusion(confusion: np.ndarray, labels: Sequence[str], path: Path, title: str) -> None:
    """Confusion matrix PNG, rows = true department, normalised per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(
        confusion, rows, out=np.zeros_like(confusion, dtype=float), where=rows > 0
    )
    fig, ax = plt.subplots(figsize=(9, 8))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(probabilities: np.ndarray, y: np.ndarray, path: Path, title: str) -> None:
    """Reliability diagram PNG: accuracy against confidence per bin, with bin counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = _reliability(probabilities.max(axis=1), probabilities.argmax(axis=1) == y)
    centres = [mean for mean, _, _, _ in found]
    accuracies = [accuracy for _, accuracy, _, _ in found]
    counts = [count for _, _, _, count in found]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(centres, accuracies, "o-", label="model")
    for x, acc, n in zip(centres, accuracies, counts, strict=True):
        ax.annotate(str(n), (x, acc), fontsize=6, xytext=(2, -8), textcoords="offset points")
    ax.set_xlabel("confidence (top-1 probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}\nECE={expected_calibration_error(probabilities, y):.3f}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
