"""The urgency engine's mechanics on a small table of its own: concept matching, proximity,
context (negated, historical, hypothetical, family, idiom, chronic), gates, levels and spans.
The curated table's clinical behaviour is tested in test_urgency_table.py."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from triage.urgency import UrgencyEngine
from triage.urgency.values import chinese_number, parse_values


def _contexts() -> dict[str, Any]:
    data = resources.files("triage.urgency").joinpath("data/contexts.json")
    return json.loads(data.read_text(encoding="utf-8"))


def _table(**overrides: Any) -> dict[str, Any]:
    table = {
        **_contexts(),
        "concepts": [
            {
                "id": "chest_pain",
                "label_zh": "胸痛",
                "label_en": "chest pain",
                "forms": ["胸痛", "chest pain"],
                "near": [{"parts": [["胸", "胸口", "心口"], ["痛", "疼"]], "max_gap": 3}],
            },
            {
                "id": "sweating",
                "label_zh": "大汗",
                "label_en": "sweating",
                "forms": ["冷汗", "大汗", "sweating"],
            },
            {
                "id": "haematemesis",
                "label_zh": "呕血",
                "label_en": "vomiting blood",
                "forms": ["呕血", "vomiting blood"],
                "near": [{"parts": [["吐", "呕"], ["血"]], "max_gap": 4}],
            },
            {
                "id": "suicidal",
                "label_zh": "想死",
                "label_en": "suicidal",
                "forms": ["想死", "自杀"],
                "idiom_before": ["痒的", "累的"],
            },
            {
                "id": "twitch",
                "label_zh": "抽搐",
                "label_en": "seizure",
                "forms": ["抽搐"],
                "exclude": ["眼皮抽搐"],
            },
            {
                "id": "fever",
                "label_zh": "发热",
                "label_en": "fever",
                "forms": ["发烧"],
                "value": {"name": "temperature_c", "min": 38.0},
            },
            {
                "id": "young_infant",
                "label_zh": "小婴儿",
                "label_en": "young infant",
                "forms": ["新生儿"],
                "value": {"name": "age_months", "max": 3},
            },
            {"id": "pregnant", "label_zh": "怀孕", "label_en": "pregnant", "forms": ["怀孕"]},
        ],
        "rules": [
            {
                "id": "acs",
                "level": "emergency_ambulance",
                "label_zh": "胸痛伴大汗",
                "label_en": "chest pain with sweating",
                "all_of": [["chest_pain"], ["sweating"]],
                "max_duration_days": 7,
                "rationale": "possible acute coronary syndrome",
            },
            {
                "id": "gi_bleed",
                "level": "emergency_ambulance",
                "label_zh": "呕血",
                "label_en": "haematemesis",
                "all_of": [["haematemesis"]],
                "rationale": "upper GI bleeding can be massive",
            },
            {
                "id": "suicide",
                "level": "emergency_ambulance",
                "label_zh": "自杀风险",
                "label_en": "suicide risk",
                "all_of": [["suicidal"]],
                "rationale": "stated intent needs immediate help",
            },
            {
                "id": "seizure",
                "level": "emergency",
                "label_zh": "抽搐",
                "label_en": "seizure",
                "all_of": [["twitch"]],
                "rationale": "a seizure needs assessment now",
            },
            {
                "id": "infant_fever",
                "level": "emergency",
                "label_zh": "小婴儿发热",
                "label_en": "infant fever",
                "all_of": [["young_infant"], ["fever"]],
                "rationale": "serious bacterial infection risk under 3 months",
            },
            {
                "id": "chest_pain_mild",
                "level": "consultation_24",
                "label_zh": "胸痛",
                "label_en": "chest pain",
                "all_of": [["chest_pain"]],
                "max_duration_days": 30,
                "rationale": "new chest pain deserves a same-day look",
            },
            {
                "id": "pregnancy_pain",
                "level": "emergency",
                "label_zh": "孕期胸痛",
                "label_en": "pregnancy",
                "all_of": [["pregnant"], ["chest_pain"]],
                "sex": "F",
                "rationale": "test of the sex gate",
            },
        ],
    }
    table.update(overrides)
    return table


@pytest.fixture(scope="module")
def engine() -> UrgencyEngine:
    return UrgencyEngine.from_dict(_table())


def level(engine: UrgencyEngine, text: str, age: int | None = None, sex: str | None = None) -> str:
    return engine.assess(text, age, sex).level


def test_literal_and_proximity_forms(engine: UrgencyEngine) -> None:
    assert level(engine, "胸痛，出冷汗") == "emergency_ambulance"
    assert level(engine, "今天吐了好几口血") == "emergency_ambulance"
    assert level(engine, "心口一阵阵疼，满头大汗") == "emergency_ambulance"
    # proximity does not cross a clause boundary
    assert level(engine, "吐了，血压正常") == "consultation"


def test_no_rule_is_consultation(engine: UrgencyEngine) -> None:
    result = engine.assess("脸上长痘")
    assert (result.level, result.rule_ids, result.reasons) == ("consultation", [], [])


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("没有胸痛，出冷汗", "negated"),
        ("chest pain: no", "negated"),
        ("以前呕血过一次", "historical"),
        ("三年前呕血，现在好了", "historical"),
        ("如果呕血怎么办", "hypothetical"),
        ("家族中有人呕血", "family"),
        ("身上痒的想死", "idiomatic"),
    ],
)
def test_mentions_in_context_do_not_count(engine: UrgencyEngine, text: str, context: str) -> None:
    result = engine.assess(text, keep_mentions=True)
    assert any(context in m.contexts for m in result.mentions), result.mentions
    assert result.level in {"consultation", "consultation_24"}


def test_excluded_phrase_is_not_a_mention(engine: UrgencyEngine) -> None:
    assert level(engine, "眼皮抽搐一周") == "consultation"
    assert level(engine, "孩子抽搐了") == "emergency"


def test_chronic_mentions_do_not_fire_but_an_acute_marker_restores_them(
    engine: UrgencyEngine,
) -> None:
    assert level(engine, "胸痛出冷汗四五年了") == "consultation"
    assert level(engine, "胸痛四五年，今天突然加重，出冷汗") == "emergency_ambulance"
    assert level(engine, "胸痛出冷汗两小时") == "emergency_ambulance"
    # within the lower rule's limit the lower rule still fires
    assert level(engine, "胸痛两周了") == "consultation_24"


def test_history_is_overridden_by_a_new_onset(engine: UrgencyEngine) -> None:
    assert level(engine, "以前呕血过，今天突然又呕血") == "emergency_ambulance"


def test_values_make_concepts(engine: UrgencyEngine) -> None:
    assert level(engine, "宝宝两个月大，体温38.5度") == "emergency"
    assert level(engine, "宝宝两个月大，体温37.2度") == "consultation"
    assert level(engine, "my 6-week-old has a fever of 101f") == "emergency"  # 38.3 °c
    assert level(engine, "出生20天，发烧") == "emergency"


def test_sex_gate_passes_unknown_and_blocks_the_other_sex(engine: UrgencyEngine) -> None:
    assert level(engine, "怀孕，胸痛", sex="F") == "emergency"
    assert level(engine, "怀孕，胸痛") == "emergency"
    assert level(engine, "怀孕，胸痛", sex="M") == "consultation_24"


def test_most_urgent_rule_sets_the_level_and_every_rule_gives_reasons(
    engine: UrgencyEngine,
) -> None:
    result = engine.assess("胸痛，出冷汗，还抽搐了")
    assert result.level == "emergency_ambulance"
    assert result.rule_ids[0] == "acs"
    assert {"acs", "seizure", "chest_pain_mild"} <= set(result.rule_ids)
    assert {r.rule_id for r in result.reasons} == set(result.rule_ids)


def test_reason_spans_point_into_the_typed_text(engine: UrgencyEngine) -> None:
    typed = "我爸胸\u200b口\u00ad疼，出了一身冷汗"
    result = engine.assess(typed)
    spans = {r.concept: typed[r.start : r.end] for r in result.reasons if r.rule_id == "acs"}
    assert spans == {"chest_pain": "胸\u200b口\u00ad疼", "sweating": "冷汗"}
    assert all(r.evidence == typed[r.start : r.end] for r in result.reasons)


def test_traditional_and_full_width_text_is_matched(engine: UrgencyEngine) -> None:
    assert level(engine, "胸痛，出了一身冷汗") == level(engine, "胸痛，出了一身冷汗")
    assert level(engine, "今天嘔血兩次") == "emergency_ambulance"
    assert level(engine, "ＣＨＥＳＴ ＰＡＩＮ and ＳＷＥＡＴＩＮＧ") == "emergency_ambulance"


def test_round_trip_through_the_bundle_form(engine: UrgencyEngine) -> None:
    rebuilt = UrgencyEngine.from_dict(engine.to_dict())
    for text in ["胸痛，出冷汗", "以前呕血过", "眼皮抽搐"]:
        assert rebuilt.assess(text).level == engine.assess(text).level


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["concepts"][0]["forms"].append("胸痛 "), "normalised form"),
        (lambda t: t["concepts"][0]["forms"].append("頭痛"), "normalised form"),
        (lambda t: t["rules"][0]["all_of"].append(["no_such_concept"]), "unknown concept"),
        (lambda t: t["rules"].append(dict(t["rules"][0])), "duplicate rule id"),
        (lambda t: t["rules"][0].update(rationale=""), "rationale"),
        (lambda t: t["rules"][0].update(level="urgent"), "level"),
        (lambda t: t["concepts"][0].update(id="Chest Pain"), "snake_case"),
        (lambda t: t["concepts"].append({"id": "x", "label_zh": "x", "label_en": "x"}), "no forms"),
    ],
)
def test_bad_tables_are_refused_naming_the_entry(change: Any, message: str) -> None:
    table = json.loads(json.dumps(_table()))
    change(table)
    with pytest.raises(ValidationError, match=message):
        UrgencyEngine.from_dict(table)


def test_parsed_values() -> None:
    found = {
        (v.name, v.value) for v in parse_values("孕32周，血压160/110，心率150次/分，体温39.5度")
    }
    assert {("pregnancy_weeks", 32.0), ("systolic_bp", 160.0), ("heart_rate", 150.0)} <= found
    assert ("temperature_c", 39.5) in found
    durations = [v.value for v in parse_values("胸闷四五年") if v.name == "duration_days"]
    assert durations == [5 * 365]
    assert [v.name for v in parse_values("3年前中风")] == ["ago_days"]
    assert ("temperature_c", 40.0) in {(v.name, v.value) for v in parse_values("fever of 104f")}
    assert [(v.name, v.value) for v in parse_values("出生20天")] == [("age_months", 0.67)]
    assert chinese_number("十几") == 15 and chinese_number("二十五") == 25
    assert chinese_number("半") == 0.5 and chinese_number("abc") is None


def test_a_space_between_chinese_phrases_ends_a_negation(engine: UrgencyEngine) -> None:
    assert level(engine, "没有胸痛出冷汗") == "consultation"
    # the patient separated the phrases: the second one is not negated
    assert level(engine, "没有咳嗽 胸痛 出冷汗") == "emergency_ambulance"
    # but a space inside a term changes nothing
    assert level(engine, "胸 痛，出冷 汗") == "emergency_ambulance"


def test_age_words_stand_in_for_the_age(engine: UrgencyEngine) -> None:
    table = _table()
    table["rules"].append(
        {
            "id": "child_only",
            "level": "emergency",
            "label_zh": "儿童",
            "label_en": "child",
            "all_of": [["twitch"]],
            "age_max_years": 12,
            "age_concepts": ["young_infant"],
            "rationale": "test of age gates and stand-in words",
        }
    )
    table["rules"] = [r for r in table["rules"] if r["id"] != "seizure"]
    gated = UrgencyEngine.from_dict(table)
    assert gated.assess("新生儿抽搐").level == "emergency"
    # a parent may fill in their own age: the child's words still count
    assert gated.assess("新生儿抽搐", age=40).level == "emergency"
    assert gated.assess("抽搐", age=5).level == "emergency"
    assert gated.assess("抽搐", age=40).level == "consultation"


def test_round_three_value_parsing() -> None:
    """Units run on to the number ("40min"), a measuring site stands in for the unit, and a
    stated volume is parsed in millilitres."""
    found = {(v.name, round(v.value, 3)) for v in parse_values("胸痛40min没缓解")}
    assert ("duration_days", round(40 / 1440, 3)) in found
    assert ("temperature_c", 38.2) in {
        (v.name, v.value) for v in parse_values("she is 38.2 rectally")
    }
    assert ("volume_ml", 200.0) in {(v.name, v.value) for v in parse_values("咯血200ml左右")}


def test_a_soft_break_right_after_a_mention_ends_its_clause() -> None:
    """The long duration in "胸痛 40min ... hypertension 10年" belongs to the hypertension, not
    to the chest pain, whose clause ends at the space the patient typed."""
    engine = UrgencyEngine.default()
    text = "胸痛 40min 没缓解 左手臂麻 冷汗 hypertension 10年 在家"
    chest = [
        m for m in engine.assess(text, keep_mentions=True).mentions if m.concept == "chest_pain"
    ]
    assert chest and all(m.duration_days is not None and m.duration_days < 1 for m in chest)
    assert engine.assess(text).emergency


def test_chronic_background_concepts_still_count() -> None:
    """A rule's ``chronic_ok`` concepts count however long they have lasted (chronic back pain
    under new sphincter symptoms); the rule's other groups still need a recent onset."""
    engine = UrgencyEngine.default()
    assert engine.assess("腰疼好多年了，但这两天不一样，两条腿都麻，大便憋不住", 50).emergency
    assert not engine.assess("腰疼好多年了，大便憋不住也好几年了", 60).emergency


def test_a_terminator_in_a_proximity_gap_ends_the_negation() -> None:
    """ "不是A是B": the negation covers A only."""
    engine = UrgencyEngine.default()
    assert engine.assess("吐了不是饭是红的，差不多半碗", 70).emergency
    assert not engine.assess("吐了不是红的，是黄水", 40).emergency


@pytest.mark.parametrize(
    "text",
    [
        "既往气胸，今天有点胸痛",
        "既 往气胸，今天有点胸痛",
        "既往 气胸，今天有点胸痛",
        "既往\u3000气胸，今天有点胸痛",
    ],
)
def test_a_typed_space_inside_or_after_a_context_cue_keeps_its_scope(text: str) -> None:
    """Typed spaces end clauses, but not inside a cue's words or between a cue and its words."""
    default = UrgencyEngine.default()
    assert default.assess(text, 40).level == default.assess("既往气胸，今天有点胸痛", 40).level
    pneumothorax = [
        m
        for m in default.assess(text, 40, keep_mentions=True).mentions
        if "气胸" in m.concept or m.concept.startswith("pneumothorax")
    ]
    assert pneumothorax and all("historical" in m.contexts for m in pneumothorax)


def test_an_identical_table_reuses_its_engine_and_a_changed_one_is_built_anew() -> None:
    table = _table()
    first = UrgencyEngine.from_dict(table)
    reordered = dict(reversed(list(json.loads(json.dumps(table)).items())))
    assert UrgencyEngine.from_dict(reordered) is first
    changed = json.loads(json.dumps(table))
    changed["version"] = f"{first.version}-changed"
    other = UrgencyEngine.from_dict(changed)
    assert other is not first and other.version == f"{first.version}-changed"
    bad = json.loads(json.dumps(table))
    bad["rules"][0]["rationale"] = ""
    for _ in range(2):  # a refused table is never remembered
        with pytest.raises(ValidationError, match="rationale"):
            UrgencyEngine.from_dict(bad)
