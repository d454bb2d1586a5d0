"""The recommender's safety filter is stricter than the checker's alerts: a recommendation is
optional, so a doubtful pair suppresses it. A stub checker gives the exact pair reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from prescription.schema import CheckRequest, CheckResult, PairReport
from recommend.safety import SafetyFilter
from runtime.schema import ModelRef


@dataclass
class _Resolution:
    ingredients: tuple[str, ...]


class _Resolver:
    def resolve(self, name: str) -> _Resolution:
        return _Resolution((name,))


class StubChecker:
    """Answers every request with no alerts and one pair report per (candidate, other)."""

    def __init__(self, **pair: Any) -> None:
        self.pair = pair
        self.resolver = _Resolver()

    def check(self, request: CheckRequest) -> CheckResult:
        pairs = [
            PairReport(drugs=[own.name, other.name], **self.pair)
            for own in request.drugs
            for other in request.current_medications
        ]
        return CheckResult(
            id=request.id,
            alerts=[],
            pairs=pairs,
            unresolved=[],
            model=ModelRef(name="stub", version="0"),
        )


def reason(**pair: Any) -> str | None:
    safety = SafetyFilter(StubChecker(**pair), [("loxoprofen",), ("warfarin",)])  # type: ignore[arg-type]
    return safety.reason(0, safety.context([1], None, []))


@pytest.mark.parametrize(
    ("pair", "suppressed"),
    [
        # listed by a source without severity, predicted major: suppressed
        ({"known_level": "unknown", "predicted_level": "major", "p_interaction": 0.9}, True),
        # listed without severity, predicted moderate: shown
        ({"known_level": "unknown", "predicted_level": "moderate", "p_interaction": 0.9}, False),
        # unlisted and predicted major: the checker's own alert threshold decides, not this
        ({"known_level": None, "predicted_level": "major", "p_interaction": 0.9}, False),
        # graded by the knowledge base: the checker's alert decides, not the prediction
        ({"known_level": "minor", "predicted_level": "major", "p_interaction": 0.9}, False),
    ],
)
def test_doubtful_pairs_suppress_a_recommendation(pair: dict[str, Any], suppressed: bool) -> None:
    got = reason(source="stub", **pair)
    assert (got is not None) == suppressed, got
    if got:
        assert "predicted major interaction" in got and "loxoprofen + warfarin" in got
