"""The urgency backstop's two detectors, one interface: a logistic regression
("triage.urgency_backstop.v1") and a one-hidden-layer network ("triage.urgency_backstop_mlp.v1").

Both read the same inputs (the character n-gram TF-IDF rows and, when configured, a dense block:
the sentence embedding, then the context features) and export to the same embedding-bag graph
(``training.export.bag_graph``: ids, weights[, dense] -> one logit), so the predictor scores
either without knowing which it is. The network can weigh an alarm word differently with and
without the words around it (a denial, a past date, a question); a linear model adds them up.
Judged leave-one-file-out in urgency round 16 (README).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import onnx
import torch
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from training.config import UrgencyBackstopConfig
from training.export import bag_graph
from training.progress import progress
from training.triage.families import TfidfMlp, _bag_inputs, _mlp_logits, _mlp_optimizers

LINEAR = "triage.urgency_backstop.v1"
MLP = "triage.urgency_backstop_mlp.v1"


class Detector(Protocol):
    """A fitted backstop model: logits for (sparse n-gram rows, dense rows) and its graph."""

    architecture: str

    def logits(self, x: sparse.csr_matrix, dense: np.ndarray | None) -> np.ndarray: ...

    def graph(self, n_sparse: int, opset: int) -> onnx.ModelProto: ...


def probabilities(detector: Detector, x: sparse.csr_matrix, dense: np.ndarray | None) -> np.ndarray:
    """P(emergency) from a detector's logits."""
    result: np.ndarray = 1.0 / (1.0 + np.exp(-detector.logits(x, dense).astype(np.float64)))
    return result


def _joined(x: sparse.csr_matrix, dense: np.ndarray | None) -> sparse.csr_matrix:
    return x if dense is None else sparse.hstack([x, sparse.csr_matrix(dense)]).tocsr()


class LinearDetector:
    """scikit-learn's logistic regression over [n-grams, dense]."""

    architecture = LINEAR

    def __init__(self, model: LogisticRegression) -> None:
        self.model = model

    def logits(self, x: sparse.csr_matrix, dense: np.ndarray | None) -> np.ndarray:
        result: np.ndarray = self.model.decision_function(_joined(x, dense))
        return result

    def graph(self, n_sparse: int, opset: int) -> onnx.ModelProto:
        coef = self.model.coef_.T.astype(np.float32)
        return bag_graph(
            coef[:n_sparse],
            self.model.intercept_.astype(np.float32),
            name="triage_urgency_backstop",
            opset=opset,
            dense_weight=coef[n_sparse:] if coef.shape[0] > n_sparse else None,
        )


class MlpDetector:
    """A `TfidfMlp` with one output: embedding bag + dense map -> ReLU -> logit."""

    architecture = MLP

    def __init__(self, network: TfidfMlp) -> None:
        self.network = network

    def logits(self, x: sparse.csr_matrix, dense: np.ndarray | None) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        part = None if dense is None else dense.astype(np.float32, copy=False)
        result: np.ndarray = _mlp_logits(self.network, x, part)[:, 0]
        return result

    def graph(self, n_sparse: int, opset: int) -> onnx.ModelProto:
        return self.network.graph("triage_urgency_backstop", opset, evidence=False)


def fit_detector(
    settings: UrgencyBackstopConfig,
    x: sparse.csr_matrix,
    dense: np.ndarray | None,
    y: np.ndarray,
    weights: np.ndarray,
    seed: int,
) -> Detector:
    """The detector ``settings.model`` names, fitted with class-balanced sample weights."""
    if settings.model == "logreg":
        model = LogisticRegression(C=settings.C, max_iter=3000, class_weight="balanced")
        return LinearDetector(model.fit(_joined(x, dense), y, sample_weight=weights))
    return MlpDetector(_fit_network(settings, x, dense, y, weights, seed))


def _fit_network(
    settings: UrgencyBackstopConfig,
    x: sparse.csr_matrix,
    dense: np.ndarray | None,
    y: np.ndarray,
    weights: np.ndarray,
    seed: int,
) -> TfidfMlp:
    """Weighted binary cross-entropy, the class weights of scikit-learn's "balanced" (each class
    carries half the total) times each row's own weight, as the regression is fitted."""
    mlp = settings.mlp
    torch.manual_seed(seed)
    network = TfidfMlp(
        x.shape[1], mlp.hidden, 1, 0, mlp.dropout, 0 if dense is None else dense.shape[1]
    )
    optimizers = _mlp_optimizers(network, mlp.lr)
    share = float(y.mean())
    balanced = np.where(y == 1, 0.5 / share, 0.5 / (1.0 - share))
    row_weight = torch.from_numpy((weights * balanced).astype(np.float32))
    target = torch.from_numpy(y.astype(np.float32))
    dense32 = None if dense is None else dense.astype(np.float32)
    generator = torch.Generator().manual_seed(seed)
    network.train()
    for epoch in range(mlp.epochs):
        order = torch.randperm(x.shape[0], generator=generator).numpy()
        batches = progress(
            range(0, len(order), mlp.batch_size), f"urgency backstop epoch {epoch + 1}/{mlp.epochs}"
        )
        for start in batches:
            index = order[start : start + mlp.batch_size]
            part = None if dense32 is None else dense32[index]
            logit = network(*_bag_inputs(x[index], part))[0][:, 0]
            losses = torch.nn.functional.binary_cross_entropy_with_logits(
                logit, target[index], reduction="none"
            )
            loss = (losses * row_weight[index]).sum() / row_weight[index].sum()
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
    network.eval()
    return network
