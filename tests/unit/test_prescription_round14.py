"""Prescription checker round 14: pinyin-input slips of another kind (各/格, 蕾/雷, 抗/康 ...),
numbered vitamins written bare ("B6", "D3") or in the V-shorthand ("VB2", "VD3"), thyroid and TB
regimen abbreviations, oncology and dialysis names, indication-specific dose rows (a JAK
inhibitor's rheumatoid-arthritis dose), intravenous ondansetron caps, two current medications
that interact when a new drug adds to their shared risk, P-gp and CYP3A4 pairs of dabigatran,
edoxaban and isavuconazole, vericiguat, apomorphine with the 5-HT3 antagonists, and lactation
rows. Runs on the repository's curated tables with small invented drug tables (no shared data,
no model); every prescription here is written for the test, in other drugs, doses and wording
than the scenario sets."""

from __future__ import annotations

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import ClinicalRules, read_tables
from prescription.names import name_variants
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
    "clopidogrel",
    "rabeprazole",
    "voriconazole",
    "nifedipine",
    "amiodarone",
    "pantoprazole",
    "atorvastatin",
    "hydrochlorothiazide",
    "ritonavir",
    "tobramycin",
    "salbutamol",
    "granisetron",
    "tropisetron",
    "palonosetron",
    "netupitant",
    "docetaxel",
    "paclitaxel",
    "vinorelbine",
    "doxorubicin",
    "irinotecan",
    "carboplatin",
    "epirubicin",
    "ifosfamide",
    "levocarnitine",
    "levothyroxine",
    "liothyronine",
    "isoniazid",
    "rifampicin",
    "pyrazinamide",
    "ethambutol",
)


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    """The repository's curated names over a drug table of `_DRUGS`, with the homophone pairs
    the read-as step uses."""
    return curated_names_resolver(_DRUGS)


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("氯吡葛雷片", "clopidogrel"),  # 葛/格
        ("氯吡各雷片 75mg", "clopidogrel"),  # 各/格
        ("蕾贝拉唑钠肠溶片", "rabeprazole"),  # 蕾/雷
        ("伏立抗唑 200mg", "voriconazole"),  # 抗/康
        ("硝苯帝平控释片", "nifedipine"),  # 帝/地
        ("胺典酮片", "amiodarone"),  # 典/碘
        ("盼托拉唑", "pantoprazole"),  # 盼/泮
        ("阿托伐他亭钙片", "atorvastatin"),  # 亭/汀
        ("氢氯赛嗪", "hydrochlorothiazide"),  # 赛/噻
        ("利托那威", "ritonavir"),  # 威/韦
        ("陀布霉素滴眼液", "tobramycin"),  # 陀/妥
        ("纱丁胺醇气雾剂", "salbutamol"),  # 纱/沙
        ("尼福达 10mg", "nifedipine"),  # 尼/伲
    ],
)
def test_round14_homophones_are_read(resolver: DrugResolver, written: str, drug: str) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


@pytest.mark.parametrize("written", ["氯吡各蕾", "蕾贝拉座钠"])
def test_two_slips_are_never_read(resolver: DrugResolver, written: str) -> None:
    assert not resolver.resolve(written).resolved


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("凯特瑞 3mg", ("granisetron",)),
        ("呕必停注射液", ("tropisetron",)),
        ("阿乐喜 0.25mg", ("palonosetron",)),
        ("奈妥匹坦帕洛诺司琼胶囊", ("netupitant", "palonosetron")),
        ("泰素帝 120mg", ("docetaxel",)),
        ("泰素 240mg", ("paclitaxel",)),  # Taxol, not Taxotere
        ("艾素", ("docetaxel",)),
        ("诺维本注射液", ("vinorelbine",)),
        ("酒石酸长春瑞滨", ("vinorelbine",)),
        ("里葆多 40mg", ("doxorubicin",)),
        ("开普拓", ("irinotecan",)),
        ("伯尔定 450mg", ("carboplatin",)),
        ("法玛新", ("epirubicin",)),
        ("异环磷酰胺", ("ifosfamide",)),
        ("左卡尼汀注射液 1g", ("levocarnitine",)),
        ("L-T4 75ug", ("levothyroxine",)),
        ("LT3 20μg", ("liothyronine",)),
        ("HRZE 3片", ("ethambutol", "isoniazid", "pyrazinamide", "rifampicin")),
    ],
)
def test_oncology_dialysis_thyroid_and_tb_names(
    resolver: DrugResolver, written: str, drugs: tuple
) -> None:
    assert tuple(sorted(resolver.resolve(written).ingredients)) == drugs


_VITAMINS = names_resolver(
    {
        "vitamin b1": ("thiamine",),
        "vitamin b2": ("riboflavin",),
        "vitamin b6": ("pyridoxine",),
        "vitamin b12": ("cyanocobalamin",),
        "vitamin d3": ("cholecalciferol",),
        "vitamin k1": ("phytonadione",),
        "vitamin e": ("vitamin e",),
    }
)


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("B1 10mg tid", "thiamine"),
        ("B-12 0.5mg", "cyanocobalamin"),
        ("b 6 20 mg", "pyridoxine"),
        ("D3 2000IU", "cholecalciferol"),
        ("K1 10mg im", "phytonadione"),
        ("VB2 5mg", "riboflavin"),
        ("VE 100mg", "vitamin e"),
        ("VD3 400IU", "cholecalciferol"),
        ("B5", None),  # not one of the numbered vitamins read bare
        ("E 100mg", None),  # a letter alone is no vitamin
        ("VX", None),
    ],
)
def test_vitamins_written_bare_or_as_v_shorthand(written: str, drug: str | None) -> None:
    found = _VITAMINS.resolve(written)
    assert (found.ingredients[0] if found.resolved else None) == drug


def test_bare_vitamin_is_tried_after_the_name_as_written() -> None:
    assert next(iter(name_variants("B6 10mg"))) == "b6"
    assert "vitamin b5" not in list(name_variants("B5"))


def test_round14_name_rows_are_sourced() -> None:
    for table, column in (("zh_aliases.csv", "alias"), ("abbreviations.csv", "abbreviation")):
        rows = curated_rows_noted(table, "round 14")
        assert len(rows) >= 6, table
        assert all(r["source"].startswith("curated") and r[column].strip() for r in rows)
    table = load_abbreviations(CURATED / "abbreviations.csv")
    assert "hr" not in table  # HR (heart rate) stays out; only HRZE/HRZ read as regimens


# -- checker on the curated tables -------------------------------------------------------------

_ATC = {
    "tofacitinib": ("L04AF01",),
    "upadacitinib": ("L04AF03",),
    "baricitinib": ("L04AF02",),
    "methotrexate": ("L04AX03",),
    "ondansetron": ("A04AA01",),
    "granisetron": ("A04AA02",),
    "tropisetron": ("A04AA03",),
    "apomorphine": ("N04BC07",),
    "dabigatran etexilate": ("B01AE07",),
    "verapamil": ("C08DA01",),
    "edoxaban": ("B01AF03",),
    "ketoconazole": ("J02AB02",),
    "isavuconazole": ("J02AC05",),
    "isavuconazonium": (),
    "tacrolimus": ("L04AD02",),
    "cyclosporine": ("L04AD01",),
    "everolimus": ("L04AH02",),
    "vericiguat": ("C01DX22",),
    "riociguat": ("C02KX05",),
    "tadalafil": ("G04BE08",),
    "isosorbide mononitrate": ("C01DA14",),
    "spironolactone": ("C03DA01",),
    "eplerenone": ("C03DA04",),
    "potassium chloride": ("A12BA01",),
    "perindopril": ("C09AA04",),
    "ramipril": ("C09AA05",),
    "amlodipine": ("C08CA01",),
    "paracetamol": ("N02BE01",),
    "rivaroxaban": ("B01AF01",),
    "apixaban": ("B01AF02",),
    "dapagliflozin": ("A10BK01",),
    "rosuvastatin": ("C10AA07",),
    "levofloxacin": ("J01MA12",),
    "osimertinib": ("L01EB04",),
    "doxycycline": ("J01AA02",),
    "mycophenolate mofetil": ("L04AA06",),
    "warfarin": ("B01AA03",),
    "sertraline": ("N06AB06",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names = {name: (name,) for name in _ATC}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


def _dose_alert(checker: PrescriptionChecker, patient: dict, order: dict) -> str | None:
    alert = first_alert(check(checker, {"age": 54, **patient}, order), "dose", order["name"])
    return alert.severity if alert else None


@pytest.mark.parametrize(
    ("conditions", "order", "severity"),
    [
        # tofacitinib 10 mg twice daily: ulcerative colitis induction only
        (
            ["类风湿关节炎 活动期"],
            {"name": "tofacitinib", "dose_mg": 10, "times_per_day": 2},
            "major",
        ),
        (["溃疡性结肠炎 诱导期"], {"name": "tofacitinib", "dose_mg": 10, "times_per_day": 2}, None),
        ([], {"name": "tofacitinib", "dose_mg": 10, "times_per_day": 2}, None),
        (["类风湿关节炎"], {"name": "tofacitinib", "dose_mg": 5, "times_per_day": 2}, None),
        (["银屑病关节炎"], {"name": "tofacitinib", "dose_mg": 11, "times_per_day": 1}, None),
        (["强直性脊柱炎"], {"name": "tofacitinib", "dose_mg": 11, "times_per_day": 2}, "major"),
        # upadacitinib: 15 mg in the arthritides, up to 45 mg as bowel-disease induction
        (
            ["rheumatoid arthritis on methotrexate"],
            {"name": "upadacitinib", "dose_mg": 30, "times_per_day": 1},
            "major",
        ),
        (["Crohn disease"], {"name": "upadacitinib", "dose_mg": 45, "times_per_day": 1}, None),
        ([], {"name": "upadacitinib", "dose_mg": 60, "times_per_day": 1}, "major"),
        ([], {"name": "baricitinib", "dose_mg": 4, "times_per_day": 2}, "major"),
        ([], {"name": "baricitinib", "dose_mg": 4, "times_per_day": 1}, None),
    ],
)
def test_indication_specific_doses(
    checker: PrescriptionChecker, conditions: list, order: dict, severity: str | None
) -> None:
    assert _dose_alert(checker, {"conditions": conditions}, order) == severity


@pytest.mark.parametrize(
    ("crcl", "dose", "severity"), [(48, 4, "moderate"), (48, 2, None), (85, 4, None)]
)
def test_baricitinib_renal_dose(
    checker: PrescriptionChecker, crcl: float, dose: float, severity: str | None
) -> None:
    order = {"name": "baricitinib", "dose_mg": dose, "times_per_day": 1}
    assert _dose_alert(checker, {"crcl_ml_min": crcl}, order) == severity


def test_baricitinib_below_crcl_30_is_not_recommended(checker: PrescriptionChecker) -> None:
    result = check(checker, {"age": 62, "crcl_ml_min": 22}, {"name": "baricitinib", "dose_mg": 2})
    alert = first_alert(result, "contraindication", "baricitinib")
    assert alert is not None and alert.severity == "major"


@pytest.mark.parametrize(
    ("age", "order", "severity"),
    [
        (45, {"name": "ondansetron", "dose_mg": 24, "times_per_day": 1, "route": "iv"}, "major"),
        (45, {"name": "ondansetron", "dose_mg": 8, "times_per_day": 3, "route": "静脉滴注"}, None),
        (81, {"name": "ondansetron", "dose_mg": 16, "times_per_day": 1, "route": "iv"}, "major"),
        (81, {"name": "ondansetron", "dose_mg": 8, "times_per_day": 3, "route": "iv"}, None),
        (45, {"name": "ondansetron", "dose_mg": 24, "times_per_day": 1, "route": "oral"}, None),
    ],
)
def test_intravenous_ondansetron_caps(
    checker: PrescriptionChecker, age: float, order: dict, severity: str | None
) -> None:
    alert = first_alert(check(checker, {"age": age}, order), "dose", "ondansetron")
    assert (alert.severity if alert else None) == severity


def test_dose_row_conditions_are_validated() -> None:
    tables = read_tables(CURATED, prefix="")
    tables["doses.csv"] = [dict(tables["doses.csv"][0], condition="gout|no_such_condition")]
    with pytest.raises(ValueError, match="unknown condition"):
        ClinicalRules(tables, {})


def _interaction(checker: PrescriptionChecker, a: str, b: str) -> str | None:
    result = check(checker, {"age": 63}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "interaction", a, b)
    return alert.severity if alert else None


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("verapamil", "dabigatran etexilate", "major"),
        ("ketoconazole", "edoxaban", "major"),
        ("isavuconazonium", "tacrolimus", "major"),
        ("isavuconazole", "everolimus", "major"),
        ("isavuconazole", "cyclosporine", "moderate"),
        ("riociguat", "vericiguat", "contraindicated"),
        ("tadalafil", "vericiguat", "major"),
        ("isosorbide mononitrate", "vericiguat", "moderate"),
        ("granisetron", "apomorphine", "contraindicated"),
        ("tropisetron", "apomorphine", "contraindicated"),
    ],
)
def test_round14_pair_grades(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    assert _interaction(checker, a, b) == level


def test_round14_override_rows_are_reviewed() -> None:
    rows = [r for r in read_overrides(CURATED) if "round 14" in r.source]
    assert len(rows) >= 15
    assert all(len(r.rationale) >= 80 and r.source.startswith("curated") for r in rows)


def test_current_pair_shown_when_a_new_drug_adds_to_its_risk(
    checker: PrescriptionChecker,
) -> None:
    """Ramipril started in a patient on eplerenone and potassium chloride: the eplerenone +
    potassium chloride pair is shown too (hyperkalaemia), passive, saying both are current."""
    current = ({"name": "eplerenone", "dose_mg": 25}, {"name": "potassium chloride"})
    result = check(checker, {"age": 74}, {"name": "ramipril", "dose_mg": 5}, current=current)
    alert = first_alert(result, "interaction", "eplerenone", "potassium chloride")
    assert alert is not None and not alert.interruptive
    assert "current medications" in alert.message and "ramipril" in alert.message
    assert {"eplerenone", "potassium chloride"} in [set(p.drugs) for p in result.pairs]


def test_current_pair_stays_out_when_the_new_drug_touches_neither(
    checker: PrescriptionChecker,
) -> None:
    current = ({"name": "spironolactone"}, {"name": "potassium chloride"})
    result = check(checker, {"age": 74}, {"name": "paracetamol", "dose_mg": 500}, current=current)
    assert first_alert(result, "interaction", "spironolactone", "potassium chloride") is None
    assert {"spironolactone", "potassium chloride"} not in [set(p.drugs) for p in result.pairs]


def test_current_pair_stays_out_when_the_new_drug_touches_one(
    checker: PrescriptionChecker,
) -> None:
    """Perindopril raises potassium with spironolactone; with amlodipine it is no graded pair
    here: the current spironolactone + amlodipine pair is not brought in."""
    current = ({"name": "spironolactone"}, {"name": "amlodipine", "dose_mg": 5})
    result = check(checker, {"age": 70}, {"name": "perindopril", "dose_mg": 4}, current=current)
    assert first_alert(result, "interaction", "perindopril", "spironolactone") is not None
    assert first_alert(result, "interaction", "perindopril", "amlodipine") is None
    assert {"spironolactone", "amlodipine"} not in [set(p.drugs) for p in result.pairs]


def _lactation(checker: PrescriptionChecker, drug: str) -> str | None:
    result = check(checker, {"age": 29, "conditions": ["产后2月 哺乳期"]}, {"name": drug})
    found = [a for a in result.alerts if a.type == "contraindication" and drug in a.drugs]
    return found[0].severity if found else None


@pytest.mark.parametrize(
    ("drug", "severity"),
    [
        ("tofacitinib", "contraindicated"),
        ("rivaroxaban", "contraindicated"),
        ("apixaban", "major"),
        ("dabigatran etexilate", "major"),
        ("dapagliflozin", "major"),
        ("rosuvastatin", "contraindicated"),
        ("levofloxacin", "major"),
        ("osimertinib", "major"),
        ("doxycycline", "moderate"),
        ("mycophenolate mofetil", "contraindicated"),
        ("warfarin", None),
        ("sertraline", None),
    ],
)
def test_round14_lactation_rows(
    checker: PrescriptionChecker, drug: str, severity: str | None
) -> None:
    assert _lactation(checker, drug) == severity


def test_round14_lactation_rows_are_sourced() -> None:
    rows = [
        r for r in read_tables(CURATED, prefix="")["lactation.csv"] if "round 14" in r["source"]
    ]
    assert len(rows) >= 25
    assert all(r["source"].startswith("curated") and len(r["reason"]) >= 30 for r in rows)
