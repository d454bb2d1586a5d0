"""Round-22 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file or haodf request). Each class is tested in at least three wordings of its own
(another dialect, a relative, an older patient, English, a downplaying writer, a question).

Look-alikes that must stay routine, by class: someone else's event (a friend, a colleague, a
neighbour, a cousin) told before the writer turns to themself ("我也...", "I'm 30...") with no
present-time word between, even when that event was sudden (the bystander context); a finding
that was handled ("抢救回来", "转普通病房", "CT was fine"); an
"if ... ever" question, a worry about doing something by accident, and a plan to eat something
risky ("约我去吃河豚"); CPR or first-aid class questions and "just want to be prepared"; an electric
shock as a simile ("像被电了一下").

Emergencies that must fire, by class: a pulse under 40 with a blackout told as "眼前黑了"; a
delivery told in hours ("生完两个小时", "孩子下来半个钟头") with shock signs or heavy bleeding,
and hands told as "手是冰凉的"; a bulging fontanelle told as "囟门摸着鼓鼓的", "soft spot is
raised". From the haodf read: a patient on a drip now ("打着点滴", "on a drip") or admitted and
waiting for surgery, asking about the finding that is the reason for the stay, stays routine,
while a new onset told after it still fires.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, fired, level
from triage.urgency import UrgencyEngine

# -- someone else's event, then the writer turns to themself (bystander) --------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # round-22 tuning lines (retired_holdout_r22 / r22b)
        (
            "朋友吃了野生河豚进ICU，那天我也在，吃了一小块，可是到现在两天了一点"
            "感觉都没有。还需要去检查吗",
            30,
        ),
        (
            "同事昨天在办公室晕倒了，说是低血糖。我也经常不吃早饭，饭前会手抖心慌"
            "，吃点东西就好，要注意什么",
            28,
        ),
        (
            "My best friend died of a cardiac arrest playing football at 29. I'm 30 and a bit "
            "freaked out. Is there a test that would pick something like that up in me?",
            30,
        ),
        (
            "同船的兄弟前天晚上在海上突然胸痛，用直升机送上岸，说是心梗。我跟他同"
            "岁，也抽烟喝酒，我现在要怎么办",
            45,
        ),
        (
            "好朋友上个月自杀了，我一直睡不好，老想起来，有时候会哭，但我自己没有"
            "要伤害自己的念头。这样正常吗，可以找谁聊聊",
            25,
        ),
        ("表姐生孩子大出血把子宫切了，我现在怀孕28周，很害怕。我的产检都正常，怎么降低风险", 29),
        (
            "楼下邻居煤气中毒，一家三口都送医了。我住楼上，当时闻到一点煤气味，现"
            "在不头痛不恶心，需要去查吗",
            40,
        ),
        # not covered since the review: "My friend's toddler nearly drowned in a paddling
        # pool (she's okay, thank god). Now I'm terrified. What should we do ...?" (no past date
        # and no finding of the writer's own after the turn)
        # other wordings
        ("邻居大爷前天中风送医院了，我也有高血压，平时要注意什么", 58),
        (
            "My coworker had a heart attack at his desk last week. I'm 45 and smoke,"
            " should I get checked?",
            45,
        ),
        ("室友上周急性阑尾炎做了手术，我也肚子有点不舒服，会传染吗", 21),
        (
            "A friend was bitten by a snake on the trail last month, I'm going hiking there next "
            "week, what should I carry?",
            35,
        ),
        ("表哥去年突发心梗走了，才四十岁，我自己血脂也高，要做什么检查", 38),
    ],
)
def test_someone_elses_event_before_the_writer_turns_to_themself_stays_routine(
    text: str, age: int
) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # the third party's event is current: a present-time word before the writer's turn
        ("同事刚才突然晕倒了，叫不醒，我也不知道怎么办", 30),
        ("my friend collapsed and isn't breathing right now, I'm doing CPR", 30),
        ("朋友喝多了现在叫不醒，呼吸很慢，我也喝了酒", 25),
        # the writer shares the event ("跟朋友", "me and friends"): it is the writer's own
        ("跟朋友一起吃了河豚，嘴唇舌头发麻，手脚也麻，我也站不稳", 35),
        ("Me and friends drank homemade liquor last night, now my vision is blurry like snow", 30),
        # the writer is the one the third party's thing happened to ("被邻居家狗咬")
        ("被邻居家狗咬到脸了，出血了，狗没打疫苗，我也没打过狂犬疫苗", 30),
    ],
)
def test_a_current_or_shared_event_beside_a_third_party_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_the_bystander_context_is_reported_as_family() -> None:
    found = contexts_of("同事昨天在办公室晕倒了。我也经常头晕，要紧吗", "syncope")
    assert found and all("family" in kinds for kinds in found)
    # no turn to the writer: a colleague's event told for them
    found = contexts_of("同事昨天在办公室晕倒了，一直没醒", "syncope")
    assert found and all("family" not in kinds for kinds in found)


def test_a_table_without_bystander_cues_reads_as_before() -> None:
    data = UrgencyEngine.default().to_dict()
    for key in ("bystander_subjects", "bystander_pivots", "bystander_ends"):
        data["contexts"].pop(key, None)
    engine = UrgencyEngine.from_dict(data)
    mentions = engine.assess("同事昨天在办公室晕倒了。我也经常头晕", keep_mentions=True).mentions
    found = [m for m in mentions if m.concept == "syncope"]
    assert found and all("family" not in m.contexts for m in found)


# -- handled, hypothetical, planned, a class, a simile --------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # round-22 tuning lines
        ("老公心脏骤停抢救回来，ICU住了三天转普通病房了，现在意识很清楚。以后他还能开车吗", 55),
        # not covered since the review took "cpr class" out of the framing cues (a class taken
        # last week does not make today's chest pain a drill): "My husband has heart disease. If
        # he ever collapses, do I start CPR straight away? Is there anywhere ... doing CPR
        # classes in English?"
        (
            "If my 18-month-old ever has a febrile seizure, what do I do and at what point do I "
            "call 120? Just want to be ready.",
            1,
        ),
        (
            "What's the max paracetamol I can safely take in a day for my back? I'm worried about "
            "accidentally overdosing since some cold remedies here also contain it.",
            40,
        ),
        ("朋友约我去吃河豚，说是养殖的没毒。万一中毒了会怎样？养殖的真的安全吗", 30),
        ("打个喷嚏腰突然像被电了一下，痛了一阵子，现在慢慢能动了，就是弯腰还有点紧", 40),
        # handled, in other words
        ("爸爸脑出血抢救回来了，在康复医院，想问做什么康复", 60),
        ("我妈心梗住了五天院，出院后能吃阿司匹林吗", 66),
        (
            "Dad was treated for sepsis last month, now home, how long until he's back to normal?",
            70,
        ),
        ("Passed out after hitting my head at football, CT was normal, can I play next week?", 19),
        # "CT没事" / "CT was fine" are no longer handled cues (review: a normal CT then drowsiness
        # and vomiting is a delayed bleed): "上周骑车摔了头晕过去一下，CT没事，头还有点疼，能上班吗"
        # "if ... ever", an accident worried about, a plan to eat
        ("If my dad ever stops breathing, how do I do CPR on him?", 40),
        ("If she ever has an anaphylactic reaction, where do I inject the EpiPen?", 35),
        ("I'm worried about accidentally overdosing my son on ibuprofen, how much can he have?", 5),
        ("同事约我去吃野生菌，想去吃又怕中毒，哪些不能吃", 30),
        # a class, being prepared
        ("Where can I take a CPR class? My dad had a cardiac arrest two years ago", 40),
        ("想报个急救课，学心肺复苏和海姆立克，哪里有", 30),
        ("Just want to be prepared: what do I do if my toddler has a febrile seizure?", 2),
        # an electric shock as a simile
        ("弯腰捡东西，腰像被电了一下，现在还酸", 45),
        ("脖子一转，胳膊跟电了一下似的麻", 50),
        ("手肘撞到桌角，好像被电了一下，麻了几秒", 30),
    ],
)
def test_round22_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # a new event after the handled one
        ("心梗抢救回来后今天又胸痛，满头冷汗", 60),
        ("住了三天院出院了，今天突然又喘不上气，嘴唇发紫", 30),
        ("He was treated for a head injury last week and now he's vomiting and very drowsy", 40),
        # happening now, beside the new cue words
        ("CPR class question, but right now my husband collapsed and isn't breathing", 50),
        ("She took an overdose of paracetamol an hour ago by accident, 30 tablets", 30),
        ("修电线被电了一下，手上有个黑点，胸口发闷", 40),
    ],
)
def test_new_or_current_events_beside_the_new_cues_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # lead review: a bystander asking for help turns to themself without a finding of their
        # own and without dating the event (the bystander context silenced all of these)
        ("我朋友突然倒地不省人事，叫不醒，我现在在他旁边，怎么办", 30),
        ("同事吃饭时突然说话不清楚，一边嘴歪，我也吓坏了，要不要叫120", 50),
        ("邻居老太太摔倒了，头流了好多血，叫不醒，我自己不会处理", 80),
        ("My colleague suddenly has crushing chest pain and is sweating, I'm with him now", 55),
        ("表姐怀孕七个月，突然头痛眼花抽搐了，我也在场，怎么办", 28),
        ("室友喝了好多酒，吐了，叫不醒，呼吸很慢，我现在怎么办", 20),
        # a normal scan, then deterioration (the "CT没事" cues silenced these)
        ("摔了头，CT没事，但现在越来越困，吐了三次", 40),
        (
            "My son fell off his bike, CT was fine yesterday, but now he is vomiting and very "
            "drowsy",
            10,
        ),
        # a class taken, then a real event ("cpr class" framing silenced it)
        (
            "Took a CPR class last week; today my dad had sudden crushing chest pain and is grey "
            "and sweaty",
            60,
        ),
        # a doctor named is not a stay in hospital ("主治医生" framing silenced it)
        ("主治医生给开的药吃完后，嘴唇舌头肿起来喘不上气", 45),
    ],
)
def test_review_bystanders_scans_classes_and_doctors_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- emergencies in new words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        # round-22 tuning lines
        (
            "血压计上显示心跳38，我重新量了三次都是三十多，人有点发飘，刚才蹲下起来眼前黑了一下。"
            "这个血压计是不是坏了，该换个啥牌子的",
            60,
            None,
        ),
        (
            "在乡卫生院顺产的，生完两个小时了，她说就是困想睡觉，不怎么说话。外面"
            "垫子上看着血也不算多，可手是冰凉的，心跳一百三",
            28,
            "F",
        ),
        (
            "嫂子在夏牧场毡房里生的，孩子下来半个钟头了，下面一直哗哗流血，垫了三"
            "层毡子都湿透了，她脸发白说冷",
            30,
            "F",
        ),
        (
            "宝宝5个月，烧到38.5，一直哭哄不好，抱起来反而哭得更凶，不爱吃奶，头"
            "顶囟门摸着鼓鼓的，刚吐了一次",
            0,
            None,
        ),
        # a pulse under 40 with a blackout, other words
        ("手环显示心率只有36，站起来的时候眼前黑了一下", 55, None),
        ("老爸心跳才三十几下，今早上厕所眼前黑了，扶着墙才站住", 75, "M"),
        (
            "smartwatch says heart rate 37, everything went black for a second when I stood up",
            50,
            None,
        ),
        # a delivery told in hours with shock signs or heavy bleeding
        ("刚生完一个小时，她说冷，手冰凉，心跳一百四", 30, "F"),
        ("孩子生下来四十分钟了，下面血一直哗哗地流，她脸发白", 27, "F"),
        (
            "She delivered 2 hours ago at home, now pale, hands ice cold and heart racing at 140",
            31,
            "F",
        ),
        ("顺产完三个钟头，老婆说头晕，手冰冷，床单全是血", 29, "F"),
        # a bulging fontanelle in other words
        ("宝宝4个月，发烧39度，头顶囟门摸起来鼓鼓的", 0, None),
        (
            "8 month old with a fever, the soft spot on his head is bulging and he's very sleepy",
            0,
            None,
        ),
        ("娃7个月，吐了两次，顶门鼓起来了，烧到38.8", 0, None),
    ],
)
def test_round22_emergencies_fire(text: str, age: int, sex: str | None) -> None:
    assert emergency(text, age, sex), level(text, age, sex)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("运动员，静息心率48，从来没有头晕眼前黑", 25),
        ("生完三个小时，恶露量正常，宝宝吃奶很好，想问能吃鸡蛋吗", 28),
        ("孩子3个月，囟门摸着软软的平的，没有鼓，没发烧，正常吗", 0),
        ("宝宝囟门没有鼓起来，就是有点鼻塞", 0),
    ],
)
def test_the_new_forms_leave_their_look_alikes_alone(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


# -- in care now, in other words than "正在住院" (the haodf read) ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我爸肺炎打着点滴，还是喘，呼吸有点快，要换药吗",
        "孩子肺炎挂着点滴，还在发烧，咳得厉害，要输几天",
        "Mum is on a drip for pneumonia, still breathless, will she need oxygen?",
        "老公脑梗住院等手术，说话还不清楚，手术风险大吗",
        (
            "My father is admitted and waiting for surgery on his aneurysm, his back"
            " still hurts, what are the risks?"
        ),
    ],
)
def test_a_patient_on_a_drip_or_waiting_for_surgery_in_hospital_stays_routine(text: str) -> None:
    assert not emergency(text, 60), fired(text, 60)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("打着点滴突然全身起疹子，喉咙发紧喘不上气", 30),
        ("我爸正在住院，今天胸口剧痛，满头大汗", 66),
        ("在医院挂着点滴，现在说话突然不清楚了，右手抬不起来", 70),
        # waiting for surgery at home is not in care
        (
            "sudden severe back and belly pain, felt faint, sweating, I have a known aortic "
            "aneurysm 6cm, waiting for surgery",
            70,
        ),
    ],
)
def test_a_new_onset_after_the_care_phrase_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- the lines the rules and the backstop both missed, and their classes ---------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # round-22 tuning lines
        (
            "我爸说后背两个肩胛骨中间一下子疼了，很厉害，现在稍好一点，让我去药店买膏药贴。"
            "他有高血压，这个贴哪种膏药好，麝香的行吗",
            65,
        ),
        (
            "I took the rest of my sleeping pills tonight, around 20, with some wine. I'm writing "
            "only to ask whether I can just sleep it off or if someone has to come. Getting hard "
            "to keep my eyes open",
            35,
        ),
        ("食糯米糍哽喉 依家仲讲到少少嘢但系唞气有声 好似有嘢塞住 咳唔出", 70),
        (
            "I took a chinese herbal decoction with fu zi in it for my joint pain, now my mouth "
            "and fingers are tingling numb, heart is going fast and irregular, nauseous. Is this "
            "a normal reaction?",
            55,
        ),
        # pain between the shoulder blades, sudden and severe or with high blood pressure
        ("我妈有高血压，刚才后背两个肩胛骨之间突然剧痛", 62),
        ("老公后背肩胛骨中间突然疼得厉害，出冷汗", 55),
        ("Sudden really bad pain between my shoulder blades, I have high blood pressure", 58),
        # the rest of the sedatives taken, eyes that will not stay open
        (
            "Took the rest of my sleeping tablets an hour ago with vodka, can't keep my eyes open",
            30,
        ),
        ("把剩下的安眠药都吃了，现在困得睁不开眼", 40),
        ("my mum took the rest of the bottle of her diazepam, she's struggling to stay awake", 70),
        # Cantonese airway words
        ("阿婆食汤圆哽喉，唞气有声，讲唔到嘢", 85),
        ("个仔食提子哽住，依家唞唔到气，块面发紫", 4),
        ("食鱼蛋鲠喉，唞气好大声，咳唔出", 60),
        # aconite with a numb mouth or an irregular heart
        ("I drank a tea with chuan wu for my knees, now my heartbeat is all over the place", 60),
        ("老爸喝了附子炖的汤，嘴巴发麻，心跳乱跳", 66),
        ("用草乌泡的酒喝了两口，舌头发麻，心跳没有规律", 58),
    ],
)
def test_round22_backstop_misses_and_their_classes_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("长期伏案，两个肩胛骨中间酸痛好几个月了", 35),
        ("打羽毛球后肩胛骨中间有点酸，要贴膏药吗", 30),
        ("I took the rest of my antibiotics this morning, course finished, feel fine", 30),
        ("附子理中丸能长期吃吗，有没有副作用", 50),
        ("想用川乌泡酒擦腿，安全吗", 60),
        ("食饭食得太快有啲哽，饮啖水就冇事", 40),
    ],
)
def test_round22_backstop_classes_leave_their_look_alikes_alone(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


# -- rules-alone misses, by class: descending paralysis, fish bile, fluid on the lungs ---------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # round-22 tuning lines
        (
            "我们一家前天吃了自己做的米送乎乎，我姐今天说看东西重影，眼皮耷拉着睁不开，说话含糊，咽东西老呛",
            40,
        ),
        ("前天吃了家里腌的豆豉 今天眼睛看东西俩 眼皮抬不起来 嘴干 咽饭费劲 脖子没劲", 50),
        (
            "我爸听人讲断肠草泡酒治风湿，喝了小半杯，现在说眼睛看不清、眼皮睁不开、头晕、手脚软，喘气有点费劲",
            60,
        ),
        ("我爸听说生吞鱼胆能明目，吞了一个大草鱼的胆，现在一直上吐下泻，今天尿很少", 60),
        ("听人讲食鱼胆清热明目 生吞咗两个鲩鱼胆 之后又呕又屙 今日成日都冇乜尿", 55),
        (
            "老伴这几天晚上得垫三个枕头才能睡，今晚枕头垫了也不行，坐在床边一直咳，咳出来一口口白沫子",
            75,
        ),
        (
            "奶奶80岁，这两晚不睡觉老坐在椅子上，说躺下就憋。今天有点糊涂，说胡话，脚肿的一按一个坑",
            80,
        ),
        # drooping eyelids with double vision or weak swallowing or speech
        ("吃了自己家做的臭豆腐，两天后眼皮耷拉，看东西重影", 45),
        (
            "My dad's eyelids are drooping and he's seeing double since this morning, ate "
            "home-canned beans two days ago",
            60,
        ),
        ("外婆眼皮抬不起来，说话吃力，喝水老呛", 80),
        # after a toxic plant, herbal wine or fish
        ("喝了断肠草泡的酒，现在眼皮睁不开，喘气费劲", 55),
        ("He drank a tea with gelsemium leaves, now can't hold his head up and is slurring", 50),
        ("吃了钩吻煮的水，看东西重影，说话吃力", 45),
        # a raw fish gallbladder with vomiting, diarrhoea or little urine
        (
            "My grandfather swallowed a raw carp gallbladder for his eyes, now vomiting and "
            "hardly any urine",
            75,
        ),
        ("吃了青鱼胆，一天没怎么尿，还拉肚子", 50),
        ("外公生吞了一个鲤鱼胆，说是清肝，今天吐了好几次，尿很少", 72),
        # cannot lie flat, with froth, pitting swelling or confusion
        ("爷爷晚上躺不下，一躺就憋，咳白沫痰", 82),
        ("Mum can't lie flat, has to sleep sitting up, coughing up frothy sputum", 78),
        ("外公这几天躺下就憋，脚肿得按下去一个坑", 79),
    ],
)
def test_round22_rules_alone_misses_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("眼睛疼的睁不开，流泪，看东西模糊", 30),
        ("熬夜后眼皮有点耷拉，没有其他不舒服", 30),
        ("断肠草是什么样子的，怎么分辨，听说吃了会眼皮抬不起来", 40),
        ("鱼胆能不能吃？听说能明目", 50),
        ("脚肿一按一个坑，没有喘，能平躺", 70),
        ("夜里有时候憋醒，咳粉红色的痰，不犯病时都很正常，看什么科", 60),
    ],
)
def test_round22_rules_alone_classes_leave_their_look_alikes_alone(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # round-22 tuning lines
        ("晚上关着灯刷手机，后来右眼眼眶发胀、头疼、恶心，眼睛有点红，看东西像蒙了一层纱", 55),
        (
            "下午看电视时右眼上面那块胀得厉害，跟着恶心吐了，现在这只眼看出去全是雾，路灯外面一圈彩色",
            68,
        ),
        ("左眼突然好胀好痛 头痛到呕 睇灯有个彩虹圈 对眼好矇", 60),
        # an eye told as swollen from inside, lay blur, a red eye, with headache or vomiting
        ("看完电影出来，左眼眼眶发胀，头痛想吐，看灯有光圈", 62),
        ("右眼胀得厉害，恶心吐了，看东西像蒙了一层纱", 70),
        (
            "My mum's right eye is red and aching, she's vomiting with a headache and says "
            "everything looks foggy",
            66,
        ),
    ],
)
def test_round22_angle_closure_in_lay_words_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("看手机久了眼睛有点胀，休息一下就好了", 30),
        ("眼睛有点红，有点痒，没有痛，看东西清楚", 25),
    ],
)
def test_round22_angle_closure_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)
