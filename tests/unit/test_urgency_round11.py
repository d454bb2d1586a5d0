"""Round-11 behaviour of the urgency table and engine, in wording written for these tests (not taken
from any vignette file): the faster paths decide exactly as the plain ones, look-alikes stay
routine, and the emergencies the round-10 writers described in their own words fire."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.urgency_cases import emergency, engine, fired, level
from triage.text import joined_spaces, normalise_with_offsets
from triage.urgency import engine as engine_module
from triage.urgency import values as values_module
from triage.urgency.engine import _is_word, _literal, _ranked_hits, _term_index, _trie_leaf
from triage.urgency.values import parse_values

# -- the faster paths decide exactly as the plain ones --------------------------------------

# fragments of complaints: alarm words, cues, numbers, units and bare letters, glued at random
_PIECES = st.sampled_from(
    [
        "chest pain",
        "no ",
        "pain",
        "spain",
        "38.5",
        "39",
        "个",
        "小时",
        "三天",
        "四周",
        "嘴巴",
        "血压",
        "180/100",
        " ",
        ",",
        "，",
        "。",
        "心率",
        "45",
        "bpm",
        "pulse",
        "孕",
        "32周",
        "ml",
        "毫升",
        "200",
        "片",
        "pills",
        "sodium",
        "118",
        "k+",
        "6.8",
        "血糖",
        "20",
        "天",
        "月",
        "大",
        "宝宝",
        "6-week-old",
        "days",
        "ago",
        "头痛",
        "不",
        "没有",
        "胸口",
        "a",
        "b",
        "1",
    ]
)
_TEXTS = st.lists(_PIECES, max_size=14).map("".join)


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("pain", "sudden chest pain", True),
        ("pain", "a trip to spain", False),
        ("pain", "3pain", False),
        ("pain", "pains all over", True),
        ("no", "no fever", True),
        ("胸痛", "突然胸痛", True),
    ],
)
def test_a_terms_boundary_is_tested_after_its_first_character(
    term: str, text: str, found: bool
) -> None:
    assert (re.search(_literal(term), text) is not None) is found


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_skipping_the_inside_of_words_loses_no_bounded_hit(text: str) -> None:
    # a hit inside a word starts with a letter or digit after one: every boundary test (forms,
    # cues, proximity parts) throws it away, so the walk may skip it and nothing else
    trie = engine()._compile().trie
    every = _all_position_hits(trie, text)
    kept = [hit for hit in every if _is_word_start(text, hit)]
    assert all(_is_word(text[h[0] - 1]) and _is_word(text[h[0]]) for h in every if h not in kept)
    hits, parts, openings = _ranked_hits(_term_index(trie), text)
    rank = {"\x00": 0, "\x03": 2}
    assert hits == sorted((s, e, rank[key], key, found) for s, e, key, found in kept if key in rank)
    kept_parts = [(s, found) for s, _, key, found in kept if key == "\x01"]
    assert parts == set().union(*(found for _, found in kept_parts))
    first = [(s, frozenset(i for i, at in found if at == 0)) for s, found in kept_parts]
    assert sorted(openings, key=str) == sorted([o for o in first if o[1]], key=str)


def _is_word_start(text: str, hit: tuple[int, int, str, object]) -> bool:
    start = hit[0]
    return not (start and _is_word(text[start - 1]) and _is_word(text[start]))


def _all_position_hits(trie: dict, text: str) -> list[tuple[int, int, str, object]]:
    """The walk from every position, as before round 11."""
    hits = []
    for start in range(len(text)):
        node, at = trie.get(text[start]), start + 1
        while node is not None:
            for key in ("\x00", "\x01", "\x03"):
                if node.get(key):
                    hits.append((start, at, key, node[key]))
            if at >= len(text):
                break
            node, at = node.get(text[at]), at + 1
    return hits


def test_the_term_walk_skips_only_the_inside_of_english_words() -> None:
    trie: dict = {}
    for term in ("胸", "痛", "三天", "no", "o", " ", "pain", "ain", "n"):
        _trie_leaf(trie, term, list).append(term)
    index = _term_index(trie)
    # "o", "ain" and the last "n" start inside a word; every other start is kept
    assert [h[0] for h in _ranked_hits(index, "胸痛三天")[0]] == [0, 1, 2]
    assert [(h[0], h[4]) for h in _ranked_hits(index, "no pain")[0]] == [
        (0, ["n"]),
        (0, ["no"]),
        (2, [" "]),
        (3, ["pain"]),
    ]


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_the_cheap_word_gates_never_change_what_is_parsed(text: str) -> None:
    gated = parse_values(text)

    class Never(frozenset):
        def isdisjoint(self, other: object) -> bool:
            return False

    patches = {
        "_holds": lambda text, words: True,
        "_ZH_DURATION_UNITS": Never(),
        "_INFANT_UNITS": Never(),
        "_TWO_DIGITS": re.compile(""),
    }
    saved = {name: getattr(values_module, name) for name in patches}
    try:
        for name, value in patches.items():
            setattr(values_module, name, value)
        assert parse_values(text) == gated
    finally:
        for name, value in saved.items():
            setattr(values_module, name, value)


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(sorted(c.id for c in engine().table.concepts)), max_size=12))
def test_the_key_group_index_finds_every_rule_whose_groups_are_present(present: set[str]) -> None:
    rules = engine()._compile().rules
    expected = [
        i
        for i, rule in enumerate(rules)
        if all(not present.isdisjoint(group) for group in rule.all_of)
    ]
    assert engine()._candidates(present) == expected


@pytest.mark.parametrize(
    "text",
    [
        "没有胸痛，但是今天又开始胸口痛",
        "以前中风过，现在说话不清",
        "If I get chest pain what do I do",
    ],
)
def test_cues_from_the_one_walk_match_each_contexts_own_walk(text: str) -> None:
    compiled = engine()._compile()
    contexts = engine().table.contexts
    normalised = normalise_with_offsets(text).text
    merged = engine_module._Scan(
        normalised, contexts.clause_delimiters, contexts.sentence_delimiters
    )
    engine()._spans(normalised, merged, parse_values(normalised))
    alone = engine_module._Scan(
        normalised, contexts.clause_delimiters, contexts.sentence_delimiters
    )
    for cues in compiled.cues.values():
        assert merged._cue_hits(cues) == alone._cue_hits(cues)


def test_offsets_survive_dropped_characters_and_runs_of_spaces() -> None:
    text = "chest\u200b pain  now\t\tand  sweating"
    normalised = normalise_with_offsets(text)
    at = normalised.text.index("sweating")
    start, end = normalised.original_span(at, at + len("sweating"))
    assert text[start:end] == "sweating"


def test_an_english_complaint_has_no_spaces_joined_next_to_chinese() -> None:
    assert joined_spaces(normalise_with_offsets("chest  pain\nsince   noon")) == []
    assert joined_spaces(normalise_with_offsets("胸痛 出汗")) == [2]


# -- look-alikes that stay routine ----------------------------------------------------------


def test_wanting_to_learn_first_aid_in_advance_is_not_a_complaint() -> None:
    text = "要是我爸突然中风了，嘴角歪了话也说不清，我们该先做什么？想提前学一下"
    assert not emergency(text, 40)


def test_a_shock_a_relative_had_years_ago_is_history() -> None:
    assert not emergency("我姐对头孢过敏休克过，我能不能打头孢，我现在只是嗓子疼", 30)


def test_going_blind_from_onions_or_a_screen_is_hyperbole() -> None:
    assert not emergency("剁辣椒的时候揉了眼睛，辣得快瞎了，用什么冲洗", 28)


def test_a_real_loss_of_sight_in_one_eye_still_fires() -> None:
    assert emergency("我爸右眼突然看不见了，一点都不痛，刚刚发生的", 66)


def test_as_if_about_to_faint_is_a_simile() -> None:
    text = "被蚊子叮得跟要过敏休克似的，胳膊上二十几个包，不肿不喘，抹什么药"
    assert not emergency(text, 9)


def test_many_mosquito_bites_are_not_a_swarm() -> None:
    assert "mass_stings" not in fired("在河边被蚊子咬了十几个包，好痒", 20)


def test_a_swarm_of_hornets_is_still_a_mass_sting() -> None:
    assert emergency("捅了马蜂窝，被蛰了三十多下，现在头晕", 40)


@pytest.mark.parametrize(
    "text",
    [
        "这周被老板折磨到吐血，睡不好，吃点什么调理",
        "楼上装修吵得我要窒息了，有什么助眠的办法",
        "看到体检单我血压都要飙到两百了，开玩笑的，量了是125/80",
    ],
)
def test_hyperbole_about_blood_breath_or_pressure_stays_routine(text: str) -> None:
    assert not emergency(text, 35)


def test_a_crick_in_the_neck_after_sleeping_is_not_meningism() -> None:
    assert not emergency("昨晚睡落枕了，今天脖子发僵，转头有点疼，贴膏药可以吗", 33)


def test_fever_with_a_stiff_neck_still_fires() -> None:
    assert emergency("孩子发烧39度，脖子发硬低不下头，一直吐", 6)


def test_a_sore_throat_that_hurts_to_swallow_spit_stays_routine() -> None:
    assert not emergency("感冒两天，嗓子疼，吞口水都疼，没发烧", 25)


def test_a_nappy_is_not_a_negation() -> None:
    assert emergency("宝宝10个月，一阵一阵哭闹，尿不湿里有果酱样的大便", 0)


def test_around_the_mouth_is_not_four_weeks() -> None:
    durations = [v for v in parse_values("嘴巴四周发麻") if v.name == "duration_days"]
    assert durations == []
    assert [v.value for v in parse_values("咳嗽四周了") if v.name == "duration_days"] == [28.0]


# -- emergencies in the writers' own words --------------------------------------------------


def test_an_erection_for_hours_is_priapism() -> None:
    assert "priapism" in fired("吃了助勃的药，硬了七个钟头还不消，很痛", 45, "M")


def test_bleeding_in_two_places_on_warfarin_is_an_emergency() -> None:
    text = "我爸吃华法林，这两天身上青一块紫一块，今天小便是红的"
    assert "anticoagulant_bleeding_sites" in fired(text, 70)


def test_a_bone_still_stuck_that_hurts_even_saliva_is_an_emergency() -> None:
    assert emergency("中午吃鱼卡了根刺，吞了几口饭还是卡着，咽口水也疼", 50)


def test_a_hard_swelling_under_the_jaw_lifting_the_tongue_calls_an_ambulance() -> None:
    text = "我妈牙痛好几天，今天下巴底下鼓起来一大块，硬硬的，舌头被顶起来了"
    assert level(text, 60) == "emergency_ambulance"


def test_weakness_climbing_from_legs_to_hands_is_an_emergency() -> None:
    text = "上周拉了几天肚子，这两天腿越来越没劲，今天扣子都扣不上了"
    assert emergency(text, 35)


def test_a_new_mother_who_thinks_her_baby_was_swapped_is_an_emergency() -> None:
    assert emergency("我老婆生完孩子第九天，几天没睡，说孩子不是她的，被人调包了", 30)


def test_hallucinations_days_after_a_heavy_drinker_stops_are_delirium_tremens() -> None:
    text = "我叔每天要喝一斤白酒，住院三天没喝，今天浑身抖，说看到墙上有虫子在爬"
    assert "alcohol_withdrawal_delirium" in fired(text, 55)


def test_missed_dialysis_with_weak_legs_is_an_emergency() -> None:
    assert emergency("我爸洗肾的，下雪两次没透，今天腿软得站不起来，嘴巴皮麻", 70)


def test_the_room_spinning_with_double_vision_calls_an_ambulance() -> None:
    assert level("刚才起来屋子都在转，看人有两个人影，走路往一边歪", 62) == "emergency_ambulance"


def test_the_room_spinning_alone_is_not_a_stroke_rule() -> None:
    assert "vertigo_brainstem_signs" not in fired("一翻身就天旋地转，几秒就好，耳石症复发了吗", 50)


def test_fever_and_calf_pain_after_the_paddies_is_leptospirosis() -> None:
    text = "这几天在稻田里割稻子，昨天开始高烧，腿肚子痛得碰不得，眼睛通红"
    assert "leptospirosis_signs" in fired(text, 45)


def test_lockjaw_after_a_rusty_nail_is_tetanus() -> None:
    assert "tetanus_signs" in fired("半个月前踩到生锈的钉子，这两天嘴张不开，后颈硬", 60)


def test_an_irregular_pulse_after_aconite_wine_calls_an_ambulance() -> None:
    assert level("外婆喝了一口草乌泡的酒，现在脉搏一下快一下慢", 78) == "emergency_ambulance"


def test_fever_after_a_tick_with_bleeding_gums_is_sfts() -> None:
    assert "sfts_signs" in fired("上山被草爬子咬过，这几天发烧，今天牙龈出血", 60)


def test_rigidity_and_fever_on_an_antipsychotic_is_nms() -> None:
    assert "neuroleptic_malignant" in fired("我哥吃奥氮平加了量，现在全身僵硬，发烧出汗", 30)


def test_pale_and_cold_after_being_trapped_under_a_tractor_calls_an_ambulance() -> None:
    text = "我爸被拖拉机翻过来压住了，拉出来后脸色发白，手冰凉"
    assert level(text, 50) == "emergency_ambulance"


def test_mouthfuls_of_bright_red_blood_call_an_ambulance() -> None:
    assert level("我妈咳了一声，吐出一大口鲜红的，又来了一口", 70) == "emergency_ambulance"


def test_pink_froth_with_breathlessness_calls_an_ambulance() -> None:
    assert level("在拉萨第二天，喘得厉害，痰里带粉红泡泡", 30) == "emergency_ambulance"


def test_low_blood_pressure_after_alcohol_on_metronidazole_is_an_emergency() -> None:
    text = "在吃甲硝唑，晚上喝了两瓶啤酒，现在心慌，血压只有80/50"
    assert "disulfiram_like_hypotension" in fired(text, 40)


def test_collapse_in_a_manure_pit_calls_an_ambulance() -> None:
    assert level("我爸下化粪池清理，闻到臭鸡蛋味就晕倒了", 52) == "emergency_ambulance"


def test_a_temperature_read_off_a_thermometer_counts() -> None:
    temperatures = [
        v.value for v in parse_values("the thermometer says 40.1") if v.name == "temperature_c"
    ]
    assert temperatures == [40.1]
