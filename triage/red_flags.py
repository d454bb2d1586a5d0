"""Emergency red-flag rules for triage ("triage.red_flags.v1"): complaint in, fired rule ids out.

Torch-free and stdlib-only. The rule table (``triage/red_flags.json``) is curated clinical content;
this module only matches it. A rule fires when every group of its ``all_of`` has at least one term
that occurs in the normalised complaint and is not negated; groups may match in different clauses
or ';'-joined fields. Optional age limits gate a rule, and ``age_terms`` ("宝宝", "infant") stand in
for an age the caller does not know.

Negation (a NegEx-style scope, kept deliberately small because a missed emergency costs more than
a false alarm):

* An occurrence of a term at position ``i`` is negated when a negation cue ("无", "没有", "否认",
  "no ", "denies", ...) ends inside the last ``negation_window`` units before ``i``, within the
  same clause (clauses end at ``clause_delimiters``), with no scope terminator ("但是", "突然",
  "but", ...) between the cue and the term. A unit is one character, except that a run of ASCII
  letters and digits (an English word) counts as one unit and spaces count as none, so the window
  reaches about as far back in English words as it does in Chinese characters.
* A cue occurrence inside a pseudo-negation ("不停", "止不住", "无明显诱因", "no longer") does not
  negate. The pseudo-negation must lie wholly before the term, so "不出汗" stays a negation of
  "出汗" even though "不出" ("说不出话") is a pseudo-negation.
* A term directly followed by a post-negation ("胸痛:无", "chest pain (-)") is negated, unless
  the post-negation begins a pseudo-negation ("胸痛:无明显诱因").
* A cue inside the term itself ("血流不止", "no wet diapers") is part of the term, not a negation.
* A term occurrence inside one of its rule's ``ignore_within`` phrases ("抽搐" in "眼皮抽搐") does
  not count.

English terms, cues and terminators match on word boundaries: one that starts with an ASCII letter
or digit must not follow another, and one that ends with an ASCII letter must not run on into
another letter or digit, except that a term may take a plural or past-tense ending ("seizure"
matches "seizures", "faint" "fainted"). A trailing digit may run on ("孕1" matches "孕12周").
Curly apostrophes are folded to "'" so "can’t breathe" matches "can't breathe".
"""

from __future__ import annotations

import json
import operator
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from triage.text import normalise

TABLE_FILE = "red_flags.json"

# Endings an English term may carry in the text ("seizure" -> "seizures", "faint" -> "fainted").
# "-ing" is left out on purpose ("burn" must not match "burning sensation"); list -ing forms.
_SUFFIXES = ("s", "es", "d", "ed")
_CURLY = ("\u2019", "\u2018", "\u02bc", "\u2032", "`")
_APOSTROPHES = str.maketrans(dict.fromkeys(_CURLY, "'"))

_TOP_REQUIRED = (
    "version",
    "negation_cues",
    "pseudo_negations",
    "negation_window",
    "clause_delimiters",
    "rules",
)
_TOP_OPTIONAL = ("source", "negation_terminators", "post_negations")
_RULE_REQUIRED = ("id", "label_zh", "label_en", "all_of")
_RULE_OPTIONAL = ("age_min_years", "age_max_years", "age_terms", "ignore_within")
_RULE_ID = re.compile(r"[a-z][a-z0-9_]*")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class RedFlagRule:
    """One emergency red flag.

    Attributes:
        id: stable snake_case id returned by the matcher (and stored in triage results).
        label_zh: Chinese label for doctors and patients.
        label_en: English label.
        all_of: groups of terms; the rule fires when every group has a non-negated term.
        age_min_years: when set, the rule needs a known age at least this (or an age term).
        age_max_years: when set, the rule needs a known age at most this (or an age term).
        age_terms: terms that stand in for the age range ("婴儿", "baby") when the age is
            unknown or is someone else's (a parent typing for a child).
        ignore_within: phrases inside which a term occurrence does not count ("眼皮抽搐").
    """

    id: str
    label_zh: str
    label_en: str
    all_of: tuple[tuple[str, ...], ...]
    age_min_years: int | None = None
    age_max_years: int | None = None
    age_terms: tuple[str, ...] = ()
    ignore_within: tuple[str, ...] = ()

    @property
    def age_gated(self) -> bool:
        """Whether the rule has an age range."""
        return self.age_min_years is not None or self.age_max_years is not None

    def age_in_range(self, age_years: int | None) -> bool:
        """Whether a known age lies in the rule's range (inclusive); False for an unknown age.

        Args:
            age_years: age in whole years, or None.

        Returns:
            True when the age is known and within both limits.
        """
        if age_years is None:
            return False
        if self.age_min_years is not None and age_years < self.age_min_years:
            return False
        return self.age_max_years is None or age_years <= self.age_max_years


@dataclass(frozen=True, eq=False)
class _Pattern:
    """A literal to find, with its word-boundary needs and prefilter key (hashed by identity)."""

    text: str
    key: str
    left: bool
    right: bool
    # (phrase, offset of this pattern inside the phrase) for the owning rule's ignore_within.
    ignores: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class _CompiledRule:
    rule: RedFlagRule
    groups: tuple[tuple[_Pattern, ...], ...]
    age_terms: tuple[_Pattern, ...]


@dataclass(frozen=True)
class _Compiled:
    rules: tuple[_CompiledRule, ...]
    cues: tuple[_Pattern, ...]
    pseudo: Mapping[str, tuple[tuple[str, int], ...]]
    terminators: tuple[_Pattern, ...]
    post_negations: tuple[str, ...]
    pseudo_by_start: Mapping[str, tuple[str, ...]]
    delimiters: re.Pattern[str]
    # Prefilter: a term's key (its leading English word, else its first two characters) -> the
    # terms with that key. Only terms whose key occurs in a text are searched for.
    index: Mapping[str, tuple[_Pattern, ...]]
    index_keys: frozenset[str]
    # term -> the (rule index, group index) slots it fills.
    slots: Mapping[_Pattern, tuple[tuple[int, int], ...]]


def _is_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _bigrams(text: str) -> set[str]:
    return {text[k : k + 2] for k in range(len(text) - 1)} or {text}


def _pattern(
    text: str, ignores: tuple[tuple[str, int], ...] = (), rarity: Mapping[str, int] | None = None
) -> _Pattern:
    """Compile one literal; its prefilter key is its leading English word or, for other terms,
    the bigram rarest in the table (every bigram of a term must occur in a text it matches)."""
    word = _WORD.match(text)
    if word:
        key = word.group()
    elif rarity is None:
        key = text[:2]
    else:
        key = min(sorted(_bigrams(text)), key=lambda bigram: rarity.get(bigram, 0))
    return _Pattern(
        text=text,
        key=key,
        left=_is_word(text[0]),
        # A term ending in a digit may run on ("孕1" matches "孕12周"); one ending in a letter
        # may not, beyond the allowed endings.
        right=text[-1].isascii() and text[-1].isalpha(),
        ignores=ignores,
    )


def _offsets(outer: str, inner: str) -> list[int]:
    found, start = [], outer.find(inner)
    while start >= 0:
        found.append(start)
        start = outer.find(inner, start + 1)
    return found


def _prepare(text: str) -> str:
    """Normalise as training does, then fold curly apostrophes."""
    text = normalise(text)
    for mark in _CURLY:
        if mark in text:
            text = text.replace(mark, "'")
    return text


class _Scan:
    """One complaint being matched: the text, its prefilter keys, clause bounds and a term cache."""

    def __init__(self, text: str, compiled: _Compiled, window: int) -> None:
        self.text = text
        self.size = len(text)
        self.compiled = compiled
        self.window = window
        # Prefilter keys: every character bigram and character, and every English word with
        # the endings a term may add stripped ("seizures" also gives "seizure").
        keys = set(map(operator.add, text, text[1:]))
        keys.update(text)
        for word in set(_WORD.findall(text)):
            keys.add(word)
            for suffix in _SUFFIXES:
                if len(word) > len(suffix) and word.endswith(suffix):
                    keys.add(word[: -len(suffix)])
        self.keys = keys
        self.delimiters = [m.start() for m in compiled.delimiters.finditer(text)]
        self.cache: dict[_Pattern, bool] = {}

    # -- occurrence tests -------------------------------------------------------------------

    def _bounded(self, pattern: _Pattern, start: int, end: int) -> bool:
        text = self.text
        if pattern.left and start > 0 and _is_word(text[start - 1]):
            return False
        if not pattern.right or end >= self.size or not _is_word(text[end]):
            return True
        return self._suffix_ok(end)

    def _suffix_ok(self, end: int) -> bool:
        text = self.text
        for suffix in _SUFFIXES:
            stop = end + len(suffix)
            if text.startswith(suffix, end) and (stop >= self.size or not _is_word(text[stop])):
                return True
        return False

    def _cue_bounded(self, pattern: _Pattern, start: int, end: int) -> bool:
        text = self.text
        if pattern.left and start > 0 and _is_word(text[start - 1]):
            return False
        return not (pattern.right and end < self.size and _is_word(text[end]))

    def _ignored(self, start: int, ignores: tuple[tuple[str, int], ...]) -> bool:
        text = self.text
        for phrase, offset in ignores:
            at = start - offset
            if at >= 0 and text.startswith(phrase, at):
                return True
        return False

    def present(self, pattern: _Pattern) -> bool:
        """Whether the pattern occurs on word boundaries (negation not considered)."""
        if pattern.key not in self.keys:
            return False
        text, length = self.text, len(pattern.text)
        start = text.find(pattern.text)
        while start >= 0:
            if self._bounded(pattern, start, start + length):
                return True
            start = text.find(pattern.text, start + 1)
        return False

    def affirmed(self, pattern: _Pattern) -> bool:
        """Whether the term has an occurrence that is bounded, not ignored and not negated."""
        cached = self.cache.get(pattern)
        if cached is not None:
            return cached
        result = False
        text, length = self.text, len(pattern.text)
        start = text.find(pattern.text)
        while start >= 0:
            end = start + length
            if (
                self._bounded(pattern, start, end)
                and not (pattern.ignores and self._ignored(start, pattern.ignores))
                and not self._negated(start, end)
            ):
                result = True
                break
            start = text.find(pattern.text, start + 1)
        self.cache[pattern] = result
        return result

    # -- negation ---------------------------------------------------------------------------

    def _negated(self, start: int, end: int) -> bool:
        text = self.text
        if self.compiled.post_negations and self._post_negated(end):
            return True
        index = bisect_left(self.delimiters, start)
        clause = self.delimiters[index - 1] + 1 if index else 0
        if clause >= start or self.window <= 0:
            return False
        window_start = self._window_start(clause, start)
        for cue in self.compiled.cues:
            length = len(cue.text)
            # The cue must end inside the window (end > window_start) and before the term.
            at = text.find(cue.text, max(clause, window_start - length + 1), start)
            while at >= 0:
                if (
                    self._cue_bounded(cue, at, at + length)
                    and not self._pseudo(cue, at, start)
                    and not self._terminated(at + length, start)
                ):
                    return True
                at = text.find(cue.text, at + 1, start)
        return False

    def _post_negated(self, end: int) -> bool:
        """Whether a post-negation ("(-)", ":无") directly follows the term ending at ``end``."""
        text = self.text
        after = end + 1 if end < self.size and text[end] == " " else end
        for post in self.compiled.post_negations:
            stop = after + len(post)
            if not text.startswith(post, after):
                continue
            if (
                post[-1].isascii()
                and post[-1].isalpha()
                and stop < self.size
                and _is_word(text[stop])
            ):
                continue  # ": no" must not match ": not sure"
            # ":无" is no negation when it begins a longer pseudo-negation (":无明显诱因").
            if not any(
                text.startswith(phrase, at) and at + len(phrase) > stop
                for at in range(after, stop)
                for phrase in self.compiled.pseudo_by_start.get(text[at], ())
            ):
                return True
        return False

    def _terminated(self, begin: int, start: int) -> bool:
        """Whether a scope terminator lies between a cue's end and the term."""
        if begin >= start:
            return False
        text = self.text
        for terminator in self.compiled.terminators:
            length = len(terminator.text)
            at = text.find(terminator.text, begin, start)
            while at >= 0:
                if self._cue_bounded(terminator, at, at + length):
                    return True
                at = text.find(terminator.text, at + 1, start)
        return False

    def _window_start(self, clause: int, start: int) -> int:
        text, at, units = self.text, start, 0
        while at > clause and units < self.window:
            char = text[at - 1]
            if char == " ":
                at -= 1
                continue
            if _is_word(char):
                while at > clause and _is_word(text[at - 1]):
                    at -= 1
            else:
                at -= 1
            units += 1
        return at

    def _pseudo(self, cue: _Pattern, at: int, limit: int) -> bool:
        text = self.text
        for phrase, offset in self.compiled.pseudo.get(cue.text, ()):
            begin = at - offset
            if begin >= 0 and begin + len(phrase) <= limit and text.startswith(phrase, begin):
                return True
        return False


class RedFlagMatcher:
    """Finds the emergency red flags in a complaint.

    Build it with :meth:`from_dict`, :meth:`from_file` or :meth:`default`; the constructor only
    stores its arguments (they are assumed valid). Matching compiles the table lazily on first
    use; a matcher is immutable afterwards and safe to share between threads.

    Attributes:
        rules: the rules, in table order (the order ids are returned in).
        negation_cues: strings that negate a following term.
        pseudo_negations: strings that contain a cue but do not negate ("不停", "no longer").
        negation_window: how many units (characters; an English word counts as one) before a
            term are searched for a cue.
        clause_delimiters: characters that end a clause (and so a negation's scope).
        version: the table's version string.
        negation_terminators: words that end a negation's scope inside a clause ("但是", "but").
        post_negations: strings that negate a term they directly follow ("(-)", ":无").
        source: where the table's content comes from.
    """

    def __init__(
        self,
        rules: Sequence[RedFlagRule],
        negation_cues: Sequence[str],
        pseudo_negations: Sequence[str],
        negation_window: int,
        clause_delimiters: str,
        version: str,
        *,
        negation_terminators: Sequence[str] = (),
        post_negations: Sequence[str] = (),
        source: str = "",
    ) -> None:
        self.rules = tuple(rules)
        self.negation_cues = tuple(negation_cues)
        self.pseudo_negations = tuple(pseudo_negations)
        self.negation_window = negation_window
        self.clause_delimiters = clause_delimiters
        self.version = version
        self.negation_terminators = tuple(negation_terminators)
        self.post_negations = tuple(post_negations)
        self.source = source
        self._compiled: _Compiled | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_dict(cls, table: Mapping[str, Any]) -> RedFlagMatcher:
        """Validate a rule table (the JSON's structure) and build a matcher from it.

        Args:
            table: the parsed ``red_flags.json``.

        Returns:
            A compiled matcher.

        Raises:
            ValueError: the table is malformed; the message names the rule and field.
        """
        if not isinstance(table, Mapping):
            raise ValueError(f"red flag table must be an object, got {type(table).__name__}")
        missing = [key for key in _TOP_REQUIRED if key not in table]
        if missing:
            raise ValueError(f"red flag table: missing field {missing[0]!r}")
        unknown = sorted(set(table) - set(_TOP_REQUIRED) - set(_TOP_OPTIONAL))
        if unknown:
            raise ValueError(f"red flag table: unknown field {unknown[0]!r}")
        version = _text(table["version"], "version")
        source = _text(table.get("source", ""), "source", allow_empty=True)
        cues = _strings(table["negation_cues"], "negation_cues", raw=True)
        pseudo = _strings(table["pseudo_negations"], "pseudo_negations", raw=True, allow_empty=True)
        for phrase in pseudo:
            if not any(cue in phrase for cue in cues):
                raise ValueError(
                    f"red flag table: field 'pseudo_negations': {phrase!r} contains no negation cue"
                )
        terminators = _strings(
            table.get("negation_terminators", []),
            "negation_terminators",
            raw=True,
            allow_empty=True,
        )
        post = _strings(
            table.get("post_negations", []), "post_negations", raw=True, allow_empty=True
        )
        window = table["negation_window"]
        if isinstance(window, bool) or not isinstance(window, int) or window < 0:
            raise ValueError(
                f"red flag table: field 'negation_window' must be a non-negative integer, "
                f"got {window!r}"
            )
        delimiters = table["clause_delimiters"]
        if not isinstance(delimiters, str):
            raise ValueError("red flag table: field 'clause_delimiters' must be a string")
        raw_rules = table["rules"]
        if not isinstance(raw_rules, list) or not raw_rules:
            raise ValueError("red flag table: field 'rules' must be a non-empty list")
        rules: list[RedFlagRule] = []
        seen: set[str] = set()
        for position, raw in enumerate(raw_rules):
            rule = _parse_rule(raw, position)
            if rule.id in seen:
                raise ValueError(f"red flag table: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            rules.append(rule)
        matcher = cls(
            rules,
            cues,
            pseudo,
            window,
            delimiters,
            version,
            negation_terminators=terminators,
            post_negations=post,
            source=source,
        )
        matcher._compile()
        return matcher

    @classmethod
    def from_file(cls, path: str | Path) -> RedFlagMatcher:
        """Load and validate a rule table from a UTF-8 JSON file.

        Args:
            path: the JSON file.

        Returns:
            A compiled matcher.

        Raises:
            ValueError: the file is not valid JSON or the table is malformed.
            OSError: the file cannot be read.
        """
        text = Path(path).read_text(encoding="utf-8")
        try:
            table = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"red flag table {path}: invalid JSON: {exc}") from exc
        return cls.from_dict(table)

    @classmethod
    def default(cls) -> RedFlagMatcher:
        """Load the table packaged with this module (``triage/red_flags.json``).

        Returns:
            A compiled matcher; load it once and reuse it.
        """
        resource = resources.files("triage").joinpath(TABLE_FILE)
        return cls.from_dict(json.loads(resource.read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        """The table as plain JSON-able data; ``from_dict(m.to_dict())`` rebuilds ``m``.

        Returns:
            A dict with the same structure as ``red_flags.json``.
        """
        rules: list[dict[str, Any]] = []
        for rule in self.rules:
            item: dict[str, Any] = {
                "id": rule.id,
                "label_zh": rule.label_zh,
                "label_en": rule.label_en,
                "all_of": [list(group) for group in rule.all_of],
                "age_min_years": rule.age_min_years,
                "age_max_years": rule.age_max_years,
            }
            if rule.age_terms:
                item["age_terms"] = list(rule.age_terms)
            if rule.ignore_within:
                item["ignore_within"] = list(rule.ignore_within)
            rules.append(item)
        return {
            "version": self.version,
            "source": self.source,
            "negation_cues": list(self.negation_cues),
            "pseudo_negations": list(self.pseudo_negations),
            "negation_terminators": list(self.negation_terminators),
            "post_negations": list(self.post_negations),
            "negation_window": self.negation_window,
            "clause_delimiters": self.clause_delimiters,
            "rules": rules,
        }

    # -- matching ---------------------------------------------------------------------------

    @property
    def rule_ids(self) -> list[str]:
        """The rule ids in table order."""
        return [rule.id for rule in self.rules]

    def match(self, text: str, age_years: int | None = None) -> list[str]:
        """The ids of the red flags a complaint shows, in table order.

        Args:
            text: the complaint as typed (it is normalised here); fields may be joined by ';'.
            age_years: the patient's age in whole years, when known.

        Returns:
            The fired rule ids; empty when none fires.
        """
        prepared = _prepare(text)
        if not prepared.strip(" ;"):
            return []
        compiled = self._compile()
        scan = _Scan(prepared, compiled, self.negation_window)
        # Terms present at all (boundaries, negation and ignores are checked later, lazily).
        text = scan.text
        hits: dict[tuple[int, int], list[_Pattern]] = {}
        index, slots = compiled.index, compiled.slots
        for key in scan.keys & compiled.index_keys:
            for term in index[key]:
                if term.text in text:
                    for slot in slots[term]:
                        hits.setdefault(slot, []).append(term)
        fired: list[str] = []
        for rule_index in sorted({rule_index for rule_index, _ in hits}):
            item = compiled.rules[rule_index]
            groups = [hits.get((rule_index, group)) for group in range(len(item.groups))]
            if not all(groups):
                continue
            rule = item.rule
            if (
                rule.age_gated
                and not rule.age_in_range(age_years)
                and not any(scan.present(term) for term in item.age_terms)
            ):
                continue
            if all(any(scan.affirmed(term) for term in group) for group in groups if group):
                fired.append(rule.id)
        return fired

    def _compile(self) -> _Compiled:
        compiled = self._compiled
        if compiled is not None:
            return compiled
        pseudo: dict[str, list[tuple[str, int]]] = {}
        for cue in self.negation_cues:
            for phrase in self.pseudo_negations:
                for offset in _offsets(phrase, cue):
                    pseudo.setdefault(cue, []).append((phrase, offset))
        rarity: Counter[str] = Counter()
        for rule in self.rules:
            for term in {t for group in rule.all_of for t in group} | set(rule.age_terms):
                rarity.update(_bigrams(term))
        # One pattern object per (term, ignores) so rules sharing a term share its cached result.
        interned: dict[tuple[str, tuple[tuple[str, int], ...]], _Pattern] = {}

        def intern(term: str, ignores: tuple[tuple[str, int], ...] = ()) -> _Pattern:
            found = interned.get((term, ignores))
            if found is None:
                found = interned[(term, ignores)] = _pattern(term, ignores, rarity)
            return found

        rules = []
        for rule in self.rules:
            groups = tuple(
                tuple(intern(term, _ignores(term, rule.ignore_within)) for term in group)
                for group in rule.all_of
            )
            rules.append(_CompiledRule(rule, groups, tuple(intern(t) for t in rule.age_terms)))
        index: dict[str, list[_Pattern]] = {}
        slots: dict[_Pattern, list[tuple[int, int]]] = {}
        for rule_index, item in enumerate(rules):
            for group_index, group in enumerate(item.groups):
                for pattern in dict.fromkeys(group):
                    if pattern not in slots:
                        slots[pattern] = []
                        index.setdefault(pattern.key, []).append(pattern)
                    slots[pattern].append((rule_index, group_index))
        delimiters = self.clause_delimiters or "\x00"
        compiled = _Compiled(
            rules=tuple(rules),
            cues=tuple(_pattern(cue) for cue in dict.fromkeys(self.negation_cues)),
            pseudo={cue: tuple(found) for cue, found in pseudo.items()},
            terminators=tuple(_pattern(word) for word in dict.fromkeys(self.negation_terminators)),
            post_negations=tuple(dict.fromkeys(self.post_negations)),
            pseudo_by_start={
                char: tuple(p for p in self.pseudo_negations if p[0] == char)
                for char in {p[0] for p in self.pseudo_negations}
            },
            delimiters=re.compile("[" + re.escape(delimiters) + "]"),
            index={key: tuple(terms) for key, terms in index.items()},
            index_keys=frozenset(index),
            slots={term: tuple(found) for term, found in slots.items()},
        )
        self._compiled = compiled
        return compiled


def _ignores(term: str, phrases: Iterable[str]) -> tuple[tuple[str, int], ...]:
    return tuple((phrase, offset) for phrase in phrases for offset in _offsets(phrase, term))


def _text(value: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValueError(f"red flag table: field {where!r} must be a non-empty string")
    return value


def _strings(
    value: object, where: str, *, raw: bool = False, allow_empty: bool = False
) -> tuple[str, ...]:
    """Validate a list of match strings.

    Every string must already be in the matcher's normal form (NFKC, lower case, straight
    apostrophes); terms (``raw`` False) must also have no outer or doubled spaces, while cues may
    carry a trailing space ("no ").
    """
    if not isinstance(value, list) or (not value and not allow_empty):
        raise ValueError(f"red flag table: {where} must be a non-empty list of strings")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"red flag table: {where} has an empty or non-string entry {item!r}")
        normal = unicodedata.normalize("NFKC", item).lower().translate(_APOSTROPHES)
        if not raw:
            normal = " ".join(normal.split())
        if normal != item:
            raise ValueError(
                f"red flag table: {where} has {item!r}, which is not in normalised form "
                f"(expected {normal!r})"
            )
    return tuple(value)


def _age(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"red flag table: {where} must be null or a non-negative integer")
    return value


def _parse_rule(raw: object, position: int) -> RedFlagRule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"red flag table: rules[{position}] must be an object")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise ValueError(f"red flag table: rules[{position}]: missing or empty field 'id'")
    if not _RULE_ID.fullmatch(rule_id):
        raise ValueError(f"red flag table: rule {rule_id!r}: field 'id' must be snake_case")
    where = f"rule {rule_id!r}"
    for key in _RULE_REQUIRED:
        if key not in raw:
            raise ValueError(f"red flag table: {where}: missing field {key!r}")
    unknown = sorted(set(raw) - set(_RULE_REQUIRED) - set(_RULE_OPTIONAL))
    if unknown:
        raise ValueError(f"red flag table: {where}: unknown field {unknown[0]!r}")
    for key in ("label_zh", "label_en"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise ValueError(f"red flag table: {where}: field {key!r} must be a non-empty string")
    all_of = raw["all_of"]
    if not isinstance(all_of, list) or not all_of:
        raise ValueError(f"red flag table: {where}: field 'all_of' must be a non-empty list")
    groups = []
    for index, group in enumerate(all_of):
        if not isinstance(group, list) or not group:
            raise ValueError(f"red flag table: {where}: field 'all_of' group {index} is empty")
        groups.append(_strings(group, f"{where}: field 'all_of' group {index}"))
    age_min = _age(raw.get("age_min_years"), f"{where}: field 'age_min_years'")
    age_max = _age(raw.get("age_max_years"), f"{where}: field 'age_max_years'")
    if age_min is not None and age_max is not None and age_min > age_max:
        raise ValueError(
            f"red flag table: {where}: bad age range, age_min_years {age_min} > "
            f"age_max_years {age_max}"
        )
    age_terms = _strings(raw.get("age_terms", []), f"{where}: field 'age_terms'", allow_empty=True)
    if age_terms and age_min is None and age_max is None:
        raise ValueError(f"red flag table: {where}: field 'age_terms' needs an age range")
    ignore_within = _strings(
        raw.get("ignore_within", []), f"{where}: field 'ignore_within'", allow_empty=True
    )
    terms = {term for group in groups for term in group}
    for phrase in ignore_within:
        if not any(term in phrase for term in terms):
            raise ValueError(
                f"red flag table: {where}: field 'ignore_within' phrase {phrase!r} contains none "
                "of the rule's terms"
            )
    return RedFlagRule(
        id=rule_id,
        label_zh=raw["label_zh"],
        label_en=raw["label_en"],
        all_of=tuple(groups),
        age_min_years=age_min,
        age_max_years=age_max,
        age_terms=age_terms,
        ignore_within=ignore_within,
    )
