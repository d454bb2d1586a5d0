"""MLflow on the side: the only training module that imports mlflow.

Runs log params, metrics, plots and the bundle. The deployed bundle is registered as a pyfunc
model (defined from code in `training/bundle_pyfunc.py`, so nothing is pickled) whose only
artifact is the bundle folder; aliases (`candidate`, `champion`) mark what to deploy. The service
never talks to MLflow: `pull` copies a bundle out onto disk.

Default store: a SQLite file under the project, `mlflow.db` (MLflow's own default, so `mlflow`
commands and `mlflow.pyfunc.load_model("models:/triage@champion")` run from the project folder
find it), artifacts in `mlartifacts/`; `MLFLOW_TRACKING_URI` overrides it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TRACKING_ENV = "MLFLOW_TRACKING_URI"
PYFUNC_FILE = Path(__file__).with_name("bundle_pyfunc.py")
BUNDLE_ARTIFACT = "bundle"
# The pyfunc wrapper needs only the torch-free side; listing it avoids MLflow's slow inference.
PYFUNC_REQUIREMENTS = ["numpy", "onnxruntime", "tokenizers", "pydantic"]
_BAD_KEY = re.compile(r"[^\w\-. /:]")


def default_tracking_uri(root: Path | None = None) -> str:
    """$MLFLOW_TRACKING_URI, else a SQLite store in the project folder."""
    if os.environ.get(TRACKING_ENV):
        return os.environ[TRACKING_ENV]
    root = (root or Path.cwd()).resolve()
    return f"sqlite:///{root / 'mlflow.db'}"


def metric_key(name: str) -> str:
    """Make a metric or param key MLflow accepts."""
    return _BAD_KEY.sub("_", name)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def pyfunc_signature(task: str) -> Any:
    """The pyfunc's signature: the scorer's columns out (so `spark_udf` can return a struct of
    them), and no input schema, on purpose.

    An input schema breaks an input format `mlflow models serve` documents, whatever its types
    (MLflow 3.17, `mlflow/pyfunc/scoring_server`, `mlflow/utils/proto_json_utils.py`):
    - CSV needs every column typed (`Schema.pandas_types()` refuses `Any`), yet no MLflow type
      takes both an int64 column (ages, k) and a float64 one (the same column holding a null,
      as Spark and Parquet hand it over): `long` refuses float64, `double` refuses int64, and a
      declared `double` turns one bad cell into a failed request instead of an error row;
    - MLflow's schema check drops undeclared columns and refuses a request missing a required
      one before the model runs, where the scorer answers each row (a missing `text` is that
      row's error).
    With none, the server's parsers pass the input through and the frame scorer judges each
    row against the strict request schema; the input example shows the fields.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    from runtime.frames import output_columns

    kinds = {
        "string": "string",
        "json": "string",
        "boolean": "boolean",
        "bigint": "long",
        "double": "double",
    }
    outputs: list[Any] = [
        ColSpec(kinds[c.kind], c.name, required=False) for c in output_columns(task)
    ]
    return ModelSignature(inputs=None, outputs=Schema(outputs))


class Tracker:
    """Thin wrapper over the MLflow client for one tracking store.

    Args:
        uri: tracking URI; None means `default_tracking_uri()`.
    """

    def __init__(self, uri: str | None = None) -> None:
        self.uri = uri or default_tracking_uri()
        # Per-file download bars flood logs and CI output; runs already log their own progress.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        import mlflow

        self._mlflow = mlflow
        mlflow.set_tracking_uri(self.uri)
        self.client = mlflow.MlflowClient(self.uri)

    def _experiment_id(self, name: str) -> str:
        experiment = self.client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        location = None
        if self.uri.startswith("sqlite:///"):
            # Keep artifacts beside the SQLite store, not wherever the command happened to run.
            store = Path(self.uri.removeprefix("sqlite:///")).parent / "mlartifacts" / name
            location = store.resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    @contextmanager
    def run(
        self,
        experiment: str,
        run_name: str,
        tags: dict[str, str] | None = None,
        nested: bool = False,
    ) -> Iterator[str]:
        """Start a run (nested under the active one when `nested`) and yield its id."""
        experiment_id = self._experiment_id(experiment)
        with self._mlflow.start_run(
            experiment_id=experiment_id, run_name=run_name, nested=nested, tags=tags
        ) as active:
            yield active.info.run_id

    def log_params(self, params: dict[str, Any]) -> None:
        """Log flattened params (values stringified, truncated to MLflow's 6000-char limit)."""
        flat = {metric_key(k): str(v)[:6000] for k, v in flatten(params).items()}
        self._mlflow.log_params(flat)

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Log the numeric leaves of a nested metrics dict."""
        flat = {
            metric_key(k): float(v)
            for k, v in flatten(metrics).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        self._mlflow.log_metrics(flat, step=step)

    def log_dict(self, value: dict[str, Any], artifact_file: str) -> None:
        """Log a dict as a JSON artifact."""
        self._mlflow.log_dict(value, artifact_file)

    def log_dataset(self, frame: Any, source: str, name: str, context: str = "training") -> None:
        """Record a data source of the active run as an MLflow dataset input (digest, schema,
        row count), e.g. the doctors' feedback that joined a triage run."""
        dataset = self._mlflow.data.from_pandas(frame, source=source, name=name)  # type: ignore[attr-defined]
        self._mlflow.log_input(dataset, context=context)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        """Log a file or a folder."""
        if path.is_dir():
            self._mlflow.log_artifacts(str(path), artifact_path)
        else:
            self._mlflow.log_artifact(str(path), artifact_path)

    def set_tags(self, tags: dict[str, str]) -> None:
        """Tag the active run."""
        self._mlflow.set_tags(tags)

    def log_bundle_model(self, bundle_dir: Path, code_paths: list[str]) -> str:
        """Log the bundle as a pyfunc model in the active run, with a signature and an input
        example (the bundle's golden requests); return its model URI."""
        import pandas as pd

        from runtime.bundle import load_bundle

        task = load_bundle(bundle_dir).manifest.task
        examples = [
            json.loads(line)["request"]
            for line in (bundle_dir / "examples.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ][:3]
        info = self._mlflow.pyfunc.log_model(
            name="model",
            python_model=str(PYFUNC_FILE),
            artifacts={BUNDLE_ARTIFACT: str(bundle_dir)},
            code_paths=code_paths,
            pip_requirements=PYFUNC_REQUIREMENTS,
            signature=pyfunc_signature(task),
            input_example=pd.DataFrame(examples),
        )
        return str(info.model_uri)

    def register(self, model_uri: str, name: str, alias: str, tags: dict[str, str]) -> str:
        """Register a logged model under `name`, tag the version and point `alias` at it."""
        version = self._mlflow.register_model(model_uri, name, tags=tags)
        self.client.set_registered_model_alias(name, alias, version.version)
        logger.info("registered %s version %s as @%s", name, version.version, alias)
        return str(version.version)

    def alias_version(self, name: str, alias: str) -> Any | None:
        """The model version an alias points to, or None."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias)
        except MlflowException:
            return None

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point an alias at a version."""
        self.client.set_registered_model_alias(name, alias, version)

    def model_version(self, name: str, version: str) -> Any | None:
        """A registered version (with its tags), or None when there is no such version."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version(name, version)
        except MlflowException:
            return None

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        """Set tags on a registered version (values cut to MLflow's 5000-character limit)."""
        for key, value in tags.items():
            self.client.set_model_version_tag(name, version, key, str(value)[:5000])

    def download_bundle(self, name: str, version: str, destination: Path) -> Path:
        """Copy the bundle of a registered version into `destination`/<bundle folder>.

        Returns:
            The folder holding the bundle's files.
        """
        scratch = Path(tempfile.mkdtemp(prefix="pull-"))
        try:
            local = Path(
                self._mlflow.artifacts.download_artifacts(
                    artifact_uri=f"models:/{name}/{version}", dst_path=str(scratch)
                )
            )
            # The outermost manifest is the bundle; deeper ones are bundles it embeds.
            found = sorted(
                (p.parent for p in local.rglob("manifest.json")), key=lambda p: len(p.parts)
            )
            if not found or any(found[0] not in p.parents for p in found[1:]):
                raise RuntimeError(f"{name} v{version}: expected one bundle, found {len(found)}")
            destination.mkdir(parents=True, exist_ok=True)
            target = destination / found[0].name
            shutil.copytree(found[0], target)
            return target
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
