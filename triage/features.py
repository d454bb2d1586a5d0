"""Field-aware character n-gram TF-IDF features ("triage.char_tfidf.v1").

Shared by training and inference.

Pure Python + numpy. Training fits the vocabulary and idf here and writes them into the bundle;
the predictor rebuilds the same object from the bundle, so there is one feature code path and no
train/serve skew. The ONNX graph then only gathers and sums rows of a weight matrix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from triage.text import FIELD_SEPARATOR

FEATURIZER_NAME = "triage.char_tfidf.v1"

AGE_BUCKETS = ("0+", "10+", "20+", "30+", "40+", "50+", "60+", "70+", "80+", "unknown")
_OLDEST_BUCKET_START = 80
_OLDEST_PLAUSIBLE_AGE = 120


def age_bucket(age_years: int | None) -> str:
    """Map an age in years to the decade bucket the training data uses ('0+' is under 10)."""
    if age_years is None or age_years < 0 or age_years > _OLDEST_PLAUSIBLE_AGE:
        return "unknown"
    return f"{min(age_years // 10 * 10, _OLDEST_BUCKET_START)}+"


def age_bucket_from_group(age_group: str) -> str:
    """Map the data's age_group column ('20+', '0+', '-1' unknown) onto AGE_BUCKETS."""
    label = age_group.strip()
    if not label.endswith("+"):
        return "unknown"
    try:
        start = int(label[:-1])
    except ValueError:
        return "unknown"
    return age_bucket(start)


@dataclass(frozen=True)
class NgramBlock:
    """One group of features: character n-grams of one field (or of the whole text).

    Attributes:
        name: short name used in logs and the manifest.
        field: index of the ';'-separated field, or None for the whole text.
        ngram_min: shortest n-gram.
        ngram_max: longest n-gram.
        weight: the block's L2-normalised vector is scaled by this.
        min_df: n-grams seen in fewer training texts are dropped.
    """

    name: str
    field: int | None
    ngram_min: int
    ngram_max: int
    weight: float = 1.0
    min_df: int = 2


def _field(text: str, index: int | None) -> str:
    if index is None:
        return text
    fields = text.split(FIELD_SEPARATOR)
    # A complaint typed as one free-text sentence has no fields: it is its own chief complaint.
    return fields[index] if index < len(fields) else ""


def _field_with_offset(text: str, index: int | None) -> tuple[str, int]:
    """`_field` and where that field starts in the text."""
    if index is None:
        return text, 0
    fields = text.split(FIELD_SEPARATOR)
    if index >= len(fields):
        return "", len(text)
    return fields[index], sum(len(f) + len(FIELD_SEPARATOR) for f in fields[:index])


def _grams(text: str, low: int, high: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    length = len(text)
    for n in range(low, high + 1):
        counts.update(text[i : i + n] for i in range(length - n + 1))
    return counts


class TfidfFeaturizer:
    """Sparse TF-IDF features over n-gram blocks plus an age-bucket indicator.

    Follows scikit-learn's conventions: the constructor only stores parameters and `fit` sets the
    learned `vocabularies_`, `idf_` and `n_features_`.

    Args:
        blocks: the n-gram blocks.
        age_weight: value of the age-bucket feature (the other blocks are unit-norm).
        sublinear_tf: use 1 + ln(tf) instead of raw counts.
    """

    def __init__(
        self, blocks: Sequence[NgramBlock], age_weight: float = 3.0, sublinear_tf: bool = True
    ) -> None:
        self.blocks = list(blocks)
        self.age_weight = age_weight
        self.sublinear_tf = sublinear_tf

    def fit(self, texts: Sequence[str]) -> TfidfFeaturizer:
        """Learn each block's vocabulary and idf from normalised training texts."""
        self.vocabularies_: list[dict[str, int]] = []
        idf: list[float] = []
        n_docs = len(texts)
        for block in self.blocks:
            document_frequency: Counter[str] = Counter()
            for text in texts:
                document_frequency.update(
                    _grams(_field(text, block.field), block.ngram_min, block.ngram_max).keys()
                )
            # Sorted so the same data always gives the same column order.
            kept = sorted(g for g, df in document_frequency.items() if df >= block.min_df)
            offset = len(idf)
            self.vocabularies_.append({gram: offset + i for i, gram in enumerate(kept)})
            # scikit-learn's smoothed idf, so the reference model sees the usual weighting.
            idf.extend(math.log((1 + n_docs) / (1 + document_frequency[g])) + 1.0 for g in kept)
        self.age_offset_ = len(idf)
        idf.extend([1.0] * len(AGE_BUCKETS))
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self.n_features_ = len(idf)
        return self

    def transform_one(self, text: str, bucket: str) -> tuple[list[int], list[float]]:
        """Return the sparse feature vector of one normalised text as (column ids, values)."""
        ids: list[int] = []
        values: list[float] = []
        for block, vocabulary in zip(self.blocks, self.vocabularies_, strict=True):
            # Count column ids, not n-gram strings: same columns in the same order (first
            # occurrence, shortest n first), one dictionary look-up per n-gram.
            field = _field(text, block.field)
            get, size = vocabulary.get, len(field)
            counts = Counter(
                column
                for n in range(block.ngram_min, block.ngram_max + 1)
                for column in map(get, (field[i : i + n] for i in range(size - n + 1)))
                if column is not None
            )
            if not counts:
                continue
            block_ids = list(counts)
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            if self.sublinear_tf:
                tf = (1.0 + np.log(tf)).astype(np.float32)
            weights = tf * self.idf_[block_ids]
            weights *= block.weight / float(np.linalg.norm(weights))
            ids.extend(block_ids)
            values.extend(weights.tolist())
        ids.append(self.age_offset_ + AGE_BUCKETS.index(bucket))
        values.append(self.age_weight)
        return ids, values

    def column_spans(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Where each n-gram column of `transform_one` occurs in the normalised text: column id
        -> [(start, end)] character spans (for showing which words a suggestion rests on)."""
        spans: dict[int, list[tuple[int, int]]] = {}
        for block, vocabulary in zip(self.blocks, self.vocabularies_, strict=True):
            field, offset = _field_with_offset(text, block.field)
            for n in range(block.ngram_min, block.ngram_max + 1):
                for i in range(len(field) - n + 1):
                    column = vocabulary.get(field[i : i + n])
                    if column is not None:
                        spans.setdefault(column, []).append((offset + i, offset + i + n))
        return spans

    def transform(
        self, texts: Sequence[str], buckets: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Featurise a batch as padded (ids int64 [B, L], weights float32 [B, L]).

        Padding uses id 0 with weight 0, which adds nothing to the weighted sum in the graph.
        """
        rows = [
            self.transform_one(text, bucket) for text, bucket in zip(texts, buckets, strict=True)
        ]
        width = max(len(row_ids) for row_ids, _ in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        weights = np.zeros((len(rows), width), dtype=np.float32)
        for i, (row_ids, row_values) in enumerate(rows):
            ids[i, : len(row_ids)] = row_ids
            weights[i, : len(row_values)] = row_values
        return ids, weights

    def to_dict(self) -> dict[str, Any]:
        """Serialise the fitted featurizer (for vocab.json in the bundle)."""
        return {
            "name": FEATURIZER_NAME,
            "age_weight": self.age_weight,
            "sublinear_tf": self.sublinear_tf,
            "age_buckets": list(AGE_BUCKETS),
            "blocks": [
                {**asdict(block), "grams": sorted(vocab, key=vocab.__getitem__)}
                for block, vocab in zip(self.blocks, self.vocabularies_, strict=True)
            ],
            # float() of a float32 prints its exact value, so the round trip is bit-exact.
            "idf": [float(v) for v in self.idf_],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TfidfFeaturizer:
        """Rebuild a fitted featurizer from `to_dict` output.

        Raises:
            ValueError: when the data is not a char_tfidf featurizer or its sizes disagree.
        """
        if data.get("name") != FEATURIZER_NAME:
            raise ValueError(f"vocab is {data.get('name')!r}, expected {FEATURIZER_NAME!r}")
        if list(data["age_buckets"]) != list(AGE_BUCKETS):
            raise ValueError("vocab age buckets differ from this code's AGE_BUCKETS")
        blocks = []
        vocabularies = []
        offset = 0
        for raw in data["blocks"]:
            grams = raw["grams"]
            blocks.append(NgramBlock(**{k: v for k, v in raw.items() if k != "grams"}))
            vocabularies.append({gram: offset + i for i, gram in enumerate(grams)})
            offset += len(grams)
        featurizer = cls(blocks, age_weight=data["age_weight"], sublinear_tf=data["sublinear_tf"])
        featurizer.vocabularies_ = vocabularies
        featurizer.age_offset_ = offset
        featurizer.idf_ = np.asarray(data["idf"], dtype=np.float32)
        featurizer.n_features_ = len(featurizer.idf_)
        if featurizer.n_features_ != offset + len(AGE_BUCKETS):
            raise ValueError(
                f"vocab has {offset} n-grams + {len(AGE_BUCKETS)} age buckets but "
                f"{featurizer.n_features_} idf values"
            )
        return featurizer
