"""Round 40 (refused, README): guard cases for written Cantonese, kept on the unchanged rules so
that a later dialect round must pass them.

Round 40's tuner built a dialect lexicon (data the rules read written Cantonese through, inside
the engine only) and kept one entry under the three-file rule: "冇" -> "没". It caught 5 tuning
emergencies in 3 files and moved no line of the untouched pair (r41 / r41b, northern writers), so
the round was refused and nothing of it was merged. Below:

- Mandarin text holding the characters a dialect entry would rewrite (食, 唔, 系, 返, 冇 inside a
  phrase the table already spells) keeps the level it has today;
- Cantonese look-alikes (another person's, past, negated) stay routine and Cantonese negation
  reads as negation (冇 is already a negation cue);
- Cantonese emergencies the rules catch today (my blind probes and post-review probes) escalate;
- Cantonese emergencies they miss today are strict xfails: a round that catches one must move it
  up into the escalating list.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, level

# (text, level today): Mandarin uses of the characters the tuner tried to map
MANDARIN = [
    ("食道有点烧，吃东西的时候胸口后面痛", "consultation_24"),
    ("食管反流好几年了，最近有点咳嗽", "consultation"),
    ("昨天吃了海鲜，怀疑食物中毒，拉了两次肚子", "consultation"),
    ("最近饮食不规律，进食后胃胀", "consultation"),
    ("唔，我想想，最近有点咳嗽，没有发烧", "consultation"),
    ("系统性红斑狼疮十年，最近关节痛，和医生联系过", "consultation"),
    ("胃酸返流，喉咙有点烧", "consultation"),
    ("我老公昨晚吃了海鲜，今天全身起风团，喉咙发紧，喘不上气", "emergency_ambulance"),
    ("两天没放屁没大便，肚子胀得好大，一阵一阵绞痛，吐了好几次", "emergency"),
    ("左手左脚冇晒力，讲嘢唔清楚，半个钟前开始", "emergency_ambulance"),
]

# (text, age): the tuner's look-alikes, my blind probes' and my post-review probes'
CANTONESE_LOOKALIKES = [
    ("我邻居两天冇放屁冇大便，肚子胀，吐了几次，后来做了手术，人没事了。我也经常肚子胀", 40),
    ("以前有一次两天冇放屁冇大便，肚子胀痛呕吐，住院好了，现在没事", 45),
    ("冇肚痛，冇呕，就系两日冇大便", 30),
    ("冇发烧，就系有啲咳", 30),
    ("我阿妈上年中过风，而家冇事，想问点样复查", 70),
    ("我冇心口痛，只系有少少咳，想问食咩药好", 35),
    ("如果BB发高烧抽筋应该点做？想预先了解下", 30),
    ("隔篱屋阿伯琴日晕咗俾白车车走咗，我好担心自己都会", 40),
    ("攰到死，成日想瞓觉，做嘢冇精神", 28),
    ("我手指割咗少少，流咗啲血，已经止咗", 22),
    ("冇胸口痛，冇气促，就系咳咗成个礼拜", 40),
    ("阿妈上个月中风入院，而家出咗院冇乜事，想问复诊", 75),
    ("冇发烧冇呕，就系肚有少少痛，屙咗两次烂屎", 30),
]

# (text, age): Cantonese emergencies the rules catch today
CANTONESE_CAUGHT = [
    ("阿妈头先喺厕所晕咗，而家叫唔醒", 82),
    ("我老豆心口好痛，痛到出晒冷汗，成个人冇晒力", 60),
    ("个仔食咗成排退烧药，有十几粒", 4),
    ("我而家透唔到气，嘴唇都紫晒", 30),
    ("老公突然讲嘢唔清楚，右手攞唔起嘢，个嘴都歪咗", 65),
    ("我吐咗好多血，成碗咁多", 50),
    ("阿爷跌咗落楼梯，个头流好多血，而家讲嘢乱晒", 80),
    ("我个女发高烧四十度，条颈好硬，身上出咗啲紫色嘅点", 6),
    ("佢话唔想活，已经写好遗书，仲买咗炭", 25),
    ("我个BB先得两个月大，而家发烧三十八度五", 0),
    ("阿爷跌低咗，而家冇反应，叫极都唔醒", 85),
    ("吐血吐到冇停过，成盆都系血", 52),
    ("阿妈心口痛咗成个钟都冇停，出晒冷汗", 66),
    ("个女发烧四十度，冇精神，条颈好硬", 5),
    ("我個細佬突然冇咗意識，叫極都冇反應", 20),
    # moved up from CANTONESE_MISSED by round 42's dialect entries (冇 -> 没; 唔 -> 不)
    ("肚子胀得好大 两天冇放屁冇屙屎 一阵一阵绞到痛 吐了好几次 以前肠子开过刀", 60),
    ("肚子胀得好大，一阵一阵扭着痛，两天冇放屁冇拉屎，恰么子吐么子", 55),
    ("崽两岁，上吐下泻一天了，拉了十几次水样便，喝水都吐，半天冇尿，哭冇眼泪", 2),
    ("两天冇放屁冇大便，肚子胀得好大，一阵一阵绞痛，吐了好几次", 50),
    ("宝宝半天冇尿，哭冇眼泪，上吐下泻一天了", 1),
    ("阿爸有糖尿病，今日成日唔醒神，出好多汗，叫佢都唔应", 70),
]

# (text, age): Cantonese emergencies the rules miss today (my probes; the five the refused
# "冇" -> "没" entry caught, and one more, were moved up to CANTONESE_CAUGHT by round 42)
CANTONESE_MISSED = [
    ("阿婆屙咗好多黑色嘅屎，头晕到企唔稳", 78),
    ("细路仔俾蜜蜂叮咗，而家成块面肿晒，喉咙好似塞住咁", 8),
    ("屋企人食咗啲野菇，而家不停咁呕同屙", 45),
    ("我个肚好痛，痛到郁唔到，月经迟咗两个礼拜", 27),
    ("BB冇气呀！个面都紫咗", 1),
    ("老公突然冇咗知觉，成身软晒", 55),
    ("我老婆生完BB之后出血冇停，已经湿咗好多片卫生巾", 31),
    ("阿爸冇呼吸，摸唔到脉搏", 70),
    ("BB屙咗成日水，半日冇尿，唔肯食奶", 1),
    ("个头撞亲之后一直呕，冇停过，而家好眼瞓", 40),
]


@pytest.mark.parametrize(("text", "expected"), MANDARIN)
def test_round40_mandarin_uses_of_dialect_characters_keep_their_level(
    text: str, expected: str
) -> None:
    assert level(text) == expected


@pytest.mark.parametrize(("text", "age"), CANTONESE_LOOKALIKES)
def test_round40_cantonese_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


def test_round40_cantonese_negation_is_negation() -> None:
    assert contexts_of("冇发烧，就系有啲咳", "fever") == [frozenset({"negated"})]
    chest = contexts_of("冇胸口痛，就系有啲咳", "chest_pain")
    assert chest and all(found == {"negated"} for found in chest)


@pytest.mark.parametrize(("text", "age"), CANTONESE_CAUGHT)
def test_round40_cantonese_emergencies_caught_today_escalate(text: str, age: int) -> None:
    assert emergency(text, age)


@pytest.mark.xfail(strict=True, reason="missed by the rules today; a dialect round must move it up")
@pytest.mark.parametrize(("text", "age"), CANTONESE_MISSED)
def test_round40_cantonese_emergencies_missed_today(text: str, age: int) -> None:
    assert emergency(text, age)
