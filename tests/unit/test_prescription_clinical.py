"""Renal, hepatic and schedule rules of the prescription checker, on the repository's curated
tables (no shared data, no model: the resolver, knowledge base and scorer are stubs)."""

from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from prescription.checker import AlertPolicy, PrescriptionChecker, frequency_in_name
from prescription.clinical import (
    BUNDLE_PREFIX,
    CURATED_TABLES,
    HEPATIC_SEVERITIES,
    OPTIONAL_TABLES,
    ClinicalRules,
    cockcroft_gault,
    parse_condition,
    read_tables,
)
from prescription.kb import Finding
from prescription.resolver import Resolution
from prescription.schema import CheckRequest, DrugOrder, Patient
from runtime.schema import ModelRef
from tests.unit.prescription_stubs import FixedKB, FixedScorer

ROOT = Path(__file__).resolve().parents[2]
CURATED = ROOT / "prescription/curated"
sys.path.insert(0, str(ROOT))

ATC = {
    "ibuprofen": ("M01AE01",),
    "celecoxib": ("M01AH01",),
    "atorvastatin": ("C10AA05",),
    "zolpidem": ("N05CF02",),
    "diazepam": ("N05BA01",),
    "spironolactone": ("C03DA01",),
    "gentamicin": ("J01GB03",),
}


def _tables() -> dict[str, list[dict[str, str]]]:
    return read_tables(CURATED, prefix="")


@pytest.fixture(scope="module")
def rules() -> ClinicalRules:
    return ClinicalRules(_tables(), ATC)


MULTI_WORD = ("dabigatran etexilate", "alendronic acid", "risedronic acid")


class _Resolver:
    """A name's first word (or a known two-word name) is its canonical ingredient."""

    def resolve(self, written: str) -> Resolution:
        name = written.lower()
        drug = next((m for m in MULTI_WORD if name.startswith(m)), name.split(" ")[0])
        return Resolution(written=written, ingredients=(drug,))


@pytest.fixture(scope="module")
def checker(rules: ClinicalRules) -> PrescriptionChecker:
    return PrescriptionChecker(
        _Resolver(),  # type: ignore[arg-type]
        FixedKB(),  # type: ignore[arg-type]
        rules,
        FixedScorer(),  # type: ignore[arg-type]
        ATC,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )


def _check(checker: PrescriptionChecker, patient: dict, *drugs: dict):
    request = CheckRequest.model_validate({"id": "t", "patient": patient, "drugs": list(drugs)})
    return checker.check(request)


def _alerts(result, alert_type: str, drug: str):
    return [a for a in result.alerts if a.type == alert_type and drug in a.drugs]


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eGFR 25", {"egfr": 25.0}),
        ("CrCl 28", {"crcl": 28.0}),
        ("肾功能不全 CrCl 25", {"crcl": 25.0}),
        ("肌酐清除率 25ml/min", {"crcl": 25.0}),
        ("慢性肾病4期", {"egfr_estimate": 15.0}),
        ("CKD stage 4", {"egfr_estimate": 15.0}),
        ("慢性肾病3b期", {"egfr_estimate": 30.0}),
        ("CKD G3a", {"egfr_estimate": 45.0}),
        ("维持性血液透析", {"egfr_estimate": 10.0}),
        ("severe renal impairment", {"egfr_estimate": 15.0}),
        ("肾功能不全", {"egfr_estimate": None, "renal": True}),
        ("肝硬化 Child-Pugh C", {"hepatic": "severe"}),
        ("肝硬化 Child-Pugh B", {"hepatic": "moderate"}),
        ("Child-Pugh A级", {"hepatic": "mild"}),
        ("失代偿期肝硬化", {"hepatic": "severe"}),
        ("中度肝功能损害", {"hepatic": "moderate"}),
        ("严重肝功能不全", {"hepatic": "severe"}),
        ("肝硬化", {"hepatic": None, "hepatic_mentioned": True}),
        ("serum potassium 5.4 mmol/L", {"potassium_mmol_l": 5.4}),
        ("血肌酐 180 μmol/L", {"creatinine_umol_l": 180.0}),
        ("creatinine 2 mg/dL", {"creatinine_umol_l": 176.8}),
        ("childhood asthma", {"hepatic": None, "renal": False, "egfr": None}),
        ("2型糖尿病", {"egfr": None, "crcl": None, "hepatic": None}),
    ],
)
def test_parse_condition(text: str, expected: dict) -> None:
    facts = parse_condition(text)
    for key, value in expected.items():
        got = getattr(facts, key)
        assert got == pytest.approx(value) if isinstance(value, float) else got == value, key


def test_cockcroft_gault() -> None:
    assert cockcroft_gault(78, 60, 200, "M") == pytest.approx(62 * 60 * 1.23 / 200)
    assert cockcroft_gault(82, 55, 140, "F") == pytest.approx(58 * 55 * 1.04 / 140)
    # unknown sex: the lower (women's) factor
    assert cockcroft_gault(82, 55, 140, None) == cockcroft_gault(82, 55, 140, "F")


def test_conditions_in_strips_severity_and_splits_clauses(rules: ClinicalRules) -> None:
    assert rules.conditions_in("严重肝功能不全") == ["hepatic_impairment"]
    assert rules.conditions_in("severe renal impairment") == ["renal_impairment"]
    assert rules.conditions_in("active hepatitis, ALT 5x ULN") == ["hepatic_impairment"]
    assert rules.conditions_in("哮喘") == ["asthma"]
    assert rules.conditions_in("喜欢打篮球") == []


def test_patient_context_precedence(rules: ClinicalRules) -> None:
    patient = Patient(
        age=78,
        sex="M",
        weight_kg=60,
        creatinine_umol_l=200,
        conditions=["eGFR 40", "慢性肾病4期", "肝硬化 Child-Pugh B"],
    )
    context = rules.patient_context(patient)
    assert context.egfr is not None and context.egfr.value == 40  # written value beats stage
    assert context.crcl is not None and context.crcl.value == pytest.approx(22.9, abs=0.1)
    assert "Cockcroft-Gault" in context.crcl.basis
    assert context.hepatic is not None and context.hepatic[0] == "moderate"
    field = rules.patient_context(
        Patient(egfr_ml_min_1_73m2=70, crcl_ml_min=65, hepatic_impairment="none", conditions=[])
    )
    assert field.egfr.value == 70 and field.crcl.value == 65 and field.hepatic is None
    ids = {c for _, c in field.conditions}
    assert "renal_impairment" not in ids  # >= 60 is not impairment for dosing


def test_patient_context_implies_conditions_and_reports_unmatched(rules: ClinicalRules) -> None:
    context = rules.patient_context(
        Patient(conditions=["eGFR 25", "serum potassium 5.6 mmol/L", "喜欢打篮球"])
    )
    ids = {c for _, c in context.conditions}
    assert {"renal_impairment", "hyperkalemia"} <= ids
    assert context.unmatched == ["喜欢打篮球"]
    surrogate = context.renal_value("crcl")
    assert surrogate is not None and surrogate.value == 25 and "in place of" in surrogate.basis


# -- checker: renal ---------------------------------------------------------------------------


def test_metformin_by_egfr(checker: PrescriptionChecker) -> None:
    order = {"name": "metformin", "dose_mg": 500.0, "times_per_day": 2}
    severe = _check(checker, {"conditions": ["eGFR 25"]}, order)
    [alert] = [a for a in _alerts(severe, "contraindication", "metformin") if "eGFR" in a.message]
    assert alert.severity == "contraindicated" and alert.interruptive
    within = _check(checker, {"egfr_ml_min_1_73m2": 40}, order)
    assert not _alerts(within, "dose", "metformin")
    assert all(a.severity != "contraindicated" for a in within.alerts)
    over = _check(checker, {"egfr_ml_min_1_73m2": 40}, {**order, "times_per_day": 4})
    assert [a.severity for a in _alerts(over, "dose", "metformin")] == ["moderate"]
    normal = _check(checker, {"egfr_ml_min_1_73m2": 90}, order)
    assert not normal.alerts


def test_nitrofurantoin_threshold_replaces_generic_row(checker: PrescriptionChecker) -> None:
    order = {"name": "nitrofurantoin", "dose_mg": 100.0, "times_per_day": 2}
    at_50 = _check(checker, {"egfr_ml_min_1_73m2": 50, "conditions": ["肾功能不全"]}, order)
    assert not _alerts(at_50, "contraindication", "nitrofurantoin")
    at_35 = _check(checker, {"conditions": ["eGFR 35"]}, order)
    assert [a.severity for a in _alerts(at_35, "contraindication", "nitrofurantoin")] == [
        "moderate"
    ]
    # no value: the generic renal_impairment row still applies
    unknown = _check(checker, {"conditions": ["肾功能不全"]}, order)
    assert _alerts(unknown, "contraindication", "nitrofurantoin")


def test_dabigatran_from_creatinine(checker: PrescriptionChecker) -> None:
    order = {"name": "dabigatran etexilate", "dose_mg": 150.0, "times_per_day": 2}
    patient = {"age": 78, "sex": "M", "weight_kg": 60, "creatinine_umol_l": 200}
    result = _check(checker, patient, order)
    [alert] = _alerts(result, "contraindication", "dabigatran etexilate")
    assert alert.severity == "contraindicated" and "Cockcroft-Gault" in alert.message
    healthy = _check(checker, {**patient, "creatinine_umol_l": 80}, order)
    assert not healthy.alerts


def test_renal_dose_caps(checker: PrescriptionChecker) -> None:
    gaba = _check(
        checker,
        {"crcl_ml_min": 25},
        {"name": "gabapentin", "dose_mg": 300.0, "times_per_day": 3},
    )
    assert [a.severity for a in _alerts(gaba, "dose", "gabapentin")] == ["moderate"]
    # round 12: at least twice the cap below CrCl 30 (1800 mg/day, cap 700) is major
    gross = _check(
        checker,
        {"crcl_ml_min": 25},
        {"name": "gabapentin", "dose_mg": 600.0, "times_per_day": 3},
    )
    assert [a.severity for a in _alerts(gross, "dose", "gabapentin")] == ["major"]
    enox = _check(
        checker,
        {"crcl_ml_min": 20, "weight_kg": 60},
        {"name": "enoxaparin", "dose_mg": 60.0, "times_per_day": 2, "route": "sc"},
    )
    assert [a.severity for a in _alerts(enox, "dose", "enoxaparin")] == ["major"]
    # levofloxacin 750 mg every 48 h averages 375 mg/day: within the CrCl 20-49 limit
    levo = {"name": "levofloxacin", "dose_mg": 750.0, "times_per_day": 1}
    assert not _alerts(
        _check(checker, {"crcl_ml_min": 30}, {**levo, "frequency": "every_other_day"}),
        "dose",
        "levofloxacin",
    )
    assert _alerts(_check(checker, {"crcl_ml_min": 30}, levo), "dose", "levofloxacin")
    # a row without a cap: any aminoglycoside dose needs adjusting
    genta = _check(checker, {"crcl_ml_min": 24}, {"name": "gentamicin", "dose_mg": 80.0})
    assert _alerts(genta, "dose", "gentamicin")


def test_spironolactone_with_hyperkalaemia(checker: PrescriptionChecker) -> None:
    result = _check(
        checker,
        {"conditions": ["severe renal impairment", "serum potassium 5.4 mmol/L"]},
        {"name": "spironolactone", "dose_mg": 50.0, "times_per_day": 1},
    )
    severities = {a.severity for a in _alerts(result, "contraindication", "spironolactone")}
    assert "contraindicated" in severities  # hyperkalaemia row
    assert "major" in severities  # eGFR < 30 row


# -- checker: hepatic -------------------------------------------------------------------------


def test_paracetamol_in_hepatic_impairment(checker: PrescriptionChecker) -> None:
    order = {"name": "acetaminophen", "dose_mg": 1000.0, "times_per_day": 4}
    moderate = _check(checker, {"hepatic_impairment": "moderate"}, order)
    assert "major" in {a.severity for a in _alerts(moderate, "dose", "acetaminophen")}
    mild = _check(
        checker,
        {"conditions": ["轻度肝功能异常"]},
        {**order, "dose_mg": 500.0, "times_per_day": 3},
    )
    assert not mild.alerts  # the generic hepatic row gives way to the graded one


def test_hepatic_severity_rules(checker: PrescriptionChecker) -> None:
    statin = {"name": "atorvastatin", "dose_mg": 40.0, "times_per_day": 1}
    severe = _check(checker, {"conditions": ["失代偿期肝硬化"]}, statin)
    assert "contraindicated" in {
        a.severity for a in _alerts(severe, "contraindication", "atorvastatin")
    }
    zolpidem = {"name": "zolpidem", "dose_mg": 10.0, "times_per_day": 1}
    assert _alerts(
        _check(checker, {"hepatic_impairment": "severe"}, zolpidem), "contraindication", "zolpidem"
    )
    assert not _check(checker, {"hepatic_impairment": "mild"}, zolpidem).alerts
    riva = {"name": "rivaroxaban", "dose_mg": 20.0, "times_per_day": 1}
    result = _check(checker, {"conditions": ["肝硬化 Child-Pugh B"]}, riva)
    assert "contraindicated" in {
        a.severity for a in _alerts(result, "contraindication", "rivaroxaban")
    }


# -- checker: schedules -----------------------------------------------------------------------


def test_methotrexate_schedule(checker: PrescriptionChecker) -> None:
    mtx = {"name": "methotrexate", "dose_mg": 10.0, "times_per_day": 1}
    daily = _check(checker, {}, {**mtx, "frequency": "daily"})
    [alert] = _alerts(daily, "dose", "methotrexate")
    assert alert.severity == "contraindicated" and alert.interruptive
    assert not _check(checker, {}, {**mtx, "frequency": "weekly"}).alerts
    split = _check(checker, {}, {**mtx, "dose_mg": 2.5, "times_per_day": 3})
    assert [(a.severity, a.interruptive) for a in _alerts(split, "dose", "methotrexate")] == [
        ("major", True)
    ]
    unstated = _check(checker, {}, mtx)
    assert [(a.severity, a.interruptive) for a in _alerts(unstated, "dose", "methotrexate")] == [
        ("moderate", False)
    ]
    named = _check(checker, {}, {**mtx, "name": "methotrexate 15mg 每周一次", "dose_mg": 15.0})
    assert not named.alerts


def test_weekly_strengths_ordered_daily(checker: PrescriptionChecker) -> None:
    def dose_alerts(name: str, dose: float, frequency: str) -> list[str]:
        order = {"name": name, "dose_mg": dose, "times_per_day": 1, "frequency": frequency}
        return [a.severity for a in _alerts(_check(checker, {}, order), "dose", name)]

    assert dose_alerts("alendronic acid", 70, "daily") == ["major"]
    assert dose_alerts("alendronic acid", 70, "weekly") == []
    assert dose_alerts("alendronic acid", 10, "daily") == []
    assert dose_alerts("risedronic acid", 35, "daily") == ["major"]
    assert dose_alerts("cholecalciferol", 1.25, "daily") == ["major"]
    assert dose_alerts("cholecalciferol", 1.25, "weekly") == []
    assert dose_alerts("cholecalciferol", 0.025, "daily") == []


@pytest.mark.parametrize(
    ("name", "frequency"),
    [
        ("甲氨蝶呤片 15mg 每周一次", "weekly"),
        ("vitamin D3 50,000 IU once weekly", "weekly"),
        ("ibandronate 150mg monthly", "monthly"),
        ("alendronate 10 mg qd", "daily"),
        ("甲氨蝶呤片", None),
        ("quinapril", None),  # "qw"/"qd" only as whole words
    ],
)
def test_frequency_in_name(name: str, frequency: str | None) -> None:
    assert frequency_in_name(name) == frequency


# -- conditions, schema, tables, bench -------------------------------------------------------


def test_unmatched_condition_is_reported(checker: PrescriptionChecker) -> None:
    result = _check(
        checker, {"conditions": ["哮喘", "喜欢打篮球"]}, {"name": "paracetamol", "dose_mg": 500.0}
    )
    assert result.unresolved == ["condition: 喜欢打篮球"]


@pytest.mark.parametrize(
    "patient",
    [
        {"egfr": 25},  # unknown field: strict schema
        {"egfr_ml_min_1_73m2": 0},
        {"egfr_ml_min_1_73m2": "25"},  # no coercion
        {"crcl_ml_min": 500},
        {"creatinine_umol_l": 1.8},  # mg/dL typed into the µmol/L field
        {"hepatic_impairment": "Child-Pugh C"},
    ],
)
def test_patient_fields_validate(patient: dict) -> None:
    with pytest.raises(ValidationError):
        Patient.model_validate(patient)


def test_frequency_validates() -> None:
    assert DrugOrder(name="x", frequency="weekly").frequency == "weekly"
    with pytest.raises(ValidationError):
        DrugOrder.model_validate({"name": "x", "frequency": "biweekly"})
    with pytest.raises(ValidationError):
        DrugOrder.model_validate({"name": "x", "interval": 7})


def test_curated_organ_tables_are_complete(rules: ClinicalRules) -> None:
    assert rules.renal and rules.hepatic and rules.schedules
    for rule in [*rules.renal, *rules.hepatic, *rules.schedules]:
        assert rule.reason and rule.management, rule.target
        assert rule.source.startswith("curated"), rule.target
    for rule in rules.hepatic:
        assert rule.min_severity in HEPATIC_SEVERITIES[1:]
    # Bands may not overlap per route: IV and oral aciclovir have their own bands (round 6).
    bands: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for rule in rules.renal:
        assert rule.high is not None and rule.low < rule.high
        assert rule.route in ("any", "oral", "parenteral"), rule.target
        key = (rule.target, rule.measure, rule.kind, rule.route)
        bands.setdefault(key, []).append((rule.low, rule.high))
    for key, ranges in bands.items():
        ranges.sort()
        for (_, high), (low, _) in itertools.pairwise(ranges):
            assert high <= low, f"overlapping renal bands for {key}"


def test_bad_enumeration_is_rejected() -> None:
    tables = _tables()
    tables["renal.csv"] = [{**tables["renal.csv"][0], "measure": "gfr"}]
    with pytest.raises(ValueError, match="measure"):
        ClinicalRules(tables, ATC)


def test_bundle_without_new_tables_still_loads(tmp_path: Path) -> None:
    for name in CURATED_TABLES:
        if name not in OPTIONAL_TABLES:
            shutil.copy(CURATED / name, tmp_path / f"{BUNDLE_PREFIX}{name}")
    rules = ClinicalRules.from_folder(tmp_path, ATC)
    assert rules.renal == [] and rules.hepatic == [] and rules.schedules == []


def test_bench_merges_patient_extra() -> None:
    from bench.prescription_scenarios import with_patient_extra

    request = {
        "id": "x",
        "patient": {"age": 70},
        "drugs": [{"name": "a"}, {"name": "b", "frequency": "daily"}],
    }
    extra = {
        "egfr": 25,
        "creatinine_umol_l": None,
        "crcl_ml_min": 20,
        "hepatic_impairment": "mild",
        "schedule": "weekly: 15 mg once a week",
    }
    merged = with_patient_extra(request, extra)
    assert merged["patient"] == {
        "age": 70,
        "egfr_ml_min_1_73m2": 25,
        "crcl_ml_min": 20,
        "hepatic_impairment": "mild",
    }
    assert [d.get("frequency") for d in merged["drugs"]] == ["weekly", "daily"]
    assert request["drugs"][0] == {"name": "a"}  # the scenario itself is not changed
    CheckRequest.model_validate(merged)
    assert with_patient_extra(request, {}) == request


# -- round 3: allergy classes with an example, duplicate classes, passive cross-reactivity ------


@pytest.mark.parametrize(
    ("written", "group"),
    [
        ("头孢菌素类过敏 (头孢克洛荨麻疹)", "cephalosporins"),
        ("磺胺类抗生素过敏", "sulfonamides"),
        ("penicillin allergy (anaphylaxis 2019)", "penicillins"),
        ("喹诺酮类药物（左氧氟沙星皮疹）", "fluoroquinolones"),
    ],
)
def test_allergy_class_with_example_resolves_to_the_class(
    rules: ClinicalRules, written: str, group: str
) -> None:
    assert rules.allergy_group_of(written) == group


def test_duplicate_class_spans_atc_level_4(checker: PrescriptionChecker) -> None:
    """A coxib and a propionic NSAID, a Z-drug and a benzodiazepine: duplicate therapy although
    their ATC level-4 codes differ."""
    for a, b in (("celecoxib", "ibuprofen"), ("zolpidem", "diazepam")):
        result = _check(
            checker,
            {"age": 50},
            {"name": a, "dose_mg": 10.0, "times_per_day": 1},
            {"name": b, "dose_mg": 5.0, "times_per_day": 1},
        )
        assert _alerts(result, "duplicate_therapy", a), (a, b, result.alerts)


def test_contraindicated_same_class_pair_is_duplicate_therapy(rules: ClinicalRules) -> None:
    """Same ATC level 4 and graded contraindicated: one duplicate_therapy alert that keeps the
    contraindicated grade."""
    contraindicated = Finding("contraindicated", "ddinter", "", "", "")
    strict = PrescriptionChecker(
        _Resolver(),  # type: ignore[arg-type]
        FixedKB([contraindicated]),  # type: ignore[arg-type]
        rules,
        FixedScorer(),  # type: ignore[arg-type]
        {"diazepam": ("N05BA01",), "lorazepam": ("N05BA06",)},
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )
    result = _check(
        strict,
        {"age": 50},
        {"name": "diazepam", "dose_mg": 5.0, "times_per_day": 1},
        {"name": "lorazepam", "dose_mg": 1.0, "times_per_day": 1},
    )
    (alert,) = [a for a in result.alerts if "lorazepam" in a.drugs and "diazepam" in a.drugs]
    assert (alert.type, alert.severity) == ("duplicate_therapy", "contraindicated")


def test_moderate_allergy_cross_reactivity_is_not_interruptive() -> None:
    policy = AlertPolicy()
    assert not policy.interruptive("allergy", "moderate", "curated")
    assert policy.interruptive("allergy", "major", "curated")
    assert policy.interruptive("allergy", "contraindicated", "curated")
