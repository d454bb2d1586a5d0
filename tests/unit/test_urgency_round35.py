"""Round-35 behaviour of the urgency table's context layer (data/contexts.json). Each class was
written from the rules' look-alike false alarms on retired_holdout_r29{,b} .. r35{,b} and is tested
here in wordings of its own, written for these tests, with the nearest opposite that must not
change (the same finding as the patient's own current emergency).

Look-alikes now read as someone else's, prepared-for, handled or past events:
- another person's event told as over or dated, before the writer turns to themself or their own
  child: more third parties ("楼下", "楼上", "我哥", "我姐", "有个小朋友"), more turns ("my son",
  "our daughter", "we all", "我女儿"), more ways to say it is over ("needed surgery", "he's fine",
  "母子平安", "被救护车接走", "走了"), and news stories ("看新闻", "in the news") as family cues;
- a question asked ahead of time (framing: "提前问问", "想提前知道", "心里有个数", "for future
  reference"), which still yields to "现在"/"right now". The tuner's trip and "ordinary person"
  cues ("下周要去", "周末要去", "普通人", ...) were taken out in review: framing covers the whole
  complaint, and they silenced a current emergency told without "现在" (the three
  `FRAMING_WITH_A_CURRENT_EMERGENCY` cases below);
- an event already handled in care ("在消化科住院", "烧伤科住着", "psychiatric ward",
  "admitted for", "急诊看过", "急诊查了", "the er checked", "挂了葡萄糖");
- a childhood event dated by an age ("一岁多的时候", "半岁时", "when he was two") or told as
  once ("中毒过一回").
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, level

# (text, age, sex): look-alikes the starting table raised or might raise; each stays routine
ROUTINE = [
    # another person's event, over or dated, then the writer's own turn
    ("楼下大爷前天煤气中毒送去医院了，我家也烧煤炉，我现在好好的，要装报警器吗", 35, "M"),
    (
        "Our neighbour's son swallowed a magnet and needed surgery. My daughter is three, how"
        " do I childproof the house?",
        33,
        "F",
    ),
    (
        "My buddy had a seizure at the gym last week and he's fine now. My son wants to join"
        " that gym, is it safe?",
        45,
        "M",
    ),
    ("我哥上个月脑出血走了，我也有点高血压，需要查什么", 48, "M"),
    ("儿子学校有个同学上周跳楼了，我儿子这几天睡不着，要看心理医生吗", 40, "F"),
    ("看新闻说有人在家烧炭一氧化碳中毒，我们家冬天也烧炭，要注意什么", 50, "M"),
    ("楼下阿婆煤气中毒被救护车接走了，我家也是燃气热水器，要不要查查", 40, "F"),
    (
        "My neighbour's toddler had a febrile seizure and is fine now. My son has a cold, no"
        " fever. Is he at risk?",
        35,
        "F",
    ),
    (
        "A teammate collapsed with heat stroke at practice and needed surgery for his kidneys."
        " My son plays too, how do we keep him safe?",
        45,
        "M",
    ),
    ("我姐生二胎时大出血，好在母子平安。我现在也怀孕了，产检都正常，会遗传吗", 30, "F"),
    # a question asked ahead of time
    ("被毒蛇咬了应该怎么处理？周末要去山里徒步，提前问问。", 30, "M"),
    ("生完孩子出血多少算大出血？想提前知道，心里有个数", 29, "F"),
    ("小孩高热惊厥了家长该做什么？提前问一下", 30, "F"),
    # already handled in care
    ("爸爸因为消化道大出血在消化科住院，现在能喝点粥吗", 70, "M"),
    ("昨天孩子误吞了洗衣凝珠，急诊查了说量很少，现在吃喝正常，要复查吗", 2, "F"),
    ("我在烧伤科住着，腿上烫伤换药换了一周了，什么时候能洗澡", 40, "M"),
    ("孩子烫伤在烧伤科住着，大面积的，现在能吃海鲜吗", 5, "M"),
    (
        "My son is on the psychiatric ward after an overdose, doing better. Can he have his phone?",
        50,
        "F",
    ),
    (
        "Dad is admitted for tests after a seizure on Monday. Can we bring him his own pillow?",
        40,
        "M",
    ),
    ("低血糖晕过去了一次，挂了葡萄糖就好了，现在能上班吗", 30, "F"),
    ("我妈脑出血在神经外科住院，现在能吃水果吗", 45, "F"),
    # a childhood event dated by an age, or told as once
    ("女儿一岁多的时候高热惊厥过，现在四岁，打疫苗要注意什么", 4, "F"),
    (
        "He had a febrile seizure when he was two, he's seven now. Can he do swimming lessons?",
        7,
        "M",
    ),
    ("年轻时家里烧煤一氧化碳中毒过一回，现在记性差是那次落下的吗", 60, "F"),
    ("儿子半岁时发烧抽过一次，现在三岁了，这次发烧要提前吃退烧药吗", 3, "M"),
    ("三岁多的时候溺水过一回，现在上小学了，游泳课能上吗", 7, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round35_lookalikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


# the same findings as the patient's own current emergency: each still escalates
EMERGENCY = [
    ("楼下大爷刚才煤气中毒叫不醒，我现在在他家，怎么办", 35, "M"),
    ("我哥刚才突然说不出话，嘴歪了，右手抬不起来", 50, "M"),
    ("我儿子刚刚吞了一颗纽扣电池，现在一直流口水", 3, "M"),
    ("My neighbour's son just swallowed a button battery and is drooling, what do I do?", 40, "F"),
    ("我们班有个同学晕倒了叫不醒", 15, "M"),
    ("被毒蛇咬了，现在腿肿得很快，头晕", 30, "M"),
    ("周末要去爬山，但我现在胸口剧痛，满头大汗", 55, "M"),
    ("我爸现在倒地没呼吸了，没有心跳", 60, "M"),
    ("我在心内科住院，今天突然胸口剧痛，大汗淋漓", 65, "M"),
    ("生完孩子两小时，现在出血很多，一直往外涌，头晕", 29, "F"),
    ("孩子一岁多，现在高烧抽搐不停，叫不醒", 1, "M"),
    ("He is two and he's having a seizure right now, it won't stop", 2, "M"),
    ("女儿现在又抽了一回，五分钟了还没停", 4, "F"),
    ("我爸一氧化碳中毒，现在叫不醒", 60, "M"),
    ("孩子刚才在游泳池溺水了，捞上来没呼吸", 7, "M"),
    ("My son took an overdose of his pills an hour ago and is very drowsy", 16, "M"),
    ("低血糖晕过去了，现在叫不醒", 60, "F"),
    ("孩子刚被开水烫了，前胸后背大面积起泡", 5, "M"),
    ("My neighbour just collapsed with heat stroke, he's confused and not sweating", 60, "M"),
]

# written in review: a trip or a general question beside a current emergency told without
# "现在"; complaint-wide framing must not silence these
FRAMING_WITH_A_CURRENT_EMERGENCY = [
    ("下周要去出差，今天早上突然胸口压榨样疼，出了一身冷汗，疼了半小时", 56, "M"),
    ("下个月要去西藏，昨晚开始右下腹剧痛，发烧38.9度，一按就疼得叫", 24, "M"),
    ("普通人也会这样吗？我刚才突然一侧手脚没劲，说话大舌头", 61, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), EMERGENCY + FRAMING_WITH_A_CURRENT_EMERGENCY)
def test_round35_own_current_emergencies_still_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex)


# Round-35 rules (rules_99_round35 / concepts_99_round35), from the rules' missed ambulance
# cases: a recently delivered woman whose bedding is soaking red (postpartum haemorrhage told by
# the bed, not a volume); a garlic-like or pungent smell or sprayed crops with drooling or
# twitching and sweating (organophosphate); tiny pupils with drooling and sweating or diarrhoea
# (the cholinergic toxidrome, source unknown); aconite or a home herbal brew or steeped liquor
# followed by an erratic pulse, low blood pressure or whole-body crawling tingling (in review the
# herbal brew was split from aconite: a brew needs the crawling tingling or low blood pressure,
# or an erratic pulse at 65 or more; wet bedding counts only when red or bloody).
AMB_POSITIVE = [
    ("爷爷喝了自己泡的草乌酒，现在摸脉一阵快一阵停，人发晕", 72, "M"),
    ("婆婆喝了山上挖的草药熬的草药汤，说浑身像蚂蚁在爬，手脚发冷", 68, "F"),
    ("吃了附子炖的鸡，一个钟头后血压很低，心慌", 55, "M"),
    (
        "Grandma drank an herbal soup she boiled from roots and now her pulse is irregular"
        " and weak",
        80,
        "F",
    ),
    ("弟妹坐月子第三天，起身时褥子红了一大片，人站不稳", 30, "F"),
    (
        "My daughter had her baby two days ago and the sheets are soaked dark red, she's shivering",
        30,
        "F",
    ),
    ("产妇躺着，身下的床垫一直往外渗血，叫她答应得很慢", 30, "F"),
    ("生完孩子第二天，床单一直在变红，换了两次还是红", 30, "F"),
    ("老伯从果园回来，身上一股大蒜样的臭味，一直淌口水，汗出个不停", 65, "M"),
    ("屋里有股刺鼻的怪味，老公倒在沙发上，流涎水，衣服全湿透了", 40, "F"),
    (
        "He came in from the field smelling of garlic, drooling, muscles twitching and soaked"
        " in sweat",
        50,
        "M",
    ),
    ("孩子在菜园玩了一会，回来瞳孔很小，一直流口水，拉肚子", 5, "M"),
    (
        "Grandpa's pupils are tiny, he's drooling and sweating buckets, we don't know what he took",
        78,
        "M",
    ),
]


@pytest.mark.parametrize(("text", "age", "sex"), AMB_POSITIVE)
def test_round35_rules_call_an_ambulance(text: str, age: int, sex: str) -> None:
    assert level(text, age, sex) == "emergency_ambulance"


# the same words small, negated, past, hypothetical or chronic: each stays routine
RULE_OPPOSITES = [
    ("坐月子第三天，床单上沾了一点红，恶露正常吗", 30, "F"),
    ("产后第二周，床单没有红了，恶露快干净了", 30, "F"),
    ("去年生完孩子时床单红了一大片，输了血，现在想要二胎", 30, "F"),
    ("如果产后床单红了一大片怎么办", 30, "F"),
    ("吃完大蒜嘴里一股蒜味，出了点汗，没别的不舒服", 30, "M"),
    ("以前打农药的时候闻到刺鼻的味道，流过口水出过汗，后来好了", 50, "M"),
    ("万一有人喝了农药，一身大蒜味、流口水、大汗，该怎么急救", 40, "F"),
    ("宝宝从出生就爱流口水、出汗多，两个月了，瞳孔看着有点小，是不是缺钙", 0, "F"),
    (
        "She has had small pupils, drooling and sweating for three months since starting her"
        " glaucoma drops",
        70,
        "F",
    ),
    ("孩子没有流口水，瞳孔不小，就是出汗多", 5, "F"),
    ("附子炖肉吃了，没什么不舒服", 55, "M"),
    ("以前喝药酒后心跳乱过一次，后来好了", 60, "M"),
    ("吃附子会不会心跳不齐？想炖汤", 50, "F"),
    ("喝了草药汤后身上像蚂蚁爬，已经三个月了，时好时坏", 60, "F"),
    ("泡着枸杞的酒喝了一小杯，没有心慌，脉搏正常", 45, "M"),
    # written in review: wet, not red, bedding after a birth; an erratic pulse after a named
    # liquor below 65
    ("坐月子出汗特别多，晚上被子湿了一大片，正常吗", 28, "F"),
    ("产后一周，身下垫子湿了一大片，是恶露还是漏尿", 30, "F"),
    ("泡着人参的酒喝了两杯，心跳有点快，脉搏一阵快一阵慢", 50, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), RULE_OPPOSITES)
def test_round35_rule_opposites_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)
