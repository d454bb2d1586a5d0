"""A fourth task is its own package plus one task-table entry (issue 15).

`tests/example_task` is written against the contracts only (runtime.predictor, training.pipeline).
Registered in the table, it trains through `python -m training train`, is promoted by the
registry, scored by the frame scorer (Spark, pyfunc) and served by the service's model slots,
none of which names it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from runtime import tasks
from runtime.predictor import Predictor
from runtime.tasks import TaskSpec

LENGTH = TaskSpec(
    name="length",
    predictor="tests.example_task.predictor:LengthPredictor",
    request="tests.example_task.predictor:LengthRequest",
    result="tests.example_task.predictor:LengthResult",
    packages=("runtime", "tests"),
    config="tests.example_task.train:LengthConfig",
    training="tests.example_task.train:TASK_TRAINING",
)


@pytest.fixture
def length_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(tasks.TASKS, "length", LENGTH)


@pytest.fixture
def length_run(length_task: None, tmp_path: Path, tracking_uri: str) -> dict[str, Any]:
    from training.__main__ import app

    config = tmp_path / "length.yaml"
    texts = ["头痛两天", "咳嗽", "发热三天伴咽痛", "腹痛腹泻一天，呕吐两次"]
    config.write_text(
        yaml.safe_dump(
            {"task": "length", "output_dir": str(tmp_path / "runs"), "texts": texts},
            allow_unicode=True,
        )
    )
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(app, ["train", "length", "--config", str(config)])
    finally:  # the CLI points logging at the runner's stderr, closed after the call
        root.handlers[:], root.level = handlers, level
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_fourth_task_trains_registers_and_loads_through_the_table(
    length_run: dict[str, Any],
) -> None:
    from runtime.tasks import predictor_class

    assert length_run["task"] == "length"
    assert (
        length_run["registered"].startswith("length v") and "@candidate" in length_run["registered"]
    )
    summary_file = Path(length_run["run_dir"]) / "summary.json"
    assert json.loads(summary_file.read_text())["bundle"] == length_run["bundle"]
    predictor = predictor_class("length").from_bundle(length_run["bundle"])
    assert isinstance(predictor, Predictor)
    assert predictor.headline_metrics()["mean_length"] == pytest.approx(6.0)


def test_fourth_task_scores_in_frames_and_is_served(
    length_run: dict[str, Any], tmp_path: Path
) -> None:
    from runtime.frames import FrameScorer
    from runtime.tasks import predictor_class
    from service.models import ServingModels

    predictor = predictor_class("length").from_bundle(length_run["bundle"])
    rows = FrameScorer("length", predictor).score_records(
        [{"id": "a", "text": "胸痛伴大汗，持续半小时不缓解"}, {"id": "b", "text": ""}]
    )
    assert rows[0]["long"] is True and rows[0]["error"] is None
    assert rows[1]["error"] and "text" in rows[1]["error"]
    served = ServingModels({"length": Path(length_run["bundle"])}, allow_unsigned=True)
    assert served.reload()["length"].startswith("loaded ")
    assert served.slots["length"].info()["metrics"] == {"mean_length": 6.0}


def test_fourth_task_is_promoted_by_the_registry(length_run: dict[str, Any]) -> None:
    from training.registry import promote
    from training.tracking import Tracker

    decision = promote(Tracker(), "length", "length", None)
    assert decision.promoted and "champion" in decision.reason
