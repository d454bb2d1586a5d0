"""Link catalogue products to drug ingredients by name, with the prescription checker's resolver.

A shop names products the way it sells them: "Ibuprofen 200 mg Caplets", "Advil Liqui-Gels",
"布洛芬缓释胶囊 0.3g*20粒", "Children's Aspirin Free Pain Reliever". The resolver is tried on the
whole name first (it strips strengths, forms and salts); when that fails, on every run of 1-4
words, longest first (English), or every alias that occurs in the name (Chinese). A match
followed by "free" ("aspirin free") does not count. Only products of the configured health
aisles or departments are linked: a grocery "vitamin water" is not a drug.

Every link is written into the bundle's items.csv with how it was found, so a pharmacist can
review the catalogue the safety filter relies on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prescription.names import name_key
from prescription.resolver import DrugResolver

_MAX_WORDS = 4
# Words that are brand names somewhere in the synonym tables but, alone, mean nothing here.
_STOP = frozenset(
    [
        "relief",
        "regular",
        "strength",
        "extra",
        "maximum",
        "max",
        "original",
        "daily",
        "day",
        "night",
        "time",
        "care",
        "plus",
        "children",
        "childrens",
        "kids",
        "adult",
        "adults",
        "junior",
        "infant",
        "baby",
        "tablets",
        "caplets",
        "capsules",
        "gels",
        "liquid",
        "drops",
        "spray",
        "cream",
        "gel",
        "soft",
        "chewable",
        "formula",
        "support",
        "health",
        "natural",
        "complete",
        "one",
        "multi",
        "aid",
        "first",
        "kelp",
    ]
)
# Ingredients a health-aisle product names for external use only ("Alcohol Prep Swabs",
# "75%酒精消毒液"): linking them would suppress a swab as if it were a drink.
NOT_LINKED = frozenset({"ethanol"})
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Link:
    """How one product name was linked."""

    ingredients: tuple[str, ...]
    how: str  # "name", "words: <matched>", "chinese: <matched>", or "" when not linked


class CatalogueLinker:
    """Product names -> ingredients.

    Args:
        resolver: the prescription bundle's resolver.
    """

    def __init__(self, resolver: DrugResolver) -> None:
        self.resolver = resolver
        self._chinese: list[str] | None = None

    def _chinese_keys(self) -> list[str]:
        if self._chinese is None:
            keys = [k for k in self.resolver.aliases if _CJK.search(k) and len(k) >= 2]
            self._chinese = sorted(keys, key=len, reverse=True)
        return self._chinese

    def link(self, name: str) -> Link:
        """The ingredients a product name names (empty when none)."""
        whole = self.resolver.resolve(name)
        if whole.resolved:
            found = Link(whole.ingredients, "name")
        else:
            key = name_key(name)
            found = self._link_chinese(key) if _CJK.search(key) else self._link_words(key)
        kept = tuple(d for d in found.ingredients if d not in NOT_LINKED)
        return Link(kept, found.how if kept else "")

    def _link_words(self, key: str) -> Link:
        words = re.sub(r"[^a-z0-9 ]+", " ", key.replace("'s", "")).split()
        used = [False] * len(words)
        found: list[str] = []
        matched: list[str] = []
        for size in range(min(_MAX_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(used[start : start + size]):
                    continue
                phrase = " ".join(words[start : start + size])
                if size == 1 and (phrase in _STOP or len(phrase) < 4 or phrase.isdigit()):
                    continue
                if start + size < len(words) and words[start + size] == "free":
                    continue
                entry = self.resolver.aliases.get(phrase)
                if entry is None:
                    continue
                found += entry[0]
                matched.append(phrase)
                for i in range(start, start + size):
                    used[i] = True
        ingredients = tuple(dict.fromkeys(found))
        return Link(ingredients, f"words: {' + '.join(matched)}" if ingredients else "")

    def _link_chinese(self, key: str) -> Link:
        found: list[str] = []
        matched: list[str] = []
        rest = key
        for alias in self._chinese_keys():
            if alias in rest:
                found += self.resolver.aliases[alias][0]
                matched.append(alias)
                rest = rest.replace(alias, " ")
        ingredients = tuple(dict.fromkeys(found))
        return Link(ingredients, f"chinese: {' + '.join(matched)}" if ingredients else "")


def link_catalogue(
    rows: list[dict[str, str]],
    resolver: DrugResolver,
    aisles: set[str],
    departments: set[str],
) -> tuple[list[Link], dict[str, int]]:
    """Link every product of the given aisles or departments; others get no ingredients.

    Returns:
        One Link per row, and counts for the run log and the model card.
    """
    linker = CatalogueLinker(resolver)
    links: list[Link] = []
    eligible = linked = 0
    for row in rows:
        if row.get("aisle", "") in aisles or row.get("department", "") in departments:
            eligible += 1
            link = linker.link(row["name"])
            linked += bool(link.ingredients)
            links.append(link)
        else:
            links.append(Link((), ""))
    return links, {"catalogue_items": len(rows), "health_items": eligible, "linked_items": linked}
