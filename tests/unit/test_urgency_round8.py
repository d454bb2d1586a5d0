"""Round-8 behaviour of the urgency table and the backstop's context reading, in wording written
for these tests (not taken from any vignette file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.urgency_cases import (
    StandInGraph,
    emergency,
    engine,
    fired,
    level,
    stand_in_predictor,
)
from training.config import TriageConfig, UrgencyBackstopConfig, load_config
from training.triage.urgency import (
    _export,
    _fit_model,
    _parity,
    _postprocessing,
    _Readers,
    _rule_labels,
    _WeakCorpus,
)
from triage.features import NgramBlock, TfidfFeaturizer
from triage.predictor import TfidfEncoder, UrgencyBackstop
from triage.schema import TriageRequest
from triage.text import normalise, normalise_with_offsets
from triage.urgency.context import (
    FEATURE_NAMES,
    MASK,
    ContextFeatures,
    DiscountMask,
    emergency_concepts,
    masked_text,
)

ROOT = Path(__file__).resolve().parents[2]

# -- rules ---------------------------------------------------------------------------------


def test_a_dose_per_time_is_not_a_recurring_course() -> None:
    # "每次一片" says how the drug was taken; it must not read as "every time it happens"
    text = "我爸胸口压得慌，喘不上气，一身冷汗，硝酸甘油含了两回，每次一片，不管用"
    assert level(text, 66, "M") == "emergency_ambulance"


def test_recurring_episodes_still_read_as_chronic() -> None:
    assert not emergency("胸口闷，每次发作都是爬楼以后，歇一会就好，好几年了", 58)


@pytest.mark.parametrize(
    "text",
    [
        "we run a gas heater in the bedroom, this morning both of us woke with headaches and "
        "my husband vomited",
        "my son set up a charcoal burner in the tent to keep warm and now he is dizzy and confused",
    ],
)
def test_english_combustion_sources_with_symptoms(text: str) -> None:
    assert level(text) == "emergency_ambulance"


def test_an_ordinary_headache_near_a_boiler_is_not_co() -> None:
    assert not emergency("the boiler broke last week and I have had a stress headache since")


@pytest.mark.parametrize(
    "text",
    [
        "在山上碰到一窝马蜂，被追着蛰，脖子和胳膊上有十几个包",
        "my dad disturbed a wasp nest and was stung all over his arms and back",
    ],
)
def test_many_stings_at_once(text: str) -> None:
    assert "mass_stings" in fired(text, 45)


def test_a_single_sting_is_not_a_swarm() -> None:
    assert not emergency("被蜜蜂蛰了一下，手背有点肿，不痒不喘", 30)


def test_icd_shock_with_symptoms_calls_an_ambulance() -> None:
    assert level("my defibrillator went off twice this morning, I feel dizzy", 60) == (
        "emergency_ambulance"
    )


def test_icd_shock_alone_is_seen_today() -> None:
    assert level("除颤器刚才放电了一次，现在没什么感觉", 55) == "emergency"


def test_fever_after_africa_is_malaria_until_tested() -> None:
    assert "fever_after_malaria_travel" in fired("上个月去尼日利亚出差，回来这几天一直发烧", 40)


def test_travel_advice_without_fever_is_not_an_emergency() -> None:
    assert not emergency("下个月要去肯尼亚旅游，要提前吃什么预防疟疾的药", 35)


def test_pain_somewhere_on_the_back_counts_for_cord_compression() -> None:
    text = "乳腺癌做过手术，最近背上靠下那块疼，腿发软，小便也不太利索"
    assert "malignant_spinal_cord_compression" in fired(text, 62, "F")


def test_an_erection_that_will_not_go_down_after_a_drug_is_priapism() -> None:
    text = "晚上七点吃了一片西地那非。现在凌晨一点了，还是硬的，胀得发疼"
    assert "priapism_after_erection_drug" in fired(text, 48, "M")


def test_a_fever_that_has_not_gone_down_is_not_priapism() -> None:
    assert "priapism_after_erection_drug" not in fired("烧了两天，吃了退烧药还没下去", 30, "M")


def test_mushrooms_nobody_could_name_then_vomiting() -> None:
    text = "中午炒了一盘不认识的菌子，傍晚开始上吐下泻，肚子一阵阵绞着疼"
    assert "wild_mushroom_symptoms" in fired(text, 52)


# -- context features ----------------------------------------------------------------------


def _features(text: str) -> dict[str, float]:
    row = ContextFeatures(engine())([text])[0]
    return dict(zip(FEATURE_NAMES, row.tolist(), strict=True))


def test_features_count_current_and_discounted_mentions() -> None:
    current = _features("突然胸痛，出冷汗")
    negated = _features("没有胸痛，也没有冷汗")
    assert current["any_current"] == 1.0 and current["all_discounted"] == 0.0
    assert negated["any_current"] == 0.0 and negated["n_negated"] > 0
    assert negated["all_discounted"] == 1.0


def test_features_read_hypothetical_and_question_framing() -> None:
    row = _features("如果家里老人突然中风了该怎么办")
    assert row["n_hypothetical"] > 0 and row["question"] == 1.0


def test_features_do_not_depend_on_invisible_characters() -> None:
    features = ContextFeatures(engine())
    plain, spaced = features(["昨天没有胸痛"]), features(["昨天没有胸\u200b痛"])
    np.testing.assert_array_equal(plain, spaced)


def test_feature_manifest_round_trips_and_refuses_another_order() -> None:
    features = ContextFeatures(engine())
    assert ContextFeatures.from_manifest(features.describe(), engine()).size == features.size
    with pytest.raises(ValueError):
        ContextFeatures.from_manifest({"version": "x", "names": []}, engine())


def test_masking_hides_only_discounted_alarm_words() -> None:
    concepts = emergency_concepts(engine())
    text = normalise("我妈以前脑梗过，这次是我自己胸痛")
    masked = masked_text(engine().assess(text, keep_mentions=True), text, concepts)
    assert "脑梗" not in masked and MASK in masked
    assert "胸痛" in masked


# -- the backstop reads them -----------------------------------------------------------------


TEXTS = ["没有胸痛，就是咳嗽三天", "突然胸痛出冷汗", "我妈以前脑梗过", "肚子有点胀"]


def _backstop(mask: bool, context: bool) -> UrgencyBackstop:
    rules = engine()
    masker = DiscountMask(rules, frozenset({"negated", "historical"}), True) if mask else None
    grams = [normalise(t) for t in TEXTS] + (masker([*TEXTS]) if masker else [])
    own = TfidfFeaturizer([NgramBlock("text", None, 1, 3, 1.0, 1)], age_weight=1.0).fit(grams)
    return UrgencyBackstop(
        TfidfEncoder(own),
        StandInGraph(),  # type: ignore[arg-type]
        0.5,
        None,
        ContextFeatures(rules) if context else None,
        masker,
    )


def test_a_masked_backstop_reads_the_masked_text_in_its_ngrams() -> None:
    backstop = _backstop(mask=True, context=False)
    texts = [normalise(TEXTS[0])]
    fed = backstop.feeds(texts, ["unknown"])
    assert backstop.mask is not None
    masked = backstop.mask(texts)
    assert masked == ["没有□□,就是咳嗽三天"]
    ids, weights = backstop.encoder.featurizer.transform(masked, ["unknown"])
    assert np.array_equal(fed["ids"], ids) and np.array_equal(fed["weights"], weights)


@pytest.mark.parametrize(("mask", "context"), [(True, False), (False, True), (True, True)])
def test_the_predictor_feeds_the_backstop_what_it_computes_alone(mask: bool, context: bool) -> None:
    backstop = _backstop(mask, context)
    predictor = stand_in_predictor(backstop)
    requests = [TriageRequest(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    typed = [normalise_with_offsets(t) for t in TEXTS]
    texts, buckets = [n.text for n in typed], ["unknown"] * len(TEXTS)
    assessments, read = predictor._assess(requests, typed)
    assert all(a is not None for a in assessments) and read is not None
    scored = predictor._scores(texts, buckets, backstop=True, read=read)
    assert np.allclose(scored.emergency, backstop.probabilities(texts, buckets))


def test_weak_labels_and_reads_come_from_one_assessment() -> None:
    rules = engine()
    readers = _Readers(ContextFeatures(rules), DiscountMask(rules, frozenset({"negated"}), False))
    texts = [normalise(t) for t in TEXTS]
    labels, read = _rule_labels(rules, texts, ["unknown"] * len(texts), readers)
    assert labels == [float(rules.assess(t).emergency) for t in texts]
    assert read[0][1] == "没有□□,就是咳嗽三天"
    assert all(row is not None and row.shape == (len(FEATURE_NAMES),) for row, _ in read)


def test_a_backstop_reading_mentions_exports_with_parity(tmp_path: Path) -> None:
    """Fit, export and parity-check a tiny backstop with context features and a mask (no
    sentence encoder): the graph's dense input is then the context features alone."""
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(
        sentence_encoder=False,
        context_features=True,
        mask_contexts=["negated", "historical"],
        mask_chronic=True,
        min_df=1,
    )
    rules = engine()
    readers = _Readers(
        ContextFeatures(rules), DiscountMask(rules, frozenset(settings.mask_contexts), True)
    )
    texts = [normalise(t) for t in [*TEXTS, "突然说话不清楚，一边手脚没劲", "嗓子疼两天"] * 3]
    buckets = ["unknown"] * len(texts)
    labels, read = _rule_labels(rules, texts, buckets, readers)
    corpus = _WeakCorpus(
        texts,
        buckets,
        labels,
        [1.0] * len(texts),
        {},
        [],
        np.vstack([row for row, _ in read if row is not None]),
        [str(masked) for _, masked in read],
    )
    featurizer, sentences, model = _fit_model(settings, config, corpus)
    graph, specs = _export(model, featurizer.n_features_, config, tmp_path)
    assert sentences is None and specs["inputs"][-1]["shape"][1] == len(FEATURE_NAMES)
    backstop = UrgencyBackstop(
        TfidfEncoder(featurizer), graph, 0.5, None, readers.context, readers.mask
    )
    assert _parity(model, featurizer.n_features_, backstop, corpus, config) <= 1e-4
    entry = _postprocessing(0.5, specs, None, readers)
    assert entry["context_features"]["version"] == "triage.urgency_context.v1"
    assert entry["mask"]["contexts"] == ["historical", "negated"]
