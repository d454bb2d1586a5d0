"""Course limits (`prescription/curated/course_limits.csv`): a course longer than a drug's limit,
or larger in total, is a dose alert; within the limit, or without a duration, nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from prescription.checker import AlertPolicy, PrescriptionChecker
from prescription.clinical import ClinicalRules
from prescription.resolver import Resolution
from prescription.schema import CheckRequest, DrugOrder
from runtime.schema import ModelRef
from tests.unit.prescription_stubs import FixedKB, FixedScorer

CURATED = Path(__file__).resolve().parents[2] / "prescription/curated"
ATC = {"colchicine": ("M04AC01",), "ketorolac": ("M01AB15",), "metoclopramide": ("A03FA01",)}


class _Resolver:
    def resolve(self, written: str) -> Resolution:
        return Resolution(written=written, ingredients=(written.lower(),))


@pytest.fixture(scope="module")
def checker() -> PrescriptionChecker:
    return PrescriptionChecker(
        _Resolver(),  # type: ignore[arg-type]
        FixedKB(),  # type: ignore[arg-type]
        ClinicalRules.from_folder(CURATED, ATC, prefix=""),
        FixedScorer(),  # type: ignore[arg-type]
        ATC,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )


def _course_alerts(checker: PrescriptionChecker, **order: object) -> list:
    result = checker.check(CheckRequest.model_validate({"id": "c", "drugs": [order]}))
    return [a for a in result.alerts if a.type == "dose" and "course" in a.message]


def test_every_course_limit_row_has_a_limit_a_level_and_a_source() -> None:
    rules = ClinicalRules.from_folder(CURATED, ATC, prefix="")
    assert len(rules.course_limits) >= 5
    for limit in rules.course_limits:
        assert limit.max_duration_days or limit.max_course_mg
        assert limit.reason and limit.source.startswith("curated")


@pytest.mark.parametrize(
    ("order", "alerted"),
    [
        ({"name": "ketorolac", "dose_mg": 10, "times_per_day": 4, "duration_days": 10}, True),
        ({"name": "ketorolac", "dose_mg": 10, "times_per_day": 4, "duration_days": 5}, False),
        ({"name": "metoclopramide", "dose_mg": 10, "times_per_day": 3, "duration_days": 14}, True),
        ({"name": "metoclopramide", "dose_mg": 10, "times_per_day": 3}, False),  # no duration
        # 0.5 mg three times a day for 7 days = 10.5 mg > 6 mg per course
        ({"name": "colchicine", "dose_mg": 0.5, "times_per_day": 3, "duration_days": 7}, True),
        ({"name": "colchicine", "dose_mg": 0.5, "times_per_day": 2, "duration_days": 5}, False),
    ],
)
def test_course_limits(checker: PrescriptionChecker, order: dict, alerted: bool) -> None:
    alerts = _course_alerts(checker, **order)
    assert bool(alerts) is alerted, alerts
    if alerted:
        assert alerts[0].severity == "major" and alerts[0].interruptive
        assert alerts[0].message_zh  # every alert reads in Chinese too


def test_duration_days_is_validated() -> None:
    with pytest.raises(ValueError, match="duration_days"):
        DrugOrder.model_validate({"name": "x", "duration_days": 0})
