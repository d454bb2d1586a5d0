"""Round-27 behaviour of the urgency table. Each class is tested on its tuning lines
(retired_holdout_r26{,b} / r27{,b}) and in at least three wordings of its own, written for these
tests before they were run, with the nearest opposite that must not change.

Emergencies told by what is seen, a value or a tuple of milder findings: pink froth with laboured
breathing; mottled skin with an infection and an organ sign; a missed period, a held lower belly
and bloodless lips; packets found empty in someone now vomiting; a pulsating belly lump with
shock; a digit hanging by skin; insulin hypoglycaemia that sugar does not lift; organophosphate
told as a garlic stink and pin-point pupils; heat stroke told as skin burning to touch; a mouth
dribbling from one corner; puffer fish given by relatives; a fit going on for minutes; cold
exposure told as minus thirty or a blizzard; a pad soaked after delivery; a headache or head blow
with vomiting and drowsiness; a headache and confusion on warfarin; a basin of blood with shock;
one swollen leg with gasping and collapse; someone found slumped by a stove or gas heater; eyes
puffed shut after a food; choking while eating.

Look-alikes that must stay routine: dialect negation ("嘴巴冇歪", "冇出血"), a stomach cramp told
as "胃抽抽了一下", and each class's mild, past or someone-else opposite.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, level

AMB = "emergency_ambulance"

# -- pink froth with laboured breathing (acute pulmonary oedema) -----------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "她整宿靠在被垛上不敢躺，一咳就是一口粉红的泡泡，胸口里呼噜呼噜跟拉风箱似的，脸上汗"
            "一层一层往外冒",
            74,
        ),
        (
            "奶奶靠在床头大口大口喘，每吸一口肩膀都跟着耸，嘴边一直冒出白里带粉的沫子，纸巾擦一"
            "张湿一张",
            78,
        ),
        ("他坐在床沿上两手撑着膝盖，嘴张着大口喘，喉咙里咕噜咕噜响，痰盂里是带粉色的沫子", 65),
        ("他整晚上都趴在桌子上坐着，嗓子里像烧开水一样咕噜咕噜响，吐出来的都是粉红色泡泡", 66),
        # other wordings
        ("爷爷半夜坐起来喘不上气，咳出来的是粉红色的泡沫", 80),
        ("我妈喘得厉害躺不下，嘴里往外冒粉色的沫子", 70),
        ("My dad can't breathe lying down and is coughing up pink froth", 75),
    ],
)
def test_pink_froth_breathing_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "刷牙的时候吐出来的泡沫有点粉，牙龈出血，不喘",
        "孩子买了个粉色泡泡机，吹泡泡的时候有点咳嗽",
        "以前心衰住院时咳过粉红色泡沫痰，现在好了，平时走路不喘，来复查",
    ],
)
def test_pink_froth_without_distress_stays_routine(text: str) -> None:
    assert not emergency(text, 60)


# -- mottled skin with infection and an organ sign (septic shock) ----------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "她身上一块块紫红的花斑，手脚冰凉，摸脑门却烫手，问她在哪都说不清，从早上到现在就尿"
            "了一点点酱油色的",
            69,
        ),
        (
            "他腿上那个伤口流脓好几天了，今天整个人烫得吓人，膝盖上都是紫色的花纹，一天就尿了一"
            "点点浓茶色的尿",
            67,
        ),
        (
            "老太太不发烧，体温才三十五度多，就是今天不吃不喝，叫也不太理人，喘气快，身上一块块"
            "发花",
            85,
        ),
        (
            "他这几天脚上那个伤口流脓发臭，今天人迷迷糊糊的，喘气一口接一口，膝盖上起了一片一片"
            "的紫花纹",
            66,
        ),
        # other wordings
        ("我爸发烧三天了，今天腿上起了紫色的花纹，人迷迷糊糊的", 70),
        ("奶奶肺炎高烧，膝盖上一片片发花，一天没怎么尿", 88),
        ("He has had a high fever since yesterday, his skin is mottled and he is confused", 60),
    ],
)
def test_mottled_shock_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("宝宝洗完澡腿上有紫色的花纹，暖和一会儿就没了，吃奶好", 1),
        ("冬天腿上老是起紫色的花纹，不痛不痒，其他都好", 30),
        ("My baby's skin looks mottled when she gets cold, she is feeding well and happy", 1),
    ],
)
def test_mottling_alone_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- a missed period, a held lower belly and bloodless lips (ruptured ectopic) ---------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "她这个月那个一直没来，刚才蹲下就起不来了，一只手按着小肚子，嘴唇一点血色没有，手心"
        "冰凉，心跳我数着一百三四",
        "室友蜷在床上抱着肚子，嘴唇没血色，手冰冰的，她说上个月那个没来，刚才扶她去厕所走两"
        "步就软下去了",
        "女儿验孕棒两道杠还没去医院看，今天捂着小肚子蜷在床上，一坐起来眼前就黑，手脚冰凉嘴唇发白",
        "她在面馆擦桌子突然捂着小肚子蹲下去了，嘴唇没一点血色，扶起来又软下去，说这个月的还没来",
        # other wordings
        "我老婆月经推迟两周了，刚才捂着肚子倒在厕所，嘴唇发白",
        "同事说这个月的还没来，下午一直按着小肚子，刚才站起来就软下去了",
        "女朋友例假迟了十天，现在抱着肚子疼得直哼，嘴唇一点血色都没有",
    ],
)
def test_ectopic_shock_signs_fire(text: str) -> None:
    assert level(text, 25, "F") == AMB


@pytest.mark.parametrize(
    "text",
    [
        "例假推迟了一周，小肚子有点坠，没别的不舒服，是不是怀孕了",
        "这个月那个没来，测了两道杠，想问什么时候去建档",
        "月经迟了几天，肚子有点胀，吃饭睡觉都好",
    ],
)
def test_late_period_without_shock_stays_routine(text: str) -> None:
    assert not emergency(text, 25, "F")


# -- packets found empty in someone now vomiting (undisclosed overdose) -----------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "孩子说就是肚子有点不舒服想吐，后来在他书包里发现好几板扑热息痛都空了，他说没事就吃"
            "了几片",
            16,
        ),
        (
            "我妈今天一直吐、耳朵嗡嗡响、呼吸很快，她说只是胃不舒服，后来在垃圾桶发现好几板阿司"
            "匹林的空壳",
            52,
        ),
        (
            "他说是头疼吃了几片药，可吃完就一直吐、耳朵嗡嗡响、喘气又快又深，后来才发现一瓶阿司"
            "匹林空了",
            40,
        ),
        # other wordings
        ("女儿一直吐，我在她抽屉里发现一盒布洛芬全空了", 17),
        ("老公昏昏沉沉的，叫不太醒，我在床底下找到安眠药的空瓶", 45),
        ("My son keeps vomiting and I found empty packets of paracetamol in his bin", 15),
    ],
)
def test_found_empty_packets_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "发现家里的阿司匹林快吃空了，要去哪里开药",
        pytest.param(
            "降压药吃完了，药瓶空了，今天没吃药要紧吗",
            marks=pytest.mark.xfail(
                strict=True,
                reason="药瓶空了 is read as an overdose (medication_overdose): not fixed",
            ),
        ),
        "药吃完了，盒子空了，明天去医院开",
        "I found the empty paracetamol box, where can I buy more for my headache?",
    ],
)
def test_empty_box_without_illness_stays_routine(text: str) -> None:
    assert not emergency(text, 40)


# -- a pulsating belly lump with shock (ruptured AAA) ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "老汉捂着肚子倒在厕所里，肚脐周围摸着有一个跳得厉害的大包，手冰凉，额头上都是冷汗",
        "爷爷肚脐周围摸着有个东西跟着心跳一鼓一鼓的，刚刚捂着腰倒在院子里，脸白嘴唇白，手冰凉",
        # other wordings
        "我爸肚子上摸到一个包跟着心跳一跳一跳的，刚才晕倒了，脸煞白",
        "老人说腰疼，肚脐旁边有个包一鼓一鼓的，现在出冷汗手冰凉",
        "Grandad has a pulsating lump in his belly and just collapsed, he's pale and clammy",
    ],
)
def test_pulsatile_lump_with_shock_fires(text: str) -> None:
    assert level(text, 75, "M") == AMB


@pytest.mark.parametrize(
    "text",
    [
        "体检B超说腹主动脉瘤3厘米，医生让每年复查，平时没症状",
        "人瘦，躺下摸肚子能感觉到跟着心跳一跳一跳的，不疼，正常吗",
        "肚脐旁边有个小包，不疼，按下去会回去，是疝气吗",
    ],
)
def test_pulsation_without_shock_stays_routine(text: str) -> None:
    assert not emergency(text, 70, "M")


# -- a digit hanging by skin (near-complete amputation) --------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "老汉手被拖拉机皮带绞了，说不怎么疼，可是大拇指只连着一点皮，发白发凉",
        "手指被机器夹到，没流多少血，但整节手指只连着一点皮，颜色白白的，摸起来冰冷，这样要"
        "去医院吗",
        # other wordings
        "切菜切到食指，指头只连着一层皮了",
        "门夹了孩子的小指，指尖连着一点皮耷拉着",
        "His finger got caught in the saw and is hanging by a flap of skin",
    ],
)
def test_digit_hanging_by_skin_fires(text: str) -> None:
    assert level(text, 35) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "大拇指指甲只连着一点皮了，不怎么疼，要不要拔掉",
        "手指头起了倒刺，撕了点死皮，有点红",
        "切菜划了个小口子，贴了创可贴，不流血了",
    ],
)
def test_nail_or_small_cut_stays_routine(text: str) -> None:
    assert not emergency(text, 35)


# -- insulin hypoglycaemia that sugar does not lift ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "打完胰岛素忘了吃饭，心慌手抖一身冷汗，吃了两块糖还是不行，眼前发花打字都费劲，家里"
        "就俺一个人",
        # other wordings
        "打了胰岛素没吃饭，现在一身冷汗，喝了糖水也不管用",
        "早上胰岛素打多了，出汗心慌，吃了饼干还是不行",
        "I took my insulin and skipped lunch, I'm sweating and shaking and the juice didn't help",
    ],
)
def test_insulin_hypo_sugar_failed_fires(text: str) -> None:
    assert level(text, 60) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "打完胰岛素没吃饭，有点心慌出汗，吃了块糖就好了",
        "我糖尿病打胰岛素，想问低血糖的时候吃什么糖最快",
        "打胰岛素一年了，最近有点出汗多，血糖都正常",
    ],
)
def test_insulin_hypo_relieved_stays_routine(text: str) -> None:
    assert not emergency(text, 60)


# -- organophosphate told as a garlic stink, pin-point pupils, a field just sprayed ----------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "他屋里地上倒着个空瓶子，一股冲鼻子的蒜臭味，人躺着一身汗，嘴边淌着沫，小腿上的肉不"
            "停地蹦，眼仁小得几乎看不见",
            60,
        ),
        (
            "孩子在果园里玩了一下午，晚上开始吐、拉稀，出好多汗，口水也多，俺以为是吃坏了，后来"
            "看他瞳孔小得跟针鼻似的，他爷爷那天刚打过药",
            5,
        ),
        (
            "大伯身上一股很冲的蒜臭味，口水鼻涕一直往下淌，全身肉像有小虫在皮下跳，瞳孔缩得像针尖",
            60,
        ),
        ("老汉在菜园子里倒着，身边一个空瓶子，一股大蒜臭味，眼珠子缩成针尖那么小，浑身肉直跳", 60),
        ("老汉在屋里吐得满地，一股蒜臭味，墙角有个空瓶子，人抖个不停，口水鼻涕淌得满脸都是", 65),
        (
            "孩子在地里耍了回来就一直拉稀吐，口水多，以为是肠胃炎，可眼珠子小得像针尖，爷爷刚在"
            "地里打过药",
            3,
        ),
        # other wordings
        ("我爸身上一股蒜臭，一直流口水，出了一身汗", 55),
        ("刚喷过药的地里干活回来，一直吐，流口水，眼仁小得像针尖", 40),
        ("叔叔打过药回来就出大汗，口水直流，肉一跳一跳的", 50),
    ],
)
def test_organophosphate_lay_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "吃了大蒜嘴里一股蒜臭味，怎么去掉",
        "果园上礼拜打过药，今天摘的桃子要洗几遍才能吃",
        "孩子流口水很多，在长牙，没有别的不舒服",
    ],
)
def test_garlic_or_spray_alone_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- heat stroke told as skin burning to touch ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "During the camel trek my son started talking nonsense, his skin is burning to touch and "
        "bone dry, and he keeps falling over.",
        "After the camel ride she started talking gibberish, her skin is red and bone dry, "
        "it burns "
        "to touch and she has fallen over twice.",
        # other wordings
        "He was working on the roof all day, now he's confused and his skin is burning to t"
        "he touch",
        "My husband came in from the field talking nonsense, skin burns to touch and he isn"
        "'t sweating",
        "After the marathon she is confused, her skin is scorching to the touch",
    ],
)
def test_heat_stroke_skin_fires(text: str) -> None:
    assert level(text, 30) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "Got sunburnt at the beach, my shoulders are red and burn to touch, no other symptoms",
        "My radiator is scorching to the touch, is that a fire risk?",
        "Mild sunburn on my nose, a bit sore, I feel fine otherwise",
    ],
)
def test_sunburn_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- a mouth dribbling from one corner (facial droop) ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "Grandpa was eating dinner and the soup kept dribbling out of one corner of his mouth, he "
        "dropped his chopsticks twice, and when he tries to talk to us only mumbled nonsense comes "
        "out. Started an hour ago.",
        "Grandpa was chatting at lunch and suddenly his words came out as nonsense, tea dribbles "
        "from the left corner of his mouth and he keeps dropping his spoon.",
        # other wordings
        "Mum suddenly has water dribbling out of the right corner of her mouth when she drinks",
        "Dad's coffee is leaking from one corner of his mouth and his speech is slurred",
        "Since this morning milk keeps drooling from the left corner of her mouth",
    ],
)
def test_one_corner_dribble_fires(text: str) -> None:
    assert level(text, 75) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("My baby is teething and dribbling all day, a rash around his mouth", 1),
        ("He drools on the pillow at night from the corner of his mouth, otherwise fine", 40),
        ("Toddler keeps dribbling since his new teeth came in", 2),
    ],
)
def test_drool_without_one_side_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- puffer fish given by relatives; dialect numb lips ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        pytest.param(
            "晌午吃了亲戚送的鲀鱼，现在嘴巴四周麻酥酥的，手脚也麻，觉得喘气有点费劲，眼皮往下耷拉",
            marks=pytest.mark.xfail(
                strict=True,
                reason="亲戚送的 reads the giver as the one with the finding (family context); "
                "a pseudo for it exposed questions to poison_ingestion and was dropped",
            ),
        ),
        "中午食了朋友送的鲀鱼干，这马喙唇麻麻，手指头麻，行路浮浮，喘气有一点重",
        # other wordings
        pytest.param(
            "吃了亲戚给的河豚，嘴唇发麻，手也麻了",
            marks=pytest.mark.xfail(
                strict=True,
                reason="亲戚送的 reads the giver as the one with the finding (family context); "
                "a pseudo for it exposed questions to poison_ingestion and was dropped",
            ),
        ),
        pytest.param(
            "晚上吃了亲戚家送的河豚干，现在舌头发木，腿没劲",
            marks=pytest.mark.xfail(
                strict=True,
                reason="亲戚送的 reads the giver as the one with the finding (family context); "
                "a pseudo for it exposed questions to poison_ingestion and was dropped",
            ),
        ),
        "食了河豚，喙唇麻麻，手脚软",
        "中午吃了朋友钓的河豚，现在嘴唇发麻，喘气费劲",
    ],
)
def test_pufferfish_numb_fires(text: str) -> None:
    assert level(text, 50) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "亲戚送的河豚干能吃吗？怎么处理才安全",
        "我表哥以前吃河豚中毒住过院，现在好了，我想问河豚能养吗",
        pytest.param(
            "吃了亲戚送的花椒鱼，嘴巴麻麻的，过一会就好了",
            marks=pytest.mark.xfail(
                strict=True,
                reason="亲戚送的 puts the spice in a relative's context, "
                "so it cannot stop tia_resolved",
            ),
        ),
        "我妈吃了花椒鱼以后说嘴巴舌头麻麻的,说话清清楚楚,手脚有力,过了一会就好了。",
        "吃了麻辣火锅，嘴唇麻麻的，一会儿就好了",
    ],
)
def test_pufferfish_question_stays_routine(text: str) -> None:
    assert not emergency(text, 50)


# -- a fit going on for minutes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "My daughter's fit has been going on for over 12 minutes, her rescue medicine didn't work "
        "and her lips are turning blue.",
        # other wordings
        "His fit is still going after ten minutes and he's not breathing properly",
        "The fit has lasted 8 minutes now, she is going blue",
        pytest.param(
            "My son's fit has been going for 6 minutes, what do I do",
            marks=pytest.mark.xfail(
                strict=True, reason="a fit's minutes alone give emergency, not an ambulance"
            ),
        ),
        "My daughter's fit is still going and her lips are blue",
    ],
)
def test_long_fit_fires(text: str) -> None:
    assert level(text, 8) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "Is this jacket a good fit for my son?",
        "Trying to keep fit, is it ok to run every day at my age?",
        "She had a fit two years ago, none since, can she learn to swim?",
    ],
)
def test_fit_other_sense_stays_routine(text: str) -> None:
    assert not emergency(text, 8)


# -- cold exposure told as minus thirty or a blizzard ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "We found our friend outside overnight in minus thirty, he is very cold, confused and his "
        "breathing is slow.",
        "我叔喝多了回家路上倒在雪地里，不知道躺了多久，找到时浑身冰凉，也不打哆嗦了，叫他光哼哼",
        # other wordings
        "He slept outside overnight and is ice cold and confused",
        "爷爷暴风雪里迷了路，找到时浑身冰凉，说话慢吞吞",
        "Walking home in minus twenty, my dad is now stiff and cold, not shivering and very drowsy",
    ],
)
def test_cold_exposure_fires(text: str) -> None:
    assert level(text, 45) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "明天零下三十度要去滑雪，穿什么保暖",
        "We are camping outside overnight next week in minus twenty, what sleeping bag?",
        "暴风雪里堵车了一晚上，人没事，就是有点感冒",
    ],
)
def test_cold_planned_or_fine_stays_routine(text: str) -> None:
    assert not emergency(text, 45)


# -- a pad soaked after delivery --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "My wife delivered our baby 4 days ago, she is suddenly soaking a big pad every 20 minutes "
        "with clots, and she looks pale and dizzy.",
        # other wordings
        "She delivered her baby last week and is now soaking a pad every half hour, very dizzy",
        "We delivered our baby on Monday, today she is soaking a big pad each hour and feels faint",
        "Gave birth 3 days ago, soaking a pad every 15 minutes, I feel faint and pale",
    ],
)
def test_postpartum_soaking_fires(text: str) -> None:
    assert level(text, 30, "F") == AMB


@pytest.mark.parametrize(
    "text",
    [
        "Delivered our baby 6 weeks ago, bleeding has stopped, when can we have sex again?",
        "She delivered her baby two weeks ago, light spotting on the pad, feels well",
        "How often should I change my pad after giving birth? Bleeding is light",
    ],
)
def test_postpartum_light_bleeding_stays_routine(text: str) -> None:
    assert not emergency(text, 30, "F")


# -- a headache or head blow with vomiting and drowsiness ------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "My friend grabbed the back of his head and screamed, then threw up twice and now he "
            "just wants to lie in the dark and barely answers us.",
            38,
        ),
        (
            "我妈说头有点疼，以为是感冒了，但是她一直犯困，叫醒了说两句又睡，还吐了两回，以前从"
            "来不这样",
            56,
        ),
        ("从马上摔下来后脑勺着地，头疼得越来越厉害，一直想吐，眼皮子睁不开", 30),
        # other wordings
        ("老公下午说头痛，吐了三次，现在叫不醒", 45),
        ("孩子头撞到桌角，后来吐了两回，一直睡叫不怎么应", 6),
        ("She hit her head skiing, has vomited twice and is hard to wake", 25),
    ],
)
def test_head_vomit_drowsy_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "偏头痛犯了，吐了一次，睡一觉就好了，现在没事",
        "头有点疼，吐了一次，可能是晕车，精神还好",
        "Hangover headache, threw up once this morning, feel better after coffee",
    ],
)
def test_headache_vomit_alert_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- a headache and confusion on an anticoagulant --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "外婆在吃华法林，今天说有点头痛就去睡了，睡了三个小时叫起来迷迷糊糊，讲话答非所问，"
        "她也没摔跤",
        # other wordings
        "我爸吃着华法林，下午喊头痛，现在答非所问",
        "奶奶吃利伐沙班，头痛了半天，现在叫不醒",
        "Mum is on warfarin, complained of a headache and now she's hard to wake",
    ],
)
def test_anticoagulant_headache_confused_fires(text: str) -> None:
    assert level(text, 80) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "吃华法林，偶尔有点头痛，INR都正常，可以吃布洛芬吗",
        "我妈吃华法林三年了，最近有点头痛，精神好，要不要查",
        "On warfarin, mild headache from a cold, otherwise well",
    ],
)
def test_anticoagulant_headache_alert_stays_routine(text: str) -> None:
    assert not emergency(text, 70)


# -- a basin of blood with shock signs --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "阿舅跪在厕所门口，洗脸盆里装满暗红的东西还有一块块的，地上也是，他肚子一直大大的，"
        "眼白黄黄",
        "他一咳嗽，盆里一下子就红了一大片，还带着血块，地上也溅了，现在手冰凉，嘴唇白白的",
        # other wordings
        "我爸吐了一盆暗红的血块，现在手冰凉，差点晕过去",
        "老公吐血，盆里都是血块，人脸白得跟纸一样",
        "奶奶呕了半盆血，嘴唇没血色，手脚冰凉",
    ],
)
def test_basin_of_blood_shock_fires(text: str) -> None:
    assert level(text, 60) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "洗脸盆里泡了件红衣服，掉色把水染红了，会不会有毒",
        "流鼻血滴到盆里几滴，按了五分钟止住了",
        "刷牙吐到盆里有点血丝，牙龈出血，人好好的",
    ],
)
def test_basin_without_shock_stays_routine(text: str) -> None:
    assert not emergency(text, 40)


# -- one swollen leg with gasping and collapse (massive PE) ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "外婆刚从床上坐起来就往后倒，脸一下子变得青紫，呼吸又快又浅像刚跑完步，一条腿比另一"
        "条粗了一圈",
        "他从卧铺车厢下来没走两步就坐地上了，一边大口倒气一边拿手捂胸口，小腿一只粗一只细，"
        "脸是青的",
        # other wordings
        "我妈一条腿肿得比另一条粗，刚才突然喘不上气晕倒了",
        "坐了一天车，左小腿肿了，现在大口倒气，脸发青",
        "老爸右腿比左腿粗一圈，今天喘得厉害，脸色发青",
    ],
)
def test_pe_leg_collapse_fires(text: str) -> None:
    assert level(text, 60) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "一条腿比另一条粗一点，从小就这样，不疼不喘",
        "腿有点肿，晚上垫高就好，不喘，走路正常",
        "跑完步大口喘气，休息一下就好了，腿不肿",
    ],
)
def test_leg_swelling_without_collapse_stays_routine(text: str) -> None:
    assert not emergency(text, 50)


# -- someone found slumped by a stove or gas heater (CO) -------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "推开俺奶奶房门一股子煤烟味，她歪在炕沿上，嘴唇脸蛋红扑扑的，怎么喊都只是哼，炉子上"
        "的烟筒掉了一截",
        "Found my flatmate slumped in the bathroom after a long shower, the water heater was still "
        "roaring, the little window was shut and the cat is lying there limp too.",
        "Found my neighbour slumped beside his stove this morning, the room smelled of fumes, his "
        "cheeks look oddly pink and he only mumbles.",
        # other wordings
        "屋里生着炉子，爷爷歪在床上叫不醒",
        "洗澡间用的燃气热水器，进去发现我妈倒在地上",
        "We found him slumped in the garage with the generator running",
    ],
)
def test_co_found_slumped_fires(text: str) -> None:
    assert level(text, 60) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "燃气热水器用了十年了，要不要换？有没有一氧化碳风险",
        "冬天屋里生炉子，装了一氧化碳报警器，人都好，通风要开多大",
        "He slumped on the sofa after work watching TV, is tired all the time normal?",
    ],
)
def test_stove_question_stays_routine(text: str) -> None:
    assert not emergency(text, 60)


# -- eyes puffed shut after a food (anaphylaxis) ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "Twenty minutes after the peanut satay her eyelids puffed shut, her lips look like "
        "sausages and her voice has gone squeaky and hoarse. She's scratching everywhere.",
        "My friend ate a satay skewer, her eyes are puffed shut, her voice sounds hoarse an"
        "d she is "
        "scratching her whole body and can't swallow.",
        # other wordings
        "After the prawns his eyes puffed shut and his voice went hoarse",
        "Her lips look like sausages after the cashew cake and she can't swallow",
        "He ate peanuts, his eyelids puffed shut and he's wheezing and breathless",
    ],
)
def test_food_face_swelling_airway_fires(text: str) -> None:
    assert level(text, 25) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "My eyes were puffed shut this morning after crying last night, no other symptoms",
        "Hay fever season, itchy eyes, a bit puffy, no trouble breathing",
        "Bee sting on my hand, a little swelling, no other symptoms",
    ],
)
def test_puffy_eyes_without_airway_stays_routine(text: str) -> None:
    assert not emergency(text, 25)


# -- choking while eating --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "俺奶奶中过风，吃年糕的时候不咳也不喊，就是突然不吃了，两手乱抓，眼睛瞪着，脸色慢慢"
        "变青，俺还以为她又犯病了",
        "奶奶吃汤圆的时候突然站起来，两只手乱抓，嘴张着一点声音都出不来，脸憋得通红又发紫",
        # other wordings
        "爷爷吃粽子的时候突然发不出声音，脸憋紫了",
        "孩子吃葡萄的时候一下卡住，张着嘴一点声音都没有",
        "老伴吃肉的时候噎住了，说不出话，嘴唇发紫",
    ],
)
def test_choking_while_eating_fires(text: str) -> None:
    assert level(text, 80) == AMB


@pytest.mark.parametrize(
    "text",
    [
        "吃鱼的时候卡了根小刺，咳了几下吐出来了，现在没事",
        "孩子吃饭的时候老是呛一下，咳两声就好，正常吗",
        "吃汤圆的时候噎了一下，喝口水就下去了",
    ],
)
def test_cleared_choke_stays_routine(text: str) -> None:
    assert not emergency(text, 60)


# -- dialect negation "冇"; a stomach cramp told as "胃抽抽" ----------------------------------


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        # tuning lines
        ("脑壳有点晕，但是手脚不麻，说话也清楚，嘴巴冇歪，就是昨晚打牌冇睡好。", None),
        ("怀孕32周，前置胎盘，医生让我在家卧床休息，最近冇出血，想问可以侧着睡吗？", "F"),
        ("喝了点凉的胃抽抽了一下，疼了几分钟，现在好了", None),
        # other wordings
        ("有点头晕，嘴冇歪，手脚有力，应该是冇睡够", None),
        ("怀孕20周，冇出血冇肚痛，想问可以坐飞机吗", "F"),
        ("吃了冰淇淋胃抽了一下，一会儿就好了", None),
        ("早上起来肚子抽了几下，上完厕所就好了", None),
    ],
)
def test_dialect_negation_and_cramp_stay_routine(text: str, sex: str | None) -> None:
    assert not emergency(text, 30, sex)


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("阿婆突然嘴歪了，讲嘢冇清楚，手冇力", None),
        ("怀孕30周，下面出血好多，肚痛得好犀利，冇停过", "F"),
        ("阿爷叫佢冇反应，冇气", None),
        ("孩子突然抽搐了五分钟，还没停", None),
    ],
)
def test_dialect_emergency_still_fires(text: str, sex: str | None) -> None:
    assert emergency(text, 60, sex)
