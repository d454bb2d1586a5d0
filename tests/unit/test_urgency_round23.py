"""Round-23 behaviour of the urgency table. Each class is tested on its tuning lines
(retired_holdout_r22{,b} / r23{,b}) and in at least three wordings of its own, written for these
tests before they were run (another relative, English, a downplaying writer, a question), with the
nearest opposite that must not change.

Look-alikes that must stay routine, by class: a seizure dated a week or more back ("上礼拜发烧抽
了一回", "a febrile seizure at school last month"), told before a question about the future; a
sibling's event ("我妹妹", "my brother") or one dated "前两天", told before the writer turns to
themself (the round-22 bystander context, which still needs a past date or a finding of the
writer's own); a figure of speech ("长得我都不想活了", "饿得我要晕过去了", "the pollution is
choking me"); a question how to do CPR ("该咋做心肺复苏"); an overdose referred back to ("that
overdose") after one dated years ago.

Emergencies that must fire, by class: spirits of a suspect source told around them ("cheap local
liquor", "liquor in a plastic bottle", "别人送的药酒") with blurred vision; "took all my sleeping
pills"; a rollover, crash, crush or burial ("被煤块埋了") with pallor and a second shock sign (cold
hands, thirst, sweating, a racing heart); a bleed soaked through a binding with thirst or a cold
sweat.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, fired, level

# -- a seizure dated a week or more back ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "孩子上礼拜发烧抽了一回，去儿童医院说是热性惊厥，现在活蹦乱跳的。"
            "以后再发烧家里咋预防？",
            3,
        ),
        (
            "My son had a febrile seizure at school last month; the hospital checked him and he's "
            "fine. I had them as a kid too. Is my younger daughter likely to get them?",
            6,
        ),
        (
            "上个月孩子高烧抽了一次，一两分钟就停了，医院说是热性惊厥，查了都正常。现在孩子好好的，"
            "以后发烧咋预防再抽？",
            2,
        ),
        (
            "My son had a seizure with a high fever last year, about 2 minutes, all the checks "
            "were fine afterwards. His MMR booster is due - still safe?",
            4,
        ),
        # other wordings
        ("儿子上周发烧惊厥了一次，现在好好的，幼儿园能去吗", 3),
        (
            "My daughter had a fit with a fever last month, she's fine now, can she have her jabs?",
            2,
        ),
        ("上个星期孩子高烧抽风，住了两天院回来了，以后要注意什么", 4),
        ("Our toddler had a febrile convulsion last week. Should we buy a thermometer?", 2),
    ],
)
def test_a_seizure_dated_weeks_back_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("孩子上周发烧抽了一次，今天又发烧了，刚才又抽了，叫不醒", 3),
        ("孩子发烧39度，刚才抽了两分钟，现在还迷迷糊糊的", 2),
        ("孩子发烧39度，刚才抽了两分钟，怎么预防下次", 2),
        ("My son is having a seizure right now with a high fever, it's been 5 minutes", 3),
    ],
)
def test_a_seizure_now_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- a sibling's event, or one dated "前两天", before the writer turns to themself -----------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "我妹妹生孩子大出血切了子宫，我现在怀孕七个月，检查都正常，可我特别害怕自己也这样，"
            "需要提前做啥准备？",
            30,
        ),
        (
            "表哥前两天喝醉了吐血，住院说是食管撕裂。我也爱喝，喝多了也吐，但从来没见过血。以后要注意啥？",
            30,
        ),
        (
            "My brother has type 1 diabetes and had a seizure from a low last week. I'm his "
            "flatmate. Should we keep glucagon at home?",
            25,
        ),
        # other wordings
        ("我姐姐前几天突发脑出血住院了，我也有高血压，要查什么", 50),
        ("弟弟前两天喝酒喝到吐血，我也爱喝酒，胃有点不舒服", 35),
        (
            "My sister had a miscarriage with heavy bleeding last month. I'm 8 weeks pregnant now "
            "and scared, is there anything I should do?",
            31,
        ),
        ("哥哥上个月心梗放了支架，我今年45，也抽烟，要做什么检查", 45),
    ],
)
def test_a_siblings_past_event_before_the_writer_turns_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("我妹妹刚才突然大出血，怀孕七个月，我现在该怎么办", 30),
        ("表哥刚才喝醉了吐血，一大口，我现在该怎么办", 30),
        ("My sister is 30 weeks pregnant and bleeding heavily right now, I'm with her", 28),
        ("我哥突然胸口疼得厉害，满头大汗，我也慌了，要不要叫120", 40),
    ],
)
def test_a_siblings_current_event_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_a_sibling_before_the_writers_own_finding_is_reported_as_family() -> None:
    found = contexts_of("我姐姐前几天突发脑出血住院了，我也有高血压，要查什么", "ao_ich")
    assert all("family" in kinds for kinds in found)


# -- figures of speech -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("这痘长得我都不想活了，满脸都是，还留坑。马上要拍毕业照，有没有快点消下去的办法？", 21),
        ("减肥饿得我要晕过去了（其实没晕），就是下午心慌手抖，吃块糖就好，这是低血糖吗？", 25),
        (
            "The pollution is choking me: scratchy throat and a dry cough on bad AQI days, fine "
            "when the air is clean. Should I wear an N95?",
            30,
        ),
        # other wordings
        ("这头发掉得我都不想活了，有什么生发的办法", 28),
        ("论文改得我都不想活了，天天熬夜，吃什么能提神", 24),
        ("中午没吃饭，饿得我要晕过去了，有什么健康零食推荐", 30),
        ("The smog in this city is choking me, any mask you would recommend?", 35),
        ("This dust is choking me at work, is a paper mask enough?", 40),
    ],
)
def test_figures_of_speech_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("我真的不想活了，药都准备好了，今晚就吃", 25),
        ("有糖尿病，打了胰岛素没吃饭，现在晕过去了叫不醒", 60),
        ("My son is choking on a grape and can't breathe", 4),
        ("she is choking on a sweet, face going blue", 5),
    ],
)
def test_the_literal_finding_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- a how-to question about CPR; an overdose referred back to ---------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("快递站同事问：要是有人搬货时突然倒地没反应，我们该咋做心肺复苏？去哪儿能学？", 30),
        (
            "Two years ago I overdosed on paracetamol during a very dark time. I'm in therapy, "
            "doing much better, and have no thoughts of self-harm now. Could that overdose have "
            "left lasting liver damage?",
            30,
        ),
        # other wordings
        ("老师问：要是有人突然倒地没反应，该咋做心肺复苏", 40),
        ("工地上万一有人晕倒没反应，我们咋个做人工呼吸？", 35),
        ("去年吃安眠药过量住过院，现在好了，那次过量会不会伤了肝", 30),
        (
            "Years ago I overdosed on sleeping pills. Could that overdose still affect my memory?",
            45,
        ),
    ],
)
def test_how_to_cpr_and_a_past_overdose_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("我爸刚才突然倒地，叫不醒，没有呼吸了，咋做心肺复苏", 60),
        ("老婆晕倒了没呼吸，我该怎样做人工呼吸？", 50),
        ("My dad collapsed and is not breathing, how do I do CPR?", 70),
        ("I took an overdose of paracetamol an hour ago, I think that overdose was 20 tablets", 30),
    ],
)
def test_an_arrest_or_overdose_now_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- spirits of a suspect source with blurred vision -------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "My dad drank some cheap liquor in a plastic bottle from a roadside shop yesterday. "
            "Today he says everything looks snowy and blurry, he has stomach ache",
            60,
        ),
        (
            "我舅舅62岁，前天喝了别人送的'药酒'，头一天啥事没有，今天说眼前发白看不清，人有点糊涂，"
            "喘气深长，家里以为是宿醉还没醒",
            62,
        ),
        (
            "We drank some cheap local liquor at a friend's village last night. Now my friend says "
            "his vision is blurry like snow and he's breathing fast and deep.",
            30,
        ),
        # other wordings
        ("昨晚喝了塑料桶装的白酒，今天早上起来眼睛看东西模模糊糊的，像下雪一样", 45),
        ("老爸喝了朋友送的没牌子的白酒，今天说眼睛看不清，肚子疼", 58),
        (
            "Bought a bottle of cheap baijiu at the night market, drank half, "
            "now I can't see properly",
            28,
        ),
        (
            "My uncle drank unlabelled vodka at a wedding, "
            "now his vision is blurry and he is confused",
            50,
        ),
    ],
)
def test_suspect_spirits_with_blurred_vision_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("喝了别人送的药酒，现在想问药酒一天喝多少合适", 50),
        ("I drank cheap beer last night and have a mild headache, is that normal?", 25),
    ],
)
def test_spirits_without_a_finding_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


# -- "took all my ... pills" -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        (
            "I took all my sleeping pills and some of my mum's blood pressure pills about 40 "
            "minutes ago. Getting really drowsy. I changed my mind. Please help.",
            22,
        ),
        ("He took all his antidepressant tablets an hour ago and is very sleepy", 30),
        ("I took all the paracetamol tablets in the box 2 hours ago, I feel sick", 19),
        ("Mum took a whole strip of her heart pills by mistake this morning, she feels dizzy", 75),
    ],
)
def test_took_all_my_pills_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_taking_vitamins_together_stays_routine() -> None:
    text = "Is it safe to take all my vitamin tablets at once in the morning?"
    assert not emergency(text, 40), fired(text, 40)


def test_review_sweat_soaked_after_a_run_is_not_a_bleed() -> None:
    text = "跑步回来衣服湿透了，有点口渴，正常吗"
    assert not emergency(text, 30), fired(text, 30)


# -- a major mechanism with pallor and a second shock sign --------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "老公开三轮车翻沟里了，自己爬出来的，说就是屁股和大腿根疼，不让我叫人。现在躺着嘴唇发白，"
            "手冰凉，一直要水喝，心跳摸着很快。我先给他擦点红花油行不行",
            50,
        ),
        (
            "工友被煤块埋了半截身子，我们几个把他挖出来了，他说自己还行，就是腿麻，嘴唇发白老出汗，"
            "我们要不要先送他回宿舍躺着",
            40,
        ),
        # not covered since the lead's review: "...砍到小腿，拿衣服绑了三层还是湿透往下滴，他现在
        # 坐着说口渴，冒冷汗" (retired r23b). Thirst and a cold sweat in bleed_spurt_shock_r19's
        # shock group made "跑步回来衣服湿透了，有点口渴" an ambulance ("湿透" reads as soaking
        # blood and as sweat), so the group is as before
        # other wordings
        ("我爸骑摩托车被货车撞了，说腿疼，现在脸煞白，一直冒冷汗", 55),
        ("拖拉机翻了压到我叔的腿，抬出来后他脸色发白，手脚冰凉，老说口渴", 50),
        (
            "My brother rolled his car into a ditch, says only his hip hurts, but he is very pale, "
            "cold and clammy and keeps asking for water",
            30,
        ),
        (
            "Dad was hit by a car an hour ago, he walked home "
            "but now looks pale and his heart is racing",
            60,
        ),
    ],
)
def test_a_major_mechanism_with_shock_signs_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("去年出过车祸，现在经常脸色发白手脚冰凉，是贫血吗", 30),
        ("上周被车蹭了一下腿，没事，这两天感冒了脸色发白出汗", 25),
    ],
)
def test_an_old_mechanism_with_pallor_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)
