"""Prescription checker round 6: name parsing (component-strength ratios, unit counts, pack sizes
after a unit, a Chinese form before an English frequency), renal rows by route, the
modified-release + immediate-release rescue pairing, the isoniazid daily limit, and the new
renal, hepatic, dose and override rows. Runs on the repository's curated tables with a small
drug table (no shared data, no model); every prescription here is invented for the test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

import pytest

from prescription.checker import PrescriptionChecker
from prescription.clinical import parse_condition
from prescription.names import name_key, name_variants
from prescription.resolver import DrugResolver, Resolution, load_abbreviations
from tests.unit.prescription_curated import (
    check,
    curated_overrides_checker,
    first_alert,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ATC = {
    "acyclovir": ("J05AB01",),
    "valaciclovir": ("J05AB11",),
    "ethambutol": ("J04AK02",),
    "isoniazid": ("J04AC01",),
    "morphine": ("N02AA01",),
    "oxycodone": ("N02AA05",),
    "tegafur": ("L01BC03",),
    "gimeracil": (),
    "capecitabine": ("L01BC06",),
    "alprazolam": ("N05BA12",),
    "itraconazole": ("J02AC02",),
    "clopidogrel": ("B01AC04",),
    "ticagrelor": ("B01AC24",),
    "tizanidine": ("M03BX02",),
    "amiodarone": ("C01BD01",),
    "hydrotalcite": (),
    "levofloxacin": ("J01MA12",),
    "levothyroxine": ("H03AA01",),
    "benzbromarone": ("M04AB03",),
    "dapagliflozin": ("A10BK01",),
    "nevirapine": ("J05AG01",),
    "rivaroxaban": ("B01AF01",),
    "indobufen": ("B01AC10",),
    "warfarin": ("B01AA03",),
    "sumatriptan": ("N02CC01",),
    "zolmitriptan": ("N02CC03",),
    "ganciclovir": ("J05AB06",),
    "trimetazidine": ("C01EB15",),
    "adalimumab": ("L04AB04",),
}


class _Resolver:
    """A name's first word is its canonical ingredient; a few Chinese names as the bundle
    resolves them."""

    CHINESE: ClassVar[dict[str, str]] = {
        "硫酸吗啡": "morphine",
        "盐酸吗啡": "morphine",
        "美施康定": "morphine",
        "奥施康定": "oxycodone",
        "注射用阿昔洛韦": "acyclovir",
        "阿昔洛韦": "acyclovir",
        "乙胺丁醇": "ethambutol",
    }

    def resolve(self, written: str) -> Resolution:
        for prefix, drug in self.CHINESE.items():
            if written.startswith(prefix):
                return Resolution(written=written, ingredients=(drug,))
        drug = written.lower().split(" ")[0]
        return Resolution(written=written, ingredients=(drug,) if drug in ATC else ())


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    return curated_overrides_checker(_Resolver(), ATC, tmp_path_factory.mktemp("kb"))


# -- name parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("布地奈德福莫特罗粉吸入剂 160/4.5μg", "布地奈德福莫特罗"),
        ("多巴丝肼片 200/50mg", "多巴丝肼"),
        ("Augmentin 875/125 mg", "augmentin"),
        ("复方新诺明片 2片", "复方新诺明"),
        ("布洛芬缓释胶囊 0.3g 1粒/次", "布洛芬"),
        ("奥美拉唑肠溶胶囊 20mg*14粒", "奥美拉唑"),
        ("阿莫西林胶囊 0.25g×24粒/盒", "阿莫西林"),
        ("阿司匹林肠溶片 100mg qd", "阿司匹林"),
        ("瑞舒伐他汀钙片 10mg qn", "瑞舒伐他汀"),
        ("甲硝唑阴道泡腾片 0.2g", "甲硝唑"),
        ("硝酸甘油舌下片 0.5mg", "硝酸甘油"),
        ("口服补液盐Ⅲ", "口服补液盐"),
        ("硝苯地平缓释片Ⅱ 20mg", "硝苯地平"),
        ("Tylenol Extra Strength 500 mg", "tylenol"),
        ("Xarelto 15 mg with food", "xarelto"),
        ("注射用培美曲塞二钠 0.5g", "培美曲塞"),
        ("注射用五水头孢唑林钠 1g", "头孢唑林钠"),
    ],
)
def test_round6_name_variants_reach_the_key(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_round6_counts_keep_digits_inside_a_name() -> None:
    # "b12" and "654-2" are names, not "12 tablets" or "2 tablets"
    assert name_key("维生素B12片") == "维生素b12片"
    assert "654 2" in name_key("654-2片")
    # a premix ratio without a unit is still not a strength
    assert name_key("Humulin 70/30") == "humulin 70 30"


def _abbreviation_resolver() -> DrugResolver:
    names = ["lithium carbonate", "riociguat", "imipenem", "cilastatin", "sulfamethoxazole"]
    names.append("trimethoprim")
    aliases = {name_key(n): ((n,), "canonical", "test") for n in names}
    return DrugResolver(aliases, load_abbreviations())


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("Li2CO3 250mg", ("lithium carbonate",)),
        ("Adempas 2.5 mg", ("riociguat",)),
        ("Tienam 500 mg", ("cilastatin", "imipenem")),
        ("SMZ co 2片", ("sulfamethoxazole", "trimethoprim")),
        ("SMZco 1片", ("sulfamethoxazole", "trimethoprim")),
    ],
)
def test_round6_abbreviations(written, ingredients) -> None:
    assert _abbreviation_resolver().resolve(written).ingredients == ingredients


@pytest.mark.parametrize(
    ("written", "egfr", "potassium"),
    [
        ("血透", 10.0, None),
        ("腹透 2年", 10.0, None),
        ("肾功能衰竭", 10.0, None),
        ("K 5.9 mmol/L", None, 5.9),
        ("血K 5.7", None, 5.7),
        ("vitamin K deficiency", None, None),
    ],
)
def test_round6_condition_words(written, egfr, potassium) -> None:
    facts = parse_condition(written)
    assert facts.egfr_estimate == egfr and facts.potassium_mmol_l == potassium


# -- renal rows by route ---------------------------------------------------------------------------


def test_iv_aciclovir_is_reduced_where_the_oral_zoster_dose_is_not(checker) -> None:
    iv = {"name": "注射用阿昔洛韦 0.5g", "dose_mg": 600, "times_per_day": 3, "route": "iv"}
    alert = first_alert(check(checker, {"crcl_ml_min": 35}, iv), "dose", "acyclovir")
    assert alert is not None and alert.severity == "major"
    oral = {"name": "阿昔洛韦片 0.4g", "dose_mg": 800, "times_per_day": 5, "route": "po"}
    assert first_alert(check(checker, {"crcl_ml_min": 35}, oral), "dose", "acyclovir") is None


def test_valaciclovir_unadjusted_below_crcl_30_is_major(checker) -> None:
    order = {"name": "valaciclovir 1 g", "dose_mg": 1000, "times_per_day": 2}
    alert = first_alert(check(checker, {"crcl_ml_min": 18}, order), "dose", "valaciclovir")
    assert alert is not None and alert.severity == "major"


def test_ethambutol_daily_below_crcl_30(checker) -> None:
    patient = {"egfr_ml_min_1_73m2": 24, "weight_kg": 64}
    daily = {"name": "乙胺丁醇片 0.25g", "dose_mg": 1000, "times_per_day": 1}
    alert = first_alert(check(checker, patient, daily), "dose", "ethambutol")
    assert alert is not None and alert.severity == "moderate"
    alternate = {**daily, "frequency": "every_other_day"}
    assert first_alert(check(checker, patient, alternate), "dose", "ethambutol") is None


def test_ganciclovir_iv_by_weight(checker) -> None:
    patient = {"crcl_ml_min": 40, "weight_kg": 60}
    order = {"name": "ganciclovir 300 mg", "dose_mg": 300, "times_per_day": 2, "route": "iv"}
    alert = first_alert(check(checker, patient, order), "dose", "ganciclovir")
    assert alert is not None and alert.severity == "major"
    reduced = {**order, "dose_mg": 150, "times_per_day": 1}
    assert first_alert(check(checker, patient, reduced), "dose", "ganciclovir") is None


@pytest.mark.parametrize(
    ("drug", "patient", "level"),
    [
        ("benzbromarone", {"egfr_ml_min_1_73m2": 15}, "major"),
        ("dapagliflozin", {"egfr_ml_min_1_73m2": 9}, "major"),
    ],
)
def test_round6_renal_contraindications(checker, drug, patient, level) -> None:
    alert = first_alert(check(checker, patient, {"name": drug}), "contraindication", drug)
    assert alert is not None and alert.severity == level


def test_trimetazidine_by_crcl(checker) -> None:
    order = {"name": "trimetazidine 20 mg", "dose_mg": 20, "times_per_day": 3}
    result = check(checker, {"crcl_ml_min": 25}, order)
    severe = first_alert(result, "contraindication", "trimetazidine")
    assert severe is not None and severe.severity == "contraindicated"
    moderate = first_alert(check(checker, {"crcl_ml_min": 45}, order), "dose", "trimetazidine")
    assert moderate is not None and moderate.severity == "moderate"
    reduced = {**order, "times_per_day": 2}
    assert (
        first_alert(check(checker, {"crcl_ml_min": 45}, reduced), "dose", "trimetazidine") is None
    )


def test_nevirapine_in_moderate_hepatic_impairment(checker) -> None:
    result = check(checker, {"hepatic_impairment": "moderate"}, {"name": "nevirapine 200 mg"})
    alert = first_alert(result, "contraindication", "nevirapine")
    assert alert is not None and alert.severity == "contraindicated"


# -- schedules and doses ------------------------------------------------------------------------


def test_isoniazid_intermittent_dose_ordered_daily(checker) -> None:
    order = {"name": "isoniazid 600 mg", "dose_mg": 600, "times_per_day": 1, "frequency": "daily"}
    alert = first_alert(check(checker, {"weight_kg": 55}, order), "dose", "isoniazid")
    assert alert is not None and alert.severity == "major"
    usual = {**order, "dose_mg": 300}
    assert first_alert(check(checker, {"weight_kg": 55}, usual), "dose", "isoniazid") is None


def test_a_fortnightly_biologic_ordered_daily(checker) -> None:
    order = {"name": "adalimumab 40 mg", "dose_mg": 40, "times_per_day": 1, "route": "sc"}
    daily = first_alert(check(checker, {}, {**order, "frequency": "daily"}), "dose", "adalimumab")
    assert daily is not None and daily.severity == "major"
    weekly = {**order, "frequency": "weekly"}
    assert first_alert(check(checker, {}, weekly), "dose", "adalimumab") is None


def test_rivaroxaban_above_its_daily_maximum(checker) -> None:
    order = {"name": "rivaroxaban 20 mg", "dose_mg": 20, "times_per_day": 2}
    alert = first_alert(check(checker, {"age": 70}, order), "dose", "rivaroxaban")
    assert alert is not None and alert.severity == "major"
    loading = {**order, "dose_mg": 15}
    assert first_alert(check(checker, {"age": 70}, loading), "dose", "rivaroxaban") is None


# -- same ingredient: modified release plus rescue ------------------------------------------------


def test_modified_release_plus_immediate_release_rescue_is_a_note(checker) -> None:
    sr = {"name": "硫酸吗啡控释片 60mg", "dose_mg": 60, "times_per_day": 2}
    ir = {"name": "盐酸吗啡片 10mg", "dose_mg": 10, "times_per_day": 4}
    alert = first_alert(check(checker, {}, sr, ir), "duplicate_therapy", "morphine")
    assert alert is not None and alert.severity == "moderate" and not alert.interruptive
    assert "rescue" in alert.message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("硫酸吗啡控释片 30mg", "美施康定 30mg"),  # two modified-release products
        ("盐酸吗啡片 10mg", "盐酸吗啡注射液 10mg"),  # two immediate-release products
    ],
)
def test_two_products_of_one_release_kind_stay_major(checker, first, second) -> None:
    result = check(checker, {}, {"name": first}, {"name": second})
    alert = first_alert(result, "duplicate_therapy", "morphine")
    assert alert is not None and alert.severity == "major"


def test_oxycodone_rescue_with_its_controlled_release(checker) -> None:
    result = check(checker, {}, {"name": "奥施康定 20mg"}, {"name": "oxycodone 5 mg"})
    alert = first_alert(result, "duplicate_therapy", "oxycodone")
    assert alert is not None and alert.severity == "moderate"


# -- overrides ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("tegafur", "capecitabine", "contraindicated"),
        ("gimeracil", "capecitabine", "contraindicated"),
        ("alprazolam", "itraconazole", "contraindicated"),
        ("clopidogrel", "ticagrelor", "major"),
        ("tizanidine", "amiodarone", "major"),
        ("indobufen", "warfarin", "major"),
        ("indobufen", "rivaroxaban", "major"),
        ("hydrotalcite", "levofloxacin", "moderate"),
        ("hydrotalcite", "levothyroxine", "moderate"),
        ("sumatriptan", "zolmitriptan", "contraindicated"),
    ],
)
def test_round6_override_rows(checker, a, b, level) -> None:
    result = check(checker, {}, {"name": a}, {"name": b})
    found = [alert.severity for alert in result.alerts if {a, b} <= set(alert.drugs)]
    assert level in found, found
