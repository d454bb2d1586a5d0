"""PairScorer: the learned interaction model behind an ONNX graph (torch-free).

The graph maps two drug row indices to P(interaction) and a severity distribution over
(major, moderate, minor); per-drug features live inside the graph, so inference needs no RDKit.
The scorer abstains for drugs the model has no features for, or whose features are unlike every
drug it was trained on (novelty below the threshold chosen at training time). It never predicts
"contraindicated": that level is the knowledge base's alone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.onnx import OnnxModel

SEVERITIES = ("major", "moderate", "minor")


@dataclass(frozen=True)
class PairScore:
    """The model's answer for one pair; `abstained` carries the reason when it gave none."""

    p_interaction: float | None
    severity: dict[str, float] | None
    abstained: str | None = None

    @property
    def predicted_level(self) -> str | None:
        """Most probable severity, or None when abstained."""
        if self.severity is None:
            return None
        return max(self.severity, key=self.severity.__getitem__)


class PairScorer:
    """Scores drug pairs with the bundle's ONNX model.

    Args:
        model: the graph (drug_a, drug_b -> p_interaction, severity).
        index: canonical drug -> row index in the graph's feature matrix.
        novelty: canonical drug -> max cosine similarity to a training drug (1.0 if seen).
        novelty_threshold: below this the scorer abstains.
    """

    def __init__(
        self,
        model: OnnxModel,
        index: dict[str, int],
        novelty: dict[str, float],
        novelty_threshold: float,
    ) -> None:
        self.model = model
        self.index = index
        self.novelty = novelty
        self.novelty_threshold = novelty_threshold

    @staticmethod
    def read_drugs(path: Path) -> tuple[dict[str, int], dict[str, float]]:
        """Read model_drugs.csv (drug, index, novelty)."""
        index: dict[str, int] = {}
        novelty: dict[str, float] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                index[row["drug"]] = int(row["index"])
                novelty[row["drug"]] = float(row["novelty"])
        return index, novelty

    def _abstain_reason(self, drug: str) -> str | None:
        if drug not in self.index:
            return f"no model features for {drug}"
        if self.novelty[drug] < self.novelty_threshold:
            similarity = self.novelty[drug]
            return (
                f"{drug} is unlike the drugs the model was trained on (similarity {similarity:.2f})"
            )
        return None

    def score(self, pairs: list[tuple[str, str]]) -> list[PairScore]:
        """Score pairs in one graph call; abstained pairs are not sent to the graph."""
        results: list[PairScore | None] = [None] * len(pairs)
        todo: list[int] = []
        for i, (a, b) in enumerate(pairs):
            reason = self._abstain_reason(a) or self._abstain_reason(b)
            if reason:
                results[i] = PairScore(None, None, reason)
            else:
                todo.append(i)
        if todo:
            drug_a = np.array([self.index[pairs[i][0]] for i in todo], dtype=np.int64)
            drug_b = np.array([self.index[pairs[i][1]] for i in todo], dtype=np.int64)
            p, severity = self.model.run({"drug_a": drug_a, "drug_b": drug_b})
            p_rows = np.round(p.astype(np.float64), 6).tolist()
            severity_rows = np.round(severity.astype(np.float64), 6).tolist()
            for row, i in enumerate(todo):
                results[i] = PairScore(
                    p_rows[row], dict(zip(SEVERITIES, severity_rows[row], strict=True))
                )
        return [r for r in results if r is not None]
