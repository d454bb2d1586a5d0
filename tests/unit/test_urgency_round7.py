"""Round-7 contexts and concepts of the curated urgency table, each shown with wording written for
this test (never taken from a vignette file or a real request): questions about which signs to
watch for, a mother's delivery told by her child, events observed in an emergency department
and sent home, effort idioms, a lick of a mild household product, pulse-oximeter readings, heart
rates and low body temperatures told in words; and the backstop's own weight for written
look-alikes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.urgency_cases import emergency, fired
from training.config import UrgencyBackstopConfig
from training.triage.urgency import add_gold

# -- look-alikes that must stay routine ---------------------------------------------------------

ROUTINE = [
    # asking how to tell a condition apart, or which signs call for help
    ("我奶奶血压一直偏高，想学一下怎么分辨心梗和胃痛，哪些信号要马上叫车", 35, "F"),
    ("家里老人多，请问如何分辨脑梗和颈椎病引起的头晕", 40, "M"),
    ("我在吃利伐沙班，要是不小心磕到头，哪些情况要马上去看急诊？", 67, "M"),
    (
        "Moving near a lake this summer. How long should we watch a child after a near-drowning?",
        36,
        "F",
    ),
    (
        "Packing for a camping trip with the kids, want to be ready for burns and bee stings.",
        41,
        "M",
    ),
    # a mother's delivery told by her child
    ("我妈妈生我的时候大出血输了血，我现在怀孕五个月，这个会遗传吗", 29, "F"),
    # observed in an emergency department and sent home; washed out and discharged
    ("上周老爸把安眠药多吃了两片，急诊观察了一晚上就让回家了，以后药怎么管", 45, "F"),
    ("女儿误服了几片我的降压药，去医院洗胃观察后没事出院了，饮食要注意啥", 4, "F"),
    # effort idioms
    ("这学期期末复习到吐血，脖子肩膀天天酸，贴什么膏药好", 20, "M"),
    ("项目加班到吐血，最近老是口腔溃疡，是不是缺维生素", 31, "F"),
    # a lick of hand dish soap
    ("小孩趁我不注意舔了一下洗洁精，已经漱口喝水了，现在玩得很开心", 2, "M"),
    # a normal oximeter reading
    ("血氧仪夹手指上显示97，心率80，这样算正常吧", 50, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round_seven_lookalikes_stay_routine(text: str, age: int | None, sex: str | None) -> None:
    assert not emergency(text, age, sex), fired(text, age, sex)


# -- the same families, present now: must escalate ----------------------------------------------

ESCALATE = [
    # a low oximeter reading named as the device shows it
    ("My oxygen reading on the finger clip is 86% and I'm gasping after a few steps", 62, "M"),
    ("家里的血氧仪一直显示85左右，爷爷喘得说不出整句话", 81, "M"),
    # an accident told after an "if" that is happening now
    ("孩子刚才不小心喝了一口洁厕灵，嘴里起了白泡，一直哭", 3, "M"),
    # the effort idiom's words used literally
    ("喝完酒吐了好几次，后来吐出来的都是鲜红的血", 45, "M"),
    # sent home, then worse again today
    ("昨天急诊观察了一晚上让回家了，今天又胸口压着疼，出冷汗", 63, "M"),
    # a slow pulse told in words or counted by hand, with a faint; or in an older person
    ("外公下午在院子里晕过去一次，摸脉搏慢得很，一分钟才三十来下", 79, "M"),
    ("Mum nearly fainted twice today and her pulse is only about 34", 70, "F"),
    ("老太太这两天没精神，吃饭也少，电子血压计上的心率只有三十多", 88, "F"),
    # a measured body temperature below 34; pink frothy sputum in lay words
    ("姥姥在没暖气的屋里待了一夜，早上体温计测的是33.2度，话也少了", 90, "F"),
    ("舅舅心衰，今晚躺不下去，一直咳粉红色带泡泡的痰", 72, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ESCALATE)
def test_round_seven_present_emergencies_escalate(
    text: str, age: int | None, sex: str | None
) -> None:
    assert emergency(text, age, sex), fired(text, age, sex)


def test_heart_rates_in_words() -> None:
    from triage.urgency.values import parse_values

    def rates(text: str) -> list[float]:
        return [v.value for v in parse_values(text) if v.name == "heart_rate"]

    assert rates("心率只有三十多") == [35.0]
    assert rates("脉搏很弱，一分钟数了三十几下") == [35.0]
    assert rates("心跳每分钟一百二") == [120.0]
    assert rates("his pulse was around 36 at rest") == [36.0]
    assert rates("heart rate was 45") == [45.0]  # read once, not twice
    # breaths or coughs counted per minute are no pulse
    assert rates("心跳还好，呼吸一分钟四十次") == []
    assert rates("一分钟咳十几下") == []


def test_the_weather_is_no_body_temperature() -> None:
    # below 34 a number is read as a body temperature only after a body-temperature word
    assert not emergency("今天外面33度，热得不想出门，有点中暑的感觉", 30, "F")
    assert not emergency("空调温度开到30度，会不会干燥", 45, "M")


def test_a_slow_pulse_in_a_young_athlete_stays_routine() -> None:
    assert not emergency("练长跑的，体检静息心率38，没有不舒服", 26, "M")


# -- the backstop's weights ---------------------------------------------------------------------


def test_gold_lookalikes_carry_their_own_weight(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    rows = [
        {"id": "a", "text": "胸口压着疼一小时", "expected_urgency": "emergency", "age": 60},
        {"id": "b", "text": "以前胸口疼过，现在好了", "expected_urgency": "routine", "age": 60},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    settings = UrgencyBackstopConfig(
        vignettes=[str(path)], vignette_weight=5.0, lookalike_weight=40.0
    )
    texts: list[str] = []
    buckets: list[str] = []
    labels: list[float] = []
    weights: list[float] = []
    gold = add_gold(settings, texts, buckets, labels, weights)
    assert len(gold) == 2
    assert labels == [1.0, 0.0]
    assert weights == [5.0, 40.0]


def test_forty_something_is_not_a_pulse_under_forty() -> None:
    # digits followed by 多/几 are a range above the number (read on haodf train fires)
    calm = "白天心跳80下左右，晚上睡觉心跳只有40多下，没有任何不舒服，想问查哪方面"
    assert "hr_under_40_older" not in fired(calm, 70, "M")
    assert "hr_under_40_older" in fired("心率33，头晕没劲，想问吃什么药调理", 68, "M")
