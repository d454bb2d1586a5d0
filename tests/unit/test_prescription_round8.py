"""Prescription checker round 8: the misspelling reader (one edit from exactly one drug, with a
"read as" note), Chinese patent medicines, herbs, probiotics and NMPA-only drugs as curated drug
rows, and instructions glued to a name. Runs on the repository's curated tables with small
invented alias and drug tables (no shared data, no model); every name here is written for the
test."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from prescription.checker import PrescriptionChecker
from prescription.names import name_variants
from prescription.resolver import Aliases, DrugResolver
from tests.unit.prescription_curated import (
    CURATED,
    check,
    curated_overrides_checker,
    drug_table,
    first_alert,
)
from training.prescription.drugs import add_curated_drugs
from training.prescription.kb import AliasBuilder, add_curated_aliases

# Chinese generic names and English names as the bundle spells them (name -> ingredient).
_NAMES = {
    "华法林": "warfarin",
    "奥美拉唑": "omeprazole",
    "氯吡格雷": "clopidogrel",
    "阿托伐他汀": "atorvastatin",
    "阿托伐他汀钙": "atorvastatin",
    "螺内酯": "spironolactone",
    "氯丙嗪": "chlorpromazine",
    "丙咪嗪": "imipramine",
    "西格列汀": "sitagliptin",
    "沙格列汀": "saxagliptin",
    "美沙拉嗪": "mesalazine",
    "甲氨蝶呤": "methotrexate",
    "咪康唑": "miconazole",
    "硝酸异山梨酯": "isosorbide dinitrate",
    "氧氟沙星": "ofloxacin",
    "伊布替尼": "ibrutinib",
    "simvastatin": "simvastatin",
    "hepatitis b vaccine": "hepatitis b vaccine",
    "amoxicillin": "amoxicillin",
    "metformin": "metformin",
    "clopidogrel": "clopidogrel",
    "hydroxyzine": "hydroxyzine",
    "hydralazine": "hydralazine",
    "prednisone": "prednisone",
    "prednisolone": "prednisolone",
    "warfarin": "warfarin",
    "lisinopril": "lisinopril",
    "ritonavir": "ritonavir",
    "nirmatrelvir": "nirmatrelvir",
    "benzoyl peroxide": "benzoyl peroxide",
    "isotretinoin": "isotretinoin",
    "C01AA05": "digoxin",
    "digoxin": "digoxin",
}


def _resolver(extra: dict[str, str] | None = None) -> DrugResolver:
    # English names as DDInter's canonical rows: the reader reads only into prescribable drugs
    aliases: Aliases = {
        key: ((drug,), "zh_generic", "test")
        if not key.isascii()
        else ((drug,), "canonical", "ddinter")
        for key, drug in {**_NAMES, **(extra or {})}.items()
    }
    aliases["c01aa05"] = (("digoxin",), "atc_code", "test")
    return DrugResolver(aliases, abbreviations={})


@pytest.fixture(scope="module")
def resolver() -> DrugResolver:
    return _resolver()


# -- the misspelling reader: what it reads -------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "drug", "matched"),
    [
        ("华法令 2.5mg", "warfarin", "华法林"),  # 令/林: a 3-character name, confusable pair
        ("奥美拉挫肠溶胶囊 20mg", "omeprazole", "奥美拉唑"),  # 挫/唑 after the form is stripped
        ("氯呲格雷片 75mg", "clopidogrel", "氯吡格雷"),  # 呲/吡
        ("阿托伐他丁钙片 20mg", "atorvastatin", "阿托伐他汀钙"),  # 丁/汀 with the salt kept
        ("美沙拉秦肠溶片 0.5g", "mesalazine", "美沙拉嗪"),  # 秦/嗪 (NMPA writes both)
        ("amoxicilin 500mg", "amoxicillin", "amoxicillin"),  # a letter missing
        ("metformine XR 500", "metformin", "metformin"),  # French spelling, release word
        ("clopidogrl", "clopidogrel", "clopidogrel"),
        ("warfrin", "warfarin", "warfarin"),
        ("lisinoprli", "lisinopril", "lisinopril"),  # two neighbours swapped: one edit
        ("hydroxyzne", "hydroxyzine", "hydroxyzine"),
        ("hydrolazine", "hydralazine", "hydralazine"),  # never read across to hydroxyzine
        ("prednisollone", "prednisolone", "prednisolone"),  # one from prednisolone only
    ],
)
def test_read_as_one_edit_from_one_drug(
    resolver: DrugResolver, written: str, drug: str, matched: str
) -> None:
    found = resolver.resolve(written)
    assert found.ingredients == (drug,)
    assert found.kind == "read_as"
    assert found.matched == matched
    assert f"read as '{matched}'" in found.source


@pytest.mark.parametrize(
    "written",
    [
        "华去林",  # 去/法 is not a confusable pair
        "螺旋内酯",  # a Chinese insertion is never read (a curated row covers this one)
        "单硝酸异山梨酯",  # would be 硝酸异山梨酯 by an insertion: a different drug
        "左氧氟沙星",  # an isomer prefix
        "伊马替尼",  # 马 for 布: a morpheme of another drug, not a confusable pair
        "zimvastatin",  # a changed first letter is suggested, never read
        "hepatitis c vaccine",  # a one-letter word changed names another product
        "氯丙咪嗪",  # one character from 氯丙嗪 and one from 丙咪嗪: two drugs, not a guess
        "替格列汀",  # a gliptin one character from both 西格列汀 and 沙格列汀
        "aspir",  # 5 letters: too short to read
        "prednisolne",  # one edit from prednisolone and one from prednisone: two drugs
        "predniso",  # two edits from prednisone
        "metolazine",  # two or more from everything known
        "Zorblaxitol",
        "C01AA06",  # an ATC code is never read into
    ],
)
def test_read_as_leaves_unsafe_guesses_unresolved(resolver: DrugResolver, written: str) -> None:
    found = resolver.resolve(written)
    assert not found.resolved
    assert found.kind == ""


def test_exact_names_are_never_read_as(resolver: DrugResolver) -> None:
    """A known name resolves as itself, even one edit from another known name."""
    assert resolver.resolve("氯丙嗪").kind == "zh_generic"
    assert resolver.resolve("prednisone").ingredients == ("prednisone",)
    known = _resolver({"氯丙咪嗪": "clomipramine"})
    assert known.resolve("氯丙咪嗪").ingredients == ("clomipramine",)


def test_english_pair_one_edit_apart_is_ambiguous() -> None:
    """Two drugs one edit apart (invented names): a typo one edit from both stays unresolved,
    while a typo one edit from only one of them reads as it."""
    both = _resolver({"carbomine": "drug a", "carbamine": "drug b"})
    assert not both.resolve("carbemine").resolved
    assert both.resolve("carbominne").ingredients == ("drug a",)


def test_same_drug_under_two_keys_is_not_ambiguous() -> None:
    """阿托伐他汀 (a substitution) and 阿托伐他汀钙 (an insertion) are both within one edit of
    阿托伐他丁: one drug, so it reads."""
    found = _resolver().resolve("阿托伐他丁")
    assert found.ingredients == ("atorvastatin",)


def test_another_confusable_reading_blocks_the_reading() -> None:
    """A confusable substitution is not read when another drug is also a confusable
    substitution away. Round 9: a rival reached only by another kind of edit (an insertion
    here) no longer blocks it in Chinese (阿齐霉素 is azithromycin although deleting 齐 gives
    阿霉素); the leave-one-drug-out run over the bundle's Chinese names found no misreading."""
    assert _resolver().resolve("奥美拉挫").ingredients == ("omeprazole",)
    assert _resolver({"奥美拉挫唑": "other"}).resolve("奥美拉挫").ingredients == ("omeprazole",)
    assert _resolver().resolve("华法令").ingredients == ("warfarin",)
    rival = _resolver({"华发令": "other"})  # 法/发 and 令/林 are both confusable pairs
    assert not rival.resolve("华法令").resolved


def test_reads_only_into_prescribable_drugs() -> None:
    """A DrugBank-only compound or a drugstandards synonym is never the reading."""
    aliases: Aliases = {
        "amoxicillin": (("amoxicillin",), "canonical", "drugbank"),
        "gababentin": (("gabapentin",), "synonym", "drugstandards 0.6"),
    }
    resolver = DrugResolver(aliases, abbreviations={})
    assert not resolver.resolve("amoxicilin").resolved
    assert not resolver.resolve("gababentine").resolved
    assert resolver.resolve("amoxicilin").suggestions == ("amoxicillin",)


def test_read_as_is_cached_and_unresolved_keep_suggestions(resolver: DrugResolver) -> None:
    assert resolver.resolve("华法令") is resolver.resolve("华法令")
    assert resolver.resolve("Zorblaxitol").suggestions == ()
    assert (
        "warfarin" in resolver.resolve("warfxyz").suggestions
        or not resolver.resolve("warfxyz").resolved
    )


# -- the note the pharmacist sees ------------------------------------------------------------------

_ATC = {
    "warfarin": ("B01AA03",),
    "metronidazole": ("J01XD01",),
    "danshen": (),
    "digoxin": ("C01AA05",),
    "chansu": (),
    "furosemide": ("C03CA01",),
    "licorice": (),
    "clopidogrel": ("B01AC04",),
    "panax notoginseng": (),
    "lisinopril": ("C09AA03",),
    "urinary kallidinogenase": (),
}


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> PrescriptionChecker:
    # a small DrugResolver: 'danshen'-style herb names resolve as themselves
    resolver = _resolver({name: name for name in _ATC})
    return curated_overrides_checker(resolver, _ATC, tmp_path_factory.mktemp("kb"))


def test_read_as_note_is_shown_and_never_interrupts(checker: PrescriptionChecker) -> None:
    result = check(checker, {}, {"name": "华法令 2.5mg", "dose_mg": 2.5, "times_per_day": 1})
    assert result.unresolved == []
    note = first_alert(result, "name_read_as", "warfarin")
    assert note is not None
    assert note.severity == "minor" and not note.interruptive
    assert "华法令 2.5mg" in note.drugs
    assert "华法林" in note.message and "华法林" in note.message_zh
    assert not any(a.type == "unknown_drug" for a in result.alerts)


def test_read_as_drug_is_checked_as_that_drug(checker: PrescriptionChecker) -> None:
    result = check(
        checker,
        {},
        {"name": "warfrin 3mg", "dose_mg": 3, "times_per_day": 1},
        {"name": "danshen"},
    )
    alert = first_alert(result, "interaction", "warfarin", "danshen")
    assert alert is not None and alert.severity == "major"


# -- curated rows: herbs and patent medicines --------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("warfarin", "danshen", "major"),
        ("clopidogrel", "danshen", "moderate"),
        ("clopidogrel", "panax notoginseng", "moderate"),
        ("digoxin", "chansu", "major"),
        ("digoxin", "licorice", "moderate"),
        ("furosemide", "licorice", "moderate"),
        ("lisinopril", "urinary kallidinogenase", "contraindicated"),
    ],
)
def test_herb_pairs_graded(checker: PrescriptionChecker, a: str, b: str, level: str) -> None:
    result = check(checker, {}, {"name": a}, {"name": b})
    alert = first_alert(result, "interaction", a, b)
    assert alert is not None and alert.severity == level
    assert alert.message_zh and alert.management_zh


def _rows(name: str) -> list[dict[str, str]]:
    with (CURATED / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_patent_medicine_rows_are_sourced_and_unique() -> None:
    rows = _rows("patent_medicines.csv")
    aliases = [alias for row in rows for alias in row["aliases"].split("|")]
    assert len(aliases) == len(set(aliases))
    assert all(row["source"].startswith("curated") and row["rationale"] for row in rows)
    extra = {row["name"] for row in _rows("extra_drugs.csv")}
    product_names = {row["name"] for row in rows}
    for row in rows:
        for ingredient in filter(None, row["ingredients"].split("|")):
            # every ingredient is a curated drug, a product of the table or a source drug
            assert ingredient in extra | product_names or ingredient.isascii()


def test_extra_drugs_rows_are_sourced() -> None:
    rows = _rows("extra_drugs.csv")
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names))
    assert all(row["source"].startswith("curated") and row["display"] for row in rows)


def test_curated_drugs_join_the_drug_table_and_resolve() -> None:
    table = drug_table(
        {
            "ethanol": ("V03AZ01",),
            "cefoperazone": ("J01DD12",),
            "acetaminophen": ("N02BE01",),
            "chlorpheniramine": ("R06AB04",),
            "ascorbic acid": ("A11GA01",),
            "caffeine": ("N06BC01",),
            "borneol": (),
            "ginseng": (),
            "ephedrine": ("R03CA02",),
            "licorice": (),
            "ginkgo biloba": (),
            "st. john's wort": (),
            "lactobacillus acidophilus": (),
            "ritonavir": ("J05AE03",),
        }
    )
    table.atc_names.update({"A10BX16": "tirzepatide", "C09CA09": "azilsartan"})
    added = add_curated_drugs(table, CURATED)
    assert added > 50
    assert {"danshen", "nirmatrelvir", "pudilan xiaoyan (patent medicine)"} <= set(table.drugs)
    assert table.drugs["tirzepatide"].atc == {"A10BX16"}
    assert add_curated_drugs(table, CURATED) == 0  # idempotent
    builder = AliasBuilder()
    stats = add_curated_aliases(builder, CURATED, set(table.drugs))
    assert stats["curated_aliases_skipped"] >= 0
    rows = {row["key"]: row["ingredients"] for row in builder.rows()}
    assert rows["复方丹参滴丸"] == "borneol|danshen|panax notoginseng"
    assert rows["藿香正气水"] == "ethanol|huoxiang zhengqi (patent medicine)"
    assert rows["藿香正气软胶囊"] == "huoxiang zhengqi (patent medicine)"  # alcohol-free form
    assert rows["蒲地蓝消炎口服液"] == "pudilan xiaoyan (patent medicine)"
    assert rows["双歧杆菌三联活菌"].split("|") == [
        "bifidobacterium",
        "enterococcus faecalis",
        "lactobacillus acidophilus",
    ]
    assert rows["nirmatrelvir ritonavir"] == "nirmatrelvir|ritonavir"
    assert rows["美沙拉秦"] == "mesalazine" if "mesalazine" in table.drugs else True


def test_patent_medicine_resolves_before_form_stripping() -> None:
    """藿香正气水 (an ethanol tincture) is a product name of its own: never stripped to the
    alcohol-free 藿香正气."""
    variants = list(name_variants("藿香正气水 10ml"))
    assert variants[0] == "藿香正气水"
    assert next(iter(name_variants("复方丹参滴丸"))) == "复方丹参滴丸"


# -- names: instructions and forms glued to a name ----------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("甲氨蝶呤片 2.5mg q12h×3次", "甲氨蝶呤"),
        ("头孢克肟胶囊 0.1g ×7天", "头孢克肟"),
        ("benzoyl peroxide 5% wash", "benzoyl peroxide"),
        ("咪康唑口腔凝胶 2%", "咪康唑"),
        ("ketoconazole 2% shampoo", "ketoconazole"),
    ],
)
def test_instructions_and_forms_stripped(written: str, key: str) -> None:
    assert key in list(name_variants(written))


def test_slash_written_pack_resolves_with_curated_component() -> None:
    found = _resolver().resolve("nirmatrelvir/ritonavir")
    assert set(found.ingredients) == {"nirmatrelvir", "ritonavir"}


def test_curated_tables_have_no_unknown_columns() -> None:
    for name in ("extra_drugs.csv", "patent_medicines.csv"):
        path = Path(CURATED / name)
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert "source" in header.split(",")
