"""The curated urgency table (triage/urgency/data): it validates, every rule says why, and its
decisions survive invisible characters, spacing and traditional script.

The clinical cases here are the issue's own examples and textbook red flags, not vignettes
from data/vignettes (the test split there is only ever read by bench/urgency.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.urgency_cases import emergency, engine

ROOT = Path(__file__).resolve().parents[2]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
SPACES = [" ", "\n", "\u3000", "\t"]


def _cases() -> list[dict[str, object]]:
    path = ROOT / "tests" / "fixtures" / "urgency_cases.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_table_is_valid_versioned_and_every_rule_has_a_reason_and_source() -> None:
    table = engine().table
    assert table.version.startswith("triage.urgency.")
    assert len(table.rules) >= 60 and len(table.concepts) >= 100
    for rule in table.rules:
        assert len(rule.rationale) >= 10 and rule.source, rule.id
    levels = {rule.level for rule in table.rules}
    assert {"emergency_ambulance", "emergency", "consultation_24"} <= levels


def test_every_concept_is_used_by_some_rule() -> None:
    table = engine().table
    used = {c for r in table.rules for g in r.all_of for c in g}
    used |= {c for r in table.rules for c in [*r.none_of, *r.age_concepts]}
    unused = sorted({c.id for c in table.concepts} - used)
    assert not unused, f"concepts no rule uses: {unused}"


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("今天吐了好几口血，大便是黑色的，头晕心慌", 50),
        ("胸口压榨样疼痛，向左肩放射，出了一身冷汗", 62),
        ("crushing chest pain spreading to my jaw and I am sweating", 55),
        ("突然右边手脚没力气，说话口齿不清", 70),
        ("孩子抽搐了两分钟，叫不醒", 3),
        ("吃了一整瓶安眠药", 25),
        ("不想活了，想自杀", 19),
        ("吃了花生后喉咙肿，喘不上气", 12),
        ("怀孕34周，头痛得厉害，眼睛看东西模糊，脚肿", 31),
        ("my chest hurts and I can't catch my breath", 60),
    ],
)
def test_red_flags_escalate(text: str, age: int) -> None:
    assert emergency(text, age), engine().assess(text, age, keep_mentions=True)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("全身起红疹，痒的想死，晚上睡不着", 30),
        ("孩子三岁了还不太会说话，只会叫爸爸妈妈", 3),
        ("两周前被开水烫伤了手背，现在结痂了，在愈合", 28),
        ("胸闷四五年了，体检心电图正常，想咨询一下", 45),
        ("三年前中风过，现在想问问康复训练怎么做", 68),
        ("如果突然胸痛应该怎么办", 40),
        ("我爸以前心梗去世了，我会不会遗传", 35),
        ("没有胸痛，也没有出汗，就是有点累", 35),
        ("上班累死了，腰酸背痛", 30),
    ],
)
def test_look_alikes_do_not_escalate(text: str, age: int) -> None:
    assert not emergency(text, age), engine().assess(text, age, keep_mentions=True)


def test_textbook_regression_cases() -> None:
    """The 209 hand-written cases the old string rules were built on (positives and negations)."""
    wrong = [
        case["text"]
        for case in _cases()
        if emergency(str(case["text"]), case.get("age"))  # type: ignore[arg-type]
        != (case["expected_urgency"] == "emergency")
    ]
    assert len(wrong) <= 5, wrong


def _cjk_forms() -> list[tuple[str, str]]:
    forms = []
    for concept in engine().table.concepts:
        for form in concept.forms:
            if len(form) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in form):
                forms.append((concept.id, form))
    return forms


def test_invisible_characters_or_spaces_inside_any_chinese_form_still_match() -> None:
    """Inserting a format character or whitespace anywhere inside any rule term keeps it."""
    missed = []
    for concept, form in _cjk_forms():
        for char in [*INVISIBLE, *SPACES]:
            for at in range(1, len(form)):
                varied = form[:at] + char + form[at:]
                found = {m.concept for m in engine().assess(varied, keep_mentions=True).mentions}
                if concept not in found:
                    missed.append((concept, varied))
    assert not missed, missed[:10]


EMERGENCIES = [
    ("胸口剧烈疼痛半小时，疼到左臂，满头大汗", 58),
    ("今天吐了好几口血，大便是黑色的，头晕心慌", 50),
    ("孩子抽搐了两分钟，叫不醒", 3),
    ("不想活了，想自杀", 19),
    ("突然右边手脚没力气，说话口齿不清", 70),
    ("chest pain radiating to my left arm, sweating", 55),
    ("she suddenly can't breathe, lips are blue", 30),
]


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(EMERGENCIES),
    char=st.sampled_from(INVISIBLE + SPACES),
    where=st.floats(0, 1),
    count=st.integers(1, 4),
)
def test_invisible_characters_anywhere_never_change_urgency(
    case: tuple[str, int], char: str, where: float, count: int
) -> None:
    text, age = case
    at = int(where * len(text))
    # whitespace inside an English word makes two words; only format characters go there
    if char in SPACES and 0 < at < len(text) and text[at - 1].isalnum() and text[at].isascii():
        char = "\u200b"
    varied = text[:at] + char * count + text[at:]
    assert emergency(varied, age) == emergency(text, age) is True


def test_traditional_characters_give_the_same_urgency() -> None:
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    for text, age in EMERGENCIES:
        traditional = to_traditional.convert(text)
        assert emergency(traditional, age) == emergency(text, age), traditional
    for case in _cases():
        text = str(case["text"])
        assert emergency(to_traditional.convert(text), case.get("age")) == emergency(  # type: ignore[arg-type]
            text,
            case.get("age"),  # type: ignore[arg-type]
        ), text


def test_reasons_point_at_the_typed_words() -> None:
    typed = "我爸今天胸\u200b口疼，出了一身冷汗，左胳膊也麻"
    result = engine().assess(typed, 67)
    assert result.level == "emergency_ambulance"
    for reason in result.reasons:
        assert reason.evidence == typed[reason.start : reason.end] and reason.evidence
