"""The five triage levels as the service shows them.

The names are triage's (`triage.schema.TriageLevel`), the order (most urgent first) is the
consultation store's (`consultations.levels`); the labels are the service's.
"""

from __future__ import annotations

from consultations.levels import LEVELS, RANK
from triage.urgency import DEFAULT_LEVEL, EMERGENCY_LEVELS, Level

__all__ = [
    "DEFAULT_LEVEL",
    "EMERGENCY_LEVELS",
    "LABELS_EN",
    "LABELS_ZH",
    "LEVELS",
    "RANK",
    "Level",
]

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
