"""Prescription checker round 7: run-together Chinese combination names, variant characters,
English site/device words and Chinese order abbreviations, pharmacists' abbreviations (ART, HCV,
TB, transplant, oncology), route-dependent pair grades (oral midazolam), trimester-aware
pregnancy rows and low-dose aspirin, the reaction written with an allergy, weight-only dose
excess graded by the row, a duplicate pair's own interaction, HLA-B and alcohol conditions, and
the new override rows. Runs on the repository's curated tables with a small drug table (no
shared data, no model); every prescription here is invented for the test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

import pytest

from prescription.checker import (
    PrescriptionChecker,
    allergy_reaction,
    route_category,
    trimester_applies,
    trimester_of,
)
from prescription.clinical import normalise_text
from prescription.names import name_key, name_variants
from prescription.resolver import Aliases, DrugResolver, Resolution, load_abbreviations
from tests.unit.prescription_curated import (
    check,
    curated_overrides_checker,
    first_alert,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ATC = {
    "midazolam": ("N05CD08",),
    "ritonavir": ("J05AE03",),
    "posaconazole": ("J02AC04",),
    "mizolastine": ("R06AX25",),
    "clarithromycin": ("J01FA09",),
    "fluconazole": ("J02AC01",),
    "leucovorin": ("V03AF03",),
    "fluorouracil": ("L01BC02",),
    "acetylsalicylic acid": ("B01AC06", "N02BA01"),
    "dalteparin": ("B01AB04",),
    "enoxaparin": ("B01AB05",),
    "apixaban": ("B01AF02",),
    "amoxicillin": ("J01CA04",),
    "cefuroxime": ("J01DC02",),
    "cefalexin": ("J01DB01",),
    "hydroxychloroquine": ("P01BA02",),
    "allopurinol": ("M04AA01",),
    "carbamazepine": ("N03AF01",),
    "metronidazole": ("J01XD01", "P01AB01"),
    "glecaprevir": ("J05AP57",),
    "rifampicin": ("J04AB02",),
    "ibuprofen": ("M01AE01",),
    "methotrexate": ("L01BA01", "L04AX03"),
    "celecoxib": ("M01AH01",),
    "leflunomide": ("L04AA13",),
    "oxycodone": ("N02AA05",),
    "alprazolam": ("N05BA12",),
    "nifedipine": ("C08CA05",),
}


class _Resolver:
    """A name's first word is its canonical ingredient (spaces in names as underscores)."""

    CHINESE: ClassVar[dict[str, str]] = {"青霉素": "amoxicillin"}

    def resolve(self, written: str) -> Resolution:
        for prefix, drug in self.CHINESE.items():
            if written.startswith(prefix):
                return Resolution(written=written, ingredients=(drug,))
        drug = written.lower().split(" ")[0].replace("_", " ")
        return Resolution(written=written, ingredients=(drug,) if drug in ATC else ())


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    return curated_overrides_checker(_Resolver(), ATC, tmp_path_factory.mktemp("kb"))


def _grade(result, alert_type: str, *drugs: str) -> tuple[str, bool] | None:
    alert = first_alert(result, alert_type, *drugs)
    return (alert.severity, alert.interruptive) if alert is not None else None


# -- names ----------------------------------------------------------------------------------------


def _resolver(extra: dict[str, str] | None = None) -> DrugResolver:
    """Aliases as the bundle spells them: Chinese single-ingredient names and a few English."""
    names = {
        "拉米夫定": "lamivudine",
        "齐多夫定": "zidovudine",
        "多替拉韦": "dolutegravir",
        "阿巴卡韦": "abacavir",
        "替诺福韦": "tenofovir disoproxil",
        "丙酚替诺福韦": "tenofovir alafenamide",
        "恩曲他滨": "emtricitabine",
        "氨氯地平": "amlodipine",
        "阿司匹林": "acetylsalicylic acid",
        "多黏菌素b": "polymyxin b",
        "泮托拉唑": "pantoprazole",
        "地尔硫䓬": "diltiazem",
        "mometasone": "mometasone",
        "budesonide": "budesonide",
        "lithium carbonate": "lithium carbonate",
        "prednisone": "prednisone",
        "zidovudine": "zidovudine",
        "aztreonam": "aztreonam",
        "darunavir": "darunavir",
        "ritonavir": "ritonavir",
        "sirolimus": "sirolimus",
        "cisplatin": "cisplatin",
        "ascorbic acid": "ascorbic acid",
        "enoxaparin": "enoxaparin",
        **(extra or {}),
    }
    aliases: Aliases = {name_key(k): ((v,), "test", "test") for k, v in names.items()}
    aliases["azt"] = (("aztreonam",), "synonym", "drugstandards")  # as the bundle has it
    return DrugResolver(aliases, load_abbreviations())


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        # fewest parts: 丙酚替诺福韦 whole, never 丙酚 + 替诺福韦
        ("恩曲他滨丙酚替诺福韦片 200/25mg", ("emtricitabine", "tenofovir alafenamide")),
        ("拉米夫定多替拉韦片", ("dolutegravir", "lamivudine")),
        ("齐多夫定拉米夫定阿巴卡韦片", ("abacavir", "lamivudine", "zidovudine")),
    ],
)
def test_run_together_chinese_components_resolve_to_their_union(written, ingredients) -> None:
    resolution = _resolver().resolve(written)
    assert resolution.ingredients == ingredients
    assert resolution.kind == "split_combination"


@pytest.mark.parametrize("written", ["氨氯地平片 5mg", "拉米夫定某某片", "夫定拉米夫定"])
def test_run_together_split_never_splits_a_known_name_or_guesses(written) -> None:
    resolution = _resolver().resolve(written)
    if written.startswith("氨氯地平"):
        assert resolution.ingredients == ("amlodipine",) and resolution.kind == "test"
    else:
        assert not resolution.resolved


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("阿斯匹林肠溶片 50mg", "acetylsalicylic acid"),
        ("注射用多粘菌素B 50万单位", "polymyxin b"),
        ("潘托拉唑钠肠溶片", "pantoprazole"),
        ("地尔硫卓缓释胶囊", "diltiazem"),
        ("budesonide nasal spray 64 mcg/spray", "budesonide"),
        ("mometasone aqueous nasal spray 2 sprays", "mometasone"),
        ("enoxaparin 40 mg ih qd", "enoxaparin"),
    ],
)
def test_variant_characters_and_site_words(written, drug) -> None:
    assert _resolver().resolve(written).ingredients == (drug,)


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("Li 450 mg", ("lithium carbonate",)),
        ("pred 5mg", ("prednisone",)),
        ("AZT 250 mg", ("zidovudine",)),  # the ART abbreviation beats DrugBank's aztreonam
        ("DRV/r 800/100 mg", ("darunavir", "ritonavir")),
        ("SRL 2mg", ("sirolimus",)),
        ("DDP 40mg", ("cisplatin",)),
        ("vitamin C 500 mg", ("ascorbic acid",)),
    ],
)
def test_round7_abbreviations(written, ingredients) -> None:
    assert _resolver().resolve(written).ingredients == ingredients


def test_chinese_order_words_after_a_name_are_dropped() -> None:
    assert "奥美拉唑" in list(name_variants("奥美拉唑肠溶胶囊 20mg qd 餐前"))
    assert "利伐沙班" in list(name_variants("利伐沙班片 10mg 集采"))
    assert "地塞米松" in list(name_variants("地塞米松注射液 5mg ivgtt"))


@pytest.mark.parametrize(
    ("route", "name", "category"),
    [
        ("intranasal", None, "topical"),
        (None, "fluticasone nasal spray", "topical"),
        (None, "布地奈德鼻喷雾剂", "topical"),
        ("ih", None, "parenteral"),
        ("ivgtt", None, "parenteral"),
        (None, "马来酸咪达唑仑片", "oral"),
    ],
)
def test_route_categories(route, name, category) -> None:
    assert route_category(route, name) == category


# -- pair grades ----------------------------------------------------------------------------------


def test_oral_midazolam_with_a_strong_cyp3a4_inhibitor_is_contraindicated(checker) -> None:
    inhibitor = {"name": "posaconazole 300 mg", "dose_mg": 300, "times_per_day": 1}
    oral = {"name": "midazolam tablets 7.5 mg", "dose_mg": 7.5, "times_per_day": 1}
    result = check(checker, {"age": 60}, inhibitor, current=(oral,))
    assert _grade(result, "interaction", "midazolam", "posaconazole") == ("contraindicated", True)
    iv = {**oral, "route": "iv"}
    result = check(checker, {"age": 60}, inhibitor, current=(iv,))
    assert _grade(result, "interaction", "midazolam", "posaconazole") == ("major", True)


def test_mizolastine_with_a_macrolide_is_contraindicated(checker) -> None:
    result = check(
        checker,
        {"age": 40},
        {"name": "clarithromycin 250 mg", "dose_mg": 250, "times_per_day": 2},
        current=({"name": "mizolastine 10 mg", "dose_mg": 10, "times_per_day": 1},),
    )
    assert _grade(result, "interaction", "mizolastine", "clarithromycin") == (
        "contraindicated",
        True,
    )
    result = check(
        checker,
        {"age": 40},
        {"name": "fluconazole 150 mg", "dose_mg": 150, "times_per_day": 1},
        current=({"name": "mizolastine 10 mg"},),
    )
    assert _grade(result, "interaction", "mizolastine", "fluconazole") == ("major", True)


def test_leucovorin_with_fluorouracil_is_an_intended_note(checker) -> None:
    result = check(
        checker,
        {"age": 58},
        {"name": "leucovorin 400 mg", "dose_mg": 400, "times_per_day": 1, "route": "iv"},
        {"name": "fluorouracil 400 mg", "dose_mg": 400, "times_per_day": 1, "route": "iv"},
    )
    alert = first_alert(result, "interaction", "leucovorin", "fluorouracil")
    assert alert is not None and alert.severity == "moderate" and not alert.interruptive
    assert "intended" in alert.message


def test_low_dose_aspirin_with_lmwh_is_a_note_high_dose_is_major(checker) -> None:
    lmwh = {"name": "dalteparin 5000 IU", "times_per_day": 1, "route": "sc"}
    low = {"name": "acetylsalicylic_acid 75 mg", "dose_mg": 75, "times_per_day": 1}
    result = check(checker, {"age": 66}, lmwh, low)
    assert _grade(result, "interaction", "acetylsalicylic acid", "dalteparin") == (
        "moderate",
        False,
    )
    high = {**low, "dose_mg": 500, "times_per_day": 3}
    result = check(checker, {"age": 66}, lmwh, high)
    assert _grade(result, "interaction", "acetylsalicylic acid", "dalteparin") == ("major", True)


def test_duplicate_anticoagulants_also_show_their_interaction_passively(checker) -> None:
    result = check(
        checker,
        {"age": 75},
        {"name": "enoxaparin 80 mg", "dose_mg": 80, "times_per_day": 2, "route": "sc"},
        current=({"name": "apixaban 5 mg", "dose_mg": 5, "times_per_day": 2},),
    )
    duplicate = first_alert(result, "duplicate_therapy", "enoxaparin", "apixaban")
    interaction = first_alert(result, "interaction", "enoxaparin", "apixaban")
    assert duplicate is not None and duplicate.interruptive
    assert interaction is not None and interaction.severity == "major"
    assert not interaction.interruptive  # the pair interrupts once


def test_glecaprevir_with_rifampicin_is_contraindicated(checker) -> None:
    result = check(
        checker,
        {"age": 50},
        {"name": "rifampicin 600 mg", "dose_mg": 600, "times_per_day": 1},
        current=({"name": "glecaprevir 300 mg"},),
    )
    assert _grade(result, "interaction", "glecaprevir", "rifampicin") == ("contraindicated", True)


# -- patient context ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weeks", "trimester"), [(None, None), (8, 1), (13.9, 1), (14, 2), (27, 2), (28, 3), (39, 3)]
)
def test_trimester_of(weeks, trimester) -> None:
    assert trimester_of(weeks) == trimester


@pytest.mark.parametrize(
    ("detail", "trimester", "applies"),
    [("any", 1, True), ("3", 2, False), ("3", None, True), ("2-3", 2, True), ("2-3", 1, False)],
)
def test_trimester_applies(detail, trimester, applies) -> None:
    assert trimester_applies(detail, trimester) is applies


def test_ibuprofen_third_trimester_row_not_applied_in_the_first(checker) -> None:
    order = {"name": "ibuprofen 400 mg", "dose_mg": 400, "times_per_day": 3}
    early = check(checker, {"age": 29, "pregnant": True, "conditions": ["孕9周"]}, order)
    late = check(checker, {"age": 29, "pregnant": True, "conditions": ["孕31周"]}, order)
    early_grades = {a.severity for a in early.alerts if a.type == "contraindication"}
    late_grades = {a.severity for a in late.alerts if a.type == "contraindication"}
    assert "contraindicated" in late_grades or "major" in late_grades
    assert late_grades != early_grades


def test_low_dose_aspirin_in_pregnancy_has_no_pregnancy_alert(checker) -> None:
    low = {"name": "acetylsalicylic_acid 100 mg", "dose_mg": 100, "times_per_day": 1}
    result = check(checker, {"age": 33, "pregnant": True, "conditions": ["孕30周"]}, low)
    assert first_alert(result, "contraindication", "acetylsalicylic acid") is None
    analgesic = {**low, "dose_mg": 500, "times_per_day": 3}
    result = check(checker, {"age": 33, "pregnant": True, "conditions": ["孕30周"]}, analgesic)
    assert first_alert(result, "contraindication", "acetylsalicylic acid") is not None


@pytest.mark.parametrize(
    ("written", "reaction"),
    [
        ("penicillin (itchy rash as a child)", "mild"),
        ("青霉素（皮疹）", "mild"),
        ("penicillin - rash then anaphylaxis", "severe"),
        ("青霉素过敏性休克", "severe"),
        ("amoxicillin (urticaria)", ""),
        ("青霉素", ""),
    ],
)
def test_allergy_reaction(written, reaction) -> None:
    assert allergy_reaction(written) == reaction


def test_mild_penicillin_rash_makes_a_cephalosporin_a_caution(checker) -> None:
    order = {"name": "cefuroxime 500 mg", "dose_mg": 500, "times_per_day": 2}
    mild = check(checker, {"age": 45, "allergies": ["青霉素（皮疹，多年前）"]}, order)
    assert _grade(mild, "allergy", "cefuroxime") == ("moderate", False)
    unknown = check(checker, {"age": 45, "allergies": ["青霉素"]}, order)
    assert _grade(unknown, "allergy", "cefuroxime") == ("major", True)
    severe = check(checker, {"age": 45, "allergies": ["penicillin (angioedema)"]}, order)
    assert _grade(severe, "allergy", "cefuroxime") == ("major", True)
    # the same class stays contraindicated whatever the reaction
    same = check(checker, {"age": 45, "allergies": ["青霉素（皮疹）"]}, {"name": "amoxicillin"})
    assert _grade(same, "allergy", "amoxicillin") == ("contraindicated", True)


def test_hydroxychloroquine_over_5_mg_per_kg_within_400_mg_is_moderate(checker) -> None:
    order = {"name": "hydroxychloroquine 200 mg", "dose_mg": 200, "times_per_day": 2}
    light = check(checker, {"age": 52, "weight_kg": 50}, order)
    assert _grade(light, "dose", "hydroxychloroquine") == ("moderate", False)
    over = check(checker, {"age": 52, "weight_kg": 90}, {**order, "times_per_day": 3})
    assert _grade(over, "dose", "hydroxychloroquine") == ("major", True)


@pytest.mark.parametrize(
    ("written", "token"),
    [("HLA-B*58:01 阳性", "hla-b5801"), ("hla b 1502 positive", "hla-b1502")],
)
def test_hla_alleles_become_one_token(written, token) -> None:
    assert token in normalise_text(written)


def test_hla_b5801_carrier_contraindicates_allopurinol_negative_does_not(checker) -> None:
    order = {"name": "allopurinol 100 mg", "dose_mg": 100, "times_per_day": 1}
    positive = check(checker, {"age": 48, "conditions": ["高尿酸血症，HLA-B*58:01阳性"]}, order)
    assert _grade(positive, "contraindication", "allopurinol") == ("contraindicated", True)
    negative = check(checker, {"age": 48, "conditions": ["HLA-B*58:01阴性"]}, order)
    assert first_alert(negative, "contraindication", "allopurinol") is None


def test_hla_b1502_carrier_contraindicates_carbamazepine(checker) -> None:
    order = {"name": "carbamazepine 200 mg", "dose_mg": 200, "times_per_day": 2}
    result = check(checker, {"age": 30, "conditions": ["HLA-B*1502 carrier"]}, order)
    assert _grade(result, "contraindication", "carbamazepine") == ("contraindicated", True)


def test_drinking_flags_metronidazole_unless_negated(checker) -> None:
    order = {"name": "metronidazole 400 mg", "dose_mg": 400, "times_per_day": 3}
    drinker = check(checker, {"age": 41, "conditions": ["每日饮酒，酗酒10年"]}, order)
    assert _grade(drinker, "contraindication", "metronidazole") == ("major", True)
    abstainer = check(checker, {"age": 41, "conditions": ["否认饮酒史"]}, order)
    assert first_alert(abstainer, "contraindication", "metronidazole") is None


@pytest.mark.parametrize("written", ["青霉素皮试阳性", "对青霉素过敏", "青霉素皮试(+)"])
def test_skin_test_and_dui_guomin_allergies_are_read(checker, written) -> None:
    result = check(checker, {"age": 36, "allergies": [written]}, {"name": "amoxicillin 500 mg"})
    assert _grade(result, "allergy", "amoxicillin") == ("contraindicated", True)
    assert not result.unresolved


def test_negative_skin_test_is_not_an_allergy(checker) -> None:
    patient = {"age": 36, "allergies": ["penicillin skin test negative"]}
    result = check(checker, patient, {"name": "amoxicillin"})
    assert first_alert(result, "allergy", "amoxicillin") is None


# -- ANSM entries with several grades -------------------------------------------------------------


def test_ansm_stricter_grade_only_for_the_substances_its_note_names() -> None:
    from training.prescription.kb import _ansm_pair_level, _ansm_restrictions

    graded = [
        ("contraindicated", "entre l'oxybate de sodium et les opiacés"),
        ("major", "avec l'oxybate de sodium."),
        ("minor", "A prendre en compte: pour tous les médicaments sédatifs entre eux"),
    ]
    french = {"sodium oxybate": {"oxybate de sodium"}, "morphine": {"morphine"}}
    members = {"sodium oxybate", "morphine", "lorazepam", "olanzapine"}
    restrictions = _ansm_restrictions(graded, members, french)
    assert _ansm_pair_level(restrictions, "morphine", "sodium oxybate") == "contraindicated"
    assert _ansm_pair_level(restrictions, "lorazepam", "olanzapine") == "minor"


def test_ansm_grade_with_a_dose_note_still_applies_to_every_pair() -> None:
    from training.prescription.kb import _ansm_pair_level, _ansm_restrictions

    graded = [
        ("major", "avec des doses anti-inflammatoires (>= 1 g par prise)"),
        ("minor", "avec des doses antiagrégantes"),
    ]
    restrictions = _ansm_restrictions(graded, {"aspirin", "ibuprofen"}, {"aspirin": {"aspirine"}})
    assert _ansm_pair_level(restrictions, "aspirin", "ibuprofen") == "major"


def test_low_dose_methotrexate_with_an_nsaid_is_a_note_high_dose_is_major(checker) -> None:
    nsaid = {"name": "celecoxib 200 mg", "dose_mg": 200, "times_per_day": 1}
    weekly = {"name": "methotrexate 12.5 mg", "dose_mg": 12.5, "times_per_day": 1}
    weekly["frequency"] = "weekly"
    result = check(checker, {"age": 57}, weekly, nsaid)
    assert _grade(result, "interaction", "methotrexate", "celecoxib") == ("moderate", False)
    high = {"name": "methotrexate 3 g", "dose_mg": 3000, "times_per_day": 1, "route": "iv"}
    result = check(checker, {"age": 57}, high, nsaid)
    assert _grade(result, "interaction", "methotrexate", "celecoxib") == ("major", True)


def test_opioid_with_a_benzodiazepine_is_major(checker) -> None:
    result = check(
        checker,
        {"age": 70},
        {"name": "alprazolam 0.4 mg", "dose_mg": 0.4, "times_per_day": 1},
        current=({"name": "oxycodone 10 mg", "dose_mg": 10, "times_per_day": 2},),
    )
    assert _grade(result, "interaction", "oxycodone", "alprazolam") == ("major", True)


def test_carbamazepine_makes_nifedipine_ineffective(checker) -> None:
    result = check(
        checker,
        {"age": 48},
        {"name": "nifedipine 30 mg", "dose_mg": 30, "times_per_day": 1},
        current=({"name": "carbamazepine 200 mg", "dose_mg": 200, "times_per_day": 2},),
    )
    assert _grade(result, "interaction", "nifedipine", "carbamazepine") == ("major", True)
