"""Round-21 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file or haodf request). Each class is tested in at least three wordings of its own
(another dialect, a relative, an older patient, English, a downplaying writer, a question).

Emergencies that must fire, by class: a woman who may be pregnant (sexually active, or who says
she cannot be) who faints or cannot stand with cold sweat, pallor, slight bleeding or pain
(ruptured ectopic pregnancy); an infant's age told in English without "old" ("Baby 10 months")
is an age, not how long the symptom has lasted, so choking with silence or blue lips still fires;
a sudden loss of vision on one side or walking into one side (hemianopia); at altitude (place
names such as 玉树, 那曲, 青海湖, Yushu), headache with vomiting, double vision or staggering,
blood in the sputum with breathlessness, and fast breathing with fever, cough or listlessness;
"说的话听不懂" (aphasia) is no conditional "的话"; and a NEW event told during a stay or after
discharge ("住院期间突然...", "出院后又...") fires even beside in-care words; limbs jerking
"一下一下" in someone who does not answer, with known fits or foam (status epilepticus); cold
exposure (heating out, a night below zero) with cold skin and slowness (hypothermia); a baseline
contrast ("平时很爱讲话") is no episodic pattern, and soup running from the corner of the mouth is
a droop (stroke); upper-stomach fullness told as "顶得慌", "胀得慌" with a cold sweat (inferior MI).

Look-alikes that must stay routine, by class: a choke that ended with the piece coughed or spat
out; "not breathing fast" (a negated sign of a cold, not apnoea); a breakthrough seizure (known
epilepsy); someone else's event already handled ("后来说是低血糖", "被120拉走了", "was
hospitalised ... she's stable", "is admitted under neurology"); a neighbour's child's past
drowning; a previous pregnancy's haemorrhage ("头胎", "上一胎"); first-aid-kit and "提前教"
questions; and, from the haodf read, a patient in care now ("正在住院", "ICU里插着管",
"住院第五天") asking about prognosis or next steps about the finding that is the reason for the
stay. A stop concept (an episode dated last week) still stops a rule when told in care.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, fired, level
from triage.urgency import UrgencyEngine
from triage.urgency.values import parse_values

# -- round 21's emergency classes, in other words -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        # possible pregnancy with collapse and sweating, pallor, slight bleeding or pain
        ("昨晚和老公同房了，今天早上在卫生间突然晕倒，脸色煞白，肚子疼", 27, "F"),
        (
            "I'm 24, my boyfriend and I had sex without a condom last month, I just fainted in "
            "the bathroom and there's some spotting",
            24,
            "F",
        ),
        ("月经推迟十天了，刚才蹲下起来眼前一黑倒地了，一身冷汗", 30, "F"),
        ("闺女19岁，跟男朋友住一起，没避孕，刚才肚子疼得站不起来，出冷汗", 19, "F"),
        (
            "she says she can't be pregnant but she collapsed in the shower, pale and sweaty",
            26,
            "F",
        ),
        # sudden loss of one side of vision
        ("我外婆今天下午突然右边的东西都看不到了，走路老撞右边", 80, "F"),
        ("Dad suddenly can't see anything on the left side, keeps walking into the door", 72, "M"),
        ("老头刚才说眼睛左半边黑了一块，还有点头晕", 75, "M"),
        # altitude: headache with vomiting, double vision or staggering
        ("在拉萨第二天，头痛得厉害，吐了好几次，走路打晃", 35, "M"),
        ("到了玉树头疼欲裂，吐了两回，看东西有重影", 40, "F"),
        ("We're at 4500m in Tibet, my friend has a pounding headache and keeps vomiting", 30, "M"),
        # altitude: blood in the sputum with breathlessness
        ("在那曲住了两晚，喘得厉害，痰里有血丝", 45, "M"),
        ("At Everest base camp my husband is breathless and his spit has blood in it", 50, "F"),
        ("爸爸在日喀则上不来气，咳出来的痰带血", 60, "F"),
        # altitude: fast breathing with fever, cough or listlessness
        ("孩子到了青海湖边上发烧了，呼吸很快，蔫蔫的", 5, "M"),
        (
            "Our daughter (7) in Yushu has a cough and is breathing fast, we thought it's a cold",
            7,
            "F",
        ),
        ("在理塘住了一晚，娃咳嗽，呼吸比平时快很多，不想动", 6, "M"),
        # aphasia told with "说的话" / "讲的话"
        ("我妈刚才突然说的话谁都听不懂，东一句西一句", 68, "F"),
        ("我老伴吃着饭突然讲的话听不懂了，乱讲一通", 72, "M"),
        ("外公今天早上起来说的话我们都听不懂，问他啥都答非所问", 81, "M"),
        # rhythmic jerking without an answer, with known fits or foam (status epilepticus)
        ("我哥有癫痫，现在手脚一下一下地抽，喊他没反应，十多分钟了", 30, "M"),
        (
            "My brother has epilepsy, his arms keep jerking and he doesn't respond when we call",
            30,
            "M",
        ),
        ("爷爷以前有过抽风，刚才胳膊腿一抽一抽的，叫了不答应，嘴角冒白沫", 75, "M"),
        # cold exposure, cold skin and slowness (hypothermia)
        ("屋里暖气坏了一晚上，奶奶浑身冰凉，反应很慢，老想睡", 82, "F"),
        ("Grandpa's heating broke overnight, he's cold to touch and very drowsy", 85, "M"),
        ("他在零下的车里待了一夜，身上冰凉，说话慢吞吞的", 40, "M"),
        # a baseline contrast ("平时很爱讲话") is not an episodic pattern; drooling from one corner
        ("我公公吃饭时筷子老掉，嘴角往外流汤，他平时很爱讲话的，现在不怎么说", 70, "M"),
        ("我爸平时挺利索的，今天拿不住碗，嘴巴歪了", 66, "M"),
        ("奶奶平时爬五楼都不喘，今天嘴角往下淌口水，右手没劲", 78, "F"),
        # upper-stomach fullness or pressure with a cold sweat (inferior MI)
        ("老伴胃顶得慌一个钟头了，满头冷汗，脸色发灰", 65, "F"),
        ("我爸说肚子上面胀得慌，一头冷汗，走两步就喘", 70, "M"),
        ("俺爹胃里堵得慌，额头全是冷汗", 68, "M"),
    ],
)
def test_round21_emergencies_fire(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex), level(text, age, sex)


@pytest.mark.parametrize(
    "text",
    [
        "Baby 9 months choked on a blueberry, can't cry, lips turning blue",
        "my son, 11 months, choked on a piece of apple and is not making any sound",
        "Infant 10 months choked on a grape, coughing stopped and he's silent",
    ],
)
def test_an_infants_age_told_without_old_is_no_duration(text: str) -> None:
    assert emergency(text), level(text)


def test_an_english_infant_age_is_read_as_age_months() -> None:
    values = parse_values("baby 10 months choked on a grape")
    assert [v.value for v in values if v.name == "age_months"] == [10.0]
    assert not [v for v in values if v.name == "duration_days"]
    # a time ago after the child's name stays a time
    ago = parse_values("my son 3 days ago had a fever")
    assert not [v for v in ago if v.name == "age_months"]


# -- look-alikes, by class ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # a choke that ended with the piece coughed or spat out
        ("孙子吃花生呛了一下，咳了几声自己咳出来了，现在玩得好好的", 3),
        ("He choked on a sweet for a second but spat it out, he's fine and eating", 5),
        ("奶奶喝粥呛着了，拍背拍出来了，没事了", 82),
        ("My daughter choked on popcorn and coughed it right up, just a sore throat now", 7),
        # "not breathing fast": a negated sign, not apnoea
        ("The toddler has a cold. Not breathing fast, no fever", 2),
        ("宝宝感冒两天，没有呼吸快，吃奶正常", 1),
        ("My grandson isn't breathing hard, just a runny nose and a little cough", 3),
        # a breakthrough seizure is known epilepsy
        ("My husband had a breakthrough seizure on Sunday; what can he do about sleep", 40),
        ("She has had a breakthrough fit after missing doses, what should we tell her doctor?", 30),
        ("Had a breakthrough seizure in May, can I start driving again in the autumn?", 35),
        # someone else's event, already handled
        ("我朋友的孩子被送去住院了，后来说是热性惊厥，我家孩子也发烧了要注意什么", 30),
        ("同事昨天在食堂晕倒了，后来查出是低血糖，我平时也不吃早饭要紧吗", 28),
        ("厂里一个师傅中暑被120拉走了，我们车间热，怎么预防", 35),
        ("My sister overdosed in the spring, she was hospitalised and is stable now", 30),
        ("My wife is admitted under cardiology after a heart attack; what should I bring her", 55),
        (
            "A neighbor's child drowned in a pond years ago. When should lessons start?",
            35,
        ),
        # a previous pregnancy's haemorrhage
        ("上一胎生的时候大出血输了血，现在怀二胎12周，一切正常，要注意什么", 30),
        ("头胎产后大出血，这次怀孕了想提前了解一下风险", 32),
        ("With my first pregnancy I bled heavily after delivery; now 10 weeks, all fine", 31),
        # first-aid kit and "提前教" questions
        ("What should I pack in a first aid kit for hiking? Things like snake bites", 30),
        ("家里老人摔倒了起不来应该怎么扶？想提前教一下保姆", 40),
        ("急救包里要放什么？出门自驾怕中暑和被蛇咬", 35),
        # the new classes' look-alikes: cold hands in winter, a full stomach, a baseline word
        ("冬天手脚冰凉，反应有点慢，是不是贫血", 30),
        ("吃多了胃胀得慌，打嗝，没有出汗", 40),
        ("平时很爱运动，最近膝盖疼", 30),
        ("我有癫痫，吃药控制得很好，想问能不能怀孕", 28),
    ],
)
def test_round21_look_alikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age), fired(text, age)


# -- in care now (the haodf read): the finding is the reason for the stay -------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我爸心梗正在住院，放了支架，想问问出院以后饮食注意什么",
        "我妈在ICU里插着管，脑出血昏迷一直没醒，请问预后怎么样",
        "老公肺炎住院第五天，还在发烧，呼吸有点快，医生说要换抗生素，想问换什么好",
        "Dad is still in hospital after his stroke can't speak well yet, will it return?",
        "孩子肺炎在输液，咳得厉害，喘，请问输几天能好",
        "My mother is currently admitted with a brain bleed; what are the chances she wakes?",
    ],
)
def test_a_finding_that_is_the_reason_for_a_current_stay_stays_routine(text: str) -> None:
    assert not emergency(text, 60), fired(text, 60)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("住院期间突然说不出话，右边胳膊抬不起来", 70),
        ("住院期间现在突然说不出话了", 70),
        ("出院后又开始大出血，头晕眼前发黑", 40),
        ("术后第二天突然胸痛气短", 60),
        ("in hospital for pneumonia and now suddenly can't speak", 70),
        ("正在住院，今天突然胸口剧痛，满头大汗", 66),
        (
            "My mum is currently admitted for a hip fracture and this morning she suddenly can't "
            "move her right arm",
            81,
        ),
        ("我爸住院第三天，护士说他晚上突然胡言乱语，说看见有人抓他", 60),
        ("救护车拉走了没有？他现在没呼吸了", 60),
    ],
)
def test_a_new_event_during_a_stay_or_after_discharge_still_fires(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # a choke still going on beside "coughed"
        ("孩子吃花生噎住了，咳不出来，脸发紫", 3),
        ("He choked on a grape, couldn't cough it out and is turning blue", 4),
        ("咳出来一块，可现在还是喘不上气，嘴唇发紫", 60),
        # current emergencies beside the new framing cues ("提前教", "first aid kit", "急救包")
        ("想提前教保姆怎么急救，可现在奶奶就摔倒在地叫不醒", 80),
        ("first aid kit question but right now my son was bitten by a snake and can't breathe", 10),
        ("急救包里有什么能用的？我爸现在胸口压着疼，满头冷汗", 60),
        ("I'm asking in advance, but right now my father has crushing chest pain", 40),
        # current emergencies beside the new in-care cues
        ("同事刚才突然晕倒了，叫不醒，后来说是低血糖吗？现在还没醒", 30),
        ("He's stable, they said, but now he's not breathing and has no pulse", 60),
    ],
)
def test_current_emergencies_beside_the_new_cues_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_in_care_framing_needs_no_acute_onset_in_the_sentence() -> None:
    # a sentence of its own, out of reach of the sentence-scoped in-care cue "正在住院"
    steady = contexts_of("我妈正在住院。她昏迷一直没醒", "unconscious")
    assert steady and all("in_care" in kinds for kinds in steady)
    new = contexts_of("我妈正在住院。今天突然昏迷叫不醒", "unconscious")
    assert new and all("in_care" not in kinds for kinds in new)


def test_a_table_without_in_care_framing_reads_as_before() -> None:
    data = UrgencyEngine.default().to_dict()
    data["contexts"].pop("in_care_framing", None)
    engine = UrgencyEngine.from_dict(data)
    mentions = engine.assess("我妈正在住院。她昏迷一直没醒", keep_mentions=True).mentions
    found = [m for m in mentions if m.concept == "unconscious"]
    assert found and all("in_care" not in m.contexts for m in found)


def test_a_stop_concept_told_in_care_still_stops() -> None:
    # "上周住了三天院": the dated episode is still last week when told with the stay
    text = "我哮喘急性发作上周住了三天院，出院带了吸入剂，现在不喘了，吸入剂用多久"
    assert not emergency(text, 30), fired(text, 30)


# -- the lead's review of round 21 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # a finding of today told after the stay is named: the care framing does not apply
        ("我爸正在住院，今天胸口剧痛，满头大汗，喘不上气", 68),
        ("still in hospital for a broken hip, now she has crushing chest pain and is sweating", 80),
        # "想到了" is no hypothetical: ideation with the means and a time
        ("最近老是想到了自杀，药都准备好了，今晚就吃", 25),
        # an infant's age in months after "my son", with no comma
        ("my son 10 months choked on a grape and is turning blue", 0),
    ],
)
def test_review_current_emergencies_still_fire(text: str, age: int) -> None:
    assert emergency(text, age), level(text, age)


def test_review_a_couple_living_together_is_a_possible_pregnancy() -> None:
    text = "I live with my boyfriend, just fainted on the bathroom floor, clammy and my belly hurts"
    assert "ectopic_possible_pregnancy_collapse_r21" in fired(text, 23, "F")


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        # a boyfriend named or a sexual-history field is no sign of a pregnancy now
        ("献血的时候晕倒了，出冷汗，男朋友陪着", 20, "F"),
        ("有性生活，来月经第一天肚子疼得厉害，疼得出冷汗差点晕倒，每个月都这样", 24, "F"),
        ("I fainted at my boyfriend's party after two drinks, was sweaty, fine now", 21, "F"),
        # "my son, 3 days of ..." tells how long, not a three-day-old
        ("my son, 3 days of vomiting and fever, he is 6", 6, "M"),
        ("my son 3 days fever and cough, he is 4", 4, "M"),
    ],
)
def test_review_look_alikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex), fired(text, age, sex)
