"""Prescription checker round 5: name parsing (injection and patch words, anti-Xa and per-hour
units, salts inside Chinese combination names, 复方 + acid salt, combination packs, products
written as their components), pregnancy / breastfeeding / drug allergies written among the
conditions, the new condition ids, modified-release products ordered too often, and the new
override families. Runs on the repository's curated tables with a small drug table (no shared
data, no model)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import (
    CURATED_TABLES,
    OPTIONAL_TABLES,
    ClinicalRules,
    allergen_in_condition,
    parse_condition,
    read_tables,
)
from prescription.names import _ZH_INNER_SALT, name_key, name_variants
from prescription.resolver import DrugResolver, Resolution
from prescription.schema import Patient
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_overrides_checker,
    first_alert,
)
from training.prescription.kb import read_overrides

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ATC = {
    "ziprasidone": ("N05AE04",),
    "moxifloxacin": ("J01MA14",),
    "ketorolac": ("M01AB15",),
    "ibuprofen": ("M01AE01",),
    "naproxen": ("M01AE02",),
    "nimodipine": ("C08CA06",),
    "carbamazepine": ("N03AF01",),
    "rifampicin": ("J04AB02",),
    "bosentan": ("C02KX01",),
    "glyburide": ("A10BB01",),
    "dapoxetine": ("G04BX14",),
    "fluoxetine": ("N06AB03",),
    "sertraline": ("N06AB06",),
    "arsenic trioxide": ("L01XX27",),
    "ondansetron": ("A04AA01",),
    "granisetron": ("A04AA02",),
    "fondaparinux": ("B01AX05",),
    "nifedipine": ("C08CA05",),
    "oxycodone": ("N02AA05",),
    "metoprolol": ("C07AB02",),
    "dabigatran": ("B01AE07",),
    "apixaban": ("B01AF02",),
    "warfarin": ("B01AA03",),
    "reserpine": ("C02AA02",),
    "ibuprofen lysine": ("C01EB16",),
    "adalimumab": ("L04AB04",),
    "ethinylestradiol": ("G03CA01",),
    "digoxin": ("C01AA05",),
    "ceftriaxone": ("J01DD04",),
    "amoxicillin": ("J01CA04",),
    "misoprostol": ("A02BB01",),
    "codeine": ("R05DA04",),
    "acetaminophen": ("N02BE01",),
}
MULTI_WORD = ("arsenic trioxide",)


class _Resolver:
    """A name's first word (or a known two-word name) is its canonical ingredient; a few brand
    names as the bundle resolves them."""

    BRANDS: ClassVar[dict[str, str]] = {
        "拜新同": "nifedipine",
        "硝苯地平": "nifedipine",
        "奥施康定": "oxycodone",
        "倍他乐克": "metoprolol",
    }

    def resolve(self, written: str) -> Resolution:
        name = written.lower()
        for brand, drug in self.BRANDS.items():
            if name.startswith(brand):
                return Resolution(written=written, ingredients=(drug,))
        if "tylenol" in name:
            return Resolution(written=written, ingredients=("acetaminophen", "codeine"))
        drug = next((m for m in MULTI_WORD if name.startswith(m)), name.split(" ")[0])
        if drug not in ATC:
            return Resolution(written=written, ingredients=())
        return Resolution(written=written, ingredients=(drug,))


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    return curated_overrides_checker(_Resolver(), ATC, tmp_path_factory.mktemp("kb"))


# -- name parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Meperidine HCl 50 mg inj", "meperidine"),
        ("Duragesic 25 mcg/h patch", "duragesic"),
        ("fentanyl 12 mcg/hr transdermal", "fentanyl"),
        ("enoxaparin 40 mg prefilled syringe", "enoxaparin"),
        ("依诺肝素钠注射液 6000AXaIU", "依诺肝素"),
        ("依诺肝素钠注射液 0.4ml:4000AXaIU", "依诺肝素"),
        ("那屈肝素钙注射液 4100 anti-Xa IU", "那屈肝素"),
        ("注射用哌拉西林钠他唑巴坦钠 4.5g", "哌拉西林他唑巴坦"),
        ("注射用阿莫西林钠克拉维酸钾", "阿莫西林克拉维酸"),
        ("复方盐酸阿米洛利片", "复方阿米洛利"),
        ("奈玛特韦片/利托那韦片组合包装", "奈玛特韦 利托那韦"),
        ("芬太尼透皮贴剂 4.2mg", "芬太尼"),
        ("钙尔奇D 600", "钙尔奇d"),
    ],
)
def test_name_variants_reach_the_listed_key(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_inner_salts_and_bare_numbers_keep_what_they_must() -> None:
    # 氯化钠 / 碳酸氢钠 keep their sodium inside a name; a premix number under 100 stays with a
    # Chinese name.
    assert _ZH_INNER_SALT.sub("", "复方氯化钠注射液") == "复方氯化钠注射液"
    assert _ZH_INNER_SALT.sub("", "碳酸氢钠片") == "碳酸氢钠片"
    assert _ZH_INNER_SALT.sub("", "氯化钾缓释片") == "氯化钾缓释片"
    assert _ZH_INNER_SALT.sub("", "头孢哌酮钠舒巴坦钠") == "头孢哌酮舒巴坦"
    assert next(iter(name_variants("诺和锐 30"))) == "诺和锐 30"
    assert "诺和锐" not in list(name_variants("诺和锐 30"))
    assert "倍他乐克" in list(name_variants("倍他乐克 100"))


def _resolver() -> DrugResolver:
    aliases = {
        name_key(k): ((v,), "canonical", "test")
        for k, v in {
            "amlodipine": "amlodipine",
            "atorvastatin": "atorvastatin",
            "acetaminophen": "acetaminophen",
            "apap": "acetaminophen",
            "codeine": "codeine",
            "tylenol": "acetaminophen",
            "氨氯地平": "amlodipine",
            "阿托伐他汀": "atorvastatin",
            "tacrolimus": "tacrolimus",
            "dapoxetine": "dapoxetine",
            "fentanyl": "fentanyl",
        }.items()
    }
    from prescription.resolver import load_abbreviations

    return DrugResolver(aliases, load_abbreviations())


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("amlodipine/atorvastatin 5/10mg", ("amlodipine", "atorvastatin")),
        ("APAP + codeine 300/30", ("acetaminophen", "codeine")),
        ("氨氯地平、阿托伐他汀", ("amlodipine", "atorvastatin")),
        ("acetaminophen with codeine", ("acetaminophen", "codeine")),
    ],
)
def test_products_written_as_components_resolve_to_all_of_them(written, ingredients) -> None:
    resolution = _resolver().resolve(written)
    assert resolution.ingredients == ingredients
    assert resolution.kind in ("split_combination", "brand", "alternative_name")


def test_a_component_that_does_not_resolve_leaves_the_product_unresolved() -> None:
    assert not _resolver().resolve("amlodipine/unknownium").resolved


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("FK506 2mg", ("tacrolimus",)),
        ("Priligy 30 mg", ("dapoxetine",)),
        ("Duragesic 25 mcg/h patch", ("fentanyl",)),
        ("Tylenol #3", ("acetaminophen", "codeine")),
        ("Tylenol 3", ("acetaminophen", "codeine")),
        ("Tylenol with Codeine #3", ("acetaminophen", "codeine")),
        ("co-codamol 30/500", ("acetaminophen", "codeine")),
    ],
)
def test_round5_abbreviations_and_brands(written, ingredients) -> None:
    assert _resolver().resolve(written).ingredients == ingredients


# -- conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "pregnant", "weeks"),
    [
        ("妊娠10周", True, 10),
        ("宫内孕8+3周", True, 8),
        ("pregnancy 22 weeks", True, 22),
        ("28 weeks pregnant", True, 28),
        ("早孕", True, None),
        ("妊娠期高血压", True, None),
        ("妊娠史", False, None),
        ("产后3周", False, None),
        ("not pregnant", False, None),
        ("避孕", False, None),
        ("异位妊娠术后", False, None),
        ("先兆流产 孕7周", True, 7),
        ("孕妇", True, None),
        ("妊娠期糖尿病史", False, None),
        ("妊娠期糖尿病", True, None),
    ],
)
def test_pregnancy_is_read_from_conditions(written, pregnant, weeks) -> None:
    facts = parse_condition(written)
    assert facts.pregnant is pregnant
    assert facts.pregnancy_weeks == weeks


def test_written_pregnancy_triggers_pregnancy_rules_unless_the_field_says_no(checker) -> None:
    drug = {"name": "warfarin", "dose_mg": 3}
    written = first_alert(check(checker, {"conditions": ["妊娠10周"]}, drug), "contraindication")
    assert written is not None and written.interruptive
    assert "妊娠10周" in written.message and "10 weeks" in written.message
    result = check(checker, {"conditions": ["妊娠10周"]}, drug)
    assert "condition: 妊娠10周" not in result.unresolved
    explicit = check(checker, {"pregnant": False, "conditions": ["妊娠10周"]}, drug)
    assert first_alert(explicit, "contraindication", "warfarin") is None


def test_written_breastfeeding_triggers_lactation_rules(checker) -> None:
    tables = read_tables(CURATED, prefix="")
    target = next(r["target"] for r in tables["lactation.csv"] if r["target"] in ATC)
    patient = {"conditions": ["post-cesarean pain, breastfeeding"]}
    result = check(checker, patient, {"name": target})
    alert = first_alert(result, "contraindication", target)
    assert alert is not None and "breastfeeding written in" in alert.message


@pytest.mark.parametrize(
    ("written", "allergen"),
    [
        ("青霉素过敏性休克史", "青霉素"),
        ("对磺胺过敏", "磺胺"),
        ("头孢类药物过敏史", "头孢类"),
        ("penicillin allergy (rash)", "penicillin"),
        ("allergic to sulfa", "sulfa"),
        ("过敏性鼻炎", None),
        ("过敏性皮炎 瘙痒", None),
    ],
)
def test_allergen_in_condition(written, allergen) -> None:
    assert allergen_in_condition(written) == allergen


def test_an_allergy_written_as_a_condition_is_checked(checker) -> None:
    result = check(checker, {"conditions": ["青霉素过敏性休克史"]}, {"name": "amoxicillin"})
    alert = first_alert(result, "allergy", "amoxicillin")
    assert alert is not None and alert.severity == "contraindicated"
    assert not any(u.startswith("condition:") for u in result.unresolved)
    # a disease named after allergy stays a (here unresolved) condition, never an allergy
    rhinitis = check(checker, {"conditions": ["过敏性鼻炎"]}, {"name": "amoxicillin"})
    assert first_alert(rhinitis, "allergy", "amoxicillin") is None


@pytest.mark.parametrize(
    ("written", "condition"),
    [
        ("非瓣膜性房颤", "atrial_fibrillation"),
        ("房颤 心室率控制", "atrial_fibrillation"),
        ("机械性二尖瓣置换术后", "mechanical_heart_valve"),
        ("mechanical aortic valve", "mechanical_heart_valve"),
        ("抑郁症", "depression"),
        ("低钾血症 3.3 mmol/L", "hypokalemia"),
        ("下肢深静脉血栓", "venous_thromboembolism"),
        ("初治菌阳肺结核", "tuberculosis"),
        ("肺结核病史", "latent_tuberculosis"),
        ("急性冠脉综合征 PCI术后", "ischemic_heart_disease"),
        ("NSTEMI, post-PCI", "ischemic_heart_disease"),
        ("动脉瘤性蛛网膜下腔出血", "cerebrovascular_disease"),
    ],
)
def test_round5_condition_terms(checker, written, condition) -> None:
    assert condition in checker.rules.conditions_in(written)


def test_every_condition_id_has_a_rule() -> None:
    tables = read_tables(CURATED, prefix="")
    ids = {r["condition"] for r in tables["conditions.csv"]}
    ruled = {r["condition"] for r in tables["condition_contraindications.csv"]}
    # round 14: a condition may instead select indication-specific dose rows (doses.csv)
    ruled |= {c for r in tables["doses.csv"] for c in r["condition"].split("|") if c}
    assert ids <= ruled


@pytest.mark.parametrize(
    ("condition", "drug", "level"),
    [
        ("机械瓣置换术后", "dabigatran", "contraindicated"),
        ("mechanical heart valve", "apixaban", "major"),
        ("抑郁症", "reserpine", "contraindicated"),
        ("肺结核", "adalimumab", "contraindicated"),
        ("下肢深静脉血栓", "ethinylestradiol", "contraindicated"),
        ("低钾血症", "digoxin", "major"),
    ],
)
def test_new_condition_rules_alert(checker, condition, drug, level) -> None:
    alert = first_alert(
        check(checker, {"conditions": [condition]}, {"name": drug}), "contraindication"
    )
    assert alert is not None and alert.severity == level


# -- modified-release products ------------------------------------------------------------------


def test_release_forms_table_is_packaged_and_optional() -> None:
    assert "release_forms.csv" in CURATED_TABLES and "release_forms.csv" in OPTIONAL_TABLES
    with (CURATED / "release_forms.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["source"].startswith("curated") for r in rows)


@pytest.mark.parametrize(
    ("name", "times", "level"),
    [
        ("拜新同 30mg", 3, "moderate"),
        ("硝苯地平控释片 30mg", 2, "moderate"),
        ("nifedipine XL 60 mg", 2, "moderate"),
        ("硝苯地平缓释片 20mg", 3, "moderate"),
        ("奥施康定 10mg", 6, "major"),
        ("oxycodone ER 20 mg", 3, "major"),
        ("倍他乐克缓释片 47.5mg", 2, "moderate"),
    ],
)
def test_modified_release_ordered_too_often(checker, name, times, level) -> None:
    order = {"name": name, "dose_mg": 10, "times_per_day": times, "frequency": "daily"}
    alert = first_alert(check(checker, {}, order), "dose")
    assert alert is not None and alert.severity == level and "modified-release" in alert.message


@pytest.mark.parametrize(
    ("name", "times"),
    [("拜新同 30mg", 1), ("硝苯地平缓释片 20mg", 2), ("奥施康定 10mg", 2), ("nifedipine 10 mg", 3)],
)
def test_modified_release_at_its_own_frequency_is_quiet(checker, name, times) -> None:
    order = {"name": name, "dose_mg": 10, "times_per_day": times, "frequency": "daily"}
    assert first_alert(check(checker, {}, order), "dose") is None


# -- overrides -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("ziprasidone", "moxifloxacin", "contraindicated"),
        ("ketorolac", "ibuprofen", "contraindicated"),
        ("ketorolac", "naproxen", "contraindicated"),
        ("nimodipine", "carbamazepine", "contraindicated"),
        ("nimodipine", "rifampicin", "contraindicated"),
        ("bosentan", "glyburide", "contraindicated"),
        ("dapoxetine", "fluoxetine", "contraindicated"),
        ("dapoxetine", "sertraline", "contraindicated"),
        ("arsenic trioxide", "ondansetron", "major"),
        ("arsenic trioxide", "granisetron", "major"),
    ],
)
def test_round5_override_families(checker, a, b, level) -> None:
    alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "interaction", a, b)
    assert alert is not None and alert.severity == level


def test_round5_override_rows_are_validated() -> None:
    rows = read_overrides(CURATED)
    assert any(r.drug_a == "dapoxetine" for r in rows)


def test_fondaparinux_is_contraindicated_below_crcl_20(checker) -> None:
    order = {"name": "fondaparinux", "dose_mg": 2.5, "times_per_day": 1}
    low = first_alert(
        check(checker, {"crcl_ml_min": 18}, order), "contraindication", "fondaparinux"
    )
    assert low is not None and low.severity == "contraindicated"
    mid = first_alert(
        check(checker, {"crcl_ml_min": 25}, order), "contraindication", "fondaparinux"
    )
    assert mid is not None and mid.severity == "major"


def test_patient_context_reads_breastfeeding() -> None:
    rules = ClinicalRules(read_tables(CURATED, prefix=""), ATC)
    context = rules.patient_context(Patient(conditions=["哺乳期"]))
    assert context.breastfeeding == "哺乳期" and context.pregnancy is None


def test_hyphenated_components_and_per_kg_units() -> None:
    resolver = _resolver()
    assert resolver.resolve("amlodipine-atorvastatin").ingredients == ("amlodipine", "atorvastatin")
    assert name_key("vancomycin 15mg/kg/d") == "vancomycin"
    assert name_key("Lovenox 1mg/kg") == "lovenox"
    assert name_key("阿司匹林 100mg/d") == "阿司匹林"


def test_c_difficile_colitis_contraindicates_antiperistaltics() -> None:
    tables = read_tables(CURATED, prefix="")
    rules = ClinicalRules(tables, {"loperamide": ("A07DA03",)})
    assert rules.conditions_in("Clostridioides difficile colitis") == ["pseudomembranous_colitis"]
    levels = {r.level for r in rules.condition_rules_for("pseudomembranous_colitis", "loperamide")}
    assert levels == {"contraindicated"}
