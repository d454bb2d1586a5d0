"""Prescription checker round 13: Indian, UK and Hong Kong brands, Chinese old names and brands,
pinyin-input homophones (座/唑, 维/韦 ...), vitamins written short ("Vit B12", "维C"), an allergy
written with its reaction ("<drug> <reaction>"), loading regimens kept up too long (course limits
that spare a maintenance dose), weekly and monthly injectables ordered daily, statin + ezetimibe
and triptan + SSRI/SNRI graded down, ACE-inhibitor and other renal rows, paediatric age limits.
Runs on the repository's curated tables with small invented drug tables (no shared data, no
model); every prescription here is written for the test, in other drugs, doses and wording than
the scenario sets."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from prescription.checker import PrescriptionChecker, allergen_before_reaction
from prescription.names import name_key, name_variants
from prescription.resolver import DrugResolver, load_abbreviations
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_names_resolver,
    curated_overrides_checker,
    curated_rows_noted,
    first_alert,
    names_resolver,
)
from training.prescription.kb import read_overrides

# the drugs the curated name rows below point at (canonical names of the drug table)
_DRUGS = (
    "acetaminophen",
    "ibuprofen",
    "caffeine",
    "codeine",
    "propyphenazone",
    "acetylsalicylic acid",
    "atorvastatin",
    "clopidogrel",
    "telmisartan",
    "hydrochlorothiazide",
    "pantoprazole",
    "domperidone",
    "cefixime",
    "montelukast",
    "levocetirizine",
    "acenocoumarol",
    "cholecalciferol",
    "carbamazepine",
    "voriconazole",
    "tenofovir alafenamide",
    "tenofovir disoproxil",
    "entecavir",
    "fluoxetine",
    "darunavir",
    "cetirizine",
    "isoniazid",
    "tacrolimus",
    "triazolam",
    "lorazepam",
    "haloperidol",
    "ofloxacin",
    "cefazolin",
    "cyanocobalamin",
    "ascorbic acid",
    "pyridoxine",
    "butylscopolamine",
    "levetiracetam",
    "ezetimibe",
    "rosuvastatin",
    "amobarbital",
    "clenbuterol",
    "chlorpheniramine",
    "ergocalciferol",
    "calcium gluconate",
    "vitamin d",
    "tretinoin",
    "crocin",
    "amoxicillin",
    "clavulanic acid",
)


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    """The repository's curated names over a drug table of `_DRUGS` (rows naming other drugs are
    skipped, as in a demo build), with the homophone pairs the read-as step uses."""
    return curated_names_resolver(_DRUGS)


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("Dolo-650 tab", ("acetaminophen",)),
        ("Crocin 500", ("acetaminophen",)),  # the brand, not the saffron carotenoid
        ("Combiflam", ("acetaminophen", "ibuprofen")),
        ("Saridon", ("acetaminophen", "caffeine", "propyphenazone")),
        ("Ecosprin-AV 75/10", ("acetylsalicylic acid", "atorvastatin")),
        ("Ecosprin Gold 10", ("acetylsalicylic acid", "atorvastatin", "clopidogrel")),
        ("Telma-H 40", ("hydrochlorothiazide", "telmisartan")),
        ("Pan-D", ("domperidone", "pantoprazole")),
        ("Taxim-O 200", ("cefixime",)),
        ("Montair-LC", ("levocetirizine", "montelukast")),
        ("Acitrom 2mg", ("acenocoumarol",)),
        ("Uprise-D3 60000 IU", ("cholecalciferol",)),
        ("Panadol Extra", ("acetaminophen", "caffeine")),
        ("Nurofen Plus", ("codeine", "ibuprofen")),
        ("Buscopan 10 mg", ("butylscopolamine",)),
        ("hyoscine butylbromide 20mg", ("butylscopolamine",)),
        ("LEV 750mg", ("levetiracetam",)),
        ("Roszet 10/10", ("ezetimibe", "rosuvastatin")),
        ("Calcirol 60K", ("cholecalciferol",)),
        ("Thorens 25000 IU", ("cholecalciferol",)),
        ("Augmentin Duo 400/57", ("amoxicillin", "clavulanic acid")),
    ],
)
def test_indian_uk_and_hong_kong_brands(resolver: DrugResolver, written: str, drugs: tuple) -> None:
    assert resolver.resolve(written).ingredients == drugs


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("痛痉宁片 0.2g", ("carbamazepine",)),
        ("海乐神 0.25mg", ("triazolam",)),
        ("氯羟安定片", ("lorazepam",)),
        ("氟哌丁苯注射液", ("haloperidol",)),
        ("氟嗪酸胶囊", ("ofloxacin",)),
        ("先锋5号", ("cefazolin",)),
        ("异戊巴比妥钠", ("amobarbital",)),
        ("喘息灵胶囊", ("chlorpheniramine", "clenbuterol")),
        ("龙牡壮骨颗粒", ("calcium gluconate", "ergocalciferol")),
        # the Chinese "vitamin D" products are D3 (D2 is always written 维生素D2)
        ("维生素D软胶囊 400IU", ("cholecalciferol",)),
    ],
)
def test_chinese_old_names_brands_and_patent_medicines(
    resolver: DrugResolver, written: str, drugs: tuple
) -> None:
    assert resolver.resolve(written).ingredients == drugs


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("泊立康座片", None),  # two slips away from 伏立康唑: never read
        ("伏立康座胶囊", "voriconazole"),  # 座/唑
        ("伏立康佐", "voriconazole"),  # 佐/唑
        ("维立得片", "tenofovir alafenamide"),  # 维/韦
        ("维瑞德", "tenofovir disoproxil"),
        ("恩替卡维分散片", "entecavir"),
        ("百优解 20mg", "fluoxetine"),  # 优/忧
        ("达卢那韦", "darunavir"),  # 卢/芦
        ("西替利琴片", "cetirizine"),  # 琴/嗪
        ("易烟肼", "isoniazid"),  # 易/异
        ("他克默司胶囊", "tacrolimus"),  # 默/莫
        ("痛惊宁", "carbamazepine"),  # 惊/痉
    ],
)
def test_round13_homophones_are_read(
    resolver: DrugResolver, written: str, drug: str | None
) -> None:
    found = resolver.resolve(written)
    if drug is None:
        assert not found.resolved
    else:
        assert found.ingredients == (drug,) and found.kind == "read_as"


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("vit. C 500 mg", "ascorbic acid"),
        ("维B6片", "pyridoxine"),
        ("维C 100mg", "ascorbic acid"),
        ("维A酸乳膏", "tretinoin"),  # a name that starts like a vitamin is tried whole first
    ],
)
def test_vitamins_written_short(resolver: DrugResolver, written: str, drug: str) -> None:
    assert resolver.resolve(written).ingredients == (drug,)


def test_vitamins_short_in_english() -> None:
    short = names_resolver({"vitamin b12": ("cyanocobalamin",), "vitamin d3": ("cholecalciferol",)})
    assert short.resolve("Vit B12 1mg").ingredients == ("cyanocobalamin",)
    assert short.resolve("VitD3 1000IU").ingredients == ("cholecalciferol",)
    assert not short.resolve("Vit Q").resolved


def test_thousands_of_units_written_k() -> None:
    """ "60K" is 60,000 IU on Indian vitamin D orders; a K that is no strength stays."""
    assert name_key("Uprise-D3 60K IU") == "uprise d3"
    assert name_key("vitamin K2") == "vitamin k2"
    assert name_key("losartan K 50mg") == "losartan k"
    assert name_key("Slow-K") == "slow k"


def test_vitamin_long_form_goes_after_the_name_as_written() -> None:
    variants = list(name_variants("Vit D3"))
    assert variants[0] == "vit d3" and "vitamin d3" in variants
    assert "vitamin ex" not in list(name_variants("vitex"))


def test_round13_name_rows_are_sourced() -> None:
    for table, column in (("zh_aliases.csv", "alias"), ("abbreviations.csv", "abbreviation")):
        rows = curated_rows_noted(table, "round 13")
        assert len(rows) >= 20, table
        assert all(r["source"].startswith("curated") and r[column].strip() for r in rows)


def test_bare_mst_stays_out() -> None:
    """Round 10 left "MST" alone out (it abbreviates other things); only MST Continus reads."""
    table = load_abbreviations(CURATED / "abbreviations.csv")
    assert "mst" not in table and "mst continus" in table


# -- allergies written with their reaction -----------------------------------------------------


@pytest.mark.parametrize(
    ("written", "allergen"),
    [
        ("苯妥英钠 Stevens-Johnson综合征", "苯妥英钠"),
        ("头孢呋辛引起的荨麻疹", "头孢呋辛"),
        ("阿莫西林致SJS", "阿莫西林"),
        ("cefaclor - hives", "cefaclor"),
        ("naproxen: angioedema", "naproxen"),
        ("别嘌醇 DRESS", "别嘌醇"),
        ("布洛芬后出现哮喘", "布洛芬"),
        ("青霉素", None),  # no reaction written
        ("过敏性休克", None),  # a reaction with no allergen
    ],
)
def test_allergen_before_reaction(written: str, allergen: str | None) -> None:
    assert allergen_before_reaction(written) == allergen


# -- checker on the curated tables -------------------------------------------------------------

_ATC = {
    "carbamazepine": ("N03AF01",),
    "oxcarbazepine": ("N03AF02",),
    "phenytoin": ("N03AB02",),
    "lamotrigine": ("N03AX09",),
    "bedaquiline": ("J04AK05",),
    "amiodarone": ("C01BD01",),
    "itraconazole": ("J02AC02",),
    "voriconazole": ("J02AC03",),
    "valganciclovir": ("J05AB14",),
    "cholecalciferol": ("A11CC05",),
    "ergocalciferol": ("A11CC01",),
    "vitamin d": (),
    "tirzepatide": ("A10BX16",),
    "evolocumab": ("C10AX13",),
    "atorvastatin": ("C10AA05",),
    "pitavastatin": ("C10AA08",),
    "ezetimibe": ("C10AX09",),
    "fenofibrate": ("C10AB05",),
    "rizatriptan": ("N02CC04",),
    "escitalopram": ("N06AB10",),
    "duloxetine": ("N06AX21",),
    "linezolid": ("J01XX08",),
    "ramipril": ("C09AA05",),
    "perindopril": ("C09AA04",),
    "terbinafine": ("D01BA02",),
    "magnesium oxide": ("A02AA02",),
    "carbocisteine": ("R05CB03",),
    "albendazole": ("P02CA03",),
    "metamizole": ("N02BB02",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names = {name: (name,) for name in _ATC}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


def test_allergy_with_reaction_reaches_the_class(checker: PrescriptionChecker) -> None:
    patient = {"age": 31, "allergies": ["carbamazepine Stevens-Johnson syndrome"]}
    result = check(checker, patient, {"name": "oxcarbazepine", "dose_mg": 150})
    alert = first_alert(result, "allergy", "oxcarbazepine")
    assert alert is not None and alert.interruptive
    assert not [u for u in result.unresolved if u.startswith("allergy:")]
    cross = first_alert(check(checker, patient, {"name": "phenytoin"}), "allergy", "phenytoin")
    assert cross is not None and cross.severity == "major"


def test_an_unknown_allergen_with_a_reaction_stays_unresolved(checker: PrescriptionChecker) -> None:
    result = check(checker, {"age": 31, "allergies": ["zorblax 皮疹"]}, {"name": "lamotrigine"})
    assert "allergy: zorblax 皮疹" in result.unresolved


def _dose(checker: PrescriptionChecker, order: dict, age: float = 52) -> str | None:
    alert = first_alert(check(checker, {"age": age}, order), "dose", order["name"])
    return alert.severity if alert else None


@pytest.mark.parametrize(
    ("order", "severity"),
    [
        # the loading phase itself, and the maintenance dose for months: no alert
        ({"name": "bedaquiline", "dose_mg": 400, "times_per_day": 1, "duration_days": 10}, None),
        ({"name": "bedaquiline", "dose_mg": 100, "times_per_day": 1, "duration_days": 120}, None),
        ({"name": "bedaquiline", "dose_mg": 400, "times_per_day": 1, "duration_days": 60}, "major"),
        ({"name": "amiodarone", "dose_mg": 200, "times_per_day": 1, "duration_days": 365}, None),
        (
            {"name": "amiodarone", "dose_mg": 400, "times_per_day": 2, "duration_days": 45},
            "moderate",
        ),
        ({"name": "itraconazole", "dose_mg": 200, "times_per_day": 3, "duration_days": 3}, None),
        (
            {"name": "itraconazole", "dose_mg": 200, "times_per_day": 3, "duration_days": 10},
            "moderate",
        ),
        ({"name": "voriconazole", "dose_mg": 300, "times_per_day": 2, "duration_days": 42}, None),
        ({"name": "valganciclovir", "dose_mg": 900, "times_per_day": 1, "duration_days": 90}, None),
        (
            {"name": "valganciclovir", "dose_mg": 900, "times_per_day": 2, "duration_days": 35},
            "moderate",
        ),
        # linezolid's row has no maintenance dose: 600 mg daily beyond 28 days is still flagged
        ({"name": "linezolid", "dose_mg": 600, "times_per_day": 1, "duration_days": 40}, "major"),
    ],
)
def test_loading_regimens_kept_up_too_long(
    checker: PrescriptionChecker, order: dict, severity: str | None
) -> None:
    assert _dose(checker, order) == severity


@pytest.mark.parametrize(
    ("order", "severity"),
    [
        ({"name": "vitamin d", "dose_mg": 1.25, "times_per_day": 1, "frequency": "daily"}, "major"),
        ({"name": "vitamin d", "dose_mg": 1.25, "times_per_day": 1, "frequency": "weekly"}, None),
        ({"name": "vitamin d", "dose_mg": 0.025, "times_per_day": 1, "frequency": "daily"}, None),
        (
            {"name": "ergocalciferol", "dose_mg": 7.5, "route": "im", "frequency": "daily"},
            "major",
        ),
        ({"name": "tirzepatide", "dose_mg": 7.5, "route": "sc", "frequency": "daily"}, "major"),
        ({"name": "tirzepatide", "dose_mg": 7.5, "route": "sc", "frequency": "weekly"}, None),
        ({"name": "evolocumab", "dose_mg": 140, "route": "sc", "frequency": "daily"}, "major"),
    ],
)
def test_intermittent_drugs_ordered_daily(
    checker: PrescriptionChecker, order: dict, severity: str | None
) -> None:
    assert _dose(checker, order) == severity


def _interaction(checker: PrescriptionChecker, a: str, b: str) -> str | None:
    result = check(checker, {"age": 58}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "interaction", a, b)
    return alert.severity if alert else None


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("pitavastatin", "ezetimibe", None),  # minor: kept in pairs, no alert
        ("atorvastatin", "ezetimibe", None),
        ("fenofibrate", "ezetimibe", "moderate"),
        ("rizatriptan", "escitalopram", "moderate"),
        ("rizatriptan", "duloxetine", "moderate"),
        ("linezolid", "escitalopram", "major"),  # an older row, untouched by the triptan rows
    ],
)
def test_round13_pair_grades(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    assert _interaction(checker, a, b) == level


def test_round13_override_rows_are_reviewed() -> None:
    rows = [r for r in read_overrides(CURATED) if "Round 13" in r.rationale]
    assert len(rows) >= 7
    assert all(len(r.rationale) >= 80 and r.source.startswith("curated") for r in rows)


@pytest.mark.parametrize(
    ("patient", "order", "severity"),
    [
        (
            {"conditions": ["eGFR 24"]},
            {"name": "ramipril", "dose_mg": 10, "times_per_day": 1},
            "moderate",
        ),
        (
            {"conditions": ["eGFR 24"]},
            {"name": "ramipril", "dose_mg": 2.5, "times_per_day": 1},
            None,
        ),
        (
            {"crcl_ml_min": 45},
            {"name": "perindopril", "dose_mg": 5, "times_per_day": 1},
            "moderate",
        ),
        ({"crcl_ml_min": 75}, {"name": "perindopril", "dose_mg": 5, "times_per_day": 1}, None),
    ],
)
def test_ace_inhibitor_renal_doses(
    checker: PrescriptionChecker, patient: dict, order: dict, severity: str | None
) -> None:
    alert = first_alert(check(checker, {"age": 71, **patient}, order), "dose", order["name"])
    assert (alert.severity if alert else None) == severity


@pytest.mark.parametrize(
    ("patient", "drug", "alerted"),
    [
        ({"crcl_ml_min": 35}, "terbinafine", True),
        ({"crcl_ml_min": 80}, "terbinafine", False),
        ({"conditions": ["eGFR 18"]}, "magnesium oxide", True),
        ({"conditions": ["eGFR 55"]}, "magnesium oxide", False),
    ],
)
def test_renal_contraindications(
    checker: PrescriptionChecker, patient: dict, drug: str, alerted: bool
) -> None:
    result = check(checker, {"age": 66, **patient}, {"name": drug})
    assert (
        bool([a for a in result.alerts if drug in a.drugs and a.type != "unknown_drug"]) is alerted
    )


@pytest.mark.parametrize(
    ("age", "drug", "severity"),
    [
        (1.5, "carbocisteine", "major"),
        (3, "carbocisteine", None),
        (1, "albendazole", "moderate"),
        (15, "metamizole", "major"),
        (30, "metamizole", None),
    ],
)
def test_round13_age_limits(
    checker: PrescriptionChecker, age: float, drug: str, severity: str | None
) -> None:
    result = check(checker, {"age": age}, {"name": drug})
    alert = first_alert(result, "contraindication", drug)
    assert (alert.severity if alert else None) == severity


# -- the scenario scorer -----------------------------------------------------------------------


def _scorer() -> ModuleType:
    script = Path(__file__).resolve().parents[2] / "bench/prescription_scenarios.py"
    spec = importlib.util.spec_from_file_location("prescription_scenarios_r13", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scorer_reads_aminophylline_as_theophylline() -> None:
    scorer = _scorer()
    alert = {"drugs": ["aminophylline", "ciprofloxacin"]}
    assert scorer.involves(alert, ["theophylline", "ciprofloxacin"])
    assert not scorer.involves({"drugs": ["doxofylline", "ciprofloxacin"]}, ["theophylline"])
