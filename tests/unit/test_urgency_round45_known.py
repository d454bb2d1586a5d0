"""A rules fault found during urgency round 45 (README, "Round 45 judged"), pinned for a later
rules round: the oxygen pattern of ``resp_distress_signs`` (an oxygen word, then "8", "7" or "6"
within six characters) reads a heart rate written after a normal reading as a low saturation.
Strict xfail: the round that fixes it must turn this into a plain test."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency


@pytest.mark.xfail(strict=True, reason="resp_distress_signs reads 心率80 after 血氧98 as SpO2 8x")
def test_a_heart_rate_after_a_normal_oxygen_reading_is_no_emergency() -> None:
    assert not emergency("血氧98 心率80 咳嗽有痰 喘", 40, "M")


def test_the_same_complaint_without_the_heart_rate_stays_routine() -> None:
    assert not emergency("血氧98 咳嗽有痰 喘", 40, "M")
