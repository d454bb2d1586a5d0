"""Round-36 rules (triage/urgency/data/*_round36.json). Each class was written from the emergencies
the shipped bundle and the rules alone missed on retired_holdout_r29{,b} .. r36{,b}, mostly a
patient playing down findings that are present ("可能是坐久了", "以为是...", "老毛病了",
"躺会儿就好"). The rules read the findings, however the patient rates them. Every wording here is
written for these tests; each class has opposites that must stay routine (negated, long past,
hypothetical, chronic and unchanged, or a milder version).
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, level

# (text, age, sex): current findings told with a softener; each must escalate
EMERGENCY = [
    # acute limb ischaemia: cold, numb foot or leg, pale or weak
    ("左脚突然有点麻，摸着冰凉，还有点发白，估计是压着了", 66, "M"),
    ("右腿有点麻，凉凉的，使不上劲，我觉得是蹲久了", 58, "F"),
    ("这会儿脚发麻，冰凉冰凉的，没什么力气，揉了半天", 71, "M"),
    ("小腿麻，凉，颜色发白，以为是腿抽筋", 69, "F"),
    # DVT: one leg swollen with a tight or tender calf; or after an operation
    ("右腿有点肿，小腿发紧，大概是最近走路多了", 45, "F"),
    ("左小腿肿了两天，腿肚子胀痛，是不是鞋不合脚", 52, "M"),
    ("剖腹产出院一周，这两天腿肿了，按着疼，以为是坐月子不动", 31, "F"),
    ("坐了十几个小时飞机回来，一边腿肿，腿肚子胀痛", 40, "M"),
    # retinal detachment: floaters with part of the field dark
    ("这两天飞蚊多了，左眼上半边有点暗，应该是熬夜了", 55, "M"),
    ("眼前闪光，今天发现右眼边上像挡了一块，估计是累的", 62, "F"),
    ("飞蚊好几年了，今天突然多了一堆，视线下边发黑", 50, "M"),
    # TIA: words would not come with a numb or weak hand
    ("早上有几分钟说不出话，右手发麻，后来就好了", 63, "M"),
    ("刚才突然话说不出来，左手没劲拿不住杯子，现在好多了", 57, "F"),
    ("吃饭时讲不出话，半边脸发麻，十分钟就过去了", 70, "M"),
    # ectopic: bearing down, period late or cannot be pregnant, dizzy or shoulder tip
    ("小肚子往下坠，月经推迟十来天了，刚才头有点晕", 27, "F"),
    ("肛门坠坠的老想上厕所，左边肩膀疼，例假没来，应该是便秘", 30, "F"),
    ("下腹坠胀，月经晚了一周，站起来头晕，可能是没吃早饭", 24, "F"),
    # older person sleepier and more muddled with smelly urine
    ("我爷爷这两天老睡觉，有点糊涂，尿味道大，估计是天热", 82, "M"),
    ("奶奶今天迷迷糊糊的，叫不太醒，小便很臭，她说没事", 88, "F"),
    ("外公有点糊涂，小便浑浊，体温37.9，说腰酸", 79, "M"),
    # diabetic muddled and sweating
    ("我爸有糖尿病，下午开始说话颠三倒四，满身汗，可能是热的", 66, "M"),
    ("打胰岛素的，刚才突然糊涂了，一身汗", 45, "F"),
    ("糖尿病，老婆现在迷糊，浑身汗，叫她也答非所问", 60, "F"),
    # sudden bad headache with a stiff neck, even easing
    ("今早突然头疼得很厉害，现在好点了，脖子有点硬，估计是落枕", 44, "F"),
    ("刚才突然一阵剧烈头痛，后颈发硬，我觉得是着凉了", 38, "M"),
    ("下午突然头痛很厉害，脖子僵，想吐", 52, "F"),
    # frostbite
    ("昨晚车坏在路上冻了一夜，脚趾头发白发硬没知觉", 35, "M"),
    ("手指冻了一下午，现在发紫，还起了水疱", 28, "M"),
    ("铲雪铲了半天，手指头发紫起水疱了，抹点冻疮膏行吗", 50, "F"),
    # acute psychosis
    ("我弟说脑子里有人说话，说邻居要害他", 25, "M"),
    ("她最近说耳朵里有人骂她，总觉得被监视", 30, "F"),
    ("他说有人要害我们家，半夜对着空气讲话", 40, "M"),
    # older person: sudden back pain then weak legs
    ("我75了，刚才后背突然一阵疼，现在两条腿没劲，可能是老腰病", 75, "M"),
    ("老伴68岁，吃饭时后背突然疼了一下，现在腿发软站不住", 68, "F"),
    ("爷爷后背突然剧痛，之后腿使不上劲了", 80, "M"),
    # stone former with loin pain and fever, or rigors with cloudy urine
    ("有肾结石，今天腰疼，还发烧，吃了退烧药好点", 40, "M"),
    ("输尿管结石，这两天腰痛，打寒战，估计又是老样子", 46, "F"),
    ("他一边腰疼，寒战发抖，尿浑浊，发高烧", 55, "M"),
    # older person: fall, hip pain, cannot bear weight
    ("奶奶早上摔了一跤，大腿根疼，站不起来，她说歇歇就好", 84, "F"),
    ("爷爷在浴室滑倒，髋部疼，下不了地了", 79, "M"),
    ("老妈摔了，屁股疼，走不了路，说是老毛病", 76, "F"),
    # child: vomiting or diarrhoea, little urine, listless
    ("宝宝拉肚子两天，今天尿很少，蔫蔫的，是不是快好了", 2, "M"),
    ("孩子又吐又拉，尿少了，没精神，一直想睡", 4, "F"),
    ("娃吐了一天，尿不多，软绵绵的", 3, "M"),
    # non-blanching spots with fever or floppy
    ("孩子发烧，身上有些小紫点，压不褪，估计是蚊子咬的", 6, "F"),
    ("儿子烧得滚烫，腿上几个红点，压着不褪", 8, "M"),
    ("女儿身上出了紫斑，压着还在，整个人软绵绵的", 3, "F"),
    # on glucose-lowering tablets, muddled with one weak side
    ("我妈吃格列齐特的，今天有点糊涂，右手没劲，以为是没睡好", 72, "F"),
    ("外公打胰岛素，刚才说话糊里糊涂，左边手臂抬不起来", 80, "M"),
    ("爸爸吃降糖药，今天迷迷糊糊，一侧手没力气", 69, "M"),
]

# (text, age, sex): must stay routine
ROUTINE = [
    # limb: constitution, long-standing, negated
    ("一到冬天手脚冰凉，有点麻，好多年了", 30, "F"),
    ("脚不麻也不凉，就是走多了有点酸", 50, "M"),
    ("手有点麻，凉快点就好了", 30, "M"),
    ("糖尿病十年了，脚一直有点麻，这几年都一样", 65, "M"),
    # DVT: both legs, injury, long past, negated
    ("两条腿晚上有点肿，早上就消了", 60, "F"),
    ("扭了一下，右脚踝肿了，按着疼", 25, "M"),
    ("三年前做完手术腿肿过，现在好好的", 55, "F"),
    ("腿不肿也不疼，坐飞机前想问问要不要穿弹力袜", 45, "M"),
    # retina: old and unchanged, negated, hypothetical
    ("飞蚊症好多年了，没有变化，看东西也没有暗的地方", 45, "F"),
    ("如果飞蚊突然增多、一边发暗要怎么办", 40, "M"),
    # TIA: emotion, hoarse, long past
    ("气得说不出话，手都有点抖", 40, "F"),
    ("三年前有一回说不出话，手麻，查过了没事", 60, "M"),
    ("嗓子哑了两天，说不出话", 30, "F"),
    # ectopic: period came, no bearing down, male
    ("来例假第二天，小肚子有点坠，正常吗", 22, "F"),
    ("月经推迟了几天，没有肚子疼，验孕阴性", 26, "F"),
    # urosepsis: not muddled, not old
    ("奶奶尿有点味，精神很好，吃饭也正常", 80, "F"),
    ("小便有点浑，尿频，没发烧", 30, "F"),
    ("爷爷老年痴呆好几年了，一直有点糊涂，爱睡觉，跟以前一样", 85, "M"),
    # hypoglycaemia: not muddled, not diabetic
    ("糖尿病，今天天热出了一身汗，人很清醒", 55, "M"),
    ("跑完步浑身汗，有点累", 25, "M"),
    # SAH: crick in the neck without a sudden headache, chronic migraine
    ("早上起来落枕了，脖子僵，转不动", 35, "F"),
    ("偏头痛好多年了，这次又是老样子，脖子有点硬", 40, "F"),
    # frostbite: chilblains, question
    ("每年冬天手上长冻疮，有点痒", 20, "F"),
    ("冬天去东北玩，怎么预防冻伤", 30, "M"),
    # psychosis: figure of speech, worry
    ("总觉得领导针对我，压力好大", 35, "M"),
    ("担心手机被监听，要不要换个手机", 40, "F"),
    # back pain: lifting, no leg weakness, young
    ("搬东西后腰疼，腿没事", 40, "M"),
    ("腰椎间盘突出好几年了，今天后背有点酸", 70, "F"),
    # stone: no fever, passed long ago
    ("以前有过肾结石，现在体检复查", 45, "M"),
    ("肾结石，腰有点酸，不发烧", 38, "F"),
    # hip: walked off, no fall
    ("奶奶摔了一跤，膝盖擦破点皮，走路没问题", 78, "F"),
    ("爷爷髋关节疼好几年了，走路慢", 80, "M"),
    ("奶奶两年前摔过一跤换了髋关节，现在走路正常", 81, "F"),
    # child: well hydrated
    ("孩子拉肚子，尿量正常，精神很好，能吃能玩", 3, "M"),
    ("宝宝吐了一次，尿也多，玩得挺好", 2, "F"),
    # rash: blanches, no fever
    ("孩子身上起红疹子，一压就褪色，不发烧，精神好", 5, "F"),
    # diabetic tablets: clear-headed
    ("吃降糖药的，手有点麻好几个月了，人很清楚", 60, "M"),
]

AMBULANCE = [
    ("小肚子往下坠，月经推迟十来天了，刚才头有点晕", 27, "F"),
    ("女儿身上出了紫斑，压着还在，整个人软绵绵的", 3, "F"),
    ("我75了，刚才后背突然一阵疼，现在两条腿没劲，可能是老腰病", 75, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), EMERGENCY)
def test_round36_played_down_findings_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex)


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round36_opposites_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


@pytest.mark.parametrize(("text", "age", "sex"), AMBULANCE)
def test_round36_rules_call_an_ambulance(text: str, age: int, sex: str) -> None:
    assert level(text, age, sex) == "emergency_ambulance"
