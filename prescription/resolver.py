"""DrugResolver: a drug name as written -> canonical ingredients (torch-free).

Names resolve through the bundle's alias table: canonical and DrugBank names, WHO INN names,
ATC codes, English brand names and synonyms, the project's Chinese names, and combination
products, which explode into their ingredients. On top of the bundle's table, the resolver reads
the curated abbreviations the bundle ships (curated_abbreviations.csv, from
prescription/curated/abbreviations.csv: SMZ-TMP, HCTZ, ASA, KCl, bare "lithium" ...; bundles
built before it shipped fall back to the package's copy); a curated abbreviation wins over a
bundle alias with the same key, and is only used when the bundle knows its ingredients. A name
that does not resolve is reported with suggestions, never dropped.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

from prescription.names import name_key, name_variants

_MAX_SUGGESTIONS = 3
_CACHE_SIZE = 100_000
ABBREVIATIONS = Path(__file__).resolve().parent / "curated" / "abbreviations.csv"
ABBREVIATIONS_FILE = "curated_abbreviations.csv"  # its name inside a bundle

Aliases = dict[str, tuple[tuple[str, ...], str, str]]


def load_abbreviations(path: Path = ABBREVIATIONS) -> Aliases:
    """The curated abbreviation table: name key -> (canonical ingredients, kind, source)."""
    table: Aliases = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = name_key(row["abbreviation"])
            if key:
                ingredients = tuple(sorted(row["ingredients"].split("|")))
                table[key] = (ingredients, row["kind"], row["source"])
    return table


@dataclass(frozen=True)
class Resolution:
    """How one written name resolved.

    Attributes:
        written: the name as given.
        ingredients: canonical ingredient names (several for a combination product); empty when
            the name did not resolve.
        matched: the alias key that matched.
        kind: what kind of alias matched (canonical, zh_generic, zh_brand, combination, ...).
        source: where that alias comes from.
        suggestions: close known names, when unresolved.
    """

    written: str
    ingredients: tuple[str, ...]
    matched: str = ""
    kind: str = ""
    source: str = ""
    suggestions: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """Whether the name resolved to at least one ingredient."""
        return bool(self.ingredients)


class DrugResolver:
    """Alias-table lookups with dosage-form and salt stripping.

    Args:
        aliases: alias key -> (ingredients, kind, source).
        abbreviations: curated keys tried before `aliases`, same shape, ingredients named as the
            canonical drugs; None reads prescription/curated/abbreviations.csv, {} uses none.
            Rows whose ingredients `aliases` does not know are left out (the demo drug list is
            small).
    """

    def __init__(self, aliases: Aliases, abbreviations: Aliases | None = None) -> None:
        self.aliases = aliases
        if abbreviations is None:
            abbreviations = load_abbreviations()
        self.abbreviations = self._known(abbreviations)
        self._suggestion_keys: list[str] | None = None
        self._cache: dict[str, Resolution] = {}

    def _known(self, abbreviations: Aliases) -> Aliases:
        """Abbreviations whose every ingredient is a single-drug key of the alias table, with the
        ingredients spelled as that table resolves them."""
        known: Aliases = {}
        for key, (ingredients, kind, source) in abbreviations.items():
            resolved = [self.aliases.get(name_key(name)) for name in ingredients]
            if all(entry is not None and len(entry[0]) == 1 for entry in resolved):
                names = tuple(sorted({entry[0][0] for entry in resolved if entry is not None}))
                known[key] = (names, kind, source)
        return known

    @classmethod
    def from_table(cls, path: Path, abbreviations: Aliases | None = None) -> DrugResolver:
        """Load the bundle's aliases.csv (key, ingredients, kind, source)."""
        aliases: Aliases = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            ik, ii, ikind, isrc = (
                header.index(c) for c in ("key", "ingredients", "kind", "source")
            )
            for row in reader:
                aliases[row[ik]] = (tuple(row[ii].split("|")), row[ikind], row[isrc])
        return cls(aliases, abbreviations)

    def resolve(self, written: str) -> Resolution:
        """Resolve one name; unresolved names carry up to three suggestions.

        Results are cached: the same few hundred names make up most prescriptions.
        """
        cached = self._cache.get(written)
        if cached is None:
            cached = self._resolve(written)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[written] = cached
        return cached

    def _resolve(self, written: str) -> Resolution:
        for key in name_variants(written):
            entry = self.abbreviations.get(key) or self.aliases.get(key)
            if entry is not None:
                return Resolution(written, entry[0], key, entry[1], entry[2])
        return Resolution(written, (), suggestions=self.suggest(written))

    def suggest(self, written: str) -> tuple[str, ...]:
        """Known names close to an unresolved one (for the pharmacist, never auto-applied)."""
        key = name_key(written)
        if not key:
            return ()
        if self._suggestion_keys is None:
            self._suggestion_keys = sorted(set(self.aliases) | set(self.abbreviations))
        # Only keys starting with the same character: keeps this to a few ms on 36,000 aliases.
        pool = [k for k in self._suggestion_keys if k[:1] == key[:1]]
        return tuple(difflib.get_close_matches(key, pool, n=_MAX_SUGGESTIONS, cutoff=0.75))
