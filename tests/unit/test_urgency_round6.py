"""Round-6 concepts, rules and contexts of the curated urgency table, each shown with wording
written for this test (never taken from a vignette file or a real request): angioedema on an ACE
inhibitor, infant respiratory distress, ascending weakness, heavy lower GI and posterior nose
bleeds, eye and bite injuries, incarcerated hernia, neonatal danger signs, low temperatures,
steroid dependence, and the contexts that keep third-party, quiz and past-event questions
routine."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency, engine, fired

# -- paraphrases that must escalate -------------------------------------------------------------

ESCALATE = [
    # angioedema: on an ACE inhibitor, or lip swelling reaching the throat
    ("吃依那普利三年了，今天下午舌头肿得说话都含糊", 66, "M"),
    ("I take ramipril for my blood pressure and tonight my lips and tongue swelled up", 58, "F"),
    ("嘴唇突然肿起来，现在喉咙发紧，说话声音也变了", 40, "F"),
    # infant respiratory distress
    ("宝宝两个月，今天呼吸很急，吸气时肋骨下面一下一下往里陷", 0, "M"),
    ("our 6 week old is breathing really fast and grunting with every breath", 0, "F"),
    ("娃4个月，咳了几天，今天呼吸特别快，奶都不吃了，喉咙里哼哼", 0, "F"),
    # ascending weakness with breathing trouble
    ("上周拉肚子，这几天腿越来越软，今天胳膊也没劲了，说话气短", 45, "M"),
    (
        "legs weaker every day since Monday, now my arms too, short of breath when talking",
        39,
        "F",
    ),
    # heavy lower GI bleeding
    ("今天拉了两次，马桶里一片红，还有血块，起身就眼前发黑", 70, "F"),
    (
        "passed dark red blood and clots twice this morning, I'm on warfarin and feel light-headed",
        74,
        "M",
    ),
    # posterior or prolonged nosebleed
    ("72岁，鼻血止不住快一个小时了，一直往喉咙里流", 72, "M"),
    (
        "on apixaban, my nosebleed won't stop after 40 minutes and blood is going down my throat",
        80,
        "F",
    ),
    # penetrating eye injury
    ("用角磨机打磨钢管时有铁渣崩进右眼，现在看东西模糊", 38, "M"),
    ("孩子被树枝戳到眼睛，眼球上有个伤口", 7, "M"),
    # bite with fang marks and envenoming
    ("在草丛里被咬了一口，脚踝上两个牙印，小腿开始肿了", 50, "M"),
    # incarcerated hernia
    ("腹股沟的疝气今天推不回去了，摸着很硬，还吐了一次", 58, "M"),
    ("my hernia near the belly button won't go back in and it is tender and red", 47, "F"),
    # priapism
    ("勃起四个多小时还不消退，胀得很疼", 30, "M"),
    # newborn: jaundice with danger signs, a floppy hard-to-wake baby, a low temperature
    ("宝宝出生6天，黄得厉害，脚心都黄了", 0, "M"),
    ("宝宝一个月，今天浑身软绵绵的，叫也叫不醒，奶也不吃", 0, "F"),
    ("宝宝50天，量体温35.5度，今天不吃奶，老睡", 0, "M"),
    # hypothermia, steroid dependence
    ("奶奶家里没暖气，量体温35度，反应慢说话含糊", 86, "F"),
    ("长期吃泼尼松，前几天自己把药停了，今天又吐又晕，血压只有80", 52, "F"),
    # inhaled object, compartment syndrome, carbon monoxide, magnets
    ("孩子刚才把花生米吸进去了，现在喘气有哨音", 3, "M"),
    ("打石膏后小腿越来越胀，止疼药不管用，脚趾发麻", 27, "M"),
    ("这个月在家就头晕恶心，出门走走就好了，老伴也一样", 70, "F"),
    ("孩子可能吞了几颗磁力珠，现在肚子疼还吐了", 4, "F"),
    # airway, eye pressure, asthma, aorta, spleen
    ("嗓子疼得咽不下东西，一平躺就憋气，得坐着", 48, "M"),
    ("65岁，头疼呕吐一晚上，右眼发红看不清", 65, "F"),
    ("喘了一整夜，现在反而听不到呼哧声了，人很困，嘴唇发暗", 24, "F"),
    ("sudden tearing pain between my shoulder blades, it's moving down to my belly", 61, "M"),
    ("前天骑车车把撞了肚子，今天左肩膀尖疼，脸色发白头晕", 13, "M"),
    # stacked paracetamol with liver signs, insulin without food
    ("这两天泰诺和感冒药一起吃，今天右上腹疼还想吐", 35, "F"),
    ("早上打了胰岛素没吃饭，现在人糊涂了，说话颠三倒四", 67, "M"),
    # more wordings of the same families
    ("吃着卡托普利，半夜醒来发现嘴唇肿得很厚，嗓子像被东西堵着", 70, "F"),
    ("lisinopril user, woke up with my tongue swollen and my voice sounds muffled", 60, "M"),
    ("宝宝5周，这两天鼻塞，今天鼻翼一张一张的，呼吸很快", 0, "M"),
    (
        "3 month old breathing fast, I can see her ribs sucking in, she only takes a little milk",
        0,
        "F",
    ),
    ("感冒后一周两条腿越来越没劲，现在手也握不住东西了，喘气费劲", 33, "F"),
    ("腿从脚往上麻，已经到大腿了，今天胳膊也没劲", 40, "M"),
    ("吃着阿司匹林和氯吡格雷，今天便血好几次，一大摊，头晕得站不住", 68, "M"),
    ("nose has been bleeding for over an hour on warfarin, pinching isn't working", 77, "M"),
    ("敲钉子时钉子崩了一下打到左眼，现在左眼看东西有黑影", 45, "M"),
    ("while grinding metal something hit my eye, now it's blurry", 35, "M"),
    ("脚背上两个小孔，不知道被什么咬了，现在肿到膝盖", 60, "F"),
    ("宝宝出生第三天，全身很黄，吃奶没劲，哭声很尖", 0, "F"),
    ("newborn 10 days old, floppy and won't wake for feeds", 0, "M"),
    ("爷爷住的屋没暖气，今早量体温34.5，迷迷糊糊的", 88, "M"),
    ("孩子吃瓜子呛了一下，之后一直咳嗽喘鸣", 2, "M"),
    ("小腿被砸伤后肿得发亮，疼得越来越厉害，脚背发麻", 30, "M"),
    ("喉咙痛，咽不下口水，坐着往前倾才能呼吸", 50, "M"),
    ("摔了一跤撞到肚子，现在左肩尖疼，脸色苍白", 25, "M"),
    ("一天吃了十次泰诺，现在右上腹疼，眼睛发黄", 28, "F"),
    ("打了胰岛素忘了吃饭，现在手抖出汗，人迷迷糊糊", 60, "M"),
    ("突然左手不灵活，拿不住筷子", 70, "M"),
    ("一周前摔倒撞了头，吃着华法林，这两天头疼越来越厉害，反应变慢", 79, "F"),
    ("脉搏只有35，刚才晕倒了", 80, "F"),
    ("透析病人，三天没透析了，现在全身无力，心跳很慢", 65, "M"),
    # a question framing or a relative as the subject does not hide a present emergency
    ("想知道胸口压着疼出冷汗是什么原因", 60, "M"),
    ("想了解一下我爸突然嘴歪说话不清是不是中风", 70, "M"),
    ("我想知道孩子呼吸很急肋骨凹进去要紧吗", 0, "M"),
    ("my friend's dad collapsed and isn't breathing, what do I do", None, None),
    ("Mum had a seizure and still isn't waking up", 70, "F"),
    # asked as a product question while describing an emergency
    ("请问布洛芬能止住这种疼吗？我爸胸口正中间像被攥住一样疼了四十分钟，出一身冷汗", 64, "M"),
    ("推荐一款加湿器？宝宝2个月，呼吸很费劲，每次吸气胸口都往下陷，嘴唇有点发紫", 0, "F"),
    ("买什么口罩好？我家烧炭取暖，今天早上我和老婆都头疼恶心，站不稳", 45, "M"),
    ("请问维生素B12能治手麻吗？我妈今天早上起来右边手脚没劲，说话含糊", 72, "F"),
    (
        "What cream is good for a rash? My toddler has a fever and purple "
        "spots that don't fade when I press a glass on them",
        2,
        "M",
    ),
    ("哪种暖宝宝好用？我右腿从中午开始冰凉发白，摸不到脚背的脉搏，疼得厉害", 70, "M"),
    ("请问藿香正气水管用吗？今天在工地上中暑了，人说胡话，体温40度，不出汗", 40, "M"),
    ("能推荐个止咳药吗？孩子玩的时候突然呛咳，现在嘴唇发紫说不出话", 3, "F"),
    ("请问喝红糖水有用吗？产后第10天，今天突然出血很多，一小时湿透一片卫生巾", 29, "F"),
    ("请问痔疮栓用哪个？今天拉黑色柏油样大便三次，站起来就晕", 60, "M"),
    (
        "Which antacid works fastest? I threw up what looked "
        "like coffee grounds twice and feel faint",
        55,
        "M",
    ),
    (
        "Should I take an aspirin? My left arm and jaw ache, I'm clammy and sick, 58 years old",
        58,
        "M",
    ),
    ("眼药水哪个牌子好？右眼突然看不见了，像拉上了窗帘", 62, "F"),
    ("孩子头撞了以后一直吐，越来越想睡，能吃点什么药", 6, "M"),
    ("请问葡萄糖酸钙口服液怎么吃？我怀孕34周，头疼得厉害，眼前冒金星，脚肿", 30, "F"),
    (
        "What's a good laxative? my belly is swollen like a drum, I've been "
        "vomiting green and haven't passed wind for 2 days",
        70,
        "F",
    ),
    ("请问喝蜂蜜水能缓解吗？我糖尿病，这两天口渴尿多，今天肚子疼呕吐，呼吸又深又快", 25, "M"),
    (
        "please recommend sleeping pills, I've decided to end it "
        "tonight and I've saved up my tablets",
        30,
        "F",
    ),
    ("请问怎么止痒？刚吃了芒果，全身起疹子，嗓子发紧，有点喘", 20, "F"),
    ("请问冰敷有用吗？孩子12岁，半夜突然一侧睾丸剧痛，还吐了", 12, "M"),
    # rhabdomyolysis, fast-spreading infection, shock without fever, toxins, neutropenia,
    # crescendo angina, storm and hypoglycaemia on tablets
    ("跑完马拉松小腿肿得发硬，尿是酱油色的", 35, "M"),
    ("腿上的红肿用笔圈了一下，三个小时就超出线一大圈，发烧39度", 50, "F"),
    ("奶奶80岁，今天呼吸很快，血压偏低，有点糊涂", 80, "F"),
    ("吃了蘑菇两天后，今天眼睛发黄", 45, "M"),
    ("I took about 10g of paracetamol over yesterday for a headache", 30, "F"),
    ("化疗后白细胞0.5，现在一阵阵发冷，心跳很快", 55, "F"),
    ("走路时下巴和左肩疼，今天坐下歇了二十分钟还是疼", 62, "M"),
    ("体温39.5，心率160，人很烦躁", 40, "F"),
    ("爸爸吃格列美脲，今天说话颠三倒四，满身大汗", 72, "M"),
    ("my grandma fell and now one leg looks shorter and turned out, she can't stand", 85, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ESCALATE)
def test_round_six_paraphrases_escalate(text: str, age: int | None, sex: str | None) -> None:
    assert emergency(text, age, sex), fired(text, age, sex)


# -- look-alikes that must stay routine ---------------------------------------------------------

ROUTINE = [
    # third parties, quizzes and questions about signs
    ("朋友的孩子上个月高热惊厥了，我家孩子两岁，需要预防吗", 2, "M"),
    ("My friend's son had a seizure with a fever; how do I know if my child is at risk?", 3, "F"),
    ("想了解一下过敏性休克有什么表现，孩子对鸡蛋过敏", 6, "F"),
    ("心理老师想了解学生有自杀倾向时有哪些预警信号", 35, "F"),
    ("大出血的时候应该怎么包扎？想学一下", 30, "M"),
    ("Dad had a cardiac arrest at 60 and was resuscitated. Should I be screened?", 35, "M"),
    # died of it, idioms, past events
    ("爸爸前年心脏骤停走了，我需要做什么检查", 33, "M"),
    ("被领导气得我差点吐血，这几天胃口不好", 40, "F"),
    ("I passed out at a festival last summer in the heat, fine since; any advice?", 22, "F"),
    # the same words without the danger
    ("吃依那普利好几年了，最近老是干咳，要换药吗", 63, "M"),
    ("宝宝两个月，睡觉时喉咙里哼哼唧唧，吃奶很好", 0, "F"),
    ("痔疮又犯了，便后纸上有一点鲜血，不头晕", 45, "M"),
    ("流鼻血了，捏着鼻子五分钟就止住了", 12, "M"),
    ("割草的时候有草屑进眼睛了，冲干净了，看东西清楚", 40, "M"),
    ("腹股沟有个疝气包，躺下能推回去，不疼", 60, "M"),
    ("宝宝黄疸出生第五天，吃奶好精神好，要晒太阳吗", 0, "F"),
    ("孩子8岁，早上量体温35.8，精神很好", 8, "M"),
    ("吃了泰诺和感冒药，会不会伤肝？现在没有不舒服", 30, "F"),
    ("腿没劲好几年了，手也没劲，是不是缺钙", 70, "F"),
    ("嗓子疼，舌头也肿了，咽口水疼，吃什么药", 28, "M"),
    ("孩子去年把花生吸进气管，做过支气管镜取出来了，现在挺好，以后要注意什么", 5, "M"),
    ("朋友的宝宝抽搐过一次，我家宝宝会不会也这样", 1, "F"),
    ("想知道中风有哪些表现", 40, "M"),
    ("奶奶以前中风过，现在说话有点不清楚，是后遗症吗", 80, "F"),
    ("贝那普利吃了两年，脚有点肿", 60, "F"),
    ("拉肚子拉了三次，有点头晕，没有血", 30, "M"),
    ("被蚊子咬了两个包，有点痒", 8, "M"),
    ("疝气手术后一周，伤口有点疼", 55, "M"),
    ("体温35.9，是不是体温计坏了，人没事", 30, "F"),
    ("孩子喜欢玩磁力积木，怕吞下去，怎么预防", 3, "M"),
    ("以前心率40多，医生说是运动员心脏，没事", 28, "M"),
    ("胸口一侧偶尔扎一下，几秒就好，好几个月了", 25, "F"),
    ("昨天喝了自酿的米酒，有点头疼", 40, "M"),
    # handled, chronic, mild or preventive versions of the round-6 families
    ("上个月因为嘴唇舌头肿住院了，医生说是普利类药物引起的，换药后想问以后能吃什么降压药", 60, "M"),
    ("宝宝出生时有新生儿黄疸，照了蓝光出院了，现在20天，皮肤还有点黄，吃奶好", 0, "F"),
    ("小时候得过格林巴利，现在走路正常，想问会不会复发", 30, "F"),
    ("去年痔疮大出血住过院，现在偶尔便后有点血丝", 50, "M"),
    ("经常流鼻血，每次几分钟就停，要查什么", 10, "M"),
    ("打磨的时候戴护目镜有用吗，怕铁屑崩进眼睛", 35, "M"),
    ("被狗咬了一口，两个牙印，已经打了狂犬疫苗，伤口有点红", 30, "F"),
    ("疝气很多年了，平躺能回去，想问什么时候做手术好", 65, "M"),
    ("宝宝三个月，呼吸有时候快有时候慢，睡着了呼吸均匀，吃奶正常", 0, "M"),
    ("宝宝睡觉喜欢哼哼，白天精神好，吃奶也好", 0, "F"),
    ("I'm on lisinopril and I have a dry cough, should I switch?", 55, "M"),
    (
        "My lips swell up every time I eat strawberries, just mild, "
        "no breathing issues. Is it worth testing?",
        25,
        "F",
    ),
    ("腿软没劲两年了，手也没什么劲，查过肌电图正常", 60, "F"),
    ("吃华法林，牙龈刷牙有点出血，正常吗", 70, "M"),
    ("便血好几个月了，每次一点点，最近做了肠镜说是内痔", 45, "F"),
    ("孩子玩磁力片，我都盯着，不会吞吧，有什么注意的", 4, "M"),
    ("长期吃强的松，最近感冒了，要不要加量？现在没什么不舒服", 40, "F"),
    ("骨折打石膏第三天，有点痒，脚趾能动，颜色正常", 25, "M"),
    ("冬天用燃气热水器，怎么预防一氧化碳中毒", 35, "F"),
    ("嗓子疼，吞咽的时候疼，声音有点哑，不发烧", 30, "M"),
    ("眼睛有点红有点模糊，是不是用手机太久了，不疼", 40, "F"),
    ("体检说心率48，平时跑步，没有头晕", 30, "M"),
    ("痛经很厉害，量也大，有血块，每个月都这样", 25, "F"),
    ("月经推迟一周，验孕是一道杠，小肚子有点胀", 28, "F"),
    ("上次摔跤撞到肚子，做了CT没事，现在肩膀有点酸", 35, "M"),
    ("我妈吃利伐沙班，上个月摔了一跤，CT没问题，现在挺好", 78, "F"),
    ("写字手抖好几年了，越来越明显，是帕金森吗", 65, "M"),
    ("以前打胰岛素低血糖过一次，现在怎么预防", 50, "M"),
    ("胸口偶尔刺一下，深呼吸会疼，按着也疼，好几周了", 30, "F"),
    ("吃了退烧药和感冒药会不会重复？孩子现在精神好", 5, "M"),
    ("宝宝湿疹很严重，脸上红肿，痒得哭", 0, "F"),
    ("哮喘控制得挺好，就是换季会咳嗽，喷药就好", 20, "M"),
    ("疼得我想死，牙疼三天了", 30, "F"),
    ("爸爸说后背撕裂一样疼，是以前拉伤的老毛病，贴膏药就好", 55, "M"),
    ("孩子发烧38.5，吐了一次，精神还可以，能吃能玩", 3, "M"),
    ("The baby has some yellow in her eyes at 2 weeks, feeding well, lots of wet nappies", 0, "F"),
    ("I fell through some ice last winter and got frostbite, toes still tingle sometimes", 40, "M"),
    (
        "Grandad is always a bit cold in his flat; his temperature "
        "was 36.2 this morning, otherwise himself",
        85,
        "M",
    ),
    ("跑步后大腿酸痛，尿有点黄", 30, "M"),
    ("蚊子包红肿，比昨天大了一点，不发烧", 8, "F"),
    ("奶奶血压偏低好多年了，平时没事", 80, "F"),
    ("吃了蘑菇炒肉，会不会中毒？现在没事", 30, "M"),
    ("一天最多能吃几克对乙酰氨基酚", 30, "F"),
    ("化疗后白细胞低，医生让打升白针，现在没有不舒服", 50, "F"),
    ("运动时胸口闷，歇一会就好了", 55, "M"),
    ("吃降糖药，今天出了很多汗，天气热", 60, "M"),
    ("老人呼吸有点快，刚爬完楼，歇会就好了", 75, "M"),
    ("髋关节置换术后三年，一条腿比另一条短一点，走路正常", 70, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round_six_lookalikes_stay_routine(text: str, age: int | None, sex: str | None) -> None:
    assert not emergency(text, age, sex), fired(text, age, sex)


# -- mechanisms ---------------------------------------------------------------------------------


def test_about_is_no_negation() -> None:
    mentions = engine().assess("我吃了差不多二十片安眠药", 30, "F", keep_mentions=True).mentions
    assert any(m.concept == "many_tablets" and m.affirmed for m in mentions)
    assert emergency("我吃了差不多二十片安眠药", 30, "F")


def test_a_chronic_disease_duration_is_no_chronic_symptom() -> None:
    # "糖尿病二十多年了" dates the diabetes, not today's sweating and weakness
    text = "糖尿病二十多年了，今天突然浑身没劲，一直冒冷汗，有点恶心"
    mentions = engine().assess(text, 72, "M", keep_mentions=True).mentions
    assert not any(m.concept == "chronic_course" and m.affirmed for m in mentions)
    assert emergency(text, 72, "M")


def test_a_nosebleed_needs_a_risk_to_escalate() -> None:
    assert not emergency("鼻血一直往喉咙里流，不过已经止住了", 25, "M")
    assert emergency("鼻血一直往喉咙里流，吃着华法林", 68, "M")


def test_infant_rules_need_an_infant() -> None:
    assert not emergency("呼吸很急，喉咙里哼哼，胸口闷", 35, "M")
