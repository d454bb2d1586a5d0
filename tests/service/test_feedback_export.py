"""Doctors' corrections -> `python -m training export-feedback` -> a labelled CSV that the next
triage run reads through `data.feedback` (training split only) and logs as a data source."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from service.store import ConsultationStore
from training.config import TriageDataConfig
from training.triage.data import load_triage_data

ROOT = Path(__file__).resolve().parents[2]


def test_feedback_export_feeds_the_next_triage_run(tmp_path: Path) -> None:
    departments = [
        d
        for d in __import__("json").loads((ROOT / "data/demo/departments.json").read_text())[
            "departments"
        ]
    ]
    names = [d["name"] for d in departments]
    store = ConsultationStore(tmp_path / "db.sqlite")
    for i, text in enumerate(
        ["反复咳嗽两周，夜间加重", "膝关节疼痛，上下楼梯加重", "皮疹瘙痒一周"]
    ):
        store.add_consultation(
            {"id": f"c{i}", "text": text, "age": 40 + i, "sex": "F"},
            {
                "departments": [{"name": names[i], "probability": 0.6}],
                "abstain": False,
                "urgency": "routine",
                "red_flags": [],
                "model": {"name": "triage", "version": "v1"},
            },
        )
    store.add_feedback("f0", "c0", names[0], "confirm", "dr-li")
    store.add_feedback("f1", "c1", names[0], "correct", "dr-li")
    store.add_feedback("f2", "c1", names[2], "correct", "dr-wang")  # the later decision wins
    out = tmp_path / "feedback.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "export-feedback",
            "--database",
            str(tmp_path / "db.sqlite"),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 consultations (1 corrected)" in proc.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["id"], r["department"], r["action"]) for r in rows] == [
        ("c0", names[0], "confirm"),
        ("c1", names[2], "correct"),
    ]
    assert rows[1]["suggested"] == names[1] and rows[1]["model_version"] == "v1"

    data = load_triage_data(TriageDataConfig(source="demo", feedback=[str(out)]))
    added = data.frame[data.frame["origin"] == f"feedback:{out.name}"]
    assert len(added) == 2 and set(added["split"]) == {"train"}
    assert set(added["department"]) == {names[0], names[2]}
    assert str(out) in data.files


def test_feedback_export_without_a_database_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "export-feedback",
            "--database",
            str(tmp_path / "none.db"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "no database" in proc.stderr


def test_feedback_export_is_logged_as_an_mlflow_data_source(
    tmp_path: Path, tracking_uri: str
) -> None:
    import mlflow

    from tests.conftest import TINY_TRIAGE_OVERRIDES
    from training.config import load_config
    from training.tracking import Tracker
    from training.triage.train import train_triage

    names = [
        d["name"]
        for d in __import__("json").loads((ROOT / "data/demo/departments.json").read_text())[
            "departments"
        ]
    ]
    feedback = tmp_path / "feedback.csv"
    feedback.write_text(
        "id,text,age,sex,department,action,suggested,doctor,decided_at,model_version\n"
        f"d1,咽痛发热两天,25,F,{names[3]},correct,{names[0]},dr,2026-12-01T00:00:00+00:00,v1\n",
        encoding="utf-8",
    )
    config = load_config(
        ROOT / "configs/triage.yaml",
        [
            *TINY_TRIAGE_OVERRIDES,
            f"output_dir={tmp_path / 'run'}",
            f"data.feedback=['{feedback}']",
            "models=[{architecture: triage.tfidf_logreg.v1, max_iter: 100}]",
            # its own registered model: the session's `triage` aliases belong to the pipeline tests
            "tracking.registered_model=triage-feedback-test",
            "tracking.experiment=triage-feedback-test",
        ],
    )
    summary = train_triage(config, Tracker(tracking_uri), "configs/triage.yaml")  # type: ignore[arg-type]
    run = mlflow.MlflowClient(tracking_uri).get_run(summary["mlflow_run_id"])
    inputs = [d.dataset.name for d in run.inputs.dataset_inputs]
    assert f"feedback:{feedback.name}" in inputs
    assert run.data.metrics[f"rows.feedback:{feedback.name}"] == 1.0
