"""Prescription checker round 17: a Chinese name typed as its pinyin (no Chinese input method at
hand), UK frequency abbreviations and liquid-order words after an English name, recombinant
protein abbreviations (rhEPO, rhG-CSF), a combination written with its inner salt, colloidal
bismuth pectin; twice a geriatric dose cap graded major, dose caps for warfarin and glyburide,
renal rows graded as their labels word them (acarbose, miglitol, nitrofurantoin, lithium in CKD
G3b), EU-label CYP1A2 contraindications, disulfiram-like reactions of NMTT cephalosporins and
tinidazole, and intended regimens recognised by their dose (vascular-dose rivaroxaban with
low-dose aspirin, doubled integrase inhibitors with rifampicin, hypnotic-dose trazodone with an
SSRI or SNRI). Runs on the repository's curated tables with small invented drug tables (no
shared data, no model); every prescription here is written for the test, in other drugs, doses
and wording than the scenario sets."""

from __future__ import annotations

import pytest

from prescription.checker import PrescriptionChecker, when_tags
from prescription.clinical import DoseContextRow, _dose_contexts
from prescription.resolver import DrugResolver
from tests.unit.prescription_curated import (
    check,
    curated_names_resolver,
    curated_overrides_checker,
    curated_rows_noted,
    first_alert,
    names_resolver,
    with_characters,
)

pytest.importorskip("pypinyin")  # the tables are built at KB build time (train extras)

# -- names -------------------------------------------------------------------------------------

_NAME_DRUGS = (
    "amlodipine",
    "metoprolol",
    "clopidogrel",
    "amoxicillin",
    "diazepam",
    "digoxin",
    "ibuprofen",
    "acetaminophen",
    "alendronic acid",
    "cholecalciferol",
    "colloidal bismuth pectin",
    "erythropoietin",
    "filgrastim",
    "pegfilgrastim",
    "somatotropin",
)


@pytest.fixture(scope="module")
def pinyin_reader() -> DrugResolver:
    """The curated names over `_NAME_DRUGS`, with the bundle's character table."""
    return with_characters(curated_names_resolver(_NAME_DRUGS))


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("anlvdiping 5mg", "amlodipine"),  # 氨氯地平, ü typed as v
        ("anludiping", "amlodipine"),  # ... or as u
        ("meituoluoer 25mg", "metoprolol"),  # 美托洛尔
        ("Lvbigelei 75mg", "clopidogrel"),  # 氯吡格雷, capitalised
        ("a mo xi lin 0.5g", "amoxicillin"),  # 阿莫西林, syllables apart
        ("dígāoxīn", None),  # tone marks are not typed by a pinyin-less keyboard: not read
    ],
)
def test_chinese_name_typed_as_pinyin(
    pinyin_reader: DrugResolver, written: str, drug: str | None
) -> None:
    found = pinyin_reader.resolve(written)
    if drug is None:
        assert not found.resolved
        return
    assert found.ingredients == (drug,) and found.kind == "read_as"
    assert "pinyin" in found.source


@pytest.mark.parametrize(
    "written",
    [
        "anding",  # 安定 (diazepam): two-character names are never read by pinyin
        "anlvdipingg",  # not a name's spelling
        "digao",  # part of a name
    ],
)
def test_pinyin_reads_only_whole_long_names(pinyin_reader: DrugResolver, written: str) -> None:
    assert not pinyin_reader.resolve(written).resolved


def test_no_table_no_pinyin_reading() -> None:
    """A bundle without the character table reads no pinyin."""
    assert not names_resolver({"氨氯地平": ("amlodipine",)}).resolve("anlvdiping").resolved


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("Digoxin 62.5mcg OM", ("digoxin",)),  # every morning
        ("Metoprolol 50 mg b.i.d.", ("metoprolol",)),
        ("Amoxicillin 500mg t.d.s.", ("amoxicillin",)),
        ("Metoprolol 25mg BD", ("metoprolol",)),
        ("Ibuprofen 200mg QDS", ("ibuprofen",)),
        ("Amoxicillin 125mg/5ml syr", ("amoxicillin",)),
        ("Ibuprofen infant drops 40mg/ml", ("ibuprofen",)),
        ("Acetaminophen children's susp 120mg/5ml", ("acetaminophen",)),
        ("Acetaminophen paediatric soln", ("acetaminophen",)),
        ("阿仑膦酸钠维D3片(Ⅱ)", ("alendronic acid", "cholecalciferol")),
        ("阿仑膦酸钠维生素D3片", ("alendronic acid", "cholecalciferol")),
        ("胶体果胶铋干混悬剂", ("colloidal bismuth pectin",)),
        ("果胶铋胶囊 100mg", ("colloidal bismuth pectin",)),
        ("rhEPO 10000IU", ("erythropoietin",)),
        ("rHu-EPO", ("erythropoietin",)),
        ("rhG-CSF 150μg", ("filgrastim",)),
        ("PEG-rhG-CSF 6mg", ("pegfilgrastim",)),
        ("rhGH 4IU", ("somatotropin",)),
    ],
)
def test_round17_names(pinyin_reader: DrugResolver, written: str, drugs: tuple) -> None:
    found = pinyin_reader.resolve(written)
    assert tuple(sorted(found.ingredients)) == drugs and found.kind != "read_as"


# -- clinical rows -------------------------------------------------------------------------------

_ATC = {
    "digoxin": ("C01AA05",),
    "citalopram": ("N06AB04",),
    "escitalopram": ("N06AB10",),
    "sertraline": ("N06AB06",),
    "trazodone": ("N06AX05",),
    "warfarin": ("B01AA03",),
    "glyburide": ("A10BB01",),
    "acarbose": ("A10BF01",),
    "miglitol": ("A10BF02",),
    "nitrofurantoin": ("J01XE01",),
    "lithium carbonate": ("N05AN01",),
    "duloxetine": ("N06AX21",),
    "fluvoxamine": ("N06AB08",),
    "agomelatine": ("N06AX22",),
    "ciprofloxacin": ("J01MA02",),
    "cefmetazole": ("J01DC09",),
    "cefoperazone": ("J01DD12",),
    "tinidazole": ("J01XD02",),
    "ethanol": ("V03AB16",),
    "acetylsalicylic acid": ("B01AC06",),
    "rivaroxaban": ("B01AF01",),
    "dolutegravir": ("J05AJ03",),
    "raltegravir": ("J05AJ01",),
    "rifampicin": ("J04AB02",),
    "carbamazepine": ("N03AF01",),
    "zolpidem": ("N05CF02",),
    "eszopiclone": ("N05CF04",),
    "gliclazide": ("A10BB09",),
    "cetirizine": ("R06AE07",),
    "cholecalciferol": ("A11CC05",),
    "calcium carbonate": ("A12AA04",),
    "potassium chloride": ("A12BA01",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names: dict[str, tuple[str, ...]] = {name: (name,) for name in _ATC}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


def _dose_severity(checker: PrescriptionChecker, patient: dict, order: dict) -> str | None:
    """The strictest dose alert's grade on one order, None when there is none."""
    alerts = [a for a in check(checker, patient, order).alerts if a.type == "dose"]
    grades = [a.severity for a in alerts]
    return max(grades, key=["minor", "moderate", "major"].index) if grades else None


@pytest.mark.parametrize(
    ("drug", "age", "dose", "times", "severity"),
    [
        ("digoxin", 79, 0.125, 2, None),  # 0.25 mg/day: the top of the label range
        ("digoxin", 88, 0.125, 3, "moderate"),  # 0.375 mg/day: reduce
        ("digoxin", 71, 0.25, 2, "major"),  # 0.5 mg/day: twice the geriatric cap
        ("digoxin", 50, 0.25, 1, None),  # adults keep the adult caps
        ("escitalopram", 72, 20, 1, "major"),  # twice the 10 mg cap from 65
        ("escitalopram", 70, 15, 1, "moderate"),
        ("escitalopram", 60, 20, 1, None),
        ("citalopram", 66, 30, 1, "moderate"),  # above the 20 mg cap from 60
        ("citalopram", 63, 20, 2, "major"),  # 40 mg/day: twice the cap
        ("citalopram", 55, 40, 1, None),
        ("zolpidem", 78, 10, 1, "major"),  # the full adult dose: twice the 5 mg geriatric cap
        ("zolpidem", 78, 5, 1, None),
        ("eszopiclone", 70, 3, 1, "moderate"),  # above the 2 mg geriatric cap
    ],
)
def test_twice_a_geriatric_cap_is_major(
    checker: PrescriptionChecker,
    drug: str,
    age: float,
    dose: float,
    times: int,
    severity: str | None,
) -> None:
    order = {"name": drug, "dose_mg": dose, "times_per_day": times, "route": "po"}
    assert _dose_severity(checker, {"age": age}, order) == severity


@pytest.mark.parametrize(
    ("drug", "dose", "times", "severity"),
    [
        ("warfarin", 50, 1, "major"),  # 5 mg written with an extra zero
        ("warfarin", 7.5, 1, None),
        ("glyburide", 15, 2, "major"),  # 30 mg a day
        ("glyburide", 5, 2, None),
    ],
)
def test_dose_caps_of_narrow_margin_drugs(
    checker: PrescriptionChecker, drug: str, dose: float, times: int, severity: str | None
) -> None:
    order = {"name": drug, "dose_mg": dose, "times_per_day": times, "route": "po"}
    assert _dose_severity(checker, {"age": 58}, order) == severity


@pytest.mark.parametrize(
    ("drug", "dose", "times", "renal", "severity"),
    [
        ("acarbose", 100, 3, {"crcl_ml_min": 21}, "contraindicated"),
        ("miglitol", 50, 3, {"crcl_ml_min": 19}, "contraindicated"),
        ("miglitol", 50, 3, {"crcl_ml_min": 40}, None),
        ("nitrofurantoin", 50, 4, {"egfr_ml_min_1_73m2": 24}, "contraindicated"),
        ("nitrofurantoin", 50, 4, {"egfr_ml_min_1_73m2": 38}, "moderate"),
        ("lithium carbonate", 400, 2, {"egfr_ml_min_1_73m2": 41}, "major"),  # CKD G3b
        ("lithium carbonate", 400, 2, {"egfr_ml_min_1_73m2": 52}, "moderate"),  # G3a: reduce
        ("gliclazide", 80, 2, {"egfr_ml_min_1_73m2": 22}, "contraindicated"),  # as the label
        ("cetirizine", 10, 1, {"crcl_ml_min": 8}, "contraindicated"),
    ],
)
def test_renal_rows_graded_as_labels_word_them(
    checker: PrescriptionChecker,
    drug: str,
    dose: float,
    times: int,
    renal: dict,
    severity: str | None,
) -> None:
    order = {"name": drug, "dose_mg": dose, "times_per_day": times, "route": "po"}
    result = check(checker, {"age": 64, **renal}, order)
    found = [a for a in result.alerts if a.type in ("dose", "contraindication")]
    grades = [a.severity for a in found]
    order_of = ["minor", "moderate", "major", "contraindicated"]
    assert (max(grades, key=order_of.index) if grades else None) == severity


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("duloxetine", "fluvoxamine", "contraindicated"),  # EU SmPC: potent CYP1A2 inhibitors
        ("duloxetine", "ciprofloxacin", "contraindicated"),
        ("agomelatine", "fluvoxamine", "contraindicated"),
        ("cefmetazole", "ethanol", "major"),  # NMTT side chain: disulfiram-like reaction
        ("cefoperazone", "ethanol", "major"),
        ("tinidazole", "ethanol", "major"),
    ],
)
def test_label_grades_of_pairs(checker: PrescriptionChecker, a: str, b: str, severity: str) -> None:
    result = check(checker, {"age": 47}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "interaction", a, b)
    assert alert is not None and alert.severity == severity


def _order(name: str, dose: float, times: int) -> dict:
    return {"name": name, "dose_mg": dose, "times_per_day": times, "route": "po"}


@pytest.mark.parametrize(
    ("first", "second", "severity"),
    [
        (_order("rivaroxaban", 2.5, 2), _order("acetylsalicylic acid", 75, 1), "moderate"),
        (_order("rivaroxaban", 20, 1), _order("acetylsalicylic acid", 75, 1), "major"),
        (_order("rivaroxaban", 2.5, 2), _order("acetylsalicylic acid", 300, 1), "contraindicated"),
        (_order("escitalopram", 10, 1), _order("trazodone", 50, 1), "moderate"),
        (_order("sertraline", 50, 1), _order("trazodone", 100, 1), "moderate"),
    ],
)
def test_intended_regimens_by_dose(
    checker: PrescriptionChecker, first: dict, second: dict, severity: str
) -> None:
    result = check(checker, {"age": 67}, first, second)
    alert = first_alert(result, "interaction", first["name"], second["name"])
    assert alert is not None and alert.severity == severity


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (_order("dolutegravir", 50, 2), _order("rifampicin", 600, 1)),
        (_order("raltegravir", 800, 2), _order("rifampicin", 450, 1)),
        (_order("dolutegravir", 50, 2), _order("carbamazepine", 200, 2)),
    ],
)
def test_doubled_integrase_inhibitor_with_rifampicin(
    checker: PrescriptionChecker, first: dict, second: dict
) -> None:
    alert = first_alert(check(checker, {"age": 33}, first, second), "interaction")
    assert alert is not None and alert.severity == "moderate" and not alert.interruptive


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (_order("dolutegravir", 50, 1), _order("rifampicin", 600, 1)),  # not doubled
        (_order("sertraline", 100, 1), _order("trazodone", 150, 2)),  # antidepressant dose
    ],
)
def test_the_dose_context_needs_the_dose(
    checker: PrescriptionChecker, first: dict, second: dict
) -> None:
    """Outside the dose the conditional row names, no curated note lowers the pair (the stub
    knowledge base holds only the curated rows, so nothing is found here)."""
    alert = first_alert(check(checker, {"age": 33}, first, second), "interaction")
    assert alert is None or alert.severity != "moderate"


@pytest.mark.parametrize(
    ("drug", "severity"),
    [
        ("cholecalciferol", "moderate"),  # vitamin D in two products: check the daily total
        ("calcium carbonate", "moderate"),
        ("potassium chloride", "major"),  # two potassium products stay an overdose alarm
        ("warfarin", "major"),
    ],
)
def test_a_supplement_in_two_products(
    checker: PrescriptionChecker, drug: str, severity: str
) -> None:
    result = check(
        checker,
        {"age": 74},
        {"name": drug},
        {"name": f"{drug} tablets"},
    )
    alert = first_alert(result, "duplicate_therapy", drug)
    assert alert is not None and alert.severity == severity


def test_when_names_several_facts() -> None:
    assert when_tags("aspirin_low_dose+rivaroxaban_vascular_dose") == (
        "aspirin_low_dose",
        "rivaroxaban_vascular_dose",
    )
    assert when_tags("") == ()


def test_dose_context_lower_bound_is_optional() -> None:
    row = {
        "target": "dolutegravir",
        "when": "dolutegravir_twice_daily",
        "max_daily_mg": "100",
        "rationale": "the doubled dose given with an inducer",
        "source": "curated: test",
    }
    assert _dose_contexts([row | {"min_daily_mg": ""}])[0].min_daily_mg == 0.0
    assert _dose_contexts([row | {"min_daily_mg": "100"}])[0].min_daily_mg == 100.0
    assert DoseContextRow(**row).min_daily_mg == 0.0  # type: ignore[arg-type]


def test_round17_rows_are_sourced() -> None:
    for table in ("zh_aliases.csv", "abbreviations.csv", "combinations.csv", "extra_drugs.csv"):
        rows = curated_rows_noted(table, "round 17")
        assert rows and all(r["source"].startswith("curated") for r in rows), table
