"""What every triage family hands to the pipeline: `Trained`, and the `Feeds` its graph reads.

A module of its own so that the families (families.py, bert.py) and the pipeline (train.py) all
depend on it, and none of them on each other for these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from triage.predictor import Encoder

Feeds = dict[str, np.ndarray]


@dataclass
class Trained:
    """A fitted model of one architecture, ready to export and evaluate.

    Attributes:
        architecture: versioned name, e.g. triage.tfidf_mlp.v1.
        onnx_model: the exported graph (feeds -> logits[, evidence outputs]).
        encoder: normalised texts + age buckets -> feeds (the same code the predictor uses).
        reference: the original model on feeds -> every output of its graph, for the parity
            check: the logits, and the evidence outputs where the graph has them.
        preprocessing: the manifest's preprocessing section.
        files: extra bundle files (vocab.json, tokenizer.json).
        params: hyperparameters to log.
        train_seconds: wall time of fitting.
        eager_model: the torch module, for the ONNX-vs-eager benchmark (None for sklearn).
        save_eager: writes the eager model to a folder (safetensors), outside the bundle.
        extra_metrics: architecture-specific metrics to log.
        postprocessing: architecture-specific entries of the manifest's postprocessing section.
    """

    architecture: str
    onnx_model: onnx.ModelProto
    encoder: Encoder
    reference: Callable[[Feeds], np.ndarray | dict[str, np.ndarray]]
    preprocessing: dict[str, Any]
    files: dict[str, bytes | str | Path]
    params: dict[str, Any]
    train_seconds: float
    eager_model: Any = None
    save_eager: Callable[[Path], None] | None = None
    extra_metrics: dict[str, float] = field(default_factory=dict)
    postprocessing: dict[str, Any] = field(default_factory=dict)
