"""Round-9 behaviour of the urgency table, in wording written for these tests (not taken from any
vignette file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.unit.urgency_cases import emergency, engine, fired, level
from training.config import TriageConfig, UrgencyBackstopConfig, load_config
from training.triage.urgency import (
    _choose_threshold,
    _fit_model,
    _out_of_fold,
    _Pools,
    _WeakCorpus,
)
from triage.text import normalise

ROOT = Path(__file__).resolve().parents[2]

# -- history told as an afterthought -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "took a whole box of sleeping pills when I was at university, ten years ago, all fine "
        "since. can I take melatonin?",
        "吃过一整瓶安眠药，五年前的事了，现在想问失眠能吃什么",
    ],
)
def test_a_clause_that_only_dates_the_one_before_makes_it_history(text: str) -> None:
    assert not emergency(text, 30)


def test_a_second_event_after_an_old_date_is_not_an_afterthought() -> None:
    # "，四年前也吞过" is another overdose, not the date of this one
    assert emergency("我刚吞了一整瓶安眠药，四年前也吞过", 35)


# -- idioms and questions ------------------------------------------------------------------


def test_a_blocked_nose_that_nearly_suffocates_is_a_figure_of_speech() -> None:
    assert not emergency("鼻炎犯了，鼻子塞得我快憋死了，晚上睡不好", 28)


def test_naming_the_heimlich_manoeuvre_is_not_a_choking_event() -> None:
    assert not emergency("想学一下海姆立克，给孩子吃东西前做好准备", 33)


def test_the_heimlich_with_a_blocked_airway_still_calls_an_ambulance() -> None:
    text = "孩子吃花生噎住了，脸憋紫了，喘不上气，我在做海姆立克"
    assert level(text, 3) == "emergency_ambulance"


# -- new concepts and rules ----------------------------------------------------------------


def test_myasthenia_with_bulbar_weakness_is_a_crisis() -> None:
    text = "妈妈有重症肌无力，这两天感冒后喝水就呛，说话声音越来越弱，呼吸很浅"
    assert "myasthenic_crisis" in fired(text, 62, "F")


def test_stable_myasthenia_question_is_not_a_crisis() -> None:
    assert not emergency("重症肌无力吃溴吡斯的明好几年了，能不能喝咖啡", 45, "F")


def test_blue_lips_in_everyone_after_quick_pickles() -> None:
    text = "昨天自己腌的酸菜今天就拿来炒了，吃完我们几个都嘴唇发紫，头晕，心慌"
    assert level(text, 40) == "emergency_ambulance"


def test_pickles_without_symptoms_are_not_poisoning() -> None:
    assert not emergency("咸菜吃多了对血压不好吗，家里老人天天吃", 50)


@pytest.mark.parametrize(
    "text",
    [
        "my toddler choked on a grape, coughed a bit out, now his breathing is noisy and his "
        "lips look dusky",
        "宝宝吃龙眼卡住了，拍出来一点，现在喘得厉害，嘴唇有点乌",
    ],
)
def test_food_stuck_with_blocked_breathing_calls_an_ambulance(text: str) -> None:
    assert level(text, 2) == "emergency_ambulance"


def test_a_fish_bone_that_hurts_behind_the_breastbone_is_in_the_oesophagus() -> None:
    text = "中午吃鱼被鱼刺卡了，吞了几口饭，现在一咽东西就疼到胸口"
    assert "fish_bone_in_oesophagus" in fired(text, 50)


def test_a_fish_bone_scratch_in_the_throat_stays_below_emergency() -> None:
    assert not emergency("吃鱼好像被鱼刺划了一下嗓子，有点异物感，不影响吃饭", 30)


def test_cirrhosis_with_confusion_is_hepatic_encephalopathy() -> None:
    text = "我舅舅肝硬化十年，这两天白天一直睡，说话颠三倒四的"
    assert "hepatic_encephalopathy" in fired(text, 60, "M")


def test_fava_beans_then_tea_coloured_urine_is_haemolysis() -> None:
    text = "女儿4岁，前天吃了胡豆，今天小便颜色很深，眼睛有点黄"
    assert "favism_haemolysis" in fired(text, 4, "F")


def test_fava_beans_without_signs_are_not_haemolysis() -> None:
    assert not emergency("蚕豆病的孩子能吃豆腐吗", 5)


def test_hydrofluoric_acid_on_the_skin() -> None:
    assert "hydrofluoric_acid" in fired("rust remover with hydrofluoric acid got on my hand", 40)


def test_a_blow_to_the_belly_with_signs_of_bleeding() -> None:
    text = "昨天踢球肚子被撞了，今天左上腹疼，脸色苍白，一站起来就晕"
    assert level(text, 17, "M") == "emergency_ambulance"


def test_psychosis_after_childbirth() -> None:
    text = "老婆生完孩子三周，最近总说有人要抢走孩子，还说听到别人听不到的声音"
    assert "postpartum_psychosis" in fired(text, 29, "F")


def test_baby_blues_are_not_psychosis() -> None:
    assert not emergency("生完孩子两周，总是想哭，睡不好，这正常吗", 30, "F")


def test_pain_and_fever_after_a_polypectomy() -> None:
    text = "三天前做了肠镜切了两个息肉，今天肚子越来越疼，还发烧了"
    assert "perforation_after_endoscopy" in fired(text, 55)


def test_a_scope_done_last_year_is_history() -> None:
    # "上年" (last year) is a history cue; "上年纪" (getting on in years) is not
    assert "perforation_after_endoscopy" not in fired("肚子越来越疼，发烧，上年做过肠镜切息肉", 50)
    assert level("上年纪的人突然胸口压着疼，出冷汗", 70) == "emergency_ambulance"


def test_a_planned_scope_is_no_risk() -> None:
    assert not emergency("胃疼越来越厉害，需要去做胃镜吗", 40)


def test_severe_ovarian_hyperstimulation() -> None:
    text = "a week after my egg retrieval my belly is swollen tight and I have hardly peed today"
    assert "ovarian_hyperstimulation_severe" in fired(text, 33, "F")


def test_dusky_skin_blisters_and_fever_is_necrotising_infection() -> None:
    text = "腿上蚊子包抓破了，两天后小腿肿得厉害，皮肤发紫发黑，起了水泡，疼得受不了，发烧39度"
    assert "necrotising_soft_tissue_infection" in fired(text, 58)


def test_a_blood_blister_is_not_dusky_skin() -> None:
    assert "necrotising_soft_tissue_infection" not in fired("乳头起了血泡，前几天发烧", 28, "F")


def test_vomiting_and_deep_breathing_on_a_gliflozin() -> None:
    text = "吃恩格列净半年了，昨天开始一直吐，肚子疼，喘气很深很快，血糖才8点多"
    assert "ketoacidosis_on_sglt2" in fired(text, 57)


@pytest.mark.parametrize(
    "text",
    [
        "我朋友食咗成樽安眠药，而家好眼瞓",
        "my roommate swallowed a whole strip of panadol last night",
    ],
)
def test_cantonese_and_brand_overdoses(text: str) -> None:
    assert emergency(text, 20)


# -- the threshold's out-of-fold pool ------------------------------------------------------

_REAL = ["嗓子疼两天", "胃胀不消化", "膝盖疼一年", "皮肤痒起疹子", "头有点晕", "咳嗽有痰"]
_ALARM = ["突然胸口压着疼，出冷汗", "孩子抽搐叫不醒"]
_ENGLISH = ["itchy rash on my arms", "mild cough for a week", "sudden crushing chest pain"]


def _tiny_corpus() -> _WeakCorpus:
    """Real requests (two with alarms), no CBLUE, English, then one gold vignette: the layout
    _weak_corpus builds."""
    real = [normalise(t) for t in (_REAL + _ALARM) * 2]
    english = [normalise(t) for t in _ENGLISH * 2]
    texts = [*real, *english, normalise("突然一侧手脚没劲，说话不清")]
    labels = [float(emergency(t)) for t in texts[:-1]] + [1.0]
    sizes = {"haodf_train": len(real), "unlabeled": 0, "cblue": 0}
    sizes |= {"english_symptom2disease": len(english), "gold_vignettes": 1}
    return _WeakCorpus(texts, ["unknown"] * len(texts), labels, [1.0] * len(texts), sizes, [])


def test_every_rule_routine_training_text_is_scored_out_of_fold() -> None:
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(sentence_encoder=False, min_df=1, threshold_folds=3)
    corpus = _tiny_corpus()
    featurizer, _, _ = _fit_model(settings, config, corpus)
    pools = _out_of_fold(settings, corpus, featurizer, None)
    n_real = corpus.sizes["haodf_train"]
    english = corpus.labels[n_real : n_real + corpus.sizes["english_symptom2disease"]]
    # rule-routine rows only: the threshold bounds what the backstop adds to the rules
    assert len(pools.requests) == corpus.labels[:n_real].count(0.0) == 2 * len(_REAL)
    assert len(pools.english) == english.count(0.0) == 4
    assert ((pools.requests > 0) & (pools.requests < 1)).all()


def test_no_folds_leaves_the_pools_empty() -> None:
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(sentence_encoder=False, min_df=1, threshold_folds=0)
    corpus = _tiny_corpus()
    featurizer, _, _ = _fit_model(settings, config, corpus)
    pools = _out_of_fold(settings, corpus, featurizer, None)
    assert len(pools.requests) == 0 and len(pools.english) == 0


def test_the_pooled_rate_sets_the_threshold() -> None:
    # validation data with no requests: the pool alone decides the real-request bound
    class _NoRequests:
        def part(self, name: str) -> pd.DataFrame:
            return pd.DataFrame({"text": [], "age_bucket": []})

    settings = UrgencyBackstopConfig(max_added_rate=0.01, threshold_vignettes=None)
    pools = _Pools(np.linspace(0.0, 0.9, 1001), np.zeros(0))
    threshold, _, report = _choose_threshold(
        settings, _NoRequests(), engine(), lambda t, b: np.zeros(len(t)), [], pools
    )  # type: ignore[arg-type]
    assert threshold == pytest.approx(np.quantile(pools.requests, 0.99))
    assert report["decided_by"] == "real_requests"


@pytest.mark.parametrize(
    ("english", "decided_by"),
    [(np.full(50, 0.2), "real_requests"), (np.linspace(0.0, 0.97, 400), "english")],
)
def test_the_report_names_the_bound_that_set_the_threshold(
    english: np.ndarray, decided_by: str
) -> None:
    class _NoRequests:
        def part(self, name: str) -> pd.DataFrame:
            return pd.DataFrame({"text": [], "age_bucket": []})

    settings = UrgencyBackstopConfig(
        max_added_rate=0.01, max_added_rate_english=0.01, threshold_vignettes=None
    )
    pools = _Pools(np.linspace(0.0, 0.9, 1001), english)
    threshold, _, report = _choose_threshold(
        settings, _NoRequests(), engine(), lambda t, b: np.zeros(len(t)), [], pools
    )  # type: ignore[arg-type]
    assert report["decided_by"] == decided_by
    assert threshold == pytest.approx(report["bounds"][decided_by], abs=1e-6)
    assert set(report["bounds"]) == {"floor", "real_requests", "english"}
