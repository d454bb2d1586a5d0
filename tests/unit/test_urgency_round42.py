"""Round 42: the rules read written Cantonese through a dialect lexicon (``data/dialect.json``,
inside the urgency engine only) and a few Cantonese forms of existing concepts.

Round 40 built the mechanism (refused only because its judge set held no Cantonese); round 42
keeps its "冇" -> "没" entry and widens the lexicon, each entry kept under the three-file rule
(the emergencies it alone newly catches come from three or more tuning files; none lost, no
look-alike raised, rules alone):

- "冇" -> "没" (round 40): 7 emergencies in 5 files;
- "屙" -> "拉" (pass stool or urine; left as typed before 唔): 3 in 3 files;
- "唔" -> "不" (Cantonese negation; not the Mandarin interjection "唔，"): 3 in 3 files;
- "喊到" -> "哭到" (Cantonese 喊 is to cry; Mandarin 喊 is to call, so only 喊到): 4 in 4 files;
- ao_baby_still forms "冇觉到bb郁", "冇觉得bb郁", "bb好似冇点郁", "冇点郁过" (郁 = move): 3 in 3;
- ao_saddle_numb: 屎忽 / 屁股 near 冇晒感觉 / 冇晒知觉 / 冇知觉: 3 in 3.

Below: the Cantonese emergencies they fix escalate (and the table without them misses them);
Cantonese negation reads as negation; Cantonese look-alikes stay routine; Mandarin text with the
same characters keeps the level the table without a dialect lexicon gives; reasons point at the
typed dialect characters, also when a rewritten word changes length; an older bundle's table (no
``dialect`` field) loads and behaves as before; entries are validated data.
"""

from __future__ import annotations

import pydantic
import pytest

from tests.unit.urgency_cases import contexts_of, emergency, engine, level
from triage.text import normalise, normalise_with_offsets
from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine
from triage.urgency.dialect import DialectRewriter, DialectText
from triage.urgency.lexicon import DialectEntry

# (text, age): tuning lines each entry fixes, and my own wordings of the same emergencies
CANTONESE_EMERGENCIES = [
    # 冇 -> 没
    ("肚子胀得好大 两天冇放屁冇屙屎 一阵一阵绞到痛 吐了好几次 以前肠子开过刀", 60),
    ("崽两岁，上吐下泻一天了，拉了十几次水样便，喝水都吐，半天冇尿，哭冇眼泪", 2),
    ("两天冇放屁冇大便，肚子胀得好大，一阵一阵绞痛，吐了好几次", 50),
    # 屙 -> 拉
    ("娃娃又吐又屙 一天了 尿都少 嘴巴干起 软叭叭的", 2),
    ("肚子胀得像个鼓，一阵一阵绞起来痛，吃么子吐么子，两天冇屙屎也冇放屁", 60),
    ("三天没屙了 屁也不放 肚子胀得硬邦邦 一阵一阵绞起痛 吃了就吐", 65),
    # 唔 -> 不
    ("我外婆85岁，今日突然认唔到人，叫佢又唔应，乱咗咁，平时好精神的，冇发烧", 85),
    ("成晚屙唔出尿，小肚胀到爆", 70),
    ("阿爸有糖尿病，今日成日唔醒神，出好多汗，叫佢都唔应", 70),
    # 喊到 -> 哭到
    ("个仔一岁 今日一阵阵喊到好犀利 喊完又冇事 呕咗三次 屙咗啲红色啫喱咁嘅嘢 好惊", 1),
    ("个仔九个月，成晚一阵阵喊到好惨，隔一阵又冇事，呕咗三次，啲屎红红黐黐", 0),
    ("我个女一阵阵喊到好犀利，呕咗几次", 1),
    # ao_baby_still forms
    ("怀咗36周，今日成日都冇觉到BB郁，食咗糖拍下个肚都冇反应，好惊", 30),
    ("我老婆怀孕37周，今日成日都冇觉得BB郁过，食完甜嘢都冇郁", 30),
    ("大肚38週，由琴晚開始BB好似冇點郁過，平時好多嘢嘅", 30),
    # ao_saddle_numb near
    ("腰骨痛咗一个礼拜，今日两只脚都痹埋，屙尿屙唔出，坐落马桶屎忽嗰度冇晒感觉", 50),
    ("我老公腰痛几年，今日两只脚都麻，屁股周围冇晒感觉，屙尿屙唔出", 50),
]

# Cantonese look-alikes: another person's event, a past one, a negated one
CANTONESE_LOOKALIKES = [
    ("我邻居两天冇放屁冇大便，肚子胀，吐了几次，后来做了手术，人没事了。我也经常肚子胀", 40),
    ("以前有一次两天冇放屁冇大便，肚子胀痛呕吐，住院好了，现在没事", 45),
    ("冇肚痛，冇呕，就系两日冇大便", 30),
    ("冇发烧，就系有啲咳", 30),
    ("冇发烧冇呕，就系肚有少少痛，屙咗两次烂屎", 30),
    ("唔痛，就系有啲痕", 30),
    ("隔篱屋个BB琴日一阵阵喊到好犀利，入院做咗手术，而家冇事", 1),
    ("怀孕37周，我冇觉得BB郁少咗，今日佢郁得好犀利，正常吗", 30),
    ("怀孕37周，我冇觉得BB郁得少，佢成日郁", 30),
    ("怀孕37周，以前有一次冇觉到BB郁，去咗医院监测冇事，今日郁得好多", 30),
    ("隔篱屋阿伯腰痛，屁股冇晒感觉，入咗院做咗手术，而家冇事", 40),
]

# Mandarin (and other) text holding the characters of the entries and forms: each keeps exactly
# the level the table without a dialect lexicon gives
MANDARIN = [
    "食道有点烧，吃东西的时候胸口后面痛",
    "食管反流好几年了，最近有点咳嗽",
    "昨天吃了海鲜，怀疑食物中毒，拉了两次肚子",
    "最近饮食不规律，进食后胃胀",
    "唔，我想想，最近有点咳嗽，没有发烧",
    "唔...最近有点咳嗽",
    "他说话支支唔唔的，最近有点咳嗽",
    "系统性红斑狼疮十年，最近关节痛，和医生联系过",
    "胃酸返流，喉咙有点烧",
    "我老公昨晚吃了海鲜，今天全身起风团，喉咙发紧，喘不上气",
    "两天没放屁没大便，肚子胀得好大，一阵一阵绞痛，吐了好几次",
    "左手左脚冇晒力，讲嘢唔清楚，半个钟前开始",
    # Mandarin 喊 is to call: 喊到 before a person, 喊不醒, 喊都没反应
    "我喊到他醒，他一直没反应",
    "怎么喊都没反应，还有呼吸",
    "我喊到嗓子都哑了，他还是叫不醒",
    "同事倒了，喊不应，好像没气了",
    # 郁 in Mandarin words, beside a pregnancy
    "怀孕37周，最近有点抑郁，胎动正常",
    "怀孕37周，心情忧郁，宝宝动得挺好",
    # 屁股 in Mandarin
    "腰痛几年，擦屁股没感觉，两只脚麻",
    "屁股上长了个疖子，坐着痛",
]


def _without_dialect() -> UrgencyEngine:
    """The packaged table as a bundle written before round 40 stores it: no dialect field."""
    data = engine().to_dict()
    data.pop("dialect", None)
    return UrgencyEngine.from_dict(data)


def _with(entries: list[dict[str, object]]) -> UrgencyEngine:
    return UrgencyEngine.from_dict({**engine().to_dict(), "dialect": entries})


def test_round42_packaged_entries() -> None:
    words = {entry.dialect: entry.mandarin for entry in engine().table.dialect}
    assert words == {"冇": "没", "屙": "拉", "唔": "不", "喊到": "哭到"}


@pytest.mark.parametrize(("text", "age"), CANTONESE_EMERGENCIES)
def test_round42_cantonese_emergencies_escalate(text: str, age: int) -> None:
    assert emergency(text, age)


@pytest.mark.parametrize(("text", "age"), CANTONESE_EMERGENCIES[:12])
def test_round42_dialect_entries_are_what_catches_them(text: str, age: int) -> None:
    # the entries' lines: the table without the lexicon misses them
    assert _without_dialect().assess(text, age).level not in EMERGENCY_LEVELS


@pytest.mark.parametrize(("text", "age"), CANTONESE_LOOKALIKES)
def test_round42_cantonese_lookalikes_stay_routine(text: str, age: int) -> None:
    assert not emergency(text, age)


def test_round42_cantonese_negation_is_negation() -> None:
    assert contexts_of("冇发烧，就系有啲咳", "fever") == [frozenset({"negated"})]
    assert all(c == {"negated"} for c in contexts_of("冇胸口痛，就系有啲咳", "chest_pain"))
    # 唔 read as 不: a Cantonese "not" before the finding negates it
    for text, concept in (("我唔发烧，就系有啲咳", "fever"), ("唔头痛，就系有啲咳", "headache")):
        found = contexts_of(text, concept)
        assert found and all(c == {"negated"} for c in found), text


@pytest.mark.parametrize("text", MANDARIN)
def test_round42_mandarin_keeps_its_level(text: str) -> None:
    assert level(text) == _without_dialect().assess(text).level


def test_round42_mandarin_characters_are_left_as_typed() -> None:
    rewriter = engine()._compile().dialect
    for text in ("唔,我想想", "支支唔唔", "喊到他醒", "怎么喊都没反应", "最近有点抑郁"):
        typed = normalise_with_offsets(text)
        assert rewriter.rewrite(typed) is typed, text


def test_round42_known_cantonese_phrases_are_left_as_typed() -> None:
    rewriter = engine()._compile().dialect
    # "冇晒力" is a form of an earlier round, "冇觉到bb郁" one of this round: rewriting their 冇
    # would lose them; 屙 before 唔 stays so that 屙唔出 reads as the known 屙不出
    typed = normalise_with_offsets("左手左脚冇晒力，两天冇放屁，冇觉到BB郁，屙唔出尿，又吐又屙")
    assert rewriter.rewrite(typed).text == "左手左脚冇晒力,两天没放屁,冇觉到bb郁,屙不出尿,又吐又拉"


def test_round42_reason_points_at_the_typed_dialect_characters() -> None:
    text = "两天冇放屁冇屙屎，肚子胀得好大，一阵一阵绞痛，吐了好几次"
    reasons = engine().assess(text, 50).reasons
    assert "冇放屁" in {reason.evidence for reason in reasons}
    for reason in reasons:
        assert text[reason.start : reason.end] == reason.evidence
    # a two-character entry: the reason highlights 喊到 as typed
    text = "个仔一岁，一阵阵喊到好犀利，喊完又冇事，呕咗三次"
    assessment = engine().assess(text, 1)
    assert assessment.level in EMERGENCY_LEVELS
    evidence = {reason.evidence for reason in assessment.reasons}
    assert any("喊到" in found for found in evidence)
    for reason in assessment.reasons:
        assert text[reason.start : reason.end] == reason.evidence


def test_round42_spans_survive_a_longer_mandarin_word() -> None:
    # 冇 -> 没有 adds a character: spans after it still point at what was typed
    longer = _with(
        [{"dialect": "冇", "mandarin": "没有", "rationale": "span test: one char to two"}]
    )
    text = "兩天冇放屁冇大便，肚子脹得好大，一陣一陣絞痛，吐咗好幾次"
    assessment = longer.assess(text, 50, keep_mentions=True)
    assert assessment.level in EMERGENCY_LEVELS
    evidence = {reason.concept: reason.evidence for reason in assessment.reasons}
    assert evidence["ao_no_flatus"] == "冇放屁"
    assert evidence["ao_distension"] == "肚子脹"
    for reason in assessment.reasons:
        assert text[reason.start : reason.end] == reason.evidence
    # mentions stay in the normalised text's coordinates (the backstop masks with them)
    normal = normalise(text)
    spelled = {normal[m.start : m.end] for m in assessment.mentions}
    assert {"冇放屁", "冇大便", "肚子胀"} <= spelled


def test_round42_rewritten_text_maps_each_character_back() -> None:
    entry = DialectEntry(dialect="冇", mandarin="没有", rationale="span test: one char to two")
    typed = normalise_with_offsets("冇 發燒，冇咳")
    read = DialectRewriter([entry]).rewrite(typed)
    assert isinstance(read, DialectText)
    assert read.text == "没有发烧,没有咳"
    assert read.original_span(0, 4) == (0, 4)  # "没有发烧" <- "冇 發燒"
    assert read.original_span(5, 8) == (5, 7)  # "没有咳" <- "冇咳"
    assert read.base_span(5, 8) == (4, 6)
    # nothing to rewrite: the same object
    plain = normalise_with_offsets("发烧三天")
    assert DialectRewriter([entry]).rewrite(plain) is plain


def test_round42_restrictions_are_data() -> None:
    entry = DialectEntry(
        dialect="食",
        mandarin="吃",
        not_before=["道", "物"],
        not_after=["饮"],
        rationale="restriction test: Mandarin 食道, 食物, 饮食 stay",
    )
    rewriter = DialectRewriter([entry])
    assert rewriter.rewrite(normalise_with_offsets("食咗药，食道痛，饮食差，食物")).text == (
        "吃咗药,食道痛,饮食差,食物"
    )


def test_round42_old_table_without_dialect_loads_and_behaves_as_before() -> None:
    data = engine().to_dict()
    assert data["dialect"]  # the packaged table ships the lexicon...
    data.pop("dialect")
    old = UrgencyEngine.from_dict(data)  # ...and a table written before it still loads
    assert old.table.dialect == []
    assert "dialect" not in old.to_dict()  # and is written back without the field
    text = CANTONESE_EMERGENCIES[2][0]
    assert old.assess(text, 50).level == "consultation"
    typed = normalise_with_offsets(text)
    assert old._compile().dialect.rewrite(typed) is typed


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"dialect": "係", "mandarin": "是", "rationale": "traditional form"}, "normalised form"),
        ({"dialect": "冇", "mandarin": "没"}, "rationale"),
        ({"dialect": "冇", "mandarin": "冇", "rationale": "maps to itself"}, "itself"),
        ({"dialect": "冇", "mandarin": "没", "rationale": "bad", "extra": 1}, "extra"),
    ],
)
def test_round42_entries_are_validated(entry: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        _with([entry])


def test_round42_duplicate_dialect_words_are_refused() -> None:
    entry = {"dialect": "冇", "mandarin": "没", "rationale": "duplicate test entry"}
    with pytest.raises(pydantic.ValidationError, match="duplicate dialect word"):
        _with([entry, {**entry, "mandarin": "没有"}])
