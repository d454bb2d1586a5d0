"""InteractionKB: the knowledge base's interaction tables, loaded from a bundle (torch-free).

Sources stay separate: a pair may carry a graded level (kb_levels.csv: DDInter), a rule with
mechanism and management text (kb_rules.csv + kb_rule_pairs.csv: ANSM, in French) and a DrugBank
mechanism sentence (kb_drugbank.csv). The strictest graded level wins; the others
are shown as supporting evidence.

Two reviewed tables refine this when the bundle has them (older bundles load without them):
kb_overrides.csv (prescription/curated/pair_overrides.csv expanded) sets the level of well-known
pairs where sources disagree, optionally by aspirin dose or a patient fact (`when`:
aspirin_low_dose, aspirin_high_dose, renal_severe, neonate); kb_grade_mapping.csv says which
source grades are the weakest ones (consult_model=yes), for which the checker also asks the model.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prescription.tables import check_header

LEVELS = ("contraindicated", "major", "moderate", "minor")
# "unknown": a source lists the interaction without grading it.
LEVEL_ORDER = (*LEVELS, "unknown")
OVERRIDE_SOURCE = "curated_override"


def stricter(a: str | None, b: str | None) -> str | None:
    """The stricter of two levels (None means no finding)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if LEVEL_ORDER.index(a) <= LEVEL_ORDER.index(b) else b


@dataclass(frozen=True)
class Finding:
    """One source's statement about a drug pair."""

    level: str
    source: str
    version: str
    mechanism: str = ""
    management: str = ""
    evidence: str = ""
    # The source's own grades when it grades the pair by dose or context (ANSM:
    # "CONTRE-INDICATION; Association DECONSEILLEE; A prendre en compte"); `level` is the
    # strictest of them.
    graded_by_context: str = ""
    # The source's grade is its weakest one (grade_mapping.csv consult_model=yes): the checker
    # also consults the learned model and shows the stricter of the two.
    consult_model: bool = False
    # Curated per-pair override: the condition it applies under ("" always, "aspirin_low_dose",
    # "aspirin_high_dose", "renal_severe", "neonate") and its mechanism key for the message
    # templates.
    when: str = ""
    mechanism_key: str = ""

    @property
    def is_override(self) -> bool:
        """Whether this finding is a reviewed per-pair override (authoritative for the pair)."""
        return self.source == OVERRIDE_SOURCE


def _table(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV as dicts, parsed with csv.reader (about 3x faster than DictReader)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = check_header(path, next(reader))
        for values in reader:
            yield dict(zip(header, values, strict=True))


def _columns(path: Path, *names: str) -> Iterator[tuple[str, ...]]:
    """Selected columns of a large CSV as tuples (no per-row dict: hot tables have 10^5 rows)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = check_header(path, next(reader))
        positions = [header.index(name) for name in names]
        for values in reader:
            yield tuple(values[i] for i in positions)


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


class InteractionKB:
    """Pair -> findings from every source.

    Args:
        graded: pair -> findings with a level (kb_levels.csv, e.g. DDInter; kb_rules.csv, e.g.
            ANSM rules with their text).
        drugbank: pair -> (type, drug playing #Drug1) from DrugBank DDI-86, rendered on lookup.
        templates: DrugBank type -> sentence template.
        display: canonical name -> display name for the sentences.
        drugbank_version: version string of the DrugBank table.
    """

    def __init__(
        self,
        graded: dict[tuple[str, str], list[Finding]],
        drugbank: dict[tuple[str, str], list[tuple[str, str]]],
        templates: dict[str, str],
        display: dict[str, str],
        drugbank_version: str,
    ) -> None:
        self.graded = graded
        self.drugbank = drugbank
        self.templates = templates
        self.display = display
        self.drugbank_version = drugbank_version

    @classmethod
    def from_tables(cls, folder: Path, display: dict[str, str]) -> InteractionKB:
        """Load kb_levels.csv, kb_rules.csv, kb_rule_pairs.csv, kb_drugbank.csv and
        drugbank_types.csv from a bundle folder.

        The loops are written flat on purpose: ~360,000 rows load in well under a second.
        """
        weakest = _weakest_grades(folder)
        graded = _level_findings(folder / "kb_levels.csv", weakest)
        rules = {
            row["rule"]: Finding(
                row["level"],
                row["source"],
                row["version"],
                row["mechanism"],
                row["management"],
                row["evidence"],
                row["level_fr"] if ";" in row["level_fr"] else "",
                consult_model=(row["source"], row["level"]) in weakest,
            )
            for row in _table(folder / "kb_rules.csv")
        }
        for a, b, rule in _columns(folder / "kb_rule_pairs.csv", "drug_a", "drug_b", "rule"):
            graded.setdefault(_pair(a, b), []).append(rules[rule])
        if (folder / "kb_overrides.csv").is_file():
            for override in _table(folder / "kb_overrides.csv"):
                graded.setdefault(_pair(override["drug_a"], override["drug_b"]), []).append(
                    _override_finding(override)
                )
        for findings in graded.values():
            if len(findings) > 1:
                # Overrides first (authoritative), then the strictest source grade.
                findings.sort(
                    key=lambda f: (not f.is_override, f.when != "", LEVEL_ORDER.index(f.level))
                )
        drugbank, version = _drugbank_pairs(folder / "kb_drugbank.csv")
        templates = {row["type"]: row["template"] for row in _table(folder / "drugbank_types.csv")}
        return cls(graded, drugbank, templates, display, version)

    def lookup(self, a: str, b: str) -> list[Finding]:
        """Findings for a pair, strictest first (empty when no source lists it)."""
        pair = _pair(a, b)
        findings = list(self.graded.get(pair, ()))
        for kind, first in self.drugbank.get(pair, ()):
            second = pair[1] if first == pair[0] else pair[0]
            sentence = (
                self.templates.get(kind, "")
                .replace("#Drug1", self.display.get(first, first))
                .replace("#Drug2", self.display.get(second, second))
            )
            findings.append(
                Finding(
                    "unknown",
                    "drugbank_ddi86",
                    self.drugbank_version,
                    sentence,
                    "",
                    f"DrugBank DDI type {kind}",
                )
            )
        return findings

    def level(self, a: str, b: str) -> str | None:
        """The strictest level any source gives the pair ("unknown" if listed but ungraded)."""
        findings = self.graded.get(_pair(a, b))
        if findings:
            return findings[0].level
        return "unknown" if _pair(a, b) in self.drugbank else None

    def pairs(self) -> set[tuple[str, str]]:
        """Every pair some source lists."""
        return set(self.graded) | set(self.drugbank)


def _weakest_grades(folder: Path) -> set[tuple[str, str]]:
    """(source, level) of the grades kb_grade_mapping.csv marks consult_model=yes (none when
    an older bundle lacks the table)."""
    if not (folder / "kb_grade_mapping.csv").is_file():
        return set()
    return {
        (row["source"], row["level"])
        for row in _table(folder / "kb_grade_mapping.csv")
        if row["consult_model"] == "yes"
    }


def _level_findings(
    path: Path, weakest: set[tuple[str, str]]
) -> dict[tuple[str, str], list[Finding]]:
    """Pair -> findings of kb_levels.csv; one shared Finding per (level, source, version)."""
    graded: dict[tuple[str, str], list[Finding]] = {}
    level_findings: dict[tuple[str, str, str], Finding] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = check_header(path, next(reader))
        ia, ib, il, isrc, iv = (
            header.index(c) for c in ("drug_a", "drug_b", "level", "source", "version")
        )
        for row in reader:
            key = (row[il], row[isrc], row[iv])
            finding = level_findings.get(key)
            if finding is None:
                finding = level_findings[key] = Finding(
                    *key,
                    evidence=f"{key[1]} severity: {key[0]}",
                    consult_model=(key[1], key[0]) in weakest,
                )
            pair = (row[ia], row[ib]) if row[ia] <= row[ib] else (row[ib], row[ia])
            existing = graded.get(pair)
            if existing is None:
                graded[pair] = [finding]
            else:
                existing.append(finding)
    return graded


def _override_finding(override: dict[str, str]) -> Finding:
    """A kb_overrides.csv row as the authoritative finding for its pair."""
    return Finding(
        override["level"],
        OVERRIDE_SOURCE,
        "pair_overrides",
        override["rationale"],
        "",
        f"{override['source']}"
        + (f" (applies when {override['when']})" if override["when"] else ""),
        when=override["when"],
        mechanism_key=override["mechanism"],
    )


def _drugbank_pairs(
    path: Path,
) -> tuple[dict[tuple[str, str], list[tuple[str, str]]], str]:
    """(pair -> [(DDI type, drug playing #Drug1)], version) from kb_drugbank.csv."""
    drugbank: dict[tuple[str, str], list[tuple[str, str]]] = {}
    version = ""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        i1, i2, it, iv = (header.index(c) for c in ("drug_1", "drug_2", "type", "version"))
        for row in reader:
            first, second = row[i1], row[i2]
            pair = (first, second) if first <= second else (second, first)
            entry = (row[it], first)
            existing = drugbank.get(pair)
            if existing is None:
                drugbank[pair] = [entry]
            else:
                existing.append(entry)
            version = row[iv]
    return drugbank, version
