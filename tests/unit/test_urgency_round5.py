"""Round-5 mechanisms of the curated urgency table, each shown with wording written for this
test (never taken from a vignette file or a real request): the in-care context (an event handled
in hospital stays handled; a new sign told after a terminator is new), severity gates on early
pregnancy bleeding and preterm 'show', serum electrolytes and measuring-site temperatures, and
the new condition families with their look-alikes."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, engine, level
from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine
from triage.urgency.values import parse_values

# -- in care ------------------------------------------------------------------------------------


def test_an_event_handled_in_hospital_does_not_fire_again() -> None:
    assert emergency("昨天晚上突然抽搐，口吐白沫，叫不醒")
    handled = "我妹妹上周突然抽搐，叫不醒，后来送医院住院治疗，现在想问核磁结果怎么看"
    assert not emergency(handled)
    assert any("in_care" in c for c in contexts_of(handled, "unrousable"))
    assert not emergency("我爸住院期间胸痛出冷汗过一次，现在想问出院以后吃什么药", 66, "M")
    assert not emergency("他上周因为剧烈胸痛出冷汗在ICU里抢救过来了，想问饮食", 70, "M")
    assert not emergency(
        "was admitted last week with crushing chest pain, home now, what diet?", 64, "M"
    )
    assert not emergency("孕37周，胎动少了，做了胎心监护正常，想问还要注意什么", 30, "F")


def test_a_new_sign_after_discharge_fires_again() -> None:
    # a terminator ("今天", "又") between the in-care cue and the sign makes the sign new
    assert emergency("心梗放了支架，出院后今天又突然胸痛，满头大汗", 62, "M")
    assert emergency("discharged after a heart attack, today crushing chest pain again, sweating")
    assert emergency(
        "my dad was admitted to hospital last month, now crushing chest pain and sweating"
    )


def test_advice_to_be_admitted_is_not_being_in_care() -> None:
    assert emergency("胸口像压了块石头，出冷汗，医生让尽快住院，我想明天再去", 58, "M")
    assert emergency("胸口像压了块石头，出冷汗，要不要去住院", 58, "M")


def test_a_table_written_before_round_five_still_loads() -> None:
    data = engine().to_dict()
    data["contexts"].pop("in_care", None)
    old = UrgencyEngine.from_dict(data)
    assert old.assess("突然胸口剧痛，满头大汗", 60, "M").level in EMERGENCY_LEVELS


# -- severity gates ----------------------------------------------------------------------------


def test_light_spotting_in_early_pregnancy_is_next_day_not_emergency() -> None:
    spotting = "怀孕六周多，今天擦纸有一点点褐色分泌物，小腹有点隐隐的疼"
    assert level(spotting, 29, "F") == "consultation_24"
    assert emergency("怀孕七周，下面出了很多血，还有血块，肚子疼得厉害", 29, "F")
    # pain with dizziness after a missed period: ectopic until shown otherwise
    assert emergency("例假推迟快三周了，右下腹一阵阵疼，刚才站起来头晕眼前发黑", 27, "F")


def test_a_show_in_preterm_pregnancy_needs_pain_or_tightening() -> None:
    assert level("孕26周，早上发现见了点红，肚子不疼也不发紧", 30, "F") == "consultation_24"
    assert emergency("孕32周，见红了，肚子一阵一阵发紧", 30, "F")


def test_a_short_episode_that_ended_is_no_acute_marker() -> None:
    # "十分钟就好了" says how long a past episode lasted; "半小时了" says it began just now
    past = "前年有过一次短暂脑缺血，十来分钟就好了，现在想问吃什么药"
    assert not emergency(past, 70, "M")
    assert emergency("胸口压榨样疼半小时了，出冷汗", 60, "M")
    assert emergency("刚才右手右脸麻了十分钟就好了，现在没事了", 70, "M")


def test_a_question_about_consequences_or_differences_is_hypothetical() -> None:
    assert not emergency("孩子误吞了磁力珠会怎么样？想提前了解一下", 33, "F")
    assert not emergency("中风和脑梗有什么区别，我爸最近血压高", 40, "M")


# -- values --------------------------------------------------------------------------------------


def test_electrolytes_volumes_and_measuring_sites_are_parsed() -> None:
    found = {
        (v.name, v.value) for v in parse_values("化验血钠119，血钾 6.9，咯血三百毫升，腋温38.6")
    }
    assert ("sodium_mmol", 119.0) in found
    assert ("potassium_mmol", 6.9) in found
    assert ("volume_ml", 300.0) in found
    assert ("temperature_c", 38.6) in found
    assert not any(v.name == "sodium_mmol" for v in parse_values("banana 120 grams, na"))


def test_a_measured_value_makes_a_mild_finding_serious() -> None:
    assert emergency("查了血钠只有118，老人说话有点糊涂", 80, "F")
    assert emergency("透析病人抽血钾7.0，医院让回去")
    assert emergency("六周大的宝宝肛温38.2，不太吃奶", 0, "M")


# -- families -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("孩子鼻窦炎，眼皮红肿，眼珠往外凸，转眼睛就疼", 7, "F"),
        ("拔牙后下巴下面肿到脖子，咽不下去，口水一直流", 35, "M"),
        ("家里着火跑出来了，现在嗓子哑，咳出来的痰是黑的", 41, "M"),
        ("喝了邻居自己酿的白酒，今天眼前一片白，看不清", 55, "M"),
        ("抽完一次接着又抽，中间都没醒，快半小时了", 16, "F"),
        ("我弟不睡觉，说有人要害他，拿着刀守在门口", 24, "M"),
        ("老人在雪地里躺了一夜才找到，身上冰凉，不打哆嗦了", 79, "M"),
        ("透析的，这周少透了一次，今天心跳不规律，腿没力气", 63, "M"),
        ("吃华法林的，刚才头撞到桌角，起了个大包", 75, "F"),
        ("手腕骨折打了石膏，手指头发紫发麻", 45, "F"),
        ("孩子发烧第六天了，眼睛红，嘴唇干裂发红，手脚肿", 3, "M"),
        ("有房颤，今天突然肚子剧痛，按着倒不怎么疼", 77, "F"),
        ("心窝下面堵得难受，出了一身冷汗", 61, "F"),
        ("这几天口渴一天喝好几瓶水，小便多，今天吐了两次肚子疼", 14, "M"),
        ("吃了十几片安眠药还喝了酒，现在叫不醒", 33, "F"),
        ("跑完马拉松喝了好几升水，现在头疼呕吐，脑子懵懵的", 38, "M"),
        ("wife on dialysis missed her session, now heart skipping and legs weak", 66, "F"),
        ("感冒三天，连着吃了几种感冒药和退烧药，一天吃了很多片", 30, "M"),
        ("孕晚期，肚子一直紧绷不放松，后腰疼，有点头晕", 31, "F"),
        ("去打球的时候突然晕倒了，醒过来觉得没事", 19, "M"),
        ("房颤病人，今天肚子剧痛打滚，摸着却是软的", 81, "M"),
        ("a man picked wild mushrooms, ate them, now vomiting and diarrhoea", 52, "M"),
        ("two days of tingling feet, now it's creeping up to my hands and legs are weak", 36, "F"),
        ("smoke from the house fire, now her voice is hoarse and she's coughing soot", 30, "F"),
    ],
)
def test_round_five_families_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex), text


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("工作压力大到要窒息了，晚上睡不着", 34, "F"),
        ("鼻子堵得快憋死了，感冒第二天", 25, "M"),
        ("纽扣电池吞下去会怎么样？家里小孩两岁想提前收好", 31, "F"),
        ("如果流鼻血止不住的话，要按多久", 40, "M"),
        ("血糖最近creeping up, fasting 8, feel fine", 55, "M"),
        ("双腿无力三个多月，做过腰椎治疗没好转", 60, "F"),
        ("从小记事以来左眼视野缺损，想问是什么病", 17, "M"),
        ("膝盖骨裂打的石膏，拆了两个月了走路还没劲", 50, "F"),
        ("蔬菜上的农药残留洗不干净，吃了会不会有影响", 45, "F"),
        ("偏头痛十几年，每个月一两次，先眼前闪光再头疼，跟以前一模一样", 35, "F"),
    ],
)
def test_round_five_look_alikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex), text
