"""The prescription pipeline end to end on the demo tables: KB + curated tables + learned model ->
ONNX parity -> bundle -> MLflow registry -> torch-free checker -> batch CLI contract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest
from runtime.errors import BundleError, ChecksumMismatch
from training.prescription.golden import CASES, case_failures

ALERT_KEYS = {
    "type",
    "severity",
    "drugs",
    "source",
    "interruptive",
    "message",
    "management",
    "message_en",
    "message_zh",
    "management_en",
    "management_zh",
    "evidence",
}
PAIR_KEYS = {"drugs", "known_level", "predicted_level", "p_interaction", "source"}


@pytest.fixture(scope="module")
def checker(prescription_bundle: Path) -> PrescriptionPredictor:
    return PrescriptionPredictor.from_bundle(prescription_bundle)


def _check(checker: PrescriptionPredictor, request: dict[str, Any]) -> dict[str, Any]:
    return checker.predict([CheckRequest.model_validate({"id": "t", **request})])[0].model_dump()


def test_prescription_pipeline_bundle_is_complete(
    prescription_run: dict[str, Any], prescription_bundle: Path
) -> None:
    files = {p.name for p in prescription_bundle.iterdir()}
    assert {
        "model.onnx",
        "aliases.csv",
        "kb_rules.csv",
        "curated_doses.csv",
        "MODEL_CARD.md",
        "examples.jsonl",
    } <= files
    manifest = json.loads((prescription_bundle / "manifest.json").read_text())
    assert manifest["metrics"]["parity_max_abs_diff"] <= 1e-4
    assert set(manifest["metrics"]["splits"]) == {"random", "one_new", "two_new"}
    assert prescription_run["registered"].endswith("@candidate")


@pytest.mark.parametrize("case", CASES, ids=[c["request"]["id"] for c in CASES])
def test_prescription_pipeline_behavioural_cases(
    checker: PrescriptionPredictor, case: dict[str, Any]
) -> None:
    result = checker.checker.check(CheckRequest.model_validate(case["request"])).model_dump()
    assert case_failures(case, result) == []


def test_prescription_pipeline_one_pair_entry_per_pair_and_contract(
    checker: PrescriptionPredictor,
) -> None:
    result = _check(
        checker,
        {
            "drugs": [{"name": "warfarin"}, {"name": "aspirin"}, {"name": "omeprazole"}],
            "current_medications": [{"name": "clopidogrel"}],
        },
    )
    assert all(set(a) == ALERT_KEYS for a in result["alerts"])
    assert all(set(p) == PAIR_KEYS for p in result["pairs"])
    pairs = [tuple(p["drugs"]) for p in result["pairs"]]
    assert len(pairs) == len(set(pairs)) == 6  # 3 within the prescription + 3 with the current drug
    keys = [
        (a["type"], tuple(sorted(a["drugs"])))
        for a in result["alerts"]
        if a["type"] in ("interaction", "duplicate_therapy")
    ]
    assert len(keys) == len(set(keys)), "one alert per pair"


def test_prescription_pipeline_policy_interrupts_only_for_serious_findings(
    checker: PrescriptionPredictor,
) -> None:
    result = _check(
        checker,
        {"drugs": [{"name": "simvastatin"}, {"name": "clarithromycin"}, {"name": "Zorblaxitol"}]},
    )
    for alert in result["alerts"]:
        serious = alert["severity"] in ("contraindicated", "major") or alert["type"] == "allergy"
        assert alert["interruptive"] == (serious and alert["source"] != "model")


def test_prescription_pipeline_suppression_silences_a_reviewed_pair(
    prescription_bundle: Path,
) -> None:
    quiet = PrescriptionPredictor.from_bundle(
        prescription_bundle, suppress=["interaction:clarithromycin+simvastatin"]
    )
    result = quiet.predict(
        [
            CheckRequest.model_validate(
                {"id": "s", "drugs": [{"name": "simvastatin"}, {"name": "clarithromycin"}]}
            )
        ]
    )[0]
    assert not [a for a in result.alerts if a.type == "interaction"]
    assert result.pairs and result.pairs[0].known_level == "contraindicated"  # still explained


def test_prescription_pipeline_altered_bundle_is_refused(
    prescription_bundle: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "bundle"
    shutil.copytree(prescription_bundle, copy)
    with (copy / "curated_doses.csv").open("a") as handle:
        handle.write("acetaminophen,oral,adult,100000,100000,,,mg,18,,curated: tampered,\n")
    with pytest.raises(ChecksumMismatch, match=r"curated_doses\.csv"):
        PrescriptionPredictor.from_bundle(copy)
    with pytest.raises(BundleError):
        PrescriptionPredictor.from_bundle(tmp_path)


def test_prescription_pipeline_cli_contract_and_bad_lines(
    prescription_bundle: Path, tmp_path: Path
) -> None:
    lines = [
        {
            "id": "ok",
            "patient": {"age": 70, "allergies": ["sulfa"]},
            "drugs": [{"name": "warfarin", "dose_mg": 5, "times_per_day": 1}],
        },
        {"id": "empty", "drugs": []},
        {"id": "negative", "drugs": [{"name": "ibuprofen", "dose_mg": -200}]},
        {"id": "absurd", "drugs": [{"name": "ibuprofen", "dose_mg": 1e9}]},
        {"id": "many", "drugs": [{"name": "ibuprofen"}] * 500},
        {"id": "types", "drugs": [{"name": 42}], "patient": {"pregnant": "yes"}},
        {"id": "missing"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "prescription",
            "check",
            "--bundle",
            str(prescription_bundle),
            "--input",
            str(source),
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    answers = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(answers) == len(lines) + 1
    assert set(answers[0]) == {"id", "alerts", "pairs", "unresolved", "model"}
    errors = {a.get("id"): a.get("error", "") for a in answers[1:]}
    assert "drugs: List should have at least 1 item" in errors["empty"]
    assert "dose_mg" in errors["negative"] and "greater than 0" in errors["negative"]
    assert "dose_mg" in errors["absurd"] and "less than or equal" in errors["absurd"]
    assert "at most 50 items" in errors["many"]
    assert "drugs.0.name" in errors["types"] and "patient.pregnant" in errors["types"]
    assert "drugs: required field is missing" in errors["missing"]
    assert "invalid JSON" in errors[None]
