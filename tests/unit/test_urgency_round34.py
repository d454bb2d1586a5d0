"""Round-34 behaviour of the urgency table (rules_99_round34 / concepts_99_round34). Each class was
written from the rules' missed emergencies on retired_holdout_r29{,b} .. r34{,b} and is tested here
in wordings of its own, written for these tests, with the nearest opposite that must not change
(the same words negated, in the past, hypothetical, about someone already treated, or chronic).

Emergencies told by what is seen or by a tuple of milder findings: hot dry skin with nonsense talk
(heat stroke); burned skin coming off over a wide area, or singed facial hair with a hoarse voice;
marbled skin with scant urine, or rigors with scant urine and a racing heart (septic shock); an
arm-to-arm pressure or pulse difference, or tearing back pain moving down (aortic dissection);
clutching the head with vomiting (subarachnoid haemorrhage); a fit lasting minutes or recurring
without waking; a reliever that fails with broken speech, or a quiet chest in a tiring asthmatic;
pink froth or orthopnoea with a bubbling chest (pulmonary oedema); a very slow pulse with faints;
sweat and staring on insulin (hypoglycaemia); blue lips and nails after a meal (nitrite); a fist
pressed to the chest with pouring sweat (ACS); no chest movement after a collapse (arrest); a
swollen leg or clot risk with gulping breath, or a faint with tachycardia (PE); a red sink in liver
disease, or tarry stool with fainting (GI bleed); a missed period with belly pain and pale lips
(ectopic); drops of urine with a bladder bulge (retention); a red eye with a wide pupil or haloes
(angle closure); a drawn-up testis with a wide gait (torsion); waxy hard digits after a night in
the cold (frostbite); a quiet baby late in pregnancy; effort discomfort of the chest, jaw or throat
that now comes at rest or more often (unstable angina); constant thirst with deep breathing or a
fruity smell (DKA); a neck taken for a crick with vomiting and drowsiness; a missed meal on
insulin with blurred vision; one blurred eye with headache and vomiting.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, level
from triage.urgency import EMERGENCY_LEVELS

AMB = "emergency_ambulance"

# (text, age, sex, expected level) -- each must reach the level (or higher for "emergency")
POSITIVE = [
    # heat stroke: hot dry skin + nonsense talk
    ("工人在烈日下搬砖一下午，现在皮肤又干又烫，一直说胡话", 45, "M", AMB),
    (
        "My neighbour mowed in the heat, skin hot as a stove, mumbling nonsense",
        70,
        "M",
        AMB,
    ),
    ("爷爷在大棚里干活，身上干烫，汗一点也没有，认不出我了", 72, "M", AMB),
    # burn: skin coming off over a wide area
    ("厨房热油锅打翻，泼到两条腿上，皮一块块往下掉", 40, "F", AMB),
    ("工厂蒸汽管漏气，喷到他前胸后背，皮都卷起来了，人在发抖", 35, "M", AMB),
    (
        "My son knocked a boiling kettle over, his chest and belly skin is peeling, large area",
        4,
        "M",
        AMB,
    ),
    # inhalation: singed facial hair + hoarse voice / black sputum
    ("做饭时灶台起火，眉毛都燎了，现在声音哑了", 50, "F", AMB),
    ("仓库着火跑出来，鼻毛焦了，咳黑痰，有点喘", 30, "M", AMB),
    ("He got caught in a flash fire, singed eyebrows, and his voice is going hoarse", 28, "M", AMB),
    # septic shock: marbled skin with scant urine / confusion
    ("奶奶发烧两天，膝盖上皮肤像大理石一样，今天尿很少", 84, "F", AMB),
    ("父亲腿上紫一块白一块，喊他只哼哼，叫不太醒", 79, "M", AMB),
    (
        "Grandad's knees look like marble, hands ice cold, he hasn't peed since yesterday",
        83,
        "M",
        AMB,
    ),
    # sepsis: fever + rigors + scant urine + racing heart / faint on standing
    ("发高烧打摆子，一天没得尿，心跳得很快", 50, "M", AMB),
    ("烧到三十九度，冷得直哆嗦，尿也少了，站起来就头晕", 62, "F", AMB),
    ("High fever with violent shivering, hardly peed today and my heart is racing", 45, "F", AMB),
    # dissection: arm difference + sudden back pain
    ("我爸突然后背疼得厉害，左右胳膊量血压一边高一边低", 62, "M", AMB),
    ("突然胸背痛，两只胳膊血压差了好几十，脸煞白", 58, "M", AMB),
    (
        "Sudden severe back pain, BP 185 on the right arm and much lower on the left arm",
        60,
        "M",
        AMB,
    ),
    # dissection: tearing back pain moving down
    ("后背突然像被刀割一样疼，往下走到腰了", 59, "M", AMB),
    ("脊背像被人劈开，一下就来了，血压量着两百", 66, "M", AMB),
    ("Sudden tearing pain in my back that is moving down towards my belly", 64, "M", AMB),
    # SAH: clutching head + vomiting
    ("同事突然双手抱住头蹲下，接着就吐了，叫好几遍才应", 44, "F", AMB),
    ("我妈突然抱着后脑勺喊疼，吐了，说怕光不让开灯", 55, "F", AMB),
    ("He suddenly clutched his head, then vomited and now can't stand the light", 50, "M", AMB),
    # neck pain + vomiting + sleepy
    ("我姐说后颈痛，吐了两次，一直想睡", 48, "F", "emergency"),
    ("父亲脖子疼以为落枕，今天吐了，反应慢，老想睡", 60, "M", "emergency"),
    ("后颈疼了一天，今天开始呕吐，人有点迷糊", 52, "M", "emergency"),
    # status: fit over five minutes / repeated without waking
    ("路边有人倒地一直抽，已经十几分钟了", 30, "M", AMB),
    ("孩子浑身一挺一挺的，抽完没醒又开始了", 7, "M", AMB),
    ("My brother has been seizing for 10 minutes and is still jerking", 20, "M", AMB),
    # asthma: reliever failing + broken speech
    ("哮喘发作，喷雾喷了好几下不管用，说不出整句话", 25, "F", AMB),
    ("孩子喘得厉害，吸入器没用，一句话要停好几次", 10, "M", AMB),
    ("Her inhaler is not helping and she can only say one or two words at a time", 30, "F", AMB),
    # asthma: quiet chest + exhaustion
    ("我弟哮喘犯了，刚才喘得很响，现在没声了，人越来越没劲", 15, "M", AMB),
    ("女儿哮喘，喘鸣声突然没了，头往下耷拉，叫也不太理人", 9, "F", AMB),
    ("老伴老哮喘了，刚才喘得吱吱响，现在听不到响了，喘不动，有点想睡", 70, "M", AMB),
    # pulmonary oedema: pink froth
    ("半夜喘不上气，咳出来的是粉红色泡沫", 75, "M", AMB),
    ("妈妈一躺下就憋，咳粉红的沫子", 80, "F", AMB),
    ("He is coughing up pink frothy spit and can't lie flat", 78, "M", AMB),
    # pulmonary oedema: orthopnoea + bubbling chest + heart failure
    ("爸爸有心衰，今晚憋醒了，嗓子里呼噜呼噜响", 76, "M", AMB),
    ("奶奶躺下就憋，喉咙咕噜咕噜的，嘴唇发紫", 85, "F", AMB),
    (
        "He couldn't lie flat, there's a gurgling sound in his chest and his lips look blue",
        79,
        "M",
        AMB,
    ),
    # slow pulse + faint
    ("外婆今天晕倒了两次，我摸她脉搏好久才跳一下", 82, "F", AMB),
    ("爷爷头晕站不住，手腕脉搏才跳三十几下", 79, "M", AMB),
    ("我爸脉搏慢得出奇，刚才晕过去一次", 74, "M", AMB),
    # hypoglycaemia: insulin/diabetes + drenched sweat + staring
    ("他打胰岛素的，现在大汗淋漓，两眼发直，不回话", 55, "M", AMB),
    (
        "My diabetic mum is drenched in sweat, staring at nothing and saying strange things",
        68,
        "F",
        AMB,
    ),
    ("老爸吃降糖药，满身冷汗，眼睛直勾勾的", 70, "M", AMB),
    # hypoglycaemia: missed meal + tremor + blurred vision
    ("打完胰岛素还没吃饭，手抖冒汗，眼睛发花", 40, "F", "emergency"),
    ("吃了降糖药忘了吃饭，心慌出汗，看东西发花", 60, "M", "emergency"),
    ("早上打了胰岛素没吃早饭，心慌冒冷汗，眼睛花", 35, "M", "emergency"),
    # nitrite: blue lips and nails after a meal
    ("吃了隔夜剩菜，嘴唇发紫，指甲也发紫，头晕", 45, "M", AMB),
    ("食堂吃完饭，好几个人嘴唇发乌，手指发紫，气短", 30, "M", AMB),
    (
        "After eating pickled vegetables her lips and fingertips turned blue and she feels dizzy",
        50,
        "F",
        AMB,
    ),
    # ACS: fist on chest + pouring sweat + grey / mute
    ("师傅拳头顶着胸口，满脸是汗，脸灰白", 55, "M", AMB),
    ("我爸捂着胸口不说话，豆大的汗往下掉", 60, "M", AMB),
    (
        "He has his fist pressed to his chest, dripping with sweat and his face is grey",
        58,
        "M",
        AMB,
    ),
    # ACS: chest pressure + sweat + lasting
    ("胸口像压着石头，汗哗哗的，二十来分钟了", 62, "M", AMB),
    ("胸口闷痛，汗水一直冒，半个钟头了还不消", 57, "M", AMB),
    ("Crushing chest pain, pouring sweat, and it's gone on for twenty minutes", 60, "M", AMB),
    # arrest: no chest movement after collapse
    ("爷爷倒在地上，胸口看不出起伏，拍他都不动", 80, "M", AMB),
    ("老人突然倒下，摸不到脉，嘴唇发紫", 75, "F", AMB),
    ("He collapsed, his chest is not moving and he has no pulse", 66, "M", AMB),
    # PE: swollen leg / risk + gulping + blue
    ("一条腿肿了好几天，今天突然大口大口吸气，嘴唇发紫", 55, "F", AMB),
    ("做完手术第三天，突然大口喘气，嘴唇发青", 60, "M", AMB),
    (
        "After her knee operation she is suddenly gasping for air and her lips look blue",
        65,
        "F",
        AMB,
    ),
    # PE: risk + faint + tachycardia
    ("腿打着石膏躺了两周，今天晕倒了，心跳一百三", 45, "M", AMB),
    ("骨折卧床半个月，刚才晕过去一次，呼吸很快", 70, "F", AMB),
    ("术后一周在家，今天突然晕倒，心跳特别快", 58, "M", AMB),
    # GI bleed: red sink + liver / faint
    ("他肝硬化，刚才吐得洗手池里全是红的", 56, "M", AMB),
    ("老公吐了一池子血，站都站不住，脸煞白", 50, "M", AMB),
    ("He has cirrhosis and just filled the sink with red, with clots like pig liver", 60, "M", AMB),
    # GI bleed: tarry stool + faint + liver
    ("他有肝病，今天拉柏油样大便，刚才晕倒了", 62, "M", AMB),
    ("我舅肝硬化，拉黑便，站起来眼前发黑晕过去", 58, "M", AMB),
    ("他有乙肝，今天拉了很多柏油一样的大便，刚才晕倒", 55, "M", AMB),
    # ectopic: missed period + belly pain + pale lips
    ("室友月经推迟了，现在捂着小肚子，嘴唇发白出冷汗", 24, "F", AMB),
    ("她说例假没来，一碰肚子就叫，脸上没有血色", 28, "F", AMB),
    (
        "My girlfriend's period is late, she is holding her lower belly and is pale and sweaty",
        26,
        "F",
        AMB,
    ),
    # retention: drops + bulge
    ("老爷子尿只滴了几滴，肚脐下面鼓起来一块", 80, "M", "emergency"),
    ("一晚上尿不出来，小肚子胀得要炸", 70, "M", "emergency"),
    ("My dad can't pass urine and his lower belly is swollen", 78, "M", "emergency"),
    # angle closure: red eye + wide pupil / halos
    ("妈妈左眼通红，瞳孔比右边大", 65, "F", "emergency"),
    ("Her eye is red and the pupil is bigger than the other one", 70, "F", "emergency"),
    ("奶奶一只眼睛红，眼珠摸着硬，说看灯有彩虹圈", 72, "F", "emergency"),
    # angle closure: one eye blurred + headache + vomiting
    ("阿姨一只眼看东西模糊，头痛，吐了", 63, "F", "emergency"),
    ("外婆头疼呕吐，还说一只眼睛看不清", 75, "F", "emergency"),
    ("妈妈头痛得厉害，吐了两次，右眼看东西模糊", 60, "F", "emergency"),
    # torsion
    ("儿子打完球下面那里疼，往上缩着，还吐了", 14, "M", "emergency"),
    (
        "My son is walking with his legs apart and one side down there sits higher, he threw up",
        13,
        "M",
        "emergency",
    ),
    ("孩子夹着腿走路，裤裆里一边红肿，恶心", 12, "M", "emergency"),
    # frostbite: long cold exposure + waxy white hard digits
    ("在冰面上钓了一天鱼，脚趾头像蜡一样又白又硬", 50, "M", "emergency"),
    ("爬雪山下来，手指头发白发硬，一点感觉没有", 30, "M", "emergency"),
    ("Stuck overnight on the mountain, two of his toes are white and hard", 35, "M", "emergency"),
    # reduced fetal movements
    ("怀孕36周，今天宝宝一直没咋动", 30, "F", "emergency"),
    ("八个多月了，娃在肚子里动得越来越少", 28, "F", "emergency"),
    (
        "I'm 37 weeks pregnant and the baby has been completely still since this morning",
        31,
        "F",
        "emergency",
    ),
    # unstable angina: effort angina now at rest / crescendo
    ("我爸一爬楼就胸口闷，这两天坐着也闷", 63, "M", "emergency"),
    ("最近一走路下巴就发酸，现在坐着不动也犯", 66, "F", "emergency"),
    ("上坡就胸口发紧，这几天越来越勤，走平路也紧", 58, "M", "emergency"),
    # DKA: constant thirst and toilet trips, now deep breathing / fruity smell / drowsy
    ("孩子最近喝水喝不够，老跑厕所，今天喘气又大又深", 10, "M", "emergency"),
    ("她这阵子水杯不离手，今天屋里一股烂水果味，人迷迷糊糊", 22, "F", "emergency"),
    (
        "He has been peeing constantly all week and now takes huge deep breaths",
        15,
        "M",
        "emergency",
    ),
]


@pytest.mark.parametrize(("text", "age", "sex", "want"), POSITIVE)
def test_round34_emergencies_reach_their_level(text: str, age: int, sex: str, want: str) -> None:
    got = level(text, age, sex)
    if want == AMB:
        assert got == AMB
    else:
        assert got in EMERGENCY_LEVELS


NEGATIVE = [
    ("去年中暑时皮肤又干又烫，说胡话，现在早就好了", 45, "M"),
    ("如果在太阳下皮肤干烫会不会中暑，怎么预防", 30, "F"),
    ("小时候被开水烫过，两条腿的皮掉过，现在留了疤", 30, "F"),
    ("做饭时眉毛燎了一点，声音正常，不咳嗽不喘", 40, "M"),
    ("冬天腿上皮肤有点花花的，一直这样，尿正常，人精神", 30, "F"),
    ("感冒发烧打了一天哆嗦，尿正常，心跳不快，现在退烧了", 30, "M"),
    ("量血压两只胳膊差了五六，没有不舒服", 50, "M"),
    ("以前后背刀割一样疼过，查了没事，现在不疼", 55, "M"),
    ("头疼抱着头睡了一觉好了，没吐", 30, "F"),
    ("脖子疼是落枕，没吐，精神很好", 35, "M"),
    ("孩子以前抽过一次，一两分钟就停了，现在好好的", 5, "M"),
    ("晚上小腿抽筋，疼了十几分钟，揉揉就好了", 40, "F"),
    ("哮喘控制得好，喷雾很管用，说话正常", 25, "F"),
    ("喝了碳酸饮料吐了点白沫泡泡，没事", 20, "M"),
    ("爷爷睡觉打呼噜呼噜响，躺着睡得很香", 70, "M"),
    ("运动员心跳一分钟五十，没有晕过", 25, "M"),
    ("我有糖尿病，运动出了一身汗，精神很好，血糖正常", 45, "M"),
    ("吃了桑葚嘴唇发紫，精神很好", 8, "F"),
    ("健身后满脸是汗，胸口不疼", 28, "M"),
    ("刷牙出血，池子里有点红，没别的不舒服", 30, "F"),
    ("吃了铁剂大便发黑，人好好的", 40, "F"),
    ("月经推迟了，想问能不能喝中药调理", 26, "F"),
    ("爷爷尿不太干净好几年了，平时能尿出来", 78, "M"),
    ("眼睛红了两天，有点痒，有分泌物，视力正常", 30, "F"),
    ("鸡蛋黄大小的肿块长了好几年，不疼", 40, "F"),
    ("孩子打完疫苗针眼周围红了一块硬币大小", 1, "F"),
    ("去年冬天滑雪手指冻得发白，一会就恢复了", 30, "F"),
    ("手上长了冻疮，发红发痒", 20, "F"),
    ("怀孕12周，还没感觉到胎动正常吗", 28, "F"),
    ("怀孕36周，宝宝今天动得很欢，挺好的", 30, "F"),
    ("如果怀孕后期宝宝动得少该怎么办", 29, "F"),
    ("心口偶尔刺一下，一秒就过，跟走路爬楼没关系", 27, "F"),
    ("以前爬楼胸口闷过，放了支架后再没犯过", 65, "M"),
    ("以前查出糖尿病时喝水喝不够，现在控制得好，呼吸正常", 40, "M"),
    ("夏天出汗多，老跑厕所，喝水喝不够，人精神很好", 30, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), NEGATIVE)
def test_round34_opposites_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)
