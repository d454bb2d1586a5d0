"""DrugResolver: a drug name as written -> canonical ingredients (torch-free).

Names resolve through the bundle's alias table: canonical and DrugBank names, WHO INN names,
ATC codes, English brand names and synonyms, the project's Chinese names, and combination
products, which explode into their ingredients. A name that does not resolve is reported with
suggestions, never dropped.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

from prescription.names import name_key, name_variants

_MAX_SUGGESTIONS = 3
_CACHE_SIZE = 100_000


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
    """

    def __init__(self, aliases: dict[str, tuple[tuple[str, ...], str, str]]) -> None:
        self.aliases = aliases
        self._suggestion_keys: list[str] | None = None
        self._cache: dict[str, Resolution] = {}

    @classmethod
    def from_table(cls, path: Path) -> DrugResolver:
        """Load the bundle's aliases.csv (key, ingredients, kind, source)."""
        aliases: dict[str, tuple[tuple[str, ...], str, str]] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            ik, ii, ikind, isrc = (
                header.index(c) for c in ("key", "ingredients", "kind", "source")
            )
            for row in reader:
                aliases[row[ik]] = (tuple(row[ii].split("|")), row[ikind], row[isrc])
        return cls(aliases)

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
            entry = self.aliases.get(key)
            if entry is not None:
                return Resolution(written, entry[0], key, entry[1], entry[2])
        return Resolution(written, (), suggestions=self.suggest(written))

    def suggest(self, written: str) -> tuple[str, ...]:
        """Known names close to an unresolved one (for the pharmacist, never auto-applied)."""
        key = name_key(written)
        if not key:
            return ()
        if self._suggestion_keys is None:
            self._suggestion_keys = sorted(self.aliases)
        # Only keys starting with the same character: keeps this to a few ms on 36,000 aliases.
        pool = [k for k in self._suggestion_keys if k[:1] == key[:1]]
        return tuple(difflib.get_close_matches(key, pool, n=_MAX_SUGGESTIONS, cutoff=0.75))
