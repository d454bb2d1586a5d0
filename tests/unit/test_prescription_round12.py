"""Prescription checker round 12: Chinese old names, originator and domestic brands and generic
names of the classes a hospital prescribes most (psychiatry, transplant, TB, HIV), new
confusable character pairs, salts written as formulas ("HBr", "Na", "K"), Japanese "D" brands and
US decongestant combinations; drugstandards' one- and two-character synonyms left out of the
alias table; thioridazine, pimozide, ziprasidone, dronedarone and domperidone with QT-prolonging
drugs and CYP2D6 inhibitors, MAO-B inhibitors with sympathomimetics and cyclobenzaprine, fibrates
with statins; renal dose rows graded major at twice the cap and for anticoagulants; hepatic
impairment written without a severity reaching the graded hepatic rows, lorazepam and oxazepam
left out of the benzodiazepine hepatic rows. Runs on the repository's curated tables with small
invented drug tables (no shared data, no model); every prescription here is written for the
test, with other drugs, doses and wording than the scenario sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import ClinicalRules, read_tables
from prescription.names import name_key, name_variants
from prescription.resolver import DrugResolver
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_names_resolver,
    curated_overrides_checker,
    curated_rows_noted,
    drug_table,
    first_alert,
    names_resolver,
)
from training.prescription.kb import (
    MIN_SYNONYM_KEY,
    AliasBuilder,
    _add_source_names,
    read_overrides,
)

# the drugs the curated name rows below point at (canonical names of the drug table)
_DRUGS = (
    "pimozide",
    "olanzapine",
    "clozapine",
    "acarbose",
    "tobramycin",
    "thioridazine",
    "isoniazid",
    "hydrotalcite",
    "gemfibrozil",
    "lisinopril",
    "amlodipine",
    "olmesartan",
    "rifabutin",
    "darunavir",
    "cobicistat",
    "emtricitabine",
    "fluphenazine",
    "trifluoperazine",
    "pseudoephedrine",
    "norvancomycin",
    "aminosalicylic acid",
    "rifampicin",
    "triamterene",
    "famotidine",
    "donepezil",
    "tamsulosin",
    "loratadine",
    "cetirizine",
    "fexofenadine",
    "acetylsalicylic acid",
    "dipyridamole",
    "dextromethorphan",
    "citalopram",
    "warfarin",
    "losartan",
    "phylloquinone",
)


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    """The repository's curated Chinese names, combinations and abbreviations over a drug table
    of `_DRUGS` (the rows naming other drugs are skipped, as in a demo build)."""
    return curated_names_resolver(_DRUGS)


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("哌迷清片 4mg", ("pimozide",)),  # old name of 匹莫齐特
        ("三氨蝶啶 50mg", ("triamterene",)),
        ("甲哌利福霉素胶囊", ("rifampicin",)),
        ("诺衡胶囊 600mg", ("gemfibrozil",)),
        ("捷赐瑞 10mg", ("lisinopril",)),
        ("米可定胶囊 150mg", ("rifabutin",)),
        ("辈力 600mg", ("darunavir",)),
        ("普泽力", ("cobicistat", "darunavir")),
        ("思卫卡 20mg/5mg", ("amlodipine", "olmesartan")),
        ("恩曲他滨胶囊 0.2g", ("emtricitabine",)),
        ("盐酸氟奋乃静片 2mg", ("fluphenazine",)),
        ("三氟拉嗪片", ("trifluoperazine",)),
        ("盐酸伪麻黄碱片 60mg", ("pseudoephedrine",)),
        ("注射用盐酸去甲万古霉素 0.4g", ("norvancomycin",)),
        ("帕司烟肼片 0.1g", ("aminosalicylic acid", "isoniazid")),
    ],
)
def test_chinese_old_names_brands_and_generics(
    resolver: DrugResolver, written: str, drugs: tuple
) -> None:
    assert resolver.resolve(written).ingredients == drugs


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("哌咪清片", "pimozide"),  # 迷/咪
        ("奥扎平片 10mg", "olanzapine"),  # 氮/扎: -za- of olanzapine
        ("拜唐平 50mg", "acarbose"),  # 苹/平
        ("托布霉素滴眼液", "tobramycin"),  # 妥/托
        ("甲硫达嗪片 25mg", "thioridazine"),  # 哒/达
        ("异烟井片 0.3g", "isoniazid"),  # 肼/井
        ("铝炭酸镁咀嚼片", "hydrotalcite"),  # 碳/炭
    ],
)
def test_new_confusable_pairs_are_read(resolver: DrugResolver, written: str, drug: str) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("Gaster D 10mg", ("famotidine",)),
        ("Aricept D 5mg", ("donepezil",)),
        ("Harnal D", ("tamsulosin",)),
        ("Claritin D", ("loratadine", "pseudoephedrine")),
        ("Zyrtec-D", ("cetirizine", "pseudoephedrine")),
        ("Allegra-D 180/240", ("fexofenadine", "pseudoephedrine")),
        ("Aggrenox 25/200", ("acetylsalicylic acid", "dipyridamole")),
        ("DXM 30mg", ("dextromethorphan",)),
        ("Vitamin K1 10mg", ("phylloquinone",)),
    ],
)
def test_english_and_japanese_brands(resolver: DrugResolver, written: str, drugs: tuple) -> None:
    assert resolver.resolve(written).ingredients == drugs


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("citalopram HBr 20 mg", "citalopram"),
        ("warfarin Na 3mg", "warfarin"),
        ("losartan K 100mg", "losartan"),
    ],
)
def test_salt_formulas_after_a_generic(resolver: DrugResolver, written: str, drug: str) -> None:
    assert resolver.resolve(written).ingredients == (drug,)


def test_a_salt_letter_goes_only_after_the_name_as_written() -> None:
    assert next(iter(name_variants("vitamin K"))) == "vitamin k"
    assert "losartan" in list(name_variants("losartan K"))


def test_short_drugstandards_synonyms_are_left_out(tmp_path: Path) -> None:
    """ "d" (deferiprone in drugstandards) made "Allegra-D" fexofenadine + deferiprone."""
    safety = tmp_path / "safety"
    (safety / "atc_drugbank_map").mkdir(parents=True)
    (safety / "atc_drugbank_map/drugs_list.json").write_text(json.dumps([]), encoding="utf-8")
    (safety / "name_synonyms_drugstandards").mkdir()
    rows = "synonym\tgeneric\nd\tDEFERIPRONE\nl1\tDEFERIPRONE\nferriprox\tDEFERIPRONE\n"
    (safety / "name_synonyms_drugstandards/synonyms_extracted.tsv").write_text(rows, "utf-8")
    builder = AliasBuilder()
    builder.add("deferiprone", ["deferiprone"], "canonical", "ddinter")
    _add_source_names(builder, drug_table({"deferiprone": ()}), safety)
    keys = {row["key"] for row in builder.rows()}
    assert "ferriprox" in keys and "d" not in keys and "l1" not in keys
    assert MIN_SYNONYM_KEY == 3


def test_round12_name_rows_are_sourced() -> None:
    for table, column in (("zh_aliases.csv", "alias"), ("abbreviations.csv", "abbreviation")):
        rows = curated_rows_noted(table, "round 12")
        assert len(rows) >= 25, table
        assert all(r["source"].startswith("curated") and name_key(r[column]) for r in rows)


# -- checker on the curated tables -------------------------------------------------------------

_ATC = {
    "thioridazine": ("N05AC02",),
    "bupropion": ("N06AX12",),
    "levofloxacin": ("J01MA12",),
    "pimozide": ("N05AG02",),
    "ondansetron": ("A04AA01",),
    "ziprasidone": ("N05AE04",),
    "methadone": ("N07BC02",),
    "dronedarone": ("C01BD07",),
    "amitriptyline": ("N06AA09",),
    "domperidone": ("A03FA03",),
    "ciprofloxacin": ("J01MA02",),
    "rasagiline": ("N04BD02",),
    "cyclobenzaprine": ("M03BX08",),
    "safinamide": ("N04BD03",),
    "methylphenidate": ("N06BA04",),
    "selegiline": ("N04BD01",),
    "pseudoephedrine": ("R01BA02",),
    "simvastatin": ("C10AA01",),
    "fenofibrate": ("C10AB05",),
    "gemfibrozil": ("C10AB04",),
    "carbamazepine": ("N03AF01",),
    "phenelzine": ("N06AF03",),
    "gabapentin": ("N03AX12",),
    "pregabalin": ("N03AX16",),
    "digoxin": ("C01AA05",),
    "apixaban": ("B01AF02",),
    "edoxaban": ("B01AF03",),
    "isotretinoin": ("D10BA01",),
    "terbinafine": ("D01BA02",),
    "lorazepam": ("N05BA06",),
    "oxazepam": ("N05BA04",),
    "diazepam": ("N05BA01",),
    "alprazolam": ("N05BA12",),
    "ketoconazole": ("J02AB02",),
    "agomelatine": ("N06AX22",),
    "vildagliptin": ("A10BH02",),
    "entecavir": ("J05AF10",),
    "rivaroxaban": ("B01AF01",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names = {name: (name,) for name in _ATC}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


def _interaction(checker: PrescriptionChecker, a: str, b: str) -> str | None:
    result = check(checker, {"age": 58}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "interaction", a, b)
    return alert.severity if alert else None


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("thioridazine", "bupropion", "contraindicated"),  # CYP2D6 inhibitor
        ("thioridazine", "levofloxacin", "contraindicated"),  # QT
        ("pimozide", "ondansetron", "contraindicated"),
        ("ziprasidone", "methadone", "contraindicated"),
        ("dronedarone", "amitriptyline", "contraindicated"),  # tricyclic
        ("domperidone", "ciprofloxacin", "contraindicated"),
        ("rasagiline", "cyclobenzaprine", "contraindicated"),
        ("safinamide", "methylphenidate", "contraindicated"),
        ("selegiline", "pseudoephedrine", "major"),
        ("carbamazepine", "phenelzine", "contraindicated"),  # MAOI class row
        ("simvastatin", "fenofibrate", "major"),  # not ANSM's gemfibrozil contraindication
        ("simvastatin", "gemfibrozil", "contraindicated"),
    ],
)
def test_round12_pair_grades(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    assert _interaction(checker, a, b) == level


def test_round12_override_rows_are_reviewed() -> None:
    rows = [r for r in read_overrides(CURATED) if "round 12" in r.source]
    assert len(rows) >= 150
    assert all(len(r.rationale) >= 40 for r in rows)


@pytest.mark.parametrize(
    ("patient", "order", "severity"),
    [
        # gabapentin at CrCl 20 (cap 700 mg/day): 1200 mg is over the cap, 2400 mg over twice it
        (
            {"crcl_ml_min": 20},
            {"name": "gabapentin", "dose_mg": 400, "times_per_day": 3},
            "moderate",
        ),
        ({"crcl_ml_min": 20}, {"name": "gabapentin", "dose_mg": 800, "times_per_day": 3}, "major"),
        # pregabalin at CrCl 22 (cap 150 mg/day): 300 mg is twice it; at CrCl 45 (cap 300)
        # twice the cap is a moderate note, as is metformin's: the rule is for severe impairment
        ({"crcl_ml_min": 22}, {"name": "pregabalin", "dose_mg": 150, "times_per_day": 2}, "major"),
        (
            {"crcl_ml_min": 45},
            {"name": "pregabalin", "dose_mg": 300, "times_per_day": 2},
            "moderate",
        ),
        ({"crcl_ml_min": 26}, {"name": "digoxin", "dose_mg": 0.125, "times_per_day": 1}, None),
        ({"crcl_ml_min": 26}, {"name": "digoxin", "dose_mg": 0.25, "times_per_day": 1}, "major"),
        ({"crcl_ml_min": 40}, {"name": "digoxin", "dose_mg": 0.25, "times_per_day": 1}, "moderate"),
        # entecavir's row keeps moderate (gross_excess_level): low toxicity, a dose note
        (
            {"crcl_ml_min": 20},
            {"name": "entecavir", "dose_mg": 0.5, "times_per_day": 1},
            "moderate",
        ),
        # rivaroxaban at CrCl 40: the VTE loading regimen (15 mg twice daily) is the label dose;
        # 20 mg once daily is above the atrial-fibrillation dose
        ({"crcl_ml_min": 40}, {"name": "rivaroxaban", "dose_mg": 15, "times_per_day": 2}, None),
        ({"crcl_ml_min": 40}, {"name": "rivaroxaban", "dose_mg": 20, "times_per_day": 1}, "major"),
        # a DOAC over its renal dose is major at any excess
        ({"crcl_ml_min": 24}, {"name": "apixaban", "dose_mg": 5, "times_per_day": 2}, "major"),
        ({"crcl_ml_min": 38}, {"name": "edoxaban", "dose_mg": 60, "times_per_day": 1}, "major"),
    ],
)
def test_renal_dose_grades(
    checker: PrescriptionChecker, patient: dict, order: dict, severity: str | None
) -> None:
    alert = first_alert(check(checker, {"age": 74, **patient}, order), "dose", order["name"])
    assert (alert.severity if alert else None) == severity


@pytest.mark.parametrize(
    ("patient", "drug", "severity"),
    [
        ({"conditions": ["肝功能异常"]}, "isotretinoin", "major"),
        ({"hepatic_impairment": "moderate"}, "isotretinoin", "contraindicated"),
        ({"conditions": ["酒精性肝硬化"]}, "terbinafine", "major"),
        ({"conditions": ["hepatic dysfunction"]}, "agomelatine", "contraindicated"),
        ({"conditions": ["ALT 4倍正常上限"]}, "vildagliptin", "major"),
        ({"hepatic_impairment": "moderate"}, "lorazepam", None),
        ({"conditions": ["肝功能不全"]}, "oxazepam", None),
        ({"hepatic_impairment": "moderate"}, "diazepam", "moderate"),
        ({"conditions": ["肝功能不全"]}, "alprazolam", "moderate"),
        ({"hepatic_impairment": "severe"}, "lorazepam", "contraindicated"),
    ],
)
def test_hepatic_rows(
    checker: PrescriptionChecker, patient: dict, drug: str, severity: str
) -> None:
    alert = first_alert(
        check(checker, {"age": 50, **patient}, {"name": drug}), "contraindication", drug
    )
    assert (alert.severity if alert else None) == severity


def test_a_drug_with_its_own_condition_row_gets_one_hepatic_alert(
    checker: PrescriptionChecker,
) -> None:
    result = check(checker, {"conditions": ["肝功能不全"]}, {"name": "ketoconazole"})
    hepatic = [a for a in result.alerts if a.type == "contraindication"]
    assert len(hepatic) == 1 and hepatic[0].severity == "contraindicated"


def test_renal_gross_excess_level_is_validated() -> None:
    tables = read_tables(CURATED, prefix="")
    tables["renal.csv"] = [dict(tables["renal.csv"][0], gross_excess_level="severe")]
    with pytest.raises(ValueError, match="gross_excess_level"):
        ClinicalRules(tables, {})
