"""`python -m triage predict`: the batch contract other tools depend on, and its bad inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OUTPUT_KEYS = {
    "id",
    "departments",
    "abstain",
    "triage_level",
    "urgency",
    "red_flags",
    "reasons",
    "model",
    "department_map",
    "evidence",
}


def _run(bundle: Path, tmp_path: Path, lines: list[bytes], *options: str) -> tuple[int, list[dict]]:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "triage",
            "predict",
            "--bundle",
            str(bundle),
            "--input",
            str(source),
            "--output",
            str(out),
            *options,
        ],
        capture_output=True,
        text=True,
    )
    return proc.returncode, [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


def test_triage_cli_output_lines_follow_the_contract(triage_bundle: Path, tmp_path: Path) -> None:
    code, answers = _run(
        triage_bundle,
        tmp_path,
        [
            json.dumps(
                {"id": "a", "text": "咳嗽三天，有痰", "age": 30, "sex": "M"}, ensure_ascii=False
            ).encode(),
            json.dumps(
                {"id": "b", "text": "my baby has a fever and is floppy and hard to wake", "age": 0}
            ).encode(),
        ],
    )
    assert code == 0
    labels = json.loads((triage_bundle / "labels.json").read_text(encoding="utf-8"))
    version = json.loads((triage_bundle / "manifest.json").read_text())["bundle_version"]
    for answer in answers:
        assert set(answer) == OUTPUT_KEYS
        assert len(answer["departments"]) == 5
        assert all(
            set(d) == {"name", "probability", "model_labels"}
            and d["name"] in labels
            and d["model_labels"] is None
            for d in answer["departments"]
        )
        probabilities = [d["probability"] for d in answer["departments"]]
        assert probabilities == sorted(probabilities, reverse=True)
        assert answer["model"] == {"name": "triage", "version": version}
        assert isinstance(answer["abstain"], bool)
    assert answers[1]["urgency"] == "emergency"


def test_triage_cli_bad_lines_are_reported_and_nothing_is_lost(
    triage_bundle: Path, tmp_path: Path
) -> None:
    lines = [
        b'{"id": "empty", "text": ""}',
        b'{"id": "blank", "text": "   "}',
        json.dumps({"id": "huge", "text": "\u54b3" * 100_000}).encode(),
        b'{"id": "num", "text": 42}',
        b'{"id": "age", "text": "\xe5\x92\xb3", "age": "thirty"}',
        b'{"id": "sex", "text": "\xe5\x92\xb3", "sex": "X"}',
        b'{"id": "extra", "text": "\xe5\x92\xb3", "note": 1}',
        b'{"text": "no id"}',
        b"{broken json",
        b"\xc3\x28",
        b'{"id": "ok", "text": "\xe5\xa4\xb4\xe7\x97\x9b"}',
    ]
    code, answers = _run(triage_bundle, tmp_path, lines)
    assert code == 1
    assert len(answers) == len(lines)
    errors = {a.get("id"): a["error"] for a in answers if "error" in a}
    assert "text is empty" in errors["empty"] and "text is empty" in errors["blank"]
    assert "at most 10000 characters" in errors["huge"]
    assert "text" in errors["num"] and "string" in errors["num"]
    assert "age" in errors["age"] and "sex" in errors["sex"]
    assert "note: unknown field" in errors["extra"]
    none_errors = [a["error"] for a in answers if a.get("id") is None]
    assert any("id: required field is missing" in e for e in none_errors)
    assert any("invalid JSON" in e for e in none_errors)
    assert any("not valid UTF-8" in e for e in none_errors)
    assert answers[-1]["id"] == "ok" and "departments" in answers[-1]


def test_triage_cli_unusable_bundle_exits_2_with_a_message(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "triage",
            "predict",
            "--bundle",
            str(tmp_path),
            "--input",
            "-",
            "--output",
            "-",
        ],
        capture_output=True,
        text=True,
        input="",
    )
    assert proc.returncode == 2 and "not a bundle" in proc.stderr


def test_triage_cli_answers_in_a_hospitals_clinics_with_evidence(
    triage_bundle: Path, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    line = json.dumps(
        {"id": "k", "text": "孩子咳嗽发烧两天", "age": 3}, ensure_ascii=False
    ).encode()
    code, answers = _run(
        triage_bundle,
        tmp_path,
        [line],
        "--department-map",
        str(root / "configs/department_maps/example_hospital.yaml"),
        "--evidence",
        "ngram",
    )
    assert code == 0
    (answer,) = answers
    assert answer["department_map"] == "example-hospital-2026-12"
    assert "儿科" in {d["name"] for d in answer["departments"]}
    for item in answer["evidence"]:
        assert "孩子咳嗽发烧两天"[item["start"] : item["end"]] == item["text"]
