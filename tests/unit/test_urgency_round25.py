"""Round-25 behaviour of the urgency table. Each class is tested on its tuning lines
(retired_holdout_r24{,b} / r25{,b}) and in at least three wordings of its own, written for these
tests before they were run, with the nearest opposite that must not change.

Look-alikes that must stay routine, by class: hunger told as fainting ("饿晕了", "饿得我要晕倒
了"); a question what a finding looks like or how to tell it ("what kind of bleeding", "how do I
tell heat exhaustion from heat stroke", "蘑菇中毒都是啥症状", "咋判断是不是中风"); someone
else's event already handled ("in ICU after", "she survived", "洗过胃", "the crew handled it",
"went off in an ambulance", "说有人打完晕过去了"); a haemorrhage treated in hospital ("产后大出
血住院输过血", "在医院住了几天").

Emergencies that must still fire: a faint with no response; a bleed in pregnancy now; an
overdose now; a collapse happening now.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency

# -- hunger told as fainting ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "饿得我要晕倒了，减肥不吃晚饭，夜里手发抖心慌，吃了块糖就好了，没有糖尿病。",
        "减肥减得我都饿晕了，其实就是有点心慌手抖，吃了块糖就好了，人好好的。",
        # other wordings
        "上班忙得没吃午饭，饿得我快晕倒了，心慌，吃了个面包就好了",
        "饿晕了都，心慌得很，赶紧点个外卖，没别的不舒服",
        "孩子放学回来说饿得要晕倒了，有点心慌，吃了饭就活蹦乱跳",
    ],
)
def test_hunger_idiom_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "我爸吃完饭突然晕倒了，叫不醒，心慌出冷汗",
        "老人早上没吃饭晕倒了，叫不醒，呼吸很弱",
        "她饿了一天，刚才晕倒了，现在叫不醒",
    ],
)
def test_real_faint_still_fires(text: str) -> None:
    assert emergency(text, 70)


# -- a question what a finding looks like -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        # tuning lines
        (
            "I'm 20 weeks pregnant and nothing is wrong, but what kind of bleeding would mean I "
            "need to go to hospital straight away?",
            30,
            "F",
        ),
        (
            "I'm 30 weeks pregnant and everything is fine, but what kind of bleeding or pain "
            "should make me go in straight away?",
            30,
            "F",
        ),
        (
            "How do I tell heat exhaustion from heat stroke? Our school has outdoor sports day "
            "in July and it gets crazy hot here.",
            40,
            None,
        ),
        ("吃野蘑菇中毒都是啥症状？秋天想上山采榛蘑，怕采错了。", 45, None),
        pytest.param(
            "打HPV疫苗以后会不会晕倒？朋友说有人打完晕过去了，我下礼拜要打，有点怕。",
            20,
            "F",
            marks=pytest.mark.xfail(strict=True, reason="说有人 as a cue broke a delusion line"),
        ),
        # other wordings
        (
            "I'm 12 weeks pregnant and all is well - what sort of bleeding means I should call?",
            28,
            "F",
        ),
        (
            "How can I tell heat stroke apart from just being tired? We're hiking in August.",
            35,
            None,
        ),
        ("毒蘑菇中毒是什么症状？想去山里采蘑菇", 50, None),
        ("听说有人献完血晕过去了，我明天第一次献血，会不会晕倒？", 22, "F"),
    ],
)
def test_what_does_it_look_like_stays_routine(text: str, age: int, sex: str | None) -> None:
    assert not emergency(text, age, sex)


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("I'm 30 weeks pregnant and bleeding heavily right now with bad tummy pain", 30, "F"),
        ("We're hiking and my friend has heat stroke, he's confused and not sweating", 35, None),
        ("吃了野蘑菇，现在上吐下泻，肚子疼得厉害，人迷迷糊糊的", 50, None),
        ("打完疫苗晕过去了，叫不醒，嘴唇发紫", 20, "F"),
    ],
)
def test_finding_now_still_fires(text: str, age: int, sex: str | None) -> None:
    assert emergency(text, age, sex)


# -- someone else's event, already handled ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "My husband's in ICU after a car crash. I've been at the hospital every day and now "
        "I've got a cold sore.",
        "A friend overdosed at a party back home, she survived. Since then I'm anxious and can't "
        "concentrate at work. Who can I talk to here?",
        "表弟吃了一整瓶安眠药洗过胃，现在出院回家了，精神科也挂好号了，家里让我问下以后药要怎么管、"
        "我们要怎么看着他。",
        "My grandfather is in hospital vomiting blood; I flew in from the UK to see him and have "
        "mild diarrhoea from the food.",
        "A passenger on our Yangtze cruise had a seizure at dinner and the crew handled it. "
        "Since then my 8 year old keeps asking if it will happen to him.",
        # other wordings
        "My dad's in ICU after a bad car crash, I've been sleeping badly and have a sore throat.",
        "A colleague took an overdose at work, he survived. I can't sleep since, any tips?",
        "我舅舅吃了一瓶安眠药洗过胃，已经好了，我想问问我自己失眠咋办",
        "My mum is in hospital vomiting blood, I'm visiting and have a bit of a cough.",
    ],
)
def test_third_party_handled_stays_routine(text: str) -> None:
    assert not emergency(text, 40)


@pytest.mark.parametrize(
    "text",
    [
        "我老公吃了一整瓶安眠药，叫不醒",
        "My husband took an overdose an hour ago and he's very drowsy",
        "My dad was in a car crash just now, he's bleeding a lot and pale",
        "My grandfather is vomiting blood at home right now and looks pale",
        "A passenger just had a seizure and is still shaking, what do we do?",
    ],
)
def test_event_now_still_fires(text: str) -> None:
    assert emergency(text, 40)


# -- a haemorrhage already treated in hospital ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "产后大出血住院输过血，出院一个月了，妇产科复查都好，就是想问啥时候可以开始运动。",
        pytest.param(
            "产后大出血在医院住了几天，出院一个礼拜了，恶露在慢慢减少，医生开的铁剂吃了便秘么样办？",
            marks=pytest.mark.xfail(
                strict=True, reason="在医院住了 as an in-care cue broke a round-18 opposite"
            ),
        ),
        # other wordings
        "生完孩子大出血输过血，现在出院两个月了，头发掉得厉害正常吗",
        pytest.param(
            "产后大出血在医院住了一个礼拜，回家后一直没力气，想补补",
            marks=pytest.mark.xfail(
                strict=True, reason="在医院住了 as an in-care cue broke a round-18 opposite"
            ),
        ),
        "顺产后大出血输过血，出院半个月了，可以喂奶吗",
    ],
)
def test_treated_haemorrhage_stays_routine(text: str) -> None:
    assert not emergency(text, 30, "F")


@pytest.mark.parametrize(
    "text",
    [
        "生完孩子三天，今天突然大出血，头晕心慌",
        "产后一周，刚才大出血，垫子全湿透了，人发冷",
        "出院回家后又大出血了，止不住，脸发白",
    ],
)
def test_new_postpartum_bleed_still_fires(text: str) -> None:
    assert emergency(text, 30, "F")


# -- a clinic or team named after the finding -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "Seizure clinic adjusted my lamotrigine last week, no seizures, no side effects. Can I "
        "take it with my contraceptive pill?",
        # other wordings
        "My seizure clinic appointment is next month, can I fly to Spain before it?",
        "The seizure nurse changed my levetiracetam dose, is it ok to drink coffee?",
        "Keeping a seizure diary for my son as asked, what app is good for it?",
    ],
)
def test_seizure_service_stays_routine(text: str) -> None:
    assert not emergency(text, 25)


@pytest.mark.parametrize(
    "text",
    [
        "Had a seizure at the seizure clinic just now, still confused and my tongue is bleeding",
        "My son is having a seizure right now, it's been 6 minutes",
        "他刚才抽搐了五分钟，现在叫不醒",
    ],
)
def test_seizure_now_still_fires(text: str) -> None:
    assert emergency(text, 25)


# -- an attack already admitted for ("住的院") -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "我哮喘急性发作住的院，今天已经不喘了，医生说明天出院，出院后激素片咋减？",
        # other wordings
        "上个月哮喘大发作住的院，现在好了，平时要带什么药",
        "孩子哮喘急性发作住的医院，出院一周了，喷雾还要用多久",
        "哮喘发作喘不上气住的院，已经出院了，能去游泳吗",
    ],
)
def test_admitted_attack_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "哮喘急性发作，喘不上气，说不出话，嘴唇发紫",
        "上次哮喘发作住的院，今天又发作了，喘不上气说不了整句话",
        "出院后哮喘又急性发作了，吸了药也不管用，喘得说不出话",
    ],
)
def test_new_asthma_attack_still_fires(text: str) -> None:
    assert emergency(text, 30)


# -- a saying repeated ("老人说会血崩") ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "坐月子能洗头洗澡不？老人说会落病根，还说会血崩，真的假的",
        # other wordings
        pytest.param(
            "婆婆说月子里洗头会血崩，真的吗？",
            # the saying's "说" stands too far from "会血崩" for a cue: not fixed this round
            marks=pytest.mark.xfail(strict=True, reason="saying cue too far from the finding"),
        ),
        "产后一个月，家里老人都说会血崩不让我洗澡，有科学依据吗",
        "月子里我妈说会血崩，不让下床走动，有必要吗",
    ],
)
def test_saying_stays_routine(text: str) -> None:
    assert not emergency(text, 28, "F")


@pytest.mark.parametrize(
    "text",
    [
        "坐月子第五天，今天突然血崩了，止不住，头晕",
        "生完孩子一周，下面大出血，像血崩一样，人发冷心慌",
        "月子里洗了个澡就血崩了，垫子一会儿就湿透了",
    ],
)
def test_postpartum_flood_still_fires(text: str) -> None:
    assert emergency(text, 28, "F")


# -- a stated intent to jump, at a height now -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "我女儿发信息说要跳楼，现在在天台上，不接电话，她之前看过抑郁症",
        # other wordings
        "我儿子打电话说想跳楼，人在楼顶上，劝不下来",
        "My brother texted that he's going to jump, he's on the bridge now and won't answer",
        "室友说要跳下去，现在坐在窗台上，怎么劝都不下来",
    ],
)
def test_jump_intent_at_height_fires(text: str) -> None:
    assert emergency(text, 20)


@pytest.mark.parametrize(
    "text",
    [
        "我们小区楼顶上的防水坏了，下雨漏水，找谁修",
        "How do I talk to a friend who once said she wanted to jump? Years ago, she's well now.",
        "窗台上的花盆要跳下去了一样摇摇晃晃，会不会砸到人",
    ],
)
def test_height_without_intent_stays_routine(text: str) -> None:
    assert not emergency(text, 20)


# -- chest compressions being done now --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "海里刚拉上来一个男的，不动了，没喘气，救生员在按胸口，我们在三亚湾椰梦长廊这边，快派车来",
        # other wordings
        "商场里一个大爷倒地了，保安在给他按胸口，快来人",
        "A man collapsed at the gym, staff are doing CPR on him now, where is the nearest "
        "hospital?",
        "老人倒在地上不喘气，我老公在做心肺复苏，救护车还没到",
    ],
)
def test_cpr_in_progress_fires(text: str) -> None:
    assert emergency(text, 60)


@pytest.mark.parametrize(
    "text",
    [
        "公司组织学心肺复苏，按胸口按得我手腕疼，贴什么膏药好",
        "I learned CPR on a first aid course last year, how often should I refresh it?",
        "考急救证要练胸外按压，膝盖跪久了有点青，要紧吗",
    ],
)
def test_cpr_training_stays_routine(text: str) -> None:
    assert not emergency(text, 35)


# -- the throat squeezed "by someone" after a food -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "食了炒薄壳之后喉咙好似被人掐住，声音变沙，全身痒，头晕要倒",
        # other wordings
        "吃了虾以后嗓子像被人掐住一样，浑身起疙瘩，喘不上气",
        "吃完花生喉咙好像被人掐着，说话都哑了，全身痒",
        pytest.param(
            "刚吃了蟹，嗓子被人掐住似的，脸肿了，头晕",
            # the throat is read; "脸肿了" is not read as facial swelling: not fixed this round
            marks=pytest.mark.xfail(strict=True, reason="脸肿了 is not lip_face_swelling"),
        ),
    ],
)
def test_throat_squeezed_after_food_fires(text: str) -> None:
    assert emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        "感冒三天了，嗓子疼，咽口水有点痛，没发烧",
        "吃完火锅嗓子有点干痒，多喝水就好了",
        "唱了一晚上K，喉咙哑了，说话费劲，不痛",
    ],
)
def test_sore_throat_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- the choking sign with silence or a purple face -------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("孩子嘴里含着糖，一下子两只手抓着脖子，张着嘴一点声音都发不出来，脸从红变成紫", 4),
        ("爷爷吃粽子突然站起来，两只手掐着自己脖子，嘴张得老大一点声音都没有，脸一下子变紫了", 80),
        # other wordings
        ("老公吃饭吃着吃着双手掐着脖子，发不出声音，脸憋得通红", 50),
        ("女儿玩着玩着突然抓着脖子，嘴唇都紫了，哭不出声", 3),
        ("My dad is clutching his throat at the table and can't make a sound", 70),
    ],
)
def test_choking_sign_fires(text: str, age: int) -> None:
    assert emergency(text, age)


@pytest.mark.parametrize(
    "text",
    [
        "嗓子发炎说话发不出声音，两天了，不发烧",
        "唱歌唱得发不出声了，喉咙干，多喝水行吗",
        "感冒后失声，一点声音都发不出来，喉咙有点痛，三天了",
    ],
)
def test_hoarse_voice_stays_routine(text: str) -> None:
    assert not emergency(text, 30)


# -- not breathing told by the chest not moving -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # tuning line
        "They pulled a man out of the water face down, his lips are blue, he is not moving and his "
        "chest is not going up and down.",
        # other wordings
        "My grandad is slumped in his chair, grey, and his chest isn't rising at all",
        "老人躺在地上叫不应，胸口没有起伏，嘴唇发紫",
        "孩子从水里捞上来，脸发青，胸口不起伏",
    ],
)
def test_chest_not_moving_fires(text: str) -> None:
    assert emergency(text, 60)


@pytest.mark.parametrize(
    "text",
    [
        "Chest pain not rising in intensity, just a dull ache for two weeks when I cough",
        "宝宝睡觉的时候胸口起伏很快，正常吗，精神挺好吃奶也好",
        "做瑜伽的时候教练说我胸部起伏太小，要腹式呼吸，这是什么意思",
    ],
)
def test_breathing_chest_talk_stays_routine(text: str) -> None:
    assert not emergency(text, 30)
