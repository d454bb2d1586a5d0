"""Issue 11 round 3: route words, inhaler devices and strength pairs after a name, curated
international brands and English salt names, compound products, and allergy classes written
with an example. The names are invented for these tests, not taken from a scenario file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prescription.names import name_key, name_variants
from prescription.resolver import ABBREVIATIONS, DrugResolver, load_abbreviations

CURATED = Path(__file__).resolve().parents[2] / "prescription" / "curated"

# A bundle-like alias table (keys as name_key writes them): the canonical drugs the curated rows
# name, and a few Chinese names.
ALIASES = {
    name_key(name): ((name,), "canonical", "ddinter")
    for name in (
        "nitroglycerin",
        "empagliflozin",
        "semaglutide",
        "alendronic acid",
        "valproic acid",
        "insulin glargine",
        "tadalafil",
        "ergotamine",
        "caffeine",
        "sodium chloride",
        "potassium chloride",
        "sodium citrate",
        "d-glucose",
    )
}
ALIASES["舒利迭"] = (("fluticasone", "salmeterol"), "combination", "curated")
ALIASES["信必可"] = (("budesonide", "formoterol"), "combination", "curated")
ALIASES["诺和锐 30"] = (("insulin aspart",), "zh_brand", "curated")
ALIASES["硝酸甘油"] = (("nitroglycerin",), "zh_generic", "curated")
ALIASES["麦角胺咖啡因"] = (("caffeine", "ergotamine"), "combination", "curated")


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    return DrugResolver(ALIASES, load_abbreviations(ABBREVIATIONS))


@pytest.mark.parametrize(
    ("written", "ingredients"),
    [
        # Chinese route words after the name, as a word or as a suffix
        ("硝酸甘油片 0.5mg 舌下含服", ("nitroglycerin",)),
        ("硝酸甘油片舌下", ("nitroglycerin",)),
        # English route, frequency and unit words
        ("Jardiance 25mg po qam", ("empagliflozin",)),
        ("Ozempic 0.5 mg sc weekly", ("semaglutide",)),
        ("Lantus SoloStar 18 units hs", ("insulin glargine",)),
        ("GTN 400mcg sublingual prn", ("nitroglycerin",)),
        # inhaler strength pairs and device names after a Chinese brand
        ("舒利迭 50/500", ("fluticasone", "salmeterol")),
        ("信必可都保 320/9", ("budesonide", "formoterol")),
        # English salt names of an INN acid
        ("alendronate sodium 70 mg", ("alendronic acid",)),
        ("sodium valproate 200mg", ("valproic acid",)),
        ("Cialis 2.5 mg", ("tadalafil",)),
        # compound products to their components
        ("麦角胺咖啡因片", ("caffeine", "ergotamine")),
        ("ORS", ("d-glucose", "potassium chloride", "sodium chloride", "sodium citrate")),
    ],
)
def test_round3_names_resolve(
    resolver: DrugResolver, written: str, ingredients: tuple[str, ...]
) -> None:
    assert resolver.resolve(written).ingredients == ingredients, list(name_variants(written))


def test_round3_premix_number_is_kept() -> None:
    """One number after a Chinese brand is a premix (诺和锐 30), two summing to 100 a ratio:
    neither is dropped; an inhaler's two strengths are."""
    assert list(name_variants("诺和锐 30")) == ["诺和锐 30"]
    assert "诺和灵" not in list(name_variants("诺和灵 30/70"))
    assert "舒利迭" in list(name_variants("舒利迭 100/50"))


def test_round3_route_word_inside_a_name_is_kept() -> None:
    """口服补液盐 starts with a route word; only a trailing or separate one is dropped."""
    assert "口服补液盐" in list(name_variants("口服补液盐 舌下"))


@pytest.mark.parametrize("table", ["abbreviations.csv", "combinations.csv", "zh_aliases.csv"])
def test_round3_curated_name_rows_have_a_source(table: str) -> None:
    with (CURATED / table).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert all(row["source"].startswith("curated") for row in rows)
