"""Round-14 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): the emergencies the round-14 writers (a Xi'an emergency physician, much
of it in Shaanxi dialect, and a Nanjing GP) told in their own words fire as classes, and the
look-alikes beside them (and the readings that must not fire) stay routine."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level

# -- emergencies told in dialect or without the alarm words ----------------------------------


def test_a_hand_that_will_not_obey_with_a_thick_tongue_is_a_stroke() -> None:
    assert level("额左手不听使换了，舌头大，说话咬不清", 66) == "emergency_ambulance"


def test_one_eye_going_black_all_at_once_in_dialect_is_sudden_vision_loss() -> None:
    assert emergency("右眼一哈子黑了，啥都看不见，也不疼", 71)


def test_a_how_often_question_does_not_make_a_gas_heater_cluster_chronic() -> None:
    text = (
        "How often should a gas heater be checked? My wife and I both woke with headaches and "
        "she seems confused. We feel better when we go outside."
    )
    assert level(text, 45) == "emergency_ambulance"


def test_a_how_often_question_with_nobody_ill_stays_routine() -> None:
    assert not emergency("How often should our boiler be serviced? Nobody has any symptoms.", 40)


def test_a_relative_on_one_side_of_the_family_is_family_history() -> None:
    text = "My mum's side all have glaucoma, one aunt went blind. How often should I be screened?"
    assert not emergency(text, 42)


def test_a_headache_from_nothing_to_pounding_in_a_second_is_thunderclap() -> None:
    text = "Lifting a box, the headache went from nothing to pounding in about a second. Vomited."
    assert "thunderclap_headache" in fired(text, 48)


def test_a_blow_to_the_back_of_the_head_from_inside_in_dialect_is_thunderclap() -> None:
    assert emergency("干着活脑壳后头嘣一下，跟拿棒槌打了一样，吐了，脖子硬", 45)


def test_insulin_without_a_meal_and_barely_answering_is_hypoglycaemia() -> None:
    text = "我爸早上打了胰岛素没吃饭，现在满头大汗，叫他不怎么应"
    assert level(text, 70) == "emergency_ambulance"


@pytest.mark.parametrize(
    "text",
    [
        "我妈最近一爬楼就胸口闷，这两天躺着也闷了好几回，一次几分钟",
        "Chest pressure when walking uphill for two weeks, now it comes on at rest too",
        "以前走快了才心口憋，这几天坐着都来",
    ],
)
def test_exertional_chest_discomfort_now_at_rest_is_unstable_angina(text: str) -> None:
    assert "crescendo_angina_rest" in fired(text, 66)


def test_stable_exertional_tightness_for_years_is_not_unstable_angina() -> None:
    assert not emergency("一爬楼就胸闷好几年了，歇一下就好，一直都这样", 66)


def test_black_stool_with_the_benign_causes_denied_and_greying_on_standing() -> None:
    text = "大便黑得发亮像柏油，铁剂会不会这样？我没吃铁剂，也没吃黑的东西，蹲起来眼前发黑"
    assert "melaena_benign_cause_denied" in fired(text, 62)


def test_black_stool_after_iron_tablets_alone_stays_routine() -> None:
    assert not emergency("吃了铁剂以后大便发黑，其他都好，没有不舒服", 40)


def test_an_old_hernia_that_is_stuck_out_today_is_incarcerated() -> None:
    text = "Hernia for ages, always goes back. Today it's stuck out, hard and tender, I feel sick."
    assert emergency(text, 65)


def test_a_baby_that_has_hardly_moved_since_last_night_in_late_pregnancy() -> None:
    assert emergency("孕36周了，宝宝从昨晚到现在几乎没动过", 30, "F")


def test_money_given_away_with_a_rooftop_checked_is_suicide_preparation() -> None:
    assert emergency("我把钱都转给我弟了，以后也用不到了，天台的门我去看过是开着的", 19)


def test_altitude_headache_with_confusion_and_a_staggering_walk_is_hace() -> None:
    text = "我们在川藏线上，同伴头疼呕吐，现在说胡话，走路歪着走"
    assert level(text, 35) == "emergency_ambulance"


def test_steam_blisters_over_both_arms_and_chest_are_a_large_burn() -> None:
    assert emergency("被锅炉蒸汽烫了，两只胳膊和前胸都是大泡", 40)


def test_lips_thickening_with_a_changed_voice_after_a_drug_is_angioedema() -> None:
    assert level("吃了头孢半小时，嘴唇变厚了，说话声音变了", 40) == "emergency_ambulance"


def test_the_rest_of_the_box_an_hour_ago_is_an_overdose() -> None:
    assert emergency("I took the rest of the box of my sleeping tablets about an hour ago", 25)


def test_dry_hot_skin_after_a_race_and_not_making_sense_is_heat_stroke() -> None:
    text = "After the marathon he stopped sweating, skin hot and dry, and he isn't making sense"
    assert level(text, 30) == "emergency_ambulance"


def test_purple_spots_with_cold_limbs_and_a_grey_face_without_fever() -> None:
    text = "儿子15岁，吃了退烧药不烧了，腿疼，手脚冰凉，脸色发灰，小腿上冒出几个紫点"
    assert "purpura_with_shock_signs" in fired(text, 15)


def test_purple_spots_in_a_well_person_are_not_sepsis() -> None:
    assert not emergency("腿上有几个紫点，不痛不痒，人好好的", 30)


def test_an_infant_vomiting_and_sleepy_after_landing_on_the_head() -> None:
    assert emergency("宝宝8个月从沙发上摔下来头着地，现在开始吐，特别想睡", 0)


def test_an_older_adult_on_an_antiplatelet_with_a_bruised_forehead_and_slowing() -> None:
    assert emergency("我妈吃波立维，昨天摔了一跤，额头青了一块，今天反应有点慢", 78)


def test_many_puffs_and_only_a_few_words_at_a_time_is_a_failing_inhaler() -> None:
    assert level("沙丁胺醇已经喷了十几下了，还是说几个字就喘", 30) == "emergency_ambulance"


def test_a_slow_ooze_soaking_the_bedding_after_a_home_birth() -> None:
    text = "老婆在家生完三个小时，血一直往外渗，褥子湿了一大片，嘴唇发白"
    assert level(text, 28, "F") == "emergency_ambulance"


def test_a_late_period_with_one_sided_pain_and_unsteady_dizziness() -> None:
    assert emergency("这个月例假迟了一周，今天一边小肚子疼得厉害，头晕站不稳", 27, "F")


def test_a_wound_hurting_far_more_than_it_looks_with_fever_is_necrotising() -> None:
    assert emergency("糖尿病，脚上破了个口子，现在脚背红肿发黑，疼得比看起来厉害得多，发烧", 60)


@pytest.mark.parametrize(
    "text",
    [
        "最近三天走路老绊脚，脚趾头发麻，手指也有点麻",
        "For four days I keep tripping over my feet, and there is tingling in my fingers",
    ],
)
def test_new_tripping_with_tingling_fingers_or_toes_is_guillain_barre(text: str) -> None:
    assert "new_tripping_with_distal_tingling" in fired(text, 46)


def test_years_of_numb_feet_in_diabetes_with_tripping_is_not_acute() -> None:
    assert not emergency("糖尿病十年，手脚发麻好几年了，走路老绊脚", 66)


# -- look-alikes: questions, denials, care already given, figures of speech ------------------


@pytest.mark.parametrize(
    "text",
    [
        "要是被毒蛇咬了应该怎么办？我们那边山里有竹叶青",
        "If my kid gets bitten by a snake on the trail, what should we do? "
        "Are there venomous snakes in the hills?",
    ],
)
def test_a_snakebite_first_aid_question_is_not_a_bite(text: str) -> None:
    assert not emergency(text, 35)


def test_a_snake_bite_that_happened_still_fires() -> None:
    assert emergency("I got bitten by a snake an hour ago and the leg is swelling", 35)


def test_a_febrile_seizure_already_seen_in_the_ed_and_sent_home() -> None:
    assert not emergency("女儿前天高热惊厥送了急诊，查了没事就回家了，现在精神很好", 2)


def test_a_febrile_seizure_now_still_fires() -> None:
    assert emergency("孩子高烧39度，刚才抽搐了两分钟", 2)


def test_a_low_sugar_collapse_worked_up_in_the_ed_years_ago() -> None:
    assert not emergency("前年有一回晕倒，送急诊查了一圈说是低血糖，之后没再犯，想复查", 66)


def test_a_bump_on_the_head_without_anticoagulants_stays_routine() -> None:
    assert not emergency("头撞到门框，起了个包，没吐，人清醒，不吃抗凝药", 40)


def test_a_fall_on_warfarin_striking_the_head_still_fires() -> None:
    assert emergency("我爸吃华法林，今天摔倒头撞到桌角", 75)


def test_a_chest_twinge_on_a_cough_is_not_a_seizure() -> None:
    text = "咳嗽的时候胸口抽了一下疼，就一下，现在好了"
    assert not emergency(text, 30)
    assert "seizure_acute" not in fired(text, 30)


def test_an_asthma_action_plan_question_is_not_an_attack() -> None:
    assert not emergency("我有哮喘，万一哪天严重发作了，喷了不管用怎么办", 25)


def test_an_asthma_attack_with_a_failing_inhaler_still_fires() -> None:
    assert emergency("哮喘发作了，喷雾剂喷了好几下不管用，喘不上气", 25)


# -- real-request readings (haodf, hand-read by the lead): written anew here -----------------


def test_a_bare_repeat_of_a_benign_twitch_is_still_the_twitch() -> None:
    assert not emergency("眼皮抽搐一个多月了，抽搐时眼睛有点睁不开，睡不好", 40)


def test_a_new_fit_after_a_benign_twitch_still_fires() -> None:
    text = "我眼皮抽搐好几天了。孩子今天高烧39度，抽搐了五分钟"
    assert "febrile_convulsion" in fired(text, 3)


def test_a_bare_repeat_of_back_pain_keeping_one_off_the_back_is_not_orthopnoea() -> None:
    assert not emergency("腰疼不能平躺一周了，不能平躺，翻身也疼", 70)


def test_spotting_for_days_after_emergency_contraception_is_not_uncontrolled() -> None:
    assert not emergency("上周吃了紧急避孕药，这几天一直滴滴答答出血不止，咖啡色的", 24, "F")


def test_blood_mixed_into_discharge_is_not_an_injury() -> None:
    text = "怀孕7周，褐色分泌物中间夹杂一点红色，出血不止，不疼"
    assert "uncontrolled_wound_bleeding" not in fired(text, 28, "F")
