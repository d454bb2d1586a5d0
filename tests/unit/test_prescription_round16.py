"""Prescription checker round 16: a Chinese name read by its toneless pinyin (a same-syllable
character slip: 左氧伏沙星, 厄贝沙滩), live vaccines and iodinated contrast agents by their
Chinese and brand names, TNF-inhibitor biosimilar brands, an allergy written with the spoken verb
of breaking out ("吃了X起荨麻疹"), sartan + gliptin and loop diuretic + mineralocorticoid
antagonist graded as the everyday regimens they are, two antipsychotics of different subgroups as
duplicate therapy, tramadol in severe hepatic impairment and elderly benzodiazepine caps. Runs on
the repository's curated tables with small invented drug tables (no shared data, no model); every
prescription here is written for the test, in other drugs, doses and wording than the scenario
sets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prescription.checker import PrescriptionChecker, allergen_before_reaction
from prescription.resolver import DrugResolver, is_cjk, load_characters
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_names_resolver,
    curated_overrides_checker,
    curated_rows_noted,
    first_alert,
    names_resolver,
    with_characters,
)

pytest.importorskip("pypinyin")  # the tables are built at KB build time (train extras)
pytest.importorskip("opencc")

from training.prescription.pinyin import pinyin_csv, simplified_table, syllable_table

# -- names read by sound -------------------------------------------------------------------------

_SOUND_NAMES: dict[str, tuple[str, ...]] = {
    "左氧氟沙星": ("levofloxacin",),
    "厄贝沙坦": ("irbesartan",),
    "卡马西平": ("carbamazepine",),
    "头孢呋辛": ("cefuroxime",),
    "替诺福韦": ("tenofovir disoproxil",),
    "左乙拉西坦": ("levetiracetam",),
    "奥氮平": ("olanzapine",),
    "马来酸依那普利": ("enalapril",),
    "恩利": ("etanercept",),
    "维生素B6": ("pyridoxine",),
    "5-氨基水杨酸": ("mesalazine",),
    # two drugs whose names sound alike: a slip between them must not be read
    "伐昔洛韦": ("valaciclovir",),
    "法昔洛韦": ("famciclovir-like",),  # invented homophone of 伐昔洛韦, another drug
}


def _sound_resolver(names: dict[str, tuple[str, ...]]) -> DrugResolver:
    return with_characters(names_resolver(names))


@pytest.fixture(scope="module")
def sound() -> DrugResolver:
    return _sound_resolver(_SOUND_NAMES)


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("左氧伏沙星片 0.5g", "levofloxacin"),  # 伏/氟 fu
        ("厄贝沙滩", "irbesartan"),  # 滩/坦 tan
        ("卡马西瓶缓释片", "carbamazepine"),  # 瓶/平 ping
        ("头孢呋心酯片", "cefuroxime"),  # 心/辛 xin
        ("替诺夫韦", "tenofovir disoproxil"),  # 夫/福 fu
        ("左乙拉西谈", "levetiracetam"),  # 谈/坦 tan
        ("左养伏沙星", "levofloxacin"),  # two same-syllable slips in a 5-character name
        ("马来酸依那普例", "enalapril"),  # 例/利 li, a salt written with it
        ("维生宿B6", "pyridoxine"),  # letters and digits between the characters match as written
        ("5-氨基水杨算", "mesalazine"),
    ],
)
def test_same_syllable_slip_is_read(sound: DrugResolver, written: str, drug: str) -> None:
    found = sound.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"
    assert "same pinyin" in found.source


@pytest.mark.parametrize(
    "written",
    [
        "卡吗西瓶",  # two slips in a 4-character name
        "左养伏纱星",  # three slips
        "乏昔洛韦",  # sounds like two drugs (伐昔洛韦, 法昔洛韦)
        "恩力",  # two-character names are never read by sound
        "厄贝沙坦坦",  # another length
        "厄贝杀毯",  # 杀 sha is the syllable of 沙, 毯 tan of 坦, but a 4-character name
        "维生宿B2",  # the letters and digits must match as written (B6)
    ],
)
def test_unreadable_by_sound(sound: DrugResolver, written: str) -> None:
    assert not sound.resolve(written).resolved


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("厄贝沙谭", "irbesartan"),  # 谭 tan: the strict reading
        ("卡马西品", "carbamazepine"),  # pin for ping: an input method's fuzzy -n/-ng
        ("奥氮贫", "olanzapine"),  # pin for ping
        ("头孢呋新", "cefuroxime"),  # xin: strict
        ("左乙拉稀坦", "levetiracetam"),  # xi: strict
    ],
)
def test_fuzzy_pinyin_reads_one_character(sound: DrugResolver, written: str, drug: str) -> None:
    found = sound.resolve(written)
    assert found.ingredients == (drug,) and found.kind == "read_as"


@pytest.mark.parametrize(
    "written",
    [
        "卡吗西品",  # a same-syllable slip and a fuzzy one: two characters
        "左氧伏杀腥",  # fuzzy readings allow one character, whatever the length
    ],
)
def test_fuzzy_pinyin_allows_one_character(sound: DrugResolver, written: str) -> None:
    assert not sound.resolve(written).resolved


def test_known_name_is_never_read_by_sound(sound: DrugResolver) -> None:
    found = sound.resolve("伐昔洛韦片")
    assert found.ingredients == ("valaciclovir",) and found.kind != "read_as"


def test_no_table_no_reading() -> None:
    """A bundle built before round 16 ships no pinyin table: nothing is read by sound."""
    assert not names_resolver(_SOUND_NAMES).resolve("厄贝沙滩").resolved


def test_table_covers_the_cjk_block_and_round_trips(tmp_path: Path) -> None:
    table = syllable_table(["苯二氮䓬"])  # 䓬 (U+4B2C) lies outside the CJK block
    assert table["吡"] == ("bi", "pi") and table["氯"] == ("lv",)
    assert table["泛"] == ("fan", "feng")  # the rare third reading (fa) is left out
    assert "昔" in table and "䓬" in table and all(1 <= len(v) <= 2 for v in table.values())
    path = tmp_path / "zh_pinyin.csv"
    path.write_text(pinyin_csv(["䓬"]), encoding="utf-8")
    assert load_characters(path)[0]["西"] == frozenset({"xi"})


def test_curated_chinese_names_read_no_drug_as_another() -> None:
    """Leave-one-drug-out over the curated Chinese names: with a drug's own names left out, none
    of them is read by sound as another drug (the bundle-wide run is in the README). The one
    pair allowed is one moiety under two canonical names (阿奇沙坦/阿齐沙坦, azilsartan)."""
    names: dict[str, tuple[str, ...]] = {}
    with (CURATED / "zh_aliases.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names.setdefault(row["alias"], (row["generic"],))
    resolver = _sound_resolver(names)
    wrong = []
    for key, meaning in names.items():
        if len(key) < 3 or not all(is_cjk(ch) for ch in key):
            continue
        read = None
        for fuzzy in (False, True):
            hits = [h for h in resolver.sound_hits(key, fuzzy) if resolver.aliases[h][0] != meaning]
            read = resolver.sound_reading(hits)
            if read is not None:
                break
        if read not in (None, "ambiguous"):
            other = resolver.aliases[read][0][0]
            if not (other.startswith(meaning[0]) or meaning[0].startswith(other)):
                wrong.append((key, read))
    assert wrong == []


# -- names: brands and products --------------------------------------------------------------

_DRUGS = (
    "etanercept",
    "adalimumab",
    "disulfiram",
    "iohexol",
    "iodixanol",
    "iopromide",
    "betahistine",
    "varicella vaccine",
    "measles virus vaccine live attenuated",
    "mumps virus strain b level jeryl lynn live antigen",
    "rubella virus vaccine",
    "bacillus calmette-guerin substrain tice live antigen",
)


@pytest.mark.parametrize(
    ("written", "drugs"),
    [
        ("益赛普 25mg", ("etanercept",)),
        ("安佰诺", ("etanercept",)),
        ("格乐立注射液", ("adalimumab",)),
        ("双硫仑片", ("disulfiram",)),
        ("碘海醇注射液 350", ("iohexol",)),
        ("欧乃派克", ("iohexol",)),
        ("威视派克", ("iodixanol",)),
        ("Ultravist 370", ("iopromide",)),
        ("Merislon 6mg", ("betahistine",)),
        ("水痘减毒活疫苗", ("varicella vaccine",)),
        ("Varivax", ("varicella vaccine",)),
        ("卡介苗", ("bacillus calmette-guerin substrain tice live antigen",)),
        (
            "MMR",
            (
                "measles virus vaccine live attenuated",
                "mumps virus strain b level jeryl lynn live antigen",
                "rubella virus vaccine",
            ),
        ),
    ],
)
def test_round16_names(written: str, drugs: tuple) -> None:
    resolver = curated_names_resolver(_DRUGS)
    assert tuple(sorted(resolver.resolve(written).ingredients)) == drugs


def test_leprosy_is_not_a_vaccine_name() -> None:
    """麻风 is leprosy: the measles-rubella vaccine's short name 麻风疫苗 is not listed."""
    resolver = curated_names_resolver(_DRUGS)
    assert not resolver.resolve("麻风").resolved


def test_live_vaccines_join_the_ansm_class() -> None:
    with (CURATED / "ansm_substances_fr_en.csv").open(encoding="utf-8", newline="") as handle:
        mapped = {r["substance_fr"]: r["generic"] for r in csv.DictReader(handle)}
    assert mapped["virus varicelle-zona"] == "varicella vaccine"
    assert mapped["virus de la rougeole"] == "measles virus vaccine live attenuated"
    with (CURATED / "extra_drugs.csv").open(encoding="utf-8", newline="") as handle:
        extra = {r["name"]: r for r in csv.DictReader(handle)}
    assert extra["varicella vaccine"]["atc"] == "J07BK01"


# -- allergy written with the verb of breaking out -----------------------------------------


@pytest.mark.parametrize(
    ("written", "allergen"),
    [
        ("吃了莫西沙星起荨麻疹", "莫西沙星"),
        ("打了青霉素起疹子", "青霉素"),
        ("用头孢呋辛长皮疹", "头孢呋辛"),
        ("服了磺胺出红斑", "磺胺"),
        ("阿莫西林发了荨麻疹", "阿莫西林"),
        ("吃了布洛芬后起风团", "布洛芬"),
        ("萘普生", None),  # no reaction written: nothing to cut
        ("起荨麻疹", None),  # no drug before the reaction
    ],
)
def test_allergen_before_the_verb_of_breaking_out(written: str, allergen: str | None) -> None:
    assert allergen_before_reaction(written) == allergen


# -- clinical rows ---------------------------------------------------------------------------

_ATC = {
    "valsartan": ("C09CA03",),
    "telmisartan": ("C09CA07",),
    "enalapril": ("C09AA02",),
    "sitagliptin": ("A10BH01",),
    "linagliptin": ("A10BH05",),
    "furosemide": ("C03CA01",),
    "torasemide": ("C03CA04",),
    "spironolactone": ("C03DA01",),
    "risperidone": ("N05AX08",),
    "olanzapine": ("N05AH03",),
    "clozapine": ("N05AH02",),
    "aripiprazole": ("N05AX12",),
    "haloperidol": ("N05AD01",),
    "amisulpride": ("N05AL05",),
    "lithium carbonate": ("N05AN01",),
    "sertraline": ("N06AB06",),
    "tramadol": ("N02AX02",),
    "diazepam": ("N05BA01",),
    "lorazepam": ("N05BA06",),
    "moxifloxacin": ("J01MA14",),
    "levofloxacin": ("J01MA12",),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    names: dict[str, tuple[str, ...]] = {name: (name,) for name in _ATC}
    names |= {"莫西沙星": ("moxifloxacin",), "曲马多": ("tramadol",)}
    return curated_overrides_checker(names_resolver(names), _ATC, tmp_path_factory.mktemp("kb"))


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("telmisartan", "sitagliptin", None),  # ARB + gliptin: listed, not alerted
        ("valsartan", "linagliptin", None),
        ("enalapril", "sitagliptin", "moderate"),  # ACE inhibitor + gliptin stays a precaution
        ("torasemide", "spironolactone", None),  # loop + MRA: the intended regimen
        ("furosemide", "spironolactone", None),
        ("enalapril", "spironolactone", "moderate"),  # ACE inhibitor + MRA is not lowered
    ],
)
def test_everyday_regimens(
    checker: PrescriptionChecker, a: str, b: str, severity: str | None
) -> None:
    result = check(checker, {"age": 66}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "interaction", a, b)
    assert (alert.severity if alert else None) == severity


@pytest.mark.parametrize(
    ("a", "b", "duplicate"),
    [
        ("risperidone", "olanzapine", True),
        ("haloperidol", "amisulpride", True),
        ("olanzapine", "lithium carbonate", False),  # a mood stabiliser with an antipsychotic
        ("risperidone", "sertraline", False),
        ("clozapine", "aripiprazole", False),  # the evidence-based augmentation, allow-listed
    ],
)
def test_two_antipsychotics(checker: PrescriptionChecker, a: str, b: str, duplicate: bool) -> None:
    result = check(checker, {"age": 35}, {"name": a}, current=({"name": b},))
    alert = first_alert(result, "duplicate_therapy", a, b)
    assert (alert is not None) == duplicate
    if alert is not None:
        assert alert.severity in ("moderate", "major", "contraindicated")


@pytest.mark.parametrize(
    ("condition", "dose", "severity"),
    [
        ("酒精性肝硬化 Child-Pugh C", 100, "major"),
        ("酒精性肝硬化 Child-Pugh C", 50, None),  # 50 mg twice daily is the cirrhosis dose
        ("肝硬化 Child-Pugh B", 100, "moderate"),
    ],
)
def test_tramadol_in_severe_hepatic_impairment(
    checker: PrescriptionChecker, condition: str, dose: float, severity: str | None
) -> None:
    order = {"name": "曲马多", "dose_mg": dose, "times_per_day": 2, "route": "po"}
    result = check(checker, {"age": 58, "conditions": [condition]}, order)
    alert = first_alert(result, "dose", "tramadol")
    assert (alert.severity if alert else None) == severity


@pytest.mark.parametrize(
    ("drug", "age", "dose", "times", "severity"),
    [
        ("diazepam", 83, 5, 3, "moderate"),  # a full adult regimen at 83: reduce
        ("diazepam", 79, 2, 2, None),  # the geriatric dose
        ("diazepam", 44, 10, 3, None),  # adults keep the adult caps
        ("diazepam", 80, 15, 3, "major"),  # beyond the adult maximum: major by the adult row
        ("lorazepam", 77, 1, 3, "moderate"),
        ("lorazepam", 70, 0.5, 2, None),
    ],
)
def test_elderly_benzodiazepine_caps(
    checker: PrescriptionChecker,
    drug: str,
    age: float,
    dose: float,
    times: int,
    severity: str | None,
) -> None:
    order = {"name": drug, "dose_mg": dose, "times_per_day": times, "route": "po"}
    alerts = [a for a in check(checker, {"age": age}, order).alerts if a.type == "dose"]
    strictest = {a.severity for a in alerts}
    assert (max(strictest, key=["moderate", "major"].index) if alerts else None) == severity


def test_allergy_with_the_spoken_verb_reaches_the_class(checker: PrescriptionChecker) -> None:
    allergy = "吃了莫西沙星起荨麻疹"
    result = check(checker, {"age": 49, "allergies": [allergy]}, {"name": "levofloxacin"})
    assert first_alert(result, "allergy", "levofloxacin") is not None
    assert allergy not in result.unresolved


def test_round16_rows_are_sourced() -> None:
    for table in ("zh_aliases.csv", "abbreviations.csv", "extra_drugs.csv"):
        rows = curated_rows_noted(table, "round 16")
        assert rows and all(r["source"].startswith("curated") for r in rows), table
    with (CURATED / "duplicate_classes.csv").open(encoding="utf-8") as handle:
        antipsychotics = [r for r in csv.DictReader(handle) if r["class"] == "N05A antipsychotics"]
    assert len(antipsychotics) == 10
    assert not any(r["target"] == "atc:N05AN" for r in antipsychotics)


# -- Hong Kong / Taiwan script and brands, multivitamins, pack counts ----------------------------

_MORE_DRUGS = (
    "amlodipine",
    "sertraline",
    "clopidogrel",
    "rosuvastatin",
    "acetaminophen",
    "warfarin",
    "cefuroxime",
    "carbamazepine",
    "multivitamin with minerals",
    "calcium carbonate",
    "cholecalciferol",
    "atorvastatin",
)


@pytest.fixture(scope="module")
def folded() -> DrugResolver:
    """The curated names over `_MORE_DRUGS`, with the bundle's character tables."""
    return with_characters(curated_names_resolver(_MORE_DRUGS), traditional=True)


@pytest.mark.parametrize(
    ("written", "drug"),
    [
        ("華法林鈉片 3mg", "warfarin"),  # traditional script, with a salt and a form
        ("頭孢呋辛酯片", "cefuroxime"),
        ("卡馬西平緩釋片", "carbamazepine"),
        ("脈優 5mg", "amlodipine"),  # Taiwan brand, traditional
        ("脉优", "amlodipine"),  # the same, simplified
        ("樂復得 50mg", "sertraline"),
        ("保栓通", "clopidogrel"),
        ("冠脂妥", "rosuvastatin"),
        ("必理痛", "acetaminophen"),  # Hong Kong Panadol
        ("可化凝", "warfarin"),
        ("金施尔康", "multivitamin with minerals"),
        ("善存 Centrum", "multivitamin with minerals"),
        ("Elevit 1 tab", "multivitamin with minerals"),
        ("阿托伐他汀钙片 20mg*28T", "atorvastatin"),  # a pack count in English
        ("Lipitor 20mg 30 tabs", "atorvastatin"),
    ],
)
def test_script_brands_and_packs(folded: DrugResolver, written: str, drug: str) -> None:
    assert folded.resolve(written).ingredients == (drug,)


def test_multivitamin_is_not_its_minerals(folded: DrugResolver) -> None:
    """A multivitamin is one product (A11AA), never a second calcium product beside 钙尔奇D."""
    assert "calcium carbonate" not in folded.resolve("善存片").ingredients
    assert not folded.resolve("复合维生素B").resolved  # B complex (no minerals) is not read so


def test_traditional_fold_never_changes_a_known_name(folded: DrugResolver) -> None:
    """The name as written is looked up first; only an unknown name is folded."""
    found = folded.resolve("氨氯地平")
    assert found.ingredients == ("amlodipine",) and found.kind != "read_as"
    assert simplified_table()["華"] == "华" and "华" not in simplified_table()
