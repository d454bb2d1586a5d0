"""The rules engine's fast paths (urgency round 43's speed-up) give what the plain tests gave.

The speed-up was checked once by dumping every assessment of 69,177 texts before and after; these
tests keep the two shortcuts that replaced a loop equal to that loop for every cue and pseudo
phrase of the packaged table, so a later edit of either cannot drift silently:
- `_Scan._pseudo` looks a text slice up in a set per (offset, length) group, where it tested
  every pseudo phrase of the cue with `_phrase_at`;
- the normaliser keeps its folded text for the offsets, where `_fast_starts` folded again.
"""

from __future__ import annotations

import pytest

from triage.text import _fast_starts, _fold, normalise_with_offsets
from triage.urgency import UrgencyEngine
from triage.urgency.engine import _CompiledCues, _offsets, _Scan


def _pseudo_pairs(cues: _CompiledCues, cue: str) -> list[tuple[str, int]]:
    """Every (pseudo phrase, offset of the cue inside it), found afresh from the table rather
    than from the compiled groups under test."""
    return [(phrase, at) for phrase in cues.cues.pseudo for at in _offsets(phrase, cue)]


def _plain_pseudo(scan: _Scan, cues: _CompiledCues, cue: str, at: int, lo: int, hi: int) -> bool:
    """What `_pseudo` computed before round 43: every phrase, one `startswith` each."""
    return any(
        at - offset >= lo
        and at - offset + len(phrase) <= hi
        and scan._phrase_at(phrase, at - offset)
        for phrase, offset in _pseudo_pairs(cues, cue)
    )


def _compiled_cues() -> list[_CompiledCues]:
    return list(UrgencyEngine.default()._compile().cues.values())


def _texts_around(phrase: str) -> list[str]:
    """The phrase alone, inside Chinese, inside English words (where word edges decide) and
    cut short, so that both answers occur."""
    return [
        phrase,
        f"今天{phrase}了",
        f"x{phrase}s and more",
        f"{phrase}ing",
        f"the {phrase} now",
        phrase[:-1] + "，" + phrase[-1:],
    ]


def test_grouped_pseudo_phrases_answer_as_each_phrase_tested_alone() -> None:
    checked = agree_true = 0
    for cues in _compiled_cues():
        for cue in {*cues.cues.before, *cues.cues.after}:
            for phrase, _ in _pseudo_pairs(cues, cue):
                for text in _texts_around(phrase):
                    scan = _Scan(text, "，,;；", "。.!?！？")
                    start = text.find(cue)
                    while start >= 0:
                        for lo, hi in ((0, len(text)), (start, len(text)), (0, start + len(cue))):
                            want = _plain_pseudo(scan, cues, cue, start, lo, hi)
                            assert scan._pseudo(cues, cue, start, lo, hi) == want, (
                                cue,
                                phrase,
                                text,
                                lo,
                                hi,
                            )
                            checked += 1
                            agree_true += want
                        start = text.find(cue, start + 1)
    # the table has pseudo phrases, and both answers were exercised
    assert checked > 1000 and 0 < agree_true < checked


@pytest.mark.parametrize(
    "typed",
    [
        "胸口痛了两个小时",
        "胸\u200b痛，\u00ad呼吸 困难",
        "ＣＨＥＳＴ　ｐａｉｎ since 3am",
        "\ufeff孩子发烧39.5度 抽搐了",
        "my dad can't  breathe\n\nand is blue",
        "頭痛欲裂，嘔吐",
    ],
)
def test_offsets_from_the_kept_fold_equal_offsets_folded_again(typed: str) -> None:
    normalised = normalise_with_offsets(typed)
    kept = _fold(typed)
    assert kept is not None
    assert _fast_starts(typed, normalised.text, kept) == _fast_starts(typed, normalised.text)
    # and the spans the doctor's page highlights still land on the typed characters
    for start in range(len(normalised.text)):
        lo, hi = normalised.original_span(start, start + 1)
        assert 0 <= lo < hi <= len(typed)


# (text, age): several concepts on one span, in negated, historical, current and quiz contexts
SHARED_SPANS = [
    ("我没有胸痛，也没有呼吸困难，就是有点咳嗽", 50),
    ("三年前突然胸痛，住院放了支架，现在好好的", 60),
    ("我妈以前中风过，现在胸痛出冷汗两小时了", 45),
    ("作业题：患者突然胸痛伴大汗，应该怎么处理？", 20),
]


@pytest.mark.parametrize(("text", "age"), SHARED_SPANS)
def test_concepts_on_one_span_share_its_judgement(text: str, age: int) -> None:
    """The engine judges what depends on a span once per span (round 57's speed-up, checked by
    dumping 154,738 assessments before and after): every concept found on one span has the same
    duration, onset and span-level contexts; only a concept's own tests (its idioms, in-care for
    findings, a possibility asked, for a concept that is not only a rule's stop) may differ."""
    own = {"idiomatic", "in_care", "hypothetical"}
    assessment = UrgencyEngine.default().assess(text, age, keep_mentions=True)
    by_span: dict[tuple[int, int], list] = {}
    for mention in assessment.mentions:
        by_span.setdefault((mention.start, mention.end), []).append(mention)
    shared = [group for group in by_span.values() if len(group) > 1]
    assert shared, text
    for group in shared:
        first = group[0]
        for mention in group[1:]:
            assert mention.duration_days == first.duration_days
            assert mention.acute == first.acute
            assert mention.contexts - own == first.contexts - own
