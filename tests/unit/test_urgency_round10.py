"""Round-10 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file): look-alikes that must stay routine, and emergencies that must still fire."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level
from triage.urgency.values import parse_values

# -- a past-time anchor dates the rest of its sentence -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "儿子三岁的时候发烧抽搐过，医生诊断热性惊厥，现在七岁了，这回只是流鼻涕",
        "我大前年冬天用煤炉子中过一次毒，当场昏过去了，后来治好了，想问现在头晕挂什么科",
        "儿子10个月的时候吃鸡蛋过敏，脸和嘴唇都肿了，后来再没吃过，要不要查过敏原",
    ],
)
def test_an_anchor_without_a_number_of_years_makes_the_sentence_history(text: str) -> None:
    assert not emergency(text, 35)


def test_a_new_time_after_the_anchor_is_current_again() -> None:
    # "这次" after the anchor ends its reach: today's seizure with fever is an emergency
    assert emergency("孩子一岁的时候住过院，这次发高烧39度，刚才全身抽搐了两分钟", 4)


def test_an_anchor_in_another_sentence_does_not_reach() -> None:
    assert emergency("小时候得过肺炎。今天突然胸口剧痛，喘不上气，满头大汗", 58)


def test_a_sentence_that_only_dates_the_one_before_makes_it_history() -> None:
    text = "I swallowed a bottle of aspirin at university. That was twelve years ago. Fine now."
    assert not emergency(text, 33)


def test_a_later_sentence_with_a_date_and_more_is_not_an_afterthought() -> None:
    assert emergency("I just swallowed a whole bottle of aspirin. That was ten minutes ago.", 33)


# -- worry, conditionals and hospital stays told in the past --------------------------------


def test_worry_about_a_planned_procedure_is_hypothetical() -> None:
    assert not emergency("在吃华法林，后天要做肠镜切息肉，怕到时候血止不住，要不要停药", 60)


def test_fear_words_that_are_not_worry_do_not_silence_bleeding() -> None:
    assert emergency("我好害怕，伤口的血止不住，纱布全湿透了", 40)


def test_a_side_effect_question_is_hypothetical() -> None:
    text = "Can my new acne tablets cause suicidal thoughts? I have none, I just read about it."
    assert not emergency(text, 19)


def test_a_cause_stated_in_passing_does_not_silence_intent() -> None:
    assert emergency("I want to die because of the debts, I have a plan to end it tonight", 40)


def test_a_conditional_classification_question_is_hypothetical() -> None:
    text = "If my kid took two of his vitamin gummies, would that count as an overdose? Asking."
    assert not emergency(text, 38)


def test_a_relatives_past_admission_is_history() -> None:
    assert not emergency("我公公以前胃出血吐血住过院，我最近胃胀想做胃镜", 45)


# -- idioms, seasons and sleep apnoea -------------------------------------------------------


def test_spicy_food_that_nearly_makes_you_spit_blood_is_an_idiom() -> None:
    assert not emergency("这家麻辣烫辣得我快吐血了，嗓子有点痛，吃什么润喉", 24)


def test_blood_in_vomit_still_fires() -> None:
    assert emergency("刚才吐了一大口血，鲜红的，头晕", 50)


def test_allergy_season_is_not_an_exposure() -> None:
    assert not emergency("I get wheezy every allergy season, is a preventer inhaler worth it?", 30)


def test_pauses_of_seconds_while_snoring_are_not_an_arrest() -> None:
    text = "我爸睡觉鼾声很大，中间会停几秒不喘气然后猛地吸一口，好多年了，要看什么科"
    assert not emergency(text, 55)


def test_not_breathing_without_a_pause_of_seconds_still_calls_an_ambulance() -> None:
    assert level("我爸倒在地上叫不醒，不喘气了", 60) == "emergency_ambulance"


# -- new emergencies ------------------------------------------------------------------------


def test_spirits_of_unknown_origin_then_foggy_vision_calls_an_ambulance() -> None:
    text = "前天喝了村里自酿酒，今天看东西雾蒙蒙的，头也疼"
    assert level(text, 50) == "emergency_ambulance"


def test_spirits_of_unknown_origin_alone_is_not_an_emergency() -> None:
    assert "methanol_visual_now" not in fired("自酿酒能存放多久，有没有讲究", 50)


@pytest.mark.parametrize(
    "text",
    [
        "晚饭吃了一大盆麻辣小龙虾，半夜浑身肌肉痛，尿跟酱油似的",
        "跑完全程马拉松，全身肌肉痛，尿是酱油色",
    ],
)
def test_dark_urine_with_muscle_pain_is_rhabdomyolysis(text: str) -> None:
    assert "rhabdomyolysis_dark_urine" in fired(text, 30)


def test_a_missing_button_battery_near_a_retching_toddler_is_an_emergency() -> None:
    text = "遥控器里的纽扣电池不见了，女儿两岁，刚才一直干呕，还流口水"
    assert emergency(text, 2)


def test_a_missing_battery_with_no_child_symptom_does_not_use_the_new_rule() -> None:
    assert "battery_missing_child_symptoms" not in fired("遥控器里的纽扣电池不见了，去哪买", 40)


def test_signs_of_lithium_toxicity_are_an_emergency() -> None:
    text = "我妈吃碳酸锂好多年了，这两天拉肚子，今天走路不稳，说话含糊"
    assert "lithium_toxicity_signs" in fired(text, 65)


def test_a_question_about_lithium_monitoring_stays_routine() -> None:
    assert not emergency("吃碳酸锂多久查一次血药浓度", 40)


def test_full_days_after_birth_give_an_infant_age() -> None:
    ages = [v.value for v in parse_values("宝宝刚满50天，发烧38.6") if v.name == "age_months"]
    assert ages and ages[0] < 3
    assert emergency("宝宝刚满50天，今天发烧38.6度", None)


@pytest.mark.parametrize(
    "text",
    [
        "Yesterday when I was at work I got crushing chest pain and sweating, it is still there",
        "上年纪的人了，胸口压着痛得厉害，满头大汗",
    ],
)
def test_words_that_only_look_like_anchors_leave_the_emergency_current(text: str) -> None:
    assert emergency(text, 66)


def test_a_glucose_above_the_meters_range_is_a_crisis() -> None:
    assert emergency("外公有糖尿病，这几天特别渴，今天迷迷糊糊的，测了血糖，机器显示HI", 81)
    assert emergency("Dad is diabetic and drowsy, his glucose meter reads HI", 70)


def test_a_broken_glucose_meter_is_not_a_crisis() -> None:
    assert "glucose_meter_hi_crisis" not in fired("血糖仪坏了读不出来，换什么牌子好", 50)


def test_all_four_limbs_giving_way_overnight_is_an_emergency() -> None:
    assert emergency("早上醒来胳膊腿都抬不起来，人很清醒，昨晚吃了很多甜食", 24)


def test_tiredness_that_stops_the_limbs_is_a_figure_of_speech() -> None:
    assert not emergency("加班一周，累得手脚都动不了，想调理一下", 30)


def test_black_scrotal_skin_with_fever_is_fournier_gangrene() -> None:
    assert "fournier_gangrene_signs" in fired("糖尿病多年，这三天阴囊红肿发黑，发烧39度", 62)


def test_dark_scrotal_skin_alone_stays_routine() -> None:
    assert not emergency("阴囊皮肤颜色一直发黑，是色素沉着吗", 30)


@pytest.mark.parametrize(
    "text",
    [
        "舅舅喝了自家泡的川乌酒，现在嘴唇发麻，一直麻到手上，心跳乱",
        "朋友送的河豚自己煮了吃，半小时后舌头发麻，说话也不清楚",
    ],
)
def test_a_numb_mouth_after_aconite_or_pufferfish_calls_an_ambulance(text: str) -> None:
    assert level(text, 55) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text", ["吃了一锅麻辣藤椒鱼，嘴巴麻麻的正常吗", "上午补牙打了麻药，到现在嘴唇还发麻"]
)
def test_a_numb_mouth_from_spice_or_the_dentist_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


def test_blood_after_a_tonsillectomy_is_an_emergency() -> None:
    assert emergency("儿子割了扁桃体第六天，今早吐出来的口水里有鲜红的血", 9)


def test_diet_after_a_tonsillectomy_stays_routine() -> None:
    assert not emergency("女儿刚做完扁桃体手术，这两周能吃冰淇淋吗", 6)


def test_a_tongue_swelling_up_on_an_ace_inhibitor_calls_an_ambulance() -> None:
    assert level("我妈吃培哚普利两年了，刚才舌头越来越大，说话含糊", 68) == "emergency_ambulance"
