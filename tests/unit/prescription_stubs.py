"""Stand-ins for the checker's knowledge base and pair model, shared by the prescription tests."""

from __future__ import annotations

from collections.abc import Iterable

from prescription.kb import Finding
from prescription.model import PairScore


class FixedKB:
    """Every pair has the same findings (none by default)."""

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self.findings = list(findings)

    def lookup(self, a: str, b: str) -> list[Finding]:
        return list(self.findings)


class FixedScorer:
    """Answers every pair with one fixed severity distribution; abstains when it is None."""

    def __init__(self, severity: dict[str, float] | None = None) -> None:
        self.severity = severity

    def score(self, pairs: list) -> list[PairScore]:
        if self.severity is None:
            return [PairScore(None, None, "stub") for _ in pairs]
        return [PairScore(0.9, dict(self.severity)) for _ in pairs]
