"""Round-15 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): emergencies told in Cantonese, folded into a question about something
else, or without the alarm words fire as classes, and the look-alikes beside them (a conditional,
a friend's old overdose, a break-up) stay routine."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level

# -- emergencies told in dialect or beside an unrelated question -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "个女哮喘发作，索唔到气，讲嘢讲几个字就要停",
        "阿爷抖气好辛苦，讲两个字就要停，嘴唇有啲紫",
    ],
)
def test_cantonese_breathlessness_and_a_few_words_at_a_time_is_severe(text: str) -> None:
    assert level(text, 40) == "emergency_ambulance"


def test_a_cantonese_reliever_that_does_nothing_in_an_attack() -> None:
    assert "asthma_inhaler_failure" in fired("哮喘发作，喷咗蓝色嗰支三次都冇用，好喘", 22)


def test_puffing_the_reliever_many_times_is_not_an_episodic_history() -> None:
    text = "哮喘发作，吸了好多次喷雾都没用，说几个字就喘"
    assert level(text, 30) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "我爸糖尿病打了胰岛素，叫了半天才哼一声，一身冷汗",
        "老豆打胰岛素嘅，今朝叫咗好几遍先应一声，成身冷汗",
    ],
)
def test_on_insulin_answering_only_after_many_calls_and_sweating(text: str) -> None:
    assert level(text, 68) == "emergency_ambulance"


def test_insulin_then_not_hungry_and_no_meal_is_a_missed_meal() -> None:
    text = "儿子打完胰岛素说不想吃就没吃，现在叫好几遍才应，出了一身汗。胰岛素怎么保存？"
    assert level(text, 12) == "emergency_ambulance"


def test_a_deep_sleeper_on_metformin_without_sweat_or_missed_meal_stays_routine() -> None:
    assert not emergency("糖尿病吃二甲双胍，晚上睡得沉，叫了好几遍才应", 60)


def test_exertional_tightness_coming_with_less_and_less_effort_is_crescendo() -> None:
    text = "My chest gets tight when I walk to the shops and this week it's coming on more easily"
    assert "crescendo_angina_effort" in fired(text, 63)


def test_exertional_tightness_that_woke_the_patient_is_unstable_angina() -> None:
    text = "一爬楼就胸口闷，这几天走不了以前那么远，昨晚半夜闷醒了"
    assert emergency(text, 66)


def test_a_fast_rate_on_a_watch_with_fluttering_and_breathlessness() -> None:
    text = "手环说我心率150，心里扑通扑通乱跳，有点喘不上气，这手环准吗"
    assert "fast_irregular_pulse_breathless" in fired(text, 58)


def test_a_fast_rate_with_palpitations_but_no_breathlessness_is_not_this_rule() -> None:
    assert "fast_irregular_pulse_breathless" not in fired("跑完步心率150，心跳很快，歇会就好", 25)


def test_an_eye_gone_dark_seeing_only_light_is_sudden_vision_loss() -> None:
    text = "Woke up and my left eye has gone dark, I can only see light. Do I need new glasses?"
    assert emergency(text, 72)


def test_a_baby_who_usually_kicks_a_lot_and_is_barely_felt_today() -> None:
    text = "33 weeks. She normally kicks a lot but I've hardly felt her today."
    assert "reduced_fetal_movements" in fired(text, 31, "F")


def test_a_teenager_giving_away_treasured_things_with_a_hidden_rope() -> None:
    text = "女儿最近把心爱的东西都送给了朋友，今天在她柜子里发现了一根绳子"
    assert emergency(text, 16)


def test_thinking_about_ending_things_with_pills_saved_is_a_plan() -> None:
    text = "I keep thinking about ending things and I have the tablets saved up for tonight"
    assert level(text, 34) == "emergency_ambulance"


def test_euglycaemic_ketoacidosis_on_an_sglt2_with_nausea_and_vomiting() -> None:
    assert "ketoacidosis_on_sglt2" in fired("吃恩格列净，这两天恶心吐，肚子疼，呼吸比较快", 58)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("阿爸突然右手右脚冇晒力，半边面麻", "stroke_one_sided_weakness"),
        ("打波嗰阵突然后尾枕痛到爆，一世人未试过咁痛，呕咗", "thunderclap_headache"),
        ("老公心口好似俾嘢压住咁，出晒冷汗，痛到左手", "acs_chest_pain_autonomic"),
        ("细路食花生哽亲，咳都咳唔出声，块面开始紫", "choking_with_obstruction"),
        ("食咗成板瞓觉药，而家好眼瞓", "sedative_excess_drowsy"),
    ],
)
def test_cantonese_everyday_words_for_core_findings(text: str, rule: str) -> None:
    assert rule in fired(text, 45)


def test_a_cantonese_seizure_with_eyes_rolled_and_unrousable_in_late_pregnancy() -> None:
    assert level("大肚七个半月，突然成个人抽筋，眼反白，而家叫极都唔醒", 29, "F") == (
        "emergency_ambulance"
    )


def test_a_calf_cramp_at_night_is_not_a_seizure() -> None:
    assert not emergency("晚上小腿抽筋，痛一阵就好", 50)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("哮喘又犯了，连续喷了一整夜，现在一次只能说两三个字", 24),
        ("孩子吃软糖之后不出声了，用手抓着脖子，脸越来越青", 5),
        ("Gave birth at home an hour ago, I've soaked four towels with blood and feel faint", 31),
        ("奶奶突然说的话听不太明白，左手拿不稳碗", 79),
        ("He dove into the shallow end, hit his head and can't feel or move his legs", 19),
        ("She took about 20 of her sleeping tablets and is very drowsy now", 40),
        ("Egg allergy, ate a cake 10 minutes ago, lips swelling and his throat feels tight", 8),
        ("孩子误喝了农药，一直流口水，呕吐，瞳孔很小", 4),
        (
            "Grandad's left arm feels heavy, he has to stop mid-sentence for breath and is clammy",
            81,
        ),
    ],
)
def test_english_and_mandarin_wordings_beside_the_round_15_misses(text: str, age: int) -> None:
    assert level(text, age) == "emergency_ambulance"


def test_a_kettle_of_boiling_water_over_a_childs_chest_and_legs_is_a_large_burn() -> None:
    assert emergency("孩子2岁，一壶开水淋在身上，胸口和两条腿大片起泡", 2)


@pytest.mark.parametrize(
    "text",
    [
        "My throat feels tight when I'm anxious before exams",
        "My shoulder feels heavy after the gym, no other problems",
        "I'm a new dad, my shoulder feels heavy from carrying the baby, sweating at night",
    ],
)
def test_a_tight_throat_or_heavy_shoulder_alone_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- look-alikes: conditionals, friends' old events, figures of speech -----------------------


def test_a_conditional_between_the_diagnosis_and_a_reading_is_not_a_reading() -> None:
    text = "我有高血压 要是哪天血压到了210 要不要马上去医院 现在挺稳定的"
    assert not emergency(text, 62)


def test_a_real_reading_after_a_diagnosis_still_fires() -> None:
    assert emergency("我有高血压，今天量血压210，头痛得厉害", 62)


def test_a_stroke_first_aid_question_about_a_well_father_stays_routine() -> None:
    text = "如果老人突然嘴歪、说话不清、一边手脚没劲该怎么办？我爸现在好好的，想提前了解一下"
    assert not emergency(text, 45)


def test_a_friends_overdose_last_year_is_history() -> None:
    text = "A friend overdosed on her pills last year, she's fine now. How much ibuprofen is safe?"
    assert not emergency(text, 29)


def test_an_overdose_today_beside_one_last_year_still_fires() -> None:
    assert emergency("I took 30 paracetamol an hour ago, I overdosed last year too", 24)


def test_ending_things_with_a_partner_is_not_suicidal() -> None:
    text = "I've been thinking about ending things with my girlfriend. Any advice?"
    assert not emergency(text, 27)


def test_a_stuffy_room_is_not_breathlessness() -> None:
    assert not emergency("房间不透气，憋得慌想开窗", 40)
