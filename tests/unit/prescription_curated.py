"""A checker on the repository's curated tables for the round tests: a small drug table from an
ATC map, a knowledge base holding only the curated overrides, the stand-in pair model; and the
two questions those tests ask of a result. No shared data, no model."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prescription.checker import AlertPolicy, PrescriptionChecker
from prescription.clinical import ClinicalRules, read_tables
from prescription.kb import InteractionKB
from prescription.names import name_key
from prescription.resolver import Aliases, DrugResolver, is_cjk, load_abbreviations
from prescription.schema import CheckRequest
from prescription.tables import TABLE_COLUMNS
from runtime.schema import ModelRef
from tests.unit.prescription_stubs import FixedScorer
from training.prescription.drugs import Drug, DrugTable
from training.prescription.kb import AliasBuilder, add_curated_aliases, override_rows, to_csv

CURATED = Path(__file__).resolve().parents[2] / "prescription/curated"


def drug_table(atc: dict[str, tuple[str, ...]]) -> DrugTable:
    drugs = {name: Drug(name, name, atc=set(codes)) for name, codes in atc.items()}
    return DrugTable(drugs=drugs, by_drugbank={}, who_names={}, atc_names={})


def overrides_kb(folder: Path, overrides: list[dict[str, str]]) -> InteractionKB:
    """A knowledge base holding only these override rows (every other table empty)."""
    for name, columns in TABLE_COLUMNS.items():
        rows = overrides if name == "kb_overrides.csv" else []
        (folder / name).write_text(to_csv(rows, columns), encoding="utf-8")
    return InteractionKB.from_tables(folder, {})


def curated_checker(
    resolver: Any, atc: dict[str, tuple[str, ...]], kb: InteractionKB
) -> PrescriptionChecker:
    return PrescriptionChecker(
        resolver,
        kb,
        ClinicalRules(read_tables(CURATED, prefix=""), atc),
        FixedScorer(),  # type: ignore[arg-type]
        atc,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )


def curated_overrides_checker(
    resolver: Any, atc: dict[str, tuple[str, ...]], folder: Path
) -> PrescriptionChecker:
    """`curated_checker` over a knowledge base of the curated override rows that name drugs of
    `atc` (the round tests' fixture), written into `folder`."""
    overrides, _ = override_rows(drug_table(atc), CURATED)
    return curated_checker(resolver, atc, overrides_kb(folder, overrides))


def check(checker: PrescriptionChecker, patient: dict, *drugs: dict, current: tuple = ()) -> Any:
    request = CheckRequest.model_validate(
        {"id": "t", "patient": patient, "drugs": list(drugs), "current_medications": list(current)}
    )
    return checker.check(request)


def first_alert(result: Any, alert_type: str, *drugs: str) -> Any:
    """The first alert of this type naming every one of these drugs, else None."""
    found = [a for a in result.alerts if a.type == alert_type and set(drugs) <= set(a.drugs)]
    return found[0] if found else None


def names_resolver(names: dict[str, tuple[str, ...]]) -> DrugResolver:
    """A resolver over hand-listed names (ASCII keys as canonical names, others as Chinese
    generics), without the abbreviation table, for the round tests' name cases."""
    aliases: Aliases = {
        name_key(key): (drugs, "canonical" if key.isascii() else "zh_generic", "ddinter")
        for key, drugs in names.items()
    }
    return DrugResolver(aliases, abbreviations={})


def curated_names_resolver(drugs: Iterable[str]) -> DrugResolver:
    """The repository's curated Chinese names, combinations and abbreviations over a drug table
    of ``drugs`` (the rows naming other drugs are skipped, as in a demo build)."""
    names = list(drugs)
    builder = AliasBuilder()
    for drug in names:
        builder.add(drug, [drug], "canonical", "ddinter")
    add_curated_aliases(builder, CURATED, set(names))
    aliases: Aliases = {
        row["key"]: (tuple(row["ingredients"].split("|")), row["kind"], row["source"])
        for row in builder.rows()
    }
    return DrugResolver(aliases, load_abbreviations(CURATED / "abbreviations.csv"))


def with_characters(base: DrugResolver, traditional: bool = False) -> DrugResolver:
    """``base`` with the character tables a KB build ships (training/prescription/pinyin.py),
    built over its Chinese names: toneless pinyin, and with ``traditional`` the traditional ->
    simplified fold. Needs pypinyin (train extra): callers skip without it."""
    from training.prescription.pinyin import simplified_table, syllable_table

    names = [key for key in base.aliases if any(is_cjk(ch) for ch in key)]
    syllables = {k: frozenset(v) for k, v in syllable_table(names).items()}
    simplified = simplified_table() if traditional else None
    return DrugResolver(base.aliases, base.abbreviations, syllables, simplified)


def curated_rows_noted(table: str, note_prefix: str) -> list[dict[str, str]]:
    """The rows of a curated CSV whose note starts with ``note_prefix`` ("round 12")."""
    with (CURATED / table).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["note"].startswith(note_prefix)]
