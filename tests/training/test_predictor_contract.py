"""One contract, run against every predictor of the task table (issue 15): golden replay, batch
equals single, a missing manifest key refuses the bundle, no heavy library is imported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import BundleError
from runtime.predictor import Predictor
from runtime.tasks import TASKS, predictor_class

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sklearn", "pandas", "mlflow")
# task -> (manifest section, a key its predictor must refuse to do without)
REQUIRED_KEY = {
    "triage": ("postprocessing", "top_k"),
    "prescription": ("postprocessing", "model_alert_threshold"),
    "recommend": ("preprocessing", "history_limit"),
}


def test_every_task_of_the_table_is_under_contract() -> None:
    assert set(REQUIRED_KEY) == set(TASKS)


@pytest.fixture(params=sorted(REQUIRED_KEY))
def task_bundle(request: pytest.FixtureRequest) -> tuple[str, Path]:
    task: str = request.param
    return task, Path(request.getfixturevalue(f"{task}_bundle"))


def _examples(bundle: Path) -> list[dict[str, Any]]:
    lines = (bundle / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_contract_golden_replay_and_batch_equals_single(task_bundle: tuple[str, Path]) -> None:
    task, bundle = task_bundle
    cls = predictor_class(task)
    predictor = cls.from_bundle(bundle)
    assert isinstance(predictor, Predictor)
    assert predictor.task == task and predictor.model_ref.version == predictor.bundle.version
    examples = _examples(bundle)
    requests = [cls.request_model.model_validate(e["request"]) for e in examples]
    batch = predictor.predict(requests)
    assert len(batch) == len(requests)
    for example, request, answer in zip(examples, requests, batch, strict=True):
        assert cls._compare(example["expected"], answer.model_dump()) is None
        single = predictor.predict([request])[0].model_dump()
        assert cls._compare(answer.model_dump(), single) is None
        assert single["id"] == request.id
    assert predictor.predict([]) == []
    assert isinstance(predictor.headline_metrics(), dict)


def test_contract_missing_manifest_key_refuses_the_bundle(
    task_bundle: tuple[str, Path], tmp_path: Path
) -> None:
    task, bundle = task_bundle
    section, key = REQUIRED_KEY[task]
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    assert key in manifest[section], f"{task} bundles carry {section}.{key}"
    del manifest[section][key]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=key):
        predictor_class(task).from_bundle(copy)


def test_contract_predictor_loads_without_heavy_libraries(task_bundle: tuple[str, Path]) -> None:
    task, bundle = task_bundle
    code = (
        "import sys\n"
        "from runtime.tasks import predictor_class\n"
        f"predictor_class({task!r}).from_bundle({str(bundle)!r})\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
