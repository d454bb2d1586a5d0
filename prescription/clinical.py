"""ClinicalRules: the project-curated tables (doses, pregnancy, lactation, allergy, age,
conditions, intended combinations), loaded from a bundle (torch-free).

A table's `target` names one canonical drug or a class by ATC prefix (`atc:M01A`); a drug
matches a class when any of its ATC codes starts with the prefix.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from prescription.names import name_key

CURATED_TABLES = (
    "doses.csv",
    "pregnancy.csv",
    "lactation.csv",
    "allergy_terms.csv",
    "allergy_groups.csv",
    "cross_reactivity.csv",
    "age_restrictions.csv",
    "conditions.csv",
    "condition_contraindications.csv",
    "duplicate_allowlist.csv",
)
BUNDLE_PREFIX = "curated_"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _number(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


@dataclass(frozen=True)
class DoseLimit:
    """Maximum doses for one drug, route and age range (mg, or IU when `unit` says so)."""

    target: str
    route: str
    population: str
    max_single: float | None
    max_daily: float | None
    max_single_per_kg: float | None
    max_daily_per_kg: float | None
    unit: str
    min_age_years: float | None
    max_age_years: float | None
    source: str
    note: str


@dataclass(frozen=True)
class Rule:
    """A curated contraindication-style rule (pregnancy, lactation, age, condition, allergy)."""

    target: str
    level: str
    reason: str
    management: str
    source: str
    detail: str = ""  # trimester, age range, condition id or allergy group, as applicable
    min_age_years: float | None = None
    max_age_years: float | None = None


class ClinicalRules:
    """Curated rule lookups by canonical drug.

    Args:
        tables: table file name (e.g. "doses.csv") -> rows.
        atc: canonical drug -> its ATC codes.
    """

    def __init__(
        self, tables: dict[str, list[dict[str, str]]], atc: dict[str, tuple[str, ...]]
    ) -> None:
        self.tables = tables
        self.atc = atc
        self.doses = [
            DoseLimit(
                target=r["target"],
                route=r["route"] or "any",
                population=r["population"],
                max_single=_number(r["max_single"]),
                max_daily=_number(r["max_daily"]),
                max_single_per_kg=_number(r["max_single_per_kg"]),
                max_daily_per_kg=_number(r["max_daily_per_kg"]),
                unit=r["unit"] or "mg",
                min_age_years=_number(r["min_age_years"]),
                max_age_years=_number(r["max_age_years"]),
                source=r["source"],
                note=r.get("note", ""),
            )
            for r in tables["doses.csv"]
        ]
        self.pregnancy = [
            Rule(r["target"], r["level"], r["reason"], r["management"], r["source"], r["trimester"])
            for r in tables["pregnancy.csv"]
        ]
        self.lactation = [
            Rule(r["target"], r["level"], r["reason"], r["management"], r["source"])
            for r in tables["lactation.csv"]
        ]
        self.age = [
            Rule(
                r["target"],
                r["level"],
                r["reason"],
                r["management"],
                r["source"],
                min_age_years=_number(r["min_age_years"]),
                max_age_years=_number(r["max_age_years"]),
            )
            for r in tables["age_restrictions.csv"]
        ]
        self.condition_rules = [
            Rule(r["target"], r["level"], r["reason"], r["management"], r["source"], r["condition"])
            for r in tables["condition_contraindications.csv"]
        ]
        self.condition_terms = {
            name_key(r["term"]): r["condition"] for r in tables["conditions.csv"]
        }
        self.condition_ids = {r["condition"] for r in tables["conditions.csv"]}
        self.allergy_terms = {name_key(r["term"]): r["group"] for r in tables["allergy_terms.csv"]}
        self.group_members: dict[str, list[str]] = {}
        for r in tables["allergy_groups.csv"]:
            self.group_members.setdefault(r["group"], []).append(r["target"])
        self.cross = [
            Rule(r["target_group"], r["level"], r["reason"], "", r["source"], r["allergy_group"])
            for r in tables["cross_reactivity.csv"]
        ]
        self.allowlist = [(r["target_a"], r["target_b"]) for r in tables["duplicate_allowlist.csv"]]

    @classmethod
    def from_folder(
        cls, folder: Path, atc: dict[str, tuple[str, ...]], prefix: str = BUNDLE_PREFIX
    ) -> ClinicalRules:
        """Load every curated table (`<prefix><name>.csv`) from a folder."""
        return cls({name: _rows(folder / f"{prefix}{name}") for name in CURATED_TABLES}, atc)

    def matches(self, target: str, drug: str) -> bool:
        """Whether a table target (canonical name or `atc:` prefix) covers a drug."""
        if target.startswith("atc:"):
            prefix = target[4:].upper()
            return any(code.startswith(prefix) for code in self.atc.get(drug, ()))
        return target == drug

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per loaded bundle, lives as long as it
    def _rules_for(self, kind: str, drug: str) -> tuple[Rule, ...]:
        rules = {
            "pregnancy": self.pregnancy,
            "lactation": self.lactation,
            "age": self.age,
            "condition": self.condition_rules,
        }[kind]
        return tuple(rule for rule in rules if self.matches(rule.target, drug))

    def pregnancy_rules(self, drug: str) -> tuple[Rule, ...]:
        """Pregnancy rules that cover a drug."""
        return self._rules_for("pregnancy", drug)

    def lactation_rules(self, drug: str) -> tuple[Rule, ...]:
        """Lactation rules that cover a drug."""
        return self._rules_for("lactation", drug)

    def age_rules(self, drug: str, age: float) -> Iterator[Rule]:
        """Age restrictions a patient of this age breaks."""
        for rule in self._rules_for("age", drug):
            too_young = rule.min_age_years is not None and age < rule.min_age_years
            too_old = rule.max_age_years is not None and age > rule.max_age_years
            if too_young or too_old:
                yield rule

    def condition_of(self, written: str) -> str | None:
        """A written condition ("哮喘", "asthma") -> condition id, or None if unknown."""
        key = name_key(written)
        if key in self.condition_ids:
            return key
        return self.condition_terms.get(key)

    def condition_rules_for(self, condition: str, drug: str) -> Iterator[Rule]:
        """Rules contraindicating a drug in a condition."""
        return (r for r in self._rules_for("condition", drug) if r.detail == condition)

    def allergy_group_of(self, written: str) -> str | None:
        """A written allergy class ("青霉素", "sulfa") -> allergy group id, or None."""
        return self.allergy_terms.get(name_key(written))

    @lru_cache(maxsize=4096)  # noqa: B019
    def groups_of(self, drug: str) -> tuple[str, ...]:
        """Allergy groups a drug belongs to."""
        return tuple(
            g
            for g, targets in self.group_members.items()
            if any(self.matches(t, drug) for t in targets)
        )

    def cross_reactions(self, allergy_group: str, drug: str) -> Iterator[Rule]:
        """Cross-reactivity rules from an allergy group to groups the drug belongs to."""
        groups = set(self.groups_of(drug))
        return (r for r in self.cross if r.detail == allergy_group and r.target in groups)

    @lru_cache(maxsize=4096)  # noqa: B019
    def _doses_for(self, drug: str) -> tuple[DoseLimit, ...]:
        return tuple(limit for limit in self.doses if self.matches(limit.target, drug))

    def dose_limits(self, drug: str, route: str, age: float | None) -> list[DoseLimit]:
        """Dose rows for a drug, route and age; adult rows when the age is unknown."""
        limits = []
        for limit in self._doses_for(drug):
            if limit.route not in ("any", route):
                continue
            if age is None:
                if limit.population != "adult":
                    continue
            elif (limit.min_age_years is not None and age < limit.min_age_years) or (
                limit.max_age_years is not None and age > limit.max_age_years
            ):
                continue
            limits.append(limit)
        return limits

    @lru_cache(maxsize=16384)  # noqa: B019
    def duplicate_allowed(self, a: str, b: str) -> bool:
        """Whether two drugs are an intended combination on the allow-list."""
        return any(
            (self.matches(x, a) and self.matches(y, b))
            or (self.matches(x, b) and self.matches(y, a))
            for x, y in self.allowlist
        )
