"""Drug-name normalisation and resolution: strengths, forms, salts, combinations, unknowns."""

from __future__ import annotations

import csv
import re

import pytest

from prescription.names import name_key, name_variants
from prescription.resolver import ABBREVIATIONS, DrugResolver, load_abbreviations

ALIASES = {
    "ibuprofen": (("ibuprofen",), "canonical", "ddinter"),
    "布洛芬": (("ibuprofen",), "zh_generic", "curated"),
    "二甲双胍": (("metformin",), "zh_generic", "curated"),
    "amlodipine": (("amlodipine",), "canonical", "ddinter"),
    "头孢呋辛": (("cefuroxime",), "zh_generic", "curated"),
    "氨酚伪麻美芬": (
        ("acetaminophen", "dextromethorphan", "pseudoephedrine"),
        "combination",
        "curated",
    ),
    "n02be01": (("acetaminophen",), "atc_code", "who"),
    "adapalene (topical)": (("adapalene (topical)",), "canonical", "ddinter"),
    "co amoxiclav": (("amoxicillin", "clavulanic acid"), "combination", "curated"),
}


@pytest.fixture
def resolver() -> DrugResolver:
    return DrugResolver(ALIASES)


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("布洛芬缓释胶囊 0.3g", ("ibuprofen",)),
        ("Ibuprofen 200 mg tablets", ("ibuprofen",)),
        ("盐酸二甲双胍片", ("metformin",)),
        ("Amlodipine besylate 5mg", ("amlodipine",)),
        ("注射用头孢呋辛钠", ("cefuroxime",)),
        ("氨酚伪麻美芬片(白片)", ("acetaminophen", "dextromethorphan", "pseudoephedrine")),
        ("N02BE01", ("acetaminophen",)),
        ("Adapalene (topical)", ("adapalene (topical)",)),
        ("Co-Amoxiclav", ("amoxicillin", "clavulanic acid")),
        ("ＩＢＵＰＲＯＦＥＮ", ("ibuprofen",)),
        ("布洛芬混悬滴剂", ("ibuprofen",)),
        ("布洛芬缓释微丸胶囊", ("ibuprofen",)),
    ],
)
def test_prescription_names_resolve(
    resolver: DrugResolver, written: str, ingredients: tuple[str, ...]
) -> None:
    resolution = resolver.resolve(written)
    assert resolution.ingredients == ingredients, list(name_variants(written))


def test_prescription_names_unknown_is_reported_with_suggestions(resolver: DrugResolver) -> None:
    # two letters off: suggested, never applied (round 8 reads one-letter slips as the drug)
    resolution = resolver.resolve("ibuprafan")
    assert not resolution.resolved and resolution.suggestions == ("ibuprofen",)
    assert resolver.resolve("ibuprofan").kind == "read_as"
    assert not resolver.resolve("Zorblaxitol").resolved


def test_prescription_names_salt_is_only_dropped_when_needed() -> None:
    variants = list(name_variants("盐酸二甲双胍"))
    assert variants[0] == "盐酸二甲双胍" and "二甲双胍" in variants


@pytest.mark.parametrize("written", ["", "   ", "500mg"])
def test_prescription_names_empty_keys_resolve_to_nothing(
    resolver: DrugResolver, written: str
) -> None:
    assert not resolver.resolve(written).resolved


def test_prescription_names_key_is_stable() -> None:
    assert name_key("  Warfarin  Sodium 5 MG ") == "warfarin sodium"


# Names as pharmacists write them: unit-less strengths, release and strength suffixes, clinical
# abbreviations, bare minerals. The alias table below mimics a bundle's (canonical names in DDInter
# spelling, combination products from combinations.csv); abbreviations come from the real
# prescription/curated/abbreviations.csv, which the resolver reads by default.
SMX_TMP = ("sulfamethoxazole", "trimethoprim")
AMOX_CLAV = ("amoxicillin", "clavulanic acid")
BUNDLE = {
    name: ((name,), "canonical", "ddinter")
    for name in [
        "metformin",
        "amoxicillin",
        "clavulanic acid",
        "nifedipine",
        "sulfamethoxazole",
        "trimethoprim",
        "hydrochlorothiazide",
        "acetylsalicylic acid",
        "methotrexate",
        "isoniazid",
        "acetaminophen",
        "nitroglycerin",
        "isosorbide",
        "isosorbide mononitrate",
        "isosorbide dinitrate",
        "fluorouracil",
        "potassium chloride",
        "lithium carbonate",
        "magnesium sulfate",
    ]
} | {
    "augmentin": (AMOX_CLAV, "combination", "curated"),
    "co amoxiclav": (AMOX_CLAV, "combination", "curated"),
    "bactrim": (SMX_TMP, "combination", "curated"),
    "septra": (SMX_TMP, "combination", "curated"),
    "co trimoxazole": (SMX_TMP, "combination", "curated"),
    "复方新诺明": (SMX_TMP, "combination", "curated"),
    "单硝酸异山梨酯": (("isosorbide mononitrate",), "zh_generic", "curated"),
    "硝酸异山梨酯": (("isosorbide dinitrate",), "zh_generic", "curated"),
    "异山梨醇": (("isosorbide",), "zh_generic", "curated"),
    # What a bundle may carry for the bare element (a DrugBank ion entry): the curated table wins.
    "lithium": (("lithium cation",), "base_name", "drugbank"),
    "humulin": (("insulin human (regular)",), "synonym", "drugstandards"),
}


@pytest.fixture
def bundle_resolver() -> DrugResolver:
    return DrugResolver(BUNDLE)


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("metformin 500", ("metformin",)),
        ("Metformin 500 bid", ("metformin",)),
        ("Augmentin 625", AMOX_CLAV),
        ("Augmentin 875/125", AMOX_CLAV),
        ("amoxicillin 0.5", ("amoxicillin",)),
        ("Bactrim DS", SMX_TMP),
        ("Bactrim DS 800/160", SMX_TMP),
        ("Septra DS", SMX_TMP),
        ("Septra SS", SMX_TMP),
        ("nifedipine XL 30", ("nifedipine",)),
        ("Nifedipine ER 60", ("nifedipine",)),
        ("复方新诺明片", SMX_TMP),
    ],
)
def test_prescription_names_strengths_and_suffixes_are_stripped(
    bundle_resolver: DrugResolver, written: str, ingredients: tuple[str, ...]
) -> None:
    assert bundle_resolver.resolve(written).ingredients == ingredients, list(name_variants(written))


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        ("SMZ-TMP", SMX_TMP),
        ("SMZ/TMP", SMX_TMP),
        ("smz tmp", SMX_TMP),
        ("TMP-SMX", SMX_TMP),
        ("TMP/SMX DS", SMX_TMP),
        ("co-trimoxazole", SMX_TMP),
        ("cotrimoxazole 960", SMX_TMP),
        ("Bactrim", SMX_TMP),
        ("Septra", SMX_TMP),
        ("sulfamethoxazole/trimethoprim", SMX_TMP),
        ("trimethoprim-sulfamethoxazole", SMX_TMP),
        ("SMZco", SMX_TMP),
        ("Augmentin", AMOX_CLAV),
        ("co-amoxiclav", AMOX_CLAV),
        ("amoxicillin-clavulanate potassium 875 mg", AMOX_CLAV),
        ("amoxicillin/clavulanic acid", AMOX_CLAV),
        ("HCTZ 25", ("hydrochlorothiazide",)),
        ("ASA 81", ("acetylsalicylic acid",)),
        ("EC ASA", ("acetylsalicylic acid",)),
        ("aspirin", ("acetylsalicylic acid",)),
        ("MTX", ("methotrexate",)),
        ("INH 300", ("isoniazid",)),
        ("APAP 500mg", ("acetaminophen",)),
        ("NTG 0.4 SL", ("nitroglycerin",)),
        ("NTG", ("nitroglycerin",)),
        ("ISDN", ("isosorbide dinitrate",)),
        ("5-FU", ("fluorouracil",)),
        ("KCl 20 mEq", ("potassium chloride",)),
        ("KCl", ("potassium chloride",)),
        ("MgSO4", ("magnesium sulfate",)),
    ],
)
def test_prescription_names_abbreviations(
    bundle_resolver: DrugResolver, written: str, ingredients: tuple[str, ...]
) -> None:
    resolution = bundle_resolver.resolve(written)
    assert resolution.ingredients == ingredients, list(name_variants(written))


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [("lithium", ("lithium carbonate",)), ("Potassium", ("potassium chloride",))],
)
def test_prescription_names_bare_minerals_win_over_the_bundle(
    bundle_resolver: DrugResolver, written: str, ingredients: tuple[str, ...]
) -> None:
    resolution = bundle_resolver.resolve(written)
    assert resolution.ingredients == ingredients and resolution.kind == "bare_mineral"


@pytest.mark.parametrize("written", ["magnesium", "calcium"])
def test_prescription_names_ambiguous_minerals_are_not_guessed(
    bundle_resolver: DrugResolver, written: str
) -> None:
    assert not bundle_resolver.resolve(written).resolved


@pytest.mark.parametrize(
    "written",
    [
        "isosorbide mononitrate",
        "Isosorbide Mononitrate ER 60",
        "isosorbide mononitrate SR 60mg tablets",
        "isosorbide-5-mononitrate 20",
        "Isosorbide 5-mononitrate",
        "ISMN 30",
        "单硝酸异山梨酯片",
        "单硝酸异山梨酯缓释片 40mg",
        "注射用单硝酸异山梨酯",
    ],
)
def test_prescription_names_isosorbide_mononitrate_is_never_isosorbide(
    bundle_resolver: DrugResolver, written: str
) -> None:
    assert bundle_resolver.resolve(written).ingredients == ("isosorbide mononitrate",)


def test_prescription_names_isosorbide_itself_still_resolves(
    bundle_resolver: DrugResolver,
) -> None:
    assert bundle_resolver.resolve("isosorbide").ingredients == ("isosorbide",)
    assert bundle_resolver.resolve("硝酸异山梨酯片").ingredients == ("isosorbide dinitrate",)


@pytest.mark.parametrize(
    ("written", "kept"),
    [("Humulin 70/30", "humulin 70 30"), ("5-FU", "5 fu"), ("654-2", "654 2")],
)
def test_prescription_names_meaningful_numbers_are_kept(written: str, kept: str) -> None:
    variants = list(name_variants(written))
    assert kept in variants and not any(v in ("humulin", "fu", "654") for v in variants)


def test_prescription_names_premix_ratio_does_not_fall_back_to_one_insulin(
    bundle_resolver: DrugResolver,
) -> None:
    assert not bundle_resolver.resolve("Humulin 70/30").resolved


def test_prescription_names_chinese_keys_keep_numbers() -> None:
    # 诺和锐 30 is the NovoMix premix; 诺和锐 alone is NovoRapid.
    assert list(name_variants("诺和锐 30")) == ["诺和锐 30"]


def test_prescription_names_abbreviations_need_known_ingredients() -> None:
    # a drug no curated row names, so every row lacks an ingredient
    resolver = DrugResolver({"zolmitriptan": (("zolmitriptan",), "canonical", "ddinter")})
    assert not resolver.resolve("HCTZ").resolved and not resolver.resolve("SMZ-TMP").resolved
    assert resolver.abbreviations == {}


def test_prescription_names_abbreviations_can_be_turned_off() -> None:
    resolver = DrugResolver(BUNDLE, abbreviations={})
    assert not resolver.resolve("HCTZ").resolved
    assert resolver.resolve("lithium").ingredients == ("lithium cation",)


def test_prescription_names_abbreviation_table_is_well_formed() -> None:
    path = ABBREVIATIONS
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(len(row) == 5 for row in rows)
    keys = [name_key(row["abbreviation"]) for row in rows]
    assert len(keys) == len(set(keys)), "duplicate abbreviation keys"
    for row in rows:
        ingredients = row["ingredients"].split("|")
        assert ingredients == sorted(ingredients) and all(ingredients), row
        assert row["kind"] in {"abbreviation", "alternative_name", "brand", "bare_mineral"}, row
        assert row["source"].startswith("curated"), row
    table = load_abbreviations()
    assert table["smz tmp"][0] == SMX_TMP and table["ismn"][0] == ("isosorbide mononitrate",)
    assert "magnesium" not in table and "calcium" not in table


def test_prescription_names_abbreviations_agree_with_curated_names() -> None:
    """An abbreviation key that is also a curated Chinese alias or combination product names the
    same ingredients (the abbreviation would silently win otherwise)."""
    curated = ABBREVIATIONS.parent
    meaning: dict[str, tuple[str, ...]] = {}
    with (curated / "zh_aliases.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            meaning[name_key(row["alias"])] = (row["generic"],)
    with (curated / "combinations.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            meaning[name_key(row["product"])] = tuple(sorted(row["ingredients"].split("|")))
    for key, (ingredients, _, _) in load_abbreviations().items():
        assert meaning.get(key, ingredients) == ingredients, key


def test_prescription_names_zh_aliases_are_chinese_names() -> None:
    """Every alias of zh_aliases.csv has a Chinese character or a digit, or is an upper-case
    abbreviation (EPO); a note broken over two lines once became the aliases "a premix)" and
    "premixes)"."""
    path = ABBREVIATIONS.parent / "zh_aliases.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        aliases = [row["alias"] for row in csv.DictReader(handle)]
    odd = [a for a in aliases if not re.search(r"[\u3400-\u9fff0-9]", a) and not a.isupper()]
    assert not odd, odd
