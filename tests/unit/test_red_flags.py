"""Unit tests for the emergency red-flag matcher and its packaged rule table."""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.red_flags import RedFlagMatcher, RedFlagRule

ROOT = Path(__file__).resolve().parents[2]
CASES_PATH = ROOT / "tests" / "fixtures" / "red_flag_cases.jsonl"
TABLE_PATH = ROOT / "triage" / "red_flags.json"


def _load_cases() -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate(CASES_PATH.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            case = json.loads(line)
            case["line"] = number
            cases.append(case)
    return cases


CASES = _load_cases()


_DEFAULT = RedFlagMatcher.default()


@pytest.fixture(scope="module")
def matcher() -> RedFlagMatcher:
    return _DEFAULT


def _table() -> dict[str, Any]:
    return {
        "version": "test.v1",
        "negation_cues": ["无", "没有", "no "],
        "pseudo_negations": ["无法"],
        "negation_window": 6,
        "clause_delimiters": ",.;!?:，。；！？：\n",
        "rules": [
            {
                "id": "chest_pain_sweating",
                "label_zh": "胸痛伴大汗",
                "label_en": "Chest pain with sweating",
                "all_of": [["胸痛", "chest pain"], ["大汗", "sweating"]],
                "age_min_years": None,
                "age_max_years": None,
            },
            {
                "id": "infant_fever",
                "label_zh": "婴儿发热",
                "label_en": "Infant fever",
                "all_of": [["发烧", "fever"]],
                "age_min_years": None,
                "age_max_years": 1,
                "age_terms": ["婴儿", "baby"],
            },
        ],
    }


# -- behaviour on the curated cases ----------------------------------------------------------


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{case['line']}:{case['text'][:30]}" for case in CASES]
)
def test_red_flags_fixture_case(matcher: RedFlagMatcher, case: dict[str, Any]) -> None:
    got = matcher.match(case["text"], case["age"])
    assert set(got) == set(case["expected"]), (
        f"line {case['line']}: {case['text']!r} (age {case['age']}): "
        f"expected {sorted(case['expected'])}, got {got}"
    )


def test_red_flags_fixture_is_well_formed(matcher: RedFlagMatcher) -> None:
    known = set(matcher.rule_ids)
    for case in CASES:
        assert set(case) == {"text", "age", "expected", "line"}, case
        assert isinstance(case["text"], str) and case["text"], case
        assert case["age"] is None or isinstance(case["age"], int), case
        unknown = set(case["expected"]) - known
        assert not unknown, f"line {case['line']}: unknown rule ids {unknown}"
    assert len(CASES) >= 80
    assert sum(1 for case in CASES if not case["expected"]) >= 25


def test_red_flags_every_rule_has_two_positive_cases(matcher: RedFlagMatcher) -> None:
    positives = Counter(rule_id for case in CASES for rule_id in set(case["expected"]))
    thin = {rule_id: positives[rule_id] for rule_id in matcher.rule_ids if positives[rule_id] < 2}
    assert not thin, f"rules with fewer than 2 positive fixture cases: {thin}"


def test_red_flags_every_rule_has_chinese_and_english_positives(matcher: RedFlagMatcher) -> None:
    def has_cjk(text: str) -> bool:
        return any("\u4e00" <= char <= "\u9fff" for char in text)

    missing = []
    for rule_id in matcher.rule_ids:
        texts = [case["text"] for case in CASES if rule_id in case["expected"]]
        if not any(has_cjk(text) for text in texts) or all(has_cjk(text) for text in texts):
            missing.append(rule_id)
    assert not missing, f"rules without both a Chinese and an English positive case: {missing}"


# -- matching semantics ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", ";", ";;;", "nan;nan", "\n"])
def test_red_flags_empty_text_returns_empty(matcher: RedFlagMatcher, text: str) -> None:
    assert matcher.match(text) == []
    assert matcher.match(text, 0) == []


def test_red_flags_long_text_returns(matcher: RedFlagMatcher) -> None:
    text = ("头疼两天，无胸痛，没有出汗;" * 10_000)[:100_000]
    assert len(text) == 100_000
    assert matcher.match(text, 40) == []
    flagged = text[:50_000] + "胸痛，出冷汗" + text[50_000:]
    assert "chest_pain_sweating_or_radiation" in matcher.match(flagged)


_ALPHABET = st.sampled_from(list("胸痛无没有不抽搐宝宝发烧出汗血流止住 ,.;:()-'’abcdeilnostw"))


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(_ALPHABET, max_size=80), age=st.none() | st.integers(0, 120))
def test_red_flags_arbitrary_text_never_raises(text: str, age: int | None) -> None:
    matcher = _DEFAULT
    got = matcher.match(text, age)
    assert len(set(got)) == len(got)
    assert set(got) <= set(matcher.rule_ids)
    assert matcher.match(text, age) == got


def test_red_flags_ids_come_in_table_order(matcher: RedFlagMatcher) -> None:
    got = matcher.match("抽搐;想自杀;胸痛，出冷汗;昏迷")
    assert len(got) >= 4
    order = {rule_id: index for index, rule_id in enumerate(matcher.rule_ids)}
    assert got == sorted(got, key=order.__getitem__)


def test_red_flags_negation_and_pseudo_negation() -> None:
    matcher = RedFlagMatcher.from_dict(_table())
    assert matcher.match("胸痛，大汗") == ["chest_pain_sweating"]
    assert matcher.match("无胸痛，大汗") == []
    assert matcher.match("没有胸痛，没有大汗") == []
    # The cue must sit inside the window and the clause.
    assert matcher.match("没有发热咳嗽头晕恶心的胸痛;大汗") == ["chest_pain_sweating"]
    assert matcher.match("没有，胸痛大汗") == ["chest_pain_sweating"]
    # "无法" contains the cue "无" but does not negate.
    assert matcher.match("无法忍受的胸痛，大汗") == ["chest_pain_sweating"]


def test_red_flags_english_cues_match_on_word_boundaries() -> None:
    matcher = RedFlagMatcher.from_dict(_table())
    assert matcher.match("no chest pain, sweating") == []
    assert matcher.match("piano chest pain, sweating") == ["chest_pain_sweating"]
    assert matcher.match("casino chest pain and sweating") == ["chest_pain_sweating"]


def test_red_flags_age_gate_and_age_terms() -> None:
    matcher = RedFlagMatcher.from_dict(_table())
    assert matcher.match("发烧", 0) == ["infant_fever"]
    assert matcher.match("发烧", 1) == ["infant_fever"]
    assert matcher.match("发烧", 2) == []
    assert matcher.match("发烧", None) == []
    assert matcher.match("婴儿发烧", None) == ["infant_fever"]
    assert matcher.match("婴儿发烧", 30) == ["infant_fever"]
    assert matcher.match("my baby has a fever") == ["infant_fever"]


def test_red_flags_constructor_only_stores() -> None:
    rule = RedFlagRule("seizure", "抽搐", "Seizure", (("抽搐", "seizure"),))
    matcher = RedFlagMatcher([rule], ["无"], [], 6, ",;", "test.v2")
    assert matcher.version == "test.v2"
    assert matcher.match("孩子抽搐") == ["seizure"]
    assert matcher.match("无抽搐") == []


# -- table loading and validation --------------------------------------------------------------


def test_red_flags_packaged_table(matcher: RedFlagMatcher) -> None:
    assert matcher.version == "triage.red_flags.v1"
    assert 18 <= len(matcher.rules) <= 25
    assert len(set(matcher.rule_ids)) == len(matcher.rule_ids)
    for rule in matcher.rules:
        assert rule.label_zh and rule.label_en and rule.all_of
        assert not rule.age_terms or rule.age_gated


def test_red_flags_to_dict_round_trips(matcher: RedFlagMatcher) -> None:
    table = matcher.to_dict()
    assert table == json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    rebuilt = RedFlagMatcher.from_dict(json.loads(json.dumps(table, ensure_ascii=False)))
    assert rebuilt.to_dict() == table
    assert rebuilt.rules == matcher.rules
    text = "胸痛，出冷汗;宝宝发烧，精神差"
    assert rebuilt.match(text, 0) == matcher.match(text, 0)


def test_red_flags_from_file(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text(json.dumps(_table(), ensure_ascii=False), encoding="utf-8")
    assert RedFlagMatcher.from_file(path).match("胸痛大汗") == ["chest_pain_sweating"]
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid JSON"):
        RedFlagMatcher.from_file(path)


def _break(change: str) -> dict[str, Any]:
    table = copy.deepcopy(_table())
    rule = table["rules"][0]
    if change == "missing id":
        del rule["id"]
    elif change == "empty group":
        rule["all_of"][1] = []
    elif change == "empty all_of":
        rule["all_of"] = []
    elif change == "duplicate id":
        table["rules"][1]["id"] = rule["id"]
    elif change == "bad age range":
        rule["age_min_years"], rule["age_max_years"] = 10, 2
    elif change == "negative age":
        rule["age_max_years"] = -1
    elif change == "unknown rule field":
        rule["age_max_year"] = 1
    elif change == "not normalised term":
        rule["all_of"][0].append("Chest Pain")
    elif change == "full-width term":
        rule["all_of"][0].append("胸痛，大汗")
    elif change == "empty term":
        rule["all_of"][0].append(" ")
    elif change == "missing label":
        del rule["label_en"]
    elif change == "age terms without range":
        rule["age_terms"] = ["婴儿"]
    elif change == "useless ignore phrase":
        rule["ignore_within"] = ["眼皮抽搐"]
    elif change == "bad window":
        table["negation_window"] = -1
    elif change == "pseudo without cue":
        table["pseudo_negations"] = ["不停"]
    elif change == "missing rules":
        del table["rules"]
    elif change == "unknown table field":
        table["rulez"] = []
    return table


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("missing id", "rules[0]: missing or empty field 'id'"),
        ("empty group", "rule 'chest_pain_sweating': field 'all_of' group 1 is empty"),
        ("empty all_of", "rule 'chest_pain_sweating': field 'all_of'"),
        ("duplicate id", "duplicate rule id 'chest_pain_sweating'"),
        ("bad age range", "rule 'chest_pain_sweating': bad age range"),
        ("negative age", "rule 'chest_pain_sweating': field 'age_max_years'"),
        ("unknown rule field", "rule 'chest_pain_sweating': unknown field 'age_max_year'"),
        ("not normalised term", "rule 'chest_pain_sweating': field 'all_of' group 0"),
        ("full-width term", "rule 'chest_pain_sweating': field 'all_of' group 0"),
        ("empty term", "rule 'chest_pain_sweating': field 'all_of' group 0"),
        ("missing label", "rule 'chest_pain_sweating': missing field 'label_en'"),
        ("age terms without range", "rule 'chest_pain_sweating': field 'age_terms'"),
        ("useless ignore phrase", "rule 'chest_pain_sweating': field 'ignore_within'"),
        ("bad window", "field 'negation_window'"),
        ("pseudo without cue", "field 'pseudo_negations'"),
        ("missing rules", "missing field 'rules'"),
        ("unknown table field", "unknown field 'rulez'"),
    ],
)
def test_red_flags_from_dict_rejects_malformed_table(change: str, named: str) -> None:
    with pytest.raises(ValueError) as error:
        RedFlagMatcher.from_dict(_break(change))
    assert named in str(error.value)


def test_red_flags_from_dict_rejects_non_object() -> None:
    with pytest.raises(ValueError, match="must be an object"):
        RedFlagMatcher.from_dict([])  # type: ignore[arg-type]


# -- speed -------------------------------------------------------------------------------------


def test_red_flags_match_is_fast(matcher: RedFlagMatcher) -> None:
    text = (
        "宝宝8个月，发烧39度两天，咳嗽有痰，没有抽搐，精神还可以，吃奶少一点;"
        "请问需要去医院吗;nan;I have had a mild cough for a week with some phlegm, "
        "no fever and no chest pain, should I take antibiotics?"
    ) * 2
    text = text[:300]
    matcher.match(text, 0)
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        matcher.match(text, 0)
    per_call_ms = (time.perf_counter() - start) / rounds * 1000
    # The target is well under 0.5 ms; the bound is loose so slow CI machines do not flake.
    assert per_call_ms < 5.0, f"{per_call_ms:.3f} ms per 300-character text"
