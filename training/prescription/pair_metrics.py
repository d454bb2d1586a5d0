"""Held-out metrics of a pair model on one split (`training.prescription.drug_features.Split`).

Public API:
    PairModel: the protocol both pair models follow (`InteractionModel`, `ClassPairPrior`):
        `predict(a_idx, b_idx) -> (p [B], severity [B, 3])`, indices are rows of the
        `DrugFeatures` the model was fitted on.
    evaluate(model, split, features) -> macro_f1, major_recall, auroc, n_pos, n_neg, ...
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, recall_score, roc_auc_score

from training.prescription.drug_features import DrugFeatures, Split
from training.prescription.severity import SEVERITIES, level_codes


class PairModel(Protocol):
    """Anything that scores drug pairs by feature-row index."""

    def predict(self, a_idx: np.ndarray, b_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(interaction) [B] and severity probabilities [B, 3] in SEVERITIES order."""
        ...


def evaluate(model: PairModel, split: Split, features: DrugFeatures) -> dict[str, float]:
    """Test metrics of one split.

    Returns:
        macro_f1: over major/moderate/minor on graded test pairs, predicted level = argmax.
        major_recall: recall of "major" on the same pairs.
        accuracy: severity accuracy on the same pairs.
        auroc: P(interaction) of all test positives (incl. "unknown") vs test negatives.
        auroc_hard: the same positives vs the hard (degree-weighted) test negatives, where
            knowing which drugs interact a lot no longer helps.
        predicted_rate_hard: share of hard negatives with P(interaction) >= 0.5.
        n_pos, n_neg, n_hard_neg, n_graded: test sizes.
    """
    _, severity = model.predict(
        features.indices(split.test["a"]), features.indices(split.test["b"])
    )
    codes = level_codes(split.test["level"])
    graded = codes >= 0
    predicted = severity[graded].argmax(axis=1)
    labels = list(range(len(SEVERITIES)))

    def p_interaction(frame: pd.DataFrame) -> np.ndarray:
        if len(frame) == 0:
            return np.zeros(0, dtype=np.float32)
        return model.predict(
            features.indices(list(frame["a"])), features.indices(list(frame["b"]))
        )[0]

    p_pos = p_interaction(split.test)
    p_uniform = p_interaction(split.test_negatives)
    p_hard = p_interaction(split.hard_test_negatives)

    def auroc_against(p_neg: np.ndarray) -> float:
        if len(p_pos) == 0 or len(p_neg) == 0:
            return float("nan")
        y = np.concatenate([np.ones(len(p_pos)), np.zeros(len(p_neg))])
        return float(roc_auc_score(y, np.concatenate([p_pos, p_neg])))

    return {
        "macro_f1": float(
            f1_score(codes[graded], predicted, labels=labels, average="macro", zero_division=0)
        ),
        "major_recall": float(
            recall_score(codes[graded], predicted, labels=[0], average="macro", zero_division=0)
        ),
        "accuracy": float((predicted == codes[graded]).mean()) if graded.any() else float("nan"),
        "auroc": auroc_against(p_uniform),
        "auroc_hard": auroc_against(p_hard),
        "predicted_rate_hard": float((p_hard >= 0.5).mean()) if len(p_hard) else float("nan"),
        "n_pos": float(len(split.test)),
        "n_neg": float(len(split.test_negatives)),
        "n_hard_neg": float(len(split.hard_test_negatives)),
        "n_graded": float(graded.sum()),
    }
