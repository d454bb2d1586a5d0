"""Round-12 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): the emergencies the round-11 writers described in their own words fire as
classes, and the look-alikes beside them (and the readings that must not fire) stay routine."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.urgency_cases import emergency, fired, level
from triage.urgency.values import _calendar_years, parse_values

# -- emergencies told without the alarm words -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm 37 weeks and I have hardly felt her kick all afternoon, is that ok?",
        "32 weeks pregnant, haven't really noticed the baby moving since breakfast",
    ],
)
def test_barely_feeling_the_baby_move_late_in_pregnancy_is_an_emergency(text: str) -> None:
    assert emergency(text, 30, "F")


def test_feeling_the_baby_move_normally_stays_routine() -> None:
    text = "36 weeks pregnant, felt the baby kicking a lot tonight, is heartburn normal?"
    assert not emergency(text, 30, "F")


def test_a_coin_cell_told_by_its_look_is_a_battery() -> None:
    text = (
        "The flat shiny disc from the TV remote is gone and my 3 year old is dribbling"
        " and won't eat"
    )
    assert emergency(text, 3)


@pytest.mark.parametrize(
    "text",
    [
        "下班路上被一条野狗咬了小腿，咬破皮出血了，以前没打过狂犬疫苗",
        "A stray cat bit my thumb at the market an hour ago, it drew blood. What should I do?",
        "遛弯的时候不知道谁家的狗扑过来咬了一口，手背流血了，狗跑掉了",
    ],
)
def test_a_bleeding_bite_by_an_animal_nobody_can_watch_is_a_rabies_emergency(text: str) -> None:
    assert "rabies_exposure_bite_bleeding" in fired(text, 35)


@pytest.mark.parametrize(
    "text",
    [
        # our own vaccinated dog, no broken skin: observe, routine
        "我家狗打过疫苗，玩的时候牙齿碰了一下手，没破皮，要紧吗",
        # a stray bite already handled: the schedule question is not an emergency
        "上周被流浪狗咬出血，当天已经打了狂犬疫苗和免疫球蛋白，第二针什么时候打",
        # asking ahead of time
        "如果被流浪猫咬出血了要怎么处理，想提前了解一下",
    ],
)
def test_bites_without_a_fresh_unhandled_exposure_stay_routine(text: str) -> None:
    assert "rabies_exposure_bite_bleeding" not in fired(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "闺女七个月，下午开始吃奶只吃一两口就扭头，脸色发白，心率手表测出来二百三",
        "宝宝3个月，今天奶都不吃了，一身冷汗，贴着胸口感觉心跳快得数不清",
    ],
)
def test_an_infant_with_a_racing_heart_and_poor_feeding_calls_an_ambulance(text: str) -> None:
    assert level(text, 0) == "emergency_ambulance"


def test_a_racing_heart_in_an_adult_after_exercise_is_not_the_infant_rule() -> None:
    text = "跑完步心跳一分钟两百多，脸发白，歇了一会就好了"
    assert "infant_very_fast_heart_unwell" not in fired(text, 25)


def test_wheeze_days_after_choking_on_a_nut_is_a_retained_foreign_body() -> None:
    text = "儿子3岁，大前天吃花生呛到过，当时咳几下好了，这两天咳个不停，今天呼吸带哨音"
    assert "airway_foreign_body_after_choking" in fired(text, 3)


def test_a_cough_after_a_cold_without_choking_is_not_a_foreign_body() -> None:
    text = "孩子3岁，感冒一周了，咳嗽有痰，晚上有点喘"
    assert "airway_foreign_body_after_choking" not in fired(text, 3)


def test_more_bleeding_days_after_delivery_with_palpitations_calls_an_ambulance() -> None:
    text = "剖完第十二天，这两天恶露又多了，还有血块，走几步就喘，心慌"
    assert level(text, 29, "F") == "emergency_ambulance"


def test_normal_lochia_tapering_after_delivery_stays_routine() -> None:
    assert not emergency("产后三周，恶露越来越少了，颜色变淡，正常吗", 28, "F")


@pytest.mark.parametrize(
    "text",
    [
        "我爷爷82了，最近老说眼前发黑，今天我数他脉搏，一分钟才二十几下",
    ],
)
def test_a_pulse_counted_in_the_twenties_or_thirties_with_blackouts_fires(text: str) -> None:
    assert emergency(text, 82)


def test_a_day_count_since_birth_is_postpartum() -> None:
    text = "媳妇五天前在镇医院生的孩子，刚才下床一下子流了好多血，卫生巾全湿透了，头晕"
    assert level(text, 27, "F") == "emergency_ambulance"


def test_missed_dialysis_days_are_the_risk_not_a_chronic_symptom() -> None:
    text = "我妈尿毒症透析，过节停诊，已经六天没透了，今天腿软得走不了路，心跳乱"
    assert "dialysis_missed_symptoms" in fired(text, 70)


def test_a_dialysis_patient_asking_about_diet_stays_routine() -> None:
    assert not emergency("我爸规律透析五年了，平时能吃香蕉吗", 68)


def test_a_finger_sawn_off_is_an_amputation() -> None:
    assert emergency("干木工活的时候右手食指被电锯锯掉了半截，用毛巾包着", 50)


def test_an_operation_to_cut_out_an_ulcer_is_not_an_amputation() -> None:
    assert not emergency("胃溃疡好几年了，医生建议手术切掉一部分胃，想咨询一下", 55)


def test_an_arm_pulled_into_a_machine_with_a_belt_tourniquet_is_an_emergency() -> None:
    text = (
        "My brother's sleeve got caught in the conveyor roller, his arm is mangled, we tied"
        " a belt above the elbow"
    )
    assert emergency(text, 40)


def test_a_mouthful_of_weedkiller_calls_an_ambulance() -> None:
    text = "我奶奶把兑在矿泉水瓶里的除草剂当水抿了一口，吐出来了"
    assert level(text, 75) == "emergency_ambulance"


def test_spraying_weedkiller_without_drinking_it_is_not_the_ingestion_rule() -> None:
    text = "今天在院子里喷了除草剂，戴了口罩手套，晚上需要注意什么"
    assert "herbicide_swallowed" not in fired(text, 45)


def test_pinpoint_pupils_after_spraying_insecticide_is_poisoning() -> None:
    text = "我爸给果树打虫药回来，满头大汗，一直流口水，瞳孔小得跟针尖一样"
    assert emergency(text, 58)


def test_cold_and_slow_after_a_night_without_heating_is_hypothermia() -> None:
    text = "外婆家暖气坏了一晚上，早上她浑身冰凉，也不哆嗦，问话反应慢半拍"
    assert emergency(text, 86)


def test_a_whole_box_of_pills_swallowed_is_an_overdose() -> None:
    assert emergency("我弟把一整盒安定全吃了，现在很困", 19)


def test_a_sulfonylurea_user_who_gets_names_wrong_and_sweats_is_hypoglycaemic() -> None:
    text = "我姥姥吃格列齐特，今天没怎么吃饭，满身虚汗，把我认成我妈了"
    assert emergency(text, 80)


# -- look-alikes that stay routine --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # a transient ischaemic attack dated by a calendar year, years ago
        "I had a TIA in 2016 and I've been fine since, can I fly long haul?",
        "2018年得过一次小中风，现在一直吃阿司匹林，没有不舒服，能喝咖啡吗",
        # an overdose told as treated history
        "Took too many paracetamol at 16, was treated in A&E, I'm 30 and well now. Ibuprofen ok?",
        # hypothetical framing and "would that be ..."
        "Purely hypothetically, if mum took her blood pressure tablet twice, would that be bad?",
        # figures of speech
        "We laughed so hard we couldn't breathe at the party, now my stomach muscles ache",
        "Ate a ghost pepper wing, my mouth is on fire, will milk help?",
        # a household chemical on the skin, rinsed, only pink
        "Got toilet cleaner on my wrist, washed it off right away, skin slightly pink, no pain",
        # blinded long ago by a named chronic eye disease
        "我姥姥白内障瞎了一只眼好多年了，我需要定期查眼睛吗",
        # a few streaks of blood after retching, then settled
        "Retched a lot with a stomach bug, saw specks of blood in the vomit once, fine now",
    ],
)
def test_history_hypotheticals_idioms_and_minor_findings_stay_routine(text: str) -> None:
    assert not emergency(text, 40)


def test_a_real_tia_today_still_fires() -> None:
    text = "I think I just had a mini stroke, my arm went numb for ten minutes this morning"
    assert emergency(text, 66)


def test_a_real_chemical_burn_still_fires() -> None:
    text = "Drain cleaner splashed on my forearm, the skin is white and it burns badly"
    assert emergency(text, 35)


def test_a_real_sudden_loss_of_vision_still_fires() -> None:
    assert emergency("我妈今天早上右眼突然看不见了", 70)


def test_vomiting_a_cupful_of_blood_still_fires() -> None:
    assert emergency("Just vomited a cup of bright red blood and feel faint", 55)


# -- a calendar year as a date ------------------------------------------------------------


def test_a_calendar_year_before_this_one_is_an_old_date() -> None:
    today = date(2026, 12, 4)
    assert [v.value for v in _calendar_years("had a stroke in 2019", today)] == [7 * 365.0]
    assert [v.value for v in _calendar_years("2020年做过支架", today)] == [6 * 365.0]


@pytest.mark.parametrize(
    "text",
    [
        "2026年12月3日开始胸痛",
        "孩子2021年出生",
        "born in 2020",
        "in 2026 it started",
        "code 12021年",
    ],
)
def test_full_dates_birth_years_and_this_year_are_not_old_dates(text: str) -> None:
    assert _calendar_years(text, date(2026, 12, 4)) == []


def test_parse_values_reads_calendar_years() -> None:
    assert any(v.name == "ago_days" for v in parse_values("mini stroke in 2012"))


def test_an_unleashed_dog_that_ran_off_is_still_a_bite() -> None:
    text = "刚在小区被一只没牵绳的狗咬了脚踝，破皮出血，狗跑没影了"
    assert "rabies_exposure_bite_bleeding" in fired(text, 40)


def test_a_leash_is_not_a_negation_of_the_symptom() -> None:
    assert emergency("我爸被邻居家没拴的狗咬了脸，伤口很深", 60)


@pytest.mark.parametrize(
    "text",
    [
        "Had 14 of the 500mg ones over the day for my toothache, now my stomach hurts",
        "my son swallowed 25 maximum-strength panadol an hour ago",
    ],
)
def test_a_count_of_painkiller_tablets_told_around_the_drug_is_an_overdose(text: str) -> None:
    assert "overdose_tablet_count" in fired(text, 30)


def test_two_tablets_of_a_painkiller_stay_routine() -> None:
    assert not emergency("Took two of the 500mg ones for my headache, is that ok with coffee?", 30)


def test_a_strength_between_count_and_drug_is_still_a_count() -> None:
    counts = [v.value for v in parse_values("took 12 500mg pills") if v.name == "tablet_count"]
    assert counts == [12.0]
