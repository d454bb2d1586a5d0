"""What the rules read in a complaint, handed to the learned backstop: as a few numbers it can
weigh ("triage.urgency_context.v1"), or as its n-gram input with the discounted alarm words
masked ("triage.urgency_mask.v1").

The backstop's character n-grams and sentence embedding see alarming words ("胸痛", "overdose")
but not what surrounds them, so a negated, historical, hypothetical, third-party, idiomatic,
already-handled or chronic mention scores like a current one. The concept engine already judges
each mention's context; these features hand that judgement to the backstop: how many
emergency-rule concepts are mentioned as current, how many are discounted and by which context,
whether they are chronic, and whether the complaint is framed as a question. They are computed
from one ``UrgencyEngine.assess(..., keep_mentions=True)``, the same call at training and
serving, so the model sees at serving exactly what it learned from. Torch-free (numpy only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from triage.text import normalise_with_offsets
from triage.urgency.engine import CONTEXT_KINDS, Assessment, Mention, UrgencyEngine
from triage.urgency.lexicon import EMERGENCY_LEVELS

VERSION = "triage.urgency_context.v1"
# A finding stated this long with no acute marker is chronic for every emergency rule's
# purposes (the rules' own max_duration_days are mostly 7-30 days).
_CHRONIC_DAYS = 30.0
# Question or advice framing: a look-alike often asks what to do "if"; an emergency told as a
# question ("should we call the plumber?") also exists, so this is a feature, not a rule.
_QUESTION = re.compile(
    r"[?]|吗|怎么办|要不要|会不会|是不是|能不能|should i|should we|what if|is it"
)

FEATURE_NAMES: tuple[str, ...] = (
    "any_current",
    "n_current",
    "n_current_concepts",
    "n_chronic",
    *(f"n_{kind}" for kind in CONTEXT_KINDS),
    "all_discounted",
    "n_acute",
    "question",
)


def emergency_concepts(engine: UrgencyEngine) -> frozenset[str]:
    """The finding concepts some emergency rule needs (states such as pregnancy are background,
    not alarms, and stay out)."""
    states = {c.id for c in engine.table.concepts if c.kind == "state"}
    return frozenset(
        concept
        for rule in engine.table.rules
        if rule.level in EMERGENCY_LEVELS
        for group in rule.all_of
        for concept in group
        if concept not in states
    )


def _assessed(engine: UrgencyEngine, texts: Sequence[str]) -> Iterator[tuple[Assessment, str]]:
    """Each complaint (typed or normalised) assessed once with its mentions kept, with its
    normalised text (the assessment's coordinates)."""
    for text in texts:
        normalised = normalise_with_offsets(text)
        yield engine.assess(text, normalised=normalised, keep_mentions=True), normalised.text


def _chronic(mention: Mention) -> bool:
    return (
        not mention.acute
        and mention.duration_days is not None
        and mention.duration_days > _CHRONIC_DAYS
    )


class ContextFeatures:
    """Dense context features of a complaint from the engine's judged mentions.

    Args:
        engine: the rule engine whose table defines the emergency concepts.
    """

    names = FEATURE_NAMES

    def __init__(self, engine: UrgencyEngine) -> None:
        self.engine = engine
        self.concepts = emergency_concepts(engine)

    @property
    def size(self) -> int:
        """How many features per complaint."""
        return len(FEATURE_NAMES)

    def describe(self) -> dict[str, Any]:
        """The manifest entry: a bundle names the features its graph was trained on."""
        return {"version": VERSION, "names": list(FEATURE_NAMES)}

    @classmethod
    def from_manifest(cls, entry: dict[str, Any], engine: UrgencyEngine) -> ContextFeatures:
        """The features a bundle's graph reads; refuses a version or order this code does not
        compute, since the graph would silently read the wrong columns."""
        if entry.get("version") != VERSION or list(entry.get("names", [])) != list(FEATURE_NAMES):
            raise ValueError(f"backstop context features {entry} are not {VERSION} {FEATURE_NAMES}")
        return cls(engine)

    def of_assessment(self, assessment: Assessment, text: str) -> np.ndarray:
        """The features of one assessed complaint (assessed with ``keep_mentions=True``);
        ``text``: the normalised complaint (for its question framing)."""
        found = [m for m in assessment.mentions if m.concept in self.concepts]
        current = [m for m in found if m.affirmed and not _chronic(m)]
        kinds = {kind: sum(kind in m.contexts for m in found) for kind in CONTEXT_KINDS}
        values = [
            float(bool(current)),
            # log counts: the second mention of an alarm says less than the first
            math.log1p(len(current)),
            math.log1p(len({m.concept for m in current})),
            math.log1p(sum(m.affirmed and _chronic(m) for m in found)),
            *(math.log1p(kinds[kind]) for kind in CONTEXT_KINDS),
            float(bool(found) and not current),
            math.log1p(sum(m.acute for m in found)),
            float(_QUESTION.search(text) is not None),
        ]
        return np.asarray(values, dtype=np.float32)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Features [N, size] of complaints (typed or normalised; each is assessed once). Mentions
        and their contexts do not depend on age or sex, so neither is asked for."""
        rows = np.zeros((len(texts), self.size), dtype=np.float32)
        for index, (assessment, normalised) in enumerate(_assessed(self.engine, texts)):
            rows[index] = self.of_assessment(assessment, normalised)
        return rows


MASK = "□"
MASK_VERSION = "triage.urgency_mask.v1"


def masked_text(
    assessment: Assessment,
    text: str,
    concepts: frozenset[str],
    kinds: frozenset[str] = frozenset(CONTEXT_KINDS),
    chronic: bool = True,
) -> str:
    """``text`` (normalised, the assessment's coordinates) with every discounted mention of an
    emergency concept (a context in ``kinds``, or chronic when ``chronic``) replaced by ``MASK``
    characters, so an n-gram model reads "没有□□" where the complaint says "没有胸痛";
    characters that also belong to a mention that is not discounted stay."""
    keep: set[int] = set()
    drop: set[int] = set()
    for mention in assessment.mentions:
        if mention.concept not in concepts:
            continue
        discounted = bool(mention.contexts & kinds) or (
            chronic and mention.affirmed and _chronic(mention)
        )
        (drop if discounted else keep).update(range(mention.start, mention.end))
    drop -= keep
    if not drop:
        return text
    return "".join(MASK if i in drop else char for i, char in enumerate(text))


class DiscountMask:
    """The backstop's n-gram input with discounted alarm words masked (``masked_text``).

    The n-grams then learn from, and score, only the alarm words the rules read as current; the
    sentence embedding still reads the whole text. Which contexts mask is a trained setting:
    leave-one-out on the retired holdouts chose them (README, urgency round 8).

    Args:
        engine: the rule engine whose mentions and contexts are read.
        kinds: the contexts that mask a mention.
        chronic: whether a chronic current mention is masked too.
    """

    def __init__(self, engine: UrgencyEngine, kinds: frozenset[str], chronic: bool) -> None:
        unknown = set(kinds) - set(CONTEXT_KINDS)
        if unknown:
            raise ValueError(f"unknown mention contexts {sorted(unknown)}")
        self.engine = engine
        self.kinds = frozenset(kinds)
        self.chronic = chronic
        self.concepts = emergency_concepts(engine)

    def describe(self) -> dict[str, Any]:
        """The manifest entry."""
        return {
            "version": MASK_VERSION,
            "mark": MASK,
            "contexts": sorted(self.kinds),
            "chronic": self.chronic,
        }

    @classmethod
    def from_manifest(cls, entry: dict[str, Any], engine: UrgencyEngine) -> DiscountMask:
        """The mask a bundle's backstop was trained with; refuses one this code cannot make."""
        if entry.get("version") != MASK_VERSION or entry.get("mark") != MASK:
            raise ValueError(f"backstop mask {entry} is not {MASK_VERSION} with {MASK!r}")
        return cls(engine, frozenset(entry.get("contexts", ())), bool(entry.get("chronic")))

    def of_assessment(self, assessment: Assessment, text: str) -> str:
        """The masked form of one assessed (``keep_mentions=True``) normalised text."""
        return masked_text(assessment, text, self.concepts, self.kinds, self.chronic)

    def __call__(self, texts: Sequence[str]) -> list[str]:
        """The masked normalised form of complaints (typed or normalised)."""
        return [self.of_assessment(a, text) for a, text in _assessed(self.engine, texts)]
