"""Round-17 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file).

Emergencies that must fire, by class: illness at a stated altitude (a height in metres, not the word
'plateau'); fits that do not stop or from which the person does not wake; snoring breathing in
someone who cannot be woken; a sudden collapse with only gasps; a pesticide bottle found opened or
partly gone; a kick or butt from a large animal with signs of internal bleeding, or a gut wound;
back pain that moves downwards; a blow to the head with vomiting and drowsiness; orthopnoea with
broken speech or dusky lips; asthma with broken speech or exhaustion; a skipped meal on insulin with
sweating and slowed thinking; an older person in an unheated home who stopped shivering; empty pill
packets with toxic signs; lay aphasia with a weak hand; crushing chest pressure with sweat that rest
does not ease; fainting with rectal pressure and a late period; bleeding from an injury with shock;
a mouthful of vomited blood; a choking episode followed by noisy breathing; septic shock after an
infection (no urine, cold hands); a diabetic foot with pus and fever; an unseen bite followed by
bleeding; thirst and polyuria then deep breathing (DKA); a deformed limb after a fall; a finger that
will not bend after a cut; prolonged clotting with bleeding; chest trauma with broken speech;
concealed bleeding after a caesarean; breathing trouble hours after inhaling water; a temperature
over 40.5 with confusion; a night bite followed by drooping eyelids; low finger oximetry with a
chest infection; rabies exposures (broken skin from an animal of unknown vaccination, bat contact);
acute psychosis with agitation; deep frostbite; blood pressure read out in Chinese numerals in
pregnancy or around 200; new fast AF; constant gallbladder pain with fever; pyelonephritis with
rigors (also in pregnancy); caustic in the eye; black stool on painkillers; testicular pain in a
boy; croup with stridor; acute urinary retention; a hip that cannot bear weight after a fall.

Look-alikes that must stay routine, by class: someone else's event already handed to
paramedics or a question about contagion; slurred speech from dentures; asking in advance or
learning CPR; a heredity question; in hospital, transfused or nebulised already; 'like being
struck by lightning' and choking on dust as figures of speech; a planned fast asked about 'at
what point'; a pet cat's scratch that did not bleed; a long-ago heatstroke with a full recovery.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level

# -- altitude, cold, heat ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我们在4600米的垭口扎营，同伴走路像踩棉花一样站不住，问话也答不对",
        "徒步到四千五百米那天晚上，我躺下就憋得慌只能坐着睡，咳出来的痰是粉红色的",
    ],
)
def test_illness_at_a_stated_altitude_is_cerebral_or_pulmonary_oedema(text: str) -> None:
    assert level(text, 30) == "emergency_ambulance"


def test_headache_vomiting_and_drowsiness_at_altitude() -> None:
    text = "自驾到了五千米的地方，老公头疼，吐了两次，现在老想睡觉"
    assert "altitude_headache_vomit_sleepy" in fired(text, 40)


def test_an_older_person_in_a_cold_home_who_stopped_shivering() -> None:
    text = "My grandad's heating broke and now he's stopped shivering, sounds sleepy and slow"
    assert "hypothermia_older_drowsy" in fired(text, 80)


def test_hard_waxy_toes_after_a_night_below_zero_are_deep_frostbite() -> None:
    text = "零下二十多度在山上困了一夜，脚趾头发白发硬，蜡样，一点知觉都没有"
    assert "deep_frostbite_signs" in fired(text, 35)


def test_temperature_above_forty_and_a_half_with_confusion() -> None:
    assert level("他中午在锅炉房晕倒了，体温四十一度，人糊涂不认人", 40) == "emergency_ambulance"


# -- fits, coma, arrest ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我弟弟抽完了还没醒又抽，已经是第三轮了",
        "She had a fit and another one before she woke up, still hasn't come round",
    ],
)
def test_fits_without_waking_in_between_are_status_epilepticus(text: str) -> None:
    assert level(text, 20) == "emergency_ambulance"


def test_a_long_unresponsive_spell_after_a_fit_is_treated_as_status() -> None:
    text = "孩子刚才抽搐了，抽完一个小时还没醒，手指还在动"
    assert "seizure_prolonged_postictal" in fired(text, 8)


def test_snoring_breathing_in_someone_who_cannot_be_woken() -> None:
    text = "我爸下午躺下以后打呼噜特别响，怎么推都只哼一下"
    assert "stertor_unrousable" in fired(text, 70)


def test_a_sudden_collapse_with_only_gasps_is_cardiac_arrest() -> None:
    text = "老公吃饭时一头栽倒，叫他冇反应，隔一会喘一大口"
    assert level(text, 58) == "emergency_ambulance"


# -- poisons and overdoses ---------------------------------------------------------------------


def test_a_partly_emptied_pesticide_bottle_with_symptoms() -> None:
    text = "我舅舅屋里那瓶除草的农药少了一截，他现在一直吐，嘴巴痛"
    assert "pesticide_bottle_symptoms" in fired(text, 50)


def test_empty_blister_packs_with_toxic_signs() -> None:
    text = "在女儿床底下发现几个空药板，她现在瞳孔很大，一直想睡"
    assert "empty_packs_toxic_signs" in fired(text, 16)


# -- trauma and bleeding -----------------------------------------------------------------------


def test_a_kick_from_a_horse_with_belly_pain_and_thirst() -> None:
    text = "他被马踢了肚子，现在肚子疼，一直说渴，手冰凉"
    assert "large_animal_abdomen_shock" in fired(text, 45)


def test_back_pain_that_moves_down_is_aortic_dissection() -> None:
    text = "He had a sudden tearing pain in his back and now it's moving down into his belly"
    assert "aortic_pain_migrating" in fired(text, 65)


def test_a_brick_to_the_head_then_vomiting_and_drowsiness() -> None:
    text = "他头被砖头砸了，吐了两回，喊醒了又睡过去"
    assert "head_blow_vomit_drowsy" in fired(text, 30)


def test_bleeding_from_a_machine_wound_with_shock() -> None:
    text = "收割机把他小腿割了一个口子，血一直流，人越来越没劲，手脚冰凉"
    assert "limb_bleeding_shock" in fired(text, 50)


def test_a_chest_blow_with_broken_speech_is_a_pneumothorax() -> None:
    text = "下午骑车摔了撞到方向盘，现在说两句就要停下来喘"
    assert "chest_trauma_breathless_speech" in fired(text, 40)


def test_a_hip_that_cannot_bear_weight_after_a_fall() -> None:
    text = "我外婆在院子里滑了一跤，大腿根疼，站不起来"
    assert "hip_fracture_fall_older" in fired(text, 82)


# -- chest, lungs, heart -----------------------------------------------------------------------


def test_orthopnoea_with_broken_speech_and_dusky_lips() -> None:
    text = "我爸心脏不好，这几天晚上只能靠着被子睡，说话一句一句断的，嘴唇发乌"
    assert level(text, 75) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "哮喘犯了，喷了好几次没用，说几句就喘",
        "His asthma is bad tonight, the inhaler isn't working and he's gone quiet and exhausted",
    ],
)
def test_asthma_with_broken_speech_or_exhaustion(text: str) -> None:
    assert level(text, 30) == "emergency_ambulance"


def test_crushing_chest_pressure_with_sweat_not_eased_by_rest() -> None:
    text = "胸口像有人坐在上面，出了一身汗，想吐，歇了也不见好"
    assert level(text, 60) == "emergency_ambulance"


def test_low_finger_oximetry_with_a_chest_infection() -> None:
    text = "咳嗽发烧四天，今天血氧只有八十八"
    assert "spo2_low_lower_resp" in fired(text, 70)


def test_a_watch_af_alert_with_a_fast_rate() -> None:
    text = "手表一直提醒心律不齐，一百五十，心慌"
    assert "af_fast_new" in fired(text, 62)


# -- metabolic, infection ----------------------------------------------------------------------


def test_a_skipped_meal_on_insulin_with_sweating_and_slowed_thinking() -> None:
    text = "我妈糖尿病打胰岛素，今天忘了吃饭，一身冷汗，说话慢吞吞的"
    assert "diabetic_hypo_neuroglycopenia" in fired(text, 68)


def test_no_urine_and_cold_hands_after_an_infection_is_septic_shock() -> None:
    text = "老人前几天发烧，今天烧退了，可一天没解小便，手摸着冰冰凉，不太说话"
    assert level(text, 85) == "emergency_ambulance"


def test_constant_gallbladder_pain_with_fever() -> None:
    text = "胆结石老毛病，这次一直疼到现在没停，还发烧"
    assert "cholecystitis_constant_fever" in fired(text, 50)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("尿尿疼了几天，今天烧到三十九度多，腰痛，打摆子", "pyelonephritis_rigors"),
        ("怀孕六个月，高烧三十九度，腰疼，发冷", "pregnancy_fever_loin"),
    ],
)
def test_fever_with_loin_pain_and_rigors_is_pyelonephritis(text: str, rule: str) -> None:
    assert rule in fired(text, 28, "F")


# -- bites, eyes, skin -------------------------------------------------------------------------


def test_a_night_bite_followed_by_drooping_eyelids() -> None:
    text = "睡觉时手上像被蚂蚁叮了一下，早上起来眼皮抬不起来"
    assert level(text, 30) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "被流浪狗咬了小腿，出血了，还没处理",
        "I got bitten by a neighbour's stray cat, it broke the skin",
    ],
)
def test_broken_skin_from_an_animal_of_unknown_vaccination_is_rabies_exposure(text: str) -> None:
    assert "rabies_mammal_broken_skin" in fired(text, 30)


def test_bat_contact_with_a_scratch_is_rabies_exposure() -> None:
    text = "A bat landed on my arm while I slept, there's a scratch"
    assert "bat_contact_rabies" in fired(text, 25)


@pytest.mark.parametrize(
    "text",
    [
        "搅水泥的时候溅进眼睛了，一直流泪",
        "My son rubbed his eye after playing with the drain cleaner bottle",
    ],
)
def test_caustic_in_the_eye(text: str) -> None:
    assert emergency(text, 30)


# -- gut, pregnancy, urology, children ---------------------------------------------------------


def test_black_stool_on_painkillers_with_dizziness() -> None:
    text = "这阵子腰疼一直吃布洛芬，这两天大便发黑，站起来头晕"
    assert "melaena_on_nsaid" in fired(text, 60)


def test_a_mouthful_of_vomited_blood_with_liver_disease() -> None:
    text = "肝硬化好几年了，刚才呕出一大口血，心慌"
    assert level(text, 55) == "emergency_ambulance"


def test_fainting_with_rectal_pressure_and_a_late_period() -> None:
    text = "今天上午在公司晕倒了，肛门坠胀，月经推迟了十天"
    assert level(text, 27, "F") == "emergency_ambulance"


def test_pallor_thirst_and_racing_heart_after_a_caesarean() -> None:
    text = "剖宫产后第二天，脸发白，手脚冰凉，心慌，一直想喝水"
    assert level(text, 30, "F") == "emergency_ambulance"


def test_pregnancy_blood_pressure_in_chinese_numerals_with_headache() -> None:
    text = "怀孕三十四周，头疼，量了血压一百六十几"
    assert "pregnancy_bp_zh_symptoms" in fired(text, 30, "F")


def test_a_boy_with_sudden_testicular_pain_and_vomiting() -> None:
    text = "儿子半夜说蛋蛋疼，一边的，吐了一次"
    assert "testicular_pain_boy" in fired(text, 13, "M")


def test_croup_with_noisy_breathing() -> None:
    text = "孩子咳起来像狗叫，呼吸的时候喉咙里呼呼响"
    assert "croup_noisy_breathing" in fired(text, 2)


def test_acute_urinary_retention() -> None:
    text = "老伴从早上到现在尿不出来，小肚子胀得像球"
    assert "urinary_retention_tense" in fired(text, 76, "M")


def test_a_choking_episode_then_noisy_breathing_in_a_toddler() -> None:
    text = "宝宝吃花生的时候突然咳了一阵，现在呼吸有响声，嘴唇有点发青"
    assert level(text, 2) == "emergency_ambulance"


def test_water_inhaled_then_fast_breathing_hours_later() -> None:
    text = "儿子中午游泳呛了好几口水，到晚上呼吸越来越快，没精神想睡"
    assert level(text, 8) == "emergency_ambulance"


def test_a_diabetic_foot_with_pus_and_fever() -> None:
    text = "外公有糖尿病，大脚趾烂了流脓，整个脚背红肿，今天发烧"
    assert "diabetic_foot_infection_fever" in fired(text, 75)


def test_an_unseen_bite_followed_by_bleeding_gums() -> None:
    text = "在地里被什么咬了一下没看清，第二天牙龈出血，腿肿到膝盖"
    assert "unknown_bite_bleeding" in fired(text, 45)


def test_thirst_and_polyuria_then_vomiting_and_deep_breathing() -> None:
    text = "He's been really thirsty and peeing all the time, now vomiting and breathing deeply"
    assert "dka_story" in fired(text, 14)


def test_a_deformed_wrist_after_a_fall() -> None:
    text = "孙子从滑板上摔了，手腕肿起来，看着歪了"
    assert "fall_limb_deformed" in fired(text, 9)


def test_a_finger_that_will_not_bend_after_a_cut() -> None:
    text = "切菜时刀子滑了，手指划了个口子，现在食指弯不了"
    assert "hand_cut_tendon" in fired(text, 40)


def test_prolonged_clotting_with_bleeding_from_several_sites() -> None:
    text = "身上一块块青紫，尿血，医院说凝血时间很长"
    assert "coagulopathy_bleeding" in fired(text, 45)


# -- the mind ----------------------------------------------------------------------------------


def test_acute_psychosis_with_agitation() -> None:
    text = "我哥这几天说有人在监视他，三天没睡，把电视砸了"
    assert "acute_psychosis_agitated" in fired(text, 30)


def test_stroke_told_as_wrong_words_and_a_hand_dropping_things() -> None:
    text = "我爸刚才说话词都对不上，右手拿碗总是掉"
    assert level(text, 72) == "emergency_ambulance"


# -- look-alikes that must stay routine --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "My flatmate had a seizure this morning and paramedics took her. I'm fine, just shaken",
        "我同事昨天在车间抽了，我扶了他，手上沾了他的口水，会传染吗",
    ],
)
def test_someone_elses_handled_event_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


def test_slurred_speech_from_new_dentures_is_not_a_stroke_alert() -> None:
    assert not emergency("我爷爷换了新假牙，说话有点含糊，手脚都好", 78)


@pytest.mark.parametrize(
    "text",
    [
        "我有哮喘，喷药不管用的话该怎么办，现在挺好，就提前问问",
        "邻居上个月心脏骤停，我想学心肺复苏，哪里有课",
    ],
)
def test_questions_in_advance_stay_routine(text: str) -> None:
    assert not emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "我爸刚才突然口角歪斜，说话说不清，右手拿不住东西，这个病会遗传吗",
        "我妈刚刚突然倒地叫不醒，没有呼吸了，我想学心肺复苏现在怎么按",
        "就提前问问，我现在胸口剧痛出冷汗，要不要去医院",
        "还没发生过这种情况，今天早上第一次，突然一侧身体没力气，嘴歪了",
        "Is it hereditary? My dad just collapsed, face drooping on one side and can't speak",
        "My dad collapsed and isn't breathing, he's being taken to hospital now, what do I do",
        "He was treated for sepsis and is now confused, cold and has not peed",
    ],
)
def test_current_emergencies_beside_the_cues_removed_in_review_still_fire(
    text: str,
) -> None:
    # The lead's review: whole-message cues ("提前问问", "还没发生过", "学心肺复苏", "会遗传",
    # "is it hereditary") proposed this round silenced every one of these; they were removed,
    # and so were "taken to hospital" without a past tense (it matched "being taken") and
    # "treated for" as already in care (a relapse after treatment is current).
    assert emergency(text, 60)


@pytest.mark.parametrize(
    "text",
    [
        "孕30周因为前置胎盘出血住院保胎，现在不出血了，能吃海参吗",
        "哮喘发作昨晚在急诊雾化完了，现在好了，激素怎么吃",
    ],
)
def test_events_already_treated_stay_routine(text: str) -> None:
    assert not emergency(text, 30, "F")


@pytest.mark.parametrize(
    "text",
    [
        "搬箱子把腰闪了，一动就像被雷劈一样，腿不麻",
        "Choking on the smog today, scratchy throat, no wheeze",
    ],
)
def test_figures_of_speech_stay_routine(text: str) -> None:
    assert not emergency(text, 40)


def test_a_planned_fast_asked_at_what_point_stays_routine() -> None:
    assert not emergency("Doing a 5-day fast soon. At what point would chest pain mean stop?", 35)


def test_a_pet_cat_scratch_without_blood_stays_routine() -> None:
    assert not emergency("家里的猫抓了一下，没破皮，猫打过疫苗", 30)


def test_a_long_ago_heatstroke_with_full_recovery_stays_routine() -> None:
    text = "Collapsed during a race years ago with heatstroke, a night in ICU, full recovery"
    assert not emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "Hypothetically speaking, my husband is right now sweating with crushing chest pain",
        "我想提前了解一下，我爸现在口角歪斜，话说不出来，右手没劲",
    ],
)
def test_framing_yields_to_a_present_time_word_in_the_mentions_sentence(text: str) -> None:
    assert emergency(text, 65)


def test_framing_without_a_present_time_word_still_makes_a_quiz_case_hypothetical() -> None:
    # the acute "突然" does not lift framing: quiz cases are told with it
    assert not emergency("练习题：病人突然倒地，没有呼吸了，旁边的人该先做什么")
    assert emergency("练习题做到一半，我爸现在突然倒地，没有呼吸了", 60)
