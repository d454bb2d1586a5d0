"""Prescription checker round 10: UK/EU release and device words after a brand ("Continus",
"Retard", "MUPS", "Aqua"), more confusable characters read through (咯/格, 琉/巯, 喋/蝶, 菲/非,
洛/罗 ...), nirmatrelvir as its own drug in Paxlovid, label contraindications with strong CYP3A
inducers (ranolazine, nirmatrelvir, lurasidone, doravirine ...), the dofetilide label list,
CYP3A4-sensitive dihydropyridines with strong inhibitors, finerenone, alpha-1 blockers and
centrally acting muscle relaxants as duplicate classes across ATC groups, and condition rows
limited to children (codeine and tramadol after a tonsillectomy). Runs on the repository's
curated tables with small invented alias and drug tables (no shared data, no model); every name
and prescription here is written for the test, with other drugs of the same class and other
spellings than the scenario sets."""

from __future__ import annotations

import csv

import pytest

from prescription.checker import PrescriptionChecker
from prescription.names import name_variants
from prescription.resolver import DrugResolver
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_overrides_checker,
    first_alert,
    names_resolver,
)

# name as written in the alias table -> its ingredients
_NAMES: dict[str, tuple[str, ...]] = {
    "phyllocontin": ("aminophylline",),
    "tegretol": ("carbamazepine",),
    "nexium": ("esomeprazole",),
    "flixonase": ("fluticasone propionate",),
    "omnic": ("tamsulosin",),
    "adalat la": ("nifedipine",),
    "salbutamol": ("salbutamol",),
    "甲巯咪唑": ("methimazole",),
    "甲氨蝶呤": ("methotrexate",),
    "他达拉非": ("tadalafil",),
    "坦索罗辛": ("tamsulosin",),
    "格列美脲": ("glimepiride",),
    "丙戊酸钠": ("valproic acid",),
    "阿仑膦酸钠": ("alendronic acid",),
    "缬沙坦": ("valsartan",),
    "泼尼松": ("prednisone",),
    "吲哚美辛": ("indomethacin",),
    "多潘立酮": ("domperidone",),
    "奥施康定": ("oxycodone",),
}


def _resolver(extra: dict[str, tuple[str, ...]] | None = None) -> DrugResolver:
    return names_resolver({**_NAMES, **(extra or {})})


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    return _resolver()


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("Phyllocontin Continus 225 mg", "aminophylline"),
        ("Tegretol Retard 400mg", "carbamazepine"),
        ("Nexium MUPS 40 mg", "esomeprazole"),
        ("Flixonase Aqua 50 mcg", "fluticasone propionate"),
        ("Omnic OCAS 0.4mg", "tamsulosin"),
    ],
)
def test_release_and_device_words_after_a_brand(
    resolver: DrugResolver, written: str, drug: str
) -> None:
    assert resolver.resolve(written).ingredients == (drug,)


def test_a_brand_known_with_its_release_word_matches_as_written(resolver: DrugResolver) -> None:
    # "Adalat LA" is in the alias table whole: it is found before any word is stripped
    assert resolver.resolve("Adalat LA 30 mg").matched == "adalat la"


def test_release_words_go_only_as_whole_words() -> None:
    # "sa", "pr", "aq" are stripped as words, never from inside a name
    assert "salbutamol" in list(name_variants("salbutamol sa 4mg"))
    assert list(name_variants("prasugrel")) == ["prasugrel"]


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("prasugrel hydrogen sulfate 10 mg", "prasugrel"),
        ("rabeprazole sodium sesquihydrate", "rabeprazole"),
        ("formoterol fumarate dihydrate", "formoterol"),
        ("moxifloxacin hydrochloride hemihydrate", "moxifloxacin"),
        ("cetirizine dihydrochloride 10mg", "cetirizine"),
        ("pazopanib tosylate", "pazopanib"),
        ("ibuprofen lysine 400 mg", "ibuprofen"),
        ("dexketoprofen trometamol", "dexketoprofen"),
        ("econazole nitrate cream", "econazole"),
    ],
)
def test_english_salt_and_hydrate_words_are_dropped(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_a_counter_ion_named_first_is_the_drug() -> None:
    # "lysine hydrochloride" is lysine; only after a drug's name is lysine a counter-ion
    assert "lysine" in list(name_variants("lysine hydrochloride"))


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("甲琉咪唑片 10mg", "methimazole"),  # 琉 for 巯
        ("甲氨喋呤片 2.5mg", "methotrexate"),  # 喋 for 蝶
        ("他达拉菲片 5mg", "tadalafil"),  # 菲 for 非
        ("坦索洛辛缓释胶囊", "tamsulosin"),  # 洛 for 罗
        ("咯列美脲片 2mg", "glimepiride"),  # 咯 for 格
        ("丙戊酸纳缓释片", "valproic acid"),  # 纳 for 钠
        ("阿仑磷酸钠片 70mg", "alendronic acid"),  # 磷 for 膦
        ("颉沙坦胶囊 80mg", "valsartan"),  # 颉 for 缬
        ("波尼松片 5mg", "prednisone"),  # 波 for 泼
        ("引哚美辛栓", "indomethacin"),  # 引 for 吲
        ("多潘力酮片", "domperidone"),  # 力 for 立
        ("奥斯康定 10mg", "oxycodone"),  # 斯 for 施
    ],
)
def test_new_confusable_characters_are_read(
    resolver: DrugResolver, written: str, drug: str
) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


def test_a_confusable_slip_between_two_drugs_stays_unread() -> None:
    # an invented pair one confusable character apart: guessing there is how look-alike errors
    # reach a patient, so neither is read
    resolver = _resolver({"罗卡定": ("invented one",), "洛卡啶": ("invented two",)})
    assert not resolver.resolve("洛卡定").resolved


def test_paxlovid_products_list_nirmatrelvir() -> None:
    with (CURATED / "combinations.csv").open(encoding="utf-8") as handle:
        rows = {row["product"]: row["ingredients"] for row in csv.DictReader(handle)}
    for product in ("paxlovid", "帕罗韦德", "奈玛特韦/利托那韦"):
        assert rows[product] == "nirmatrelvir|ritonavir"


# -- curated rows ------------------------------------------------------------------------------

_ATC = {
    "nirmatrelvir": (),
    "simnotrelvir": (),
    "ritonavir": ("J05AE03",),
    "phenytoin": ("N03AB02",),
    "rifampicin": ("J04AB02",),
    "rifapentine": ("J04AB05",),
    "carbamazepine": ("N03AF01",),
    "apalutamide": ("L02BB05",),
    "ranolazine": ("C01EB18",),
    "lurasidone": ("N05AE05",),
    "doravirine": ("J05AG06",),
    "dofetilide": ("C01BD04",),
    "cimetidine": ("A02BA01",),
    "hydrochlorothiazide": ("C03AA03",),
    "nisoldipine": ("C08CA07",),
    "ketoconazole": ("J02AB02",),
    "lercanidipine": ("C08CA13",),
    "clarithromycin": ("J01FA09",),
    "nicardipine": ("C08CA04",),
    "voriconazole": ("J02AC03",),
    "finerenone": ("C03DA05",),
    "posaconazole": ("J02AC04",),
    "eplerenone": ("C03DA04",),
    "fluconazole": ("J02AC01",),
    "gliclazide": ("A10BB09",),
    "fluticasone furoate": ("R01AD12",),
    "cobicistat": ("V03AX03",),
    "aminophylline": ("R03DA05",),
    "urapidil": ("C02CA06",),
    "silodosin": ("G04CA04",),
    "naftopidil": (),
    "terazosin": ("G04CA03",),
    "cyclobenzaprine": ("M03BX08",),
    "methocarbamol": ("M03BA03",),
    "codeine": ("R05DA04",),
    "tramadol": ("N02AX02",),
    "dabigatran etexilate": ("B01AE07",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    extra = {name: (name,) for name in _ATC}
    extra["nirmatrelvir ritonavir"] = ("nirmatrelvir", "ritonavir")
    return curated_overrides_checker(_resolver(extra), _ATC, tmp_path_factory.mktemp("kb"))


def test_inducer_contraindication_names_nirmatrelvir(checker: PrescriptionChecker) -> None:
    result = check(checker, {}, {"name": "nirmatrelvir ritonavir"}, {"name": "phenytoin"})
    alert = first_alert(result, "interaction", "nirmatrelvir", "phenytoin")
    assert alert is not None and alert.severity == "contraindicated" and alert.interruptive


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("simnotrelvir", "rifampicin", "contraindicated"),
        ("nirmatrelvir", "apalutamide", "contraindicated"),
        ("ranolazine", "phenytoin", "contraindicated"),
        ("ranolazine", "carbamazepine", "contraindicated"),
        ("lurasidone", "carbamazepine", "contraindicated"),
        ("doravirine", "rifapentine", "contraindicated"),
        ("dofetilide", "cimetidine", "contraindicated"),
        ("dofetilide", "hydrochlorothiazide", "contraindicated"),
        ("nisoldipine", "ketoconazole", "major"),
        ("lercanidipine", "clarithromycin", "contraindicated"),
        ("nicardipine", "voriconazole", "major"),
        ("finerenone", "posaconazole", "contraindicated"),
        ("finerenone", "rifampicin", "major"),
        ("finerenone", "eplerenone", "major"),
        ("fluconazole", "gliclazide", "major"),
        ("fluticasone furoate", "cobicistat", "major"),
        ("aminophylline", "clarithromycin", "moderate"),
    ],
)
def test_curated_pairs_graded(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "interaction", a, b)
    if alert is None:  # two drugs of one ATC class show the pair as duplicate therapy
        alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "duplicate_therapy")
    assert alert is not None and alert.severity == level
    assert alert.message_zh and alert.management_zh


@pytest.mark.parametrize(
    ("a", "b"),
    [("urapidil", "silodosin"), ("naftopidil", "terazosin"), ("cyclobenzaprine", "methocarbamol")],
)
def test_duplicate_classes_across_atc_groups(checker: PrescriptionChecker, a: str, b: str) -> None:
    alert = first_alert(check(checker, {}, {"name": a}, {"name": b}), "duplicate_therapy", a, b)
    assert alert is not None and alert.severity in ("moderate", "major")


@pytest.mark.parametrize(
    ("age", "level"), [(9, "contraindicated"), (16, "contraindicated"), (30, None), (None, None)]
)
def test_codeine_after_adenoidectomy_only_in_children(
    checker: PrescriptionChecker, age: float | None, level: str | None
) -> None:
    patient = {"conditions": ["腺样体切除术后第2天"]} | ({"age": age} if age is not None else {})
    result = check(checker, patient, {"name": "codeine", "dose_mg": 15, "times_per_day": 3})
    found = [
        alert
        for alert in result.alerts
        if alert.type == "contraindication" and "切除" in alert.message
    ]
    assert (found[0].severity if found else None) == level
    assert "condition: 腺样体切除术后第2天" not in result.unresolved


def test_tramadol_in_a_teenager_with_sleep_apnoea(checker: PrescriptionChecker) -> None:
    patient = {"age": 14, "conditions": ["obstructive sleep apnea"]}
    result = check(checker, patient, {"name": "tramadol", "dose_mg": 50})
    alert = first_alert(result, "contraindication", "tramadol")
    assert alert is not None and alert.severity == "major"


def test_dabigatran_prodrug_with_a_mechanical_valve(checker: PrescriptionChecker) -> None:
    patient = {"age": 58, "conditions": ["机械瓣置换术后"]}
    result = check(checker, patient, {"name": "dabigatran etexilate", "dose_mg": 150})
    alert = first_alert(result, "contraindication", "dabigatran etexilate")
    assert alert is not None and alert.severity == "contraindicated"
