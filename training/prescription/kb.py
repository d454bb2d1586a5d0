"""Build the prescription knowledge base from the shared sources into plain reviewable tables.

Every table row carries its source and version. Levels are mapped onto one scale
(contraindicated / major / moderate / minor, plus "unknown" for interactions a source lists
without grading). Sources are kept side by side: when they disagree the checker shows the
stricter level and cites both.

    DDInter 1.0       Major/Moderate/Minor/Unknown -> major/moderate/minor/unknown
    ANSM 2020         CONTRE-INDICATION -> contraindicated, Association DECONSEILLEE -> major,
                      Précaution d'emploi -> moderate, A prendre en compte -> minor;
                      classes ("inhibiteurs puissants du CYP3A4") expanded through the substance
                      index; French mechanism and management text kept as written
    DrugBank DDI-86   the 86 mechanism types, as explanation sentences; severity not graded

The grade mapping is not hard-coded: prescription/curated/grade_mapping.csv holds one reviewed row
per (source, grade) with its rationale, and flags the weakest grades for which the checker also
consults the learned model. prescription/curated/pair_overrides.csv sets the level of well-known
pairs where sources disagree (kb_overrides.csv). Every ANSM substance matched to a canonical drug
by name is checked against the ATC classes of its ANSM class; mismatches (homonyms such as
"isosorbide", a nitrate in ANSM and an osmotic diuretic in DrugBank) are listed in
kb_homonyms.csv and never matched silently.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prescription.clinical import DOSE_CONTEXTS
from prescription.kb import LEVEL_ORDER, LEVELS
from prescription.messages import MECHANISMS
from prescription.names import name_key
from prescription.resolver import DrugResolver, load_abbreviations
from prescription.tables import TABLE_COLUMNS
from training.prescription.drugs import (
    PATENT_MEDICINES_FILE,
    WHO_COMBINATIONS_FILE,
    Drug,
    DrugTable,
    base_name,
    read_csv_rows,
)
from training.progress import heartbeat

logger = logging.getLogger(__name__)

DDINTER_VERSION = "ddinter-1.0"
ANSM_VERSION = "ansm-2020-10"
DRUGBANK_VERSION = "drugbank-5.0-ddi86"
GRADE_MAPPING_FILE = "grade_mapping.csv"
OVERRIDES_FILE = "pair_overrides.csv"
# When a pair override applies: always (""), by the aspirin dose on the order, or by a patient
# fact (eGFR/CrCl below 30; a neonate): prescription/checker.py works the context out.
OVERRIDE_WHEN = (
    "",
    "aspirin_low_dose",
    "aspirin_high_dose",
    "renal_severe",
    "neonate",
    "oral_route",  # round 7: both drugs of the pair taken by mouth
    "methotrexate_low_dose",  # round 7: methotrexate <= 30 mg a dose (weekly regimen)
    "methotrexate_high_dose",  # round 7: methotrexate above 30 mg a dose
    *DOSE_CONTEXTS,  # round 11: dose contexts of prescription/curated/dose_contexts.csv
)
DEFAULT_CURATED_DIR = Path(__file__).resolve().parents[2] / "prescription" / "curated"
# Shortest drugstandards synonym key kept (round 12): shorter ones are extraction fragments.
MIN_SYNONYM_KEY = 3
# Higher wins when two sources give the same alias different meanings.
ALIAS_PRIORITY = {
    "canonical": 9,
    "zh_generic": 8,
    "zh_brand": 8,
    # round 8: Chinese patent medicines (prescription/curated/patent_medicines.csv)
    "zh_patent_medicine": 8,
    "combination": 7,
    "atc_code": 6,
    "who_name": 5,
    "atc_map_name": 4,
    "base_name": 4,
    "synonym": 3,
    "who_combination": 2,
}


def strip_accents(text: str) -> str:
    """'Précaution d’emploi' -> "precaution d'emploi" (lower case, no accents, straight quotes)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


@dataclass
class KnowledgeBase:
    """The tables written into the bundle, as lists of rows (dicts with string values)."""

    drugs: list[dict[str, str]]
    aliases: list[dict[str, str]]
    levels: list[dict[str, str]]
    rules: list[dict[str, str]]
    rule_pairs: list[dict[str, str]]
    drugbank: list[dict[str, str]]
    drugbank_types: list[dict[str, str]]
    stats: dict[str, int | float] = field(default_factory=dict)
    overrides: list[dict[str, str]] = field(default_factory=list)
    grade_mapping: list[dict[str, str]] = field(default_factory=list)
    homonyms: list[dict[str, str]] = field(default_factory=list)


def to_csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    """Rows as CSV text (the bundle's table format)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def load_grade_mapping(curated_dir: Path) -> dict[tuple[str, str], str]:
    """(source, grade without accents, lower case) -> level, from the reviewed grade_mapping.csv."""
    mapping: dict[tuple[str, str], str] = {}
    for row in read_csv_rows(curated_dir / GRADE_MAPPING_FILE):
        level = row["level"]
        if level not in LEVEL_ORDER:
            raise ValueError(f"{GRADE_MAPPING_FILE}: unknown level {level!r}")
        mapping[(row["source"], strip_accents(row["grade"]))] = level
    return mapping


def map_grade(mapping: dict[tuple[str, str], str], source: str, grade: str) -> str | None:
    """A source's own grade wording -> the package's level (None: not in the reviewed table)."""
    return mapping.get((source, strip_accents(grade)))


# The ANSM rows of the reviewed table (kept for callers of the former hard-coded dict).
ANSM_LEVELS = {
    grade: level
    for (source, grade), level in load_grade_mapping(DEFAULT_CURATED_DIR).items()
    if source == "ansm"
}


def _expand_target(target: str, table: DrugTable) -> set[str]:
    """A canonical name or "atc:<prefix>" -> canonical drugs in the table."""
    if target.startswith("atc:"):
        prefix = target[4:]
        return {d.name for d in table.drugs.values() if any(c.startswith(prefix) for c in d.atc)}
    return {target} if target in table.drugs else set()


class OverrideRow(BaseModel):
    """One reviewed row of pair_overrides.csv: a target is a canonical name or "atc:<prefix>"; the
    level is on the package's scale; `when` one of OVERRIDE_WHEN; the mechanism a message
    template key; the rationale says why (and how the sources disagree) and the source starts
    with "curated"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drug_a: str = Field(min_length=2)
    drug_b: str = Field(min_length=2)
    level: str
    when: str
    mechanism: str
    rationale: str = Field(min_length=20)
    source: str

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: str) -> str:
        # round 17: several facts joined by "+" must all hold (aspirin_low_dose+...)
        tags = value.split("+") if value else []
        if any(not tag or tag not in OVERRIDE_WHEN for tag in tags):
            raise ValueError(f"when must be one of {OVERRIDE_WHEN}, or several joined by '+'")
        return value

    @field_validator("mechanism")
    @classmethod
    def _mechanism(cls, value: str) -> str:
        if value not in MECHANISMS:
            raise ValueError("mechanism must be a key of prescription.messages.MECHANISMS")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not value.startswith("curated"):
            raise ValueError("source must start with 'curated'")
        return value

    @property
    def named(self) -> int:
        """How many of the two targets are drugs named outright (not ATC classes)."""
        return sum(not t.startswith("atc:") for t in (self.drug_a, self.drug_b))


def read_overrides(curated_dir: Path) -> list[OverrideRow]:
    """pair_overrides.csv, every row validated (ValueError names the line and the field)."""
    rows = []
    for line, row in enumerate(read_csv_rows(curated_dir / OVERRIDES_FILE), start=2):
        try:
            rows.append(OverrideRow(**row))
        except ValidationError as error:
            raise ValueError(f"{OVERRIDES_FILE} line {line}: {error}") from error
    return rows


def override_rows(table: DrugTable, curated_dir: Path) -> tuple[list[dict[str, str]], int]:
    """pair_overrides.csv expanded to canonical pairs (rows naming drugs outside the table are
    skipped and counted: the demo drug list is small).

    A class row (atc:<prefix>) covers every member; for one pair and one `when`, a row naming
    both drugs beats a row naming one, which beats a class-by-class row (the specific review
    wins over the family default); rows equally specific keep the stricter level."""
    chosen: dict[tuple[str, str, str], tuple[OverrideRow, str, str]] = {}
    skipped = 0
    for row in read_overrides(curated_dir):
        left, right = _expand_target(row.drug_a, table), _expand_target(row.drug_b, table)
        if not (left and right):
            skipped += 1
            continue
        for a in sorted(left):
            for b in sorted(right):
                if a == b:
                    continue
                x, y = _pair(a, b)
                key = (x, y, row.when)
                held = chosen.get(key)
                if held is None or (row.named, -LEVEL_ORDER.index(row.level)) > (
                    held[0].named,
                    -LEVEL_ORDER.index(held[0].level),
                ):
                    chosen[key] = (row, x, y)
    rows = [
        {**row.model_dump(), "drug_a": x, "drug_b": y, "named": str(row.named)}
        for row, x, y in chosen.values()
    ]
    return rows, skipped


def defer_to_contraindications(
    overrides: list[dict[str, str]],
    ddinter: list[dict[str, str]],
    ansm_rules: list[dict[str, str]],
    ansm_pairs: list[dict[str, str]],
) -> tuple[list[dict[str, str]], int]:
    """Drop class-expanded override rows (not naming both drugs) that would grade below a source's
    contraindication: a family default never lowers a contraindication nobody reviewed for that
    pair. Rows naming both drugs stay (the aspirin dose rows lower some on purpose)."""
    contraindicated = {
        _pair(r["drug_a"], r["drug_b"]) for r in ddinter if r["level"] == "contraindicated"
    }
    ci_rules = {r["rule"] for r in ansm_rules if r["level"] == "contraindicated"}
    contraindicated |= {
        _pair(r["drug_a"], r["drug_b"]) for r in ansm_pairs if r["rule"] in ci_rules
    }
    deferred = {
        (r["drug_a"], r["drug_b"])
        for r in overrides
        if r.get("named") != "2"
        and r["level"] != "contraindicated"
        and (r["drug_a"], r["drug_b"]) in contraindicated
    }
    kept = [
        r for r in overrides if (r["drug_a"], r["drug_b"]) not in deferred or r.get("named") == "2"
    ]
    return kept, len(deferred)


def drug_table_homonyms(table: DrugTable, safety_dir: Path) -> list[dict[str, str]]:
    """Drugs whose WHO ATC code was attached by name although the drug's own DrugBank id maps to
    a different ATC class (same name, different drug)."""
    by_id: dict[str, set[str]] = {}
    path = safety_dir / "atc_drugbank_map/drugs_list.json"
    if not path.is_file():
        return []
    for entry in json.loads(path.read_text(encoding="utf-8")):
        if entry.get("drugbank_id"):
            by_id.setdefault(entry["drugbank_id"], set()).add(entry["atc_code"])
    rows = []
    for drug in table.drugs.values():
        code = table.who_names.get(base_name(drug.name))
        own = by_id.get(drug.drugbank_id or "", set())
        if code and own and code[:4] not in {c[:4] for c in own}:
            rows.append(
                {
                    "name": base_name(drug.name),
                    "kind": "class_mismatch_kept",
                    "source": "who_atc",
                    "source_class": f"WHO ATC {code}",
                    "matched_drug": drug.name,
                    "matched_class": "ATC " + "|".join(sorted(own)),
                    "drugbank_id": drug.drugbank_id or "",
                    "resolution": "reported (drug table attaches WHO codes by name)",
                }
            )
    return rows


class AliasBuilder:
    """Collects alias -> ingredients, keeping the highest-priority meaning of each key."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, tuple[str, ...], str, str]] = {}
        self.conflicts = 0

    def add(self, alias: str, ingredients: Iterable[str], kind: str, source: str) -> None:
        key = name_key(alias)
        names = tuple(sorted(set(ingredients)))
        if not key or not names:
            return
        priority = ALIAS_PRIORITY[kind]
        current = self.entries.get(key)
        if current is not None and current[1] != names:
            self.conflicts += 1
        if current is None or priority > current[0]:
            self.entries[key] = (priority, names, kind, source)

    def resolve(self, text: str) -> str | None:
        """The one drug `text` already names, or None (unknown, or several drugs)."""
        entry = self.entries.get(name_key(text))
        return entry[1][0] if entry and len(entry[1]) == 1 else None

    def rows(self) -> list[dict[str, str]]:
        return [
            {"key": key, "ingredients": "|".join(names), "kind": kind, "source": source}
            for key, (_, names, kind, source) in sorted(self.entries.items())
        ]


def add_curated_aliases(
    builder: AliasBuilder, curated_dir: Path, known: set[str]
) -> dict[str, int]:
    """Add the project's Chinese names and combination products; rows naming a drug outside
    `known` are skipped and counted (the demo drug list is small)."""
    skipped = 0
    for row in read_csv_rows(curated_dir / "zh_aliases.csv"):
        if row["generic"] in known:
            builder.add(row["alias"], [row["generic"]], row["kind"], row["source"])
        else:
            skipped += 1
    for row in read_csv_rows(curated_dir / "combinations.csv"):
        ingredients = row["ingredients"].split("|")
        if all(name in known for name in ingredients):
            builder.add(row["product"], ingredients, "combination", row["source"])
        else:
            skipped += 1
    skipped += _add_patent_medicines(builder, curated_dir, known)
    return {"curated_aliases_skipped": skipped}


def _add_patent_medicines(builder: AliasBuilder, curated_dir: Path, known: set[str]) -> int:
    """Round 8: every name of a Chinese patent medicine (复方丹参滴丸, 藿香正气水 ...) resolves to
    the ingredients that matter for checking (danshen, ethanol ...), or to the product itself when
    none do (蒲地蓝消炎口服液), so it is a known product, not an unresolved name. Returns the
    rows skipped for naming a drug outside `known`."""
    path = curated_dir / PATENT_MEDICINES_FILE
    skipped = 0
    for row in read_csv_rows(path) if path.exists() else []:
        ingredients = [name for name in row["ingredients"].split("|") if name] or [row["name"]]
        if not all(name in known for name in ingredients):
            skipped += 1
            continue
        for alias in row["aliases"].split("|"):
            builder.add(alias, ingredients, "zh_patent_medicine", row["source"])
    return skipped


def _preferred(table: DrugTable, names: Iterable[str]) -> str | None:
    """Of several canonical drugs, the one in DDInter with the plainest name."""
    ranked = sorted(names, key=lambda n: (table.drugs[n].ddinter_id is None, len(n), n))
    return ranked[0] if ranked else None


def build_aliases(
    table: DrugTable, safety_dir: Path, curated_dir: Path
) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Every name a request may use: canonical and DrugBank names, WHO INN names and ATC codes,
    English brand names and synonyms, the curated Chinese names, and combination products."""
    builder = AliasBuilder()
    _add_table_names(builder, table)
    _add_source_names(builder, table, safety_dir)
    stats = _add_who_combinations(builder, safety_dir)
    stats.update(add_curated_aliases(builder, curated_dir, set(table.drugs)))
    stats["synonyms_by_reading"] = _add_synonyms_by_reading(builder, safety_dir, curated_dir)
    stats["alias_conflicts"] = builder.conflicts
    rows = builder.rows()
    stats["aliases"] = len(rows)
    return rows, stats


def _add_table_names(builder: AliasBuilder, table: DrugTable) -> None:
    """Canonical names, then base names, ATC codes and WHO INN names, each pointing at the
    preferred drug of the names sharing it (see `_preferred`)."""
    by_base: dict[str, list[str]] = {}
    by_code: dict[str, list[str]] = {}
    for drug in table.drugs.values():
        builder.add(
            drug.name, [drug.name], "canonical", "ddinter" if drug.ddinter_id else "drugbank"
        )
        by_base.setdefault(base_name(drug.name), []).append(drug.name)
        for code in drug.atc:
            by_code.setdefault(code, []).append(drug.name)
    for base, names in by_base.items():
        preferred = _preferred(table, names)
        if preferred:
            builder.add(base, [preferred], "base_name", "ddinter")
    for code, names in by_code.items():
        preferred = _preferred(table, names)
        if preferred:
            builder.add(code, [preferred], "atc_code", "who_atc+atc_drugbank_map")
    for who_name, code in table.who_names.items():
        preferred = _preferred(table, by_code.get(code, []))
        if preferred:
            builder.add(who_name, [preferred], "who_name", "who_atc")


def _add_source_names(builder: AliasBuilder, table: DrugTable, safety_dir: Path) -> None:
    """The ATC map's DrugBank names, then drugstandards' synonyms of generics already known."""
    atc_map = json.loads(
        (safety_dir / "atc_drugbank_map/drugs_list.json").read_text(encoding="utf-8")
    )
    for entry in atc_map:
        name = table.by_drugbank.get(entry.get("drugbank_id") or "")
        if name:
            builder.add(entry["name"], [name], "atc_map_name", "atc_drugbank_map")
    for row in _drugstandards_synonyms(safety_dir):
        generic = builder.resolve(row["generic"])
        if generic:
            builder.add(row["synonym"], [generic], "synonym", "drugstandards 0.6")


def _drugstandards_synonyms(safety_dir: Path) -> list[dict[str, str]]:
    """drugstandards' (synonym, generic) rows whose synonym is a usable key. Round 12: one- and
    two-character "synonyms" are extraction fragments ("d" for deferiprone, "n" for nelfinavir,
    "&", "16"); as component keys they turned "Allegra-D" into fexofenadine + deferiprone.
    Curated abbreviations (NS, Li) stay."""
    rows = read_csv_rows(safety_dir / "name_synonyms_drugstandards/synonyms_extracted.tsv", "\t")
    return [row for row in rows if len(name_key(row["synonym"])) >= MIN_SYNONYM_KEY]


def _add_synonyms_by_reading(builder: AliasBuilder, safety_dir: Path, curated_dir: Path) -> int:
    """Round 15: drugstandards' synonyms of a generic the alias table lacks by that exact name
    (US names and salts: NORETHINDRONE, ALENDRONATE, FONDAPARINUX SODIUM, HYALURONAN). The
    generic is looked up as a prescriber's name is (curated alternative names, abbreviations,
    salt, anion and form stripping), never by a misspelling reading or a split; its synonyms
    are added, at the lowest priority a synonym has, when it names one drug. Returns how many
    synonyms were added."""
    resolver = DrugResolver(
        {key: (names, kind, source) for key, (_, names, kind, source) in builder.entries.items()},
        load_abbreviations(curated_dir / "abbreviations.csv"),
    )
    rows = _drugstandards_synonyms(safety_dir)
    # decided before any is added: a synonym spelling the generic itself would otherwise make
    # it look known half-way through its rows; each read once (the resolver's aliases are a
    # copy taken above, so a generic reads the same before and after its synonyms are added)
    read = {
        generic: resolver.resolve_exact(generic)
        for generic in {row["generic"] for row in rows}
        if not builder.resolve(generic)
    }
    added = 0
    for row in rows:
        found = read.get(row["generic"], ())
        key = name_key(row["synonym"])
        if len(found) == 1 and key not in builder.entries and not _names_other(builder, key, found):
            builder.add(row["synonym"], found, "synonym", "drugstandards 0.6 (generic read)")
            added += 1
    return added


def _names_other(builder: AliasBuilder, key: str, drugs: tuple[str, ...]) -> bool:
    """Whether a word of `key` (5 letters or more) is already a name of another drug:
    drugstandards lists "Tracrium preservative free" (atracurium) under cisatracurium."""
    for word in key.split():
        entry = builder.entries.get(word) if len(word) >= 5 else None
        if entry and entry[1] != drugs:
            return True
    return False


def _add_who_combinations(builder: AliasBuilder, safety_dir: Path) -> dict[str, int]:
    """WHO combination products whose every ingredient (strength stripped) resolves; returns
    how many there are and how many resolved."""
    stats = {"who_combinations": 0, "who_combinations_resolved": 0}
    for row in read_csv_rows(safety_dir / WHO_COMBINATIONS_FILE):
        stats["who_combinations"] += 1
        parts = [
            re.sub(r"\s[\d.,]+\s*(mg|g|mcg|µg|ml|iu|u|mmol)\b.*$", "", p.strip(), flags=re.I)
            for p in row["ingredients"].split("/")
        ]
        resolved = [builder.resolve(p) for p in parts]
        names = [n for n in resolved if n]
        if parts and len(names) == len(parts):
            stats["who_combinations_resolved"] += 1
            builder.add(
                row["brand_name"],
                names,
                "who_combination",
                "who_atc_combinations",
            )
    return stats


def ddinter_rows(
    table: DrugTable, safety_dir: Path, curated_dir: Path | None = None
) -> list[dict[str, str]]:
    """DDInter pairs with their level on the common scale (through grade_mapping.csv)."""
    grades = load_grade_mapping(curated_dir or DEFAULT_CURATED_DIR)
    rows = []
    for row in read_csv_rows(safety_dir / "ddinter/interactions.csv"):
        a, b = _pair(row["drug_a"].strip().lower(), row["drug_b"].strip().lower())
        level = map_grade(grades, "ddinter", row["level"])
        if level is None:
            raise ValueError(f"DDInter grade {row['level']!r} is not in {GRADE_MAPPING_FILE}")
        rows.append(
            {
                "drug_a": a,
                "drug_b": b,
                "level": level,
                "source": "ddinter",
                "version": DDINTER_VERSION,
            }
        )
    return rows


class AnsmNames:
    """French ANSM substance and class names -> sets of canonical drugs."""

    def __init__(self, table: DrugTable, safety_dir: Path, curated_dir: Path) -> None:
        self.table = table
        index = json.loads(
            (safety_dir / "ansm_thesaurus/index-des-substances-20102020.json").read_text(
                encoding="utf-8"
            )
        )
        self.curated = {
            strip_accents(row["substance_fr"]): row["generic"]
            for row in read_csv_rows(curated_dir / "ansm_substances_fr_en.csv")
        }
        self.bases: dict[str, str] = {}
        for name in table.drugs:
            self.bases.setdefault(base_name(name), name)
        self.by_code: dict[str, list[str]] = {}
        for drug in table.drugs.values():
            for code in drug.atc:
                self.by_code.setdefault(code, []).append(drug.name)
        self.substances: dict[str, str | None] = {}
        self.classes: dict[str, set[str]] = {}
        self.homonyms: list[dict[str, str]] = []
        self.checked = 0
        self.unverifiable = 0
        entries = [
            (strip_accents(e["substance"]), [strip_accents(c) for c in e["drug_classes"]])
            for e in index
        ]
        self.substance_classes = dict(entries)
        for substance, _ in entries:
            self.substance(substance)
        self._check_homonyms()
        for substance, classes in entries:
            canonical = self.substances.get(substance)
            for cls in classes:
                members = self.classes.setdefault(cls, set())
                if canonical:
                    members.add(canonical)
        self.unmapped: Counter[str] = Counter()

    def _lookup(self, candidate: str) -> str | None:
        if candidate in self.table.drugs:
            return candidate
        if candidate in self.bases:
            return self.bases[candidate]
        if candidate in self.table.who_names:
            return _preferred(self.table, self.by_code.get(self.table.who_names[candidate], []))
        return None

    def by_name(self, french: str) -> str | None:
        """The canonical drug a French name matches by spelling alone (no curated table)."""
        candidates = [french]
        if french.endswith("e"):
            candidates.append(french[:-1])
        if french.startswith("acide "):
            words = french[6:].split()
            if words:
                candidates.append(words[0].replace("ique", "ic") + " acid")
        candidates += [c.replace("ph", "f") for c in candidates if "ph" in c]
        for candidate in candidates:
            found = self._lookup(candidate)
            if found:
                return found
        return None

    def substance(self, french: str) -> str | None:
        """One French substance name -> canonical name, or None."""
        if french in self.substances:
            return self.substances[french]
        curated = self.curated.get(french, "")
        found = (self._lookup(curated) if curated else None) or self.by_name(french)
        self.substances[french] = found
        return found

    def _class_codes(self, cls: str, exclude: str) -> set[str] | None:
        """ATC level-3 codes of a pharmacological ANSM class's other members, or None when the
        class is not pharmacologically homogeneous (no level-3 code held by >= 60% of its members
        with an ATC code, or fewer than 2 such members): "substrats du CYP3A4" says nothing."""
        codes: list[set[str]] = []
        for substance, classes in self.substance_classes.items():
            drug = self.substances.get(substance)
            if substance == exclude or cls not in classes or not drug:
                continue
            atc = {c[:4] for c in self.table.drugs[drug].atc}
            if atc:
                codes.append(atc)
        if len(codes) < 2:
            return None
        counts = Counter(code for member in codes for code in member)
        if counts.most_common(1)[0][1] < 0.6 * len(codes):
            return None
        return set(counts)

    def _check_homonyms(self) -> None:
        """Check every name-matched substance of the index against its ANSM class's ATC codes.

        When the matched drug is outside the class (or has no ATC code) and another drug whose
        name contains the same name is inside it, the name is a homonym ("isosorbide": a nitrate
        in ANSM, an osmotic diuretic in DrugBank): the substance maps to the curated drug, else to
        the one same-named drug inside the class, else to nothing. A mismatch with no same-named
        alternative (codeine, ATC R05DA, in the opioid class) keeps its match and is reported as
        a class mismatch for review.
        """
        for substance, classes in self.substance_classes.items():
            named = self.by_name(substance)
            if not named:
                continue
            signatures = [c for c in (self._class_codes(cls, substance) for cls in classes) if c]
            if not signatures:
                self.unverifiable += 1
                continue
            self.checked += 1
            expected = set().union(*signatures)
            drug = self.table.drugs[named]
            if {c[:4] for c in drug.atc} & expected:
                continue
            inside = self._same_named_in_class(named, expected)
            kind, resolution = self._resolve_homonym(substance, inside)
            self.homonyms.append(
                {
                    "name": substance,
                    "kind": kind,
                    "source": "ansm",
                    "source_class": "; ".join(classes) + f" (ATC {'|'.join(sorted(expected))})",
                    "matched_drug": named,
                    "matched_class": "ATC "
                    + ("|".join(sorted(drug.atc)) or "none")
                    + (f"; {'|'.join(drug.categories[:4])}" if drug.categories else ""),
                    "drugbank_id": drug.drugbank_id or "",
                    "resolution": resolution,
                }
            )

    def _same_named_in_class(self, named: str, expected: set[str]) -> list[str]:
        """Other drugs (not mere salts of `named`) whose name contains `named`'s base name as a
        word and whose ATC codes fall in the `expected` 4-character groups."""
        word = re.compile(rf"\b{re.escape(base_name(named))}\b")
        return sorted(
            d.name
            for d in self.table.drugs.values()
            if d.name != named
            and base_name(d.name) != base_name(named)
            and word.search(d.name)
            and {c[:4] for c in d.atc} & expected
        )

    def _resolve_homonym(self, substance: str, inside: list[str]) -> tuple[str, str]:
        """Remap a homonym (curated drug, else the one same-named drug in its class, else
        nothing) or keep a class mismatch that has no alternative; returns (kind, resolution)."""
        if not inside:
            kept = self.substances.get(substance)
            return "class_mismatch_kept", f"kept: {kept} (no same-named drug in class)"
        curated = self.curated.get(substance, "")
        chosen = self._lookup(curated) if curated else None
        if chosen:
            resolution = f"curated: {chosen}"
        else:
            chosen = inside[0] if len(inside) == 1 else None
            resolution = (
                f"same name inside the class: {chosen}"
                if chosen
                else f"not matched (several in the class: {', '.join(inside)})"
            )
        self.substances[substance] = chosen
        return "homonym", resolution

    def expand(self, name: str) -> set[str]:
        """A thesaurus entry name (substance, class, 'A + B', 'X (ET ... Y)') -> canonical drugs."""
        text = strip_accents(name)
        if text in self.classes:
            return set(self.classes[text])
        found = self.substance(text)
        if found:
            return {found}
        drugs: set[str] = set()
        parts = re.split(r"\s\+\s|\(et, par extrapolation, |\(et |\)", text)
        for part in (p.strip(" ,()") for p in parts):
            if not part or part == text:
                continue
            drugs |= self.classes.get(part, set())
            found = self.substance(part)
            if found:
                drugs.add(found)
        if not drugs:
            stripped = re.sub(r"\s*\(.*\)\s*", " ", text).strip()
            drugs = set(self.classes.get(stripped, set()))
            found = self.substance(stripped) if stripped != text else None
            if found:
                drugs.add(found)
        if not drugs:
            self.unmapped[text] += 1
        return drugs


def ansm_rows(
    table: DrugTable, safety_dir: Path, curated_dir: Path
) -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, int], list[dict[str, str]]]:
    """ANSM rules, the canonical drug pairs they expand to (the strictest rule per pair), stats
    and the homonym report."""
    grades = load_grade_mapping(curated_dir)
    names = AnsmNames(table, safety_dir, curated_dir)
    entries = json.loads(
        (
            safety_dir
            / "ansm_thesaurus"
            / "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
        ).read_text(encoding="utf-8")
    )
    rules: list[dict[str, str]] = []
    best: dict[tuple[str, str], tuple[int, str]] = {}  # pair -> (level rank, rule id)
    mapped_entries = 0
    french = _french_names(names)
    for number, entry in enumerate(entries, 1):
        graded = sorted(
            (
                (level, s["info"])
                for s in entry["severity_levels"]
                if (level := map_grade(grades, "ansm", s["level"]))
            ),
            key=lambda li: LEVEL_ORDER.index(li[0]),
        )
        left, right = names.expand(entry["main_drug"]), names.expand(entry["plus_drug"])
        if graded and left and right:
            mapped_entries += 1
            _ansm_entry_pairs(
                f"ansm-{number:04d}", entry, graded, (left, right), french, rules, best
            )
    pairs = [
        {"drug_a": a, "drug_b": b, "rule": rule, "source": "ansm", "version": ANSM_VERSION}
        for (a, b), (_, rule) in sorted(best.items())
    ]
    stats = {
        "ansm_entries": len(entries),
        "ansm_entries_mapped": mapped_entries,
        "ansm_rules": len(rules),
        "ansm_pairs": len(pairs),
        "ansm_substances": len(names.substances),
        "ansm_substances_mapped": sum(1 for v in names.substances.values() if v),
        "ansm_names_unmapped": len(names.unmapped),
        "ansm_names_class_checked": names.checked,
        "ansm_names_class_unverifiable": names.unverifiable,
        "ansm_homonyms": sum(1 for h in names.homonyms if h["kind"] == "homonym"),
        "ansm_class_mismatches_kept": sum(
            1 for h in names.homonyms if h["kind"] == "class_mismatch_kept"
        ),
    }
    logger.info(
        "ANSM: %s; unmapped names e.g. %s", stats, [n for n, _ in names.unmapped.most_common(8)]
    )
    return rules, pairs, stats, names.homonyms


def _ansm_entry_pairs(
    rule_id: str,
    entry: dict[str, Any],
    graded: list[tuple[str, str]],
    sides: tuple[set[str], set[str]],
    french: dict[str, set[str]],
    rules: list[dict[str, str]],
    best: dict[tuple[str, str], tuple[int, str]],
) -> None:
    """Expand one thesaurus entry into pairs, each at the grade that applies to it (round 7:
    `_ansm_pair_level`), adding one rule row per grade used (the strictest keeps the entry's
    rule id, others get "-<level>") and keeping the strictest rule per pair in `best`."""
    left, right = sides
    restrictions = _ansm_restrictions(graded, left | right, french) if len(graded) > 1 else []
    used: dict[str, str] = {}  # level -> rule id
    # sorted: rule rows come out in the same order in every process (sets follow the hash seed)
    for a in sorted(left):
        for b in sorted(right):
            if a == b:
                continue
            level = _ansm_pair_level(restrictions, a, b) if restrictions else graded[0][0]
            if level not in used:
                used[level] = rule_id + ("" if level == graded[0][0] else f"-{level}")
                rules.append(_ansm_rule(used[level], entry, level))
            pair, rank = _pair(a, b), LEVEL_ORDER.index(level)
            if pair not in best or rank < best[pair][0]:
                best[pair] = (rank, used[level])


def _french_names(names: AnsmNames) -> dict[str, set[str]]:
    """Canonical drug -> its French thesaurus names (lower case, no accents), 4+ letters."""
    french: dict[str, set[str]] = {}
    for name, canonical in names.substances.items():
        if canonical and len(name) >= 4:
            french.setdefault(canonical, set()).add(name)
    return french


def _ansm_restrictions(
    graded: list[tuple[str, str]], members: set[str], french: dict[str, set[str]]
) -> list[tuple[str, set[str]]]:
    """Each grade of a thesaurus entry with the entry's drugs its note names (round 7).

    An entry's stricter grades often apply only to named substances: "MÉDICAMENTS SÉDATIFS +
    AUTRES MÉDICAMENTS SÉDATIFS" is a contraindication only "entre l'oxybate de sodium et les
    opiacés", "à prendre en compte" for all other sedatives; fibrates + statins are
    contraindicated only for gemfibrozil + simvastatin (and rosuvastatin 40 mg). Before round 7
    every pair took the entry's strictest grade, so any two sedatives read as contraindicated."""
    restrictions = []
    for level, info in graded:
        note = " " + re.sub(r"[^a-z0-9]+", " ", strip_accents(info)) + " "
        named = {m for m in members for n in french.get(m, ()) if f" {n} " in note}
        restrictions.append((level, named))
    return restrictions


def _ansm_pair_level(restrictions: list[tuple[str, set[str]]], a: str, b: str) -> str:
    """The grade of one pair: the strictest whose note names one of the pair's drugs or names
    none of the entry's drugs (a dose or route condition, kept for every pair as before); the
    weakest grade is the fallback."""
    for level, named in restrictions[:-1]:
        if not named or a in named or b in named:
            return level
    return restrictions[-1][0]


def _ansm_rule(rule: str, entry: dict[str, Any], level: str) -> dict[str, str]:
    """One kb_rules.csv row from a thesaurus entry: its French mechanism, and its management
    text without the grade words, the per-grade notes first."""
    info = " ".join(s["info"].strip() for s in entry["severity_levels"] if s["info"].strip())
    mechanism = " ".join(entry["interaction_mechanism"].split())
    management = entry["description"].replace(entry["interaction_mechanism"], "")
    for level_text in {s["level"] for s in entry["severity_levels"]}:
        management = management.replace(level_text, "")
    management = " ".join(management.replace(info, "").split())
    return {
        "rule": rule,
        "main_drug": entry["main_drug"],
        "plus_drug": entry["plus_drug"],
        "level": level,
        "level_fr": "; ".join(s["level"] for s in entry["severity_levels"]),
        "mechanism": mechanism,
        "management": " ".join(f"{info} {management}".split()),
        "evidence": f"ANSM: {entry['main_drug']} + {entry['plus_drug']}",
        "source": "ansm",
        "version": ANSM_VERSION,
    }


def drugbank_rows(
    table: DrugTable, safety_dir: Path
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """DrugBank DDI-86 pairs (directional: drug_1 is #Drug1 of the type's sentence) and types."""
    types = [
        {
            "type": row["Interaction type"],
            "template": row["Description"],
            "source": "drugbank_ddi86",
            "version": DRUGBANK_VERSION,
        }
        for row in read_csv_rows(safety_dir / "drugbank_ddi86/Interaction_information.csv")
    ]
    rows = []
    for row in read_csv_rows(safety_dir / "drugbank_ddi86/Drugbank.txt", "\t"):
        first, second = table.by_drugbank.get(row["drug1"]), table.by_drugbank.get(row["drug2"])
        if first and second and first != second:
            rows.append(
                {
                    "drug_1": first,
                    "drug_2": second,
                    "type": row["Label"],
                    "source": "drugbank_ddi86",
                    "version": DRUGBANK_VERSION,
                }
            )
    return rows, sorted(types, key=lambda r: int(r["type"]))


def build_knowledge_base(table: DrugTable, safety_dir: Path, curated_dir: Path) -> KnowledgeBase:
    """All KB tables, with coverage statistics for the run log and the model card."""
    with heartbeat("building the interaction knowledge base"):
        aliases, alias_stats = build_aliases(table, safety_dir, curated_dir)
        ddinter = ddinter_rows(table, safety_dir, curated_dir)
        ansm_rules, ansm_pairs, ansm_stats, homonyms = ansm_rows(table, safety_dir, curated_dir)
        homonyms = homonyms + drug_table_homonyms(table, safety_dir)
        overrides, overrides_skipped = override_rows(table, curated_dir)
        overrides, deferred = defer_to_contraindications(overrides, ddinter, ansm_rules, ansm_pairs)
        drugbank, types = drugbank_rows(table, safety_dir)
    drugs = _drug_rows(table.drugs.values())
    stats: dict[str, int | float] = {
        "drugs": len(drugs),
        "ddinter_pairs": len(ddinter),
        "drugbank_pairs": len(drugbank),
        **alias_stats,
        **ansm_stats,
        "homonyms": sum(1 for h in homonyms if h["kind"] == "homonym"),
        "override_pairs": len(overrides),
        "override_rows_skipped": overrides_skipped,
        "override_class_pairs_deferred": deferred,
    }
    return KnowledgeBase(
        drugs,
        aliases,
        ddinter,
        ansm_rules,
        ansm_pairs,
        drugbank,
        types,
        stats,
        overrides,
        read_csv_rows(curated_dir / GRADE_MAPPING_FILE),
        homonyms,
    )


def _drug_rows(drugs: Iterable[Drug], source: str | None = None) -> list[dict[str, str]]:
    """The drugs.csv table, sorted by name; `source` defaults to the drug's own database."""
    return [
        {
            "drug": d.name,
            "display": d.display,
            "atc": "|".join(sorted(d.atc)),
            "drugbank_id": d.drugbank_id or "",
            "ddinter_id": d.ddinter_id or "",
            "source": source or ("ddinter" if d.ddinter_id else "drugbank"),
        }
        for d in sorted(drugs, key=lambda d: d.name)
    ]


def build_demo_knowledge_base(demo_dir: Path, curated_dir: Path) -> tuple[KnowledgeBase, DrugTable]:
    """The small hand-written knowledge base in data/demo/prescription, for machines without
    ../shared/data. Its interactions become rules with their own mechanism and management text."""
    drugs: dict[str, Drug] = {}
    for row in read_csv_rows(demo_dir / "drugs.csv"):
        name = row["drug"].strip().lower()
        drugs[name] = Drug(
            name=name, display=row["display"], atc=set(filter(None, row["atc"].split("|")))
        )
    table = DrugTable(drugs=drugs, by_drugbank={}, who_names={}, atc_names={})
    builder = AliasBuilder()
    for drug in drugs.values():
        builder.add(drug.name, [drug.name], "canonical", "demo")
        for code in drug.atc:
            builder.add(code, [drug.name], "atc_code", "demo")
    for row in read_csv_rows(demo_dir / "aliases.csv"):
        if row["generic"] in drugs:
            builder.add(row["alias"], [row["generic"]], "synonym", "demo")
    stats: dict[str, int | float] = dict(add_curated_aliases(builder, curated_dir, set(drugs)))
    rules, rule_pairs = _demo_rules(demo_dir)
    rows = _drug_rows(drugs.values(), source="demo")
    aliases = builder.rows()
    overrides, overrides_skipped = override_rows(table, curated_dir)
    stats.update(
        drugs=len(rows),
        aliases=len(aliases),
        demo_rules=len(rules),
        alias_conflicts=builder.conflicts,
        homonyms=0,
        override_pairs=len(overrides),
        override_rows_skipped=overrides_skipped,
    )
    kb = KnowledgeBase(
        rows,
        aliases,
        [],
        rules,
        rule_pairs,
        [],
        [],
        stats,
        overrides,
        read_csv_rows(curated_dir / GRADE_MAPPING_FILE),
        [],
    )
    return kb, table


def _demo_rules(demo_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(kb_rules rows, kb_rule_pairs rows): one rule per demo interaction."""
    rules, rule_pairs = [], []
    for number, row in enumerate(read_csv_rows(demo_dir / "interactions.csv"), 1):
        a, b = _pair(row["drug_a"].strip().lower(), row["drug_b"].strip().lower())
        rule = f"demo-{number:04d}"
        rules.append(
            {
                "rule": rule,
                "main_drug": a,
                "plus_drug": b,
                "level": row["level"],
                "level_fr": "",
                "mechanism": row["mechanism"],
                "management": row["management"],
                "evidence": f"{row['source']}: {a} + {b}",
                "source": row["source"],
                "version": row["version"],
            }
        )
        rule_pairs.append(
            {
                "drug_a": a,
                "drug_b": b,
                "rule": rule,
                "source": row["source"],
                "version": row["version"],
            }
        )
    return rules, rule_pairs


def kb_files(kb: KnowledgeBase) -> dict[str, str]:
    """The knowledge base as bundle files (CSV text)."""
    tables = {
        "drugs.csv": kb.drugs,
        "aliases.csv": kb.aliases,
        "kb_levels.csv": kb.levels,
        "kb_rules.csv": kb.rules,
        "kb_rule_pairs.csv": kb.rule_pairs,
        "kb_drugbank.csv": kb.drugbank,
        "drugbank_types.csv": kb.drugbank_types,
        "kb_overrides.csv": kb.overrides,
        "kb_grade_mapping.csv": kb.grade_mapping,
        "kb_homonyms.csv": kb.homonyms,
    }
    return {name: to_csv(rows, TABLE_COLUMNS[name]) for name, rows in tables.items()}
