"""Round-28 behaviour of the urgency table. Each class is tested on its tuning lines
(retired_holdout_r27{,b} / r28{,b}) and in at least three wordings of its own, written for these
tests before they were run, with the nearest opposite that must not change.

Emergencies told by what is seen or by a tuple of milder findings: no response to calling or
pinching with blue lips, no breath or a lolling head (arrest); bedding soaked with blood after a
delivery with shivering, confusion or dim vision; shaking that will not stop with a clenched jaw,
no response or known epilepsy; neck muscles straining or tripod sitting with indrawing, broken
speech or blue lips; a headache like a blow or a sudden clutching of the head with vomiting, light
aversion or a stiff neck; a burn told by how the skin looks over a wide area or with smoke signs,
confusion or shivering; tense purple limbs or cola urine after being pulled from rubble.

Look-alikes that must stay routine: someone not answering a call who is asleep, sweat-soaked
clothes after a delivery, a cough that will not stop in known epilepsy, resting braced on the knees
after a run, a ball hitting the head, a small scald that blistered, sleeping on an arm.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, level

AMB = "emergency_ambulance"

# -- unresponsive with blue lips, no breath or a lolling head (cardiac arrest) ---------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("奶奶坐在椅子上头一歪，手垂下来了，拍她、掐人中都冇动静，脸跟纸一样白，嘴唇慢慢变紫", 72),
        (
            "老爷子坐沙发上看电视，头一歪就不答应了，眼睛半睁着，胸口一点起伏都没有，嘴唇已经紫了",
            70,
        ),
        (
            "我公公在客厅看电视突然往边上一倒，喊他冇反应，好像冇气了，嘴巴张着，我老公在做按压，"
            "救护"
            "车怎么叫最快",
            67,
        ),
        # other wordings
        ("我爸吃着饭头一歪，叫他没反应，嘴唇发紫", 68),
        ("外公躺在床上喊了半天都没反应，胸口没起伏了", 85),
        ("My grandad slumped over in his chair, he is not responding and his lips are blue", 80),
    ],
)
def test_unresponsive_arrest_signs_fire(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        pytest.param(
            "孩子戴着耳机打游戏，叫他半天没反应，其实就是没听见",
            12,
            marks=pytest.mark.xfail(
                strict=True, reason="pre-existing: unrousable fires on '叫他半天没反应'"
            ),
        ),
        ("爷爷看电视看着看着头一歪睡着了，打呼噜，一叫就醒了", 75),
        ("冬天嘴唇有点发紫，手脚凉，人精神挺好", 30),
    ],
)
def test_unresponsive_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- bedding soaked with blood after delivery, with a shock sign (postpartum haemorrhage) ----


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "在牧区家里生的，孩子出来半个钟头了，炕上的毡子都被染透了，她说冷，一直打哆嗦，叫她也懒得"
        "睁眼",
        "月子里的媳妇站起来上厕所，裤腿里往下淌，地上一滩，床单也红透了，她说眼睛看东西发花",
        "我老婆在家生完孩子一个小时了，下面血一直往外流，已经湿透三条褥子，人开始说胡话了",
        # other wordings
        "生完孩子两个小时，床单都被血染透了，她说头晕，脸白得吓人",
        "老婆产后第三天，垫子一会儿就湿透了，现在冷得直打哆嗦",
        "刚生完孩子，血把褥子都浸透了，人迷迷糊糊叫不醒",
    ],
)
def test_postpartum_soaked_bleeding_fires(text: str) -> None:
    assert level(text, 28, "F") == AMB


@pytest.mark.parametrize(
    "text",
    [
        "坐月子出汗特别多，睡衣床单都汗湿透了，人挺好的",
        pytest.param(
            "生完孩子一周了，恶露不多，就是有点头晕，想问吃什么补",
            marks=pytest.mark.xfail(
                strict=True, reason="pre-existing: postpartum_shock_r19 fires on dizziness"
            ),
        ),
        pytest.param(
            "产后两周，晚上给孩子换尿布，尿布湿透了，孩子总哭",
            marks=pytest.mark.xfail(
                strict=True, reason="pre-existing: postpartum_shock_r19 fires on '湿透'"
            ),
        ),
        "坐月子第五天，恶露颜色淡了，量不多，人挺好",
    ],
)
def test_postpartum_sweat_or_light_lochia_stays_routine(text: str) -> None:
    assert not emergency(text, 28, "F")


# -- shaking that will not stop, with a clenched jaw, no response or known epilepsy ----------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "崽在地上手脚一直乱蹬停不下来，牙关咬得紧紧的，裤子尿湿了，叫他名字一点反应都冇，快十"
            "几分钟了",
            8,
        ),
        (
            "My son has epilepsy and he has been shaking for more than seven minutes, his rescue "
            "medicine didn't stop it.",
            8,
        ),
        # other wordings
        ("孩子有癫痫，现在手脚乱抖停不下来，已经十分钟了", 6),
        ("我弟弟浑身抽，停不下来，叫他没反应，快二十分钟了", 16),
        ("My daughter is jerking all over and it isn't stopping, she has epilepsy", 10),
    ],
)
def test_status_shaking_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("孩子有癫痫，这两天咳嗽停不下来，其他都好", 8),
        ("晚上腿老是一抽一抽的抽筋，停一会就好了", 40),
        ("My son has epilepsy, he gets shaking hands when he is cold, no fits for two years", 12),
    ],
)
def test_shaking_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- neck muscles straining or tripod sitting with indrawing, broken speech or blue lips -----


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "孩子在沙尘暴里回来就坐着往前趴，两只手撑着膝盖，脖子上的筋都鼓起来，肋骨中间一吸气就"
            "陷下去",
            10,
        ),
        (
            "她坐在床边两只手撑着膝盖，脖子上的筋一根根鼓起来，每吸一口气肚子都往里凹，一句话要停"
            "三次",
            35,
        ),
        (
            "She is sitting bolt upright gripping the table, shoulders heaving, lips greyish, "
            "and can only nod or shake her head at us.",
            15,
        ),
        # other wordings
        ("我爸哮喘犯了，两手撑着桌子坐着，脖子上的筋一跳一跳的，嘴唇发紫", 60),
        ("孩子喘得脖子上的筋都鼓出来了，说话一句一句断", 9),
        ("He is leaning forward with shoulders heaving and his lips are turning blue", 50),
    ],
)
def test_accessory_muscles_distress_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("跑完八百米两只手撑着膝盖歇了一会儿，现在好了", 15),
        ("脖子上的筋有点疼，落枕了，转头不舒服", 35),
        ("健身的时候脖子上的筋鼓起来，教练说用力不对", 28),
    ],
)
def test_tripod_or_neck_alone_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- a blow-like headache or sudden head clutching with vomiting (subarachnoid haemorrhage) --


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("干活时后脑勺像被棒子猛打了一下，疼得眼前发黑，一直想吐，脖子低不下去", 40),
        (
            "他在院子里劈柴，突然抱着头蹲下去，喊了一声就吐了一地，现在眼睛都睁不开，灯一开就往被"
            "子里钻",
            50,
        ),
        # other wordings
        ("我妈做饭时突然抱着头蹲下，说头要炸了，接着就吐了", 55),
        ("刚才后脑勺像被人用锤子敲了一下，现在一直吐，脖子发硬", 45),
        (
            "He suddenly clutched his head and crouched down, then vomited and can't stand the "
            "light",
            48,
        ),
    ],
)
def test_thunderclap_lay_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("打篮球后脑勺被球砸了一下，有点疼，没吐，现在好了", 20),
        ("偏头痛老毛病了，每次都像被锤子敲一样，吐一下睡一觉就好", 35),
        ("孩子玩游戏输了就抱着头蹲下哭，一会儿就好", 8),
    ],
)
def test_blow_headache_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- a burn told by how the skin looks, wide or with smoke signs, confusion or shivering ------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "她端着滚油往下倒的时候锅翻了，从脖子到肚子全红了，起的泡一个连一个，现在浑身打冷颤，"
            "说话带喘",
            30,
        ),
        (
            "老汉糖尿病腿上没知觉，炕烧得太烫睡了一夜，早上发现屁股大腿一大片发白发硬，他说一点不"
            "疼，现在发烧人有点糊涂",
            79,
        ),
        ("煤气罐爆了，脸上手上胸口都烧了，皮都掉了，喉咙也痛，讲话沙沙的", 38),
        (
            "窑厂着火，我师傅冲出来的时候衣服粘在背上，背上和两只手都是一片片白的黄的，他反倒说不"
            "怎么痛，吐出来的痰是黑的",
            48,
        ),
        (
            "我姥姥靠着暖气片睡着了，醒来说不怎么疼，但是屁股和大腿后面一大片皮发白发硬，有的地方"
            "发黑",
            80,
        ),
        ("孩子把刚烧开的奶茶锅拽翻了，浇了一身，胸口肚子两条胳膊都起泡脱皮了，哭得撕心裂肺", 4),
        # other wordings
        ("开水壶倒了，孩子胸口肚子都烫得起泡脱皮了", 3),
        ("厨房着火，我爸脸上的皮都掉了，声音哑了", 60),
        (
            "The pan of hot oil tipped over him, his chest and arms are blistered all over and "
            "he is shivering",
            40,
        ),
    ],
)
def test_burn_by_look_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("做饭被开水烫了一下手背，起了个小泡，有点脱皮，不怎么疼", 35),
        ("去海边晒了一天，背上一大片脱皮了", 25),
        ("上个月烫伤的地方现在脱皮了，长好了，问能不能涂药", 30),
    ],
)
def test_small_or_healing_burn_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- tense purple limbs or cola urine after being trapped (crush syndrome) -------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        (
            "他从碎石堆里被拉出来的时候还能说话，现在两条腿又硬又紫，按哪儿都不知道，尿出来跟可乐"
            "一个颜色",
            33,
        ),
        (
            "A coworker was trapped under a collapsed steel beam for two hours, his legs are "
            "swollen and he feels weak.",
            41,
        ),
        # other wordings
        ("工地墙塌了，我哥被压在下面一个多小时，刚挖出来，腿又肿又硬", 40),
        ("地震后被挖出来，现在尿是酱油色的", 50),
        ("He was pinned under the tractor for an hour and his legs are rock hard now", 45),
    ],
)
def test_crush_signs_fire(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("压着胳膊睡了一夜，早上手有点麻，现在好了", 30),
        ("跑完马拉松腿又酸又硬，尿有点黄", 35),
        ("孩子被拉出来的时候哭了一下，没受伤，玩得挺好", 5),
    ],
)
def test_crush_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- a head blow with vomiting and double vision or drowsiness; CSF leak; unequal pupils ------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("摔了一跤脑壳撞到台阶上，现在头痛得很，一直吐，看东西重影，好想睡", 28),
        (
            "He fell from the scaffolding and landed on his head, now he's snoring loudly though "
            "his eyes are half open, and clear watery fluid is dripping from his nose.",
            38,
        ),
        (
            "He came off the horse onto a rock, woke up and chatted normally for an hour, now one "
            "pupil is bigger than the other and he won't open his eyes.",
            40,
        ),
        # other wordings
        ("我爸后脑勺磕在地上，吐了两回，现在很困叫不醒", 60),
        ("孩子从床上掉下来头磕到地板，一直吐，说看东西有两个", 6),
        ("骑车摔了头撞在马路牙子上，耳朵里流清水", 30),
        ("She hit her head on the ice, now one pupil is larger and she keeps vomiting", 70),
    ],
)
def test_head_blow_danger_signs_fire(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("头磕到桌角，起了个小包，不吐不晕，就是摸着疼", 30),
        ("感冒了鼻子一直流清水，头有点痛", 30),
        ("I fell and scraped my knee, some clear fluid is oozing from the graze", 25),
        ("天生两边瞳孔一大一小，眼科看过说没事", 20),
    ],
)
def test_head_blow_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- sudden vertigo with a veering gait and vomiting (posterior circulation stroke) ----------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning line
        (
            "老汉就是突然头晕，天旋地转，走不成路，一走就往左边歪，吐了好几回，没有头疼，以前血压"
            "高",
            78,
        ),
        # other wordings
        ("我妈今早突然天旋地转，走路往右倒，吐了三次", 62),
        ("爷爷刚才突然头晕得厉害，一走路就往左边倒，一直在吐", 80),
        ("Dad suddenly got violent vertigo, he can't walk a straight line and keeps vomiting", 70),
    ],
)
def test_vertigo_veer_vomit_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("一转头就天旋地转，几十秒就好，吐了一次，以前也这样", 60),
        ("昨晚喝多了，走路往左倒，吐了一地，现在头晕", 55),
        ("坐车晕车，头晕想吐，下车歇一会就好了", 65),
    ],
)
def test_positional_or_drunk_vertigo_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- false alarm: a question asked to learn CPR or drowning first aid ------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("心跳骤停的时候怎么做心肺复苏？想学一下，家里有个心脏不好的奶奶。", 40),
        ("心脏骤停了做胸外按压，按多深按多快？俺想学学，俺爹有冠心病", 40),
        ("出海遇到有人落水救上来，要怎么急救？我们船上几个人想培训一下。", 35),
        # other wordings
        ("溺水的人救上来怎么急救？想学习一下，孩子暑假要去游泳", 38),
        ("心脏骤停的人要怎么抢救？公司让我们培训一下", 30),
        ("I want to learn what to do when someone's heart stops, is there a CPR course?", 45),
    ],
)
def test_learning_first_aid_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("我爸突然倒地心脏骤停了，我在按胸口，救护车还没到", 60),
        ("孩子溺水了刚捞上来，没有呼吸", 6),
        ("My husband collapsed and his heart stopped, I'm doing CPR now", 55),
    ],
)
def test_real_arrest_or_drowning_still_fires(text: str, age: int) -> None:
    assert level(text, age) == AMB


# -- a fast irregular pulse with breathlessness, pallor or dizziness (fast AF) ---------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("老爷子就说没劲，喘气有点急，脚有点肿，摸脉一会儿一跳一会儿停，乱得数不清", 80),
        ("她喝完酒以后一直捂着胸口说里面像有只鸟在乱扑腾，手腕上一摸又快又不齐，脸发白", 45),
        ("心里突突突乱跳，快得数不过来，喘不上气，手心出汗", 60),
        # other wordings
        ("我妈心跳乱跳，快得数不清，今天一直喘", 68),
        ("爸爸手腕上的脉又快又不齐，头晕得站不住", 72),
        ("My mum's pulse is fast and irregular, too fast to count, and she is breathless", 75),
    ],
)
def test_fast_irregular_pulse_unwell_fires(text: str, age: int) -> None:
    assert emergency(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("心跳偶尔乱跳一下，几秒就好，心电图说是早搏，好几年了", 40),
        ("跑完步心跳快得数不过来，歇一会就好了，人挺好", 25),
        ("心里很乱，睡不着，工作压力大", 35),
    ],
)
def test_benign_palpitations_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


# -- chest tightness on everyday effort now coming at rest (unstable angina) ------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # tuning lines
        ("这几天走两步胸口就发紧，歇一下好了，昨晚睡觉的时候也闷醒了一次，持续了十来分钟", 65),
        ("我爸这一周上楼梯就胸口闷，歇一会就好，今天坐着不动也闷了两次，每次十来分钟", 70),
        (
            "Over the past few days I get chest tightness with less and less effort, this "
            "morning it came on while sitting and lasted 15 minutes.",
            60,
        ),
        # other wordings
        ("我妈这几天走两步就胸口闷，今天躺着也闷了一回", 66),
        ("老公最近上楼梯胸口就发紧，今天坐着看电视也紧了十几分钟", 58),
        (
            "My chest gets tight with less and less effort this week and today it happened at rest",
            62,
        ),
    ],
)
def test_effort_angina_now_at_rest_fires(text: str, age: int) -> None:
    assert level(text, age) == "emergency" or level(text, age) == AMB


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("上楼梯有点喘，歇一下就好，好几年都这样，没有胸闷", 60),
        ("走两步就累，最近睡得不好，胸口不疼", 55),
        ("爬到二楼腿酸，膝盖疼，想问是不是关节炎", 65),
    ],
)
def test_effort_tiredness_without_chest_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age)
