"""Round-13 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): the emergencies the round-12 writers described in their own words fire as
classes, and the look-alikes beside them (and the readings that must not fire) stay routine."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired
from triage.urgency.values import _ages_at_event, parse_values

# -- emergencies told without the alarm words -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "甲亢两年了，今天中午吃了两大碗米饭，下午突然双腿抬不起来，站不起来",
        "Woke up at 5am and couldn't lift my legs, last night was a huge meal with lots of rice",
    ],
)
def test_legs_failing_after_a_carbohydrate_load_is_periodic_paralysis(text: str) -> None:
    assert emergency(text, 28, "M")


def test_weak_legs_after_a_long_walk_without_a_trigger_stay_routine() -> None:
    assert not emergency("爬了一天山，今天两条腿酸得很，下楼梯腿软", 30)


@pytest.mark.parametrize(
    "text",
    [
        "昨晚喝多了压着右手睡了一夜，今天前臂肿得发亮，手指一动就痛得叫",
        "My leg was pinned under a fallen shelf for an hour, now the calf is swollen tight, numb",
    ],
)
def test_a_compressed_limb_swollen_tight_is_compartment_syndrome(text: str) -> None:
    assert emergency(text, 40)


@pytest.mark.parametrize(
    "text",
    [
        "周末吃了一大盆小龙虾，今天浑身肌肉酸痛，尿出来像浓茶",
        "After the crawfish boil yesterday every muscle aches and my pee is dark brown",
    ],
)
def test_muscle_pain_and_dark_urine_after_crayfish_is_haff_disease(text: str) -> None:
    assert "rhabdomyolysis_dark_urine" in fired(text, 35)


def test_crayfish_with_an_itch_only_is_not_rhabdomyolysis() -> None:
    assert not emergency("吃了小龙虾以后身上有点痒，起了几个小红疙瘩", 30)


def test_a_replacement_steroid_vomited_back_is_an_adrenal_crisis() -> None:
    text = "肾上腺切除后一直吃氢化可的松，这两天吃的药都吐出来了，头晕站不住"
    assert "adrenal_crisis_steroid_stopped" in fired(text, 50)


@pytest.mark.parametrize(
    "text",
    [
        "两周前拉肚子，这几天脚趾发麻，今天上楼梯都上不去",
        "Had the flu ten days ago, now pins and needles in my feet and my legs are getting weak",
    ],
)
def test_tingling_then_weak_legs_after_an_infection_is_guillain_barre(text: str) -> None:
    assert "post_infectious_ascending_weakness" in fired(text, 45)


def test_tired_legs_after_a_cold_without_tingling_stay_routine() -> None:
    assert not emergency("感冒好了以后一直没劲，走路没力气，要不要补点维生素", 45)


@pytest.mark.parametrize(
    "text",
    [
        "孩子有地中海贫血，这次发烧后脸色白得吓人，一直喊累",
        "My daughter has sickle cell and since the fever she is ghostly pale and breathing quickly",
    ],
)
def test_a_haemolytic_anaemia_with_profound_pallor_is_an_emergency(text: str) -> None:
    assert "haemolytic_anaemia_crisis" in fired(text, 8)


def test_a_thalassaemia_carrier_asking_about_pregnancy_stays_routine() -> None:
    assert not emergency("我是轻型地贫携带者，准备怀孕，需要做什么检查", 28, "F")


@pytest.mark.parametrize(
    "text",
    [
        "吃了邻居钓的鸡泡鱼，现在嘴唇好麻，手指也麻",
        "We had fugu at a friend's place and now my lips and tongue are tingling",
    ],
)
def test_numbness_after_pufferfish_calls_an_ambulance(text: str) -> None:
    assert "neurotoxin_numbness_now" in fired(text, 40)


def test_numb_mouth_from_sichuan_pepper_is_not_poisoning() -> None:
    assert not emergency("吃了麻辣火锅嘴巴麻麻的，正常吗", 30)


def test_a_gulp_of_weedkiller_liquid_calls_an_ambulance() -> None:
    assert "herbicide_swallowed" in fired("外公把打草水当成饮料喝了一口，吐掉了，说嘴里烧", 70)


@pytest.mark.parametrize(
    "text",
    [
        "老公吃了朋友给的壮阳药，已经六个小时了下面还没消，很痛",
        "He's had a painful erection for hours after a penile injection, not going down",
    ],
)
def test_an_erection_for_hours_is_priapism(text: str) -> None:
    assert emergency(text, 45, "M")


def test_fever_broken_then_cold_hands_and_fainting_is_dengue_shock() -> None:
    text = "登革热第五天今天烧退了，但是一直吐，手脚冰凉，站起来眼前一黑"
    assert emergency(text, 30)


def test_a_fever_that_broke_with_nothing_else_stays_routine() -> None:
    assert not emergency("孩子感冒发烧两天，今天烧退了，精神也好，还要吃药吗", 5)


def test_startles_in_a_child_with_hand_foot_and_mouth_calls_an_ambulance() -> None:
    text = "儿子得了手足口病，昨晚睡觉一惊一跳的，手脚一抖一抖"
    assert "hfmd_neurological" in fired(text, 3)


def test_mild_hand_foot_and_mouth_stays_routine() -> None:
    assert not emergency("宝宝手足口病第二天，手上有几个小疹子，吃饭有点疼，精神还好", 2)


@pytest.mark.parametrize(
    "text",
    [
        "月经晚了十天，今天小肚子一侧剧痛，右边肩膀也痛，站起来眼前发黑",
        "My period's late, sudden pain low in my belly, my shoulder aches, I go grey when I stand",
    ],
)
def test_a_late_period_with_pain_and_faintness_is_a_ruptured_ectopic(text: str) -> None:
    assert emergency(text, 27, "F")


def test_travel_then_breathless_and_fainting_is_pulmonary_embolism() -> None:
    text = "Back on a long-haul flight from Sydney, now I'm out of breath walking and fainted once"
    assert "pe_after_travel" in fired(text, 50)


def test_an_oyster_cut_turning_purple_with_blisters_and_chills_is_vibrio() -> None:
    text = "开生蚝的时候划破手，今天整只手肿得发紫，起了血泡，发冷"
    assert "vibrio_wound_infection" in fired(text, 58)


def test_a_healing_shell_cut_stays_routine() -> None:
    assert not emergency("上周在海边被贝壳划了一下，现在结痂了，有点痒", 30)


def test_jaundice_rigors_and_confusion_is_severe_cholangitis() -> None:
    text = "外公有胆结石，今天打寒战，眼睛黄了，说话糊里糊涂，不认识我了"
    assert "cholangitis_confusion" in fired(text, 80)


def test_hot_dry_skin_and_confusion_is_heat_stroke() -> None:
    text = "工人中午在太阳底下干活，一点汗都没有，浑身滚烫，叫他说话颠三倒四"
    assert emergency(text, 45)


def test_a_sudden_pain_with_a_grey_sweaty_collapse_in_liver_cancer_calls_an_ambulance() -> None:
    text = "爸爸有肝癌，刚才突然右上腹剧痛，脸色发灰，手冰凉"
    assert "liver_disease_sudden_pain_shock" in fired(text, 62)


def test_a_potassium_sparing_drug_with_a_slow_pulse_and_weakness_is_hyperkalaemia() -> None:
    text = "奶奶在吃螺内酯，今天手没劲，脉搏只有42"
    assert "potassium_load_bradycardia_weak" in fired(text, 80)


@pytest.mark.parametrize(
    "text",
    [
        "老伴腰椎间盘突出，今天说坐马桶那一圈是木的，尿不出",
        "腰痛好几天，今天擦屁股的时候感觉那里木木的，尿了没有都不知道",
    ],
)
def test_saddle_numbness_told_plainly_is_cauda_equina(text: str) -> None:
    assert emergency(text, 55)


def test_buttock_numbness_from_sciatica_stays_routine() -> None:
    assert not emergency("腰间盘突出，屁股和大腿后面麻，能保守治疗吗", 50)


def test_a_pesticide_smell_with_pinpoint_pupils_calls_an_ambulance() -> None:
    text = "他身上一股农药味，瞳孔很小，口吐白沫"
    assert "organophosphate_cholinergic" in fired(text, 40)


def test_rust_remover_on_the_skin_with_pain_out_of_proportion_is_hf_burn() -> None:
    text = "用除锈剂的时候溅到手指上，皮肤看着没事但是痛得受不了"
    assert "hydrofluoric_contact_symptoms" in fired(text, 40)


def test_cold_water_feeling_hot_after_a_grouper_is_ciguatera() -> None:
    text = "前天吃了一条大石斑鱼，现在摸冷水觉得烫手，嘴唇发麻"
    assert "ciguatera_reef_fish" in fired(text, 60)


def test_a_black_scab_with_fever_after_fieldwork_is_scrub_typhus() -> None:
    text = "在山里割草后发烧五天，大腿根发现一个黑痂，不痛不痒"
    assert "scrub_typhus_eschar" in fired(text, 55)


def test_a_fish_bone_then_fever_and_back_pain_is_a_perforation() -> None:
    text = "两天前吃鱼被鱼刺卡了，硬吞饭咽下去，今天吞东西好痛，发烧"
    assert "fishbone_then_fever_or_back_pain" in fired(text, 50)


def test_sudden_back_pain_then_a_cold_paralysed_leg_calls_an_ambulance() -> None:
    text = "高血压，刚才突然腰背剧痛，右腿冰凉动不了"
    assert "sudden_back_pain_leg_ischaemia" in fired(text, 65)


def test_cyanosis_after_leftover_greens_in_a_group_is_nitrite_poisoning() -> None:
    text = "饭堂吃完饭，同桌好几个人嘴唇发紫、头晕"
    assert emergency(text, 35)


@pytest.mark.parametrize(
    "text",
    [
        "我想了结自己，药都准备好了",
        "I'm ending it all, I wrote a note for my kids",
    ],
)
def test_suicide_told_as_ending_it_with_a_plan_calls_an_ambulance(text: str) -> None:
    assert "suicidal_with_plan" in fired(text, 30)


# -- history, care already given, idioms ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # an age at the event, told against the age now
        "I had a seizure with a fever at 3 and I'm 22 now, can I learn to scuba dive?",
        "She had a febrile convulsion at 18 months, she's 5 now. Any risk with the flu jab?",
        "My husband had a cardiac arrest at the age of 40, he has a defibrillator, is the gym ok?",
        # care already given: discharged, a workup, seen in the emergency room
        "I was discharged after an asthma attack last week, breathing is fine now",
        "在医院住了一周，因为心梗放了支架，现在恢复得不错，能开车吗",
        "儿子抽筋那次急诊看过了，医生说是单纯性热性惊厥，要不要查脑电图",
        # a past event told as "那件事"
        "割腕那件事已经过去半年了，现在在吃药，心情稳定，想问能不能停药",
        # "years back" in a bracket
        "Years back I vomited blood from an ulcer (had a transfusion). Is aspirin ok for me?",
        # a blocked nose "about to suffocate"
        "鼻子塞得快要窒息了，过敏性鼻炎又犯了，有什么喷剂",
        "My nose is so blocked I can't breathe at night, what decongestant is safe?",
    ],
)
def test_history_care_given_and_idioms_stay_routine(text: str) -> None:
    assert not emergency(text, 30)


def test_a_seizure_now_in_a_child_with_fever_still_fires() -> None:
    assert emergency("孩子发高烧，刚才抽了两分钟，现在还迷糊", 2)


def test_an_asthma_attack_now_still_fires() -> None:
    assert emergency("哮喘急性发作，喷了药也喘不上气，说话说不完整", 30)


# -- ages at an event --------------------------------------------------------------------------


def test_an_age_in_months_at_an_event_is_an_old_date() -> None:
    assert [v.value for v in _ages_at_event("had a seizure at 14 months")] == [365.0]


def test_a_bare_age_at_an_event_needs_a_larger_age_now() -> None:
    assert [v.value for v in _ages_at_event("a collapse at 19, i'm 27 now")] == [8 * 365.0]
    assert _ages_at_event("a collapse at 19") == []


@pytest.mark.parametrize(
    "text",
    [
        "chest pain started at 3 am, i'm 45",
        "pain began at 19:30, he's 60",
        "at 19 weeks pregnant i'm 30 now",
        "he was bleeding at 8 this morning, he's 70",
    ],
)
def test_clock_times_and_pregnancy_weeks_are_not_ages_at_an_event(text: str) -> None:
    assert _ages_at_event(text) == []


def test_parse_values_reads_ages_at_an_event() -> None:
    assert any(v.name == "ago_days" for v in parse_values("a febrile seizure at age 2"))
