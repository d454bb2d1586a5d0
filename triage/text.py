"""The one text normaliser ("triage.text.v2"), shared by training, the predictor, the urgency rules
and the service: nothing else looks at a complaint before it has been through here.

Steps, in order: drop format characters (Unicode category Cf: zero-width space and joiners, soft
hyphen, word joiner, BOM, bidi marks) and control characters; NFKC (full-width to half-width,
compatibility forms); traditional to simplified Chinese (OpenCC's maintained ``t2s`` tables);
lower-case; whitespace runs become one space, and whitespace next to a CJK character goes
(Chinese is written without spaces, so "胸 痛" and "胸\\n痛" are "胸痛"); fields joined by ';' are
stripped and a field holding only a missing-value marker ("nan") becomes empty.

Why offsets: the doctor's page highlights the words that raised a red flag in the text the patient
typed, so :func:`normalise_with_offsets` keeps, for every normalised character, the span of the
original characters it came from.

Torch-free: this module must never import torch, transformers, sklearn, pandas or mlflow.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import compress
from typing import Any

NORMALISER_NAME = "triage.text.v2"

# haodf intake requests join the form's fields with ';' (complaint; description; title; help
# wanted). Fields the patient left blank arrive as the literal string "nan" from the export.
FIELD_SEPARATOR = ";"
MISSING_FIELD = {"nan", "none", "null"}
_KEEP_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


# Apostrophes people type instead of "'" ("don’t", "can`t"): folded so negations match.
_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u0060\u00b4"


@lru_cache(maxsize=1)
def _drop_table() -> dict[int, str | None]:
    """For str.translate: format characters (Cf) and controls other than whitespace are
    dropped; typographic apostrophes become "'"."""
    table: dict[int, str | None] = {
        code: None
        for code in range(0x110000)
        if (category := unicodedata.category(chr(code))) == "Cf"
        or (category == "Cc" and chr(code) not in _KEEP_CONTROLS)
    }
    table.update({ord(mark): "'" for mark in _APOSTROPHES})
    return table


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str | None]:
    """`_drop_table` plus the full-width ASCII forms and the ideographic space, each mapped to the
    one character NFKC makes of it. NFKC decomposes every character first, so folding these
    beforehand leaves its result unchanged; on most complaints it then has nothing left to do
    and its quick check returns the text as it is (the comma "，" alone sends almost every
    Chinese complaint down NFKC's slow path)."""
    table = dict(_drop_table())
    table.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
    table[0x3000] = " "
    return table


# Text made only of these takes the whole-string path: none of them combines with a neighbour
# under NFKC, so whole-string and per-character normalisation agree.
_SIMPLE = re.compile(
    "[\t\n\r\x0b\x0c\x1c-\x1f\x85 -~\u00a0-\u00ff\u2000-\u206f\u2100-\u218f\u2460-\u24ff"
    "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]*"
)
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
_CJK_SPACE = re.compile(f"(?<=[{_CJK}])\\s+|\\s+(?=[{_CJK}])")
_SPACE = re.compile(r"\s")  # a text without any has no space for _CJK_SPACE to remove


@lru_cache(maxsize=1)
def _converter() -> Any:
    # Imported lazily: no import-time work, and OpenCC loads its dictionaries once per process.
    import opencc

    return opencc.OpenCC("t2s")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x303F  # CJK punctuation (、。「」)
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # any full-width form NFKC left in place
        or 0x20000 <= code <= 0x2FFFF
    )


class NormalisedText:
    """A normalised complaint and, on demand, where each of its characters came from.

    Offsets are computed only when a span is asked for (most complaints raise no reason).

    Attributes:
        text: the normalised text.
        original: the text as typed.
    """

    __slots__ = ("_ends", "_folded", "_starts", "original", "text")

    def __init__(self, text: str, original: str, folded: _Folded | None = None) -> None:
        self.text = text
        self.original = original
        self._starts: tuple[int, ...] | None = None
        self._ends: tuple[int, ...] = ()
        # the fast path's text before its whitespace and field steps (`_fold`), kept so that
        # the offsets and `joined_spaces` do not fold, NFKC and convert the typed text again
        self._folded = folded

    def _offsets(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if self._starts is None:
            starts = _fast_starts(self.original, self.text, self._folded)
            if starts is not None:
                self._starts = starts
                # in C: a long complaint's generator expression cost as much as the starts
                self._ends = tuple(map(_PLUS_ONE, starts))
            else:
                units = _slow_units(self.original)
                # The paths agree (property tests check it).
                self._starts = tuple(start for _, start, _ in units)
                self._ends = tuple(end for _, _, end in units)
        return self._starts, self._ends

    @property
    def starts(self) -> tuple[int, ...]:
        """For character i of ``text``, the index of the first typed character it came from."""
        return self._offsets()[0]

    @property
    def ends(self) -> tuple[int, ...]:
        """For character i of ``text``, one past the last typed character it came from."""
        return self._offsets()[1]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the typed text that normalised characters [start, end) came from."""
        if not self.text or end <= start:
            return (0, 0)
        starts, ends = self._offsets()
        return (starts[start], ends[end - 1])


def _units(text: str) -> list[tuple[str, int, int]]:
    """Characters after dropping format/control characters and applying NFKC, with the original
    span of each. A base character and its combining marks are normalised together."""
    units: list[tuple[str, int, int]] = []
    size, at = len(text), 0
    while at < size:
        char = text[at]
        stop = at + 1
        while stop < size and unicodedata.combining(text[stop]):
            stop += 1
        category = unicodedata.category(char)
        if category == "Cf" or (category == "Cc" and char not in _KEEP_CONTROLS):
            at = stop
            continue
        piece = "'" + text[at + 1 : stop] if char in _APOSTROPHES else text[at:stop]
        if not piece.isascii():
            piece = unicodedata.normalize("NFKC", piece)
        for out in piece.lower():
            if unicodedata.category(out) != "Cf":
                units.append((out, at, stop))
        at = stop
    return units


def _simplify(units: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    joined = "".join(char for char, _, _ in units)
    if joined.isascii():
        return units
    converted = _converter().convert(joined)
    if len(converted) == len(joined):
        return [(new, s, e) for new, (_, s, e) in zip(converted, units, strict=True)]
    # A phrase conversion changed the length (rare): convert character by character instead.
    convert = _converter().convert
    return [(convert(char)[:1] or char, s, e) for char, s, e in units]


def _spaces(units: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Whitespace runs -> one space, none next to a CJK character or at a field's edges."""
    out: list[tuple[str, int, int]] = []
    pending: tuple[str, int, int] | None = None
    for unit in units:
        char = unit[0]
        if char.isspace():
            if pending is None:
                pending = (" ", unit[1], unit[2])
            continue
        if pending is not None:
            previous = out[-1][0] if out else FIELD_SEPARATOR
            if (
                previous != FIELD_SEPARATOR
                and char != FIELD_SEPARATOR
                and not _is_cjk(previous)
                and not _is_cjk(char)
            ):
                out.append(pending)
            pending = None
        out.append(unit)
    return out


def _fields(units: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Empty the fields that hold only a missing-value marker ("nan")."""
    out: list[tuple[str, int, int]] = []
    field: list[tuple[str, int, int]] = []
    for unit in [*units, (FIELD_SEPARATOR, -1, -1)]:
        if unit[0] != FIELD_SEPARATOR:
            field.append(unit)
            continue
        if "".join(char for char, _, _ in field) not in MISSING_FIELD:
            out.extend(field)
        if unit[1] >= 0:
            out.append(unit)
        field = []
    return out


def _simple_units(text: str) -> list[tuple[str, int, int]] | None:
    """``_units`` for text of the _SIMPLE repertoire (no combining marks: every character
    normalises on its own), without the per-character category and combining look-ups."""
    drop = _drop_table()
    if not _SIMPLE.fullmatch(text.translate(drop)):
        return None
    units: list[tuple[str, int, int]] = []
    for at, char in enumerate(text):
        code = ord(char)
        if code in drop:
            if drop[code] is None:
                continue
            char = "'"
        piece = char if char.isascii() else unicodedata.normalize("NFKC", char)
        for out in piece.lower():
            units.append((out, at, at + 1))
    return units


def _slow_units(text: str) -> list[tuple[str, int, int]]:
    units = _simple_units(text)
    return _fields(_spaces(_simplify(_units(text) if units is None else units)))


_PLUS_ONE = (1).__add__

# `_fold`'s result: the folded text and the length of the typed text once format and control
# characters are dropped (each other character folds to exactly one)
_Folded = tuple[str, int]


def _fold(text: str) -> _Folded | None:
    """The fast path's character-wise steps (drop and fold, NFKC, lower case, simplified
    Chinese) on the whole string, or None when the text holds characters whose per-character
    and whole-string NFKC could differ (combining marks, Hangul jamo...) or a conversion
    changed the length. Also how many typed characters the drop step kept."""
    text = text.translate(_fold_table())
    if not _SIMPLE.fullmatch(text):
        return None
    kept = len(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if not text.isascii():
        converted = _converter().convert(text)
        if len(converted) != len(text):
            return None
        text = converted
    return text, kept


def _fast(text: str, joined: str = "") -> str | None:
    """The normalised text by whole-string operations, or None when the text holds characters
    whose per-character and whole-string NFKC could differ (combining marks, Hangul jamo...).
    ``joined`` replaces the whitespace removed next to CJK characters (a marker, for
    :func:`joined_spaces`)."""
    folded = _fold(text)
    return None if folded is None else _spaced(folded[0], joined)


def _spaced(text: str, joined: str = "") -> str:
    """`_fast`'s whitespace and field steps on a folded text (`_fold`)."""
    if _SPACE.search(text):
        text = _CJK_SPACE.sub(joined, text)
    fields = [" ".join(field.split()) for field in text.split(FIELD_SEPARATOR)]
    return FIELD_SEPARATOR.join("" if f in MISSING_FIELD else f for f in fields)


def normalise_with_offsets(text: str) -> NormalisedText:
    """Normalise one complaint, keeping the way back to the typed characters.

    Args:
        text: the complaint as the patient typed it.

    Returns:
        The normalised text; its ``original_span`` maps a span back into ``text``.
    """
    folded = _fold(text)
    if folded is None:
        return NormalisedText("".join(char for char, _, _ in _slow_units(text)), text)
    return NormalisedText(_spaced(folded[0]), text, folded)


_JOINED = "\x01"
_GONE = "\x02"
# The whitespace runs that are not already one plain space (the only ones _collapse_field
# changes): a long English complaint has a space between every two words, and calling the
# replacement for each of them was most of the time its offsets took.
_RUN_TO_MARK = re.compile(r"\s{2,}|[^\S ]")


def _collapse_field(field: str) -> str:
    """One field with its whitespace normalised, deleted characters marked (same length)."""
    core = field.strip()
    if core in MISSING_FIELD:
        return _GONE * len(field)
    lead = len(field) - len(field.lstrip())
    trail = len(field) - len(field.rstrip())
    middle = _RUN_TO_MARK.sub(lambda m: " " + _GONE * (len(m.group()) - 1), core)
    return _GONE * lead + middle + _GONE * trail


def _fast_starts(
    original: str, expected: str, folded: _Folded | None = None
) -> tuple[int, ...] | None:
    """Offsets without the per-character loops, for text where every kept character
    normalises to exactly one character: each deleted character is marked instead of
    removed, so positions survive every step. None when that does not hold. ``folded``:
    ``_fold(original)`` when the caller has it (normalising computed it)."""
    drop = _drop_table()
    if folded is None:
        folded = _fold(original)
        if folded is None:
            return None
    text, kept_count = folded
    # most complaints hold no character to drop: then every typed character is kept, and the
    # per-character test (the slow part of a long complaint's offsets) is not needed. The drop
    # step deletes exactly the characters that `drop` deletes and maps every other to one
    # character, so its length tells whether any was dropped.
    kept: range | list[int] = range(len(original))
    if kept_count != len(original):
        kept = [i for i, char in enumerate(original) if drop.get(ord(char), "") is not None]
    # `_fold` kept the length through its conversion, so this tests NFKC and lower case
    if len(text) != len(kept):
        return None
    if _SPACE.search(text):  # no whitespace, nothing for _CJK_SPACE to mark
        text = _CJK_SPACE.sub(lambda m: _GONE * len(m.group()), text)
    text = FIELD_SEPARATOR.join(_collapse_field(f) for f in text.split(FIELD_SEPARATOR))
    if len(text) != len(kept) or text.replace(_GONE, "") != expected:
        return None
    if _GONE not in text:
        return tuple(kept)
    # the kept characters whose mark is not _GONE, selected in C
    return tuple(compress(kept, map(_GONE.__ne__, text)))


def joined_spaces(normalised: NormalisedText) -> list[int]:
    """Positions i of the normalised text where the typed text had whitespace between
    characters i - 1 and i that normalisation removed ("胸痛 出汗" -> break before "出"): the
    patient separated two phrases there."""
    if normalised.original.isascii():
        # no CJK character, so no whitespace was removed next to one (English complaints, the
        # longest, skip normalising a second time)
        return []
    folded = normalised._folded
    marked = _fast(normalised.original, _JOINED) if folded is None else _spaced(folded[0], _JOINED)
    if marked is None or marked.replace(_JOINED, "") != normalised.text:
        # the per-character path: compare each pair of neighbours' typed spans
        starts, ends, original = normalised.starts, normalised.ends, normalised.original
        return [
            i
            for i in range(1, len(normalised.text))
            if any(char.isspace() for char in original[ends[i - 1] : starts[i]])
        ]
    positions, removed = [], 0
    at = marked.find(_JOINED)
    while at >= 0:
        positions.append(at - removed)
        removed += 1
        at = marked.find(_JOINED, at + 1)
    return positions


def normalise(text: str) -> str:
    """Normalise one complaint (see the module docstring for the steps).

    Args:
        text: the complaint as the patient typed it.

    Returns:
        The normalised text.
    """
    return normalise_with_offsets(text).text


def has_content(text: str) -> bool:
    """Whether a complaint has any letter, digit or CJK character once normalised (a text of
    only spaces, punctuation or invisible characters has none)."""
    return any(char.isalnum() for char in normalise(text))


def with_age_prefix(text: str, bucket: str) -> str:
    """Prefix a normalised text with its age bucket, how sequence models see age ('age 20+;...')."""
    return f"age {bucket}{FIELD_SEPARATOR}{text}"
