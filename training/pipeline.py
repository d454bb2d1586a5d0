"""The tail every training pipeline shares: from a fitted, exported model to a registered bundle.

A task supplies its data, its families and its evaluation; it hands this module a `BundleDraft`
(what the manifest says and which files go in) and two functions: `golden` records the answers
the staged bundle gives to its example requests, `card` writes the model card. The tail then

1. writes a scratch bundle without examples, loads it with the task's own predictor (self-test
   off) and records the golden answers from it: the answers come from the exact bundle served;
2. writes the final bundle (manifest, files, examples.jsonl, MODEL_CARD.md, sha256 per file);
3. reloads it as serving does (checksums, golden replay) and times the load;
4. logs it to MLflow as a pyfunc model and registers it as `@candidate`;
5. writes `summary.json` (one shape for every task: `RunSummary`) and points `latest` at the run.

The predictor class, the request model and the packages a logged model needs come from the task
table (`runtime.tasks`).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from runtime.bundle import Bundle, write_bundle
from runtime.tasks import import_object, predictor_class, task_spec
from training.export import git_commit, new_bundle_version, tensor_specs, utc_now
from training.tracking import Tracker

logger = logging.getLogger(__name__)

PENDING_EXAMPLES = '{"pending": true}\n'

Files = dict[str, bytes | str | Path]


@dataclass
class BundleDraft:
    """A bundle before its golden examples and card exist.

    Attributes:
        task: the task name (a key of `runtime.tasks.TASKS`).
        name: the registered model name.
        architecture: the versioned architecture name of the deployed model.
        version: the bundle version (also the run folder's name).
        training_config: the run's config, as JSON.
        data: what the data was (source, files, hashes, sizes).
        onnx_path: the exported graph; its tensor specs go into the manifest.
        preprocessing: the manifest's preprocessing section (a task's typed section, dumped).
        postprocessing: the manifest's postprocessing section.
        metrics: the evaluation figures.
        files: every other file of the bundle (name -> bytes, text or a path to copy).
        nested: embedded bundles (sub-folder -> bundle folder), e.g. the recommender's checker.
        opset: the ONNX opset the graph was exported with.
    """

    task: str
    name: str
    architecture: str
    version: str
    training_config: dict[str, Any]
    data: dict[str, Any]
    onnx_path: Path
    preprocessing: dict[str, Any]
    postprocessing: dict[str, Any]
    metrics: dict[str, Any]
    files: Files
    nested: dict[str, Path] | None = None
    opset: str = "17"

    def manifest(self) -> dict[str, Any]:
        """manifest.json as `runtime.bundle.Manifest` reads it (files are added on write)."""
        return {
            "task": self.task,
            "name": self.name,
            "architecture": self.architecture,
            "bundle_version": self.version,
            "created_at": utc_now(),
            "git_commit": git_commit(),
            "training_config": self.training_config,
            "data": self.data,
            **tensor_specs(self.onnx_path),
            "preprocessing": self.preprocessing,
            "postprocessing": self.postprocessing,
            "metrics": self.metrics,
            "runtime_requires": {"onnxruntime": ">=1.17", "opset": self.opset},
        }


@dataclass
class Golden:
    """What a task records from its staged bundle.

    Attributes:
        examples: examples.jsonl's text: one {"request", "expected"} object per line.
        metrics: figures measured on the staged bundle (behavioural cases, shift sets), merged
            into the manifest's metrics.
    """

    examples: str
    metrics: dict[str, Any] = field(default_factory=dict)


def golden_lines(predictor: Any, requests: list[dict[str, Any]]) -> str:
    """examples.jsonl for `requests`, answered by `predictor` (one batch, in order)."""
    request_model = type(predictor).request_model
    answers = predictor.predict([request_model.model_validate(r) for r in requests])
    return "".join(
        json.dumps({"request": r, "expected": a.model_dump()}, ensure_ascii=False) + "\n"
        for r, a in zip(requests, answers, strict=True)
    )


def build_bundle(
    draft: BundleDraft,
    folder: Path,
    golden: Callable[[Any], Golden],
    card: Callable[[dict[str, Any]], str],
) -> Bundle:
    """Steps 1-2 of the module docstring: stage, record golden answers, write the bundle.

    Args:
        draft: the bundle without examples and card.
        folder: where the final bundle goes (replaced if it exists).
        golden: staged predictor -> its golden examples and any figures measured on it.
        card: the final manifest (metrics included) -> MODEL_CARD.md.
    """
    manifest = draft.manifest()
    staging = {**draft.files, "examples.jsonl": PENDING_EXAMPLES, "MODEL_CARD.md": ""}
    scratch = Path(tempfile.mkdtemp(prefix=f"{draft.task}-bundle-"))
    try:
        staged = write_bundle(scratch / "b", manifest, staging, draft.nested)
        recorded = golden(predictor_class(draft.task).from_bundle(staged.path, self_test=False))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    manifest["metrics"] = {**manifest["metrics"], **recorded.metrics}
    files = {**draft.files, "examples.jsonl": recorded.examples, "MODEL_CARD.md": card(manifest)}
    if folder.exists():
        shutil.rmtree(folder)
    return write_bundle(folder, manifest, files, draft.nested)


def timed_reload(bundle: Bundle) -> tuple[Any, float]:
    """Step 3: load the written bundle as serving does; the predictor and the seconds it took."""
    started = time.perf_counter()
    predictor = predictor_class(bundle.manifest.task).from_bundle(bundle.path)
    return predictor, time.perf_counter() - started


def log_bundle(tracker: Tracker, bundle: Bundle) -> str:
    """Log a bundle as a pyfunc model in the active run (with the packages its task needs)."""
    packages = list(task_spec(bundle.manifest.task).packages)
    return tracker.log_bundle_model(bundle.path, code_paths=packages)


def register_candidate(
    tracker: Tracker, model_uri: str, name: str, bundle: Bundle, tags: dict[str, str]
) -> str:
    """Step 4: register a logged bundle as `name@candidate`; returns "name vN @candidate"."""
    version = tracker.register(
        model_uri,
        name,
        "candidate",
        tags={"bundle_version": bundle.version, "bundle_hash": bundle.bundle_hash, **tags},
    )
    return f"{name} v{version} @candidate"


class RunSummary(BaseModel):
    """summary.json, the same shape for every task.

    Attributes:
        task: the task.
        bundle_version: the run's bundle version (its folder under the output dir).
        run_dir: the run folder.
        bundle: the deployed (registered) bundle's folder.
        architecture: the deployed architecture.
        deployed_reason: why it was chosen (one family trained: "the only family").
        mlflow_run_id: the run that logged the deployed bundle.
        registered: "name vN @candidate".
        data_source: where the data came from (demo, haodf20, ddinter, instacart...).
        train_seconds: the whole pipeline, data loading to registration.
        bundle_load_seconds: the timed reload of the final bundle.
        details: the task's own figures (families compared, splits, behaviour, catalogue...).
    """

    model_config = ConfigDict(extra="forbid")

    task: str
    bundle_version: str
    run_dir: str
    bundle: str
    architecture: str
    deployed_reason: str
    mlflow_run_id: str
    registered: str
    data_source: str
    train_seconds: float
    bundle_load_seconds: float
    details: dict[str, Any]


def new_run(output_dir: str | Path) -> tuple[str, Path]:
    """A fresh bundle version and its run folder (created)."""
    version = new_bundle_version()
    run_dir = Path(output_dir) / version
    run_dir.mkdir(parents=True, exist_ok=True)
    return version, run_dir


def finish_run(output_dir: str | Path, summary: RunSummary) -> dict[str, Any]:
    """Step 5: write summary.json in the run folder and point `<output_dir>/latest` at it."""
    run_dir = Path(summary.run_dir)
    payload = summary.model_dump(mode="json")
    (run_dir / "summary.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    latest = Path(output_dir) / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(run_dir.name)
    logger.info(
        "%s %s: %s registered as %s (%.0f s)",
        summary.task,
        summary.bundle_version,
        summary.architecture,
        summary.registered,
        summary.train_seconds,
    )
    return payload


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:` ... `elapsed()` gives the seconds since the start."""
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


@dataclass(frozen=True)
class TaskTraining:
    """A task's training side, as the task table names it (`TaskSpec.training`).

    Attributes:
        train: (run config, tracker, config file name) -> the summary (`RunSummary` dumped).
        promotion_metrics: (bundle folder, candidate bundle, data-dir override) ->
            {metric: value}; the first key is the one `promote` compares, re-scored with the
            torch-free predictor on the candidate's fixed evaluation split.
        describe_data: run config -> which data the run trains on, in words; the training
            CLI's first line, said before anything is loaded (raises DataError as loading would).
    """

    train: Callable[[Any, Tracker, str], dict[str, Any]]
    promotion_metrics: Callable[[Path, Bundle, str | None], dict[str, float]]
    describe_data: Callable[[Any], str]


def task_training(task: str) -> TaskTraining:
    """The training side of `task`, as the task table names it (imported now)."""
    spec = task_spec(task)
    training = import_object(spec.training)
    if not isinstance(training, TaskTraining):
        raise TypeError(f"{spec.training} is not a TaskTraining")
    return training
