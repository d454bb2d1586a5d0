"""The shared char-n-gram TF-IDF features on the training side: fitting the featurizer, and the
sparse matrices scikit-learn and the torch loops read.

Used by the TF-IDF families (families.py) and the urgency backstop (urgency.py); torch-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from training.config import TriageConfig
from training.triage.trained import Feeds
from triage.features import NgramBlock, TfidfFeaturizer


def fit_featurizer(config: TriageConfig, texts: list[str]) -> TfidfFeaturizer:
    """Fit the shared char-n-gram TF-IDF featurizer, round-tripped through its JSON form.

    `texts` may include unlabelled requests: vocabulary and idf need no labels. The round trip
    makes training use exactly what the bundle will hold.
    """
    blocks = [NgramBlock(**block.model_dump()) for block in config.features.blocks]
    fitted = TfidfFeaturizer(
        blocks, age_weight=config.features.age_weight, sublinear_tf=config.features.sublinear_tf
    ).fit(texts)
    return TfidfFeaturizer.from_dict(fitted.to_dict())


def to_csr(featurizer: TfidfFeaturizer, texts: list[str], buckets: list[str]) -> sparse.csr_matrix:
    """Featurise into a scipy CSR matrix [n, n_features] for sklearn and the torch loop."""
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for text, bucket in zip(texts, buckets, strict=True):
        ids, weights = featurizer.transform_one(text, bucket)
        indices.extend(ids)
        values.extend(weights)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(values, dtype=np.float32), np.asarray(indices), np.asarray(indptr)),
        shape=(len(texts), featurizer.n_features_),
    )


def feeds_to_csr(feeds: Feeds, n_features: int) -> sparse.csr_matrix:
    """The graph's padded (ids, weights) feeds back as a CSR matrix, for the reference models."""
    ids, weights = feeds["ids"], feeds["weights"]
    rows = np.repeat(np.arange(ids.shape[0]), ids.shape[1])
    matrix = sparse.coo_matrix(
        (weights.ravel(), (rows, ids.ravel())), shape=(ids.shape[0], n_features)
    )
    return matrix.tocsr()


def tfidf_preprocessing(featurizer: TfidfFeaturizer) -> dict[str, Any]:
    """The manifest's preprocessing section of a TF-IDF architecture."""
    return {
        "kind": "char_tfidf",
        "normaliser": "triage.text.v1",
        "featurizer": "triage.char_tfidf.v1",
        "n_features": featurizer.n_features_,
        "blocks": [block.__dict__ for block in featurizer.blocks],
        "age": f"decade bucket token (0+ .. 80+, unknown) with weight {featurizer.age_weight}",
    }
