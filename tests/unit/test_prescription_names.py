"""Drug-name normalisation and resolution: strengths, forms, salts, combinations, unknowns."""

from __future__ import annotations

import pytest

from prescription.names import name_key, name_variants
from prescription.resolver import DrugResolver

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
    resolution = resolver.resolve("ibuprofan")
    assert not resolution.resolved and resolution.suggestions == ("ibuprofen",)
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
