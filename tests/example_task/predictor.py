"""The fourth task's torch-free side: schemas, manifest section, predictor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from runtime.bundle import Bundle
from runtime.onnx import OnnxModel
from runtime.predictor import BundlePredictor, ManifestSection
from runtime.schema import ModelRef

TASK = "length"


class LengthRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)


class LengthResult(BaseModel):
    id: str
    relative_length: float
    long: bool
    model: ModelRef


class LengthPostprocessing(ManifestSection):
    long_above: float = Field(gt=0)


class LengthPredictor(BundlePredictor):
    """relative_length = len(text) / the training texts' mean length (the graph's scale)."""

    task = TASK
    request_model = LengthRequest

    def __init__(self, bundle: Bundle, model: OnnxModel, long_above: float) -> None:
        self.bundle = bundle
        self.model = model
        self.long_above = long_above

    @classmethod
    def _build(cls, bundle: Bundle, threads: int) -> LengthPredictor:
        post = LengthPostprocessing.read(bundle, "postprocessing")
        manifest = bundle.manifest
        model = OnnxModel(bundle.file("model.onnx"), manifest.inputs, manifest.outputs, threads)
        return cls(bundle, model, post.long_above)

    def predict(self, requests: Sequence[LengthRequest]) -> list[LengthResult]:
        if not requests:
            return []
        lengths = np.array([[len(r.text)] for r in requests], dtype=np.float32)
        relative = self.model.run({"length": lengths})[0][:, 0]
        return [
            LengthResult(
                id=r.id,
                relative_length=round(float(v), 6),
                long=bool(v > self.long_above),
                model=self.model_ref,
            )
            for r, v in zip(requests, relative, strict=True)
        ]

    def headline_metrics(self) -> dict[str, Any]:
        return {"mean_length": self.bundle.manifest.metrics.get("mean_length")}

    @staticmethod
    def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
        if expected["long"] != got["long"]:
            return f"long is {got['long']}, expected {expected['long']}"
        if abs(expected["relative_length"] - got["relative_length"]) > 1e-5:
            return f"relative_length is {got['relative_length']}"
        return None
