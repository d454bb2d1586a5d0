"""Sentence embeddings for training, computed once per text and kept on disk between runs.

Embedding haodf's ~19,000 requests takes about 90 s on 2 cores; a data scientist changing one
hyperparameter should not pay it again. The cache is keyed by the encoder's pinned file hashes
and each text's sha256, so a different encoder or text never reads a stale vector.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from runtime.sentence_encoder import DIMENSION, SentenceEncoder
from training.progress import progress

logger = logging.getLogger(__name__)

_BATCH = 256


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class MemoSentenceEncoder:
    """A `SentenceEncoder` that remembers every vector it computed (and reads/writes a cache).

    Duck-types the runtime encoder's `encode`, so training's feature encoders and the parity
    checks use it unchanged.

    Args:
        encoder: the pinned runtime encoder.
        cache_dir: folder of the on-disk cache, or None for memory only.
    """

    def __init__(self, encoder: SentenceEncoder, cache_dir: Path | None = None) -> None:
        self.encoder = encoder
        self.cache_dir = cache_dir
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded = False

    def _cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        tag = hashlib.sha256(
            json.dumps(self.encoder.describe(), sort_keys=True).encode()
        ).hexdigest()[:16]
        return self.cache_dir / f"sentence_embeddings_{tag}.npz"

    def _load(self) -> None:
        self._loaded = True
        path = self._cache_file()
        if path is None or not path.is_file():
            return
        with np.load(path) as stored:
            self._vectors.update(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
        logger.info("read %d cached sentence embeddings from %s", len(self._vectors), path)

    def save(self) -> None:
        """Write every vector computed so far to the cache (no-op without a cache folder)."""
        path = self._cache_file()
        if path is None or not self._vectors:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        partial = path.with_suffix(".tmp.npz")
        np.savez(partial, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        partial.replace(path)

    def describe(self) -> dict[str, object]:
        return self.encoder.describe()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings [N, 512] float32, computing only texts not seen before."""
        if not self._loaded:
            self._load()
        keys = [_key(t) for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}.items()
        )
        if missing:
            steps = range(0, len(missing), _BATCH)
            # A few batches take seconds; the ~19,000 haodf requests take minutes: report those.
            batches = steps if len(steps) < 4 else progress(steps, "embed sentences")
            for start in batches:
                part = missing[start : start + _BATCH]
                vectors = self.encoder.encode([t for _, t in part])
                self._vectors.update(zip([k for k, _ in part], vectors, strict=True))
        if not keys:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)
