"""TriagePredictor: complaint in, top-k departments with calibrated probabilities, urgency out.

Torch-free. The ONNX graph gives logits; everything after them lives here and is unit-tested:
temperature scaling (calibration), top-k, the abstain threshold chosen on validation, and the
urgency decision, which does not depend on the department model: the bundle's concept rules
(``urgency.json``, ``triage.urgency``) set the triage level, and a learned backstop
(``urgency_model.onnx``) may raise a complaint no rule caught to ``emergency``, never lower one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from runtime.bundle import Bundle, TensorSpec
from runtime.errors import BundleError
from runtime.onnx import OnnxModel
from runtime.predictor import BundlePredictor
from runtime.sentence_encoder import Embedder, SentenceEncoder
from runtime.text import TextEncoder, is_cjk
from triage.departments import DepartmentMap, load_department_map
from triage.features import TextGrams, TfidfFeaturizer, age_bucket
from triage.manifest import TriagePostprocessing
from triage.schema import DepartmentScore, Evidence, TriageRequest, TriageResult, UrgencyReason
from triage.text import NormalisedText, normalise, normalise_with_offsets, with_age_prefix
from triage.urgency import EMERGENCY_LEVELS, Assessment, UrgencyEngine
from triage.urgency.context import ContextFeatures, DiscountMask
from triage.urgency.dialect import NgramDialect
from triage.urgency.lexicon import NGRAM_DIALECT_VERSION

logger = logging.getLogger(__name__)

TASK = "triage"
TOP_K = 5
ABSTAIN_LABEL = "refer to a clinician"
# Golden examples are re-scored at load; ONNX kernels differ slightly across CPUs, so compare
# probabilities to 1e-3, far below any change a retrained or altered model would cause.
SELF_TEST_ATOL = 1e-3
# Bounds the padded width of one ONNX call when a batch mixes short and long complaints.
_CHUNK = 64
EvidenceMode = Literal["none", "ngram", "auto", "full"]
# Phrases shown per suggestion, and how strong a character must be (relative to the strongest)
# to belong to one.
EVIDENCE_PHRASES = 3
_EVIDENCE_FLOOR = 0.25
# Clauses left out one at a time to see what the sentence embedding rests on ("full" only).
_MAX_OCCLUDED_CLAUSES = 8
_CLAUSE = re.compile(r"[^,.;!?，。；！？、\s]+")


class Encoder(Protocol):
    """Turns normalised texts and age buckets into the graph's input arrays. ``dense`` is the
    sentence embedding of the same texts and ``grams`` their n-gram keys (`TextGrams`) when the
    caller already has them (encoders that do not use them ignore them)."""

    def __call__(
        self,
        texts: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
    ) -> dict[str, np.ndarray]: ...


class TfidfEncoder:
    """Feeds for the n-gram TF-IDF graphs (ids, weights)."""

    def __init__(self, featurizer: TfidfFeaturizer) -> None:
        self.featurizer = featurizer

    def __call__(
        self,
        texts: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
    ) -> dict[str, np.ndarray]:
        ids, weights = self.featurizer.transform(texts, buckets, grams)
        return {"ids": ids, "weights": weights}


def cjk_share(text: str) -> float:
    """The share of CJK characters among the letters of a text (0.0 when it has none)."""
    letters = [char for char in text if char.isalpha()]
    return sum(map(is_cjk, letters)) / len(letters) if letters else 0.0


class TfidfSentenceEncoder:
    """Feeds for the n-gram + sentence-embedding graph (ids, weights, dense).

    The character n-grams were learned from Chinese requests; on a text that is mostly not
    Chinese (English) they are noise the model never saw, so such a text keeps only its age
    feature and is scored from the embedding alone, the route training prepared for by dropping
    whole n-gram bags (`ngram_route` says which route each text took).

    Args:
        featurizer: the n-gram featurizer.
        sentences: the pinned sentence encoder.
        min_cjk_share: texts whose letters are less CJK than this take the embedding-only route.
    """

    def __init__(
        self, featurizer: TfidfFeaturizer, sentences: Embedder, min_cjk_share: float
    ) -> None:
        self.featurizer = featurizer
        self.sentences = sentences
        self.min_cjk_share = min_cjk_share

    def ngram_route(self, texts: Sequence[str]) -> np.ndarray:
        """True where a text keeps its n-grams, False where only the embedding scores it."""
        return np.array([cjk_share(t) >= self.min_cjk_share for t in texts], dtype=bool)

    def __call__(
        self,
        texts: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
    ) -> dict[str, np.ndarray]:
        ids, weights = self.featurizer.transform(texts, buckets, grams)
        dropped = ~self.ngram_route(texts)
        if dropped.any():
            weights[dropped] *= ids[dropped] >= self.featurizer.age_offset_
        return {
            "ids": ids,
            "weights": weights,
            "dense": self.sentences.encode(texts) if dense is None else dense,
        }


class WordPieceEncoder:
    """Feeds for the BERT-style graph (input_ids, attention_mask); age goes in as a text prefix."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder

    def __call__(
        self,
        texts: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
    ) -> dict[str, np.ndarray]:
        prefixed = [with_age_prefix(t, b) for t, b in zip(texts, buckets, strict=True)]
        return self.encoder.encode(prefixed)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature, computed stably in float64."""
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return probabilities


def softmax_rows(logits: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
    """Row-wise softmax with one temperature per row."""
    return softmax(logits / np.asarray(temperatures, dtype=np.float64)[:, None])


BACKSTOP_RULE_ID = "learned_backstop"


@dataclass(frozen=True)
class _Read:
    """The backstop's inputs from the rules' mentions, one (features, masked text) per text."""

    inputs: list[tuple[np.ndarray | None, str | None]]

    def rows(self, start: int, end: int) -> np.ndarray | None:
        rows = [row for row, _ in self.inputs[start:end] if row is not None]
        return np.vstack(rows) if rows else None

    def masked(self, start: int, end: int) -> list[str] | None:
        texts = [text for _, text in self.inputs[start:end] if text is not None]
        return texts if texts else None


class UrgencyBackstop:
    """The learned emergency detector shipped beside the rules: P(emergency) per complaint.

    Args:
        encoder: its own char n-gram featurizer's feeds.
        model: the ONNX graph (ids, weights[, dense] -> one logit).
        threshold: P(emergency) at or above which it raises the level to ``emergency``.
        sentences: the multilingual sentence encoder whose embedding is the graph's ``dense``
            input, when the backstop was trained with one (it carries meaning past the exact
            characters: "吐了好几口血" is near "呕血").
        context: the rules' context features, appended to ``dense`` after the embedding, when
            the backstop was trained with them (they tell it which alarming words are negated,
            past, hypothetical, someone else's, idiomatic, already handled or chronic).
        mask: masks the alarm words the rules discount in the n-gram input, when the backstop
            was trained so (the embedding still reads the whole text).
        dialect: reads written Cantonese as Mandarin in the n-gram input (after the mask), when
            the backstop was trained so (urgency round 44; the embedding reads the text as typed).
    """

    def __init__(
        self,
        encoder: TfidfEncoder,
        model: OnnxModel,
        threshold: float,
        sentences: Embedder | None = None,
        context: ContextFeatures | None = None,
        mask: DiscountMask | None = None,
        dialect: NgramDialect | None = None,
    ) -> None:
        self.encoder = encoder
        self.model = model
        self.threshold = threshold
        self.sentences = sentences
        self.context = context
        self.mask = mask
        self.dialect = dialect

    @property
    def reads_mentions(self) -> bool:
        """Whether its inputs need the rules' judged mentions (context features or mask)."""
        return self.context is not None or self.mask is not None

    def from_assessment(
        self, assessment: Assessment, text: str
    ) -> tuple[np.ndarray | None, str | None]:
        """Its context-feature row and masked text from one ``keep_mentions`` assessment of the
        normalised ``text`` (each None when it reads none), so a caller assesses once."""
        row = self.context.of_assessment(assessment, text) if self.context is not None else None
        masked = self.mask.of_assessment(assessment, text) if self.mask is not None else None
        return row, masked

    @classmethod
    def from_bundle(
        cls,
        bundle: Bundle,
        entry: dict[str, Any],
        threads: int,
        sentences: SentenceEncoder | None = None,
        engine: UrgencyEngine | None = None,
    ) -> UrgencyBackstop:
        """Build it from the manifest's ``postprocessing.urgency.backstop`` entry; ``sentences``
        is the predictor's shared encoder when the entry names one, ``engine`` the bundle's rule
        engine (its table defines the context features' emergency concepts)."""
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
        if not entry.get("sentence_encoder"):
            sentences = None
        elif sentences is None:
            sentences = SentenceEncoder.from_manifest(entry["sentence_encoder"]).load()
        context, mask = None, None
        if (entry.get("context_features") or entry.get("mask")) and engine is None:
            raise ValueError("a backstop that reads mentions needs the bundle's rule engine")
        if entry.get("context_features") and engine is not None:
            context = ContextFeatures.from_manifest(entry["context_features"], engine)
        if entry.get("mask") and engine is not None:
            mask = DiscountMask.from_manifest(entry["mask"], engine)
        dialect = None
        if entry.get("dialect_ngrams"):
            # the table the backstop was trained with travels in the bundle (sha256-checked),
            # so a later edit of the packaged table never changes a shipped bundle's inputs
            described = entry["dialect_ngrams"]
            if described.get("version") != NGRAM_DIALECT_VERSION:
                raise ValueError(
                    f"backstop dialect_ngrams {described.get('version')!r} is not "
                    f"{NGRAM_DIALECT_VERSION}"
                )
            dialect = NgramDialect.from_json(bundle.read_json(str(described["table"])))
        return cls(TfidfEncoder(featurizer), model, threshold, sentences, context, mask, dialect)

    def gram_texts(
        self, normalised: Sequence[str], masked: Sequence[str] | None = None
    ) -> Sequence[str]:
        """What the n-grams read for normalised texts: the masked form (when trained with a
        mask), then the dialect rewrite (when trained with one); training reads the same."""
        grammed: Sequence[str] = normalised
        if self.mask is not None:
            grammed = self.mask(normalised) if masked is None else masked
        if self.dialect is not None:
            grammed = [self.dialect(text) for text in grammed]
        return grammed

    def feeds(
        self,
        normalised: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
        context: np.ndarray | None = None,
        masked: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        """The graph's inputs for normalised texts and age buckets (training's parity check
        feeds the same); ``dense``: their sentence embeddings, ``grams``: their n-gram keys,
        when the caller has them (the predictor shares both with the department model);
        ``context``, ``masked``: their context features and masked texts, when the caller
        already assessed them."""
        grammed = self.gram_texts(normalised, masked)
        if grams is not None and (self.mask is not None or self.dialect is not None):
            # a masked or rewritten text has n-grams of its own; an unchanged one keeps the
            # shared keys
            grams = [
                g if g.text == m else TextGrams(m) for g, m in zip(grams, grammed, strict=True)
            ]
        feeds = self.encoder(grammed, buckets, grams=grams)
        parts = []
        if self.sentences is not None:
            parts.append(self.sentences.encode(normalised) if dense is None else dense)
        if self.context is not None:
            parts.append(self.context(normalised) if context is None else context)
        if parts:
            feeds["dense"] = np.hstack(parts).astype(np.float32) if len(parts) > 1 else parts[0]
        return feeds

    def probabilities(
        self,
        normalised: Sequence[str],
        buckets: Sequence[str],
        dense: np.ndarray | None = None,
        grams: Sequence[TextGrams] | None = None,
        context: np.ndarray | None = None,
        masked: Sequence[str] | None = None,
    ) -> np.ndarray:
        """P(emergency) for normalised texts and age buckets (``dense``, ``grams``,
        ``context``, ``masked``: see `feeds`)."""
        if not normalised:
            return np.zeros(0)
        chunks = []
        for start in range(0, len(normalised), _CHUNK):
            end = start + _CHUNK
            feeds = self.feeds(
                normalised[start:end],
                buckets[start:end],
                None if dense is None else dense[start:end],
                None if grams is None else grams[start:end],
                None if context is None else context[start:end],
                None if masked is None else masked[start:end],
            )
            chunks.append(self.model.run(feeds)[0][:, 0])
        logits = (chunks[0] if len(chunks) == 1 else np.concatenate(chunks)).astype(np.float64)
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return probabilities


def _sentence_encoder(bundle: Bundle) -> SentenceEncoder | None:
    """The one sentence encoder the department model and the backstop share (the 65 MB table
    is loaded once and each text is embedded once for both)."""
    entries = [
        entry
        for entry in (
            bundle.manifest.preprocessing.get("sentence_encoder"),
            (bundle.manifest.postprocessing.get("urgency", {}).get("backstop") or {}).get(
                "sentence_encoder"
            ),
        )
        if entry
    ]
    if not entries:
        return None
    if any(entry != entries[0] for entry in entries):
        raise BundleError(f"bundle {bundle.path}: its models name different sentence encoders")
    return SentenceEncoder.from_manifest(entries[0]).load()


def _make_encoder(bundle: Bundle, sentences: SentenceEncoder | None) -> Encoder:
    preprocessing = bundle.manifest.preprocessing
    kind = preprocessing.get("kind")
    if kind in ("char_tfidf", "char_tfidf_sentence"):
        try:
            featurizer = TfidfFeaturizer.from_dict(bundle.read_json("vocab.json"))
        except (KeyError, ValueError, TypeError) as exc:
            raise BundleError(f"bundle {bundle.path}: vocab.json is unusable: {exc}") from exc
        if kind == "char_tfidf":
            return TfidfEncoder(featurizer)
        if sentences is None:
            raise BundleError(f"bundle {bundle.path}: preprocessing names no sentence encoder")
        return TfidfSentenceEncoder(featurizer, sentences, float(preprocessing["min_cjk_share"]))
    if kind == "wordpiece":
        return WordPieceEncoder(
            TextEncoder(bundle.file("tokenizer.json"), int(preprocessing["max_length"]))
        )
    raise BundleError(f"bundle {bundle.path}: unknown preprocessing kind {kind!r}")


@dataclass(frozen=True)
class _EvidenceRow:
    """One scored text's graph inputs (batch of one) and outputs, kept for its evidence."""

    feeds: dict[str, np.ndarray]
    logits: np.ndarray
    position_logits: np.ndarray | None


@dataclass(frozen=True)
class _Scored:
    """What one scoring pass gives `predict`: calibrated probabilities [N, labels], the
    backstop's P(emergency) [N] (zeros without one), which texts kept their n-grams, and the
    evidence rows (empty unless asked for)."""

    probabilities: np.ndarray
    emergency: np.ndarray
    routed: np.ndarray
    rows: list[_EvidenceRow]


@dataclass(frozen=True)
class RouteCalibration:
    """Temperature and abstain threshold of the embedding-only route (texts with too few CJK
    characters), fitted on English complaints: that route is less sure than the full model."""

    temperature: float
    abstain_threshold: float


class TriagePredictor(BundlePredictor):
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
        sentences: the sentence encoder the encoder and backstop share, when either uses one.
        embedding_route: calibration of the embedding-only route, when the encoder has one.
        department_map: the hospital's clinics over the labels (answers name clinics), if any.
        top_k: how many departments an answer lists by default (the manifest's `top_k`).
        abstain_label: what the doctor's page shows when the model abstains.
    """

    task = TASK
    request_model = TriageRequest

    @staticmethod
    def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
        return _compare_answers(expected, got)

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
        sentences: SentenceEncoder | None = None,
        embedding_route: RouteCalibration | None = None,
        department_map: DepartmentMap | None = None,
        top_k: int = TOP_K,
        abstain_label: str = ABSTAIN_LABEL,
    ) -> None:
        self.bundle = bundle
        self.encoder = encoder
        self.model = model
        self.labels = labels
        self.temperature = temperature
        self.abstain_threshold = abstain_threshold
        self.urgency = urgency
        self.backstop = backstop
        self.sentences = sentences
        self.embedding_route = embedding_route
        self.department_map = department_map
        self.top_k = top_k
        self.abstain_label = abstain_label

    @classmethod
    def _build(cls, bundle: Bundle, threads: int) -> TriagePredictor:
        """The predictor of a verified bundle (`from_bundle` is the entry point: it also
        replays the golden examples and applies the department map)."""
        manifest = bundle.manifest
        labels = bundle.read_json("labels.json")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise BundleError(f"bundle {bundle.path}: labels.json must be a list of strings")
        if "urgency" not in manifest.postprocessing:
            raise BundleError(
                f"bundle {bundle.path}: has no urgency table (postprocessing.urgency); it "
                "predates triage.urgency.v2: retrain it"
            )
        post = TriagePostprocessing.read(bundle, "postprocessing")
        urgency = UrgencyEngine.from_dict(bundle.read_json(post.urgency.table))
        sentences = _sentence_encoder(bundle)
        backstop = (
            UrgencyBackstop.from_bundle(bundle, post.urgency.backstop, threads, sentences, urgency)
            if post.urgency.backstop
            else None
        )
        route = post.embedding_route
        model = OnnxModel(bundle.file("model.onnx"), manifest.inputs, manifest.outputs, threads)
        predictor = cls(
            bundle,
            _make_encoder(bundle, sentences),
            model,
            labels,
            post.temperature,
            post.abstain_threshold,
            urgency,
            backstop,
            sentences,
            RouteCalibration(route.temperature, route.abstain_threshold) if route else None,
            top_k=post.top_k,
            abstain_label=post.abstain_label,
        )
        n_logits = predictor._logits(["x"], ["unknown"]).shape[1]
        if n_logits != len(labels):
            raise BundleError(
                f"bundle {bundle.path}: graph gives {n_logits} logits for {len(labels)} labels"
            )
        return predictor

    def _configure(self, department_map: str | Path | None = None, **options: Any) -> None:
        """After the self-test: the golden answers are in the model's own labels."""
        super()._configure(**options)
        if department_map is not None:
            self.department_map = load_department_map(department_map, self.labels)

    def headline_metrics(self) -> dict[str, Any]:
        """Test accuracy and the selective (abstaining) figures."""
        test = self.bundle.manifest.metrics.get("test", {})
        return {"test": test.get("overall"), "selective": test.get("selective")}

    def _logits(self, texts: Sequence[str], buckets: Sequence[str]) -> np.ndarray:
        chunks = []
        for start in range(0, len(texts), _CHUNK):
            feeds = self.encoder(texts[start : start + _CHUNK], buckets[start : start + _CHUNK])
            chunks.append(self.model.run(feeds, ["logits"])[0])
        return np.concatenate(chunks, axis=0)

    def _shares_grams(self, backstop: bool) -> bool:
        """Whether the department model and the backstop both read character n-grams (then a
        text's `TextGrams` are built once for both)."""
        return (
            backstop
            and self.backstop is not None
            and getattr(self.encoder, "featurizer", None) is not None
        )

    def _ngram_route(self, normalised: Sequence[str]) -> np.ndarray:
        route = getattr(self.encoder, "ngram_route", None)
        if route is None or self.embedding_route is None:
            return np.ones(len(normalised), dtype=bool)
        routed: np.ndarray = route(normalised)
        return routed

    def _scores(
        self,
        normalised: Sequence[str],
        buckets: Sequence[str],
        backstop: bool,
        evidence: bool = False,
        read: _Read | None = None,
    ) -> _Scored:
        """Score texts once: calibrated probabilities, the backstop's P(emergency) and, with
        `evidence`, what each row's phrases are worked out from (each text embedded once);
        ``read``: the backstop's inputs from the rules' mentions, when the caller has them."""
        routed = self._ngram_route(normalised)
        temperatures = np.where(
            routed,
            self.temperature,
            self.embedding_route.temperature if self.embedding_route else self.temperature,
        )
        names = ["logits"]
        if evidence and "position_logits" in self.model.output_names:
            names.append("position_logits")
        probabilities, emergency, rows = [], [], []
        for start in range(0, len(normalised), _CHUNK):
            end = start + _CHUNK
            texts, chunk_buckets = normalised[start:end], buckets[start:end]
            dense = self.sentences.encode(texts) if self.sentences is not None else None
            # one enumeration of each text's n-grams for both n-gram models
            grams = [TextGrams(text) for text in texts] if self._shares_grams(backstop) else None
            feeds = self.encoder(texts, chunk_buckets, dense, grams)
            outputs = self.model.run(feeds, names)
            probabilities.append(softmax_rows(outputs[0], temperatures[start:end]))
            if backstop and self.backstop is not None:
                emergency.append(
                    self.backstop.probabilities(
                        texts,
                        chunk_buckets,
                        dense,
                        grams,
                        None if read is None else read.rows(start, end),
                        None if read is None else read.masked(start, end),
                    )
                )
            if evidence:
                rows += [
                    _EvidenceRow(
                        {name: value[i : i + 1] for name, value in feeds.items()},
                        outputs[0][i],
                        outputs[1][i] if len(outputs) > 1 else None,
                    )
                    for i in range(len(texts))
                ]
        return _Scored(
            np.concatenate(probabilities, axis=0),
            np.concatenate(emergency) if emergency else np.zeros(len(normalised)),
            routed,
            rows,
        )

    def predict_proba(self, texts: Sequence[str], ages: Sequence[int | None]) -> np.ndarray:
        """Calibrated department probabilities [N, n_labels] for raw texts and ages in years."""
        return self.proba_for_buckets([normalise(t) for t in texts], [age_bucket(a) for a in ages])

    def proba_for_buckets(self, normalised: Sequence[str], buckets: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities for already-normalised texts and age buckets (evaluation data
        carries decade buckets, not ages in years)."""
        if not normalised:
            return np.zeros((0, len(self.labels)))
        return self._scores(normalised, buckets, backstop=False).probabilities

    def predict(
        self,
        requests: Sequence[TriageRequest],
        top_k: int | None = None,
        evidence: EvidenceMode = "none",
    ) -> list[TriageResult]:
        """Answer a batch of consultations, in order.

        Args:
            requests: validated requests.
            top_k: how many departments to return, most probable first (default: the
                bundle's `top_k`).
            evidence: "ngram" adds the phrases whose character n-grams pushed the top
                department most (cheap: one more graph output); "full" also leaves each clause
                out of the sentence embedding to see which ones it rests on (one more embedding
                per clause); "auto" does that only where the n-grams show nothing (a text on
                the embedding-only route, English), so every suggestion carries its phrases and
                Chinese complaints pay only for "ngram".
        """
        if not requests:
            return []
        top_k = self.top_k if top_k is None else top_k
        normalised = [normalise_with_offsets(r.text) for r in requests]
        texts = [n.text for n in normalised]
        buckets = [age_bucket(r.age) for r in requests]
        assessments, read = self._assess(requests, normalised)
        scored = self._scores(texts, buckets, backstop=True, evidence=evidence != "none", read=read)
        raised = (
            scored.emergency >= self.backstop.threshold
            if self.backstop is not None
            else np.zeros(len(requests), dtype=bool)
        )
        # each text is held to its route's abstain threshold
        thresholds = np.where(
            scored.routed,
            self.abstain_threshold,
            self.embedding_route.abstain_threshold if self.embedding_route else 0.0,
        )
        return [
            self._result(
                request,
                text,
                scored,
                index,
                bool(raised[index]),
                float(thresholds[index]),
                top_k,
                evidence,
                assessments[index],
            )
            for index, (request, text) in enumerate(zip(requests, normalised, strict=True))
        ]

    def _assess(
        self, requests: Sequence[TriageRequest], normalised: Sequence[NormalisedText]
    ) -> tuple[list[Assessment | None], _Read | None]:
        """The rules' assessment of each request, made once, and the backstop's inputs from its
        mentions, when the backstop reads them (else the assessment is made in ``_urgency``)."""
        if self.backstop is None or not self.backstop.reads_mentions:
            return [None] * len(requests), None
        assessments = [
            self.urgency.assess(r.text, r.age, r.sex, normalised=n, keep_mentions=True)
            for r, n in zip(requests, normalised, strict=True)
        ]
        inputs = [
            self.backstop.from_assessment(a, n.text)
            for a, n in zip(assessments, normalised, strict=True)
        ]
        return list(assessments), _Read(inputs)

    def _result(
        self,
        request: TriageRequest,
        text: NormalisedText,
        scored: _Scored,
        index: int,
        backstop_fired: bool,
        abstain_below: float,
        top_k: int,
        evidence: EvidenceMode,
        assessment: Assessment | None = None,
    ) -> TriageResult:
        """One request's answer from the batch's scores (row `index`); ``assessment``: the
        rules' answer when ``predict`` already made it."""
        row = scored.probabilities[index]
        order = np.argsort(-row, kind="stable")[:top_k]
        phrases = (
            self._evidence(text, scored.rows[index], int(order[0]), evidence) if scored.rows else []
        )
        level, rule_ids, reasons = self._urgency(request, text, backstop_fired, assessment)
        return TriageResult(
            id=request.id,
            departments=self._departments(row, order, request.age),
            abstain=bool(row[order[0]] < abstain_below),
            triage_level=level,
            urgency="emergency" if level in EMERGENCY_LEVELS else "routine",
            red_flags=rule_ids,
            reasons=reasons,
            model=self.model_ref,
            department_map=self.department_map.version if self.department_map else None,
            evidence=phrases,
        )

    def _evidence(
        self, text: NormalisedText, row: _EvidenceRow, label: int, mode: EvidenceMode
    ) -> list[Evidence]:
        """The phrases that pushed department `label`: n-gram contributions spread over the
        characters they cover, then ("full", or "auto" when those are none) clauses whose
        removal lowers the embedding's contribution."""
        found: list[Evidence] = []
        featurizer = getattr(self.encoder, "featurizer", None)
        if featurizer is not None and row.position_logits is not None:
            scores = np.zeros(len(text.text))
            spans = featurizer.column_spans(text.text)
            positions = row.position_logits[:, label]
            for column, value in zip(row.feeds["ids"][0], positions, strict=True):
                occurrences = spans.get(int(column), []) if value > 0 else []
                for start, end in occurrences:
                    scores[start:end] += value / len(occurrences) / (end - start)
            found += _phrases(text, scores, "ngram")
        if "dense" in row.feeds and (mode == "full" or (mode == "auto" and not found)):
            found += self._occlusion(text, row, label)
        return found

    def _occlusion(self, text: NormalisedText, row: _EvidenceRow, label: int) -> list[Evidence]:
        clauses = sorted(
            (m.span() for m in _CLAUSE.finditer(text.text)), key=lambda s: s[0] - s[1]
        )[:_MAX_OCCLUDED_CLAUSES]
        if len(clauses) < 2:  # leaving out the only clause leaves nothing to compare
            return []
        assert self.sentences is not None
        variants = [text.text[:start] + text.text[end:] for start, end in clauses]
        dense = self.sentences.encode(variants)
        feeds = {name: np.repeat(value, len(variants), axis=0) for name, value in row.feeds.items()}
        feeds["dense"] = dense
        without = self.model.run(feeds, ["logits"])[0][:, label]
        scores = np.zeros(len(text.text))
        for (start, end), drop in zip(clauses, row.logits[label] - without, strict=True):
            if drop > 0:
                scores[start:end] = drop / (end - start)
        return _phrases(text, scores, "sentence")

    def _departments(
        self, row: np.ndarray, order: np.ndarray, age: int | None
    ) -> list[DepartmentScore]:
        if self.department_map is None:
            return [
                DepartmentScore(name=self.labels[i], probability=round(float(row[i]), 6))
                for i in order
            ]
        clinics = self.department_map.clinic_probabilities(self.labels, row, age)
        return [
            DepartmentScore(name=clinic, probability=round(total, 6), model_labels=members)
            for clinic, total, members in clinics[: len(order)]
        ]

    def _urgency(
        self,
        request: TriageRequest,
        text: NormalisedText,
        backstop_fired: bool,
        assessment: Assessment | None = None,
    ) -> tuple[Any, list[str], list[UrgencyReason]]:
        """Rules first; the backstop may raise a non-emergency answer to ``emergency``."""
        if assessment is None:
            assessment = self.urgency.assess(
                request.text, request.age, request.sex, normalised=text
            )
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


def _phrases(text: NormalisedText, scores: np.ndarray, source: str) -> list[Evidence]:
    """The strongest runs of characters (score >= a share of the strongest), as spans of the
    typed text, strongest first."""
    if not len(scores) or scores.max() <= 0:
        return []
    strong = scores >= _EVIDENCE_FLOOR * scores.max()
    runs, start = [], None
    for index, flag in enumerate([*strong, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index))
            start = None
    runs.sort(key=lambda span: -scores[span[0] : span[1]].sum())
    found = []
    for start, end in runs[:EVIDENCE_PHRASES]:
        # a phrase starts and ends on a letter or digit ("硬块，" -> "硬块")
        while start < end and not text.text[start].isalnum():
            start += 1
        while end > start and not text.text[end - 1].isalnum():
            end -= 1
        if start == end:
            continue
        original_start, original_end = text.original_span(start, end)
        found.append(
            Evidence(
                start=original_start,
                end=original_end,
                text=text.original[original_start:original_end],
                weight=round(float(scores[start:end].sum()), 4),
                source=source,  # type: ignore[arg-type]
            )
        )
    return found


def _compare_answers(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
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
