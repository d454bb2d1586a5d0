"""The knowledge-base tables of a prescription bundle: one column list per file.

Training writes each table with exactly these columns (`training.prescription.kb.kb_files`) and
the checker reads them through `header`, which refuses a table whose header differs: a renamed
or missing column is a clear BundleError at load, not a KeyError deep in a lookup.
"""

from __future__ import annotations

from pathlib import Path

from runtime.errors import BundleError

TABLE_COLUMNS = {
    "drugs.csv": ["drug", "display", "atc", "drugbank_id", "ddinter_id", "source"],
    "aliases.csv": ["key", "ingredients", "kind", "source"],
    "kb_levels.csv": ["drug_a", "drug_b", "level", "source", "version"],
    "kb_rules.csv": [
        "rule",
        "main_drug",
        "plus_drug",
        "level",
        "level_fr",
        "mechanism",
        "management",
        "evidence",
        "source",
        "version",
    ],
    "kb_rule_pairs.csv": ["drug_a", "drug_b", "rule", "source", "version"],
    "kb_drugbank.csv": ["drug_1", "drug_2", "type", "source", "version"],
    "drugbank_types.csv": ["type", "template", "source", "version"],
    "kb_overrides.csv": ["drug_a", "drug_b", "level", "when", "mechanism", "rationale", "source"],
    "kb_grade_mapping.csv": ["source", "grade", "level", "consult_model", "rationale", "reference"],
    "kb_homonyms.csv": [
        "name",
        "kind",
        "source",
        "source_class",
        "matched_drug",
        "matched_class",
        "drugbank_id",
        "resolution",
    ],
}


def check_header(path: Path, header: list[str]) -> list[str]:
    """`header` of the table at `path`, refused unless it is the declared one (tables this
    module does not declare pass unchecked)."""
    declared = TABLE_COLUMNS.get(path.name)
    if declared is not None and header != declared:
        missing = [c for c in declared if c not in header]
        raise BundleError(
            f"{path}: columns {header} are not the declared {declared}"
            + (f" (missing {missing})" if missing else "")
        )
    return header
