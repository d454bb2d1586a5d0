"""Round-19 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file).

Emergencies that must fire, by class: bleeding that spurts, pools or soaks through towels or pads
with a shock sign; silent choking while eating or with a small object (no cough, pointing at the
throat); a wheeze gone quiet with drowsiness (silent chest); a head knock then vomiting with
drowsiness or slurring; headache and vomiting with photophobia or a stiff neck, or told as an
explosion in the head; many tablets then regret; empty blister packs beside someone who cannot be
roused; two stroke signs in lay or Cantonese words (muddled answers, 讲唔到嘢, 口歪, 手冇力,
行唔到路), or a veering gait with choking on food (posterior stroke); at altitude, breathlessness at
rest or pink frothy sputum (HAPE) or ataxia and drowsiness (HACE); pink frothy sputum with
breathlessness; breathlessness after a jellyfish sting; pufferfish then numbness; a folk remedy
(aconite) then a numb tongue; a dialysis patient with weak legs, a numb mouth or a slow pulse; a
pulse in the 30s with blackouts; fever with purple spots; dark blood blisters spreading fast; a
vehicle crash then weak legs and unnoticed incontinence; red vomit in a drinker or with liver
disease; an indoor stove with slowed responses; a lick or mouthful of herbicide; repeated fits
without recovery; an allergenic food then low blood pressure, or hives then a closing throat;
pallor, thirst and a racing heart after birth; an asthma attack breathless at rest with no reliever
left; wild fungi then vomiting or watery diarrhoea, or hallucinations; hot dry skin and confusion in
an older person in a hot home; a tearing back pain then a cold leg; a fit in later pregnancy;
drooping eyelids with breathlessness. Other emergencies: decompression sickness after a dive;
ciguatera (hot-cold reversal after reef fish); a high-pressure injection injury; a stingray wound;
dengue warning signs as the fever breaks; leptospirosis after floodwater; saddle numbness with
bladder trouble; one limb colder than the other.

Part 2 (review of round 18): a dated past episode told in a clause of its own after a current one
("胸口压着疼出冷汗，上个月心梗住过院") no longer silences it (``episodic_dated``, stop scope
"clause"); an in-care mention followed by a present-time word and a new severe sign ("住院恢复中，
现在嘴唇发紫"; "in hospital recovering ..., now he is blue and gasping") fires (``episodic`` stop
scope "before_now", and "he is blue" as cyanosis); Cantonese stroke wording fires.

Look-alikes that must stay routine, by class: a recurring or past complaint whose episodic word
shares its clause ("有时候胸口疼"), or a dated past event told before it; idioms (scolded "until I
vomit blood", "so much homework I want to die", "work is suffocating me"); a pet's seizure; an
attack already controlled or treated in the emergency department; a hypothetical ("suppose");
history dated by a season ("last spring"); complaints present since college or one's teens;
a third party's thoughts reported second-hand; a fever that broke without dengue context; altitude,
diving, "高压" (blood pressure) and mushroom mentions without the dangerous sign; flashing lights
that are the aura before each migraine (not a retinal tear). The new in-care
cues do not silence a current emergency told beside them.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, engine, level

# -- round 19's emergency classes, in other words ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("切菜切到手腕，血一直往外喷，人有点发晕", 40),
        ("刀口很深，换了三片卫生巾都不够，手脚冰凉", 35),
        ("奶奶吃汤圆吃着吃着突然咳不出声，指着喉咙", 80),
        ("孩子哮喘发作，刚才喘得呼呼响，现在反而听不见了，人很困", 7),
        ("He banged his head on the pavement, has thrown up twice and keeps nodding off", 30),
        ("突然头痛，像脑袋里炸开一样，吐了两次，怕光，脖子僵", 45),
        ("地上好几个空药板，她趴着叫不醒", 30),
        ("奶奶早上起来回答的话对不上，手冇力", 70),
        ("爷爷今天走路老往右边倒，喝水就呛咳", 72),
        ("在拉萨第二天，躺着也喘，咳的痰带粉色泡沫", 35),
        ("We are at 4,200 m and my brother is walking like he's drunk and very drowsy", 30),
        ("被水母蜇了之后开始喘不上气", 30),
        ("吃了河豚，现在嘴麻腿软", 45),
        ("喝了邻居给的草乌药酒，现在舌头发木，站不稳", 60),
        ("我爸做透析的，漏了两次，现在腿没力，嘴周围麻", 65),
        ("奶奶今天晕倒两次，心率很低，手环显示35", 80),
        ("孩子发烧，身上起了好多紫点", 4),
        ("腿上起了发黑的血泡，往上蔓延很快，我爸有肝硬化", 60),
        ("开电动车撞了，现在两条腿软，尿了都不知道", 30),
        ("他喝多了，吐的全是红的，现在很困", 50),
        ("屋里烧炭取暖，外婆反应慢半拍", 80),
        ("孩子舔了一口百草枯", 3),
        ("他抽完醒了一半又抽，中间没醒透", 30),
        ("吃了蚕蛹后吐了两次，血压80/50，脸发白", 40),
        ("吃了螃蟹后全身起风团，喉咙发紧", 30),
        ("哮喘发作，走几步就喘，药喷完了", 25),
        ("昨天吃了野菌，今天一直拉水样便", 50),
        ("吃了见手青后说看到小人在跳", 40),
        ("天热家里不开风扇，外公皮肤烫烫的，迷迷糊糊", 80),
        ("Something tore in my upper back and now my leg is cold", 60),
        ("怀孕32周，刚才全身硬邦邦的抖了一阵", 30),
        ("被不知道什么东西咬了，现在眼皮抬不起来，喘不上气", 50),
    ],
)
def test_round19_emergencies_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_pallor_and_thirst_after_birth_fire() -> None:
    assert emergency("产后三个小时，脸越来越白，口渴心慌", 28, "F")


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("潜水上来后腿麻，皮肤起花斑", 35),
        ("吃了石斑鱼后摸冷水像被烫，嘴麻", 40),
        ("用高压喷漆枪喷到了手指，现在肿了", 30),
        ("Stepped on a stingray at the beach, the barb is still in my foot", 30),
        ("在版纳发烧三天，今天烧退了，但一直吐，肚子痛", 30),
        ("洪水里泡了几天，现在高烧，小腿肌肉痛", 40),
        ("这两天屁股下面木木的，小便费劲", 45),
        ("外公一只脚比另一只凉，腿麻", 80),
        ("有偏头痛，但今天突然眼前闪光，一块视野看不见了", 35),
    ],
)
def test_round19_other_emergencies_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- part 2: the three gaps found in review --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "胸口压着疼出冷汗，上个月心梗住过院",
        "胸口闷痛，一直出冷汗，去年放过支架",
        "Crushing chest pain with cold sweat, had a heart attack in the past",
    ],
)
def test_a_dated_past_episode_beside_a_current_one_does_not_silence_it(text: str) -> None:
    assert emergency(text, 60), level(text, 60)


@pytest.mark.parametrize(
    "text",
    [
        "有时候胸口疼，出冷汗，做过心电图正常",
        "上个月胸口疼出冷汗，现在好了",
        "前年中风，现在偏瘫在家，怎么护理",
        "以前打多了胰岛素低血糖晕过一次，现在控制得挺好",
    ],
)
def test_episodic_look_alikes_stay_routine(text: str) -> None:
    assert not emergency(text, 60), level(text, 60)


@pytest.mark.parametrize(
    "text",
    [
        "他肺炎在医院住院恢复中，现在嘴唇发紫，大口喘气",
        "He is in hospital recovering from pneumonia, now he is blue and gasping",
        "Grandpa is in hospital recovering from a hip operation; tonight he turned blue "
        "and is gasping for air",
    ],
)
def test_a_new_severe_sign_after_an_in_care_context_fires(text: str) -> None:
    assert emergency(text, 70), level(text, 70)


@pytest.mark.parametrize(
    "text",
    [
        "阿爸突然讲唔到嘢，口歪，手冇力，行唔到路",
        "阿妈口歪咗，一边手冇力",
        "佢行唔到路，讲嘢唔清楚",
        "我阿爷今朝起身讲唔到嘢",
    ],
)
def test_cantonese_stroke_wording_fires(text: str) -> None:
    assert emergency(text, 75), level(text, 75)


def test_episodic_is_clause_scoped_and_the_dated_forms_split_off() -> None:
    concepts = {c.id: c for c in engine().table.concepts}
    assert concepts["episodic"].stop_scope == "before_now"
    assert concepts["episodic_dated"].stop_scope == "clause"
    assert "上个月" in concepts["episodic_dated"].forms
    assert "上个月" not in concepts["episodic"].forms


# -- look-alikes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("被老板骂得要吐血，胃有点胀", 35),
        ("考试多到想死，脸上长痘", 17),
        ("My job is suffocating me, I need a holiday", 30),
        ("Our cat had a seizure and the vet is running tests; I'm stressed, can I sleep?", 30),
        ("哮喘急性发作，医生说已经控制住了，还要吃几天药", 30),
        ("前几天吃虾起疹子，急诊打了针就好了，现在没事", 30),
        ("At 38 weeks I was monitored overnight for fewer kicks, all fine, kicking well now", 30),
        ("Suppose my waters break early, which hospital do I go to?", 30),
        ("I fainted last spring and hit my head, the scan was fine", 30),
        ("心慌想晕的感觉上大学起就有，从没真晕过", 25),
        ("My friend told me about her suicidal thoughts; she sees a therapist now", 30),
        ("宝宝发烧两天今天烧退了，还有点拉肚子", 1),
        ("去拉萨旅游前想问怎么预防高原反应", 30),
        ("潜水回来耳朵有点闷", 30),
        ("我有高压，手指有点麻", 60),
        ("生完孩子五个月了，偶尔头晕，想查查贫血", 30),
        ("偏头痛十年，发作前眼前有闪光，想吃预防药", 35),
    ],
)
def test_round19_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), level(text, age)


# -- new in-care and framing-adjacent cues beside current emergencies ------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("他哮喘已经控制住了，但现在突然嘴唇发紫，喘不上气", 30),
        ("上次过敏急诊打了针就好了，这次吃了虾喉咙发紧喘不上气，嘴唇肿了", 30),
        ("被蛇咬了打了抗蛇毒血清，现在又开始眼皮往下掉，呼吸困难", 40),
        ("同事送了医院，我现在胸口压着疼出冷汗", 55),
        (
            "CTG was normal yesterday, but now I have constant severe belly pain and heavy "
            "bleeding at 35 weeks",
            30,
        ),
        ("Our dog had a seizure last week; now my husband is having a fit that won't stop", 40),
        ("A student told me about chest pain, and now he has collapsed and is not breathing", 16),
        ("救护车拉走了没有？他现在没呼吸了", 60),
        ("I'm asking in advance, but right now my father has crushing chest pain", 70),
    ],
)
def test_current_emergencies_beside_the_new_cues_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)
