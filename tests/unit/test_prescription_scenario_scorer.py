"""The scenario scorer of bench/prescription_scenarios.py on tiny hand-made results (no bundle)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "prescription_scenarios.py"


@pytest.fixture(scope="module")
def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prescription_scenarios", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def alert(kind: str, severity: str, drugs: list[str], interruptive: bool = False) -> dict[str, Any]:
    return {"type": kind, "severity": severity, "drugs": drugs, "interruptive": interruptive}


def result(*alerts: dict[str, Any], unresolved: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"alerts": list(alerts), "unresolved": list(unresolved)}


def expect(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "must_alert": [],
        "must_not_alert": [],
        "must_resolve": [],
        "max_interruptive": None,
    }
    return base | parts


def must(kind: str, drugs: list[str], floor: str, interruptive: bool | None = None) -> dict:
    return {"type": kind, "drugs": drugs, "min_severity": floor, "interruptive": interruptive}


def must_not(kind: str, drugs: list[str], ceiling: str) -> dict:
    return {"type": kind, "drugs": drugs, "max_severity": ceiling, "note": ""}


def test_prescription_scenario_scorer_higher_severity_satisfies_must_alert(
    scorer: ModuleType,
) -> None:
    want = expect(must_alert=[must("interaction", ["clopidogrel", "omeprazole"], "moderate")])
    got = result(alert("interaction", "major", ["clopidogrel", "omeprazole"], True))
    assert scorer.evaluate(want, got) == []


def test_prescription_scenario_scorer_lower_severity_or_other_type_fails_must_alert(
    scorer: ModuleType,
) -> None:
    want = expect(must_alert=[must("duplicate_therapy", ["enalapril", "lisinopril"], "major")])
    low = scorer.evaluate(
        want, result(alert("duplicate_therapy", "moderate", ["enalapril", "lisinopril"]))
    )
    assert [f["kind"] for f in low] == ["wrong_severity"]
    other = scorer.evaluate(
        want, result(alert("interaction", "major", ["enalapril", "lisinopril"]))
    )
    assert [f["kind"] for f in other] == ["missed_alert"]


def test_prescription_scenario_scorer_interruptive_flag_must_match(scorer: ModuleType) -> None:
    want = expect(
        must_alert=[must("interaction", ["sildenafil", "nitroglycerin"], "contraindicated", True)]
    )
    quiet = alert("interaction", "contraindicated", ["sildenafil", "nitroglycerin"], False)
    assert [f["kind"] for f in scorer.evaluate(want, result(quiet))] == ["wrong_interruptive"]


def test_prescription_scenario_scorer_must_not_alert_none_fails_on_any_alert(
    scorer: ModuleType,
) -> None:
    want = expect(must_not_alert=[must_not("interaction", ["amoxicillin", "paracetamol"], "none")])
    minor = result(alert("interaction", "minor", ["amoxicillin", "acetaminophen"]))
    assert [f["kind"] for f in scorer.evaluate(want, minor)] == ["false_alarm"]
    # another type, or an alert not involving both drugs, is not this constraint's business
    other_type = result(alert("dose", "major", ["acetaminophen"]))
    assert scorer.evaluate(want, other_type) == []
    other_pair = result(alert("interaction", "major", ["amoxicillin", "methotrexate"]))
    assert scorer.evaluate(want, other_pair) == []


def test_prescription_scenario_scorer_must_not_alert_allows_up_to_ceiling(
    scorer: ModuleType,
) -> None:
    want = expect(must_not_alert=[must_not("interaction", ["spironolactone"], "moderate")])
    assert (
        scorer.evaluate(
            want, result(alert("interaction", "moderate", ["sacubitril", "spironolactone"]))
        )
        == []
    )
    major = result(alert("interaction", "major", ["spironolactone", "sacubitril"]))
    assert [f["kind"] for f in scorer.evaluate(want, major)] == ["false_alarm"]


@pytest.mark.parametrize(
    ("expected", "written"),
    [
        ("paracetamol", "Acetaminophen"),
        ("pethidine", "meperidine"),
        ("rifampicin", "rifampin"),
        ("alendronic acid", "alendronate sodium"),
        ("cholecalciferol", "colecalciferol"),
        ("valproic acid", "sodium valproate"),
        ("valproic acid", "valproate"),
        ("nitroglycerin", "glyceryl trinitrate"),
        ("aspirin", "acetylsalicylic acid"),
        ("warfarin", "warfarin sodium"),
        ("lithium", "lithium carbonate"),
        ("potassium chloride", "potassium chloride"),
    ],
)
def test_prescription_scenario_scorer_synonyms_match(
    scorer: ModuleType, expected: str, written: str
) -> None:
    assert scorer.involves(alert("dose", "major", [written]), [expected])


def test_prescription_scenario_scorer_minerals_and_distinct_drugs_do_not_match(
    scorer: ModuleType,
) -> None:
    assert not scorer.involves(alert("dose", "major", ["sodium chloride"]), ["potassium chloride"])
    assert not scorer.involves(alert("dose", "major", ["pethidine"]), ["paracetamol"])


@pytest.mark.parametrize(
    "combination",
    [
        ["sulfamethoxazole/trimethoprim"],
        ["Sulfamethoxazole and trimethoprim"],
        ["co-trimoxazole"],
        ["sulfamethoxazole", "trimethoprim"],
    ],
)
def test_prescription_scenario_scorer_combination_contains_its_components(
    scorer: ModuleType, combination: list[str]
) -> None:
    got = result(alert("interaction", "major", ["methotrexate", *combination]))
    want = expect(must_alert=[must("interaction", ["trimethoprim", "methotrexate"], "major")])
    assert scorer.evaluate(want, got) == []
    allergy = expect(must_alert=[must("allergy", ["sulfamethoxazole"], "major")])
    assert scorer.evaluate(allergy, result(alert("allergy", "contraindicated", combination))) == []


def test_prescription_scenario_scorer_max_interruptive_counts(scorer: ModuleType) -> None:
    want = expect(max_interruptive=1)
    one = result(alert("dose", "major", ["a"], True), alert("interaction", "moderate", ["a", "b"]))
    assert scorer.evaluate(want, one) == []
    two = result(alert("dose", "major", ["a"], True), alert("allergy", "major", ["b"], True))
    assert [f["kind"] for f in scorer.evaluate(want, two)] == ["too_many_interruptive"]
    assert scorer.evaluate(expect(max_interruptive=None), two) == []


def test_prescription_scenario_scorer_unresolved_and_unknown_drug_fail_must_resolve(
    scorer: ModuleType,
) -> None:
    want = expect(must_resolve=["Bactrim DS", "华法林钠片"])
    listed = scorer.evaluate(want, result(unresolved=("Bactrim DS",)))
    assert [(f["kind"], "Bactrim DS" in f["text"]) for f in listed] == [("unresolved_name", True)]
    flagged = scorer.evaluate(want, result(alert("unknown_drug", "moderate", ["华法林钠片"])))
    assert [f["kind"] for f in flagged] == ["unresolved_name"]


def test_prescription_scenario_scorer_score_counts_per_category(scorer: ModuleType) -> None:
    scenarios = [
        {"id": "a", "category": "x", "patient_extra": {}, "expect": expect(max_interruptive=0)},
        {
            "id": "b",
            "category": "x",
            "patient_extra": {"egfr": 20},
            "expect": expect(max_interruptive=0),
        },
        {"id": "c", "category": "y", "patient_extra": {}, "expect": expect()},
    ]
    loud = result(alert("dose", "major", ["metformin"], True), unresolved=("condition: CKD",))
    summary = scorer.score(scenarios, [result(), loud, result()])
    assert (summary["passed"], summary["failing_with_patient_extra"]) == (2, 1)
    assert summary["per_category"]["x"] == {"n": 2, "passed": 1, "rate": 0.5}
    assert summary["unresolved"]["conditions"] == ["CKD"]
    assert summary["failures"][0]["id"] == "b"


def test_prescription_scenario_scorer_organ_findings_are_dose_or_contraindication(
    scorer: ModuleType,
) -> None:
    # metformin at eGFR 25: one writer expects a `dose` alert, the checker says `contraindication`
    want = expect(must_alert=[must("dose", ["metformin"], "major")])
    forbidden = result(alert("contraindication", "contraindicated", ["metformin"], True))
    assert scorer.evaluate(want, forbidden, "renal") == []
    assert scorer.evaluate(want, forbidden, "hepatic") == []
    # elsewhere the types stay apart (a pregnancy contraindication is not a dose alert)
    assert [f["kind"] for f in scorer.evaluate(want, forbidden, "schedule")] == ["missed_alert"]
    assert [f["kind"] for f in scorer.evaluate(want, forbidden)] == ["missed_alert"]
    # and the equivalence cuts both ways for must_not_alert
    ceiling = expect(must_not_alert=[must_not("contraindication", ["nitrofurantoin"], "moderate")])
    dose = result(alert("dose", "major", ["nitrofurantoin"], True))
    assert [f["kind"] for f in scorer.evaluate(ceiling, dose, "renal")] == ["false_alarm"]
    assert scorer.evaluate(ceiling, dose, "names") == []
