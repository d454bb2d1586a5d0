"""Doctors' corrections -> `python -m training export-feedback` -> a labelled CSV that the next
triage run reads through `data.feedback` (training split only) and logs as a data source."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from consultations.store import ConsultationStore
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
            # the backstop reads no feedback; training it on the whole gold would cost CI a minute
            "urgency.enabled=false",
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


def _store_with_urgency_decisions(path: Path, names: list[str]) -> ConsultationStore:
    store = ConsultationStore(path)
    levels = ["emergency", "consultation", "consultation_24", "self_care"]
    for i, level in enumerate(levels):
        store.add_consultation(
            {"id": f"u{i}", "text": f"症状{i}", "age": None, "sex": None},
            {
                "departments": [{"name": names[i], "probability": 0.6}],
                "abstain": False,
                "triage_level": level,
                "urgency": "emergency" if level == "emergency" else "routine",
                "red_flags": [],
                "reasons": [],
                "model": {"name": "triage", "version": "v2"},
            },
        )
    # u0: department and urgency in separate posts (the later urgency post hides neither)
    store.add_feedback("a", "u0", names[0], "confirm", "dr-li")
    store.add_feedback("b", "u0", None, None, "dr-wang", "too_high", "consultation_24")
    # u1: only the urgency, judged twice: the later decision wins
    store.add_feedback("c", "u1", None, None, "dr-li", "too_low", "emergency")
    store.add_feedback("d", "u1", None, None, "dr-li", "right")
    # u2: only the department
    store.add_feedback("e", "u2", names[0], "correct", "dr-li")
    # u3: both in one post
    store.add_feedback("f", "u3", names[3], "confirm", "dr-zhao", "too_low", "consultation")
    return store


def _export(database: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "export-feedback",
            "--database",
            str(database),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def _department_names() -> list[str]:
    departments = __import__("json").loads((ROOT / "data/demo/departments.json").read_text())
    return [d["name"] for d in departments["departments"]]


def test_feedback_export_has_the_urgency_columns(tmp_path: Path) -> None:
    names = _department_names()
    _store_with_urgency_decisions(tmp_path / "db.sqlite", names)
    out = tmp_path / "feedback.csv"
    proc = _export(tmp_path / "db.sqlite", out)
    assert proc.returncode == 0, proc.stderr
    assert "4 consultations (1 corrected); urgency: 1 right, 1 too high, 1 too low" in proc.stdout
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [
            "id",
            "text",
            "age",
            "sex",
            "department",
            "action",
            "suggested",
            "doctor",
            "decided_at",
            "model_version",
            "triage_level",
            "urgency_feedback",
            "corrected_level",
            "urgency_doctor",
            "urgency_decided_at",
        ]
        rows = {r["id"]: r for r in reader}
    picked = ("department", "action", "doctor", "triage_level", "urgency_feedback")
    assert {i: tuple(r[k] for k in (*picked, "corrected_level")) for i, r in rows.items()} == {
        "u0": (names[0], "confirm", "dr-li", "emergency", "too_high", "consultation_24"),
        "u1": ("", "", "", "consultation", "right", ""),
        "u2": (names[0], "correct", "dr-li", "consultation_24", "", ""),
        "u3": (names[3], "confirm", "dr-zhao", "self_care", "too_low", "consultation"),
    }
    assert rows["u0"]["urgency_doctor"] == "dr-wang" and rows["u0"]["urgency_decided_at"]
    assert rows["u1"]["decided_at"] == "" and rows["u1"]["model_version"] == "v2"
    assert rows["u2"]["urgency_doctor"] == rows["u2"]["urgency_decided_at"] == ""


def test_triage_data_skips_feedback_rows_without_a_department(tmp_path: Path) -> None:
    names = _department_names()
    _store_with_urgency_decisions(tmp_path / "db.sqlite", names)
    out = tmp_path / "feedback.csv"
    assert _export(tmp_path / "db.sqlite", out).returncode == 0
    data = load_triage_data(TriageDataConfig(source="demo", feedback=[str(out)]))
    added = data.frame[data.frame["origin"] == f"feedback:{out.name}"]
    assert sorted(added["id"]) == ["feedback-u0", "feedback-u2", "feedback-u3"]
    assert list(added.sort_values("id")["department"]) == [names[0], names[0], names[3]]
