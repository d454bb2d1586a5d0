"""Prescription checker round 11: Japanese originator brands and their release letters ("-R",
"OD"), the English insulin brands by type, the aminoglycoside ending written the other way
("-mycin" for "-micin"), an event-like condition written as a risk or as prevention (not the
condition), active hepatitis and transaminase multiples as hepatic impairment, fibrates
contraindicated in severe renal impairment, a maintenance dose exempt from an acute course
limit, weekly dose rows for a weekly regimen, a child's dose of the next age band given in the
year before it, and pair overrides conditional on a low glucocorticoid dose. Runs on the
repository's curated tables with small invented alias and drug tables (no shared data, no
model); every name and prescription here is written for the test, with other drugs, brands and
wording than the scenario sets."""

from __future__ import annotations

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import ClinicalRules, parse_condition, read_tables
from prescription.names import name_variants
from prescription.resolver import DrugResolver, load_abbreviations
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_overrides_checker,
    first_alert,
    names_resolver,
)
from training.prescription.kb import read_overrides

# name as written in the alias table -> its ingredients
_NAMES: dict[str, tuple[str, ...]] = {
    "rebamipide": ("rebamipide",),
    "teneligliptin": ("teneligliptin",),
    "cilnidipine": ("cilnidipine",),
    "olopatadine": ("olopatadine",),
    "basen": ("voglibose",),
    "selenica": ("valproic acid",),
    "insulin human (regular)": ("insulin human (regular)",),
    "insulin human (isophane)": ("insulin human (isophane)",),
    "netilmicin": ("netilmicin",),
    "isepamicin": ("isepamicin",),
    "sisomicin": ("sisomicin",),
    "tobramycin": ("tobramycin",),
    "azithromycin": ("azithromycin",),
    "atenolol": ("atenolol",),
    "chlorthalidone": ("chlorthalidone",),
    "paliperidone": ("paliperidone",),
}


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    """The hand-listed names, with the repository's abbreviation table (its rows are used only
    when every ingredient is a known drug)."""
    plain = names_resolver(_NAMES)
    return DrugResolver(plain.aliases, load_abbreviations(CURATED / "abbreviations.csv"))


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("Mucosta 100mg", ("rebamipide",)),
        ("Tenelia 20 mg", ("teneligliptin",)),
        ("Atelec 10mg", ("cilnidipine",)),
        ("Allelock 5mg", ("olopatadine",)),
        ("Novolin N 10 units", ("insulin human (isophane)",)),
        ("Humulin S", ("insulin human (regular)",)),
        ("Humulin M3", ("insulin human (isophane)", "insulin human (regular)")),
        ("Novolin 50R", ("insulin human (isophane)", "insulin human (regular)")),
        ("Tenoretic 100/25", ("atenolol", "chlorthalidone")),
        ("Invega Trinza 350 mg", ("paliperidone",)),
    ],
)
def test_japanese_and_insulin_brands(resolver: DrugResolver, written: str, drugs: tuple) -> None:
    assert resolver.resolve(written).ingredients == drugs


@pytest.mark.parametrize(
    ("written", "drug"),
    [("Basen OD 0.2mg", "voglibose"), ("Selenica-R 400 mg", "valproic acid")],
)
def test_japanese_release_letters_after_a_brand(
    resolver: DrugResolver, written: str, drug: str
) -> None:
    assert resolver.resolve(written).ingredients == (drug,)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Eligard Depot 22.5 mg", "eligard"),
        ("Estraderm TTS 50", "estraderm"),
        ("Beloc mite", "beloc"),
    ],
)
def test_patch_depot_and_strength_words_are_dropped(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_a_release_letter_goes_only_after_the_name_as_written() -> None:
    # "Humulin R" is a name of its own (regular insulin): it is tried before "humulin"
    variants = list(name_variants("Humulin R"))
    assert variants[0] == "humulin r" and "humulin" in variants
    assert list(name_variants("ramipril")) == ["ramipril"]


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("netilmycin 150mg", "netilmicin"),
        ("Isepamycin sulphate 400 mg", "isepamicin"),
        ("sisomycin", "sisomicin"),
        ("tobramicin 80mg", "tobramycin"),
    ],
)
def test_aminoglycoside_ending_written_the_other_way(
    resolver: DrugResolver, written: str, drug: str
) -> None:
    # read through like any misspelling: the checker shows a "read as" note
    found = resolver.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


def test_the_ending_fold_never_changes_a_known_name(resolver: DrugResolver) -> None:
    assert resolver.resolve("azithromycin 250mg").ingredients == ("azithromycin",)


# -- conditions --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> ClinicalRules:
    return ClinicalRules(read_tables(CURATED, prefix=""), {})


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("上消化道出血高风险", []),
        ("prevention of upper GI bleeding", []),
        ("GI bleed risk (HAS-BLED 4)", []),
        ("房颤 卒中风险高", ["atrial_fibrillation"]),
        ("VTE预防", []),
        ("活动性上消化道出血", ["gi_bleeding"]),
        ("脑梗死二级预防", ["cerebrovascular_disease"]),
        ("secondary prevention of stroke", ["cerebrovascular_disease"]),
        ("原发性高血压 高危", ["hypertension"]),
    ],
)
def test_an_event_written_as_a_risk_is_not_the_condition(
    rules: ClinicalRules, written: str, expected: list[str]
) -> None:
    assert rules.conditions_in(written) == expected


@pytest.mark.parametrize(
    "written",
    ["丙型肝炎活动期", "自身免疫性肝炎", "药物性肝损伤 恢复期", "elevated liver enzymes"],
)
def test_active_hepatitis_is_hepatic_impairment(rules: ClinicalRules, written: str) -> None:
    assert "hepatic_impairment" in rules.conditions_in(written)


@pytest.mark.parametrize(
    ("written", "multiple"),
    [("ALT 4倍正常上限", 4.0), ("AST > 3x ULN", 3.0), ("转氨酶升高约5倍", 5.0), ("ALT 85", None)],
)
def test_transaminase_multiples_are_read(written: str, multiple: float | None) -> None:
    assert parse_condition(written).transaminase_uln == multiple


def test_hepatitis_b_carrier_is_not_hepatic_impairment(rules: ClinicalRules) -> None:
    assert rules.conditions_in("乙肝病毒携带者 肝功能正常") == []


# -- checker on the curated tables -------------------------------------------------------------

_ATC = {
    "aspirin": ("B01AC06", "N02BA01"),
    "ticagrelor": ("B01AC24",),
    "ibuprofen": ("M01AE01",),
    "rizatriptan": ("N02CC04",),
    "ketoconazole": ("J02AB02",),
    "simvastatin": ("C10AA01",),
    "gemfibrozil": ("C10AB04",),
    "bezafibrate": ("C10AB02",),
    "colchicine": ("M04AC01",),
    "azithromycin": ("J01FA10",),
    "cetirizine": ("R06AE07",),
    "chlorpheniramine": ("R06AB04",),
    "methylprednisolone": ("H02AB04",),
    "dexamethasone": ("H02AB02",),
    "hydrocortisone": ("H02AB09",),
    "hydroxychloroquine": ("P01BA02",),
    "chloroquine": ("P01BA01",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names = {name: (name,) for name in _ATC}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


def _interruptive(result: object) -> list:
    return [a for a in result.alerts if a.interruptive]  # type: ignore[attr-defined]


def test_dapt_with_a_high_bleeding_risk_does_not_interrupt(checker: PrescriptionChecker) -> None:
    patient = {"age": 72, "conditions": ["NSTEMI 支架术后", "上消化道出血高风险"]}
    orders = ({"name": "aspirin", "dose_mg": 100}, {"name": "ticagrelor", "dose_mg": 90})
    result = check(checker, patient, *orders)
    assert first_alert(result, "contraindication", "aspirin") is None
    assert "condition: 上消化道出血高风险" in result.unresolved


def test_an_active_bleed_still_blocks_an_nsaid(checker: PrescriptionChecker) -> None:
    result = check(checker, {"conditions": ["活动性上消化道出血"]}, {"name": "ibuprofen"})
    alert = first_alert(result, "contraindication", "ibuprofen")
    assert alert is not None and alert.severity == "contraindicated" and alert.interruptive


def test_a_triptan_with_a_stroke_risk_and_after_a_stroke(checker: PrescriptionChecker) -> None:
    risk = check(checker, {"conditions": ["房颤 卒中风险高"]}, {"name": "rizatriptan"})
    assert first_alert(risk, "contraindication", "rizatriptan") is None
    after = check(checker, {"conditions": ["脑梗死二级预防"]}, {"name": "rizatriptan"})
    alert = first_alert(after, "contraindication", "rizatriptan")
    assert alert is not None and alert.severity == "contraindicated"


@pytest.mark.parametrize(
    ("condition", "drug", "level"),
    [
        ("慢性丙型肝炎活动期", "ketoconazole", "contraindicated"),
        ("ALT > 3x ULN", "simvastatin", "major"),
        ("autoimmune hepatitis", "simvastatin", "major"),
    ],
)
def test_active_liver_disease_reaches_the_hepatic_rows(
    checker: PrescriptionChecker, condition: str, drug: str, level: str
) -> None:
    result = check(checker, {"conditions": [condition]}, {"name": drug, "dose_mg": 20})
    alert = first_alert(result, "contraindication", drug)
    assert alert is not None and alert.severity == level


def test_transaminases_below_three_times_are_not_impairment(checker: PrescriptionChecker) -> None:
    result = check(checker, {"conditions": ["ALT 1.5x ULN"]}, {"name": "simvastatin"})
    assert first_alert(result, "contraindication", "simvastatin") is None


@pytest.mark.parametrize(
    ("drug", "patient"),
    [
        ("gemfibrozil", {"age": 66, "crcl_ml_min": 22}),
        ("bezafibrate", {"age": 70, "conditions": ["维持性血液透析"]}),
    ],
)
def test_fibrates_contraindicated_in_severe_renal_impairment(
    checker: PrescriptionChecker, drug: str, patient: dict
) -> None:
    result = check(checker, patient, {"name": drug, "dose_mg": 600, "times_per_day": 1})
    alert = first_alert(result, "contraindication", drug)
    assert alert is not None and alert.severity == "contraindicated"


@pytest.mark.parametrize(
    ("order", "alerted"),
    [
        ({"dose_mg": 0.5, "times_per_day": 2, "duration_days": 90}, False),  # pericarditis
        ({"dose_mg": 0.6, "times_per_day": 2, "duration_days": 180}, False),  # FMF / prophylaxis
        ({"dose_mg": 0.5, "times_per_day": 3, "duration_days": 10}, True),  # an acute course
        ({"dose_mg": 1.0, "times_per_day": 2, "duration_days": 5}, True),
    ],
)
def test_colchicine_maintenance_is_not_an_acute_course(
    checker: PrescriptionChecker, order: dict, alerted: bool
) -> None:
    result = check(checker, {"age": 60}, {"name": "colchicine", **order})
    course = [a for a in result.alerts if a.type == "dose" and "course" in a.message]
    assert bool(course) == alerted


@pytest.mark.parametrize(
    ("patient", "order", "severity"),
    [
        ({"age": 45}, {"dose_mg": 1200, "frequency": "weekly"}, None),
        ({"age": 45}, {"name": "azithromycin 1200mg 每周一次", "dose_mg": 1200}, None),
        ({"age": 45}, {"dose_mg": 1200, "frequency": "daily"}, "major"),
        ({"age": 45}, {"dose_mg": 1500, "frequency": "weekly"}, "major"),
        ({"age": 7, "weight_kg": 22}, {"dose_mg": 400, "frequency": "weekly"}, None),
        ({"age": 7, "weight_kg": 22}, {"dose_mg": 600, "frequency": "weekly"}, "major"),
    ],
)
def test_weekly_azithromycin_rows(
    checker: PrescriptionChecker, patient: dict, order: dict, severity: str | None
) -> None:
    result = check(checker, patient, {"name": "azithromycin", "times_per_day": 1, **order})
    alert = first_alert(result, "dose", "azithromycin")
    assert (alert.severity if alert else None) == severity


@pytest.mark.parametrize(
    ("patient", "order", "severity"),
    [
        # the 6-12-year dose of chlorphenamine at 5: a boundary call, a note
        ({"age": 5}, {"name": "chlorpheniramine", "dose_mg": 2, "times_per_day": 3}, "moderate"),
        # the same dose at 3 is two bands early: the alert stays major
        ({"age": 3}, {"name": "chlorpheniramine", "dose_mg": 2, "times_per_day": 3}, "major"),
        # above the next band's cap too
        ({"age": 5}, {"name": "cetirizine", "dose_mg": 20}, "major"),
    ],
)
def test_next_age_band_dose_in_the_year_before_it(
    checker: PrescriptionChecker, patient: dict, order: dict, severity: str
) -> None:
    alert = first_alert(check(checker, patient, order), "dose", order["name"])
    assert alert is not None and alert.severity == severity
    assert alert.interruptive == (severity == "major")


def test_per_kg_excess_is_never_a_boundary_call(checker: PrescriptionChecker) -> None:
    # ibuprofen at 11 years: 400 mg is the adult dose, but 20 kg makes it 20 mg/kg
    patient = {"age": 11, "weight_kg": 20}
    result = check(checker, patient, {"name": "ibuprofen", "dose_mg": 400})
    alert = first_alert(result, "dose", "ibuprofen")
    assert alert is not None and alert.severity == "major"


def _pair_level(result: object, a: str, b: str) -> str | None:
    pairs = [p for p in result.pairs if set(p.drugs) == {a, b}]  # type: ignore[attr-defined]
    return pairs[0].known_level if pairs else None


@pytest.mark.parametrize(
    ("steroid", "dose", "times", "level"),
    [
        ("methylprednisolone", 4, 2, "minor"),  # 8 mg/day: low dose
        ("dexamethasone", 0.75, 2, "minor"),  # 1.5 mg/day
        ("methylprednisolone", 40, 1, None),  # a pulse: no override, the sources decide
        ("hydrocortisone", 10, 2, None),  # mineralocorticoid: never a low-dose context
    ],
)
def test_antimalarial_with_a_low_dose_glucocorticoid(
    checker: PrescriptionChecker, steroid: str, dose: float, times: int, level: str | None
) -> None:
    orders = (
        {"name": "hydroxychloroquine", "dose_mg": 200, "times_per_day": 2},
        {"name": steroid, "dose_mg": dose, "times_per_day": times},
    )
    result = check(checker, {"age": 35, "weight_kg": 60}, *orders)
    assert _pair_level(result, steroid, "hydroxychloroquine") == level
    assert first_alert(result, "interaction", steroid, "hydroxychloroquine") is None


def test_dose_context_rows_are_validated() -> None:
    tables = read_tables(CURATED, prefix="")
    row = dict(tables["dose_contexts.csv"][0], when="steroid_any_dose")
    tables["dose_contexts.csv"] = [row]
    with pytest.raises(ValueError, match=r"dose_contexts\.csv line 2"):
        ClinicalRules(tables, {})


def test_dose_rows_frequency_is_validated() -> None:
    tables = read_tables(CURATED, prefix="")
    tables["doses.csv"] = [dict(tables["doses.csv"][0], frequency="fortnightly")]
    with pytest.raises(ValueError, match="frequency"):
        ClinicalRules(tables, {})


def test_low_dose_overrides_name_a_known_context() -> None:
    rows = [r for r in read_overrides(CURATED) if r.when == "glucocorticoid_low_dose"]
    assert {r.drug_b for r in rows} == {"hydroxychloroquine", "chloroquine"}
    assert all(r.level == "minor" and r.drug_a == "atc:H02AB" for r in rows)
