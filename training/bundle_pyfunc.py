"""MLflow pyfunc model defined from code: it wraps a bundle, never the other way round.

`mlflow.pyfunc.load_model(...)` runs `load_context`, which loads the bundle with the torch-free
predictor; MLflow stores this file, not a pickle. Used by `Tracker.log_bundle_model`.
"""

from __future__ import annotations

import importlib
from typing import Any

import mlflow

# task -> (module, predictor class, request class, method)
PREDICTORS = {
    "triage": ("triage", "TriagePredictor", "TriageRequest", "predict"),
}


class BundlePyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
    """Scores request dicts with the bundle's own predictor."""

    def load_context(self, context: Any) -> None:
        from runtime.bundle import load_bundle

        path = context.artifacts["bundle"]
        task = load_bundle(path).manifest.task
        module_name, predictor_name, request_name, method = PREDICTORS[task]
        module = importlib.import_module(module_name)
        self.predictor = getattr(module, predictor_name).from_bundle(path)
        self.request_type = getattr(module, request_name)
        self.method = method

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        records = model_input.to_dict("records") if hasattr(model_input, "to_dict") else model_input
        requests = [self.request_type.model_validate(r) for r in records]
        return [r.model_dump() for r in getattr(self.predictor, self.method)(requests)]


mlflow.models.set_model(BundlePyfunc())
