"""Prescription checker round 4: pair grades that depend on the patient (renal function, neonates),
class-wide override rows that yield to specific reviews and to source contraindications, the
validated override table, anticoagulant duplication with intended warfarin bridging, weekly
injectables ordered daily, renal/hepatic dose rows of the common renally or hepatically cleared
drugs, routes read from the product name, and conditions found inside longer text. Runs on the
repository's curated tables with a small drug table (no shared data, no model)."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

from prescription.checker import (
    NEONATE,
    RENAL_SEVERE,
    PrescriptionChecker,
    applicable,
    patient_contexts,
    route_category,
)
from prescription.clinical import ClinicalRules, read_tables
from prescription.resolver import Resolution
from prescription.schema import Patient
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_checker,
    drug_table,
    first_alert,
    overrides_kb,
)
from training.prescription.kb import (
    OVERRIDES_FILE,
    defer_to_contraindications,
    override_rows,
    read_overrides,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ATC = {
    "lisinopril": ("C09AA03",),
    "losartan": ("C09CA01",),
    "perindopril": ("C09AA04",),
    "spironolactone": ("C03DA01",),
    "eplerenone": ("C03DA04",),
    "amiloride": ("C03DB01",),
    "potassium chloride": ("A12BA01", "B05XA01"),
    "trimethoprim": ("J01EA01",),
    "ceftriaxone": ("J01DD04",),
    "calcium gluconate": ("A12AA03",),
    "warfarin": ("B01AA03",),
    "enoxaparin": ("B01AB05",),
    "heparin": ("B01AB01",),
    "rivaroxaban": ("B01AF01",),
    "dabigatran etexilate": ("B01AE07",),
    "moclobemide": ("N06AG02",),
    "sertraline": ("N06AB06",),
    "venlafaxine": ("N06AX16",),
    "rasagiline": ("N04BD02",),
    "dextromethorphan": ("R05DA09",),
    "voriconazole": ("J02AC03",),
    "sirolimus": ("L04AH01",),
    "fluconazole": ("J02AC01",),
    "erythromycin": ("J01FA01",),
    "ritonavir": ("J05AE03",),
    "amiodarone": ("C01BD01",),
    "clopidogrel": ("B01AC04",),
    "pantoprazole": ("A02BC02",),
    "omeprazole": ("A02BC01",),
    "ibuprofen": ("M01AE01",),
    "semaglutide": ("A10BJ06",),
    "rifapentine": ("J04AB05",),
    "cefepime": ("J01DE01",),
    "famotidine": ("A02BA03",),
    "entecavir": ("J05AF10",),
    "colchicine": ("M04AC01",),
    "ticagrelor": ("B01AC24",),
}
MULTI_WORD = ("potassium chloride", "calcium gluconate", "dabigatran etexilate")


class _Resolver:
    """A name's first word (or a known two-word name) is its canonical ingredient."""

    def resolve(self, written: str) -> Resolution:
        name = written.lower()
        drug = next((m for m in MULTI_WORD if name.startswith(m)), name.split(" ")[0])
        return Resolution(written=written, ingredients=(drug,))


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    overrides, skipped = override_rows(drug_table(ATC), CURATED)
    assert overrides and skipped > 0  # rows naming drugs outside the small table are skipped
    return curated_checker(_Resolver(), ATC, overrides_kb(tmp_path_factory.mktemp("kb"), overrides))


# -- pair grades that depend on the patient ----------------------------------------------------


@pytest.mark.parametrize(
    "patient",
    [
        {"age": 78, "egfr_ml_min_1_73m2": 25},
        {"age": 78, "crcl_ml_min": 22},
        {"age": 78, "conditions": ["慢性肾脏病4期"]},
        {"age": 78, "conditions": ["eGFR 20"]},
        {"age": 78, "conditions": ["CKD 5 on dialysis"]},
        {"age": 80, "sex": "F", "weight_kg": 50, "creatinine_umol_l": 200},  # CG ~ 15.6
    ],
)
def test_hyperkalaemia_pairs_escalate_when_renal_function_is_poor(checker, patient) -> None:
    drugs = ({"name": "perindopril", "dose_mg": 4}, {"name": "spironolactone", "dose_mg": 25})
    usual = first_alert(check(checker, {"age": 78}, *drugs), "interaction", "spironolactone")
    assert usual is not None and usual.severity == "moderate" and not usual.interruptive
    renal = first_alert(check(checker, patient, *drugs), "interaction", "spironolactone")
    assert renal is not None and renal.severity == "major" and renal.interruptive
    assert "eGFR/CrCl below 30" in renal.message
    # The family, not one pair: another ARB/ACE inhibitor with potassium or amiloride.
    for a, b, usual_level, renal_level in (
        ("losartan", "potassium chloride", "moderate", "major"),
        ("lisinopril", "amiloride", "major", "contraindicated"),
    ):
        pair = ({"name": a}, {"name": b})
        assert first_alert(check(checker, {"age": 60}, *pair), "interaction", a, b).severity == (
            usual_level
        )
        assert first_alert(check(checker, patient, *pair), "interaction", a, b).severity == (
            renal_level
        )


def test_moderate_renal_impairment_keeps_the_usual_grade(checker) -> None:
    drugs = ({"name": "lisinopril"}, {"name": "spironolactone"})
    for patient in ({"egfr_ml_min_1_73m2": 45}, {"conditions": ["肾功能不全"]}):
        alert = first_alert(check(checker, patient, *drugs), "interaction", "lisinopril")
        assert alert is not None and alert.severity == "moderate"


def test_ceftriaxone_with_iv_calcium_is_contraindicated_in_neonates_only(checker) -> None:
    drugs = ({"name": "ceftriaxone", "dose_mg": 160}, {"name": "calcium gluconate"})
    neonate = first_alert(check(checker, {"age": 0.02}, *drugs), "interaction", "ceftriaxone")
    assert neonate is not None and neonate.severity == "contraindicated"
    adult = first_alert(check(checker, {"age": 40}, *drugs), "interaction", "ceftriaxone")
    assert adult is not None and adult.severity == "major"


def test_patient_contexts_and_applicable(checker) -> None:
    rules = checker.rules
    severe = rules.patient_context(Patient(conditions=["CrCl 28"]))
    assert patient_contexts(severe, 70) == (RENAL_SEVERE,)
    assert patient_contexts(rules.patient_context(Patient()), 0.05) == (NEONATE,)
    assert patient_contexts(rules.patient_context(Patient(egfr_ml_min_1_73m2=30)), 30) == ()
    findings = checker.kb.lookup("lisinopril", "spironolactone")
    assert applicable(findings, ())[0].level == "moderate"
    assert applicable(findings, ("aspirin_low_dose", RENAL_SEVERE))[0].level == "major"
    assert applicable(findings, "")[0].level == "moderate"  # the older single-context call


# -- the override table -------------------------------------------------------------------------


def test_every_override_row_is_validated() -> None:
    rows = read_overrides(CURATED)
    assert len(rows) >= 700
    assert {r.when for r in rows} >= {"", "aspirin_low_dose", "renal_severe", "neonate"}
    assert all(r.source.startswith("curated") and len(r.rationale) >= 20 for r in rows)


@pytest.mark.parametrize(
    ("field", "value"),
    [("when", "elderly"), ("level", "severe"), ("mechanism", "nonsense"), ("source", "ddinter")],
)
def test_a_bad_override_row_is_refused(tmp_path: Path, field: str, value: str) -> None:
    row = {
        "drug_a": "warfarin",
        "drug_b": "ibuprofen",
        "level": "major",
        "when": "",
        "mechanism": "bleeding",
        "rationale": "ibuprofen adds GI bleeding to warfarin anticoagulation",
        "source": "curated: test",
        field: value,
    }
    with (tmp_path / OVERRIDES_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    with pytest.raises(ValueError, match=f"(?s)line 2.*{field}"):
        read_overrides(tmp_path)


def test_named_rows_beat_class_rows_and_class_rows_defer_to_contraindications(
    tmp_path: Path,
) -> None:
    rows = [
        ("atc:C03DA", "atc:C09AA", "moderate", "class default"),
        ("spironolactone", "atc:C09AA", "minor", "one drug named"),
        ("spironolactone", "lisinopril", "major", "both named"),
    ]
    with (tmp_path / OVERRIDES_FILE).open("w", encoding="utf-8", newline="") as handle:
        handle.write("drug_a,drug_b,level,when,mechanism,rationale,source\n")
        for a, b, level, why in rows:
            handle.write(f"{a},{b},{level},,hyperkalemia,{why} for this pair of drugs,curated: t\n")
    expanded, _ = override_rows(drug_table(ATC), tmp_path)
    level = {(r["drug_a"], r["drug_b"]): r["level"] for r in expanded}
    assert level[("lisinopril", "spironolactone")] == "major"
    assert level[("perindopril", "spironolactone")] == "minor"
    assert level[("eplerenone", "perindopril")] == "moderate"
    ddinter = [{"drug_a": "eplerenone", "drug_b": "perindopril", "level": "contraindicated"}]
    kept, deferred = defer_to_contraindications(expanded, ddinter, [], [])
    assert deferred == 1
    assert ("eplerenone", "perindopril") not in {(r["drug_a"], r["drug_b"]) for r in kept}
    named = [{"drug_a": "lisinopril", "drug_b": "spironolactone", "level": "contraindicated"}]
    assert defer_to_contraindications(expanded, named, [], [])[1] == 0


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("sertraline", "moclobemide", "contraindicated"),  # MAO-A inhibitor + SSRI
        ("venlafaxine", "moclobemide", "contraindicated"),
        ("rasagiline", "dextromethorphan", "contraindicated"),  # MAO-B + dextromethorphan
        ("rasagiline", "sertraline", "major"),
        ("voriconazole", "sirolimus", "contraindicated"),  # strong CYP3A4 inhibitor
        ("fluconazole", "erythromycin", "contraindicated"),
        ("ritonavir", "amiodarone", "contraindicated"),  # Paxlovid label
        ("clopidogrel", "pantoprazole", None),  # minor: listed in pairs only
        ("clopidogrel", "omeprazole", "major"),
        ("warfarin", "ibuprofen", "major"),
    ],
)
def test_families_of_interactions(checker, a: str, b: str, level: str | None) -> None:
    alert = first_alert(check(checker, {"age": 50}, {"name": a}, {"name": b}), "interaction", a, b)
    assert (alert.severity if alert else None) == level


# -- anticoagulants: duplication and intended bridging ------------------------------------------


def test_two_anticoagulants_are_duplicate_therapy_but_warfarin_bridging_is_a_note(checker) -> None:
    for a, b in (("rivaroxaban", "enoxaparin"), ("dabigatran etexilate", "heparin")):
        result = check(checker, {"age": 70}, {"name": a}, {"name": b})
        alert = first_alert(result, "duplicate_therapy", a, b)
        assert alert is not None and alert.severity == "major" and alert.interruptive
    bridging = check(
        checker, {"age": 52}, {"name": "enoxaparin", "dose_mg": 60}, {"name": "warfarin"}
    )
    assert first_alert(bridging, "duplicate_therapy", "warfarin", "enoxaparin") is None
    note = first_alert(bridging, "interaction", "warfarin", "enoxaparin")
    assert note is not None and note.severity == "moderate" and not note.interruptive
    assert "INR" in note.management


# -- schedules, renal and hepatic rows ------------------------------------------------------------


def test_weekly_injectables_ordered_daily(checker) -> None:
    daily = check(
        checker,
        {"age": 54},
        {"name": "semaglutide pen", "dose_mg": 1, "times_per_day": 1, "frequency": "daily"},
    )
    alert = first_alert(daily, "dose", "semaglutide")
    assert alert is not None and alert.severity == "major"
    weekly = check(
        checker,
        {"age": 54},
        {"name": "semaglutide", "dose_mg": 1, "route": "皮下注射", "frequency": "weekly"},
    )
    assert first_alert(weekly, "dose", "semaglutide") is None
    rifapentine = check(
        checker, {"age": 43}, {"name": "rifapentine", "dose_mg": 600, "frequency": "daily"}
    )
    assert first_alert(rifapentine, "dose", "rifapentine").severity == "moderate"


ORGAN_CASES = [
    ({"conditions": ["CrCl 20"]}, ("cefepime", 2000, 3), "dose", "major"),
    # round 12: 80 mg/day is 4x the cap below CrCl 30 (H2RA delirium): major
    ({"crcl_ml_min": 18}, ("famotidine", 40, 2), "dose", "major"),
    ({"crcl_ml_min": 25}, ("entecavir", 0.5, None), "dose", "moderate"),
    ({"conditions": ["CrCl 28"]}, ("colchicine", 0.5, 3), "dose", "major"),
    (
        {"conditions": ["肝硬化 Child-Pugh C"]},
        ("ticagrelor", 90, 2),
        "contraindication",
        "contraindicated",
    ),
    ({"hepatic_impairment": "moderate"}, ("voriconazole", 200, 2), "dose", "moderate"),
]


@pytest.mark.parametrize(("patient", "order", "alert_type", "level"), ORGAN_CASES)
def test_organ_rows_of_the_common_drugs(checker, patient, order, alert_type, level) -> None:
    name, dose, times = order
    drug = {"name": name, "dose_mg": dose} | ({"times_per_day": times} if times else {})
    alert = first_alert(check(checker, {"age": 60, **patient}, drug), alert_type, name)
    assert alert is not None and alert.severity == level


def test_organ_rows_stay_quiet_at_adjusted_doses(checker) -> None:
    quiet = [
        ({"crcl_ml_min": 18}, {"name": "famotidine", "dose_mg": 10, "times_per_day": 1}),
        ({"crcl_ml_min": 25}, {"name": "entecavir", "dose_mg": 0.15}),
        ({"conditions": ["CrCl 20"]}, {"name": "cefepime", "dose_mg": 1000, "times_per_day": 1}),
        ({"crcl_ml_min": 90}, {"name": "cefepime", "dose_mg": 2000, "times_per_day": 3}),
    ]
    for patient, order in quiet:
        assert (
            first_alert(check(checker, {"age": 60, **patient}, order), "dose", order["name"])
            is None
        )


# -- routes and conditions as written -------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "name", "category"),
    [
        ("皮下注射", None, "parenteral"),
        ("静脉滴注", None, "parenteral"),
        ("iv", None, "parenteral"),
        ("口服", None, "oral"),
        (None, "依诺肝素钠注射液", "parenteral"),
        (None, "Ozempic pen 1 mg", "parenteral"),
        (None, "沙丁胺醇吸入气雾剂", "inhaled"),
        (None, "双氯芬酸钠栓", "rectal"),
        (None, "penicillin V tablets", "oral"),
        (None, "阿莫西林胶囊", "oral"),
    ],
)
def test_route_category(route: str | None, name: str | None, category: str) -> None:
    assert route_category(route, name) == category


@pytest.mark.parametrize(
    ("written", "conditions"),
    [
        ("慢性心力衰竭 射血分数降低", ["heart_failure"]),
        ("2型糖尿病 HbA1c 8.6%", ["diabetes"]),
        ("history of asthma", ["asthma"]),
        ("no history of asthma", []),
        ("无哮喘史", []),
        ("消化道出血史", []),  # a past bleed is a risk factor, not active bleeding
        ("前列腺增生 尿潴留", ["bph", "urinary_retention"]),
    ],
)
def test_conditions_inside_longer_text(checker, written: str, conditions: list[str]) -> None:
    assert checker.rules.conditions_in(written) == conditions


def test_repository_tables_parse(tmp_path: Path) -> None:
    for name in ("renal.csv", "hepatic.csv", "schedules.csv", "duplicate_classes.csv"):
        shutil.copy(CURATED / name, tmp_path / name)
        with (CURATED / name).open(encoding="utf-8", newline="") as handle:
            assert all(row["source"].startswith("curated") for row in csv.DictReader(handle))
    ClinicalRules(read_tables(CURATED, prefix=""), ATC)  # enumerations and bands validate
