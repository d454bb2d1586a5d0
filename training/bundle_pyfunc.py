"""MLflow pyfunc model defined from code: it wraps a bundle, never the other way round.

`mlflow.pyfunc.load_model(...)` runs `load_context`, which loads the bundle with the torch-free
predictor; MLflow stores this file, not a pickle. Used by `Tracker.log_bundle_model`.
"""

from __future__ import annotations

import importlib
from typing import Any

import mlflow

# task -> (predictor "module:class", request "module:class"); every predictor has
# from_bundle(path) and predict(requests).
PREDICTORS = {
    "triage": ("triage.predictor:TriagePredictor", "triage.schema:TriageRequest"),
    "prescription": (
        "prescription.predictor:PrescriptionPredictor",
        "prescription.schema:CheckRequest",
    ),
    "recommend": ("recommend.predictor:RecommendPredictor", "recommend.schema:ScoreRequest"),
}


def _load(dotted: str) -> Any:
    module, name = dotted.split(":")
    return getattr(importlib.import_module(module), name)


class BundlePyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
    """Scores request dicts with the bundle's own predictor."""

    def load_context(self, context: Any) -> None:
        from runtime.bundle import load_bundle

        path = context.artifacts["bundle"]
        task = load_bundle(path).manifest.task
        predictor, request = PREDICTORS[task]
        self.predictor = _load(predictor).from_bundle(path)
        self.request_type = _load(request)

    def predict(
        self, context: Any, model_input: list[Any], params: dict[str, Any] | None = None
    ) -> Any:
        records = model_input.to_dict("records") if hasattr(model_input, "to_dict") else model_input
        requests = [self.request_type.model_validate(r) for r in records]
        return [r.model_dump() for r in self.predictor.predict(requests)]


mlflow.models.set_model(BundlePyfunc())
