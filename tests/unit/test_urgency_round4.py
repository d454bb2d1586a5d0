"""Round-4 mechanisms of the curated urgency table, each shown with wording written for this
test (never taken from a vignette file or a real request): whole-complaint framing, tablet counts
and clinical shorthand durations, shorthand findings that contain a negation word, leaflet and
hearsay hypotheticals, trailing history cues, and the new condition families."""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, engine
from triage.urgency.values import parse_values

# -- mechanisms --------------------------------------------------------------------------------


def test_a_quiz_or_homework_framing_makes_every_mention_hypothetical() -> None:
    case = "病人突然倒地，没有呼吸了，旁边的人该先做什么"
    assert emergency(case)
    framed = "练习题：" + case
    assert not emergency(framed)
    assert all("hypothetical" in c for c in contexts_of(framed, "cardiac_arrest"))
    assert not emergency("Exam question: a man has crushing chest pain and is sweating, what next?")
    assert not emergency("单位下周急救培训 心脏骤停的人怎么急救")


def test_tablet_counts_and_shorthand_durations_are_parsed() -> None:
    found = {(v.name, v.value) for v in parse_values("吞了三十粒 3h前")}
    assert ("tablet_count", 30.0) in found
    assert any(name == "ago_days" and abs(value - 3 / 24) < 1e-6 for name, value in found)
    assert ("duration_days", 4.0) in {(v.name, v.value) for v in parse_values("腹痛 4d")}
    assert ("tablet_count", 12.0) in {(v.name, v.value) for v in parse_values("took 12 pills")}


def test_a_duration_after_a_background_disease_is_that_disease_s_age() -> None:
    # "糖尿病 十五年": how long the diabetes has lasted, not today's symptoms
    text = "糖尿病 十五年 这会儿胸口压得慌 一身冷汗"
    assert emergency(text, 66, "M")
    sweat = [
        m
        for m in engine().assess(text, 66, "M", keep_mentions=True).mentions
        if m.concept == "cold_sweat"
    ]
    assert sweat and all(m.duration_days is None or m.duration_days < 30 for m in sweat)


def test_a_space_typed_inside_a_number_neither_splits_it_nor_ends_a_clause() -> None:
    # full-width digits pass the "no space inside a latin word" guard, so spaces land inside
    assert ("systolic_bp", 190.0) in {(v.name, v.value) for v in parse_values("bp 1 90/110")}
    assert ("pregnancy_weeks", 31.0) in {(v.name, v.value) for v in parse_values("孕3 1周")}
    for text in ("糖尿病三十年 今天特别没劲 出汗 恶心", "糖尿病三 十年 今天特别没劲 出汗 恶心"):
        assert emergency(text, 70, "F"), text


def test_a_frequency_is_not_an_infant_age() -> None:
    assert not [v for v in parse_values("儿子两月一次中耳炎") if v.name == "age_months"]
    assert [v for v in parse_values("儿子两月大") if v.name == "age_months"]


def test_a_dangerous_drug_with_many_tablets_is_an_overdose_even_without_symptoms() -> None:
    assert emergency("阿米替林 25mg 吃了20片 两小时前 现在没什么感觉", 30)
    assert not emergency("布洛芬 一次吃1片 一天三次 吃了几天了", 30)


def test_shorthand_findings_that_contain_a_negation_word_still_count() -> None:
    # "无呼吸" and "无反应" are the finding itself, not a denial of one
    assert emergency("老人在公园突然倒下 无反应 无呼吸", 70)
    assert not emergency("孩子摔了一下 无呕吐 无嗜睡 能正常玩", 4)


@pytest.mark.parametrize(
    "text",
    [
        "药品说明书上写可能引起喉头水肿 我吃了一周了什么事都没有 要停吗",
        "The leaflet says this tablet can cause a severe allergic reaction, is it safe for me?",
        "听说吃这个药会导致脑出血 我有点担心",
    ],
)
def test_leaflet_and_hearsay_warnings_are_hypothetical(text: str) -> None:
    assert not emergency(text, 40)


@pytest.mark.parametrize(
    "text",
    [
        "I had a small stroke last year and I'm fine now, can I start swimming again?",
        "Took an overdose years ago, now doing well and want to come off my tablets",
    ],
)
def test_a_trailing_time_in_the_past_makes_the_mention_history(text: str) -> None:
    assert not emergency(text, 50)


def test_a_pseudo_phrase_matches_whole_words_only() -> None:
    # "if so" must not swallow the "if " of "if someone": the question stays hypothetical
    assert not emergency("if someone collapses and stops breathing, what do we do first?")


def test_a_risk_factor_told_as_history_still_counts_where_the_rule_allows() -> None:
    # history_ok: a past cancer or operation is the background of a new red flag
    assert emergency("去年做过前列腺癌手术 这周开始后背疼 两条腿发软走不稳", 70, "M")
    assert emergency("I had a hip operation last month, now one calf is swollen and sore", 72, "F")
    # while the same words alone, as history, raise nothing
    assert not emergency("去年做过前列腺癌手术 现在复查都正常", 70, "M")


def test_and_with_a_new_subject_ends_an_english_negation() -> None:
    text = "my grandpa sat in the hot greenhouse all day, he is not sweating and he's confused"
    assert "negated" not in {c for cs in contexts_of(text, "confusion") for c in cs}


def test_a_past_count_after_a_finding_makes_it_history() -> None:
    # "惊厥过两次": the convulsions are the child's past, today's fever is a plain fever
    assert not emergency("女儿以前惊厥过两次 现在五岁 今天低烧37.9 精神好", 5, "F")
    assert emergency("女儿发着高烧 刚才突然抽搐了", 5, "F")


def test_a_relative_reporting_now_is_not_family_history() -> None:
    assert emergency("my dad takes warfarin and fell and hit his head, now he's very drowsy", 80)


def test_known_causes_stop_rules_they_explain() -> None:
    # a scanned pregnancy on progesterone, and fever the day after infant jabs
    assert not emergency("孕9周 一直在打黄体酮保胎 今天有点褐色分泌物 小肚子隐隐痛", 29, "F")
    assert emergency("孕7周 还没做b超 褐色分泌物 左下腹一阵阵疼", 29, "F")
    assert not emergency("宝宝8周 昨天打完疫苗 今天体温38.1 吃奶正常", 0)
    assert emergency("宝宝8周 体温38.1", 0)


# -- condition families --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("肾上腺皮质功能减退 一直吃氢化可的松 今天拉肚子呕吐 药都吐出来了 头晕站不稳", 38, "F"),
        (
            "I've been on prednisolone for years and ran out three days ago, now weak, dizzy "
            "and vomiting",
            60,
            "M",
        ),
        ("甲亢没好好吃药 这几天发高烧 心跳一百六 人很烦躁", 35, "F"),
        ("喉咙一边疼得厉害 嘴巴张不开 小舌头被推到一边了", 24, "M"),
        ("乳腺癌骨转移 最近腰背疼得厉害 这两天腿软走不稳", 57, "F"),
        ("刚做完膝关节手术十天 左小腿肿得发亮 一按就疼", 66, "F"),
        ("男朋友说他已经买好了炭 今晚就烧", 23, "M"),
        ("吃卡马西平一个月 发烧 嘴里烂了 身上起大疱", 40, "M"),
        ("尿路感染两天 血压80/50 心跳120 人迷迷糊糊", 78, "F"),
        ("宝宝5周 睡觉时突然憋住不喘气 嘴唇发青", 0, "M"),
        ("被邻居家的狗咬了脸 伤口很深 能看到里面", 6, "F"),
        ("我们三个人在屋里都头疼恶心 炉子一直烧着", 40, "M"),
        ("孩子被热汤烫了 面积大约12% 起了水泡", 4, "F"),
        ("羊水破了以后 摸到脐带出来了", 29, "F"),
        ("工厂机器把他手指切断了一截", 34, "M"),
        ("鸡骨头卡住了 口水都咽不下去 一直往外吐", 56, "M"),
        ("八个月宝宝发烧39度 囟门鼓起来了", 0, "F"),
        ("slipped off the roof and now he can't move his legs", 45, "M"),
        ("heavy ache in both arms and my jaw for half an hour, clammy and feel sick", 52, "M"),
        ("宝宝10个月 一整天没尿 囟门凹下去了 软绵绵的", 0, "M"),
        ("I've saved up my tablets and I'm taking them all on Saturday", 41, "F"),
        ("刚吃了一口蛋糕 嘴唇肿了 声音变得含糊", 9, "F"),
        (
            "her sore throat is worse on one side, she can barely open her mouth, sounds muffled",
            30,
            "F",
        ),
    ],
)
def test_round_four_families_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex), engine().assess(text, age, sex, keep_mentions=True)


@pytest.mark.parametrize(
    ("text", "age", "sex"),
    [
        ("一直吃泼尼松控制肾病 想问问能不能慢慢减量", 40, "F"),
        ("甲亢吃药一年了 指标都正常 最近偶尔心慌", 33, "F"),
        ("扁桃体发炎 嗓子疼 吃饭还行 低烧", 20, "M"),
        ("得过乳腺癌 手术五年了 复查都正常 最近久坐后腰有点酸", 55, "F"),
        ("跑步后两条小腿都酸 休息就好", 30, "M"),
        ("被小区的猫抓了一道 没出血 要不要打疫苗", 26, "F"),
        ("手背被开水溅到 一小块红 没起泡", 30, "F"),
        ("吃鱼卡了一下 咳出来了 现在咽东西正常", 45, "M"),
    ],
)
def test_round_four_look_alikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex), engine().assess(text, age, sex, keep_mentions=True)
