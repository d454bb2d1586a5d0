"""Data contract of the real safety sources:  pytest tests/data --data-dir ../shared/data

The knowledge-base build reads these files by column name; a release that renames a column or
adds a severity level must fail here, not as an empty table in a bundle.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from prescription.resolver import DrugResolver
from training.prescription.drugs import DrugTable, add_curated_drugs, load_drug_table
from training.prescription.kb import ANSM_LEVELS, build_aliases, strip_accents
from training.prescription.train import validate_curated

CURATED = Path(__file__).resolve().parents[2] / "prescription/curated"


@pytest.fixture(scope="module")
def safety(data_dir: Path) -> Path:
    path = data_dir / "safety"
    if not (path / "ddinter/interactions.csv").is_file():
        pytest.skip(f"no safety sources under {data_dir}")
    return path


@pytest.fixture(scope="module")
def table(safety: Path) -> DrugTable:
    # as the build does (round 8): the curated drugs, herbs and patent medicines join the table
    table = load_drug_table(safety)
    add_curated_drugs(table, CURATED)
    return table


def _header(path: Path, delimiter: str = ",") -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle, delimiter=delimiter))


def test_prescription_data_ddinter_columns_and_levels(safety: Path) -> None:
    path = safety / "ddinter/interactions.csv"
    assert _header(path) == ["drug_a_id", "drug_a", "drug_b_id", "drug_b", "level"]
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 100_000
    assert {r["level"] for r in rows} == {"Major", "Moderate", "Minor", "Unknown"}
    pairs = {frozenset((r["drug_a"].lower(), r["drug_b"].lower())) for r in rows}
    assert len(pairs) == len(rows), "one row per unordered pair"


def test_prescription_data_ansm_levels_all_map(safety: Path) -> None:
    name = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
    entries = json.loads((safety / "ansm_thesaurus" / name).read_text(encoding="utf-8"))
    assert len(entries) > 3000
    levels = {strip_accents(s["level"]) for e in entries for s in e["severity_levels"]}
    unmapped = {level for level in levels if level not in ANSM_LEVELS}
    assert not unmapped, f"ANSM levels with no mapping: {unmapped}"


def test_prescription_data_drugbank_and_synonym_columns(safety: Path) -> None:
    assert _header(safety / "drugbank_ddi86/Drugbank.txt", "\t")[:3] == ["drug1", "drug2", "Label"]
    assert {"Interaction type", "Description"} <= set(
        _header(safety / "drugbank_ddi86/Interaction_information.csv")
    )
    assert {"synonym", "generic"} <= set(
        _header(safety / "name_synonyms_drugstandards/synonyms_extracted.tsv", "\t")
    )


def test_prescription_data_curated_tables_name_only_known_drugs(table: DrugTable) -> None:
    # strict: raises naming every curated row whose drug or ATC class the real table lacks
    counts = validate_curated(CURATED, table, strict=True)
    assert counts["curated_unknown_targets"] == 0


def test_prescription_data_chinese_aliases_cover_300_drugs(table: DrugTable, safety: Path) -> None:
    with (CURATED / "zh_aliases.csv").open(encoding="utf-8", newline="") as handle:
        generics = {row["generic"] for row in csv.DictReader(handle)}
    missing = sorted(g for g in generics if g not in table.drugs)
    assert not missing, f"zh_aliases.csv names drugs the drug table lacks: {missing[:20]}"
    assert len(generics) >= 300
    rows, _ = build_aliases(table, safety, CURATED)
    resolver = DrugResolver(
        {r["key"]: (tuple(r["ingredients"].split("|")), r["kind"], r["source"]) for r in rows}
    )
    expected = {
        "布洛芬": "ibuprofen",
        "对乙酰氨基酚": "acetaminophen",
        "阿司匹林": "acetylsalicylic acid",
        "华法林": "warfarin",
        "阿莫西林": "amoxicillin",
        "头孢呋辛": "cefuroxime",
        "二甲双胍": "metformin",
        "氨氯地平": "amlodipine",
        "辛伐他汀": "simvastatin",
        "克拉霉素": "clarithromycin",
    }
    for written, generic in expected.items():
        assert resolver.resolve(written).ingredients == (generic,), written
