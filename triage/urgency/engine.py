"""The urgency engine: complaint in, triage level and the reasons for it out.

Three passes over the normalised text (``triage.text``), each simple enough to read:

1. **Mentions.** Every literal surface form sits in one character trie, compiled into one
   Aho-Corasick automaton that finds them all in a single pass over the text; the literals of
   each proximity pattern's parts sit in the same trie, so
   a pattern's regex runs only when all its parts are present. Parsed values (temperature,
   pregnancy weeks, infant age, ...) become mentions of value concepts.
2. **Context.** Each mention is checked for negation, history, hypothesis, family history and
   idiom (ConText-style cue windows inside the mention's clause or sentence), and gets the symptom
   duration stated nearest to it and whether its sentence has an acute marker ("突然", "加重").
3. **Rules.** A rule fires when each of its concept groups has an affirmed mention that is not
   chronic for that rule. The most urgent fired rule sets the level; each fired rule gives one
   reason per group, with the span of the original text that showed it.

Torch-free and dependency-light (stdlib, pydantic and pyahocorasick's C automaton), so it runs
inside the predictor and service.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any

import ahocorasick

from triage.text import NormalisedText, joined_spaces, normalise_with_offsets
from triage.urgency.dialect import DialectRewriter, DialectText
from triage.urgency.lexicon import (
    DEFAULT_LEVEL,
    EMERGENCY_LEVELS,
    LEVEL_ORDER,
    Concept,
    ContextCues,
    Level,
    Near,
    Rule,
    UrgencyTable,
)
from triage.urgency.values import Value, parse_values

DATA_PACKAGE = "triage.urgency"
_END = "\x00"  # trie leaf keys: no normalised text holds a NUL, \x01 or \x03
_PART = "\x01"
_CUE = "\x03"
_KEYS = (_END, _PART, _CUE)  # every trie payload key, in the order hits at one span come
CONTEXT_KINDS = ("negated", "historical", "hypothetical", "family", "in_care", "idiomatic")
_SUFFIX = r"(?:s|es|d|ed)?"
# Past-tense onset this long ago or more makes a mention in its clause historical ("3年前中风").
_HISTORICAL_AGO_DAYS = 30.0
# The hypothetical cues that make what follows them imagined (not "怕", "是不是", "像要", which
# also qualify a real complaint): one inside a proximity match's gap breaks the match.
_CONDITIONAL_CUES = frozenset(
    {"如果", "假如", "假设", "万一", "要是", "若是", "倘若", "一旦", "what if", "in case"}
)


@lru_cache(maxsize=16)
def _char_class(chars: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(chars) + "]" if chars else "(?!)")


# the characters of an English word or number: `_is_word`, and the start test of the term walk
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _is_word(char: str) -> bool:
    return char in _WORD_CHARS


def _literal(term: str) -> str:
    """A term as a regex, with English word boundaries (plural and past endings allowed).

    The boundary before a word is tested just after its first character ("p(?<![a-z0-9]p)ain",
    the same test as "(?<![a-z0-9])pain"): with a literal character first in every
    alternative, the regex engine skips the positions no term can start at, which makes an
    alternation of cue words about six times faster on a long complaint."""
    pattern = re.escape(term)
    if _is_word(term[0]):
        first = re.escape(term[0])
        pattern = first + r"(?<![a-z0-9]" + first + ")" + re.escape(term[1:])
    if term[-1].isascii() and term[-1].isalpha():
        pattern += _SUFFIX + r"(?![a-z0-9])"
    return pattern


def _alternation(terms: Sequence[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``terms`` (see :func:`_literal`); None for no terms, so an
    optional cue list absent from an older table costs nothing per complaint."""
    return re.compile("|".join(_literal(t) for t in terms)) if terms else None


@dataclass(frozen=True)
class Mention:
    """One place a concept occurs in the normalised text.

    Attributes:
        concept: the concept id.
        start: span start in the normalised text.
        end: span end in the normalised text.
        contexts: the contexts that apply (negated, historical, hypothetical, family, in_care,
            idiomatic); empty means affirmed.
        duration_days: the symptom duration stated nearest to it (its clause, else sentence).
        acute: whether its sentence has an acute marker or a recent onset ("两小时前").
    """

    concept: str
    start: int
    end: int
    contexts: frozenset[str]
    duration_days: float | None
    acute: bool

    @property
    def affirmed(self) -> bool:
        """Whether no context applies."""
        return not self.contexts


@dataclass(frozen=True)
class Reason:
    """Why a level above ``consultation`` was given.

    Attributes:
        rule_id: the rule that fired.
        level: the rule's level.
        concept: the concept that satisfied one of its groups.
        start: span start in the text as typed.
        end: span end in the text as typed.
        evidence: the typed text in that span.
        label_zh: the rule's Chinese label.
        label_en: the rule's English label.
    """

    rule_id: str
    level: Level
    concept: str
    start: int
    end: int
    evidence: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Assessment:
    """The urgency answer for one complaint.

    Attributes:
        level: the most urgent level of the fired rules, else ``consultation``.
        rule_ids: the fired rules, most urgent first (table order within a level).
        reasons: one per fired rule and concept group.
        mentions: every concept mention found, with its context (for audits and tests).
    """

    level: Level
    rule_ids: list[str]
    reasons: list[Reason]
    mentions: list[Mention] = field(default_factory=list)

    @property
    def emergency(self) -> bool:
        """Whether the level is one of the two emergency levels."""
        return self.level in EMERGENCY_LEVELS


@dataclass(frozen=True)
class _CompiledConcept:
    concept: Concept
    exclude: tuple[str, ...]
    idiom_before: tuple[str, ...]
    # matched words -> (exclude phrase, offset of the words in it); filled as texts arrive
    exclude_places: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class _NearPattern:
    """One proximity pattern; its regex runs only when every part has a literal in the text."""

    item: _CompiledConcept
    regex: re.Pattern[str]
    parts: int


@dataclass(frozen=True)
class _Form:
    """A literal surface form in the form index: its concept and its word-boundary needs."""

    text: str
    item: _CompiledConcept
    left: bool
    right: bool


@dataclass(frozen=True)
class _CompiledCues:
    cues: ContextCues
    # cue -> (offset of the cue, phrase length, the pseudo phrases of that offset and length):
    # `_Scan._pseudo` slices the text once per group and looks the slice up, where testing
    # each phrase took a hundred tests for "不" (in over a hundred negation pseudo phrases)
    pseudo_groups: Mapping[str, tuple[tuple[int, int, frozenset[str]], ...]]
    # first character -> the pseudo phrases starting with it
    pseudo_by_start: Mapping[str, tuple[str, ...]]
    # one term index (`_term_index`) over before-cues (payload "b"), after-cues ("a") and
    # terminators ("t")
    terms: Any


def _near(near: Near, clause_delimiters: str) -> str:
    """The parts in order with capturing gaps between them (a negation in a gap, as in
    "胸口不疼", makes the match a negated mention). A part made only of numbers is a reading
    of the label before it, so its gap holds no digit: the first number after "血氧" is the
    saturation, and "血氧98 心率80" reads 98, not the heart rate's 80 (a defect fix made during
    urgency round 49's builds)."""

    def terms(part: list[str]) -> str:
        return "(?:" + "|".join(_literal(t) for t in part) + ")"

    delimiters = re.escape(clause_delimiters)
    pattern = terms(near.parts[0])
    for part in near.parts[1:]:
        digits = "0-9" if all(term.isdigit() for term in part) else ""
        pattern += "([^" + delimiters + digits + "]{0," + str(near.max_gap) + "}?)" + terms(part)
    return pattern


def _compile_concept(concept: Concept) -> _CompiledConcept:
    return _CompiledConcept(
        concept=concept,
        exclude=tuple(concept.exclude),
        idiom_before=tuple(concept.idiom_before),
    )


def _bounded(text: str, start: int, end: int, form: _Form) -> bool:
    """English word boundaries around a literal occurrence (plural/past endings allowed)."""
    if form.left and start > 0 and _is_word(text[start - 1]):
        return False
    return not form.right or _word_ends_at(text, end)


def _word_ends_at(text: str, end: int) -> bool:
    """Whether an English word may end at ``end``: nothing word-like follows, or only a plural or
    past ending does ("improvements", "collapsed")."""
    if end >= len(text) or not _is_word(text[end]):
        return True
    for suffix in ("s", "es", "d", "ed"):
        stop = end + len(suffix)
        if text.startswith(suffix, end) and (stop >= len(text) or not _is_word(text[stop])):
            return True
    return False


def _compile_cues(cues: ContextCues) -> _CompiledCues:
    trie: dict[str, Any] = {}
    for kind, terms in (("b", cues.before), ("a", cues.after), ("t", cues.terminators)):
        for term in terms:
            _trie_leaf(trie, term, list).append((kind, term))
    # cue -> (offset of the cue inside the phrase, phrase length) -> the pseudo phrases
    groups: dict[str, dict[tuple[int, int], set[str]]] = {}
    for cue in {*cues.before, *cues.after}:
        for phrase in cues.pseudo:
            for at in _offsets(phrase, cue):
                groups.setdefault(cue, {}).setdefault((at, len(phrase)), set()).add(phrase)
    return _CompiledCues(
        cues=cues,
        pseudo_groups={
            cue: tuple((at, size, frozenset(phrases)) for (at, size), phrases in by.items())
            for cue, by in groups.items()
        },
        pseudo_by_start={
            char: tuple(p for p in cues.pseudo if p[0] == char)
            for char in {p[0] for p in cues.pseudo}
        },
        terms=_term_index(trie),
    )


def _form_trie(
    concepts: tuple[_CompiledConcept, ...], clause_delimiters: str
) -> tuple[dict[str, Any], list[_NearPattern]]:
    """Literal forms in a character trie: one pass of its term index (`_term_index`) over the
    text finds every form, however large the lexicon grows. Proximity patterns' part literals go
    into the same trie (under _PART), so that pass also tells which patterns have all their
    parts present."""
    trie: dict[str, Any] = {}
    for item in concepts:
        for term in dict.fromkeys(item.concept.forms):
            _trie_leaf(trie, term, list).append(
                _Form(term, item, _is_word(term[0]), term[-1].isascii() and term[-1].isalpha())
            )
    near_patterns: list[_NearPattern] = []
    for item in concepts:
        for near in item.concept.near:
            index = len(near_patterns)
            pattern = re.compile(_near(near, clause_delimiters))
            near_patterns.append(_NearPattern(item, pattern, len(near.parts)))
            for part_index, part in enumerate(near.parts):
                for term in part:
                    _trie_leaf(trie, term, set, _PART).add((index, part_index))
    return trie, near_patterns


def _add_cues(trie: dict[str, Any], cues: Mapping[str, _CompiledCues]) -> dict[str, Any]:
    """Every context's cues added to the form trie under _CUE, each leaf naming its context
    (by id), kind and term: the one pass that finds the concepts' forms finds every cue of
    every context too (two walks over a long complaint took a third longer)."""
    for compiled_cues in cues.values():
        spec = compiled_cues.cues
        for kind, terms in (("b", spec.before), ("a", spec.after), ("t", spec.terminators)):
            for term in terms:
                # whether the cue has an English word edge (`_Scan._cue_bounded` tests only
                # those; most cues are Chinese and need no test)
                edged = _is_word(term[0]) or (term[-1].isascii() and term[-1].isalpha())
                _trie_leaf(trie, term, list, _CUE).append((id(compiled_cues), kind, term, edged))
    return trie


def _trie_leaf(trie: dict[str, Any], term: str, kind: Callable[[], Any], key: str = _END) -> Any:
    """The payload stored under ``key`` at ``term``'s node of a character trie (made with
    ``kind()`` when new)."""
    node = trie
    for char in term:
        node = node.setdefault(char, {})
    return node.setdefault(key, kind())


def _ranked_hits(
    terms: Any, text: str
) -> tuple[
    list[tuple[int, int, int, str, Any]], set[tuple[int, int]], list[tuple[int, frozenset[int]]]
]:
    """Every term of a trie's index (`_term_index`) occurring in text, in one Aho-Corasick
    pass in C however many terms there are (the Python walk from every position it replaced was
    a third of the decision's time). The form and cue hits come as (start, end, rank, key,
    payload), rank being the key's place in `_KEYS`, and the proximity parts' payloads as one
    union (most hits, and their order does not matter), so only the rest is sorted. The
    payloads come ranked from the index (no per-key look-up), and (start, end, rank) is unique
    per hit (one term per span, one payload per key), so the plain tuple order sorts them
    without a key function and never compares payloads. Also where a literal of a proximity
    pattern's first part starts, with the patterns it opens.

    A hit that starts inside an English word or number is skipped: every term that begins with
    a letter or digit needs a word boundary before it (a form, a cue, a proximity part), so
    only what the boundary test would throw away is lost. The test is made per hit, and only
    when some word has two characters (most Chinese complaints have none)."""
    pairs = _WORD_PAIR.search(text) is not None
    hits: list[tuple[int, int, int, str, Any]] = []
    parts: set[tuple[int, int]] = set()
    openings: list[tuple[int, frozenset[int]]] = []
    for last, (length, ranked, part, opens) in terms.iter(text):
        start = last + 1 - length
        if pairs and start and text[start] in _WORD_CHARS and text[start - 1] in _WORD_CHARS:
            continue
        if part:
            parts |= part
            if opens:
                openings.append((start, opens))
        for rank, key, found in ranked:
            hits.append((start, last + 1, rank, key, found))
    hits.sort()
    return hits, parts, openings


def _term_index(trie: Mapping[str, Any]) -> Any:
    """A finished character trie as the automaton `_ranked_hits` searches: each term that has a
    payload, with its length, its non-empty form and cue payloads in `_KEYS` order with their
    rank, its proximity parts' payload apart, and the proximity patterns whose first part it is
    (where they may start)."""
    automaton = ahocorasick.Automaton()
    stack: list[tuple[str, Mapping[str, Any]]] = [("", trie)]
    while stack:
        path, node = stack.pop()
        leaves = {key: node[key] for key in _KEYS if key in node}
        if leaves and path:
            ranked = tuple(
                (rank, key, leaves[key])
                for rank, key in enumerate(_KEYS)
                if key != _PART and leaves.get(key)
            )
            part = leaves.get(_PART)
            opens = frozenset(index for index, at in part or () if at == 0)
            automaton.add_word(path, (len(path), ranked, part, opens))
        for char, child in node.items():
            if char not in _KEYS:
                stack.append((path + char, child))
    automaton.make_automaton()
    return automaton


# some English word or number has two characters: only then can a hit start inside one
_WORD_PAIR = re.compile(r"[A-Za-z0-9]{2}")
# `\s` matches exactly the characters for which `str.isspace` holds (checked over every code point)
_WHITESPACE = re.compile(r"\s")
_UPPER = re.compile("[A-Z]")


def _clause_ends(text: str, clause_chars: str, soft_breaks: Sequence[float]) -> list[float]:
    return sorted([m.start() for m in _char_class(clause_chars).finditer(text)] + list(soft_breaks))


class _Scan:
    """One normalised complaint: its clause and sentence bounds, values and cue tests."""

    def __init__(
        self,
        text: str,
        clause_chars: str,
        sentence_chars: str,
        soft_breaks: Sequence[float] = (),
    ) -> None:
        self.text = text
        self.size = len(text)
        # A soft break at i - 0.5 ends a clause between characters i - 1 and i: where the patient
        # separated Chinese phrases with a space that normalisation removed.
        self.clause_ends = _clause_ends(text, clause_chars, soft_breaks)
        self.sentence_ends: list[float] = [
            i
            for i in (m.start() for m in _char_class(sentence_chars).finditer(text))
            # '.' ends an English sentence but not a decimal ("38.5").
            if not (text[i] == "." and 0 < i < self.size - 1 and text[i + 1].isdigit())
        ]
        self._hits: dict[int, dict[str, list[tuple[int, str]]]] = {}
        # every mention's judgement asks for its clause and sentence several times over
        self._clauses: dict[tuple[int, int], tuple[int, int]] = {}
        self._sentences: dict[tuple[int, int], tuple[int, int]] = {}
        self._cued_kinds: tuple[tuple[str, _CompiledCues], ...] | None = None

    def found_cues(self, ids: Sequence[int], found: Sequence[tuple[int, Any]]) -> None:
        """Take every context's cues from the walk that found the forms: ``found`` holds
        (position, leaf entries) in text order, each entry (id of its context's compiled cues,
        kind, cue, whether it has an English word edge to test); ``ids``: every context's id,
        so one with no cue has empty lists."""
        hits = self._hits
        for cid in ids:
            hits[cid] = {"b": [], "a": [], "t": []}
        for at, entries in found:
            for cid, kind, cue, edged in entries:
                if not edged or self._cue_bounded(cue, at):
                    hits[cid][kind].append((at, cue))

    def cued_kinds(
        self, contexts: Mapping[str, _CompiledCues]
    ) -> tuple[tuple[str, _CompiledCues], ...]:
        """The contexts (in table order) with a before- or after-cue anywhere in the text: only
        these can act on a mention (`cued`), and most complaints hold cues of few of them, so
        each mention's judgement skips the rest. Found once per text (cues depend on it alone)."""
        if self._cued_kinds is None:
            self._cued_kinds = tuple(
                (kind, cues)
                for kind, cues in contexts.items()
                if (hits := self._cue_hits(cues))["b"] or hits["a"]
            )
        return self._cued_kinds

    def with_breaks(self, clause_chars: str, soft_breaks: Sequence[float]) -> _Scan:
        """The same text with typed spaces also ending clauses; cue hits (which depend on the
        text alone) are shared, not searched again."""
        scan = copy.copy(self)
        scan.clause_ends = _clause_ends(self.text, clause_chars, soft_breaks)
        scan._clauses = {}  # the clauses are new; the sentences are the same
        return scan

    def _cue_hits(self, cues: _CompiledCues) -> dict[str, list[tuple[int, str]]]:
        """Where this context's cues occur (word-bounded), by kind: found once per text."""
        key = id(cues)
        found = self._hits.get(key)
        if found is None:
            found = {"b": [], "a": [], "t": []}
            for at, _, _, _, entries in _ranked_hits(cues.terms, self.text)[0]:
                for kind, cue in entries:
                    if self._cue_bounded(cue, at):
                        found[kind].append((at, cue))
            self._hits[key] = found
        return found

    @staticmethod
    def _bounds(ends: Sequence[float], start: int, end: int, size: int) -> tuple[int, int]:
        index = bisect_left(ends, start)
        # a delimiter at d starts the next clause at d + 1; a soft break at i - 0.5 at i
        begin = math.ceil(ends[index - 1] + 0.5) if index else 0
        # a delimiter at d >= end, or a soft break right at the mention's end (end - 0.5)
        after = bisect_left(ends, end - 0.5)
        stop = math.ceil(ends[after]) if after < len(ends) else size
        return begin, stop

    def clause(self, start: int, end: int) -> tuple[int, int]:
        found = self._clauses.get((start, end))
        if found is None:
            found = self._clauses[start, end] = self._bounds(
                self.clause_ends, start, end, self.size
            )
        return found

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        found = self._sentences.get((start, end))
        if found is None:
            found = self._sentences[start, end] = self._bounds(
                self.sentence_ends, start, end, self.size
            )
        return found

    def _cue_bounded(self, cue: str, at: int) -> bool:
        text, end = self.text, at + len(cue)
        if _is_word(cue[0]) and at > 0 and _is_word(text[at - 1]):
            return False
        return not (
            cue[-1].isascii() and cue[-1].isalpha() and end < self.size and _is_word(text[end])
        )

    def _window_start(self, begin: int, start: int, units: int) -> int:
        """Walk back ``units`` units from start (an English word is one unit, spaces none)."""
        text, at, counted = self.text, start, 0
        while at > begin and counted < units:
            char = text[at - 1]
            if char == " ":
                at -= 1
                continue
            if _is_word(char):
                while at > begin and _is_word(text[at - 1]):
                    at -= 1
            else:
                at -= 1
            counted += 1
        return at

    def _window_end(self, end: int, stop: int, units: int) -> int:
        text, at, counted = self.text, end, 0
        while at < stop and counted < units:
            char = text[at]
            if char == " ":
                at += 1
                continue
            if _is_word(char):
                while at < stop and _is_word(text[at]):
                    at += 1
            else:
                at += 1
            counted += 1
        return at

    def _pseudo(self, cues: _CompiledCues, cue: str, at: int, lo: int, hi: int) -> bool:
        """Whether the cue at ``at`` lies inside a pseudo phrase held wholly within [lo, hi)."""
        # One slice per (offset, length) group: at one place at most one phrase of a group can
        # be the text (`lo` is never negative, so `begin` is a real index, as startswith read it)
        text = self.text
        for offset, size, phrases in cues.pseudo_groups.get(cue, ()):
            begin = at - offset
            if begin >= lo and begin + size <= hi:
                phrase = text[begin : begin + size]
                if phrase in phrases and (
                    not _is_word(phrase[-1]) or _word_ends_at(text, begin + size)
                ):
                    return True
        return False

    def _phrase_at(self, phrase: str, begin: int) -> bool:
        """Whether the phrase occurs at ``begin`` as whole English words: "if so" is not in
        "if someone"."""
        if not self.text.startswith(phrase, begin):
            return False
        # plural and past endings still count ("no improvements"), as for literal forms
        return not _is_word(phrase[-1]) or _word_ends_at(self.text, begin + len(phrase))

    def _runs_into_pseudo(self, cues: _CompiledCues, cue: str, at: int) -> bool:
        """Whether a pseudo phrase starts inside the cue and runs past it (":无" in
        ":无明显诱因")."""
        text, stop = self.text, at + len(cue)
        return any(
            self._phrase_at(phrase, begin) and begin + len(phrase) > stop
            for begin in range(at, stop)
            for phrase in cues.pseudo_by_start.get(text[begin], ())
        )

    def _terminated(self, cues: _CompiledCues, lo: int, hi: int) -> bool:
        """Whether a scope terminator lies wholly inside [lo, hi)."""
        return any(lo <= at and at + len(word) <= hi for at, word in self._cue_hits(cues)["t"])

    def cued(self, cues: _CompiledCues, start: int, end: int) -> bool:
        """Whether a cue of this context acts on the mention [start, end)."""
        spec = cues.cues
        hits = self._cue_hits(cues)
        if not hits["b"] and not hits["a"]:
            return False
        begin, stop = (
            self.clause(start, end) if spec.scope == "clause" else self.sentence(start, end)
        )
        if hits["b"] and spec.window > 0 and begin < start:
            window = self._window_start(begin, start, spec.window)
            for at, cue in hits["b"]:
                cue_end = at + len(cue)
                if (
                    at >= begin
                    and window < cue_end <= start
                    and not self._pseudo(cues, cue, at, begin, start)
                    and not self._terminated(cues, cue_end, start)
                ):
                    return True
        if hits["a"] and spec.after_window > 0 and end < self.size:
            # A post-cue may begin with a delimiter (":无", "(-)"), so the search runs past the
            # clause end; no delimiter may lie between the mention and the cue.
            window = self._window_end(end, self.size, spec.after_window)
            for at, cue in hits["a"]:
                if (
                    end <= at < window
                    and at <= stop
                    and not self._pseudo(cues, cue, at, end, self.size)
                    and not self._runs_into_pseudo(cues, cue, at)
                    and not self._terminated(cues, end, at)
                ):
                    return True
        return False


def _table_literals(table: UrgencyTable) -> Iterator[str]:
    """Every literal the table matches: concept forms, exclusions, idioms and proximity parts,
    and every context cue (a dialect word inside one is left as typed, ``DialectRewriter``)."""
    for concept in table.concepts:
        yield from concept.forms
        yield from concept.exclude
        yield from concept.idiom_before
        for near in concept.near:
            for part in near.parts:
                yield from part
    contexts = table.contexts
    for name in type(contexts).model_fields:
        value = getattr(contexts, name)
        if isinstance(value, ContextCues):
            yield from (*value.before, *value.after, *value.pseudo, *value.terminators)
        elif isinstance(value, list):
            yield from value


def _rule_index(
    rules: Sequence[Rule],
) -> tuple[dict[str, tuple[int, ...]], tuple[tuple[frozenset[str], ...], ...]]:
    """Each rule indexed under the concepts of one of its groups, the key group, with its other
    groups to check. A rule fires only when every group has a mention, so any group can be the
    key; the one whose concepts the fewest rules share is chosen, because a qualifier such as
    "sudden" or "short of breath" appears in many complaints and would otherwise make most of
    its seventy rules candidates to check."""
    uses: dict[str, int] = {}
    for rule in rules:
        for concept in {c for group in rule.all_of for c in group}:
            uses[concept] = uses.get(concept, 0) + 1
    index: dict[str, list[int]] = {}
    others: list[tuple[frozenset[str], ...]] = []
    for position, rule in enumerate(rules):
        groups = [frozenset(group) for group in rule.all_of]
        key = min(range(len(groups)), key=lambda g: sum(uses[c] for c in groups[g]))
        for concept in groups[key]:
            index.setdefault(concept, []).append(position)
        others.append(tuple(group for g, group in enumerate(groups) if g != key))
    return {c: tuple(found) for c, found in index.items()}, tuple(others)


@dataclass(frozen=True)
class _Compiled:
    # character trie of the literal forms (leaf lists under _END), the proximity patterns'
    # parts (sets under _PART) and the context cues (lists under _CUE), and the term index
    # (`_term_index`) the search runs on
    trie: Mapping[str, Any]
    terms: Any
    # concept -> positions (in ``rules``) of the rules whose key group holds it; each rule's
    # other groups as sets (``_rule_index``)
    rule_index: Mapping[str, tuple[int, ...]]
    rule_groups: tuple[tuple[frozenset[str], ...], ...]
    # per rule, every concept whose mentions its firing reads (groups, stops, age stand-ins)
    rule_needs: tuple[frozenset[str], ...]
    near: tuple[_NearPattern, ...]
    # per proximity pattern, how many parts it has (all must be present for its regex to run)
    near_parts: tuple[int, ...]
    valued: tuple[_CompiledConcept, ...]
    cues: Mapping[str, _CompiledCues]
    acute: re.Pattern[str]
    # whole-complaint framing as a quiz or homework question; None when the table has none
    framing: re.Pattern[str] | None
    rules: tuple[Rule, ...]
    # concepts of kind "state" (diabetes, pregnancy, age): never chronic
    states: frozenset[str]
    # none_of concepts that stop a rule only in a clause holding one of its chosen mentions
    clause_stops: dict[str, str]
    # the table's dialect words, read as Mandarin before matching (rewrites nothing by default)
    dialect: DialectRewriter = field(default_factory=lambda: DialectRewriter([]))
    # past-time anchors ("两岁的时候", "前年"); None when the table has none
    anchors: re.Pattern[str] | None = None
    # present-time words ("现在", "right now") that keep framing off their sentence; None when
    # the table has none
    present: re.Pattern[str] | None = None
    # whole-complaint statements that the patient is in care now; None when the table has none
    care_framing: re.Pattern[str] | None = None
    # present-time words that, after a care phrase, tell a finding of today; None when absent
    care_framing_ends: re.Pattern[str] | None = None
    # a third party ("同事"), the writer's turn to themself ("我也") and the present-time words
    # that keep the third party's event current; None when the table has none
    bystander_subjects: re.Pattern[str] | None = None
    bystander_pivots: re.Pattern[str] | None = None
    bystander_ends: re.Pattern[str] | None = None
    bystander_over: re.Pattern[str] | None = None
    bystander_reactions: re.Pattern[str] | None = None
    # every rule's none_of concepts: a third party's over event (round 31) never makes one of
    # these family, since that would lift a stop ("以前" dating a relative's poisoning)
    stop_concepts: frozenset[str] = frozenset()
    # round 38: the stop concepts no rule needs (the question or framing a stop reads,
    # "万一被咬了该咋办"): a question about a possibility never makes one of these hypothetical
    only_stops: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _SpanJudgement:
    """What a complaint's words say of one span, whatever concept was found there.

    Attributes:
        kinds: the contexts cues, exaggeration, quiz framing and old dates put it in.
        acute: its sentence states an acute onset.
        possibility_asked: its sentence asks about a possibility (`_possibility_asked`).
        duration_days: the nearest symptom duration, if any.
    """

    kinds: frozenset[str]
    acute: bool
    possibility_asked: bool
    duration_days: float | None


@dataclass(frozen=True)
class _Timeline:
    """The times a complaint states, read by every mention's judgement.

    Attributes:
        durations: symptom durations ("三天", "for two weeks").
        bare: the durations standing in a clause of their own.
        acute_at: positions of acute markers and recent onsets, sorted.
        old_dates: onsets at least ``_HISTORICAL_AGO_DAYS`` ago ("3年前").
        terminators: positions of the historical context's scope terminators, sorted.
        framed: the complaint is framed as a quiz or homework question ("作业题"), so every
            mention in it is hypothetical unless its sentence has a present-time word.
        anchored: ends of past-time anchors ("两岁的时候", "前年"), sorted.
        present_at: positions of present-time words ("现在", "right now"), sorted.
        care_framed: the complaint says the patient is in care now ("正在住院") and tells no new
            onset after that, so a mention in a sentence with no acute marker is in care.
        bystander: where a third party is named, (start, end), sorted; empty unless the
            complaint also has a turn to the writer (``pivots``).
        pivots: positions of the writer's turns to themself ("我也", "I'm 30").
        turns: the pivots and the writer's other turns (``bystander_reactions``), sorted.
        bystander_ends: positions of the present-time words that keep a third party's event
            current ("现在", "still").
        bystander_over: where a phrase says a third party's event is over or handled ("人没事了",
            "she's okay now"), start positions, sorted.
        bystander_live: the ``bystander_ends`` outside those phrases ("now" of "okay now" is
            not one).
        first_person: positions of first-person words ("我", "I", "me", "my").
        aged_events: spans of an age an event happened at ("at 19", "when he was 2") younger
            than an age the complaint states as now after it ("I'm 35 now"), with where that
            statement starts, sorted (round 37).
    """

    durations: list[Value]
    bare: list[Value]
    acute_at: list[int]
    old_dates: list[Value]
    terminators: list[int]
    framed: bool = False
    anchored: list[int] = field(default_factory=list)
    present_at: list[int] = field(default_factory=list)
    care_framed: bool = False
    bystander: list[tuple[int, int]] = field(default_factory=list)
    pivots: list[int] = field(default_factory=list)
    turns: list[int] = field(default_factory=list)
    bystander_ends: list[int] = field(default_factory=list)
    bystander_over: list[int] = field(default_factory=list)
    bystander_live: list[int] = field(default_factory=list)
    first_person: list[int] = field(default_factory=list)
    aged_events: list[tuple[int, int, int]] = field(default_factory=list)


def _care_framed(normalised: str, compiled: _Compiled, acute_at: list[int]) -> bool:
    """The complaint says the patient is in care now ("正在住院") and tells nothing new after
    that: no acute marker ("住院第三天，晚上突然闹") and no present-time word ("正在住院，今天
    胸口剧痛"), either of which tells a finding of today rather than the reason for the stay."""
    care = compiled.care_framing.search(normalised) if compiled.care_framing else None
    if care is None or any(at > care.start() for at in acute_at):
        return False
    ends = compiled.care_framing_ends
    return ends is None or ends.search(normalised, care.end()) is None


# Engines built by `UrgencyEngine.from_dict`, by the sha256 of their table, most recent last.
_ENGINES: OrderedDict[str, UrgencyEngine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
_ENGINES_KEPT = 8


class UrgencyEngine:
    """Assigns a triage level to a complaint from the concept lexicon and rules.

    Build it with :meth:`from_dict`, :meth:`from_file` or :meth:`default`; the constructor only
    stores the validated table. Compiled lazily on first use; immutable and thread-safe after.

    Args:
        table: the validated urgency table.
    """

    def __init__(self, table: UrgencyTable) -> None:
        self.table = table
        self._compiled: _Compiled | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UrgencyEngine:
        """Validate a table (the bundle's ``urgency.json``) and build an engine.

        An engine is immutable once compiled, so a table this process has already built (same
        content, key order aside) returns that engine: validating and compiling the table takes
        about a second, and a service reload, a Spark worker's second bundle or a training
        run's self-tests load the same table again and again.

        Raises:
            pydantic.ValidationError: the table is malformed; the message names the entry.
        """
        key = hashlib.sha256(
            json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest()
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is not None:
                _ENGINES.move_to_end(key)
                return engine
        engine = cls(UrgencyTable.model_validate(data))
        engine._compile()
        with _ENGINES_LOCK:
            _ENGINES[key] = engine
            while len(_ENGINES) > _ENGINES_KEPT:
                _ENGINES.popitem(last=False)
        return engine

    @classmethod
    def from_file(cls, path: str | Path) -> UrgencyEngine:
        """Load a table written by :meth:`to_dict` from a UTF-8 JSON file."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    @classmethod
    def default(cls) -> UrgencyEngine:
        """The table packaged with this module: ``data/contexts.json`` plus every
        ``data/concepts_*.json`` and ``data/rules_*.json`` (lists), merged in name order, and
        the dialect words of ``data/dialect.json``."""
        folder = resources.files(DATA_PACKAGE).joinpath("data")
        head = json.loads(folder.joinpath("contexts.json").read_text(encoding="utf-8"))
        concepts: list[Any] = []
        rules: list[Any] = []
        dialect = json.loads(folder.joinpath("dialect.json").read_text(encoding="utf-8"))
        for item in sorted(folder.iterdir(), key=lambda f: f.name):
            if item.name.startswith("concepts_") and item.name.endswith(".json"):
                concepts += json.loads(item.read_text(encoding="utf-8"))
            elif item.name.startswith("rules_") and item.name.endswith(".json"):
                rules += json.loads(item.read_text(encoding="utf-8"))
        return cls.from_dict({**head, "concepts": concepts, "rules": rules, "dialect": dialect})

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON-able data; ``from_dict(e.to_dict())`` rebuilds ``e``."""
        return self.table.model_dump(mode="json", exclude_defaults=True)

    @property
    def version(self) -> str:
        """The table's version string."""
        return self.table.version

    @property
    def rule_ids(self) -> list[str]:
        """The rule ids in table order."""
        return [rule.id for rule in self.table.rules]

    def _compile(self) -> _Compiled:
        if self._compiled is not None:
            return self._compiled
        contexts = self.table.contexts
        concepts = tuple(_compile_concept(c) for c in self.table.concepts)
        order = {level: i for i, level in enumerate(LEVEL_ORDER)}
        # Most urgent rules first; table order within a level.
        rules = tuple(sorted(self.table.rules, key=lambda r: -order[r.level]))
        stops = frozenset(c for rule in rules for c in rule.none_of)
        trie, near_patterns = _form_trie(concepts, contexts.clause_delimiters)
        rule_index, rule_groups = _rule_index(rules)
        cues = {
            "negated": _compile_cues(contexts.negated),
            "historical": _compile_cues(contexts.historical),
            "hypothetical": _compile_cues(contexts.hypothetical),
            "family": _compile_cues(contexts.family),
            "in_care": _compile_cues(contexts.in_care),
            "animal": _compile_cues(contexts.animal),
        }
        trie = _add_cues(trie, cues)
        self._compiled = _Compiled(
            trie=trie,
            terms=_term_index(trie),
            rule_index=rule_index,
            rule_groups=rule_groups,
            rule_needs=tuple(
                frozenset([*(c for g in r.all_of for c in g), *r.none_of, *r.age_concepts])
                for r in rules
            ),
            near=tuple(near_patterns),
            near_parts=tuple(pattern.parts for pattern in near_patterns),
            valued=tuple(item for item in concepts if item.concept.value is not None),
            cues=cues,
            acute=re.compile("|".join(_literal(t) for t in contexts.acute_markers)),
            framing=_alternation([t.strip() for t in contexts.framing]),
            rules=rules,
            states=frozenset(c.id for c in self.table.concepts if c.kind == "state"),
            clause_stops={
                c.id: c.stop_scope for c in self.table.concepts if c.stop_scope != "complaint"
            },
            dialect=DialectRewriter(self.table.dialect, _table_literals(self.table)),
            present=_alternation(contexts.framing_yields),
            anchors=_alternation([t.strip() for t in contexts.anchors]),
            care_framing=_alternation([t.strip() for t in contexts.in_care_framing]),
            care_framing_ends=_alternation(contexts.in_care_framing_ends),
            bystander_subjects=_alternation([t.strip() for t in contexts.bystander_subjects]),
            bystander_pivots=_alternation([t.strip() for t in contexts.bystander_pivots]),
            bystander_ends=_alternation([t.strip() for t in contexts.bystander_ends]),
            bystander_over=_alternation([t.strip() for t in contexts.bystander_over]),
            bystander_reactions=_alternation([t.strip() for t in contexts.bystander_reactions]),
            stop_concepts=stops,
            only_stops=stops - {c for rule in rules for group in rule.all_of for c in group},
        )
        return self._compiled

    # -- assessing --------------------------------------------------------------------------

    def _judge(
        self,
        normalised: str,
        scan: _Scan,
        values: list[Value],
        spans: list[tuple[_CompiledConcept, int, int]],
        occupied: set[tuple[int, int]],
    ) -> list[Mention]:
        """Give each concept occurrence its context, duration and onset. ``occupied``: the
        clauses holding any concept occurrence (judged or not), so a duration's reach does not
        depend on which mentions are judged."""
        if not spans:
            return []
        times = self._timeline(normalised, scan, values, occupied)
        # a long complaint puts several concepts on one span ("胸痛" is a form of more than one);
        # what depends on the span alone is judged once per span
        judged: dict[tuple[int, int], _SpanJudgement] = {}
        found = [self._mention(normalised, scan, times, *span, judged) for span in spans]
        if times.turns:
            found = _bystanders(normalised, found, scan, times, self._compile().stop_concepts)
        found.sort(key=lambda m: (m.start, m.end, m.concept))
        return found

    def _timeline(
        self, normalised: str, scan: _Scan, values: list[Value], occupied: set[tuple[int, int]]
    ) -> _Timeline:
        """The complaint's stated times, which every mention's judgement reads."""
        compiled = self._compile()
        durations = [v for v in values if v.name == "duration_days"]
        agos = [v for v in values if v.name == "ago_days"]
        acute_at = [m.start() for m in compiled.acute.finditer(normalised)]
        # A recent onset ("两小时前", "胸痛半小时") is as good as an acute marker.
        acute_at += [v.start for v in agos if v.value <= 2]
        # ...but not "几分钟就好了": a short episode that ended, told as history
        acute_at += _short_unfinished(normalised, durations, self.table.contexts.episode_end)
        acute_at.sort()
        framed = compiled.framing is not None and compiled.framing.search(normalised) is not None
        return _Timeline(
            **_bystander_times(normalised, compiled),
            care_framed=_care_framed(normalised, compiled, acute_at),
            durations=durations,
            # Durations standing in a clause of their own ("胸闷，气短，四五年了") may apply
            # across the sentence; one inside another symptom's clause stays with that symptom.
            bare=[v for v in durations if scan.clause(v.start, v.end) not in occupied],
            acute_at=acute_at,
            old_dates=[v for v in agos if v.value >= _HISTORICAL_AGO_DAYS],
            terminators=sorted(at for at, _ in scan._cue_hits(compiled.cues["historical"])["t"]),
            framed=framed,
            aged_events=_aged_events(normalised),
            anchored=(
                [m.end() for m in compiled.anchors.finditer(normalised)]
                if compiled.anchors is not None
                else []
            ),
            # read only where framing applies: the only thing present-time words change
            present_at=(
                [m.start() for m in compiled.present.finditer(normalised)]
                if framed and compiled.present is not None
                else []
            ),
        )

    def _mention(
        self,
        normalised: str,
        scan: _Scan,
        times: _Timeline,
        item: _CompiledConcept,
        start: int,
        end: int,
        judged: dict[tuple[int, int], _SpanJudgement],
    ) -> Mention:
        """One occurrence, judged: its contexts, nearest duration and whether it is acute.
        ``judged``: the span-level judgements of this complaint so far (filled in here)."""
        span = judged.get((start, end))
        if span is None:
            span = judged[start, end] = self._span_judgement(normalised, scan, times, start, end)
        kinds = set(span.kinds)
        if item.idiom_before:
            before = normalised[:start].rstrip(" ")
            if any(before.endswith(phrase) for phrase in item.idiom_before):
                kinds.add("idiomatic")
        if times.care_framed and not span.acute and item.concept.kind != "state":
            # "正在住院 ... 昏迷一直没醒": the finding is why the patient is in care; a sentence
            # that tells a new onset ("住院期间突然说不出话") is not covered, nor a background
            # state ("每天喝一斤白酒")
            kinds.add("in_care")
        if span.possibility_asked and item.concept.id not in self._compile().only_stops:
            # round 38: a question about a possibility; not a rule's stop ("万一被咬了该咋办"
            # is itself the question that stops a bite rule)
            kinds.add("hypothetical")
        return Mention(
            concept=item.concept.id,
            start=start,
            end=end,
            contexts=frozenset(kinds),
            duration_days=span.duration_days,
            acute=span.acute,
        )

    def _span_judgement(
        self, normalised: str, scan: _Scan, times: _Timeline, start: int, end: int
    ) -> _SpanJudgement:
        """What the words around [start, end) say of any concept found there: the cue
        contexts, exaggeration, quiz framing and stated dates; whether its sentence is acute
        and asks about a possibility; its nearest duration."""
        sentence = scan.sentence(start, end)
        acute = _any_between(times.acute_at, *sentence)
        kinds = self._cued_contexts(normalised, scan, start, end, acute)
        if times.framed and not _any_between(times.present_at, *sentence):
            # an exam question's case is no one's complaint, however urgent it reads; but a
            # sentence that says it is happening now ("现在", "right now") is the writer's, even
            # in a complaint that also says "hypothetically" (round 17's review). An acute
            # marker does not do that: "突然倒地" is how a quiz case is told too
            kinds.add("hypothetical")
        # only the cue contexts above can have made it historical (the concept's own tests in
        # `_mention` add other contexts), so this is the same test per concept
        if "historical" not in kinds and _dated_history(scan, times, start, end, sentence):
            kinds.add("historical")
        return _SpanJudgement(
            kinds=frozenset(kinds),
            acute=acute,
            possibility_asked=_possibility_asked(normalised, sentence, start),
            duration_days=_nearest_duration(times.bare, times.durations, scan, start, end),
        )

    def _cued_contexts(
        self,
        normalised: str,
        scan: _Scan,
        start: int,
        end: int,
        acute: bool,
    ) -> set[str]:
        """The contexts the words around the occurrence put it in (exaggeration, then the cue
        contexts; a concept's own idioms are `_mention`'s); an acute onset in the sentence
        overrides historical and family cues (not animal ones, reported as family, nor in-care
        ones: a handled event is often told as sudden; only a terminator such as "又", "今天"
        between the cue and the mention makes it new)."""
        kinds = set()
        # round 37: a degree complement of exaggeration ending right where the mention starts
        # ("呼噜打得我要窒息了", "热得要中暑了", "冷得我快冻死了"): what it is like, not what
        # happened
        # (the modal may open the mention itself: "要窒息了")
        low, high = max(0, start - 6), min(end, start + 2)
        # every match holds "得": without one in the window there is nothing to search
        if normalised.find("得", low, high) >= 0 and any(
            m.start() < start <= m.end() <= end
            for m in _EXAGGERATION.finditer(normalised, low, high)
        ):
            kinds.add("idiomatic")
        for kind, cues in scan.cued_kinds(self._compile().cues):
            if kind in {"historical", "family"} and acute:
                continue
            if not scan.cued(cues, start, end):
                continue
            if kind == "animal":
                # an animal's finding is someone else's, as a relative's is; but not a mention
                # that itself names a bite or a person ("咬破了", "he is not breathing")
                if not scan._terminated(cues, start, end):
                    kinds.add("family")
            else:
                kinds.add(kind)
        return kinds

    def _spans(
        self, normalised: str, scan: _Scan, values: list[Value]
    ) -> list[tuple[_CompiledConcept, int, int]]:
        """Where each concept occurs, before context: only concepts whose prefilter keys (first
        characters or English words) occur in the text are searched."""
        compiled = self._compile()
        spans: list[tuple[_CompiledConcept, int, int]] = []
        cues: list[tuple[int, Any]] = []
        hits, parts, openings = _ranked_hits(compiled.terms, normalised)
        for start, end, _, key, found in hits:
            if key == _CUE:
                cues.append((start, found))
                continue
            for form in found:
                # a form with no English word edge (every Chinese one) needs no boundary test
                if not (form.left or form.right) or _bounded(normalised, start, end, form):
                    spans.append((form.item, start, end))
        scan.found_cues([id(c) for c in compiled.cues.values()], cues)
        # parts present per pattern, counted in C (a long complaint holds a hundred pattern
        # parts); the patterns come in the order the parts set yields them first, as before
        complete = Counter(map(itemgetter(0), parts))
        need = compiled.near_parts
        for index in [index for index, count in complete.items() if count >= need[index]]:
            pattern = compiled.near[index]
            for match in _near_matches(pattern.regex, normalised, index, openings):
                if not self._negated_gap(scan, match) and not self._conditional_gap(scan, match):
                    spans.append((pattern.item, *match.span()))
        if values:
            # each value concept tries only the values of its name (same order as trying all)
            named: dict[str, list[Value]] = {}
            for value in values:
                named.setdefault(value.name, []).append(value)
            for item in compiled.valued:
                test = item.concept.value
                assert test is not None
                for value in named.get(test.name, ()):
                    if _in_range(value.value, test.min, test.max):
                        spans.append((item, value.start, value.end))
        return spans

    def _candidates(self, present: set[str]) -> list[int]:
        """Positions of the rules that could fire on what is present (every group has some
        mention, context not yet judged), most urgent first."""
        compiled = self._compile()
        reachable = {i for concept in present for i in compiled.rule_index.get(concept, ())}
        groups, disjoint = compiled.rule_groups, present.isdisjoint
        # plain loops: a generator per reachable rule (a hundred on a long complaint) cost more
        # than the tests
        found = []
        for i in reachable:
            for group in groups[i]:
                if disjoint(group):
                    break
            else:
                found.append(i)
        found.sort()
        return found

    def _breaks_between_words(
        self,
        scan: _Scan,
        breaks: list[float],
        spans: Sequence[tuple[_CompiledConcept, int, int]],
        values: Sequence[Value] = (),
    ) -> list[float]:
        """The typed spaces that may end a clause: not one inside a concept's or a context cue's
        words ("既 往"), nor inside a stated number ("二 十年"), nor one between a cue and the
        words it governs ("既往 气胸")."""
        if not breaks:
            return breaks
        # A break at i - 0.5 lies between characters i - 1 and i; these are the i it may not have.
        blocked: set[int] = set()
        for _, start, end in spans:
            blocked.update(range(start + 1, end))
        for value in values:
            blocked.update(range(value.start + 1, value.end))
        for cues in self._compile().cues.values():
            hits = scan._cue_hits(cues)
            for at, cue in hits["b"]:  # inside, or right after: "既往 气胸"
                blocked.update(range(at + 1, at + len(cue) + 1))
            for at, cue in hits["a"]:  # inside, or right before
                blocked.update(range(at, at + len(cue)))
            for at, cue in hits["t"]:
                blocked.update(range(at + 1, at + len(cue)))
        return [b for b in breaks if int(b + 0.5) not in blocked]

    def _negated_gap(self, scan: _Scan, match: re.Match[str]) -> bool:
        """Whether a negation cue sits in a gap of a proximity match ("胸口不疼", "痰里没有血")."""
        negation = self._compile().cues["negated"]
        return any(
            not scan._pseudo(negation, cue, at, lo, hi)
            # "吐了不是饭是红的": a terminator after the cue (with words between) ends its
            # scope, as in cued(), even where it opens the matched part
            and not scan._terminated(negation, at + len(cue) + 1, match.end())
            for at, cue, lo, hi in _cues_in_gaps(match, scan._cue_hits(negation)["b"])
        )

    def _conditional_gap(self, scan: _Scan, match: re.Match[str]) -> bool:
        """Whether a conditional cue ("万一", "如果", "what if") sits in a gap of a proximity
        match: "高血压 万一哪天血压飙到200" joins the diagnosis to a reading that is only
        imagined; the match that starts after the cue is found on its own and judged there."""
        hits = scan._cue_hits(self._compile().cues["hypothetical"])["b"]
        conditional = [(at, cue) for at, cue in hits if cue in _CONDITIONAL_CUES]
        return any(True for _ in _cues_in_gaps(match, conditional))

    def _kept(
        self, text: str, scan: _Scan, spans: list[tuple[_CompiledConcept, int, int]]
    ) -> list[tuple[_CompiledConcept, int, int]]:
        """The spans not inside one of their concept's exclude phrases ("眼皮抽搐"), nor a bare
        repeat of words last named in such a phrase ("眼角抽搐 ... 抽搐时": the writer names
        the benign form, then uses the bare word for it) with no new-episode word between."""
        benign: dict[tuple[str, str], list[int]] = {}
        kept = []
        for span in spans:
            item, start, end = span
            if item.exclude and self._excluded(text, *span):
                key = (item.concept.id, text[start:end])
                benign.setdefault(key, []).append(start)
            else:
                kept.append(span)
        if not benign:
            return kept
        return [
            (item, start, end)
            for item, start, end in kept
            if not self._bare_repeat(scan, benign.get((item.concept.id, text[start:end])), start)
        ]

    def _bare_repeat(self, scan: _Scan, benign_at: list[int] | None, start: int) -> bool:
        """Whether a mention at ``start`` repeats words named before it in a benign phrase
        (the nearest one), with no new-episode word ("今天", "又", "now": a terminator of the
        historical or in-care context, found by the text's cue search) between them."""
        earlier = [at for at in benign_at or () if at < start]
        if not earlier:
            return False
        cues = self._compile().cues
        ends = sorted(
            at for kind in ("historical", "in_care") for at, _ in scan._cue_hits(cues[kind])["t"]
        )
        return not _any_between(ends, max(earlier), start)

    @staticmethod
    def _excluded(text: str, item: _CompiledConcept, start: int, end: int) -> bool:
        """Whether the occurrence lies inside one of the concept's exclude phrases: only the
        phrases that contain the matched words are tried, at the offsets where they do."""
        matched = text[start:end]
        places = item.exclude_places.get(matched)
        if places is None:
            places = tuple(
                (phrase, offset) for phrase in item.exclude for offset in _offsets(phrase, matched)
            )
            item.exclude_places[matched] = places
        if not places:
            return False  # the matched words are in none of the phrases (most matches)
        return any(
            start >= offset and text.startswith(phrase, start - offset) for phrase, offset in places
        )

    def assess(
        self,
        text: str,
        age: int | None = None,
        sex: str | None = None,
        *,
        normalised: NormalisedText | None = None,
        keep_mentions: bool = False,
    ) -> Assessment:
        """The triage level of one complaint and the reasons for it.

        Args:
            text: the complaint as typed (reasons point into it).
            age: age in whole years, when known.
            sex: 'F' or 'M', when known.
            normalised: ``normalise_with_offsets(text)`` when the caller already has it.
            keep_mentions: also return every mention found (audits, tests).

        Returns:
            The assessment; ``consultation`` with no reasons when no rule fires.
        """
        if normalised is None:
            normalised = normalise_with_offsets(text)
        # The rules read written Cantonese as Mandarin ("冇" -> "没有"); the rewritten text keeps
        # the way back to the typed characters, so reasons still point at what was typed.
        read = self._compile().dialect.rewrite(normalised)
        candidates, mentions, scan = self._judged_mentions(read, keep_mentions)
        level, fired, reasons = self._fire(candidates, mentions, scan, text, read, age, sex)
        if not keep_mentions:
            return Assessment(level, fired, reasons)
        if isinstance(read, DialectText):
            # callers read mentions against the normalised text (the backstop's masks)
            spans = [read.base_span(m.start, m.end) for m in mentions]
            mentions = [
                replace(m, start=s, end=e) for m, (s, e) in zip(mentions, spans, strict=True)
            ]
        return Assessment(level, fired, reasons, mentions)

    def _judged_mentions(
        self, normalised: NormalisedText, keep_mentions: bool
    ) -> tuple[list[Rule], list[Mention], _Scan]:
        """The rules that could fire on the concepts present, most urgent first, the mentions
        judged in context (only those such a rule uses, unless ``keep_mentions``) and the scan
        (clause and sentence bounds) they were judged with."""
        rules = self._compile().rules
        contexts = self.table.contexts
        scan = _Scan(normalised.text, contexts.clause_delimiters, contexts.sentence_delimiters)
        compiled = self._compile()
        values = parse_values(normalised.text)
        spans = self._spans(normalised.text, scan, values)
        everything = list(spans)
        positions = self._candidates({item.concept.id for item, _, _ in spans})
        candidates = [rules[i] for i in positions]
        if not keep_mentions:
            # Context is the costly part: judge it only where a rule could fire.
            needed: set[str] = set().union(*(compiled.rule_needs[i] for i in positions))
            spans = [span for span in spans if span[0].concept.id in needed]
        spans = self._kept(normalised.text, scan, spans)
        if spans:
            breaks = self._breaks_between_words(scan, _soft_breaks(normalised), everything, values)
            if breaks:
                scan = scan.with_breaks(contexts.clause_delimiters, breaks)
        occupied = {scan.clause(start, end) for _, start, end in everything}
        # "糖尿病 二十年": a duration standing right after a background state (a disease, a
        # pregnancy) tells how long that state has lasted, not how long today's symptoms have
        occupied |= {
            self._next_clause(scan, scan.clause(start, end)[1])
            for item, start, end in everything
            if item.concept.kind == "state"
        }
        return candidates, self._judge(normalised.text, scan, values, spans, occupied), scan

    def _next_clause(self, scan: _Scan, stop: int) -> tuple[int, int]:
        """The clause after the one that ends at ``stop`` (past its delimiter, if typed)."""
        delimiters = self.table.contexts.clause_delimiters
        at = stop + 1 if stop < scan.size and scan.text[stop] in delimiters else stop
        at = min(at, max(scan.size - 1, 0))
        return scan.clause(at, at + 1)

    def _fire(
        self,
        candidates: list[Rule],
        mentions: list[Mention],
        scan: _Scan,
        text: str,
        normalised: NormalisedText,
        age: int | None,
        sex: str | None,
    ) -> tuple[Level, list[str], list[Reason]]:
        """The level, the fired rules (most urgent first) and one reason per rule and group."""
        by_concept: dict[str, list[Mention]] = {}
        # a stop concept (a known benign cause, a past operation) counts when only historical
        # or in care
        stoppers: dict[str, list[Mention]] = {}
        # mentions that are history and nothing else, for rules whose background may be past
        past: dict[str, list[Mention]] = {}
        for mention in mentions:
            if mention.affirmed:
                by_concept.setdefault(mention.concept, []).append(mention)
            elif mention.contexts == {"historical"}:
                past.setdefault(mention.concept, []).append(mention)
            # ...or is told in care: "上周住了三天院" is still last week, a handled episode
            if mention.contexts <= {"historical", "in_care"}:
                stoppers.setdefault(mention.concept, []).append(mention)
        fired: list[str] = []
        reasons: list[Reason] = []
        level: Level = DEFAULT_LEVEL
        compiled = self._compile()
        states = compiled.states
        # clause-scoped stoppers (stop_scope "clause") are checked against the chosen mentions
        local = {c: ms for c, ms in stoppers.items() if c in compiled.clause_stops}
        anywhere = set(stoppers) - set(local)
        # present-time words, found once per complaint, for the "before_now" stoppers
        present = (
            [m.start() for m in compiled.present.finditer(scan.text)]
            if local and compiled.present is not None
            else []
        )
        for rule in candidates:
            found = by_concept
            if rule.history_ok and not past.keys().isdisjoint(rule.history_ok):
                found = {**by_concept}
                for concept in rule.history_ok:
                    found[concept] = [*by_concept.get(concept, ()), *past.get(concept, ())]
            chosen = self._fires(rule, found, anywhere, states, age, sex)
            if chosen is None or self._stopped_nearby(rule, chosen, local, scan, present):
                continue
            if not fired:
                level = rule.level
            fired.append(rule.id)
            reasons += [_reason(rule, mention, text, normalised) for mention in chosen]
        return level, fired, reasons

    def _stopped_nearby(
        self,
        rule: Rule,
        chosen: Sequence[Mention],
        local: Mapping[str, list[Mention]],
        scan: _Scan,
        present: Sequence[int],
    ) -> bool:
        """Whether a scoped stopper of the rule (``Concept.stop_scope``) stops it. It does unless
        it lies in a clause of its own (the scan's clauses) and either before all the chosen
        mentions with a present-time word (at ``present``) between ("before_now") or after them
        all in the same sentence ("clause": a dated past episode told beside a current one)."""
        stops = [m for concept in rule.none_of for m in local.get(concept, ())]
        if not stops:
            return False
        scopes = self._compile().clause_stops
        ends, sentence_ends = scan.clause_ends, scan.sentence_ends
        first, last = min(m.start for m in chosen), max(m.start for m in chosen)
        clauses = {bisect_left(ends, m.start) for m in chosen}
        sentences = {bisect_left(sentence_ends, m.start) for m in chosen}
        for stop in stops:
            scope = scopes[stop.concept]
            freed = bisect_left(ends, stop.start) not in clauses and (
                (
                    stop.start > last
                    and scope == "clause"
                    and bisect_left(sentence_ends, stop.start) in sentences
                )
                or (
                    stop.start < first
                    and scope == "before_now"
                    and _any_between(present, stop.end, first)
                )
            )
            if not freed:
                return True
        return False

    @staticmethod
    def _fires(
        rule: Rule,
        by_concept: Mapping[str, list[Mention]],
        stoppers: set[str],
        states: frozenset[str],
        age: int | None,
        sex: str | None,
    ) -> list[Mention] | None:
        if rule.sex is not None and sex is not None and sex != rule.sex:
            return None
        if rule.age_min_years is not None or rule.age_max_years is not None:
            # The stand-in words ("宝宝", "my baby") count even against a stated adult age: a
            # parent often fills in the form with their own. Missing a sick child costs more.
            in_range = age is not None and _in_range(age, rule.age_min_years, rule.age_max_years)
            if not in_range and not any(by_concept.get(c) for c in rule.age_concepts):
                return None
        if not stoppers.isdisjoint(rule.none_of):
            return None
        limit = rule.max_duration_days
        chosen = []
        for group in rule.all_of:
            pick = None
            for concept in group:
                for mention in by_concept.get(concept, ()):
                    if (
                        limit is None
                        or concept in states
                        or concept in rule.chronic_ok
                        or mention.acute
                        or mention.duration_days is None
                        or mention.duration_days <= limit
                    ):
                        pick = mention
                        break
                if pick is not None:
                    break
            if pick is None:
                return None
            chosen.append(pick)
        return chosen


def _near_matches(
    regex: re.Pattern[str], text: str, index: int, openings: Sequence[tuple[int, frozenset[int]]]
) -> Iterator[re.Match[str]]:
    """What ``regex.finditer(text)`` yields for proximity pattern ``index``, trying only the
    places where a literal of its first part starts (``openings``, from the term walk) instead
    of every position of a long complaint. A match can start nowhere else; the walk skips only
    starts inside a lower-case word, where the regex's own boundary fails too, so a text with
    upper-case Latin letters (which normalisation folds away) takes the full search."""
    if _UPPER.search(text) is not None:
        yield from regex.finditer(text)
        return
    stop = 0
    for at in sorted({at for at, opens in openings if index in opens}):
        if at < stop:
            continue  # inside the previous match: finditer resumes after it
        match = regex.match(text, at)
        if match is not None:
            yield match
            stop = match.end()


def _offsets(outer: str, inner: str) -> list[int]:
    found, at = [], outer.find(inner)
    while at >= 0:
        found.append(at)
        at = outer.find(inner, at + 1)
    return found


def _cues_in_gaps(
    match: re.Match[str], hits: list[tuple[int, str]]
) -> Iterator[tuple[int, str, int, int]]:
    """The cue hits (position, cue) lying wholly inside one of a proximity match's gaps (its
    groups), each with that gap's bounds."""
    for group in range(1, (match.re.groups or 0) + 1):
        lo, hi = match.span(group)
        for at, cue in hits:
            if lo <= at and at + len(cue) <= hi:
                yield at, cue, lo, hi


def _soft_breaks(normalised: NormalisedText) -> list[float]:
    """Where the typed text had whitespace between two characters that normalisation joined."""
    # one regex search in C rather than a Python test per character: most Chinese complaints
    # have no whitespace, so the test ran over the whole text
    if _WHITESPACE.search(normalised.original) is None:
        return []
    text = normalised.text
    return [
        i - 0.5
        for i in joined_spaces(normalised)
        if 0 < i < len(text) and text[i - 1] != " " and text[i] != " "
    ]


def _short_unfinished(text: str, durations: Sequence[Value], ended: Sequence[str]) -> list[int]:
    """Where a duration of a day or less stands that is not followed by the end of the episode
    ("胸痛半小时" is a recent onset; "几分钟就好了" is how long a past episode lasted)."""
    ends = tuple(ended)
    return [
        v.start
        for v in durations
        if v.value <= 1 and not (ends and text[v.end : v.end + 8].lstrip(" ").startswith(ends))
    ]


def _in_range(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


# a third party who is not the subject: with or by the writer ("跟朋友吃了", "被邻居家狗咬了",
# "me and friends drank"), or an owner or giver ("邻居家的狗", "朋友给的药")
_BYSTANDER_NOT_SUBJECT = re.compile(r"(?:[被跟和给帮替与同]|(?<![a-z])(?:and|with|by|from) )$")
_BYSTANDER_NOT_SUBJECT_AFTER = re.compile(r"[家的给送带拿]")
# a question mark or particle right after a phrase of an event being over asks whether it is
_ASKED = frozenset("吗么嘛?")
# a first-person word: "我", or English "I", "me", "my" ("I'm", "I've" too)
_FIRST_PERSON = re.compile(r"我|(?<![a-z'])(?:i|me|my)(?![a-z])")

# round 37: a sentence opening on the writer: "I" (not "I'd like to", a request) or "我"/"俺" not
# opening a kin word ("我爸", "我女儿" name another subject)
_WRITER_OPENS = re.compile(
    r"(?:^|[.;!?。；！？\n]\s*)(?:(?:but|and|so) )?((?<![a-z])i(?:'ve|ve|'m)?(?![a-z'])|"
    r"[我俺](?![爸妈爹娘儿女老哥姐弟妹家们公婆爷奶外孙姥舅姨叔伯媳姑]))"
)

# round 38: a question about a possibility: a sentence asked ("?") that opens on a modal and a
# subject in general ("could I overdose if ...?", "would a nosebleed then be dangerous?", "how
# quickly can carbon monoxide poisoning happen?", "if I stop X, could I become ... again?"); not
# a question about something present: "this"/"that"/"it" as the subject ("could this be a
# stroke?"), the writer or someone as being in it or having had it ("could I be having a heart
# attack?", "could he have had a stroke?", "could my baby have swallowed ...?"), a request ("can
# you/someone help"), or a sentence with a present-time word ("now", "right now", "still",
# "just"); "can"/"may" with a person as the subject asks leave ("can I take paracetamol for
# ...?"), and "why would" asks about a finding there is ("why would one foot be colder?")
_POSSIBILITY_ASKED = re.compile(
    r"^\s*(?:(?:so|and|but|also|ok|okay|then|otherwise|just wondering|wondering),?\s+)?"
    r"(?:(?:if|once|when|after) [^,]{1,60},\s*)?"
    r"(?:(?:how (?:quickly|soon|fast|likely|long|often|much)|how|what|when|where|"
    r"at what point)\s+)?"
    r"(?:(?:could|would|might|will)\s+|(?:can|may)\s+"
    r"(?!(?:i|we|he|she|they|my|our|his|her|their|someone|somebody|anyone|anybody|one)\b))"
    r"(?!(?:this|that|these|those|it|you|u|ya|anyone|anybody|someone|somebody)\s+"
    r"(?:be|help|please|tell|come|call|check|look|see)\b)"
    r"(?!(?:this|that|these|those|it|it's|you|u|ya)\b)"
    r"(?!(?:i|he|she|we|they)\s+(?:be|have been|have had|has been|has had|still)\b)"
    # "could my baby have swallowed ...?", "might she have taken ...?": what may have happened
    r"(?!(?:[a-z'-]+\s+){0,4}?(?:have|has)\s+(?:been|had|got|gotten|done|taken|eaten|drunk|"
    r"swallowed|[a-z]+ed|[a-z]+en)\b)"
)
# review: a modal question also names the possibility ("if", "ever", "again", "then", someone in
# general); without one, "could my dad's crushing chest pain and cold sweat be a heart attack?"
# asks what a present finding is
_POSSIBILITY_MARK = re.compile(
    r"(?<![a-z])(?:if|ever|again|then|someday|one day|in future|in the future|accidentally|"
    r"someone|somebody|anyone|anybody|a person|people|one)(?![a-z])"
)
_POSSIBILITY_NOT = re.compile(
    r"(?<![a-z])(?:now|right now|currently|at the moment|still|today|tonight|this morning|"
    r"just(?! wondering| curious| asking)|help|please|keeps?|is|are|am|i'm|he's|she's|it's)"
    r"(?![a-z'])"
)
# round 38: a question sentence with a clause that opens on a condition
# ("要是摔一跤磕破头，血是不是止不住？", "万一有人溺水，心肺复苏要按多深？", "if she ever got
# stung, would ...?"): the condition reaches every later clause of the question, not only its
# own; not where the sentence tells something present ("如果现在...", "已经", "刚才", "now")
_CONDITION_OPENS = re.compile(
    r"(?:^|[,:])\s*(?:请问|想问一下|想问下|想问|那|那么|but |so |and )?,?\s*"
    r"(?:如果|假如|假设|万一|要是|若是|倘若|一旦|哪天|what if |in case |if |suppose |supposing )"
)
_CONDITION_NOT = re.compile(
    r"现在|正在|已经|刚才|刚刚|此刻|这会儿|还在|(?<![a-z])(?:now|right now|currently|already|"
    r"still|at the moment|just now)(?![a-z])"
)


def _possibility_asked(normalised: str, sentence: tuple[int, int], start: int) -> bool:
    """round 38: the sentence asks about a possibility in general (``_POSSIBILITY_ASKED``), not
    about a finding it says is present (``_POSSIBILITY_NOT``); or a clause of it before the
    mention (at ``start``) opens on a condition (``_CONDITION_OPENS``) and it tells nothing
    present (``_CONDITION_NOT``)."""
    begin, stop = sentence
    if normalised[stop : stop + 1] != "?":
        return False
    modal, opens = _asked(normalised[begin:stop])
    return modal or 0 <= opens < start - begin


@lru_cache(maxsize=4096)
def _asked(text: str) -> tuple[bool, int]:
    """A question sentence's reading, once per sentence: whether it asks about a possibility,
    and where its first conditional clause opens (-1: none, or it tells something present)."""
    if (
        _POSSIBILITY_ASKED.match(text) is not None
        and _POSSIBILITY_NOT.search(text) is None
        and _POSSIBILITY_MARK.search(text) is not None
    ):
        return True, -1
    opens = _CONDITION_OPENS.search(text)
    if opens is None or _CONDITION_NOT.search(text) is not None:
        return False, -1
    return False, opens.start()


# round 37: "V得(我)要/快/想" right before a mention: a figure of degree ("热得要中暑了"); not
# when the verb is a symptom's ("喘得快窒息了") or its literal cause ("喝得快不省人事了",
# "摔得快站不起来", "冻得快没知觉了", "烫得快起泡了": review)
_EXAGGERATION = re.compile(
    r"(?![疼痛喘憋咳吐晕烧肿抽胀闷麻酸痒拉泻冒出流觉记显值懂晓舍免省获取使喝醉摔撞砸压淹烫冻])"
    r"[\u4e00-\u9fff]得(?:我|人|俺)?都?(?:快要|要|快|想)"
)


def _bystander_times(normalised: str, compiled: _Compiled) -> dict[str, Any]:
    """The third parties, the writer's turns and the present-time words (``_Timeline``); all
    empty unless the complaint names a third party and turns to the writer."""
    subjects, pivots = compiled.bystander_subjects, compiled.bystander_pivots
    if subjects is None or pivots is None:
        return {}
    found = [
        m.span()
        for m in subjects.finditer(normalised)
        if not _BYSTANDER_NOT_SUBJECT.search(normalised, max(0, m.start() - 5), m.start())
        and not _BYSTANDER_NOT_SUBJECT_AFTER.match(normalised, m.end())
    ]
    turns = [m.start() for m in pivots.finditer(normalised)] if found else []
    # round 37: a sentence that opens on the writer ("... last week. I feel fine", "。我那天
    # 也在") turns to them as a listed pivot does
    turns += [m.start(1) for m in _WRITER_OPENS.finditer(normalised)] if found else []
    turns = sorted(set(turns))
    reactions = compiled.bystander_reactions
    others = [m.start() for m in reactions.finditer(normalised)] if found and reactions else []
    if not turns and not others:
        return {}
    ends, over = compiled.bystander_ends, compiled.bystander_over
    # "现在没事了吗", "is she okay now?": asked, not told
    over_spans = [
        m.span()
        for m in (over.finditer(normalised) if over else ())
        if normalised[m.end() : m.end() + 1] not in _ASKED
        and not normalised[max(0, m.start() - 3) : m.start()].endswith(("是不是", "会不会"))
    ]
    present = [m.start() for m in ends.finditer(normalised)] if ends else []
    return {
        "bystander": found,
        "pivots": turns,
        "turns": sorted(set(turns + others)),
        "bystander_ends": present,
        # "now" of "she's okay now" says the event is over, not that it goes on
        "bystander_live": [at for at in present if not any(lo <= at < hi for lo, hi in over_spans)],
        "bystander_over": [lo for lo, _ in over_spans],
        "first_person": [m.start() for m in _FIRST_PERSON.finditer(normalised)],
    }


def _bystander(
    scan: _Scan,
    times: _Timeline,
    start: int,
    end: int,
    sentence: tuple[int, int],
    pivots: Sequence[int],
    ends: Sequence[int],
) -> bool:
    """Whether the mention is a third party's event ("朋友", "my colleague" before it in its
    sentence, no first-person word between), told before the writer turns to themself (one of
    ``pivots`` after the mention: "我也", "I'm 30"), with no present-time word from the third
    party up to the clause where the writer first speaks of themself ("现在", "still": their
    event is current, and the writer is asking for them)."""
    named = [(s, e) for s, e in times.bystander if sentence[0] <= s and e <= start]
    pivot = _next_at(pivots, end)
    if not named or pivot is None:
        return False
    subject, subject_end = named[-1]
    if _any_between(times.first_person, subject_end, start):
        return False
    spoken = _next_at(times.first_person, end)
    turn = pivot if spoken is None else min(spoken, pivot)
    stop = max(end, scan.clause(turn, turn + 1)[0])
    return not _any_between(ends, subject, stop)


# a third party's event dated in the past ("上周", "前两天", "last week", "died"): over before
# the writer speaks of themself
_BYSTANDER_PAST = re.compile(
    r"昨天|前天|昨晚|前晚|那天|那晚|那次|上周|上礼拜|上个?星期|上个?月|去年|前年|前[两几一三]天|前些天|前阵子|"
    r"前段时间|[\d一二两三四五六七八九十几]+"
    r"(?:天|周|个?星期|个?月|年)前|去世|走了|过世|(?<![a-z])(?:yesterday|last (?:week|month|year|"
    r"night|summer|winter)|ago|died|passed away)(?![a-z])"
)


def _bystanders(
    normalised: str,
    found: list[Mention],
    scan: _Scan,
    times: _Timeline,
    stop_concepts: frozenset[str],
) -> list[Mention]:
    """Report as ``family`` the third party's mentions (``_bystander``), but only when their
    event is dated in the past in its sentence ("同事昨天晕倒了", "my friend died of"), is told
    as over or handled before the writer's turn ("朋友吃了一瓶安眠药送去洗胃了，人没事了。我想问",
    round 31), or the clause of the writer's turn names a finding of the writer's own
    ("我也经常头晕"). Otherwise the writer is a bystander asking for help ("邻居摔倒了，叫不醒，
    我自己不会处理", "my colleague has crushing chest pain, I'm with him now", "我也吓坏了，要不要
    叫120"): their event is the complaint (round 22's review). A turn that only tells the
    writer's reaction ("I keep replaying it", "我帮他侧身") counts with an event told as over
    alone (`_told_as_over`), not one merely dated, nor with a finding of the writer's own after
    it, which may come from the same exposure ("a friend cooked pufferfish for us an hour ago,
    I can't swallow")."""
    third = [
        m.contexts.isdisjoint({"family"})
        and _bystander(
            scan,
            times,
            m.start,
            m.end,
            scan.sentence(m.start, m.end),
            times.pivots,
            times.bystander_ends,
        )
        for m in found
    ]
    own = [m.start for m, theirs in zip(found, third, strict=True) if not theirs]
    out = []
    for mention, theirs in zip(found, third, strict=True):
        sentence = scan.sentence(mention.start, mention.end)
        turn = _next_at(times.pivots, mention.end)
        theirs = (
            theirs
            and turn is not None
            and bool(
                _BYSTANDER_PAST.search(normalised, *sentence)
                or _any_between(own, turn, scan.clause(turn, turn + 1)[1])
            )
        )
        if not theirs and mention.affirmed and mention.concept not in stop_concepts:
            theirs = _told_as_over(scan, times, mention, sentence)
        if theirs:
            mention = replace(mention, contexts=mention.contexts | {"family"})
        out.append(mention)
    return out


def _told_as_over(
    scan: _Scan, times: _Timeline, mention: Mention, sentence: tuple[int, int]
) -> bool:
    """Round 31: whether an affirmed mention is a third party's event told as over or handled
    before the writer turns to themself or someone else (``bystander_over`` between it and a
    pivot or reaction). Told as over, not merely dated: "an hour ago" dates a shared exposure
    too. (Only for a concept that stops no rule: one already history or in care, or a stop
    concept, may stop a rule, and family would lift that.)"""
    reaction = _next_at(times.turns, mention.end)
    return (
        reaction is not None
        and _any_between(times.bystander_over, mention.end, reaction)
        and _bystander(
            scan,
            times,
            mention.start,
            mention.end,
            sentence,
            times.turns,
            times.bystander_live,
        )
    )


def _any_between(positions: Sequence[int], lo: int, hi: int) -> bool:
    """Whether any of the sorted positions lies in [lo, hi)."""
    first = _next_at(positions, lo)
    return first is not None and first < hi


def _next_at(positions: Sequence[int], at: int) -> int | None:
    """The first of the sorted positions at or after ``at`` (None when there is none)."""
    index = bisect_left(positions, at)
    return positions[index] if index < len(positions) else None


def _reason(rule: Rule, mention: Mention, text: str, normalised: NormalisedText) -> Reason:
    """The reason a fired rule gives for one group: its mention, pointed at in the typed text."""
    start, end = normalised.original_span(mention.start, mention.end)
    return Reason(
        rule_id=rule.id,
        level=rule.level,
        concept=mention.concept,
        start=start,
        end=end,
        evidence=text[start:end],
        label_zh=rule.label_zh,
        label_en=rule.label_en,
    )


# what may follow an old date in a clause that only dates the clause before it
_DATE_ONLY_TAILS = frozenset({"", "了", "的事", "的事了", "的事情", "的事情了", "左右", "吧"})
# What may open a sentence that only dates the one before it ("That was nine years ago.")
_DATE_ONLY_HEADS = frozenset(
    {"that was", "this was", "it was", "that was about", "那是", "这是", "那已经是", "那都是"}
)
_GAP_PUNCTUATION = ",.;!?:。 \n"


def _dated_history(
    scan: _Scan, times: _Timeline, start: int, end: int, sentence: tuple[int, int]
) -> bool:
    """Whether a stated date, not a cue word, makes the mention history."""
    if not (times.old_dates or times.aged_events or times.anchored):
        return False  # every test below reads one of these; most complaints state none
    # "三年前突发脑出血": an old date in the mention's clause makes it history, unless a new
    # onset is stated elsewhere in the sentence ("..., 今天突然加重").
    clause = scan.clause(start, end)
    if any(clause[0] <= v.start < clause[1] for v in times.old_dates) and not (
        _any_between(times.acute_at, sentence[0], clause[0])
        or _any_between(times.acute_at, clause[1], sentence[1])
    ):
        return True
    # "吞过一瓶安眠药，三年前的事了" / "overdosed at 19, seven years ago,": a clause that is
    # little more than an old date is an afterthought dating the clause before it (not
    # "，三年前也吞过", a second event of its own)
    if any(_afterthought_date(scan, v, clause, sentence) for v in times.old_dates) and not (
        _any_between(times.acute_at, clause[0], clause[1])
    ):
        return True
    # "半年前有过一次高热惊厥，抽了一分钟": an old date earlier in the sentence covers what
    # follows until a new-onset marker or a terminator ("现在", "今天", "又"); so does a
    # past-time anchor without a number of years ("两岁的时候", "前年冬天").
    # round 37: "attempted suicide at 19. I'm 35 now": an age at the event in the mention's
    # clause, younger than an age stated as now after the mention, and no acute marker in the
    # clause ("I had fits at 19, I'm 30 now, and I'm having one now" stays current)
    if any(
        clause[0] <= lo < clause[1] and start < now_at for lo, _, now_at in times.aged_events
    ) and not _any_between(times.acute_at, clause[0], clause[1]):
        return True
    ends = [v.end for v in times.old_dates if sentence[0] <= v.start] + [
        at for at in times.anchored if sentence[0] < at <= start
    ]
    return any(
        at <= start
        and not _any_between(times.acute_at, at, start)
        and not _any_between(times.terminators, at, start)
        for at in ends
    )


_AGE_WORDS = {
    w: i
    for i, w in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        )
    )
}
_AGE_NUMBER = r"(\d{1,2}|" + "|".join(sorted(_AGE_WORDS, key=len, reverse=True)) + r")"
# an age an event happened at: "at 19", "at age 12", "aged 7", "when I was 17", "when he was 18
# months" (not a clock time: "at 2pm", "at 2:30", "at 7 o'clock", "at 2 in the morning")
_AGE_AT = re.compile(
    r"(?<![a-z])(?:at(?: age| the age of)?|aged|when (?:i|he|she|they|we) (?:was|were))"
    r" " + _AGE_NUMBER + r"(?: ?(years?|yrs?|months?)(?: old)?)?"
    r"(?![\d:.]\d|\s*(?:am|pm|a\.m|p\.m|o'clock|in the (?:morning|evening|afternoon)|"
    r"tonight|today|this)(?![a-z])|[a-z\d])"
)
# an age stated as now: "I'm 35 now", "he's 7 now", "she is now 10"
_AGE_NOW = re.compile(
    r"(?<![a-z])(?:i'm|i am|im|he's|he is|she's|she is|they're|they are)(?: now)? "
    + _AGE_NUMBER
    + r"(?: ?(?:years?|yrs?)(?: old)?)?(?: now)?(?![a-z\d])"
)


def _age_years(number: str, unit: str | None = None) -> float:
    value = float(_AGE_WORDS.get(number, number) if not number.isdigit() else number)
    return value / 12 if unit and unit.startswith("month") else value


def _aged_events(normalised: str) -> list[tuple[int, int, int]]:
    """Round 37: spans of ages an event happened at that are younger than an age stated as now
    after them, with "now" in that statement ("...at 19. I'm 35 now"), each with where the
    first such statement starts."""
    if "now" not in normalised:
        return []  # every statement it reads says "now": most complaints stop here
    nows = [
        (m.start(), _age_years(m.group(1)))
        for m in _AGE_NOW.finditer(normalised)
        if "now" in m.group(0)
    ]
    if not nows:
        return []
    out = []
    for m in _AGE_AT.finditer(normalised):
        then = _age_years(m.group(1), m.group(2))
        later = [at for at, age in nows if at > m.end() and age > then]
        if later:
            out.append((m.start(), m.end(), later[0]))
    return out


def _afterthought_date(
    scan: _Scan, date: Value, clause: tuple[int, int], sentence: tuple[int, int]
) -> bool:
    """Whether the old date stands in a clause of its own right after the mention's clause,
    saying little more than when it was: "，三年前的事了", or a sentence of its own that
    only dates the one before ("... overdosed. That was nine years ago.")."""
    if date.start < clause[1]:
        return False
    gap = scan.text[clause[1] : date.start]
    head = gap.strip(_GAP_PUNCTUATION)
    if head:
        if head not in _DATE_ONLY_HEADS or len(gap) - len(head) > 3:
            return False
    elif date.start > clause[1] + 2 or date.start >= sentence[1]:
        return False
    return scan.text[date.end : scan.clause(date.start, date.end)[1]].strip() in _DATE_ONLY_TAILS


def _nearest_duration(
    bare: Sequence[Value], durations: Sequence[Value], scan: _Scan, start: int, end: int
) -> float | None:
    """The symptom duration nearest the mention: in its clause if any, else a duration that
    stands in a clause of its own in the same sentence."""
    if not durations:
        return None  # ``bare`` is a part of ``durations``: no duration, nothing to find
    for pool, (lo, hi) in (
        (durations, scan.clause(start, end)),
        (bare, scan.sentence(start, end)),
    ):
        inside = [v for v in pool if lo <= v.start < hi]
        if inside:
            nearest = min(inside, key=lambda v: min(abs(v.start - end), abs(start - v.end)))
            return nearest.value
    return None


__all__ = [
    "CONTEXT_KINDS",
    "Assessment",
    "Mention",
    "Reason",
    "UrgencyEngine",
]
