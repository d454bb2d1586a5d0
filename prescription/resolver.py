"""DrugResolver: a drug name as written -> canonical ingredients (torch-free).

Names resolve through the bundle's alias table: canonical and DrugBank names, WHO INN names,
ATC codes, English brand names and synonyms, the project's Chinese names, and combination
products, which explode into their ingredients. On top of the bundle's table, the resolver reads
the curated abbreviations the bundle ships (curated_abbreviations.csv, from
prescription/curated/abbreviations.csv: SMZ-TMP, HCTZ, ASA, KCl, bare "lithium" ...; bundles
built before it shipped fall back to the package's copy); a curated abbreviation wins over a
bundle alias with the same key, and is only used when the bundle knows its ingredients. A name
that does not resolve is reported with suggestions, never dropped. A name that does not resolve
as a whole but is written as components ("A/B", "A + B", "A with B") resolves to their union
when every component resolves (round 5).
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from prescription.names import name_key, name_variants

_MAX_SUGGESTIONS = 3
# Longest Chinese generic name tried as one part of a run-together combination (round 7).
_MAX_ZH_PART = 12
_CJK = re.compile(r"[\u3400-\u9fff]+")
_CACHE_SIZE = 100_000
# fuzz.ratio (0-100, 2 * matching characters / both lengths), 75 as difflib's 0.75 cutoff was
# before; 3-character keys get a lower one that still lets one wrong character through (_cutoff).
_SUGGESTION_CUTOFF = 75.0
ABBREVIATIONS = Path(__file__).resolve().parent / "curated" / "abbreviations.csv"
ABBREVIATIONS_FILE = "curated_abbreviations.csv"  # its name inside a bundle

Aliases = dict[str, tuple[tuple[str, ...], str, str]]
# How components of one product are written between them (round 5): "/", "+", "&", "、", the
# English words "with", "and", "plus", and a hyphen between two words.
# A hyphen between two letters ("piperacillin-tazobactam") separates components only here, where
# every part must resolve ("co-amoxiclav" and "5-FU" resolve as a whole first).
_COMPONENT_SEPARATORS = re.compile(
    r"\s*(?:/|\+|＋|&|、)\s*|\s+(?:with|and|plus)\s+|(?<=[a-z])-(?=[a-z])", re.IGNORECASE
)


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
        # Per instance, so the cache goes with the bundle's resolver; least recently used names
        # are dropped at the bound (the same few hundred names make up most prescriptions).
        self._cached_resolve: Callable[[str], Resolution] = functools.lru_cache(
            maxsize=_CACHE_SIZE
        )(self._resolve)

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

        Results are cached (least recently used first out, at most _CACHE_SIZE names).
        """
        return self._cached_resolve(written)

    def _resolve(self, written: str) -> Resolution:
        entry_key = self._lookup(written)
        if entry_key is not None:
            key, entry = entry_key
            return Resolution(written, entry[0], key, entry[1], entry[2])
        split = self._split_combination(written) or self._split_concatenated(written)
        if split is not None:
            return split
        return Resolution(written, (), suggestions=self.suggest(written))

    def _lookup(self, written: str) -> tuple[str, tuple[tuple[str, ...], str, str]] | None:
        for key in name_variants(written):
            entry = self.abbreviations.get(key) or self.aliases.get(key)
            if entry is not None:
                return key, entry
        return None

    def _split_combination(self, written: str) -> Resolution | None:
        """A product written as its components ("amlodipine/atorvastatin", "APAP + codeine",
        "Tylenol with Codeine", "奈玛特韦片/利托那韦片", "氨氯地平、阿托伐他汀"): the union of the
        components when every one of them resolves by itself, else None (never a partial
        product: a component that does not resolve leaves the whole name unresolved)."""
        # strengths split off by "/" ("5/10mg") are not components
        parts = [p for p in _COMPONENT_SEPARATORS.split(written) if _has_name(name_key(p))]
        if len(parts) < 2:
            return None
        ingredients: set[str] = set()
        keys: list[str] = []
        for part in parts:
            found = self._lookup(part)
            if found is None:
                return None
            keys.append(found[0])
            ingredients.update(found[1][0])
        return Resolution(
            written, tuple(sorted(ingredients)), " + ".join(keys), "split_combination", "components"
        )

    def _split_concatenated(self, written: str) -> Resolution | None:
        """Round 7: a Chinese fixed-dose combination written as its generic names run together,
        as NMPA names them ("恩曲他滨利匹韦林丙酚替诺福韦片", "索磷布韦维帕他韦片",
        "阿巴卡韦拉米夫定片"): the union of the components when the whole name (dosage form and
        salts stripped) is covered by two or more known Chinese single-ingredient names, fewest
        parts first. Only tried once every other lookup failed, so a known single name (氨氯地平)
        is never split, and a name with any unknown stretch stays unresolved."""
        for key in name_variants(written):
            if not _CJK.fullmatch(key) or len(key) < 4:
                continue
            parts = self._segment(key)
            if parts:
                ingredients = sorted({d for part in parts for d in self.aliases[part][0]})
                return Resolution(
                    written,
                    tuple(ingredients),
                    " + ".join(parts),
                    "split_combination",
                    "components run together",
                )
        return None

    def _segment(self, key: str) -> list[str] | None:
        """The fewest known single-ingredient Chinese keys (2+ characters) that spell `key`
        end to end, at least two of them; None when there is no such cover."""
        best: list[list[str] | None] = [[]] + [None] * len(key)
        for end in range(2, len(key) + 1):
            for start in range(max(0, end - _MAX_ZH_PART), end - 1):
                before, part = best[start], key[start:end]
                entry = self.aliases.get(part) if before is not None else None
                if entry is None or len(entry[0]) != 1 or before is None:
                    continue
                if best[end] is None or len(before) + 1 < len(best[end] or []):
                    best[end] = [*before, part]
        parts = best[len(key)]
        return parts if parts is not None and len(parts) >= 2 else None

    def suggest(self, written: str) -> tuple[str, ...]:
        """Known names close to an unresolved one (for the pharmacist, never auto-applied),
        closest first.

        rapidfuzz scores the whole pool (about 2 ms on 38,000 real aliases), so a wrong first
        letter ("zimvastatin", "kbuprofen") is still suggested; difflib needed the pool cut to the
        keys sharing the first character to stay near that, and missed those.
        """
        key = name_key(written)
        if not key:
            return ()
        if self._suggestion_keys is None:
            # sorted: equal scores come back in pool order, so suggestions are reproducible
            self._suggestion_keys = sorted(set(self.aliases) | set(self.abbreviations))
        matches = process.extract(
            key,
            self._suggestion_keys,
            scorer=fuzz.ratio,
            limit=_MAX_SUGGESTIONS,
            score_cutoff=_cutoff(len(key)),
        )
        return tuple(match for match, _score, _index in matches)


def _has_name(key: str) -> bool:
    """Whether a key holds a letter or a Chinese character (not only numbers and units)."""
    return any(ch.isalpha() for ch in key)


def _cutoff(length: int) -> float:
    """The fuzz.ratio a suggestion needs for a key of `length` characters: _SUGGESTION_CUTOFF,
    lowered for 3-character keys to what one substituted character scores (2/3), as Chinese
    names are short: "华发林" for 华法林 scores 66.7."""
    if length < 3:
        return _SUGGESTION_CUTOFF
    one_substitution = 100.0 * (length - 1) / length
    # a hair under: rapidfuzz's own float for that score may round below ours
    return min(_SUGGESTION_CUTOFF, one_substitution - 1e-6)
