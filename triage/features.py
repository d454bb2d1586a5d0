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


# An n-gram of up to _KEYED_MAX characters as one integer: the (code point + 1) of its i-th
# character in bits [21 i, 21 i + 21). Code points are below 2**21 and every term is non-zero, so
# distinct n-grams (of any of those lengths) have distinct keys, and three fit in an int64.
_KEY_BITS = 21
_KEYED_MAX = 3
# Fibonacci hashing: a key times this (mod 2**64), top bits, is its bucket in an `NgramTable`.
_HASH_FACTOR = np.uint64(0x9E3779B97F4A7C15)


def _codes(text: str) -> np.ndarray:
    """Each character's code point + 1, as int64 (lone surrogates pass through)."""
    raw = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    codes: np.ndarray = raw.astype(np.int64) + 1
    return codes


class TextGrams:
    """A normalised text's character n-grams (up to three characters) as integer keys (int64
    arrays), built once per text and read by every featurizer that sees it: the department model
    and the urgency backstop look their vocabularies up with the same keys, so a request's
    n-grams are enumerated once, not once per model, and no string is made per n-gram.

    Args:
        text: the normalised text.
    """

    __slots__ = ("_keys", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        codes = _codes(text)
        codes.flags.writeable = False  # views of the keys are handed out
        self._keys: list[np.ndarray] = [codes]

    def keys(self, n: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Keys of the n-grams (1 <= n <= 3) lying wholly inside ``text[start:stop]``, in
        position order (a read-only view)."""
        if not 1 <= n <= _KEYED_MAX:
            raise ValueError(f"n-grams of {n} characters have no key (1 to {_KEYED_MAX})")
        while len(self._keys) < n:
            # the keys of (m + 1)-grams from those of m-grams: one shift and one or
            m, codes = len(self._keys), self._keys[0]
            longer = self._keys[-1][:-1] | (codes[m:] << (_KEY_BITS * m))
            longer.flags.writeable = False
            self._keys.append(longer)
        stop = len(self.text) if stop is None else stop
        return self._keys[n - 1][start : max(start, stop - n + 1)]


class NgramTable:
    """One block's vocabulary as a read-only hash table over `TextGrams` keys, looked up for all
    of a text's n-grams at once: keys are stored bucket after bucket (a bucket is a key's top
    hash bits), so a look-up compares one short window of one array, a cache line or two,
    where a dict of Python objects reads several scattered ones per n-gram.

    Args:
        vocabulary: n-gram -> column (n-grams of 1 to 3 characters; others are never found).
    """

    def __init__(self, vocabulary: dict[str, int]) -> None:
        keys, columns = _vocabulary_keys(vocabulary)
        bits = max(1, len(keys).bit_length())  # 2**bits buckets: at most two keys per bucket
        self._shift = np.uint64(64 - bits)
        buckets = self._buckets(keys)
        order = np.argsort(buckets, kind="stable")
        sizes = np.bincount(buckets, minlength=1 << bits)
        self.width = int(sizes.max()) if len(keys) else 0
        # bucket b's keys are _keys[_starts[b]:_starts[b] + sizes[b]]; the padding lets every
        # window of `width` keys stay inside the array (key 0 is no n-gram's)
        self._starts = (np.cumsum(sizes) - sizes).astype(np.int32)
        self._keys = np.concatenate([keys[order], np.zeros(self.width, np.int64)])
        self._columns = np.concatenate([columns[order], np.zeros(self.width, np.int64)])
        self._window = np.arange(self.width)

    def _buckets(self, keys: np.ndarray) -> np.ndarray:
        hashed = keys.view(np.uint64) * _HASH_FACTOR
        buckets: np.ndarray = (hashed >> self._shift).astype(np.intp)
        return buckets

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """The columns of the keys found in the vocabulary, in the keys' order (int64)."""
        if not len(keys) or not self.width:
            return np.zeros(0, dtype=np.int64)
        window = self._starts[self._buckets(keys)][:, None] + self._window
        # keys are unique, so a key matches at most one place: row-major order is key order
        found = (self._keys[window] == keys[:, None]).ravel().nonzero()[0]
        columns: np.ndarray = self._columns[window.ravel()[found]]
        return columns


def _vocabulary_keys(vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The `TextGrams` keys and columns of a vocabulary's n-grams of 1 to 3 characters."""
    by_length: dict[int, tuple[list[str], list[int]]] = {}
    for gram, column in vocabulary.items():
        grams, columns = by_length.setdefault(len(gram), ([], []))
        grams.append(gram)
        columns.append(column)
    keys, values = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for n, (grams, columns) in sorted(by_length.items()):
        if not 1 <= n <= _KEYED_MAX:
            continue
        codes = _codes("".join(grams)).reshape(-1, n)
        for i in range(1, n):
            codes[:, 0] |= codes[:, i] << (_KEY_BITS * i)
        keys.append(codes[:, 0])
        values.append(np.asarray(columns, dtype=np.int64))
    return np.concatenate(keys), np.concatenate(values)


def _field_span(text: str, index: int | None) -> tuple[int, int]:
    """Where `_field` lies in the text: [start, stop)."""
    field, start = _field_with_offset(text, index)
    return start, start + len(field)


def _first_seen_counts(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct columns in order of first occurrence and how often each occurs (a stable
    sort groups equal columns, first occurrence first; np.unique's steps without its checks)."""
    size = len(columns)
    if not size:
        return columns, columns
    order = columns.argsort(kind="stable")
    ordered = columns[order]
    new = np.empty(size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = new.nonzero()[0]
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = size
    first_seen = order[starts].argsort()
    return ordered[starts[first_seen]], (ends - starts)[first_seen]


def _string_counts(field: str, vocabulary: dict[str, int], low: int, high: int) -> np.ndarray:
    """The columns of a field's n-grams by slicing strings (for n-grams too long for keys)."""
    counts = Counter(
        column
        for n in range(low, high + 1)
        for column in map(vocabulary.get, (field[i : i + n] for i in range(len(field) - n + 1)))
        if column is not None
    )
    return np.fromiter(counts.elements(), dtype=np.int64, count=counts.total())


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
        self._tables: list[NgramTable | None] | None = None
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

    def transform_one(
        self, text: str, bucket: str, grams: TextGrams | None = None
    ) -> tuple[list[int], list[float]]:
        """Return the sparse feature vector of one normalised text as (column ids, values);
        ``grams``: the text's `TextGrams` when the caller shares them with another featurizer."""
        ids: list[int] = []
        values: list[float] = []
        for block_ids, weights in self._blocks(text, grams):
            ids.extend(block_ids.tolist())
            values.extend(weights.tolist())
        ids.append(self.age_offset_ + AGE_BUCKETS.index(bucket))
        values.append(self.age_weight)
        return ids, values

    def _blocks(self, text: str, grams: TextGrams | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each block's (column ids int64, weights float32), blocks without a known n-gram left
        out. Columns come in order of first occurrence, shortest n first."""
        if grams is not None and grams.text != text:
            raise ValueError("the n-grams given are another text's")
        out = []
        tables = self.tables()
        for block, vocabulary, table in zip(self.blocks, self.vocabularies_, tables, strict=True):
            if table is not None:
                if grams is None:
                    grams = TextGrams(text)
                start, stop = _field_span(text, block.field)
                keys = [
                    grams.keys(n, start, stop) for n in range(block.ngram_min, block.ngram_max + 1)
                ]
                columns = table.columns(np.concatenate(keys))
            else:
                field = _field(text, block.field)
                columns = _string_counts(field, vocabulary, block.ngram_min, block.ngram_max)
            block_ids, counts = _first_seen_counts(columns)
            if not len(block_ids):
                continue
            tf = counts.astype(np.float32)
            if self.sublinear_tf:
                tf = (1.0 + np.log(tf)).astype(np.float32)
            weights = tf * self.idf_[block_ids]
            # np.linalg.norm of a vector, without its argument checks
            weights *= block.weight / float(np.sqrt(weights.dot(weights)))
            out.append((block_ids, weights))
        return out

    def tables(self) -> list[NgramTable | None]:
        """Each block's vocabulary as an `NgramTable` (None for a block whose n-grams are too
        long for keys: it slices strings), built on first use (`from_dict` builds them)."""
        tables = getattr(self, "_tables", None)
        if tables is None:
            tables = [
                NgramTable(vocabulary)
                if block.ngram_min >= 1 and block.ngram_max <= _KEYED_MAX
                else None
                for block, vocabulary in zip(self.blocks, self.vocabularies_, strict=True)
            ]
            self._tables = tables
        return tables

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
        self,
        texts: Sequence[str],
        buckets: Sequence[str],
        grams: Sequence[TextGrams] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Featurise a batch as padded (ids int64 [B, L], weights float32 [B, L]); ``grams``:
        the texts' `TextGrams` when the caller shares them with another featurizer.

        Padding uses id 0 with weight 0, which adds nothing to the weighted sum in the graph.
        """
        shared: Sequence[TextGrams | None] = [None] * len(texts) if grams is None else grams
        rows = []
        for text, bucket, text_grams in zip(texts, buckets, shared, strict=True):
            blocks = self._blocks(text, text_grams)
            age = (
                np.array([self.age_offset_ + AGE_BUCKETS.index(bucket)], dtype=np.int64),
                np.array([self.age_weight], dtype=np.float32),
            )
            rows.append(
                (
                    np.concatenate([ids for ids, _ in blocks] + [age[0]]),
                    np.concatenate([weights for _, weights in blocks] + [age[1]]),
                )
            )
        if len(rows) == 1:
            return rows[0][0][None, :], rows[0][1][None, :]
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
        featurizer._tables = None
        if featurizer.n_features_ != offset + len(AGE_BUCKETS):
            raise ValueError(
                f"vocab has {offset} n-grams + {len(AGE_BUCKETS)} age buckets but "
                f"{featurizer.n_features_} idf values"
            )
        featurizer.tables()  # at load, not on the first request
        return featurizer
