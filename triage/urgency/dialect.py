"""Written Cantonese read as Mandarin, for the urgency rules only.

The concepts' forms and the context cues are Mandarin: "食咗成板药" is not "吃了一整板药" to them,
and "冇发烧" is not negated. The table's dialect entries (``DialectEntry``: "咗" -> "了", "冇" ->
"没有", with the characters each must not stand beside) rewrite the normalised complaint before the
rules match on it. The rewrite happens here, inside the engine, and never in the shared normaliser
(``triage.text``): the department model and the sentence embedding read the complaint as typed.

The learned backstop's character n-grams may read a wider rewrite of their own (``NgramDialect``,
``data/dialect_ngrams.json``, urgency round 44): it cannot fire a rule, so it may hold words
Mandarin shares ("食", "颈"), rewritten only in a complaint that holds a Cantonese marker.

A rewritten word may change length ("冇" -> "没有"), so the rewritten text carries, for each of its
characters, the span of the normalised text it came from, and through it the span of the typed
text: a reason still highlights the characters the patient typed, and a mention handed to a caller
still points into the normalised text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from triage.text import NormalisedText
from triage.urgency.lexicon import NGRAM_DIALECT_VERSION, DialectEntry, NgramDialectTable

NGRAM_DIALECT_FILE = "urgency_dialect_ngrams.json"


class DialectText(NormalisedText):
    """A normalised complaint with its dialect words rewritten, and where each character came from.

    Attributes:
        text: the rewritten text (what the rules match on).
        original: the text as typed.
        base: the normalised text it was rewritten from.
    """

    __slots__ = ("_base_ends", "_base_starts", "base")

    def __init__(
        self, text: str, base: NormalisedText, base_starts: Sequence[int], base_ends: Sequence[int]
    ) -> None:
        super().__init__(text, base.original)
        self.base = base
        self._base_starts = tuple(base_starts)
        self._base_ends = tuple(base_ends)

    def _offsets(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        # The typed offsets are the normalised text's composed with the rewrite's, computed on
        # first use like NormalisedText's (most complaints raise no reason); NormalisedText's own
        # way would recompute them from a text it did not make.
        if self._starts is None:
            starts, ends = self.base.starts, self.base.ends
            self._starts = tuple(starts[at] for at in self._base_starts)
            self._ends = tuple(ends[stop - 1] for stop in self._base_ends)
        return self._starts, self._ends

    def base_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the normalised text that rewritten characters [start, end) came from."""
        if end <= start:
            at = self._base_starts[start] if start < len(self.text) else len(self.base.text)
            return (at, at)
        return (self._base_starts[start], self._base_ends[end - 1])


class DialectRewriter:
    """The table's dialect entries, compiled into one regular expression.

    Earlier rounds taught the concepts and cues some Cantonese phrases as they are typed
    ("冇晒力", "屙不出", "呕咗"). A dialect word inside such a phrase is left as typed, so a phrase
    the table already knows keeps matching; elsewhere the word is rewritten.

    Args:
        entries: the entries; none rewrites nothing.
        known: every literal the table matches (forms, exclusions, cues, proximity parts).
    """

    def __init__(self, entries: Sequence[DialectEntry], known: Iterable[str] = ()) -> None:
        self.mandarin = {entry.dialect: entry.mandarin for entry in entries}
        # Longest word first, so "而家" is read whole before any one-character entry of it; each
        # restriction is a lookaround of its own (a lookbehind needs a fixed width).
        ordered = sorted(entries, key=lambda entry: -len(entry.dialect))
        self.pattern = (
            re.compile("|".join(_alternative(entry) for entry in ordered)) if entries else None
        )
        # the known phrases that spell a dialect word and more: a lookahead finds them all,
        # overlapping ones included, longest first at each place
        phrases = sorted(
            {
                term.strip()
                for term in known
                if term.strip() not in self.mandarin and any(word in term for word in self.mandarin)
            },
            key=lambda term: -len(term),
        )
        self.known = (
            re.compile("(?=(" + "|".join(re.escape(p) for p in phrases) + "))") if phrases else None
        )

    def rewrite_text(self, text: str) -> str:
        """``text`` with its dialect words rewritten (no spans, no known phrases kept)."""
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda match: self.mandarin[match.group()], text)

    def rewrite(self, normalised: NormalisedText) -> NormalisedText:
        """``normalised`` with its dialect words rewritten; the same object when none occurs."""
        if self.pattern is None:
            return normalised
        text = normalised.text
        matches = list(self.pattern.finditer(text))
        if matches and self.known is not None:
            kept = _covered(text, self.known)
            matches = [m for m in matches if not any(kept[m.start() : m.end()])]
        if not matches:
            return normalised
        pieces: list[str] = []
        base_starts: list[int] = []
        base_ends: list[int] = []
        at = 0
        for match in matches:
            start, end = match.span()
            pieces.append(text[at:start])
            base_starts += range(at, start)
            base_ends += range(at + 1, start + 1)
            # every character of the Mandarin word stands for the whole dialect word
            word = self.mandarin[match.group()]
            pieces.append(word)
            base_starts += [start] * len(word)
            base_ends += [end] * len(word)
            at = end
        pieces.append(text[at:])
        base_starts += range(at, len(text))
        base_ends += range(at + 1, len(text) + 1)
        return DialectText("".join(pieces), normalised, base_starts, base_ends)


def _covered(text: str, known: re.Pattern[str]) -> list[bool]:
    """For each character of ``text``, whether a known phrase covers it."""
    covered = [False] * len(text)
    for match in known.finditer(text):
        start = match.start()
        covered[start : start + len(match.group(1))] = [True] * len(match.group(1))
    return covered


def _alternative(entry: DialectEntry) -> str:
    behind = "".join(f"(?<!{re.escape(term)})" for term in entry.not_after)
    ahead = "|".join(re.escape(term) for term in entry.not_before)
    return behind + re.escape(entry.dialect) + (f"(?!{ahead})" if ahead else "")


class NgramDialect:
    """Written Cantonese read as Mandarin in the learned backstop's n-gram input (round 44).

    The gold the backstop learns from is mostly Mandarin, so "呕咗", "条颈硬晒" and "透气有声"
    are n-grams it has rarely seen; read as "吐了", "条脖子硬晒", "喘气有声" they meet the
    Mandarin complaints' n-grams. Marker words (Cantonese only) are rewritten wherever their
    restrictions allow; the shared words only in a complaint that holds a marker, so a Mandarin
    complaint's n-grams never change. Training and serving call the same object on the same
    (normalised, possibly masked) text.

    Args:
        table: the validated table.
    """

    def __init__(self, table: NgramDialectTable) -> None:
        self.table = table
        self.markers = DialectRewriter([e for e in table.entries if e.marker])
        self.words = DialectRewriter(table.entries)

    @classmethod
    def packaged(cls) -> NgramDialect:
        """The table this code ships (``triage/urgency/data/dialect_ngrams.json``)."""
        folder = resources.files("triage.urgency").joinpath("data")
        raw = json.loads(folder.joinpath("dialect_ngrams.json").read_text(encoding="utf-8"))
        return cls(NgramDialectTable.model_validate(raw))

    @classmethod
    def from_json(cls, raw: Any) -> NgramDialect:
        """The table a bundle ships; a version this code does not know is refused."""
        if not isinstance(raw, dict) or raw.get("version") != NGRAM_DIALECT_VERSION:
            version = raw.get("version") if isinstance(raw, dict) else None
            raise ValueError(f"n-gram dialect table {version!r} is not {NGRAM_DIALECT_VERSION}")
        return cls(NgramDialectTable.model_validate(raw))

    def to_json(self) -> str:
        """The table as the bundle stores it."""
        return json.dumps(
            self.table.model_dump(mode="json", exclude_defaults=False), ensure_ascii=False, indent=1
        )

    def is_dialect(self, text: str) -> bool:
        """Whether ``text`` holds a marker word where its restrictions let it be rewritten."""
        return self.markers.pattern is not None and self.markers.pattern.search(text) is not None

    def __call__(self, text: str) -> str:
        """The n-gram input for one normalised (or masked) text; a Mandarin text unchanged."""
        return self.words.rewrite_text(text) if self.is_dialect(text) else text
