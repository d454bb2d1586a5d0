"""The five triage levels as the service stores, orders and shows them.

The names are triage's (`triage.schema.TriageLevel`); the order, most urgent first, and the
labels are the service's: the doctors' queue sorts by them and feedback checks a corrected level's
direction against them. Consultations stored before triage levels existed only had `urgency`:
their level is `legacy_level(urgency)`.
"""

from __future__ import annotations

from triage.urgency import DEFAULT_LEVEL, EMERGENCY_LEVELS, LEVEL_ORDER, Level

__all__ = ["DEFAULT_LEVEL", "EMERGENCY_LEVELS", "LABELS_EN", "LABELS_ZH", "LEVELS", "Level"]

LEVELS: tuple[str, ...] = tuple(reversed(LEVEL_ORDER))
"""Most urgent first (triage.urgency's order, reversed)."""

RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
"""Level -> position in LEVELS (0 = most urgent)."""

LABELS_ZH: dict[str, str] = {
    "emergency_ambulance": "急救/120",
    "emergency": "急诊",
    "consultation_24": "24小时内就诊",
    "consultation": "普通门诊",
    "self_care": "自我护理",
}

LABELS_EN: dict[str, str] = {
    "emergency_ambulance": "call an ambulance",
    "emergency": "emergency",
    "consultation_24": "within 24 hours",
    "consultation": "consultation",
    "self_care": "self-care",
}


def legacy_level(urgency: str | None) -> str:
    """The level of a consultation stored with only `urgency` ('emergency' | 'routine')."""
    return "emergency" if urgency == "emergency" else DEFAULT_LEVEL


def queue_rank_sql(column: str) -> str:
    """An SQL expression ranking `column` for the queue: ambulance, emergency, within 24 hours,
    then every other level (and any unknown value) together."""
    ranked = LEVELS[: LEVELS.index("consultation_24") + 1]
    cases = " ".join(f"WHEN '{level}' THEN {RANK[level]}" for level in ranked)
    return f"CASE {column} {cases} ELSE {len(ranked)} END"
