"""A reading is the first number after its label. Found during urgency round 45 (README,
"Round 45 judged"), pinned there as a strict xfail and fixed in the session that judged round 49:
a proximity pattern whose last part is a number ("血氧" then "8", "7" or "6"; "显示" then
"150") let the gap run over another reading, so "血氧98 心率80" read the heart rate as a low
saturation and "手表显示心率80 步数150" read a step count as a heart rate. A numeric part now
takes no digit in its gap (`triage/urgency/engine.py`, `_near`)."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency


@pytest.mark.parametrize(
    "text",
    [
        "血氧98 心率80 咳嗽有痰 喘",
        "血氧仪显示97 心率86 有点喘 想问问是不是支气管炎",
        "手表显示心率80 步数150 今天走多了腿酸",
        "血氧饱和度99 脉搏78 晚上咳嗽有点喘",
        "血氧98 咳嗽有痰 喘",  # the same complaint without the heart rate
    ],
)
def test_a_normal_reading_followed_by_another_number_is_no_emergency(text: str) -> None:
    assert not emergency(text, 40, "M")


@pytest.mark.parametrize(
    "text",
    [
        "血氧85 心率80 喘不上气",
        "血氧只有86了 喘得厉害",
        "孩子血氧 86 喘得厉害",
        "my spo2 is 84 and i am gasping",
    ],
)
def test_a_low_reading_right_after_its_label_still_escalates(text: str) -> None:
    assert emergency(text, 40, "M")
