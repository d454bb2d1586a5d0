"""Round-45 rules (rules_99_round45 / concepts_99_round45), from the rules' missed emergencies on
the tuning files (retired_holdout_r37 .. r45b, train*): plain statements of a current red flag the
table did not read. Each kept form or rule fixed missed emergencies in three or more tuning files
(per-form counts in the commit messages); the cases here are written for these tests, not copied
from a vignette:

- a dialysis patient who did not go this week ("这周/这礼拜 ... 没去") and is now weak, breathless,
  numb or has palpitations or a slow or irregular pulse (hyperkalaemia, fluid overload);
- a finger oxygen reading of 89 % or lower (60-89, "八十几", "90不到") with breathlessness, a chest
  infection or blue lips;
- both legs or the lower body that cannot be felt or moved after a fall, crush or crash (spinal
  cord injury);
- cola- or soy-sauce-coloured urine after a crush or many stings, or with rigid or aching muscles
  (rhabdomyolysis, haemolysis).

Each positive must fire its round-45 rule (so these tests fail on the round-44 table); each
opposite (history, negated, hypothetical, another person, a baseline or normal reading, one
injured leg) stays routine.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired

# (text, age, sex, the round-45 rule that must fire)
POSITIVE = [
    (
        "我爸是透析病人，这周家里忙没去，今天两条腿软得站不住，心跳慢",
        66,
        "M",
        "dialysis_skipped_unwell_r45",
    ),
    (
        "我妈洗肾的，这礼拜下大雨一直没去，现在喘得厉害，腿也肿了",
        70,
        "F",
        "dialysis_skipped_unwell_r45",
    ),
    (
        "做血透的老伴这个星期因为发烧没去，刚才说心慌，手脚发麻",
        68,
        "M",
        "dialysis_skipped_unwell_r45",
    ),
    (
        "I'm on dialysis and this week I missed a session, now my legs are weak and my heart is"
        " skipping",
        58,
        "M",
        "dialysis_skipped_unwell_r45",
    ),
    ("我奶奶咳嗽发烧四天了，今天喘不上气，血氧只有85", 80, "F", "spo2_low_breathing_r45"),
    ("老爸肺炎在家吃药，今天喘得厉害，手指夹的血氧仪显示八十几", 72, "M", "spo2_low_breathing_r45"),
    (
        "My husband has a fever and cough and is breathless, his oxygen reading says 86%",
        64,
        "F",
        "spo2_low_breathing_r45",
    ),
    (
        "Mum's oxygen reading is 83 on the pulse ox and her lips look blue",
        79,
        "F",
        "spo2_low_breathing_r45",
    ),
    ("the pulse ox says 84 and she is short of breath", 75, "F", "spo2_low_breathing_r45"),
    ("爸爸从脚手架上摔下来，躺在地上说两条腿没感觉了", 50, "M", "injury_legs_dead_r45"),
    ("骑摩托车翻到沟里，现在下半身动不了", 35, "M", "injury_legs_dead_r45"),
    ("被塌下来的墙压住了，刚挖出来，两条腿没感觉", 40, "M", "injury_legs_dead_r45"),
    ("被一窝马蜂蜇了二十多下，今天尿像酱油一样", 45, "M", "dark_urine_muscle_cause_r45"),
    ("被塌方的土埋了两个多小时，挖出来后尿是可乐色的", 38, "M", "dark_urine_muscle_cause_r45"),
    ("吃了新开的药以后浑身肌肉僵硬，尿颜色像酱油", 30, "F", "dark_urine_muscle_cause_r45"),
]


@pytest.mark.parametrize(("text", "age", "sex", "rule"), POSITIVE)
def test_round45_rules_fire_on_a_current_red_flag(text: str, age: int, sex: str, rule: str) -> None:
    assert rule in fired(text, age, sex)
    assert emergency(text, age, sex)


# the same words past, negated, hypothetical, someone else's, a baseline or normal reading, or a
# look-alike: each stays routine
OPPOSITE = [
    ("我爸透析好几年了，一周三次从来没漏过，最近有点乏力，想问能不能吃香蕉", 66, "M"),
    ("透析病人如果这周没去，会出现什么症状？想提前了解", 60, "F"),
    ("我这周没去健身房，腿有点软，心跳正常", 30, "M"),
    ("邻居大爷透析的，这周没去，听说他腿软心慌，我自己血压有点高要紧吗", 45, "F"),
    ("透析的时候有点心慌，护士说没事，今天透完回家了，腿有点软", 60, "M"),
    ("慢阻肺多年，在家吸氧，血氧一直92左右，跟平时一样，想开点药", 70, "M"),
    ("前年新冠的时候血氧掉到85住过院，现在好了，偶尔咳嗽要复查吗", 65, "F"),
    ("咳嗽两天，有点喘，血氧98，要吃什么药", 40, "M"),
    ("如果血氧低到85还喘，是不是要马上去医院？我现在没事", 50, "F"),
    (
        "My oxygen was 88 when I had COVID last year, I'm fine now, should I get a lung scan?",
        55,
        "M",
    ),
    ("以前从梯子上摔下来两条腿没知觉过，做了手术现在恢复了，能跑步吗", 45, "M"),
    ("摔了一跤，右腿有点疼，还能走路", 30, "F"),
    ("万一有人从高处摔下来下半身动不了，应该怎么搬动", 40, "M"),
    ("坐久了两条腿发麻，站起来走走就好了", 35, "F"),
    ("听说被马蜂蜇多了尿会变酱油色，是真的吗？夏天上山要注意什么", 40, "M"),
    ("喝了一大杯可乐，尿颜色正常，就是有点黄", 25, "F"),
    ("上个月被砸到腿，当时尿是酱油色住过院，现在出院了复查肌酐正常", 40, "M"),
    ("肌肉有点酸痛，尿颜色正常，是不是运动过量", 28, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), OPPOSITE)
def test_round45_opposites_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


# a pulse or heart rate written after a normal oxygen reading is no low reading: the number must
# follow a reading word ("只有", "显示", "reads", "says"), not any text after the oxygen word
NOT_A_LOW_READING = [
    ("血氧98 心率80 咳嗽有痰", 40, "M"),
    ("咳嗽有点喘，测了血氧97 脉搏85", 45, "F"),
    ("oxygen 97 pulse 82, bit of a cough", 35, "F"),
    ("my oxygen is 97 and heart rate is 88, cough and short of breath", 50, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), NOT_A_LOW_READING)
def test_round45_a_pulse_after_a_normal_oxygen_reading_is_not_low(
    text: str, age: int, sex: str
) -> None:
    assert "spo2_low_breathing_r45" not in fired(text, age, sex)


# the review's look-alikes (written after reading the tuner's diff; each fired on its table): a
# dialysis patient who skipped work or a dance, not a session; a low reading that is the patient's
# usual; no pain felt anywhere after a fall
REVIEW_OPPOSITES = [
    ("我妈透析三年了，这周没去广场跳舞，有点乏力，想问透析后乏力正常吗", 66, "F"),
    ("我爸做透析的，这周没去上班，在家休息，有点心慌，是不是要调药", 55, "M"),
    ("慢阻肺十年了，血氧平时就只有88左右，最近咳嗽跟往常一样，想开点药", 70, "M"),
    ("昨天摔了一跤，膝盖擦破了，两条腿没有感觉哪里特别疼，需要拍片吗", 35, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), REVIEW_OPPOSITES)
def test_round45_review_look_alikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


# ... while the same rules still read a session skipped, a fall from a usual reading of 90 or
# more, and legs that cannot be felt
REVIEW_POSITIVES = [
    ("我爸透析的，这周有事没去，今天浑身没劲，心跳很慢", 63, "M", "dialysis_skipped_unwell_r45"),
    (
        "外公慢阻肺，平时血氧92左右，今天血氧只有82，喘不上气",
        79,
        "M",
        "spo2_low_breathing_r45",
    ),
    ("从房顶摔下来，两条腿没有感觉了，腰很疼", 45, "M", "injury_legs_dead_r45"),
]


@pytest.mark.parametrize(("text", "age", "sex", "rule"), REVIEW_POSITIVES)
def test_round45_review_positives_still_fire(text: str, age: int, sex: str, rule: str) -> None:
    assert rule in fired(text, age, sex)
