"""PrescriptionPredictor: loads a prescription bundle (tables + ONNX model) and checks requests."""

from __future__ import annotations

import csv
import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from prescription.checker import AlertPolicy, PrescriptionChecker
from prescription.clinical import ClinicalRules
from prescription.kb import InteractionKB
from prescription.manifest import PrescriptionPostprocessing
from prescription.model import PairScorer
from prescription.resolver import (
    ABBREVIATIONS_FILE,
    PINYIN_FILE,
    DrugResolver,
    Syllables,
    load_abbreviations,
    load_characters,
)
from prescription.schema import CheckRequest, CheckResult
from runtime.bundle import Bundle
from runtime.errors import BundleError
from runtime.onnx import OnnxModel
from runtime.predictor import BundlePredictor
from runtime.schema import ModelRef

logger = logging.getLogger(__name__)

TASK = "prescription"
SELF_TEST_ATOL = 1e-3


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while ~400,000 table rows become objects (loads ~30% faster), then
    freeze them: later collections skip these long-lived tables, which keeps p99 latency flat."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _abbreviations(bundle: Bundle) -> dict[str, tuple[tuple[str, ...], str, str]] | None:
    """The bundle's curated abbreviations; None (the package's copy) for a bundle built before
    they shipped, with a warning."""
    if bundle.has_file(ABBREVIATIONS_FILE):
        return load_abbreviations(bundle.file(ABBREVIATIONS_FILE))
    logger.warning(
        "bundle %s has no %s: using the package's abbreviations", bundle.version, ABBREVIATIONS_FILE
    )
    return None


def _characters(bundle: Bundle) -> tuple[Syllables | None, dict[str, str] | None]:
    """Round 16: the bundle's character -> pinyin and traditional -> simplified tables; None (no
    reading by sound, no folding) for a bundle built before they shipped."""
    if not bundle.has_file(PINYIN_FILE):
        return None, None
    return load_characters(bundle.file(PINYIN_FILE))


def _read_atc(path: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    atc: dict[str, tuple[str, ...]] = {}
    display: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            display[row["drug"]] = row["display"]
            if row["atc"]:
                atc[row["drug"]] = tuple(row["atc"].split("|"))
    return atc, display


class PrescriptionPredictor(BundlePredictor):
    """One prescription bundle, ready to check requests.

    Args:
        bundle: the verified bundle.
        checker: the checker built from its tables and model.
    """

    task = TASK
    request_model = CheckRequest

    def __init__(self, bundle: Bundle, checker: PrescriptionChecker) -> None:
        self.bundle = bundle
        self.checker = checker

    @classmethod
    def _build(cls, bundle: Bundle, threads: int) -> PrescriptionPredictor:
        """The predictor of a verified bundle (`from_bundle` is the entry point)."""
        post = PrescriptionPostprocessing.read(bundle, "postprocessing")
        try:
            with _gc_paused():
                atc, display = _read_atc(bundle.file("drugs.csv"))
                kb = InteractionKB.from_tables(bundle.path, display)
                resolver = DrugResolver.from_table(
                    bundle.file("aliases.csv"), _abbreviations(bundle), *_characters(bundle)
                )
                rules = ClinicalRules.from_folder(bundle.path, atc)
                index, novelty = PairScorer.read_drugs(bundle.file("model_drugs.csv"))
        except csv.Error as exc:
            raise BundleError(f"bundle {bundle.path}: unusable table: {exc!r}") from exc
        model = OnnxModel(
            bundle.file("model.onnx"), bundle.manifest.inputs, bundle.manifest.outputs, threads
        )
        scorer = PairScorer(model, index, novelty, post.novelty_threshold)
        policy = AlertPolicy(
            suppress=frozenset(post.suppress),
            model_alert_threshold=post.model_alert_threshold,
            min_interaction_level=post.min_interaction_level,
        )
        ref = ModelRef(name=bundle.manifest.name, version=bundle.version)
        return cls(bundle, PrescriptionChecker(resolver, kb, rules, scorer, atc, policy, ref))

    def _configure(self, suppress: Sequence[str] = (), **options: Any) -> None:
        """Extra alert keys to silence, after the self-test: golden answers were recorded under
        the bundle's own policy (whose list always applies)."""
        super()._configure(**options)
        if suppress:
            policy = self.checker.policy
            self.checker.policy = replace(policy, suppress=policy.suppress | frozenset(suppress))

    @property
    def model_ref(self) -> ModelRef:
        """The name and version every answer carries."""
        return self.checker.model_ref

    def headline_metrics(self) -> dict[str, Any]:
        """The learned model's macro-F1, major recall and AUROC per held-out split."""
        splits = self.bundle.manifest.metrics.get("splits", {})
        return {
            name: {
                k: v
                for k, v in split["model"].items()
                if k in ("macro_f1", "major_recall", "auroc")
            }
            for name, split in splits.items()
        }

    def predict(self, requests: Sequence[CheckRequest]) -> list[CheckResult]:
        """Check a batch of prescriptions, in order."""
        return [self.checker.check(request) for request in requests]

    @staticmethod
    def _compare(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
        return compare_results(expected, got)


def compare_results(expected: dict[str, Any], got: dict[str, Any]) -> str | None:
    """Difference between a recorded and a fresh answer (model probabilities to 1e-3)."""
    expected_alerts = [
        (a["type"], a["severity"], a["drugs"], a["interruptive"]) for a in expected["alerts"]
    ]
    got_alerts = [(a["type"], a["severity"], a["drugs"], a["interruptive"]) for a in got["alerts"]]
    if expected_alerts != got_alerts:
        return f"alerts are {got_alerts}, expected {expected_alerts}"
    if expected["unresolved"] != got["unresolved"]:
        return f"unresolved is {got['unresolved']}, expected {expected['unresolved']}"
    for want, have in zip(expected["pairs"], got["pairs"], strict=False):
        if (want["drugs"], want["known_level"], want["predicted_level"]) != (
            have["drugs"],
            have["known_level"],
            have["predicted_level"],
        ):
            return f"pair {want['drugs']} is {have}, expected {want}"
        if (want["p_interaction"] is None) != (have["p_interaction"] is None) or (
            want["p_interaction"] is not None
            and abs(want["p_interaction"] - have["p_interaction"]) > SELF_TEST_ATOL
        ):
            return (
                f"pair {want['drugs']} p_interaction {have['p_interaction']}, "
                f"expected {want['p_interaction']}"
            )
    if len(expected["pairs"]) != len(got["pairs"]):
        return f"{len(got['pairs'])} pairs, expected {len(expected['pairs'])}"
    return None
