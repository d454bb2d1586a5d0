"""The task table: every task the package serves and trains, in one place.

The batch CLIs, the frame scorer (Spark, MLflow pyfunc), the training CLI, the registry's
promotion, the MLflow model logging and the service all read this table; a new task is its own
package plus one entry here. Entries name their pieces as "module:object" strings, imported only
when used, so reading the table costs nothing and the torch-free side never imports a training
module: `TaskSpec.training` and `TaskSpec.config` are resolved only by `training/`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskSpec:
    """Where one task's pieces live.

    Attributes:
        name: the task name (manifest `task`, CLI argument, registered model name by default).
        predictor: the torch-free predictor class (`runtime.predictor.Predictor`).
        request: the strict pydantic request model (one input row, one JSON line).
        result: the pydantic result model (one output row).
        packages: the packages a logged MLflow model needs to run the predictor (`code_paths`).
        config: the training run config class (pydantic; `task:` in its YAML selects it).
        training: the training side's `TaskTraining` (train, promotion metrics).
    """

    name: str
    predictor: str
    request: str
    result: str
    packages: tuple[str, ...]
    config: str = ""
    training: str = ""


TASKS: dict[str, TaskSpec] = {
    "triage": TaskSpec(
        name="triage",
        predictor="triage.predictor:TriagePredictor",
        request="triage.schema:TriageRequest",
        result="triage.schema:TriageResult",
        packages=("runtime", "triage"),
        config="training.config:TriageConfig",
        training="training.triage.train:TASK_TRAINING",
    ),
    "prescription": TaskSpec(
        name="prescription",
        predictor="prescription.predictor:PrescriptionPredictor",
        request="prescription.schema:CheckRequest",
        result="prescription.schema:CheckResult",
        packages=("runtime", "prescription"),
        config="training.config:PrescriptionConfig",
        training="training.prescription.train:TASK_TRAINING",
    ),
    "recommend": TaskSpec(
        name="recommend",
        predictor="recommend.predictor:RecommendPredictor",
        request="recommend.schema:ScoreRequest",
        result="recommend.schema:ScoreResult",
        packages=("runtime", "prescription", "recommend"),
        config="training.config:RecommendConfig",
        training="training.recommend.train:TASK_TRAINING",
    ),
}


def import_object(dotted: str) -> Any:
    """The object a "module:name" string names (imported now)."""
    module, name = dotted.split(":")
    return getattr(importlib.import_module(module), name)


def task_spec(task: str) -> TaskSpec:
    """The spec of `task`; a clear error names the known tasks."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[task]


def task_names() -> tuple[str, ...]:
    """The known tasks, in table order."""
    return tuple(TASKS)


def predictor_class(task: str) -> Any:
    """The predictor class of `task` (imported now)."""
    return import_object(task_spec(task).predictor)
