"""The one normaliser (triage.text.v2): invisible characters, spacing, width, script, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from triage.schema import TriageRequest
from triage.text import has_content, normalise, normalise_with_offsets

FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("char", FORMAT_CHARS)
def test_format_characters_are_dropped(char: str) -> None:
    assert normalise(f"胸{char}痛") == "胸痛"
    assert normalise(f"chest{char} pain") == "chest pain"


def test_whitespace_between_cjk_goes_and_english_keeps_one_space() -> None:
    assert normalise("呼吸 困\n难") == "呼吸困难"
    assert normalise("胸痛\u3000三天") == "胸痛三天"
    assert normalise("chest \n\t pain") == "chest pain"
    assert normalise("体温 39.5 度") == "体温39.5度"


def test_width_case_and_traditional_script() -> None:
    assert normalise("ＣＨＥＳＴ　ＰＡＩＮ３９") == "chest pain39"
    assert normalise("我頭痛得厲害，嘔吐") == "我头痛得厉害,呕吐"
    assert normalise("說話不清楚") == "说话不清楚"


def test_fields_keep_their_places_and_missing_fields_empty() -> None:
    assert normalise("未确诊;右肺结节;nan;NaN") == "未确诊;右肺结节;;"
    assert normalise("  Chest  PAIN，ＡＢＣ；x ") == "chest pain,abc;x"


def test_normalising_twice_changes_nothing() -> None:
    for text in ["胸\u200b痛 三天", "我頭痛；nan", "ＡＢＣ  def", "发烧39.5度 , 咳嗽"]:
        assert normalise(normalise(text)) == normalise(text)


def test_offsets_point_back_into_the_typed_text() -> None:
    typed = "我爸\u200b胸 口疼，ＨＥＬＰ"
    result = normalise_with_offsets(typed)
    at = result.text.index("胸口疼")
    start, end = result.original_span(at, at + 3)
    assert typed[start:end] == "胸 口疼"
    at = result.text.index("help")
    start, end = result.original_span(at, at + 4)
    assert typed[start:end] == "ＨＥＬＰ"


def test_content_check_refuses_invisible_only_text() -> None:
    assert not has_content("\u3000\u200b\ufeff")
    assert not has_content(" ;,。\u00ad")
    assert has_content("痛")
    assert has_content("é")


@pytest.mark.parametrize("text", ["\u3000\u200b\ufeff", "\u200d\u2060", " ;; ", "。，！"])
def test_request_without_readable_text_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="text is empty"):
        TriageRequest(id="x", text=text)


def test_request_with_nul_byte_is_refused() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        TriageRequest(id="x", text="胸痛\x00")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_offsets_are_always_within_the_typed_text(typed: str) -> None:
    result = normalise_with_offsets(typed)
    assert len(result.starts) == len(result.text) == len(result.ends)
    for start, end in zip(result.starts, result.ends, strict=True):
        assert 0 <= start < end <= len(typed)
    assert list(result.starts) == sorted(result.starts)
    assert result.text == normalise(typed)


MIXED = st.sampled_from(
    list("胸痛頭說話ＡＢａｂ１２ 　\n\t;；,，。abcXYZ09:()-")
    + FORMAT_CHARS
    + ["nan", "Ⅻ", "①", "ﬁ", "é", "e\u0301", "\u1100\u1161"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(MIXED, max_size=40).map("".join))
def test_fast_and_per_character_paths_agree(typed: str) -> None:
    from triage.text import _slow_units

    fast = normalise_with_offsets(typed)
    slow = "".join(char for char, _, _ in _slow_units(typed))
    assert fast.text == slow
    assert len(fast.starts) == len(fast.text)


@settings(max_examples=300, deadline=None)
@given(st.lists(MIXED, max_size=40).map("".join))
def test_joined_spaces_agree_with_the_offsets(typed: str) -> None:
    from triage.text import joined_spaces

    result = normalise_with_offsets(typed)
    text = result.text

    def joined(i: int) -> bool:
        # whitespace at a field's edge is not between two phrases
        return text[i - 1] not in " ;" and text[i] not in " ;"

    expected = [
        i
        for i in range(1, len(text))
        if joined(i) and any(c.isspace() for c in typed[result.ends[i - 1] : result.starts[i]])
    ]
    got = [i for i in joined_spaces(result) if 0 < i < len(text) and joined(i)]
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(MIXED, max_size=40).map("".join))
def test_fast_offsets_equal_the_per_character_offsets(typed: str) -> None:
    from triage.text import _fast_starts, _slow_units

    result = normalise_with_offsets(typed)
    fast = _fast_starts(typed, result.text)
    if fast is not None:
        assert list(fast) == [start for _, start, _ in _slow_units(typed)]


def test_folding_full_width_forms_before_nfkc_changes_nothing() -> None:
    """The fast path folds full-width ASCII and the ideographic space in the pass that drops
    format characters (so NFKC's quick check passes); NFKC must give what it gave without."""
    import unicodedata

    from triage.text import _drop_table, _fold_table

    folded = {code: out for code, out in _fold_table().items() if code not in _drop_table()}
    assert len(folded) == 95
    for code, out in folded.items():
        assert unicodedata.normalize("NFKC", chr(code)) == out


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [chr(c) for c in range(0xFF00, 0xFF70)]
            + list("\u3000\u3099\u0301\u200b\u00ad’胸痛ｶﾞa ;")
        ),
        max_size=30,
    )
)
def test_folded_nfkc_equals_nfkc(text: str) -> None:
    import unicodedata

    from triage.text import _drop_table, _fold_table

    plain = unicodedata.normalize("NFKC", text.translate(_drop_table()))
    assert unicodedata.normalize("NFKC", text.translate(_fold_table())) == plain
