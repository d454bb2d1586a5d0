"""TriagePredictor: complaint in, top-k departments with calibrated probabilities, urgency out.

Torch-free. The ONNX graph gives logits; everything after them lives here and is unit-tested:
temperature scaling (calibration), top-k, the abstain threshold chosen on validation, and the
urgency decision, which does not depend on the department model: the bundle's concept rules
(``urgency.json``, ``triage.urgency``) set the triage level, and a learned backstop
(``urgency_model.onnx``) may raise a complaint no rule caught to ``emergency``, never lower one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from runtime.bundle import Bundle, TensorSpec, load_bundle
from runtime.errors import BundleError, SelfTestFailed
from runtime.onnx import OnnxModel
from runtime.schema import ModelRef
from runtime.sentence_encoder import SentenceEncoder
from runtime.text import TextEncoder
from triage.features import TfidfFeaturizer, age_bucket
from triage.schema import DepartmentScore, TriageRequest, TriageResult, UrgencyReason
from triage.text import NormalisedText, normalise, normalise_with_offsets, with_age_prefix
from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine

logger = logging.getLogger(__name__)

TASK = "triage"
TOP_K = 5
# Golden examples are re-scored at load; ONNX kernels differ slightly across CPUs, so compare
# probabilities to 1e-3, far below any change a retrained or altered model would cause.
SELF_TEST_ATOL = 1e-3
# Bounds the padded width of one ONNX call when a batch mixes short and long complaints.
_CHUNK = 64


class Encoder(Protocol):
    """Turns normalised texts and age buckets into the graph's input arrays."""

    def __call__(self, texts: Sequence[str], buckets: Sequence[str]) -> dict[str, np.ndarray]: ...


class TfidfEncoder:
    """Feeds for the n-gram TF-IDF graphs (ids, weights)."""

    def __init__(self, featurizer: TfidfFeaturizer) -> None:
        self.featurizer = featurizer

    def __call__(self, texts: Sequence[str], buckets: Sequence[str]) -> dict[str, np.ndarray]:
        ids, weights = self.featurizer.transform(texts, buckets)
        return {"ids": ids, "weights": weights}


class WordPieceEncoder:
    """Feeds for the BERT-style graph (input_ids, attention_mask); age goes in as a text prefix."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder

    def __call__(self, texts: Sequence[str], buckets: Sequence[str]) -> dict[str, np.ndarray]:
        prefixed = [with_age_prefix(t, b) for t, b in zip(texts, buckets, strict=True)]
        return self.encoder.encode(prefixed)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature, computed stably in float64."""
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return probabilities


BACKSTOP_RULE_ID = "learned_backstop"


class UrgencyBackstop:
    """The learned emergency detector shipped beside the rules: P(emergency) per complaint.

    Args:
        encoder: its own char n-gram featurizer's feeds.
        model: the ONNX graph (ids, weights[, dense] -> one logit).
        threshold: P(emergency) at or above which it raises the level to ``emergency``.
        sentences: the multilingual sentence encoder whose embedding is the graph's ``dense``
            input, when the backstop was trained with one (it carries meaning past the exact
            characters: "吐了好几口血" is near "呕血").
    """

    def __init__(
        self,
        encoder: TfidfEncoder,
        model: OnnxModel,
        threshold: float,
        sentences: SentenceEncoder | None = None,
    ) -> None:
        self.encoder = encoder
        self.model = model
        self.threshold = threshold
        self.sentences = sentences

    @classmethod
    def from_bundle(cls, bundle: Bundle, entry: dict[str, Any], threads: int) -> UrgencyBackstop:
        """Build it from the manifest's ``postprocessing.urgency.backstop`` entry."""
        featurizer = TfidfFeaturizer.from_dict(bundle.read_json(str(entry["vocab"])))
        model = OnnxModel(
            bundle.file(str(entry["model"])),
            [TensorSpec(**spec) for spec in entry["inputs"]],
            [TensorSpec(**spec) for spec in entry["outputs"]],
            threads,
        )
        threshold = float(entry["threshold"])
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"backstop threshold must be in (0, 1), got {threshold}")
        sentences = None
        if entry.get("sentence_encoder"):
            sentences = SentenceEncoder.from_manifest(entry["sentence_encoder"]).load()
        return cls(TfidfEncoder(featurizer), model, threshold, sentences)

    def feeds(self, normalised: Sequence[str], buckets: Sequence[str]) -> dict[str, np.ndarray]:
        """The graph's inputs for normalised texts and age buckets (training's parity check
        feeds the same)."""
        feeds = self.encoder(normalised, buckets)
        if self.sentences is not None:
            feeds["dense"] = self.sentences.encode(normalised)
        return feeds

    def probabilities(self, normalised: Sequence[str], buckets: Sequence[str]) -> np.ndarray:
        """P(emergency) for normalised texts and age buckets."""
        if not normalised:
            return np.zeros(0)
        chunks = []
        for start in range(0, len(normalised), _CHUNK):
            feeds = self.feeds(normalised[start : start + _CHUNK], buckets[start : start + _CHUNK])
            chunks.append(self.model.run(feeds)[0][:, 0])
        logits = np.concatenate(chunks).astype(np.float64)
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return probabilities


def _make_encoder(bundle: Bundle) -> Encoder:
    preprocessing = bundle.manifest.preprocessing
    kind = preprocessing.get("kind")
    if kind == "char_tfidf":
        try:
            return TfidfEncoder(TfidfFeaturizer.from_dict(bundle.read_json("vocab.json")))
        except (KeyError, ValueError, TypeError) as exc:
            raise BundleError(f"bundle {bundle.path}: vocab.json is unusable: {exc}") from exc
    if kind == "wordpiece":
        return WordPieceEncoder(
            TextEncoder(bundle.file("tokenizer.json"), int(preprocessing["max_length"]))
        )
    raise BundleError(f"bundle {bundle.path}: unknown preprocessing kind {kind!r}")


class TriagePredictor:
    """Scores consultations with one triage bundle.

    Build it with `from_bundle`; the constructor only stores what it is given.

    Args:
        bundle: the loaded, verified bundle.
        encoder: the bundle's feature encoder.
        model: the ONNX graph (feeds -> logits).
        labels: department names, index i == logit column i.
        temperature: calibration temperature fitted on validation.
        abstain_threshold: below this top-1 probability the model abstains to a human.
        urgency: the urgency rule engine built from the bundle's table.
        backstop: the learned emergency detector, when the bundle has one.
    """

    def __init__(
        self,
        bundle: Bundle,
        encoder: Encoder,
        model: OnnxModel,
        labels: list[str],
        temperature: float,
        abstain_threshold: float,
        urgency: UrgencyEngine,
        backstop: UrgencyBackstop | None = None,
    ) -> None:
        self.bundle = bundle
        self.encoder = encoder
        self.model = model
        self.labels = labels
        self.temperature = temperature
        self.abstain_threshold = abstain_threshold
        self.urgency = urgency
        self.backstop = backstop

    @classmethod
    def from_bundle(
        cls, path: str | Path, *, threads: int = 1, self_test: bool = True
    ) -> TriagePredictor:
        """Load a triage bundle, verify its checksums and (by default) replay its golden examples.

        Args:
            path: the bundle folder.
            threads: onnxruntime intra-op threads.
            self_test: replay examples.jsonl and refuse the bundle if any answer changed.

        Raises:
            BundleError: the bundle is missing, altered, malformed or fails its self-test.
        """
        bundle = load_bundle(path, expected_task=TASK)
        manifest = bundle.manifest
        labels = bundle.read_json("labels.json")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise BundleError(f"bundle {path}: labels.json must be a list of strings")
        post = manifest.postprocessing
        if "urgency" not in post:
            raise BundleError(
                f"bundle {path}: has no urgency table (postprocessing.urgency); it predates "
                "triage.urgency.v2: retrain it"
            )
        try:
            temperature = float(post["temperature"])
            threshold = float(post["abstain_threshold"])
            entry = post["urgency"]
            urgency = UrgencyEngine.from_dict(bundle.read_json(str(entry["table"])))
            backstop = (
                UrgencyBackstop.from_bundle(bundle, entry["backstop"], threads)
                if entry.get("backstop")
                else None
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise BundleError(f"bundle {path}: bad postprocessing or urgency table: {exc}") from exc
        if not math.isfinite(temperature) or temperature <= 0:
            raise BundleError(f"bundle {path}: temperature must be positive, got {temperature}")
        model = OnnxModel(bundle.file("model.onnx"), manifest.inputs, manifest.outputs, threads)
        predictor = cls(
            bundle,
            _make_encoder(bundle),
            model,
            labels,
            temperature,
            threshold,
            urgency,
            backstop,
        )
        n_logits = predictor._logits(["x"], ["unknown"]).shape[1]
        if n_logits != len(labels):
            raise BundleError(
                f"bundle {path}: graph gives {n_logits} logits for {len(labels)} labels"
            )
        if self_test:
            predictor.self_test()
        logger.info("loaded triage bundle %s (%s)", bundle.version, manifest.architecture)
        return predictor

    @property
    def model_ref(self) -> ModelRef:
        """The name and version every answer carries."""
        return ModelRef(name=self.bundle.manifest.name, version=self.bundle.version)

    def _logits(self, texts: Sequence[str], buckets: Sequence[str]) -> np.ndarray:
        chunks = []
        for start in range(0, len(texts), _CHUNK):
            feeds = self.encoder(texts[start : start + _CHUNK], buckets[start : start + _CHUNK])
            chunks.append(self.model.run(feeds)[0])
        return np.concatenate(chunks, axis=0)

    def predict_proba(self, texts: Sequence[str], ages: Sequence[int | None]) -> np.ndarray:
        """Calibrated department probabilities [N, n_labels] for raw texts and ages in years."""
        return self.proba_for_buckets([normalise(t) for t in texts], [age_bucket(a) for a in ages])

    def proba_for_buckets(self, normalised: Sequence[str], buckets: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities for already-normalised texts and age buckets (evaluation data
        carries decade buckets, not ages in years)."""
        if not normalised:
            return np.zeros((0, len(self.labels)))
        return softmax(self._logits(normalised, buckets), self.temperature)

    def predict(self, requests: Sequence[TriageRequest], top_k: int = TOP_K) -> list[TriageResult]:
        """Answer a batch of consultations, in order.

        Args:
            requests: validated requests.
            top_k: how many departments to return, most probable first.
        """
        if not requests:
            return []
        normalised = [normalise_with_offsets(r.text) for r in requests]
        buckets = [age_bucket(r.age) for r in requests]
        probabilities = self.proba_for_buckets([n.text for n in normalised], buckets)
        raised = (
            self.backstop.probabilities([n.text for n in normalised], buckets)
            >= self.backstop.threshold
            if self.backstop is not None
            else np.zeros(len(requests), dtype=bool)
        )
        ref = self.model_ref
        results = []
        for request, text, row, backstop_fired in zip(
            requests, normalised, probabilities, raised, strict=True
        ):
            order = np.argsort(-row, kind="stable")[:top_k]
            level, rule_ids, reasons = self._urgency(request, text, bool(backstop_fired))
            results.append(
                TriageResult(
                    id=request.id,
                    departments=[
                        DepartmentScore(name=self.labels[i], probability=round(float(row[i]), 6))
                        for i in order
                    ],
                    abstain=bool(row[order[0]] < self.abstain_threshold),
                    triage_level=level,
                    urgency="emergency" if level in EMERGENCY_LEVELS else "routine",
                    red_flags=rule_ids,
                    reasons=reasons,
                    model=ref,
                )
            )
        return results

    def _urgency(
        self, request: TriageRequest, text: NormalisedText, backstop_fired: bool
    ) -> tuple[Any, list[str], list[UrgencyReason]]:
        """Rules first; the backstop may raise a non-emergency answer to ``emergency``."""
        assessment = self.urgency.assess(request.text, request.age, request.sex, normalised=text)
        reasons = [UrgencyReason(**vars(reason)) for reason in assessment.reasons]
        level = assessment.level
        if backstop_fired and level not in EMERGENCY_LEVELS:
            level = "emergency"
            reasons.append(
                UrgencyReason(
                    rule_id=BACKSTOP_RULE_ID,
                    level="emergency",
                    concept="",
                    start=0,
                    end=0,
                    evidence="",
                    label_zh="模型提示可能为急症（无规则命中，请人工判断）",
                    label_en="Learned model suggests a possible emergency (no rule matched)",
                    source="model",
                )
            )
        return level, assessment.rule_ids, reasons

    def self_test(self) -> None:
        """Replay examples.jsonl; raise SelfTestFailed naming the first example that changed."""
        examples = self.bundle.read_jsonl("examples.jsonl")
        if not examples:
            raise SelfTestFailed(f"bundle {self.bundle.path}: examples.jsonl is empty")
        requests = [TriageRequest.model_validate(e["request"]) for e in examples]
        for example, got in zip(examples, self.predict(requests), strict=True):
            problem = _compare(example["expected"], got.model_dump())
            if problem:
                raise SelfTestFailed(
                    f"bundle {self.bundle.path}: example {example['request']['id']!r} {problem}"
                )


def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
    for key in ("triage_level", "urgency", "red_flags", "abstain"):
        if expected[key] != got[key]:
            return f"{key} is {got[key]!r}, expected {expected[key]!r}"
    got_probabilities = {d["name"]: d["probability"] for d in got["departments"]}
    for department in expected["departments"]:
        # Names compared through their probabilities so a near-tie may swap order harmlessly.
        actual = got_probabilities.get(department["name"])
        if actual is None or abs(actual - department["probability"]) > SELF_TEST_ATOL:
            return (
                f"gives {department['name']!r} probability {actual}, expected "
                f"{department['probability']}"
            )
    return None
