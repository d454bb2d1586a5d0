"""The shared TF-IDF featurizer: deterministic, bit-exact through JSON, field-aware."""

from __future__ import annotations

import json

import numpy as np
import pytest

from triage.features import (
    AGE_BUCKETS,
    NgramBlock,
    TfidfFeaturizer,
    age_bucket,
    age_bucket_from_group,
)
from triage.text import normalise

TEXTS = [
    normalise(t)
    for t in ["咳嗽;咳嗽三天有痰;咳嗽怎么办;想问", "头痛;头痛两天;头痛;", "腹泻三天", "咳嗽 cough"]
]
BLOCKS = [NgramBlock("text", None, 1, 2, 1.0, 1), NgramBlock("complaint", 0, 1, 3, 0.5, 1)]


def _fitted() -> TfidfFeaturizer:
    return TfidfFeaturizer(BLOCKS, age_weight=3.0).fit(TEXTS)


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (None, "unknown"),
        (0, "0+"),
        (9, "0+"),
        (10, "10+"),
        (85, "80+"),
        (121, "unknown"),
        (-1, "unknown"),
    ],
)
def test_features_age_bucket(age: int | None, bucket: str) -> None:
    assert age_bucket(age) == bucket


@pytest.mark.parametrize(
    ("group", "bucket"),
    [
        ("20+", "20+"),
        ("0+", "0+"),
        ("-1", "unknown"),
        ("90+", "80+"),
        ("570+", "unknown"),
        ("x", "unknown"),
    ],
)
def test_features_age_bucket_from_group(group: str, bucket: str) -> None:
    assert age_bucket_from_group(group) == bucket


def test_features_json_round_trip_is_bit_exact() -> None:
    fitted = _fitted()
    restored = TfidfFeaturizer.from_dict(json.loads(json.dumps(fitted.to_dict())))
    a = fitted.transform(TEXTS, ["20+"] * 4)
    b = restored.transform(TEXTS, ["20+"] * 4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_features_blocks_are_unit_norm_times_weight_and_age_is_one_column() -> None:
    fitted = _fitted()
    ids, values = fitted.transform_one(TEXTS[0], "30+")
    age_column = fitted.age_offset_ + AGE_BUCKETS.index("30+")
    assert ids[-1] == age_column and values[-1] == pytest.approx(3.0)
    text_size = len(fitted.vocabularies_[0])
    text_values = np.array([v for i, v in zip(ids[:-1], values[:-1], strict=True) if i < text_size])
    complaint_values = np.array(
        [v for i, v in zip(ids[:-1], values[:-1], strict=True) if i >= text_size]
    )
    assert np.linalg.norm(text_values) == pytest.approx(1.0, rel=1e-5)
    assert np.linalg.norm(complaint_values) == pytest.approx(0.5, rel=1e-5)


def test_features_unknown_text_gives_only_the_age_feature() -> None:
    fitted = _fitted()
    ids, values = fitted.transform_one("zzzz", "unknown")
    assert ids == [fitted.age_offset_ + AGE_BUCKETS.index("unknown")] and values == [3.0]


def test_features_free_text_without_fields_is_its_own_complaint() -> None:
    fitted = _fitted()
    ids, _ = fitted.transform_one("咳嗽", "unknown")
    complaint_ids = [i for i in ids if len(fitted.vocabularies_[0]) <= i < fitted.age_offset_]
    assert complaint_ids, "a one-field text must feed the complaint block"


def test_features_padding_has_zero_weight() -> None:
    ids, weights = _fitted().transform(TEXTS, ["20+"] * 4)
    lengths = (weights != 0).sum(axis=1)
    assert ids.shape == weights.shape and len(set(lengths.tolist())) > 1
    for row_ids, row_weights, n in zip(ids, weights, lengths, strict=True):
        assert np.all(row_weights[:n] > 0)
        assert np.all(row_weights[n:] == 0) and np.all(row_ids[n:] == 0)


def test_features_from_dict_rejects_other_featurizers() -> None:
    with pytest.raises(ValueError, match="expected"):
        TfidfFeaturizer.from_dict({"name": "something.else"})


def test_features_normalise_keeps_fields_and_drops_nan() -> None:
    assert normalise("未确诊;右肺结节;nan;NaN") == "未确诊;右肺结节;;"
    assert normalise("  Chest  PAIN，ＡＢＣ；x ") == "chest pain,abc;x"


def test_features_column_spans_point_at_each_occurrence_of_each_column() -> None:
    featurizer = _fitted()
    text = TEXTS[0]
    ids, _ = featurizer.transform_one(text, "unknown")
    spans = featurizer.column_spans(text)
    assert set(spans) == set(ids[:-1]), "every n-gram column, and only those (age has no span)"
    cough = featurizer.vocabularies_[0]["咳嗽"]
    assert spans[cough][:2] == [(0, 2), (3, 5)]
    for column, places in spans.items():
        grams = {text[start:end] for start, end in places}
        assert len(grams) == 1, f"column {column} spans differing text {grams}"


def _reference(featurizer: TfidfFeaturizer, text: str, bucket: str) -> tuple[list, list]:
    """transform_one as it was written before n-gram keys: a string per n-gram, a dict look-up,
    a Counter (the vectors must stay bit-identical)."""
    from collections import Counter

    from triage.features import _field

    ids: list[int] = []
    values: list[float] = []
    for block, vocabulary in zip(featurizer.blocks, featurizer.vocabularies_, strict=True):
        field = _field(text, block.field)
        counts = Counter(
            column
            for n in range(block.ngram_min, block.ngram_max + 1)
            for column in map(vocabulary.get, (field[i : i + n] for i in range(len(field) - n + 1)))
            if column is not None
        )
        if not counts:
            continue
        tf = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))).astype(np.float32)
        weights = tf * featurizer.idf_[list(counts)]
        weights *= block.weight / float(np.linalg.norm(weights))
        ids.extend(counts)
        values.extend(weights.tolist())
    return [*ids, featurizer.age_offset_ + AGE_BUCKETS.index(bucket)], [
        *values,
        featurizer.age_weight,
    ]


# Astral characters, a lone surrogate, empty and missing fields, n-grams across ';'.
ODD_TEXTS = [
    "",
    ";",
    ";;咳",
    "咳",
    "咳嗽",
    "\U0002a6a5\U0002a6a5咳;\ud800咳嗽",
    "a;b;c;d;e",
    "嗽嗽嗽嗽",
]


def _random_texts(count: int) -> list[str]:
    rng = np.random.default_rng(7)
    alphabet = list("咳嗽头痛发热;腹泻三天 ab1\U0002a6a5\u00e9")
    return [
        "".join(rng.choice(alphabet, size=int(rng.integers(0, 40)))) for _ in range(count)
    ] + ODD_TEXTS


def _wide_fitted(max_n: int = 3) -> TfidfFeaturizer:
    blocks = [
        NgramBlock("text", None, 1, max_n, 1.0, 1),
        NgramBlock("complaint", 0, 1, 3, 0.5, 1),
        NgramBlock("title", 2, 2, 3, 0.5, 1),
    ]
    return TfidfFeaturizer(blocks, age_weight=1.5).fit(_random_texts(300))


def test_features_integer_keys_give_the_vectors_string_look_ups_gave() -> None:
    for featurizer in (_wide_fitted(), _fitted()):
        restored = TfidfFeaturizer.from_dict(json.loads(json.dumps(featurizer.to_dict())))
        for text in _random_texts(200):
            assert restored.transform_one(text, "40+") == _reference(featurizer, text, "40+")


def test_features_text_grams_key_each_ngram_of_the_span_once() -> None:
    from triage.features import NgramTable, TextGrams

    text = "咳嗽;\U0002a6a5x咳嗽"
    grams = TextGrams(text)
    for start, stop in ((0, len(text)), (3, len(text)), (0, 2), (2, 2), (5, 3)):
        for n in (1, 2, 3):
            span = text[start:stop]
            expected = [span[i : i + n] for i in range(len(span) - n + 1)]
            vocabulary = {gram: column for column, gram in enumerate(dict.fromkeys(expected))}
            keys = grams.keys(n, start, stop)
            columns = NgramTable(vocabulary).columns(keys).tolist()
            assert columns == [vocabulary[gram] for gram in expected]
    with pytest.raises(ValueError, match="no key"):
        grams.keys(4)


def test_features_shared_grams_equal_separate_featurisation() -> None:
    """The predictor builds one TextGrams per text for the department model and the backstop:
    each featurizer must read from it exactly what it reads alone."""
    from triage.features import TextGrams

    department, backstop = _wide_fitted(), _fitted()
    texts = _random_texts(60)
    buckets = ["30+"] * len(texts)
    grams = [TextGrams(text) for text in texts]
    shared = (
        department.transform(texts, buckets, grams),
        backstop.transform(texts, buckets, grams),
    )
    alone = (department.transform(texts, buckets), backstop.transform(texts, buckets))
    for (ids, weights), (own_ids, own_weights) in zip(shared, alone, strict=True):
        assert np.array_equal(ids, own_ids) and np.array_equal(weights, own_weights)
    for text, text_grams in zip(texts, grams, strict=True):
        assert backstop.transform_one(text, "30+", text_grams) == backstop.transform_one(
            text, "30+"
        )


def test_features_batch_rows_equal_single_rows() -> None:
    featurizer = _wide_fitted()
    texts = _random_texts(20)
    ids, weights = featurizer.transform(texts, ["unknown"] * len(texts))
    for row, text in enumerate(texts):
        one_ids, one_weights = featurizer.transform([text], ["unknown"])
        width = one_ids.shape[1]
        assert np.array_equal(ids[row, :width], one_ids[0])
        assert np.array_equal(weights[row, :width], one_weights[0])


def test_features_ngrams_longer_than_keys_are_looked_up_as_strings() -> None:
    featurizer = _wide_fitted(max_n=4)
    assert featurizer.tables()[0] is None and featurizer.tables()[1] is not None
    for text in _random_texts(100):
        assert featurizer.transform_one(text, "0+") == _reference(featurizer, text, "0+")


def test_features_grams_of_another_text_are_refused() -> None:
    from triage.features import TextGrams

    with pytest.raises(ValueError, match="another text"):
        _fitted().transform(["咳嗽"], ["unknown"], [TextGrams("头痛")])
