"""Round-18 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file).

Round 17's copied phrases were replaced by short forms and proximity patterns; the first tests check
that a different writer's wording of the same situations still fires.

Emergencies that must fire, by class: asthma whose wheeze has gone quiet with exhaustion or dusky
lips; a hand that keeps dropping things with slow or muddled speech (stroke); fever with confusion
and little urine, fast breathing or cold sweat (sepsis); an older person hot and drowsy in a hot
room, or talking nonsense in the heat (heat stroke); drowsiness or blue lips after submersion;
breathlessness with (near-)fainting after surgery or long travel (PE); sweating, drooling and
twitching after spraying crops (organophosphate); fits that do not stop, or subtle twitching with
unresponsiveness after a fit (status epilepticus); back pain with a grey face, collapse or a
pulsating belly in an older adult (ruptured AAA); tearing pain with pallor or going through to the
back (dissection); a knock to the head then vomiting and drowsiness; a toddler's choking episode on
small food then noisy breathing or blue lips; chest pressure with drenching sweat or cold hands
(ACS); a measured systolic below 90 with sweat in an older adult; a mouthful of weedkiller or a
herbicide bottle found less full; sedatives with a patient who only grunts or breathes slowly; an
indoor stove with someone hard to wake; extra insulin or insulin without food with sweat and
drowsiness or muddle; a road crash with belly or pelvic injury and shock signs; faintness or heavy
loss after birth (PPH); both hands or all limbs numb or weak after a fall onto the neck; a severed
finger; rectal urge with shoulder ache and dizziness in a woman (ectopic, IUD too); a sudden bang in
the head with vomiting or a stiff neck (SAH); an infant with a bulging fontanelle who is listless;
an emptied pill box with drowsiness or farewell acts; a fall in late pregnancy then tightening,
bleeding or fewer movements. Other emergencies: an older adult muddled and breathing fast, or with
high fever, cough and fast breathing (pneumonia); colicky loin pain with blood in the urine; a full
lower belly with dribbling (retention); vomiting, distension and no stool or wind (obstruction); one
red, warm, swollen leg (DVT); a racing irregular heart with breathlessness for an hour or more;
hallucinations after stopping drinking; an older adult who cannot walk after a fall (hip); a cut
then a finger that will not bend (tendon); broken skin from a wild or unvaccinated animal (rabies);
a young infant with fever or low temperature who feeds poorly; constant right upper pain with fever;
loin pain with rigors and dysuria; pancreatitis in lay words; a boy's pain "down there" with
vomiting; transient speech failure; sudden painless loss of sight in one eye; thirst and polyuria
then vomiting (DKA); a head knock on a blood thinner; an aching eye with halos; vomiting with bloody
stool in a baby; a dehydrated toddler; a stuck hernia; a bent limb or cold fingers after a fall; a
first fit; a suicide plan with means or a date.

Look-alikes that must stay routine, by class: someone else's event already in hospital, discharged
or taken by ambulance; an asthma attack already nebulised in the emergency department; a past
admission dated by the child's age at the time; idioms (working "until I vomit blood", "so itchy I
want to die"); a rib that twitches after laughing; loud snoring with no pauses; a family cat's
scratch; a palpitation at bedtime; a knock on the head without blood thinners. New in-care cues do
not silence a current emergency told beside them, nor one told before a cue about an earlier time
("之前", "上次", "previously").
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, fired, level

# -- round 17's forms made generic: other wordings of the same situations ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "He had one seizure and then a second fit before he came round, still not awake",
        "爸爸一句话分好几次说，喘得厉害，嘴唇发紫",
        "她喉咙里一直咝咝的，刚才吃坚果呛了一下，嘴唇有点青",
    ],
)
def test_round17_classes_still_fire_in_other_words(text: str) -> None:
    assert emergency(text, 5 if "坚果" in text else 60)


def test_a_bottle_drunk_from_is_found_by_proximity() -> None:
    assert "unknown_bottle_drunk" in _concepts("他刚喝了一口那个瓶里的水，现在说嘴里发麻")


def _concepts(text: str) -> set[str]:
    from tests.unit.urgency_cases import engine

    return {m.concept for m in engine().assess(text, keep_mentions=True).mentions}


# -- ambulance classes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("哮喘犯了一晚上，现在反而听不到哮鸣音了，人累得睁不开眼", 30),
        (
            "His asthma was awful, now the wheeze has gone and he's exhausted, lips look blue",
            25,
        ),
        ("奶奶吃饭时勺子总掉，讲话也含糊，早上还正常", 78),
        ("外公这两天咳嗽，今天发烧，迷迷糊糊不认识人，一天没怎么尿", 84),
        ("伤口化脓好几天了，今天打寒战，人糊里糊涂，喘气很快", 55),
        ("老人家里没开空调好几天，摸着身上很热，昏昏沉沉叫不太应", 88),
        (
            "We were walking in the heat wave and my friend is talking gibberish and not sweating",
            30,
        ),
        ("孩子在河里呛水被捞上来，现在很想睡，嘴唇发紫", 7),
        (
            "Three days after my knee operation I fainted at home and I'm breathless walking",
            62,
        ),
        ("在大棚里喷药后一直流口水、出大汗，胳膊上的肉一直跳", 45),
        ("他有羊角风，今天抽个不停，快二十分钟了", 30),
        ("妈妈癫痫发作后一直不理人，眼皮一抽一抽的，已经一个多小时", 50),
        ("老烟民，突然腰疼，脸色发灰，刚才瘫坐在地上", 70),
        (
            "Sudden ripping pain in his chest went through to his back, he's grey and sweating",
            58,
        ),
        ("孩子从树上摔下来头上起了个包，吐了两次，一直想睡觉", 9),
        ("一岁宝宝吃葡萄突然咳起来，现在喘气呼噜呼噜的，嘴唇发青", 1),
        ("胸口发紧像压了块石头，大汗淋漓，喘不上气，半小时了", 58),
        ("心口堵得慌，手脚冰凉，一直冒冷汗", 64),
        ("爸爸脸色发灰，出冷汗，刚量血压82/50", 70),
        ("他把除草剂当饮料喝了一口，现在嗓子辣", 40),
        ("奶奶多吃了几片安眠药，叫醒说两句又睡，呼吸一分钟就五下", 80),
        ("屋里生着煤炉，孩子叫他就哼一声又睡，还吐了一次", 8),
        ("晚上多打了十个单位胰岛素，现在叫他只会哼哼，满身大汗", 66),
        ("打完胰岛素忘吃饭，一身冷汗，说话糊里糊涂", 55),
        ("摩托车撞了，屁股疼，脸煞白，一直说渴", 40),
        ("生完孩子一周，今天站起来就要晕，心慌手冰凉", 30),
        ("刚生完三天，恶露特别多，人蔫蔫的头晕", 27),
        ("从梯子上摔下来磕了下巴，现在双手发麻没劲", 60),
        ("木工锯把食指锯断了，血止不住", 35),
        ("上了环的，突然老想解大便，右边肩膀疼，头晕冒汗", 29),
        ("Something went bang in my head while lifting, I vomited and my neck is stiff", 45),
        ("四个月宝宝囟门鼓起来，精神很蔫，哭声尖", 0),
        ("妈妈抑郁，今天发现药瓶空了，她说很累想睡", 50),
        ("怀孕七个月摔了一跤，肚子发紧，下面有点血", 29),
    ],
)
def test_ambulance_classes_fire(text: str, age: int) -> None:
    assert level(text, age) == "emergency_ambulance", fired(text, age)


# -- other emergencies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("姥爷这两天犯糊涂，喘气比平时快，不发烧", 82),
        ("我妈72岁，咳黄痰，发烧39度5，喘气很急", 72),
        ("腰眼那里一阵一阵绞着疼，滚来滚去，尿有点红", 40),
        ("老爷子小肚子胀得鼓鼓的，尿只能滴几滴", 78),
        ("肚子越来越鼓，一吃就吐，两天没放屁", 66),
        ("左小腿肿得比右边粗，又红又热，按着疼", 50),
        ("心里乱跳一会儿快一会儿慢，有点喘，已经两个钟头了", 60),
        ("戒酒第三天，手抖出汗，说看见墙上有小人", 50),
        ("奶奶在厨房摔了一跤，之后就不下地了，腿一动就喊疼", 83),
        ("削苹果割了手指，口子挺深，现在中指弯不回来", 33),
        ("在山上被狐狸抓破了皮，流了点血", 40),
        ("宝宝出生四十天，发烧38度5，不好好吃奶", 0),
        ("右边肋骨下面一直疼到现在，发烧打寒战", 50),
        ("腰眼疼，发高烧，打摆子，尿尿疼", 35),
        ("老公天天喝酒，今天胃疼得缩成一团，吐了好几次", 45),
        ("孩子说裤裆里疼，刚才吐了", 12),
        ("我爸刚才说不出来话，话到嘴边就卡住，过了一会儿就好了", 70),
        ("老太太右眼突然看东西被挡住一半，一点也不疼", 75),
        ("孩子最近老喝水老尿床，今天吐了好几回，肚子疼", 8),
        ("爷爷在吃抗凝药，刚才磕到后脑了", 80),
        ("一只眼睛胀得疼，看灯有光晕，头疼想吐", 60),
        ("宝宝八个月，吐了两次，大便里有血，隔一会儿哭一阵", 0),
        ("孩子拉肚子两天，嘴唇干起皮，没精神，尿很少", 2),
        ("小肠气掉出来揉不回去了，疼得厉害", 60),
        ("孩子摔倒后手腕看着有点弯", 8),
        ("他打游戏时突然手脚乱动，倒在地上，醒来什么都不记得", 22),
        ("爸爸把存折都分给我们了，还问家里的农药放哪了", 70),
    ],
)
def test_other_emergency_classes_fire(text: str, age: int) -> None:
    assert emergency(text, age), fired(text, age)


# -- look-alikes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("朋友吃错东西中毒入院了，我当时也吃了一点，现在完全没事", 30),
        ("同事上周在会议室晕倒被救护车拉走了，我这几天有点紧张", 28),
        ("My cousin got a snake bite and is in hospital recovering, I'm fine, just worried", 35),
        ("哮喘发作刚从急诊回来，雾化完了，现在呼吸正常，想问激素怎么吃", 30),
        ("儿子半岁大嗰阵肺炎住过ICU，而家三岁好健康，想问要唔要打疫苗", 3),
        ("忙到想自杀哈哈，项目太多了，有没有好用的眼药水", 28),
        ("加班加到吐血，颈椎好僵，推荐个枕头", 32),
        ("笑得太厉害，肚子那里一抽一抽的，歇会儿就好了", 25),
        ("老婆说我打呼噜很大声，但没有呼吸暂停，白天也不困", 40),
        ("我家猫是家养的，把我手挠破一点皮，没打疫苗，要不要紧", 26),
        ("晚上躺下心脏乱跳，有点心慌气短，睡不着", 35),
        ("头被门框撞了一下，不吃抗凝药，就是有点疼", 40),
        (
            "Still in the maternity ward since a bleed at 30 weeks, all settled, may I shower?",
            31,
        ),
    ],
)
def test_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


# -- new in-care cues beside current emergencies -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我爸突然胸口压着疼，满头冷汗，他哥哥去年心梗住了几天院",
        "Right now dad has crushing chest pain, sweating; his brother is in hospital with a stroke",
        "我妈上次哮喘从急诊回来就好了。现在她哮喘又犯了，嘴唇发紫，喘得说不了话",
        "My son suddenly can't speak, his right arm is weak; my sister was treated with steroids",
        "孩子上回高烧送医后好了，今天又抽搐五分钟还没停",
        "I was in the maternity ward last year for a bleed. Now I'm 34 weeks and bleeding heavily",
        "孩子又高烧抽搐不停，之前入过ICU",
        "他又晕倒叫不醒了，上次是救护车拉走了",
        "胸口压着疼出冷汗，上个月心梗入过ICU",
        # added at review: the cues "救护车拉走了", "120拉走了", "住了几天", "住了两周" and "in the
        # maternity ward" silenced these, and were removed
        "我爸刚才突然倒地叫不醒，没有呼吸，救护车拉走了没有？我打了120还没来",
        "孩子抽搐了十分钟还没停，嘴唇发紫，住了几天院刚回家又这样",
        "孩子刚才从高处摔下来，叫不醒，在医院住了几天的是他哥哥",
        "My wife is 36 weeks, she's in the maternity ward waiting room, and she just had a fit",
    ],
)
def test_current_emergencies_beside_in_care_cues_still_fire(text: str) -> None:
    assert emergency(text, 40), fired(text, 40)
