"""Prescription checker round 9: one drug written as several words (a brand beside its generic
name, a note after the name), more misspellings read through (homophones, a confusable reading
that wins over other edits), older Chinese form words, the dose of a two-ingredient product split
by its ratio for renal and dose rows, and curated rows for the classes the round-8 untouched set
showed (duplicate classes across ATC groups, intended regimens, oestrogens in liver disease,
renal rows). Runs on the repository's curated tables with small invented alias and drug tables
(no shared data, no model); every name and prescription here is written for the test, with
other drugs of the same class and other spellings than the scenario sets."""

from __future__ import annotations

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import ClinicalRules, read_tables
from prescription.names import name_key, name_variants
from prescription.resolver import Aliases, DrugResolver
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_overrides_checker,
    first_alert,
    names_resolver,
)

# name as written in the alias table -> its ingredients (one, or several for a product)
_NAMES: dict[str, tuple[str, ...]] = {
    "瑞舒伐他汀": ("rosuvastatin",),
    "可定": ("rosuvastatin",),
    "头孢呋辛": ("cefuroxime",),
    "氨氯地平": ("amlodipine",),
    "阿托伐他汀": ("atorvastatin",),
    "感冒通宁": ("acetaminophen", "chlorpheniramine", "pseudoephedrine"),
    "氨酚伪麻": ("acetaminophen", "pseudoephedrine"),
    "萘普生": ("naproxen",),
    "硝苯地平": ("nifedipine",),
    "头孢克洛": ("cefaclor",),
    "克拉霉素": ("clarithromycin",),
    "吉他霉素": ("kitasamycin",),
    "吉他素": ("invented other drug",),
    "insulinex": ("insulin isophane",),
    "rosuvastatin": ("rosuvastatin",),
    "clopidogrel": ("clopidogrel",),
    "复方新诺明": ("sulfamethoxazole", "trimethoprim"),
    "co-amoxiclav": ("amoxicillin", "clavulanic acid"),
    "ampicillin/sulbactam": ("ampicillin", "sulbactam"),
}


def _resolver(extra: dict[str, tuple[str, ...]] | None = None) -> DrugResolver:
    return names_resolver({**_NAMES, **(extra or {})})


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    return _resolver()


# -- one drug written as several words -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drug", "kind"),
    [
        ("可定 瑞舒伐他汀钙片 10mg", ("rosuvastatin",), "brand_and_generic"),
        ("瑞舒伐他汀钙片 10mg（可定）", ("rosuvastatin",), None),  # a bracket is dropped first
        ("新牌子 瑞舒伐他汀钙片 10mg", ("rosuvastatin",), "read_in_part"),  # an unknown brand
        ("头孢呋辛酯片 0.25g 连用五天", ("cefuroxime",), "read_in_part"),  # a note after it
        # a brand family and the one product its generic names: the product written
        ("感冒通宁 氨酚伪麻片", ("acetaminophen", "pseudoephedrine"), "brand_and_generic"),
    ],
)
def test_one_drug_written_as_several_words(
    resolver: DrugResolver, written: str, drug: tuple[str, ...], kind: str | None
) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == drug
    if kind is not None:
        assert found.kind == kind


@pytest.mark.parametrize(
    "written",
    [
        "氨氯地平 阿托伐他汀",  # two drugs on one line are never collapsed into one
        "rosuvastatin Zorblaxin",  # an unknown English word may be a drug
        "insulinex N",  # a letter or number names one product of a family
        "insulinex 70/30",
    ],
)
def test_words_that_may_name_another_drug_block_the_reading(
    resolver: DrugResolver, written: str
) -> None:
    assert not resolver.resolve(written).resolved


def test_read_in_part_note_is_minor_and_names_the_unread_words(
    checker: PrescriptionChecker,
) -> None:
    result = check(checker, {}, {"name": "头孢呋辛酯片 0.25g 连用五天"})
    note = first_alert(result, "name_read_as", "cefuroxime")
    assert note is not None and note.severity == "minor" and not note.interruptive
    assert "连用五天" in note.evidence
    assert result.unresolved == []


# -- misspellings read through ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("奈普生片 0.25g", "naproxen"),  # 奈 for 萘
        ("消苯地平缓释片", "nifedipine"),  # 消 for 硝
        ("头包克洛胶囊", "cefaclor"),  # 包 for 孢
        ("克拉酶素片", "clarithromycin"),  # 酶 for 霉
    ],
)
def test_homophones_are_read_as_the_drug(resolver: DrugResolver, written: str, drug: str) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


def test_confusable_reading_wins_over_a_deletion_to_another_drug(resolver: DrugResolver) -> None:
    # 吉他酶素 is 酶/霉 from 吉他霉素 and one deletion from 吉他素 (another drug): a pharmacist
    # reads the homophone, nobody drops a character and writes one
    assert resolver.resolve("吉他酶素").ingredients == ("kitasamycin",)


# -- names: forms and salts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("对乙酰氨基酚冲剂", "对乙酰氨基酚"),
        ("复方樟脑合剂", "复方樟脑"),
        ("氨溴索口服溶液剂 10ml", "氨溴索"),
        ("布地奈德鼻喷剂", "布地奈德"),
        ("酮洛芬巴布膏", "酮洛芬"),
        ("双氯芬酸钠直肠栓 50mg", "双氯芬酸钠"),
        ("特布他林雾化溶液", "特布他林"),
        ("阴道用乳杆菌活菌胶囊", "乳杆菌"),
        ("酪酸梭菌活菌片", "酪酸梭菌活菌"),
        ("Salazopyrin EN-tabs 500 mg", "salazopyrin"),
        ("clopidogrel bisulphate 75 mg", "clopidogrel"),
        ("olmesartan medoxomil 20 mg", "olmesartan"),
    ],
)
def test_form_and_salt_words_are_stripped(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_live_bacteria_name_keeps_its_whole_name_first() -> None:
    variants = list(name_variants("酪酸梭菌活菌片"))
    assert variants.index("酪酸梭菌活菌") < variants.index("酪酸梭菌")


# -- the checker on the curated tables ---------------------------------------------------------

_ATC = {
    "sulfamethoxazole": ("J01EC01",),
    "trimethoprim": ("J01EA01",),
    "amoxicillin": ("J01CA04",),
    "clavulanic acid": (),
    "ampicillin": ("J01CA01",),
    "sulbactam": ("J01CG01",),
    "cefuroxime": ("J01DC02",),
    "disulfiram": ("N07BB01",),
    "metronidazole": ("J01XD01", "G01AF01", "P01AB01"),
    "ethanol": ("V03AZ01",),
    "acenocoumarol": ("B01AA07",),
    "miconazole (topical)": ("D01AC02", "G01AF04"),
    "clotrimazole": ("G01AF02", "D01AC01"),
    "estradiol": ("G03CA03",),
    "metformin": ("A10BA02",),
    "insulin glargine": ("A10AE04",),
    "carbimazole": ("H03BB01",),
    "propylthiouracil": ("H03BA02",),
    "metoprolol": ("C07AB02",),
    "atenolol": ("C07AB03",),
    "propranolol": ("C07AA05",),
    "nifedipine": ("C08CA05",),
    "piperacillin": ("J01CA12",),
    "vancomycin": ("J01XA01",),
    "perindopril": ("C09AA04",),
    "candesartan": ("C09CA06",),
    "levocetirizine": ("R06AE09",),
    "ebastine": ("R06AX22",),
    "chlorpheniramine": ("R06AB04",),
    "desloratadine": ("R06AX27",),
    "pantoprazole": ("A02BC02",),
    "famotidine": ("A02BA03",),
    "gliclazide": ("A10BB09",),
    "repaglinide": ("A10BX02",),
    "linagliptin": ("A10BH05",),
    "dulaglutide": ("A10BJ05",),
    "chlorthalidone": ("C03BA04",),
    "hydrochlorothiazide": ("C03AA03",),
    "finasteride": ("D11AX10", "G04CB01"),
    "minoxidil": ("D11AX01", "C02DC01"),
    "morphine": ("N02AA01",),
    "sildenafil": ("G04BE03",),
    "ibuprofen": ("M01AE01",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    resolver = _resolver({name: (name,) for name in _ATC})
    return curated_overrides_checker(resolver, _ATC, tmp_path_factory.mktemp("kb"))


def _dose_alert(result: object, drug: str) -> object:
    return first_alert(result, "dose", drug)


def test_co_trimoxazole_dose_is_split_for_the_renal_row(checker: PrescriptionChecker) -> None:
    # 2 tablets of 400/80 twice daily at CrCl 22: 1,600 mg/day of sulfamethoxazole (half: 800)
    order = {"name": "复方新诺明", "dose_mg": 960, "times_per_day": 2}
    alert = _dose_alert(check(checker, {"age": 70, "crcl_ml_min": 22}, order), "sulfamethoxazole")
    assert alert is not None
    # one tablet twice daily is the halved dose
    half = {"name": "复方新诺明", "dose_mg": 480, "times_per_day": 2}
    found = check(checker, {"age": 70, "crcl_ml_min": 22}, half)
    assert _dose_alert(found, "sulfamethoxazole") is None


@pytest.mark.parametrize(
    ("written", "dose", "times", "alert"),
    [
        ("co-amoxiclav 875/125", 1000, 3, True),  # 7:1: 2,625 mg/day of amoxicillin
        ("co-amoxiclav (7:1) 1 g", 1000, 2, True),
        ("co-amoxiclav 500/125", 625, 2, False),  # 4:1: 1,000 mg/day, the CrCl 10-30 ceiling
        ("co-amoxiclav", 1000, 2, False),  # ratio not written: not split, as before
    ],
)
def test_co_amoxiclav_dose_is_split_by_the_written_ratio(
    checker: PrescriptionChecker, written: str, dose: float, times: int, alert: bool
) -> None:
    order = {"name": written, "dose_mg": dose, "times_per_day": times}
    result = check(checker, {"age": 80, "crcl_ml_min": 24}, order)
    assert result.unresolved == []
    assert (_dose_alert(result, "amoxicillin") is not None) is alert


def test_ingredient_share_reads_the_ratio_from_the_name() -> None:
    rules = ClinicalRules(read_tables(CURATED, prefix=""), {})
    pair = ("piperacillin", "tazobactam")
    assert rules.ingredient_share("piperacillin", pair, "哌拉西林他唑巴坦 4.5g") == 8 / 9
    assert rules.ingredient_share("tazobactam", pair, "哌拉西林他唑巴坦(4:1) 2.5g") == 1 / 5
    assert rules.ingredient_share("piperacillin", pair, "哌拉西林他唑巴坦") is None
    three = ("a", "b", "c")
    assert rules.ingredient_share("a", three, "a/b/c 7:1") is None


def test_ampicillin_sulbactam_interval_in_renal_impairment(checker: PrescriptionChecker) -> None:
    order = {"name": "ampicillin/sulbactam", "dose_mg": 3000, "times_per_day": 4}
    result = check(checker, {"age": 60, "crcl_ml_min": 20}, order)
    assert _dose_alert(result, "sulbactam") is not None


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("disulfiram", "metronidazole", "contraindicated"),
        ("disulfiram", "ethanol", "contraindicated"),
        ("acenocoumarol", "miconazole (topical)", "moderate"),
        ("piperacillin", "vancomycin", "moderate"),
    ],
)
def test_curated_pairs_graded(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "interaction", a, b)
    assert alert is not None and alert.severity == level
    assert alert.message_zh and alert.management_zh


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("estradiol", "metformin"),  # a combined pill or HRT with metformin (PCOS)
        ("carbimazole", "metoprolol"),  # symptom control in hyperthyroidism
        ("propylthiouracil", "propranolol"),
        ("nifedipine", "atenolol"),  # a guideline antihypertensive combination
        ("insulin glargine", "metformin"),  # basal insulin added to metformin
    ],
)
def test_intended_regimens_do_not_alert(checker: PrescriptionChecker, a: str, b: str) -> None:
    result = check(checker, {}, {"name": a}, {"name": b})
    assert first_alert(result, "interaction", a, b) is None
    assert not any(alert.interruptive for alert in result.alerts)


def test_ace_inhibitor_with_arb_is_duplicate_and_interaction(checker: PrescriptionChecker) -> None:
    result = check(checker, {}, {"name": "perindopril"}, {"name": "candesartan"})
    duplicate = first_alert(result, "duplicate_therapy", "perindopril", "candesartan")
    assert duplicate is not None and duplicate.severity == "major" and duplicate.interruptive
    interaction = first_alert(result, "interaction", "perindopril", "candesartan")
    assert interaction is not None and interaction.severity == "major"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("levocetirizine", "ebastine"),
        ("chlorpheniramine", "desloratadine"),
        ("pantoprazole", "famotidine"),
        ("gliclazide", "repaglinide"),
        ("linagliptin", "dulaglutide"),
        ("atenolol", "propranolol"),
        ("chlorthalidone", "hydrochlorothiazide"),
    ],
)
def test_duplicate_classes_across_atc_groups(checker: PrescriptionChecker, a: str, b: str) -> None:
    alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "duplicate_therapy", a, b)
    assert alert is not None and alert.severity in ("moderate", "major")


@pytest.mark.parametrize(
    ("a", "b"), [("metronidazole", "clotrimazole"), ("finasteride", "minoxidil")]
)
def test_same_atc_group_different_use_is_not_duplicate(
    checker: PrescriptionChecker, a: str, b: str
) -> None:
    result = check(checker, {}, {"name": a}, {"name": b})
    assert first_alert(result, "duplicate_therapy", a, b) is None


@pytest.mark.parametrize(
    ("severity", "level"), [("moderate", "major"), ("severe", "contraindicated"), ("mild", None)]
)
def test_oestrogen_in_liver_disease(
    checker: PrescriptionChecker, severity: str, level: str | None
) -> None:
    patient = {"age": 55, "sex": "F", "hepatic_impairment": severity}
    alert = first_alert(check(checker, patient, {"name": "estradiol"}), "contraindication")
    assert (alert.severity if alert is not None else None) == level


def test_morphine_in_severe_liver_disease(checker: PrescriptionChecker) -> None:
    patient = {"age": 66, "hepatic_impairment": "severe"}
    alert = first_alert(check(checker, patient, {"name": "morphine"}), "contraindication")
    assert alert is not None and alert.severity == "major"


@pytest.mark.parametrize(("dose", "alert"), [(50, True), (20, False)])
def test_sildenafil_in_severe_renal_impairment(
    checker: PrescriptionChecker, dose: float, alert: bool
) -> None:
    order = {"name": "sildenafil", "dose_mg": dose, "times_per_day": 1}
    result = check(checker, {"age": 64, "sex": "M", "crcl_ml_min": 25}, order)
    assert (_dose_alert(result, "sildenafil") is not None) is alert


@pytest.mark.parametrize(("age", "alert"), [(0.35, True), (0.75, False)])
def test_ibuprofen_under_six_months(checker: PrescriptionChecker, age: float, alert: bool) -> None:
    order = {"name": "ibuprofen", "dose_mg": 30, "times_per_day": 3}
    result = check(checker, {"age": age, "weight_kg": 7}, order)
    found = first_alert(result, "contraindication", "ibuprofen")
    assert (found is not None) is alert
    if found is not None:
        assert found.severity == "moderate" and not found.interruptive


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("dabigatran 110 mg", "dabigatran etexilate"),
        ("Tenofovir 300mg", "tenofovir disoproxil"),
        ("baloxavir", "baloxavir marboxil"),
    ],
)
def test_bare_base_name_reads_as_the_prescribed_prodrug(written: str, drug: str) -> None:
    # the knowledge base lists the prescribed ester; DrugBank's bare base has no interaction rows
    names = ("dabigatran", "dabigatran etexilate", "tenofovir", "tenofovir disoproxil")
    names += ("baloxavir", "baloxavir marboxil")
    aliases: Aliases = {name_key(name): ((name,), "canonical", "ddinter") for name in names}
    assert DrugResolver(aliases).resolve(written).ingredients == (drug,)
