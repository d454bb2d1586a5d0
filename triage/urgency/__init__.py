"""Triage urgency: a versioned concept lexicon and rules (data), the engine that applies them, and
the parsed values they use. Torch-free."""

from triage.urgency.engine import Assessment, Mention, Reason, UrgencyEngine
from triage.urgency.lexicon import DEFAULT_LEVEL, EMERGENCY_LEVELS, LEVEL_ORDER, Level

__all__ = [
    "DEFAULT_LEVEL",
    "EMERGENCY_LEVELS",
    "LEVEL_ORDER",
    "Assessment",
    "Level",
    "Mention",
    "Reason",
    "UrgencyEngine",
]
