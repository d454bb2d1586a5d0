"""Behavioural suite for a built prescription bundle.

    pytest tests/model --bundle models/prescription/current

The issue's must-pass cases (Chinese and English names), plus invariances a pharmacist expects.
Skipped when --bundle names a bundle of another task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prescription.predictor import PrescriptionPredictor
from prescription.schema import CheckRequest
from training.prescription.golden import CASES, case_failures


@pytest.fixture(scope="module")
def checker(bundle_dir: Path) -> PrescriptionPredictor:
    if json.loads((bundle_dir / "manifest.json").read_text())["task"] != "prescription":
        pytest.skip("not a prescription bundle")
    return PrescriptionPredictor.from_bundle(bundle_dir)


def _check(checker: PrescriptionPredictor, request: dict[str, Any]) -> dict[str, Any]:
    return checker.checker.check(CheckRequest.model_validate({"id": "t", **request})).model_dump()


@pytest.mark.parametrize("case", CASES, ids=[c["request"]["id"] for c in CASES])
def test_prescription_mft_must_pass_cases(
    checker: PrescriptionPredictor, case: dict[str, Any]
) -> None:
    assert (
        case_failures(
            case, checker.checker.check(CheckRequest.model_validate(case["request"])).model_dump()
        )
        == []
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华法林", "阿司匹林"),
        ("辛伐他汀", "克拉霉素"),
        ("西地那非", "硝酸甘油"),
        ("布洛芬", "萘普生"),
    ],
)
def test_prescription_inv_order_and_language_do_not_change_the_finding(
    checker: PrescriptionPredictor, a: str, b: str
) -> None:
    forward = _check(checker, {"drugs": [{"name": a}, {"name": b}]})
    backward = _check(checker, {"drugs": [{"name": b}, {"name": a}]})

    def summary(result: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
        return sorted(
            (x["type"], x["severity"], tuple(sorted(x["drugs"]))) for x in result["alerts"]
        )

    assert summary(forward) == summary(backward) and summary(forward)


def test_prescription_mft_model_never_raises_a_contraindication(
    checker: PrescriptionPredictor,
) -> None:
    result = _check(
        checker,
        {
            "drugs": [
                {"name": n}
                for n in (
                    "amlodipine",
                    "atorvastatin",
                    "metformin",
                    "omeprazole",
                    "sertraline",
                    "levothyroxine",
                )
            ]
        },
    )
    assert all(
        not (a["source"] == "model" and (a["severity"] == "contraindicated" or a["interruptive"]))
        for a in result["alerts"]
    )
    assert all(
        p["predicted_level"] in (None, "major", "moderate", "minor") for p in result["pairs"]
    )


def test_prescription_mft_combination_product_explodes_and_duplicates_paracetamol(
    checker: PrescriptionPredictor,
) -> None:
    result = _check(checker, {"drugs": [{"name": "氨酚伪麻美芬片"}, {"name": "对乙酰氨基酚片"}]})
    assert any(
        a["type"] == "duplicate_therapy" and a["drugs"] == ["acetaminophen"]
        for a in result["alerts"]
    )


def test_prescription_dir_higher_dose_only_adds_alerts(checker: PrescriptionPredictor) -> None:
    usual = _check(
        checker,
        {
            "patient": {"age": 30},
            "drugs": [{"name": "ibuprofen", "dose_mg": 400, "times_per_day": 3}],
        },
    )
    high = _check(
        checker,
        {
            "patient": {"age": 30},
            "drugs": [{"name": "ibuprofen", "dose_mg": 1200, "times_per_day": 4}],
        },
    )
    assert not [a for a in usual["alerts"] if a["type"] == "dose"]
    assert [a for a in high["alerts"] if a["type"] == "dose"]


def _curated_contraindicated_pairs() -> list[tuple[str, str]]:
    """Every unconditional drug-drug row of pair_overrides.csv graded contraindicated (class rows,
    `atc:`, and rows conditional on a dose or patient context are tested where they are made)."""
    import csv

    path = Path(__file__).resolve().parents[2] / "prescription" / "curated" / "pair_overrides.csv"
    with path.open(encoding="utf-8") as handle:
        return [
            (row["drug_a"], row["drug_b"])
            for row in csv.DictReader(handle)
            if row["level"] == "contraindicated"
            and not row["when"]
            and not row["drug_a"].startswith("atc:")
            and not row["drug_b"].startswith("atc:")
        ]


def test_no_curated_contraindicated_pair_is_missed(checker: PrescriptionPredictor) -> None:
    """Issue 11's target: no contraindicated pair of the curated list passes below
    contraindicated (both drugs oral, an adult with no other facts)."""
    pairs = _curated_contraindicated_pairs()
    assert len(pairs) > 700
    missed = []
    for a, b in pairs:
        result = _check(
            checker,
            {
                "patient": {"age": 50, "sex": "M", "weight_kg": 70},
                "drugs": [{"name": a, "route": "po"}, {"name": b, "route": "po"}],
            },
        )
        severities = {
            alert["severity"]
            for alert in result["alerts"]
            if alert["type"] in ("interaction", "duplicate_therapy")
        }
        if result["unresolved"] or "contraindicated" not in severities:
            missed.append((a, b, sorted(severities), result["unresolved"]))
    assert missed == []
