"""The backstop's n-gram dialect rewrite (urgency round 44): written Cantonese read as Mandarin in
the learned backstop's n-gram input only, the same at training and serving, Mandarin untouched.

Every complaint here is written for these tests (none is taken from a vignette file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from tests.unit.urgency_cases import StandInGraph, engine, stand_in_predictor
from training.config import TriageConfig, UrgencyBackstopConfig, load_config
from training.triage.urgency import (
    _export,
    _fit_model,
    _parity,
    _postprocessing,
    _Readers,
    _WeakCorpus,
)
from triage.features import NgramBlock, TfidfFeaturizer
from triage.predictor import TfidfEncoder, UrgencyBackstop
from triage.schema import TriageRequest
from triage.text import normalise, normalise_with_offsets
from triage.urgency.context import DiscountMask
from triage.urgency.dialect import NGRAM_DIALECT_FILE, NgramDialect
from triage.urgency.lexicon import NGRAM_DIALECT_VERSION, NgramDialectTable

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "triage/urgency/data/dialect_ngrams.json"


def _dialect() -> NgramDialect:
    return NgramDialect.packaged()


def _raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return raw


# -- the table as data -------------------------------------------------------------------


def test_the_packaged_table_holds_the_words_round_44_planned() -> None:
    words = {entry.dialect for entry in _dialect().table.entries}
    # the plan's list, as the normaliser writes them (係 is written 系)
    planned = {"咗", "嘅", "唔", "冇", "喺", "佢", "系", "啲", "乜", "而家"}  # function words
    planned |= {"屙", "攰", "食", "饮", "企", "瞓", "郁", "颈", "透气", "讲唔到"}  # content
    assert planned <= words
    assert all(len(entry.rationale) >= 40 for entry in _dialect().table.entries)


def test_a_word_the_normaliser_would_change_is_refused() -> None:
    raw = _raw()
    raw["entries"][0] = {**raw["entries"][0], "dialect": "係"}  # normalised to 系
    with pytest.raises(ValidationError):
        NgramDialectTable.model_validate(raw)


def test_a_repeated_word_is_refused() -> None:
    raw = _raw()
    raw["entries"].append(dict(raw["entries"][0]))
    with pytest.raises(ValidationError, match="duplicate dialect word"):
        NgramDialectTable.model_validate(raw)


def test_a_table_without_a_marker_is_refused() -> None:
    raw = _raw()
    raw["entries"] = [{**e, "marker": False} for e in raw["entries"]]
    with pytest.raises(ValidationError, match="marker"):
        NgramDialectTable.model_validate(raw)


def test_an_entry_without_a_rationale_is_refused() -> None:
    raw = _raw()
    raw["entries"][0] = {**raw["entries"][0], "rationale": ""}
    with pytest.raises(ValidationError):
        NgramDialectTable.model_validate(raw)


def test_a_table_of_another_version_is_refused() -> None:
    with pytest.raises(ValueError, match=NGRAM_DIALECT_VERSION):
        NgramDialect.from_json({**_raw(), "version": "triage.urgency_dialect_ngrams.v2"})


def test_the_table_round_trips_through_its_bundle_file() -> None:
    dialect = _dialect()
    again = NgramDialect.from_json(json.loads(dialect.to_json()))
    assert again.table == dialect.table


# -- the rewrite --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("条颈硬晒，呕咗三次", "条脖子硬晒,呕了三次"),
        ("佢讲唔到成句，企唔稳", "他说不出成句,站不稳"),
        ("阿妈食咗成板药，而家瞓喺度叫唔应", "阿妈吃了成板药,现在睡在度叫不应"),
        ("个仔透唔到气，嘴唇好紫", "个仔喘不上气,嘴唇好紫"),
        ("喉咙收窄咗，透气有声", "喉咙收窄了,喘气有声"),
        ("佢系我老公，饮咗好多酒，郁唔到", "他是我老公,喝了好多酒,动不到"),
        ("冇屙过屎，好攰", "没拉过屎,好累"),
    ],
)
def test_written_cantonese_is_read_as_mandarin(typed: str, read: str) -> None:
    assert _dialect()(normalise(typed)) == read


@pytest.mark.parametrize(
    "mandarin",
    [
        "误食了老鼠药，现在恶心",
        "食物中毒，饮食不规律，喝了很多饮料",
        "颈椎病十年，宫颈检查正常",
        "在企业上班，最近抑郁，郁闷",
        "房间不透气，胸闷",
        "然而家里人都没事，系统性红斑狼疮",
        "唔，我想想，胸口痛了一下",
        "脖子硬，吐了两次，说不出话",
    ],
)
def test_a_mandarin_complaint_is_left_as_typed(mandarin: str) -> None:
    text = normalise(mandarin)
    assert not _dialect().is_dialect(text)
    assert _dialect()(text) == text


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("佢误食咗药", "误食"),
        ("佢食物中毒咗", "食物"),
        ("佢颈椎痛咗好耐", "颈椎"),
        ("佢抑郁咗", "抑郁"),
        ("佢喺企业返工", "企业"),
        ("佢系统性红斑狼疮嘅", "系统"),
        ("佢饮料都冇饮", "饮料"),
    ],
)
def test_mandarin_compounds_stay_inside_a_cantonese_complaint(typed: str, kept: str) -> None:
    text = normalise(typed)
    assert _dialect().is_dialect(text)
    assert kept in _dialect()(text)


def test_the_rewrite_reads_the_masked_text_and_leaves_the_mask() -> None:
    rules = engine()
    mask = DiscountMask(rules, frozenset({"negated"}), False)
    typed = "佢冇胸痛，咳咗三日"
    masked = mask([typed])[0]
    assert "□" in masked
    read = _dialect()(masked)
    assert read.count("□") == masked.count("□") and "咳了三日" in read


# -- the backstop reads it at serving as training did ------------------------------------------


TEXTS = ["佢冇胸痛，咳咗三日", "阿爸突然讲唔到嘢，半边冇力", "我妈以前脑梗过", "肚子有点胀"]


def _backstop(mask: bool, dialect: bool) -> UrgencyBackstop:
    rules = engine()
    masker = DiscountMask(rules, frozenset({"negated", "historical"}), True) if mask else None
    reader = _dialect() if dialect else None
    grams = [normalise(t) for t in TEXTS] + [reader(normalise(t)) for t in TEXTS if reader]
    own = TfidfFeaturizer([NgramBlock("text", None, 1, 3, 1.0, 1)], age_weight=1.0).fit(grams)
    return UrgencyBackstop(
        TfidfEncoder(own),
        StandInGraph(),  # type: ignore[arg-type]
        0.5,
        None,
        None,
        masker,
        reader,
    )


def test_a_dialect_backstop_reads_the_rewritten_text_in_its_ngrams() -> None:
    backstop = _backstop(mask=False, dialect=True)
    texts = [normalise(TEXTS[1])]
    fed = backstop.feeds(texts, ["unknown"])
    assert list(backstop.gram_texts(texts)) == ["阿爸突然说不出嘢,半边没力"]
    ids, weights = backstop.encoder.featurizer.transform(["阿爸突然说不出嘢,半边没力"], ["unknown"])
    assert np.array_equal(fed["ids"], ids) and np.array_equal(fed["weights"], weights)
    plain = _backstop(mask=False, dialect=False).feeds(texts, ["unknown"])
    assert not np.array_equal(plain["ids"], fed["ids"])


@pytest.mark.parametrize("mask", [False, True])
def test_the_predictor_feeds_the_dialect_backstop_what_it_computes_alone(mask: bool) -> None:
    """The predictor shares the department model's n-gram keys with the backstop; a rewritten
    text must get keys of its own."""
    backstop = _backstop(mask, dialect=True)
    predictor = stand_in_predictor(backstop)
    assert predictor._shares_grams(True)
    requests = [TriageRequest(id=str(i), text=t) for i, t in enumerate(TEXTS)]
    typed = [normalise_with_offsets(t) for t in TEXTS]
    texts, buckets = [n.text for n in typed], ["unknown"] * len(TEXTS)
    _, read = predictor._assess(requests, typed)
    scored = predictor._scores(texts, buckets, backstop=True, read=read)
    assert np.allclose(scored.emergency, backstop.probabilities(texts, buckets))


def test_the_rules_reasons_do_not_see_the_ngram_rewrite() -> None:
    """The rules' answer and its spans are the engine's alone: a predictor whose backstop
    reads the n-gram table assesses a Cantonese complaint exactly as one without, and each
    reason points at the characters typed."""
    typed = "阿爸突然讲唔到嘢，半边冇力"

    def assess(dialect: bool) -> Any:
        predictor = stand_in_predictor(_backstop(mask=True, dialect=dialect))
        assessments, _ = predictor._assess(
            [TriageRequest(id="1", text=typed)], [normalise_with_offsets(typed)]
        )
        return assessments[0]

    with_dialect, without = assess(True), assess(False)
    assert with_dialect.emergency and with_dialect.reasons
    assert with_dialect.reasons == without.reasons and with_dialect.level == without.level
    spans = {typed[r.start : r.end] for r in with_dialect.reasons}
    assert spans and all(span and span in typed for span in spans)


def test_a_dialect_backstop_exports_with_parity_and_names_its_table(tmp_path: Path) -> None:
    config = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(config, TriageConfig)
    settings = UrgencyBackstopConfig(sentence_encoder=False, min_df=1, dialect_ngrams=True)
    dialect = _dialect()
    texts = [normalise(t) for t in [*TEXTS, "突然说话不清楚，一边手脚没劲", "嗓子疼两天"] * 3]
    labels = [float(engine().assess(t).emergency) for t in texts]
    corpus = _WeakCorpus(
        texts,
        ["unknown"] * len(texts),
        labels,
        [1.0] * len(texts),
        {},
        [],
        None,
        [dialect(t) for t in texts],
    )
    featurizer, _, model = _fit_model(settings, config, corpus)
    graph, specs = _export(model, featurizer.n_features_, config, tmp_path)
    backstop = UrgencyBackstop(TfidfEncoder(featurizer), graph, 0.5, None, None, None, dialect)
    assert list(backstop.gram_texts(texts)) == corpus.gram_texts
    assert _parity(model, featurizer.n_features_, backstop, corpus, config) <= 1e-4
    entry = _postprocessing(0.5, specs, None, _Readers(None, None), dialect=True)
    assert entry["dialect_ngrams"] == {
        "version": NGRAM_DIALECT_VERSION,
        "table": NGRAM_DIALECT_FILE,
    }
    assert "dialect_ngrams" not in _postprocessing(0.5, specs, None, _Readers(None, None))


def test_the_model_card_says_when_the_ngrams_read_the_dialect_table() -> None:
    from training.triage.card import _urgency_section

    entry = {"version": "v", "table": "urgency.json", "backstop": {}}
    manifest: dict[str, Any] = {"postprocessing": {"urgency": entry}, "metrics": {}}
    assert "Cantonese" not in _urgency_section(manifest)
    entry["backstop"] = {
        "dialect_ngrams": {"version": NGRAM_DIALECT_VERSION, "table": NGRAM_DIALECT_FILE}
    }
    section = _urgency_section(manifest)
    assert "Cantonese" in section and NGRAM_DIALECT_FILE in section
