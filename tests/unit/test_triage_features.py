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
