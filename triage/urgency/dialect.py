"""Written Cantonese read as Mandarin, for the urgency rules only.

The concepts' forms and the context cues are Mandarin: "食咗成板药" is not "吃了一整板药" to them,
and "冇发烧" is not negated. The table's dialect entries (``DialectEntry``: "咗" -> "了", "冇" ->
"没有", with the characters each must not stand beside) rewrite the normalised complaint before the
rules match on it. The rewrite happens here, inside the engine, and never in the shared normaliser
(``triage.text``): the department model and the learned backstop read the complaint as typed.

A rewritten word may change length ("冇" -> "没有"), so the rewritten text carries, for each of its
characters, the span of the normalised text it came from, and through it the span of the typed
text: a reason still highlights the characters the patient typed, and a mention handed to a caller
still points into the normalised text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from triage.text import NormalisedText
from triage.urgency.lexicon import DialectEntry


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
