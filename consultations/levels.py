"""The order the store keeps triage levels in: the doctors' queue sorts by it and feedback checks
a corrected level's direction against it.

The names are triage's (`triage.urgency`); most urgent first. Consultations stored before triage
levels existed only had `urgency`: their level is `legacy_level(urgency)`.
"""

from __future__ import annotations

from triage.urgency import DEFAULT_LEVEL, LEVEL_ORDER

LEVELS: tuple[str, ...] = tuple(reversed(LEVEL_ORDER))
"""Most urgent first (triage.urgency's order, reversed)."""

RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
"""Level -> position in LEVELS (0 = most urgent)."""


def legacy_level(urgency: str | None) -> str:
    """The level of a consultation stored with only `urgency` ('emergency' | 'routine')."""
    return "emergency" if urgency == "emergency" else DEFAULT_LEVEL


def queue_rank_sql(column: str) -> str:
    """An SQL expression ranking `column` for the queue: ambulance, emergency, within 24 hours,
    then every other level (and any unknown value) together."""
    ranked = LEVELS[: LEVELS.index("consultation_24") + 1]
    cases = " ".join(f"WHEN '{level}' THEN {RANK[level]}" for level in ranked)
    return f"CASE {column} {cases} ELSE {len(ranked)} END"
