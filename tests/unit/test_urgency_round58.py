"""Round-58 behaviour of the urgency table: an infant's breathing pauses and a blue or grey
colour round the mouth, in the lay words parents type (`apnoea_lay_r58`, `cyanosis_lay_r58`,
rule `infant_apnoea_cyanosis_lay_r58`). The wordings here were written for these tests, not
copied from a vignette file; each emergency has its nearest opposite that must not change (an
older child or adult with the same words, a colour change that has already passed)."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import level
from triage.urgency import UrgencyEngine

RULE = "infant_apnoea_cyanosis_lay_r58"

# (text, age): an infant whose breathing keeps stopping or who goes blue round the mouth
INFANT_EMERGENCIES = [
    ("My 5 week old has a stuffy nose and keeps stopping breathing, I count about ten seconds", 0),
    ("newborn girl, 9 days, she went grayish around her mouth while feeding just now", 0),
    (
        "Our son is 2 months old, he forgets to breathe, pausing his breathing in his cot",
        0,
    ),
    ("宝宝四十天，今天喂奶时嘴唇周围发紫，喘气也急", 0),
    ("女儿两个月大，刚才躺着脸突然发青，叫她也不太哭", 0),
]

# the same words where they are not an infant's emergency
NOT_THIS_RULE = [
    # an adult: the infant rule does not apply (other rules may, but not this one)
    ("I'm 35 and I keep stopping breathing when I try to hold a plank, is that bad form?", 35),
    # an older child after a cold swim: a blue ring round the mouth is common and benign
    ("My 8 year old came out of the cold pool a bit blue around the lips, now warm and pink", 8),
    # a newborn's colour change with crying that has passed
    ("宝宝满月，哭得厉害时嘴巴周围有点发青，哄好以后就正常了，吃奶很好", 0),
]


@pytest.fixture(scope="module")
def engine() -> UrgencyEngine:
    return UrgencyEngine.default()


@pytest.mark.parametrize(("text", "age"), INFANT_EMERGENCIES)
def test_infant_breathing_pause_or_blue_mouth_calls_an_ambulance(
    engine: UrgencyEngine, text: str, age: int
) -> None:
    assessment = engine.assess(text, age)
    assert assessment.level == "emergency_ambulance", (text, assessment.rule_ids)
    assert RULE in assessment.rule_ids
    reason = next(r for r in assessment.reasons if r.rule_id == RULE)
    assert text[reason.start : reason.end] == reason.evidence


@pytest.mark.parametrize(("text", "age"), NOT_THIS_RULE)
def test_the_same_words_outside_an_infant_emergency_do_not_fire_it(
    engine: UrgencyEngine, text: str, age: int
) -> None:
    assert RULE not in engine.assess(text, age).rule_ids


def test_a_passed_colour_change_stays_routine(engine: UrgencyEngine) -> None:
    assert level(NOT_THIS_RULE[2][0], 0) not in {"emergency", "emergency_ambulance"}
