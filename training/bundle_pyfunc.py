"""MLflow pyfunc model defined from code: it wraps a bundle, never the other way round.

`mlflow.pyfunc.load_model(...)` runs `load_context`, which loads the bundle with the torch-free
predictor; MLflow stores this file, not a pickle. Used by `Tracker.log_bundle_model`.

`predict` takes a pandas DataFrame (one request per row) and returns one, scored by
`runtime.frames.FrameScorer`: the same columns as the Spark jobs (`id`, `error`, then the CLI's
fields, lists and objects as JSON text), a bad row as an `error` row. The type hint matters:
MLflow hands a `list`-typed predict only the first column of a table (`spark_udf` did exactly
that), and a DataFrame-typed one the whole row.
"""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd


class BundlePyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined,misc]
    """Scores request rows with the bundle's own predictor."""

    def load_context(self, context: Any) -> None:
        from runtime.bundle import load_bundle
        from runtime.frames import FrameScorer, shared_predictor

        path = context.artifacts["bundle"]
        task = load_bundle(path).manifest.task
        self.scorer = FrameScorer(task, shared_predictor(task, path))

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(list(model_input))  # a list of request dicts
        return self.scorer.score_pandas(model_input)


mlflow.models.set_model(BundlePyfunc())
