"""Round-20 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file). Each class is tested in at least two wordings beyond the one that exposed it
(another dialect, a relative, an older patient, English, a downplaying writer).

Emergencies that must fire, by class: heavy bleeding after birth (sheets soaked, pads changed
again and again, big clots) with faintness or pallor ("脸白得像纸"); an allergen then a changed or
hoarse voice or throat clearing with swelling, a rash or faintness; silent choking told in dialect
("冇得声音") and lay or dialect cyanosis ("嘴巴乌", "指甲发灰", "lips look grey"); chest pressure
told as a weight ("像有东西压着", "an elephant on my chest") with sweating; pesticide spraying then
drooling, tiny pupils and sweating; an indoor coal stove or kang whose flue blew back with
headache or drowsiness; bootleg liquor then misty or "snowstorm" vision; lying in the snow, stiff
and cold, not shivering, confused; an asthma attack with speech a word at a time; an unresponsive
person whose chest does not rise; fever or rigors (still shaking under blankets) with confusion,
low blood pressure, mottled knees or no urine (septic shock); a fall from height then numb legs;
fits that recur without waking ("中间没醒"); a bite or scratch that broke the skin from an
unvaccinated, stray, picked-up or since-dead animal; a young infant vomiting forcefully with
fewer wet nappies; a wound showing "一截白白的" (bone); deep frostbite told as numb, wooden or
blistered after a night in the cold; a dozen or more stings ("蛰了十几下").

Look-alikes that must stay routine, by class: a pet's or another animal's symptoms (家里的猫,
狗狗, our cat, the puppy), even when sudden, while a bite to a person, a person's emergency beside a
pet, a hot dog and walking the dog still count; someone already rescued, treated or recovering
("救回来了", "is recovering", "on the psych ward", "was treated for"); a thing a toddler might
get into; a worry about later years; a joke or catchphrase; seasonal recurrence ("每年冬天");
idioms ("the smog is suffocating me", "choking on the dust", "紧张得要晕过去"); numbness from
lying on an arm; rabies shots already started; rat poison set out, not eaten; a splash with no
blisters; a denied sudden onset ("没有突然说话不清楚"). The new cues do not silence a current
emergency told beside them.

Review: status epilepticus needs a fit named (a sound night's sleep "中间都没醒" is not one), and
lip or face swelling with breathlessness is anaphylaxis even when no trigger is named.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, fired, level
from triage.urgency import UrgencyEngine

# -- round 20's emergency classes, in other words -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # heavy bleeding after birth with faintness or pallor
        ("顺产完第三天，下面血一直哗哗的，垫子全湿透了，刚才起来眼前一黑差点倒", 30),
        (
            "My wife had the baby five days ago, she has soaked the bed with blood and now she's "
            "white as paper and dizzy",
            31,
        ),
        ("我闺女生完孩子一个礼拜，今天血块很大，换了好几回垫子，人站不稳", 26),
        # allergen, then voice or throat signs with swelling, rash or faintness
        ("吃了虾十分钟，声音怪怪的，一直清嗓子，身上起了红疹", 35),
        (
            "He's allergic to peanuts and ate a cookie, now his voice is hoarse and his face "
            "is puffy",
            8,
        ),
        ("奶奶吃了芒果以后喉咙发紧，嘴唇肿了，站起来头晕", 70),
        # silent choking, dialect cyanosis
        ("宝宝吃葡萄噎到了，发不出声音，脸都乌了", 2),
        ("孩子嘴里含着糖卡住了，冇声音，嘴巴发乌", 4),
        ("Grandpa is choking on a piece of meat, he can't make a sound and his lips look grey", 80),
        ("他喘不上气，嘴唇乌了", 60),
        # chest pressure told as a weight, with sweating
        ("胸口像有东西压着，冷汗一身，快一个小时了", 62),
        ("Feels like an elephant on my chest and I'm drenched with sweat", 58),
        ("心口压住了一样难受，出冷汗", 50),
        # pesticide then cholinergic signs
        ("喷了一上午农药，现在口水直流，浑身是汗，想吐", 45),
        ("孩子在放农药的仓库玩了，瞳孔特别小，一直流口水", 2),
        ("Sprayed the field this morning, now drooling a lot, pupils are tiny and sweating", 50),
        # an indoor stove or kang with a blown-back flue
        ("屋里烧炕，烟囱倒烟了，爷爷头晕想吐，叫不太醒", 70),
        ("We use a coal heater in the room, all of us have headaches and my son is too sleepy", 30),
        # bootleg liquor then visual change
        ("喝了小作坊的散白酒，今天看东西雾蒙蒙的", 40),
        ("Drank moonshine last night, today my vision is like a snowstorm", 35),
        # cold exposure, stiff and cold, altered
        ("老人在雪堆里躺了半夜，浑身冰凉梆硬，叫他也说不清", 70),
        ("Found my friend asleep in a snowdrift, he's stiff and cold and mumbling", 30),
        # asthma with speech a word at a time
        ("哮喘发作，喷了好多次沙丁胺醇没用，说话一个字一个字往外蹦", 20),
        ("Used my ventolin ten times, can only get a few words at a time", 30),
        # unresponsive, chest not rising
        ("爷爷坐在沙发上叫不醒，胸口没有起伏", 80),
        ("Dad is unresponsive on the floor and his chest isn't rising", 70),
        # septic shock
        ("我爸发烧两天，今天寒战，盖着被子还抖，人迷迷糊糊不认人，尿很少", 70),
        ("Mum has a fever and shaking chills, she's confused and her knees look mottled", 65),
        ("发高烧打摆子，血压才八十，一天没尿", 50),
        # a fall from height then numb legs
        ("工人从脚手架上摔下来，现在腿没知觉", 40),
        ("He fell off the roof and can't feel his legs", 35),
        ("爷爷从二楼掉下来，说下半身没感觉", 60),
        # a bite or scratch from an unvaccinated, stray or dead animal that broke the skin
        ("邻居的狗咬破了我的手，狗没打过疫苗", 30),
        ("孩子被捡来的小猫抓破了手，出血了，小猫今天死了", 6),
        ("A village dog bit my calf, two punctures that bled, no idea if it's vaccinated", 40),
        # a young infant vomiting forcefully with fewer wet nappies
        ("宝宝一个月大，吃完奶就喷射状吐，尿越来越少", 0),
        ("My 4-week-old son projectile vomits after every feed and has fewer wet nappies", 0),
        # a wound showing a piece of white bone; deep frostbite; many stings
        ("摔了一跤，小腿伤口里露出一截白白的东西", 40),
        ("在山上冻了一宿，脚趾头一点知觉没有，起大泡了", 50),
        ("Stuck outside all night at minus 30, my toes look white and wooden", 35),
        ("摘果子被马蜂蛰了十几下，现在头晕", 40),
        ("爷爷被蜂叮了二十多下，尿颜色很深", 60),
        # fits without waking in between
        ("孩子抽完了没醒，又抽了，嘴唇发紫", 3),
        ("宝宝在抽，眼睛往上翻，停了一下又抽，中间没醒", 2),
    ],
)
def test_round20_emergencies_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("产后第十天，恶露有点多，颜色暗红，没有头晕，正常吗", 29),
        ("生完孩子一个月了，还有一点点血，人精神挺好", 30),
        ("过敏性鼻炎好几年了，每年春天嗓子有点哑，要不要吃药", 30),
        ("I have a mild peanut allergy, what should I carry when I travel?", 25),
        ("吃鱼卡到鱼刺了，能说话，有点疼", 30),
        ("搬砖搬了一天，胳膊酸，出了点汗", 30),
        ("农药放在哪里比较安全，家里有小孩", 45),
        ("家里用火炕，冬天要注意什么", 40),
        ("在雪地里玩了一下午，手有点冻红了，现在暖和了", 30),
        ("哮喘控制得挺好，沙丁胺醇多久换一支", 20),
        ("宝宝睡着了呼吸很浅，胸口起伏很小，正常吗", 1),
        ("发烧38度5，有点发冷，头疼，精神还行", 30),
        ("Fever and chills since yesterday, a bit achy, drinking fine", 25),
        ("十年前从楼梯摔过，腿一直有点麻，最近想做康复", 50),
        ("腿抽筋了，疼了一会就好了", 40),
        ("我家狗狗咬了我一下，没破皮，狗每年都打疫苗", 35),
        ("宝宝两个月，偶尔吐奶，尿很多，体重涨得好", 0),
        ("被蚊子叮了十几个包，很痒", 30),
        ("冬天手上长冻疮了，痒痒的，有点红", 30),
        ("小腿擦伤了，伤口有点发白，是不是泡水泡的", 30),
    ],
)
def test_round20_emergency_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), level(text, age)


# -- part 2: an animal's symptoms are not the writer's emergency -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "家里的猫吐血了怎么办",
        "我家狗狗今天吐了好多血，要带去宠物医院吗",
        "猫咪抽搐了两分钟，现在在发抖",
        "兔子不吃东西，呼吸很急，嘴巴发紫",
        "Our cat is vomiting blood, which vet should we go to?",
        "The puppy ate chocolate and is shaking and fitting",
        "我家狗狗突然抽搐，口吐白沫",
    ],
)
def test_a_pets_symptoms_stay_routine(text: str) -> None:
    assert not emergency(text, 35), level(text, 35)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("The dog bit my son and he is bleeding heavily", 8),
        ("被流浪狗咬了，咬破皮出血了", 30),
        ("邻居家的狗把我女儿脸咬了，血止不住", 6),
        ("一只野狗扑上来咬了我小腿，伤口很深", 40),
        ("Got bitten by a stray dog on the hand, the skin is broken", 30),
        ("吃热狗噎住了，说不出话，脸发紫", 30),
        ("I tripped over the dog and hit my head, now I keep vomiting and feel drowsy", 40),
        ("遛狗的时候突然胸口压榨样疼，出冷汗", 60),
        ("我家狗叫个不停，我爸倒地不省人事没呼吸了", 70),
        ("喂猫的时候突然说不出话，半边身子没力气", 70),
        ("Our cat scratched my arm yesterday and now I'm vomiting blood", 40),
        ("My grandmother was feeding the cat when she collapsed and is not breathing", 80),
    ],
)
def test_a_bite_or_a_persons_emergency_beside_a_pet_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_a_bite_to_the_writer_is_not_put_in_someone_elses_context() -> None:
    found = contexts_of("被狗咬了", "animal_bite")
    assert found and all("family" not in kinds for kinds in found)
    found = contexts_of("家里的猫吐血了", "ao_haematemesis")
    assert found and all("family" in kinds for kinds in found)


def test_a_bite_word_inside_the_mention_keeps_it_the_writers() -> None:
    # "的狗" comes right before "咬破了": the bite is to a person, not the dog's own finding
    found = contexts_of("邻居的狗咬破了我的手", "bite_skin_broken")
    assert found and all("family" not in kinds for kinds in found)


def test_animal_cues_hold_through_an_acute_onset_but_family_cues_do_not() -> None:
    # "突然" lifts a family cue (a relative's past illness, the writer's sudden one) but not an
    # animal one: a pet's sudden fit is still the pet's
    found = contexts_of("狗狗突然抽搐了", "seizure")
    assert found and all("family" in kinds for kinds in found)


def test_a_table_without_animal_cues_reads_pets_as_before() -> None:
    data = UrgencyEngine.default().to_dict()
    data["contexts"].pop("animal")
    engine = UrgencyEngine.from_dict(data)
    mentions = engine.assess("家里的猫吐血了", keep_mentions=True).mentions
    assert mentions and all("family" not in m.contexts for m in mentions)


# -- look-alikes, by class ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # rescued, treated, recovering, on a ward
        (
            "My brother had a fit at work yesterday, paramedics came and he's fine now. How do I "
            "help him?",
            30,
        ),
        ("我弟弟喝农药被救回来了，现在在住院观察，我们家属要注意什么", 45),
        ("我妈上个月割腕未遂住院，现在在精神科，情况稳定，我该怎么陪她", 30),
        ("My aunt overdosed on her pills last week and is recovering at home; what can I do?", 40),
        ("In the burns unit with burns on both hands, can I have a coffee?", 40),
        # a toddler might get into it; worry about later years; a joke
        ("The baby might get into the laundry pods, how do I store them?", 1),
        ("我担心他以后会中风，他血压一直高，怎么劝他吃药", 40),
        ("我都想跳楼了（开玩笑的），最近工作压力大睡不好", 28),
        # seasonal recurrence, idioms
        ("每年冬天都咳嗽咳白痰，跟往年一样，吃点什么好", 70),
        ("The smog here is suffocating me, my eyes itch, breathing fine", 35),
        ("I'm choking on the dust at this building site, any good mask?", 45),
        ("一紧张得要晕过去了，考试前心跳好快，是焦虑吗", 40),
        # positional numbness, rabies shots started, poison set out, a splash, a denied onset
        ("早上起来手麻，枕着胳膊睡的，甩一甩就好了，脸和说话都正常", 33),
        (
            "Bitten by a stray cat two weeks ago, had the immunoglobulin and started the vaccine, "
            "when is the next dose?",
            30,
        ),
        ("厨房放了老鼠药，孩子会不会误吃，怎么放安全", 40),
        ("洗碗剂溅到手上，马上冲掉了，没起泡，有点干", 50),
        ("我爷爷慢慢变得记性差，没有突然说话不清楚，也没有嘴歪", 80),
    ],
)
def test_round20_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # beside the new in-care cues
        (
            "My dad is recovering from a cold, but right now he has crushing chest pain and is "
            "sweating",
            70,
        ),
        ("我哥被救回来了，可现在又吐了好多血，脸白得像纸", 40),
        ("On the psych ward last year; today I took 40 sleeping pills and feel drowsy", 30),
        ("医院说是胃炎，可现在胸口压着疼，出冷汗，左胳膊麻", 50),
        ("Was treated for asthma as a kid, now I can't breathe and my lips are blue", 35),
        (
            "In the burns unit last month, now my husband has crushing chest pain and is grey and "
            "sweaty",
            30,
        ),
        # beside the new hypothetical cues
        (
            "He might get into trouble for this, but he swallowed a button battery an hour ago and "
            "is drooling",
            2,
        ),
        ("以后会不会复发我不管，现在他吐了一大口血，人站不稳", 45),
        ("不是开玩笑，我已经吞了一整瓶安眠药", 16),
        ("I'm not just kidding, I swallowed all my pills and feel sleepy", 16),
        # beside the new negation cue
        ("奶奶刚才突然说话不清楚，嘴歪了", 70),
    ],
)
def test_current_emergencies_beside_the_new_cues_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


# -- review of round 20 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("昨晚睡得很沉，中间都没醒，早上起来精神不错", 30),
        ("宝宝一觉睡到天亮，中间一直没清醒过来喝奶，正常吗", 1),
        ("Two long meetings one after another and I feel drained", 40),
    ],
)
def test_a_sleep_or_a_series_without_a_fit_is_not_status_epilepticus(text: str, age: int) -> None:
    # status_epilepticus_cluster let its own generic wording stand for the seizure
    assert "status_epilepticus_cluster" not in fired(text, age), fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("儿子一次发作接着一次，中间没醒，十分钟了", 6),
        ("She has had back-to-back seizures and is not waking between them", 25),
        ("孩子癫痫，今天连续抽，中间都没醒", 9),
    ],
)
def test_repeated_fits_without_waking_are_status_epilepticus(text: str, age: int) -> None:
    assert level(text, age) == "emergency_ambulance", fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("现在我喘不上气，嘴唇肿起来了", 30),
        ("My lips are swelling up and I'm struggling to breathe", 22),
        ("被猫抓了一下，现在孩子嘴唇肿了，呼吸很急", 5),
    ],
)
def test_lip_swelling_with_breathlessness_is_anaphylaxis_without_a_named_trigger(
    text: str, age: int
) -> None:
    assert level(text, age) == "emergency_ambulance", fired(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("嘴唇肿了两年了，一直没消，偶尔气短，想查查原因", 45),
        ("如果嘴唇肿了喘不上气应该怎么办", 30),
    ],
)
def test_long_standing_or_asked_about_lip_swelling_stays_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)
