"""MLflow pyfunc model defined from code: it wraps a bundle, never the other way round.

`mlflow.pyfunc.load_model(...)` runs `load_context`, which loads the bundle with the torch-free
predictor; MLflow stores this file, not a pickle. Used by `Tracker.log_bundle_model`.

`predict` takes a pandas DataFrame (one request per row) and returns one, scored by
`runtime.frames.FrameScorer`: the same columns as the Spark jobs (`id`, `error`, then the CLI's
fields, lists and objects as JSON text), a bad row as an `error` row, one output row per request
in input order. The type hint matters: MLflow hands a `list`-typed predict only the first column
of a table (`spark_udf` did exactly that), and a DataFrame-typed one the whole row.

The model is logged with no input schema (see `training.tracking.pyfunc_signature`), so MLflow's
scoring server passes its parsed input through as it parsed it: a DataFrame for
`dataframe_split`, `dataframe_records`, CSV and Parquet, but a dict of numpy columns or a list of
records for `instances` and `inputs`. `FrameScorer.score_table` reads all of them.
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
        # `params` is accepted and unused: the model declares none, and MLflow drops (with a
        # warning) any a request sends rather than failing it
        return self.scorer.pandas_frame(pd.DataFrame, self.scorer.score_table(model_input))


mlflow.models.set_model(BundlePyfunc())
