"""The canonical drug table: one row per drug, linking DDInter, DrugBank, ATC and WHO names.

Canonical name = the DDInter English name in lower case (US spellings: "acetaminophen",
"acetylsalicylic acid"), else the DrugBank name in lower case. Route-specific DDInter entries
("adapalene (topical)") are drugs of their own; their base name links them to DrugBank and ATC.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

_ROUTE_SUFFIX = re.compile(r"\s*\(([^)]*)\)\s*$")
WHO_ATC_FILE = "who_atc_ddd/WHO ATC-DDD 2026-04-25.csv"
WHO_COMBINATIONS_FILE = "who_atc_ddd/WHO ATC-DDD-combinations 2026-04-25.csv"


def base_name(name: str) -> str:
    """'adapalene (topical)' -> 'adapalene'; other names unchanged (lower-cased)."""
    return _ROUTE_SUFFIX.sub("", name.strip().lower())


def is_combination_code(code: str, atc_names: dict[str, str]) -> bool:
    """Whether an ATC code (or its level-4 group) stands for a combination product."""
    for prefix in (code, code[:5]):
        if "combination" in atc_names.get(prefix, "").lower():
            return True
    # Level-5 combinations are named after their parts: "valsartan and amlodipine" (C09DB01).
    if len(code) == 7 and " and " in atc_names.get(code, "").lower():
        return True
    # WHO reserves level-5 numbers 50-99 for combinations of the substance at 01-49.
    return len(code) == 7 and code[5:].isdigit() and int(code[5:]) >= 50


@dataclass
class Drug:
    """One canonical drug.

    Attributes:
        name: canonical name (lower case).
        display: name as the source spells it.
        ddinter_id: DDInter id, when the drug is in DDInter.
        drugbank_id: DrugBank id, when linked.
        atc: ATC level-5 codes.
        categories: DrugBank categories.
        smiles: structure, when DrugBank has one.
        groups: DrugBank groups (approved, withdrawn, ...).
    """

    name: str
    display: str
    ddinter_id: str | None = None
    drugbank_id: str | None = None
    atc: set[str] = field(default_factory=set)
    categories: list[str] = field(default_factory=list)
    smiles: str | None = None
    groups: list[str] = field(default_factory=list)


@dataclass
class DrugTable:
    """Canonical drugs plus the lookups the KB builder and the model need."""

    drugs: dict[str, Drug]
    by_drugbank: dict[str, str]
    who_names: dict[str, str]  # WHO ATC level-5 name (lower) -> ATC code
    atc_names: dict[str, str]  # any ATC code -> WHO name

    def canonical(self, name: str) -> str | None:
        """Canonical name for an exact (case-insensitive) canonical or DrugBank name."""
        key = name.strip().lower()
        return key if key in self.drugs else None


def read_csv_rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """Every row of a CSV (or, with `delimiter`, TSV) file as a dict keyed by the header."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def load_drug_table(safety_dir: Path) -> DrugTable:
    """Build the canonical drug table from DDInter, DrugBank, the ATC map and WHO ATC.

    Args:
        safety_dir: the `safety/` folder of the shared data.
    """
    drugs = _ddinter_drugs(safety_dir)
    drugbank_rows = read_csv_rows(safety_dir / "drugbank_drug_info/drugbank_slim_df.csv")
    drugbank_by_name: dict[str, dict[str, str]] = {}
    for row in drugbank_rows:
        drugbank_by_name.setdefault(row["name"].strip().lower(), row)
    atc_by_drugbank, drugbank_by_atc_name = _atc_map(safety_dir)
    _link_to_drugbank(drugs, drugbank_by_name, drugbank_by_atc_name)
    # Every other DrugBank drug is canonical too, so DrugBank names, synonyms and DDI pairs resolve.
    for key, row in drugbank_by_name.items():
        if key not in drugs:
            drugs[key] = Drug(name=key, display=row["name"].strip(), drugbank_id=row["drugbank_id"])
    by_drugbank = _by_drugbank(drugs)
    _add_drugbank_info(drugs, drugbank_rows, atc_by_drugbank)
    who_rows = read_csv_rows(safety_dir / WHO_ATC_FILE)
    atc_names = {row["atc_code"]: row["atc_name"] for row in who_rows}
    who_names: dict[str, str] = {}
    for row in who_rows:
        if len(row["atc_code"]) == 7:
            who_names.setdefault(row["atc_name"].strip().lower(), row["atc_code"])
    _add_who_codes(drugs, who_names)
    _drop_foreign_codes(drugs, atc_names)
    logger.info(
        "drug table: %d drugs (%d in DDInter, %d with DrugBank id, %d with ATC)",
        len(drugs),
        sum(1 for d in drugs.values() if d.ddinter_id),
        sum(1 for d in drugs.values() if d.drugbank_id),
        sum(1 for d in drugs.values() if d.atc),
    )
    return DrugTable(drugs=drugs, by_drugbank=by_drugbank, who_names=who_names, atc_names=atc_names)


def _ddinter_drugs(safety_dir: Path) -> dict[str, Drug]:
    """One drug per DDInter name, in order of first appearance."""
    drugs: dict[str, Drug] = {}
    for row in read_csv_rows(safety_dir / "ddinter/interactions.csv"):
        for side in ("a", "b"):
            name = row[f"drug_{side}"].strip()
            key = name.lower()
            if key not in drugs:
                drugs[key] = Drug(name=key, display=name, ddinter_id=row[f"drug_{side}_id"])
    return drugs


def _atc_map(safety_dir: Path) -> tuple[dict[str, set[str]], dict[str, str]]:
    """From the ATC-DrugBank map: DrugBank id -> ATC codes, and name (lower) -> DrugBank id."""
    atc_map = json.loads(
        (safety_dir / "atc_drugbank_map/drugs_list.json").read_text(encoding="utf-8")
    )
    atc_by_drugbank: dict[str, set[str]] = {}
    drugbank_by_atc_name: dict[str, str] = {}
    for entry in atc_map:
        if entry.get("drugbank_id"):
            atc_by_drugbank.setdefault(entry["drugbank_id"], set()).add(entry["atc_code"])
            drugbank_by_atc_name.setdefault(entry["name"].strip().lower(), entry["drugbank_id"])
    return atc_by_drugbank, drugbank_by_atc_name


def _link_to_drugbank(
    drugs: dict[str, Drug],
    drugbank_by_name: dict[str, dict[str, str]],
    drugbank_by_atc_name: dict[str, str],
) -> None:
    """DDInter drugs -> DrugBank ids, by exact name, then by base name."""
    for drug in drugs.values():
        for candidate in (drug.name, base_name(drug.name)):
            match = drugbank_by_name.get(candidate)
            if match is not None:
                drug.drugbank_id = match["drugbank_id"]
                break
            if candidate in drugbank_by_atc_name:
                drug.drugbank_id = drugbank_by_atc_name[candidate]
                break


def _by_drugbank(drugs: dict[str, Drug]) -> dict[str, str]:
    """DrugBank id -> the canonical drug that stands for it."""
    by_drugbank: dict[str, str] = {}
    for drug in drugs.values():
        if not drug.drugbank_id:
            continue
        current = by_drugbank.get(drug.drugbank_id)
        # Prefer a DDInter entry (it carries interactions), then the plain name over a
        # route-specific one ("adapalene" over "adapalene (topical)").
        rank = (drug.ddinter_id is None, len(drug.name))
        if current is None or rank < (drugs[current].ddinter_id is None, len(current)):
            by_drugbank[drug.drugbank_id] = drug.name
    return by_drugbank


def _add_drugbank_info(
    drugs: dict[str, Drug],
    drugbank_rows: list[dict[str, str]],
    atc_by_drugbank: dict[str, set[str]],
) -> None:
    """Categories, groups, SMILES and mapped ATC codes of every drug with a DrugBank id."""
    drugbank_info = {row["drugbank_id"]: row for row in drugbank_rows}
    for drug in drugs.values():
        if not drug.drugbank_id:
            continue
        info = drugbank_info.get(drug.drugbank_id)
        if info:
            drug.categories = [c for c in info["categories"].split("|") if c]
            drug.groups = [g for g in info["groups"].split("|") if g]
            drug.smiles = info["SMILES"] or None
        drug.atc |= atc_by_drugbank.get(drug.drugbank_id, set())


def _add_who_codes(drugs: dict[str, Drug], who_names: dict[str, str]) -> None:
    """WHO level-5 names that equal a canonical (base) name add their code."""
    base_index: dict[str, list[str]] = {}
    for drug in drugs.values():
        base_index.setdefault(base_name(drug.name), []).append(drug.name)
    for who_name, code in who_names.items():
        for name in base_index.get(who_name, []):
            drugs[name].atc.add(code)


def _drop_foreign_codes(drugs: dict[str, Drug], atc_names: dict[str, str]) -> None:
    """Drop ATC codes that do not describe the drug itself."""
    # Codes of combination products ("paracetamol, combinations", "Combinations for eradication of
    # Helicobacter pylori") describe products, not ingredients: amoxicillin and clarithromycin
    # sharing A02BD must not look like duplicate therapy.
    for drug in drugs.values():
        drug.atc = {code for code in drug.atc if not is_combination_code(code, atc_names)}
        # The scraped map has strays (rabeprazole under M01AA05, clofezone). When some code's WHO
        # name is the drug's own name, codes named after another substance are dropped.
        base = base_name(drug.name)
        own = {code for code in drug.atc if atc_names.get(code, "").lower() == base}
        if own:
            drug.atc = {
                code
                for code in drug.atc
                if code in own or atc_names.get(code, "").lower() in ("", base)
            }


# Round 8: drugs a Chinese hospital dispenses daily that neither DDInter nor DrugBank's slim table
# holds (NMPA-only drugs, herbs, probiotics) and the Chinese patent medicines
# (prescription/curated/extra_drugs.csv, patent_medicines.csv). Without a canonical entry their
# names can only be "unresolved", so the pharmacist never sees the documented interactions of
# danshen, toad venom or an ethanol tincture.
EXTRA_DRUGS_FILE = "extra_drugs.csv"
PATENT_MEDICINES_FILE = "patent_medicines.csv"


def add_curated_drugs(table: DrugTable, curated_dir: Path) -> int:
    """Add the curated drugs and patent-medicine products to `table` (in place); a name the
    sources already know is left as the sources have it. Returns how many were added.

    A patent medicine becomes a drug of its own when its row lists no ingredients or lists
    itself (the herbal formula has no interactions of its own, but must resolve); one listing
    only known ingredients (丹参注射液 -> danshen) resolves to them and adds nothing.
    ATC codes missing from the WHO file are dropped, as for every other drug.
    """
    added = 0
    rows = (
        read_csv_rows(curated_dir / EXTRA_DRUGS_FILE)
        if (curated_dir / EXTRA_DRUGS_FILE).exists()
        else []
    )
    for row in rows:
        codes = {c for c in row["atc"].split("|") if c and c in table.atc_names}
        added += _add_curated(table, row["name"], row["display"], codes)
    patent = curated_dir / PATENT_MEDICINES_FILE
    for row in read_csv_rows(patent) if patent.exists() else []:
        ingredients = [name for name in row["ingredients"].split("|") if name]
        if not ingredients or row["name"] in ingredients:
            added += _add_curated(table, row["name"], row["name"], set())
    return added


def _add_curated(table: DrugTable, name: str, display: str, codes: set[str]) -> int:
    key = name.strip().lower()
    if key in table.drugs:
        return 0
    table.drugs[key] = Drug(name=key, display=display, atc=codes)
    return 1
