"""The packaged urgency table's engine, loaded once, and the questions the urgency tests ask of it
(shared by the table and round tests)."""

from __future__ import annotations

from functools import lru_cache

from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine


@lru_cache(maxsize=1)
def engine() -> UrgencyEngine:
    return UrgencyEngine.default()


def level(text: str, age: int | None = None, sex: str | None = None) -> str:
    return engine().assess(text, age, sex).level


def emergency(text: str, age: int | None = None, sex: str | None = None) -> bool:
    return level(text, age, sex) in EMERGENCY_LEVELS


def fired(text: str, age: int | None = None, sex: str | None = None) -> list[str]:
    return engine().assess(text, age, sex).rule_ids


def contexts_of(text: str, concept: str) -> list[frozenset[str]]:
    mentions = engine().assess(text, keep_mentions=True).mentions
    return [m.contexts for m in mentions if m.concept == concept]
