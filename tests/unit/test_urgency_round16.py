"""Round-16 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): the emergencies the round-16 writers told without the alarm words (a
fingertip sliced off, bone seen in a wound, a vehicle over the body, a drawer of medicines
swallowed, a chair to sleep in and a gurgling chest, a clinic ECG read as ST elevation, goodbye
acts) fire as classes, and the look-alikes beside them (someone else's event, already taken to
hospital, seen by a doctor, a past episode, a question, a blocked nose) stay routine."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level

# -- injuries told by what happened to the part ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "削土豆把大拇指指尖削下来一小块，现在用纱布按着",
        "用电锯把食指砍下来一截，断的那截用塑料袋装着",
        "I sliced off the tip of my finger on a mandoline, still have the bit",
    ],
)
def test_a_finger_part_cut_off_is_an_amputation(text: str) -> None:
    assert "traumatic_amputation" in fired(text, 35)


@pytest.mark.parametrize(
    "text",
    [
        "三轮车从我妈腿上碾过去了，她现在腿动不了，脸发白",
        "拖拉机从他身上压过去了，他说腿没知觉了",
    ],
)
def test_a_vehicle_over_the_body_is_a_major_mechanism(text: str) -> None:
    assert level(text, 58) == "emergency_ambulance"


def test_bone_seen_in_the_wound_is_an_open_fracture() -> None:
    assert "open_fracture" in fired("被石头砸了，小腿肉里露着白骨头", 40)


def test_a_blood_stained_bone_poking_through_is_an_open_fracture() -> None:
    text = "came off the ladder, bone poking through the skin of his shin, foot still pink"
    assert "open_fracture" in fired(text, 30)


# -- swallowed, bitten, frozen ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "和老公吵架后，她把柜子里所有的药都喝了，现在迷迷糊糊的",
        "他把家里全部的药都喝下去了，人在沙发上躺着",
        "She swallowed all the pills in her bag after the fight and is getting sleepy",
    ],
)
def test_swallowing_every_medicine_at_hand_is_an_overdose(text: str) -> None:
    assert level(text, 24) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "在地里让啥咬了一口，现在看东西重影，眼皮抬不起来",
        "在草丛里叫啥咬了一下，现在眼皮抬不起来，看东西有两个影子",
    ],
)
def test_an_unseen_biter_with_drooping_lids_or_double_vision_is_envenomation(text: str) -> None:
    assert level(text, 60) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "A macaque grabbed my son at the temple and bit his arm, two punctures bleeding",
        "a cat jumped and bit my ankle, skin broken and bleeding, it was a stray",
    ],
)
def test_a_bite_from_a_monkey_or_stray_that_broke_the_skin_is_a_rabies_exposure(text: str) -> None:
    assert "rabies_exposure_bite_bleeding" in fired(text, 9)


@pytest.mark.parametrize(
    "text",
    [
        "在外面雪地里睡着了，醒来脚趾发黑起了水泡",
        "slept outside after drinking, now my toes turned black and blistered",
    ],
)
def test_black_blistered_toes_after_the_cold_are_deep_frostbite(text: str) -> None:
    assert "deep_frostbite" in fired(text, 45)


@pytest.mark.parametrize(
    "text",
    [
        "我对花生过敏，刚吃了块点心里面可能有花生，现在嗓子哑了，身上痒",
        "allergic to peanuts, just ate a cookie that may have had nuts, my voice is going hoarse",
    ],
)
def test_a_hoarse_voice_minutes_after_a_known_allergen_is_anaphylaxis(text: str) -> None:
    assert "allergen_meal_voice_change" in fired(text, 26)


# -- heart, lungs, belly ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "诊所的心电图说st段抬高，让我去大医院，我能明天再去吗",
        "The clinic ECG showed ST elevation in the lower leads, can I go tomorrow?",
    ],
)
def test_an_ecg_read_as_st_elevation_is_a_stemi(text: str) -> None:
    assert level(text, 57) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "我妈这两天只能坐在沙发上睡，喘气的时候胸口咕噜咕噜的",
        "He has slept in a chair for two nights and his chest is gurgling when he breathes",
    ],
)
def test_sleeping_upright_with_a_gurgling_chest_is_pulmonary_oedema(text: str) -> None:
    assert level(text, 78) == "emergency_ambulance"


def test_exertional_pressure_more_frequent_then_at_rest_is_unstable_angina() -> None:
    text = "chest pressure on walking, more frequent this week, and last night it came on at rest"
    assert emergency(text, 64)


@pytest.mark.parametrize(
    "text",
    [
        "I've needed my nitroglycerin every day this week and yesterday it came on while resting",
        "using my gtn spray daily now and last night it came on while i was sitting reading",
    ],
)
def test_nitroglycerin_every_day_and_now_while_resting_is_unstable_angina(text: str) -> None:
    assert "nitrate_use_rising_rest" in fired(text, 70)


@pytest.mark.parametrize(
    "text",
    [
        "my watch flagged atrial fibrillation, racing since lunch, breathless and lightheaded",
        "手表提示房颤，心里乱跳了一上午，气短，站起来头晕",
    ],
)
def test_af_on_a_watch_with_breathlessness_and_lightheadedness(text: str) -> None:
    assert "af_breathless_lightheaded" in fired(text, 55)


@pytest.mark.parametrize(
    "text",
    [
        "有胆结石好多年了，这两天右上腹疼还一直烧着，眼白发黄了",
        "胆结石十来年没处理，这几天还在烧，皮肤也黄了",
    ],
)
def test_old_gallstones_with_fever_and_yellow_eyes_is_cholangitis(text: str) -> None:
    assert "gallstones_fever_jaundice" in fired(text, 62)


@pytest.mark.parametrize(
    "text",
    [
        "老胃病十几年，今天下午一下子剧痛，肚子梆硬",
        "胃溃疡老毛病好多年，刚才突然一下子剧痛，现在整个肚子梆硬",
    ],
)
def test_a_sudden_rigid_belly_on_years_of_dyspepsia_is_a_perforation(text: str) -> None:
    assert "rigid_abdomen_sudden" in fired(text, 50)


# -- altered mind: sugar, altitude, farewell --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["早上打了针没吃东西 浑身冷汗 脑壳糊了", "在家打了胰岛素忘了吃饭，现在一身冷汗，脑子糊了"],
)
def test_a_shot_then_no_meal_with_sweat_and_a_muddled_head_is_hypoglycaemia(text: str) -> None:
    assert level(text, 66) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "trekking at 3800m, dad is staggering and repeating the same question over and over",
        "在海拔4500米，同伴走路东倒西歪，反复问同一个问题",
    ],
)
def test_stumbling_and_repeated_questions_at_altitude_are_cerebral_oedema(text: str) -> None:
    assert "altitude_oedema_signs" in fired(text, 40)


@pytest.mark.parametrize(
    "text",
    [
        "外婆把存折都交代给我了，还说以后不再麻烦你们",
        "他最近把养的狗送人了，银行卡也留给了弟弟，还说以后别担心他了",
    ],
)
def test_giving_things_away_with_goodbye_words_is_a_preparatory_act(text: str) -> None:
    assert "suicide_preparatory_acts" in fired(text, 75)


# -- look-alikes that stay routine ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "陪床的时候隔壁床阿姨吐血了好多，我自己没事，要不要查胃",
        "邻居家小孩吃了安眠药送医院了，我家孩子没吃，要查吗",
        "a kid at the swimming club had a seizure in the pool, my son is fine, check him?",
    ],
)
def test_someone_elses_event_is_not_the_writers_emergency(text: str) -> None:
    assert not emergency(text, 35)


@pytest.mark.parametrize(
    "text",
    [
        "老公前天吐血送医院了，说是胃溃疡，我要不要也查幽门螺杆菌",
        "婆婆上周晕倒送到医院了，查了是低血糖，我们家里人要注意什么",
    ],
)
def test_an_event_already_taken_to_hospital_is_in_care(text: str) -> None:
    assert not emergency(text, 40)


@pytest.mark.parametrize(
    "text",
    [
        "She had a febrile seizure on Monday, the pediatrician checked her and she is well",
        "Our boy was seen at A&E after a febrile convulsion on Sunday, now running around",
    ],
)
def test_a_febrile_fit_already_seen_by_a_doctor_stays_routine(text: str) -> None:
    assert not emergency(text, 3)


@pytest.mark.parametrize(
    "text", ["有一回爬楼手表测到心跳180，当时也没难受", "有一回游泳手表显示心率190，当时没啥感觉"]
)
def test_a_fast_rate_once_on_exercise_is_a_past_episode(text: str) -> None:
    assert not emergency(text, 28)


@pytest.mark.parametrize(
    "text",
    [
        "What kind of chest pain is crushing with sweat? I have it right now, left arm numb",
        "what sort of headache is this, worst of my life, came on suddenly an hour ago",
    ],
)
def test_a_current_emergency_asked_as_what_kind_of_stays_an_emergency(text: str) -> None:
    # the tuner's "what kind of / what sort of / which kind of" hypothetical cues silenced these
    # (a lead's review probe); removed: a patient asks what their own pain is as often as they
    # ask about a hypothetical one
    assert emergency(text, 55)


@pytest.mark.parametrize(
    "text",
    [
        "honestly cannot breathe through my nose at all, the pollen this spring is the worst ever",
        "cannot breathe through my nose at all, worst cold of my life",
    ],
)
def test_a_blocked_nose_is_not_breathlessness(text: str) -> None:
    assert not emergency(text, 33)


def test_numb_soles_for_two_or_three_years_are_chronic() -> None:
    assert not emergency("老糖尿病了，脚底板像踩棉花一样麻，都麻了三四年了，问问开什么药", 60)


@pytest.mark.parametrize(
    "text",
    [
        "每次来月经左边胸口就刺痛，这回痛了还喘不上气，已经一天了",
        "chest pain on the right every time I'm on my period, this time also short of breath",
    ],
)
def test_period_chest_pain_now_with_breathlessness_is_a_pneumothorax(text: str) -> None:
    assert "catamenial_chest_pain_breathless" in fired(text, 31, "F")


@pytest.mark.parametrize(
    "text",
    [
        "legs wrecked from the marathon on sunday, cant walk downstairs properly today",
        "ran a half marathon in the heat, today i can't walk down the stairs without wincing",
    ],
)
def test_sore_legs_after_a_race_are_not_ataxia(text: str) -> None:
    assert not emergency(text, 34)


@pytest.mark.parametrize(
    "text",
    [
        "the suffocating humidity in guangzhou leaves me limp every afternoon",
        "this muggy weather, honestly suffocating in the humidity, otherwise well",
    ],
)
def test_suffocating_humidity_is_a_figure_of_speech(text: str) -> None:
    assert not emergency(text, 30)
