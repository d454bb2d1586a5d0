"""Triage's promotion figures: a bundle re-scored on its candidate's fixed test split."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runtime.bundle import Bundle
from training.config import TriageDataConfig
from training.triage.data import load_triage_data
from training.triage.evaluate import core_metrics
from triage.predictor import TriagePredictor


def promotion_metrics(path: Path, candidate: Bundle, data_dir: str | None) -> dict[str, float]:
    """Accuracy (compared), macro-F1 and n of the bundle at `path` on the candidate's test split
    (its data config, without doctors' feedback or a row cap)."""
    data_config = TriageDataConfig.model_validate(candidate.manifest.training_config["data"])
    data_config = data_config.model_copy(update={"feedback": [], "max_train_rows": None})
    if data_dir:
        data_config = data_config.model_copy(update={"data_dir": data_dir})
    test = load_triage_data(data_config).part("test")
    predictor = TriagePredictor.from_bundle(path)
    probabilities = predictor.proba_for_buckets(list(test["text"]), list(test["age_bucket"]))
    index = {name: i for i, name in enumerate(predictor.labels)}
    # A department the bundle does not know counts as wrong (-1 matches no column).
    y = np.array([index.get(name, -1) for name in test["department"]])
    metrics = core_metrics(probabilities, y)
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "n": metrics["n"]}
