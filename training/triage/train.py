"""`python -m training train triage`: fit every configured family on the same split, export each to
ONNX with a parity check, calibrate, evaluate, write a bundle per family, log it all to MLflow and
register the deployed family as `triage@candidate`.

Steps, top to bottom: data -> features -> for each family (fit, export, parity, calibrate,
evaluate, bundle, latency, log) -> pick the deployed family -> register -> summary.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runtime.bundle import Bundle
from runtime.onnx import OnnxModel
from runtime.timing import latency_ms
from training.config import TriageConfig, resolve_data_dir
from training.export import check_parity_by_output, save_and_open
from training.pipeline import (
    BundleDraft,
    Golden,
    RunSummary,
    TaskTraining,
    build_bundle,
    finish_run,
    log_bundle,
    new_run,
    register_candidate,
    timed_reload,
)
from training.seeds import set_seeds
from training.tracking import Tracker
from training.triage.card import render_triage_card
from training.triage.data import (
    TriageData,
    describe_triage_data,
    load_departments,
    load_triage_data,
)
from training.triage.evaluate import (
    calibrate,
    evaluate,
    plot_confusion,
    plot_reliability,
)
from training.triage.families import ARCHITECTURES
from training.triage.golden import GOLDEN_REQUESTS
from training.triage.promotion import promotion_metrics
from training.triage.shift import evaluate_shift
from training.triage.tfidf import fit_featurizer
from training.triage.trained import Trained
from training.triage.urgency import TABLE_FILE, Backstop, fit_backstop
from triage.features import TfidfFeaturizer
from triage.manifest import TriagePostprocessing, UrgencySection
from triage.predictor import ABSTAIN_LABEL, TASK, TOP_K, TriagePredictor, softmax
from triage.schema import TriageRequest
from triage.urgency import UrgencyEngine

logger = logging.getLogger(__name__)

_PARITY_BATCH = 25


@dataclass
class FamilyResult:
    """What one family produced: its bundle and the figures used to compare families."""

    architecture: str
    bundle: Bundle
    validation: dict[str, Any]
    test: dict[str, Any]
    latency: dict[str, float]
    model_uri: str
    run_id: str
    load_seconds: float  # the timed reload of its final bundle, as serving loads it


def _logits(trained: Trained, model: OnnxModel, texts: list[str], buckets: list[str]) -> np.ndarray:
    chunks = [
        model.run(trained.encoder(texts[i : i + 64], buckets[i : i + 64]), ["logits"])[0]
        for i in range(0, len(texts), 64)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


def _examples(predictor: TriagePredictor) -> str:
    requests = [TriageRequest.model_validate(r) for r in GOLDEN_REQUESTS]
    lines = []
    for request, result in zip(requests, predictor.predict(requests), strict=True):
        expected = result.model_dump(exclude={"id", "model"})
        lines.append(
            json.dumps(
                {"request": request.model_dump(exclude_none=True), "expected": expected},
                ensure_ascii=False,
            )
        )
    return "\n".join(lines) + "\n"


def _golden(config: TriageConfig) -> Callable[[TriagePredictor], Golden]:
    """Golden answers and the shift sets' figures, both from the staged bundle."""

    def record(predictor: TriagePredictor) -> Golden:
        shift = evaluate_shift(predictor, resolve_data_dir(config.data.data_dir))
        return Golden(_examples(predictor), {"shift": shift})

    return record


@dataclass
class Calibrated:
    """A family's calibration (fitted on validation) and its evaluation on both splits."""

    temperature: float
    threshold: float
    validation: dict[str, Any]
    test: dict[str, Any]
    test_probabilities: np.ndarray
    y_test: np.ndarray
    uncalibrated_ece: float


def _parity(
    trained: Trained, model: OnnxModel, data: TriageData, config: TriageConfig
) -> dict[str, float]:
    """ONNX vs the original model on the first validation examples: every output of the graph
    compared (the evidence outputs too); returns each output's largest difference."""
    validation = data.part("validation")
    texts, buckets = list(validation["text"]), list(validation["age_bucket"])
    n = min(config.export.parity_examples, len(texts))
    feeds = [
        trained.encoder(
            texts[i : min(i + _PARITY_BATCH, n)], buckets[i : min(i + _PARITY_BATCH, n)]
        )
        for i in range(0, n, _PARITY_BATCH)
    ]
    return check_parity_by_output(trained.reference, model, feeds, config.export.parity_atol)


def _calibrate_and_evaluate(
    trained: Trained, model: OnnxModel, data: TriageData, config: TriageConfig
) -> Calibrated:
    """Temperature and abstain threshold from validation; metrics on validation and test."""
    validation, test = data.part("validation"), data.part("test")
    y_val = np.searchsorted(data.labels, validation["department"])
    y_test = np.searchsorted(data.labels, test["department"])
    val_logits = _logits(trained, model, list(validation["text"]), list(validation["age_bucket"]))
    test_logits = _logits(trained, model, list(test["text"]), list(test["age_bucket"]))
    temperature, threshold, val_probabilities = calibrate(
        val_logits,
        y_val,
        config.calibration.target_selective_accuracy,
        config.calibration.max_abstain_rate,
    )
    test_probabilities = softmax(test_logits, temperature)
    test_buckets = list(test["age_bucket"])
    test_lengths = [len(t) for t in test["raw_text"]]
    val_metrics = evaluate(
        val_probabilities,
        y_val,
        data.labels,
        list(validation["age_bucket"]),
        [len(t) for t in validation["raw_text"]],
        threshold,
    )
    test_metrics = evaluate(
        test_probabilities, y_test, data.labels, test_buckets, test_lengths, threshold
    )
    uncalibrated = evaluate(
        softmax(test_logits), y_test, data.labels, test_buckets, [1] * len(test), threshold
    )
    return Calibrated(
        temperature,
        threshold,
        val_metrics,
        test_metrics,
        test_probabilities,
        y_test,
        uncalibrated["overall"]["ece"],
    )


def _draft(
    trained: Trained,
    config: TriageConfig,
    data: TriageData,
    version: str,
    onnx_path: Path,
    calibrated: Calibrated,
    parity: dict[str, float],
    urgency: tuple[UrgencyEngine, Backstop | None],
) -> BundleDraft:
    """The family's bundle before its golden examples and card."""
    engine, backstop = urgency
    postprocessing = TriagePostprocessing(
        temperature=calibrated.temperature,
        abstain_threshold=calibrated.threshold,
        **trained.postprocessing,
        top_k=TOP_K,
        abstain_label=ABSTAIN_LABEL,
        urgency=UrgencySection(
            table=TABLE_FILE,
            version=engine.version,
            backstop=backstop.postprocessing if backstop else None,
        ),
    )
    return BundleDraft(
        task=TASK,
        name=config.tracking.registered_model,
        architecture=trained.architecture,
        version=version,
        training_config=config.model_dump(mode="json"),
        data={
            "source": data.source,
            "files": data.files,
            "sha256": data.sha256,
            "rows": data.frame["split"].value_counts().to_dict(),
            "unlabeled_rows": len(data.unlabeled),
        },
        onnx_path=onnx_path,
        preprocessing=trained.preprocessing,
        postprocessing=postprocessing.to_manifest(),
        metrics={
            "validation": {k: calibrated.validation[k] for k in ("overall", "selective", "slices")},
            "test": {
                k: calibrated.test[k] for k in ("overall", "selective", "slices", "per_department")
            },
            **_parity_metrics(parity),
            "urgency_backstop": backstop.metrics if backstop else None,
            "test_ece_uncalibrated": calibrated.uncalibrated_ece,
            "train_seconds": trained.train_seconds,
            **trained.extra_metrics,
        },
        files={
            "model.onnx": onnx_path,
            "labels.json": json.dumps(data.labels, ensure_ascii=False, indent=1),
            TABLE_FILE: json.dumps(engine.to_dict(), ensure_ascii=False, indent=1),
            **(backstop.files if backstop else {}),
            **trained.files,
        },
        opset=str(config.export.opset),
    )


def _log_family(
    tracker: Tracker,
    trained: Trained,
    family_dir: Path,
    calibrated: Calibrated,
    figures: dict[str, Any],
    english: dict[str, str],
    labels: list[str],
) -> None:
    """The family's metrics and plots in its (nested) MLflow run."""
    val, test = calibrated.validation, calibrated.test
    tracker.log_params({"architecture": trained.architecture, **trained.params})
    tracker.log_metrics(
        {
            "val": val["overall"] | val["selective"],
            "test": test["overall"] | test["selective"],
            "test_slice": test["slices"],
            "test_dept": {
                english.get(name, name).replace(" ", "_"): {
                    "precision": v["precision"],
                    "recall": v["recall"],
                }
                for name, v in test["per_department"].items()
            },
            "temperature": calibrated.temperature,
            "train_seconds": trained.train_seconds,
            "test_ece_uncalibrated": calibrated.uncalibrated_ece,
            "family": trained.extra_metrics,
            **figures,
        }
    )
    short = trained.architecture.split(".")[1]
    plot_confusion(
        np.array(test["confusion"]),
        [english.get(name, name) for name in labels],
        family_dir / "confusion_matrix.png",
        f"{short} test",
    )
    plot_reliability(
        calibrated.test_probabilities,
        calibrated.y_test,
        family_dir / "reliability_diagram.png",
        f"{short} test (calibrated)",
    )
    tracker.log_artifact(family_dir / "confusion_matrix.png", "plots")
    tracker.log_artifact(family_dir / "reliability_diagram.png", "plots")
    tracker.log_dict({"validation": val, "test": test}, "metrics.json")


def _parity_metrics(parity: dict[str, float]) -> dict[str, Any]:
    """The largest difference over all outputs (the figure every task reports) and each
    output's own."""
    return {
        "parity_max_abs_diff": max(parity.values(), default=0.0),
        "parity_max_abs_diff_by_output": parity,
    }


def _train_family(
    trained: Trained,
    config: TriageConfig,
    data: TriageData,
    version: str,
    family_dir: Path,
    tracker: Tracker,
    english: dict[str, str],
    urgency: tuple[UrgencyEngine, Backstop | None],
) -> FamilyResult:
    """Export, check, calibrate, evaluate, bundle and log one fitted family."""
    family_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = family_dir / "model.onnx"
    model, _ = save_and_open(trained.onnx_model, onnx_path)
    parity = _parity(trained, model, data, config)
    calibrated = _calibrate_and_evaluate(trained, model, data, config)
    draft = _draft(trained, config, data, version, onnx_path, calibrated, parity, urgency)
    card = _card(calibrated, data, english)
    bundle = build_bundle(draft, family_dir / "bundle", _golden(config), card)
    predictor, load_seconds = timed_reload(bundle)
    latency = _latency(predictor, data, config)
    short = trained.architecture.split(".")[1]
    with tracker.run(
        config.tracking.experiment, short, nested=True, tags={"architecture": trained.architecture}
    ) as run_id:
        figures = {
            "latency_single": latency,
            **_parity_metrics(parity),
            "shift": bundle.manifest.metrics.get("shift"),
        }
        _log_family(tracker, trained, family_dir, calibrated, figures, english, data.labels)
        model_uri = log_bundle(tracker, bundle)
    if trained.save_eager is not None:
        trained.save_eager(family_dir / "eager")
    logger.info(
        "%s: val acc %.4f top3 %.4f | test acc %.4f top3 %.4f | p99 %.2f ms",
        trained.architecture,
        calibrated.validation["overall"]["accuracy"],
        calibrated.validation["overall"]["top3_accuracy"],
        calibrated.test["overall"]["accuracy"],
        calibrated.test["overall"]["top3_accuracy"],
        latency["p99_ms"],
    )
    return FamilyResult(
        trained.architecture,
        bundle,
        calibrated.validation,
        calibrated.test,
        latency,
        model_uri,
        run_id,
        load_seconds,
    )


def _card(
    calibrated: Calibrated, data: TriageData, english: dict[str, str]
) -> Callable[[dict[str, Any]], str]:
    """The family's model card from its manifest."""

    def card(manifest: dict[str, Any]) -> str:
        # the card shows every figure (confusion matrices included), the manifest a summary
        full = {"validation": calibrated.validation, "test": calibrated.test}
        return render_triage_card(
            {**manifest, "metrics": {**manifest["metrics"], **full}}, data, english
        )

    return card


def _latency(
    predictor: TriagePredictor, data: TriageData, config: TriageConfig
) -> dict[str, float]:
    """Single-request latency of the reloaded bundle on the first validation texts."""
    validation_texts = list(data.part("validation")["raw_text"])
    requests = [
        TriageRequest(id=str(i), text=t, age=None)
        for i, t in enumerate(validation_texts[: config.deploy.latency_requests])
    ]
    return latency_ms(lambda r: predictor.predict([r]), requests)


def choose_deployed(results: list[FamilyResult], max_p99_ms: float) -> tuple[FamilyResult, str]:
    """Best validation accuracy among families within the latency budget (all, if none is)."""
    if len(results) == 1:
        only = results[0]
        return only, (
            f"{only.architecture}: the one family this run trains (config `families`; "
            f"`make run-compare` compares all); validation accuracy "
            f"{only.validation['overall']['accuracy']:.4f}, p99 {only.latency['p99_ms']:.2f} ms"
        )
    fast = [r for r in results if r.latency["p99_ms"] <= max_p99_ms]
    pool = fast or results
    best = max(pool, key=lambda r: (r.validation["overall"]["accuracy"], -r.latency["p99_ms"]))
    reason = (
        f"{best.architecture}: highest validation accuracy "
        f"({best.validation['overall']['accuracy']:.4f}) among families with single-request p99 <= "
        f"{max_p99_ms} ms"
        if fast
        else f"{best.architecture}: no family met p99 <= {max_p99_ms} ms; took the most accurate"
    )
    return best, reason


def _log_inputs(
    tracker: Tracker,
    config: TriageConfig,
    config_source: str,
    data: TriageData,
    urgency: tuple[UrgencyEngine, Backstop | None],
) -> None:
    """The parent run's params, the config, and the doctors' feedback as datasets."""
    engine, backstop = urgency
    tracker.log_params(
        {
            "config_file": config_source,
            "data_source": data.source,
            "data_sha256": data.sha256,
            "data_files": ",".join(data.files),
            "rows": data.frame["split"].value_counts().to_dict(),
            "features": config.features.model_dump(),
            "seed": config.seed,
            "urgency_table": engine.version,
        }
    )
    if backstop is not None:
        tracker.log_metrics({"urgency_backstop": backstop.metrics})
    tracker.log_dict(config.model_dump(mode="json"), "config.json")
    origins = data.frame["origin"].astype(str)
    for origin in sorted(set(origins)):
        rows = data.frame[origins == origin]
        if origin.startswith("feedback:"):
            # doctors' corrections are a data source of their own, reviewable in MLflow
            source = next(f for f in data.files if f.endswith(origin.split(":", 1)[1]))
            tracker.log_dataset(rows[["id", "raw_text", "department"]], source, origin)
            tracker.log_metrics({f"rows.{origin}": float(len(rows))})


def _comparison(results: list[FamilyResult]) -> list[dict[str, Any]]:
    """One row per family: the figures families are compared on."""
    return [
        {
            "architecture": r.architecture,
            "val_accuracy": r.validation["overall"]["accuracy"],
            "val_macro_f1": r.validation["overall"]["macro_f1"],
            "val_top3": r.validation["overall"]["top3_accuracy"],
            "test_accuracy": r.test["overall"]["accuracy"],
            "test_macro_f1": r.test["overall"]["macro_f1"],
            "test_top3": r.test["overall"]["top3_accuracy"],
            "test_ece": r.test["overall"]["ece"],
            "shift": {
                name: {k: m[k] for k in ("accuracy", "top3_accuracy", "ece")}
                for name, m in r.bundle.manifest.metrics.get("shift", {}).items()
            },
            "p99_ms": r.latency["p99_ms"],
            "bundle": str(r.bundle.path),
        }
        for r in results
    ]


def _fit_urgency(
    config: TriageConfig, data: TriageData, run_dir: Path
) -> tuple[UrgencyEngine, Backstop | None]:
    """The rule engine every family ships, and the learned backstop when enabled."""
    engine = UrgencyEngine.default()
    if not config.urgency.enabled:
        return engine, None
    return engine, fit_backstop(config.urgency, config, data, engine, run_dir)


def _featurizer(config: TriageConfig, data: TriageData) -> TfidfFeaturizer | None:
    """The n-gram featurizer the TF-IDF families share (None when only BERT is trained)."""
    if all(m.architecture == "triage.bert_classifier.v1" for m in config.trained_models()):
        return None
    texts = list(data.part("train")["text"])
    if config.features.fit_on_unlabeled:
        texts += list(data.unlabeled["text"])
    return fit_featurizer(config, texts)


def train_triage(config: TriageConfig, tracker: Tracker, config_source: str) -> dict[str, Any]:
    """Run the whole triage pipeline; returns the run summary (also written to summary.json)."""
    started = time.perf_counter()
    set_seeds(config.seed)
    data = load_triage_data(config.data)
    english = {d["name"]: d.get("name_en", d["name"]) for d in load_departments(config.data, None)}
    version, run_dir = new_run(config.output_dir)
    featurizer = _featurizer(config, data)
    urgency = _fit_urgency(config, data, run_dir)
    results: list[FamilyResult] = []
    with tracker.run(
        config.tracking.experiment, f"triage-{version}", tags={"bundle_version": version}
    ) as parent_id:
        _log_inputs(tracker, config, config_source, data, urgency)
        for model_config in config.trained_models():
            logger.info("training %s", model_config.architecture)
            trained = ARCHITECTURES[model_config.architecture](
                model_config, config, data, featurizer
            )
            family_dir = run_dir / model_config.architecture.split(".")[1]
            results.append(
                _train_family(trained, config, data, version, family_dir, tracker, english, urgency)
            )
        deployed, reason = choose_deployed(results, config.deploy.max_latency_p99_ms)
        comparison = _comparison(results)
        tracker.log_dict(
            {"families": comparison, "deployed": deployed.architecture, "reason": reason},
            "comparison.json",
        )
        tracker.set_tags({"deployed_architecture": deployed.architecture})
        registered = register_candidate(
            tracker,
            deployed.model_uri,
            config.tracking.registered_model,
            deployed.bundle,
            tags={
                "architecture": deployed.architecture,
                "test_accuracy": f"{deployed.test['overall']['accuracy']:.4f}",
                "run_id": deployed.run_id,
            },
        )
    logger.info("deployed %s", reason)
    summary = RunSummary(
        task=TASK,
        bundle_version=version,
        run_dir=str(run_dir),
        bundle=str(deployed.bundle.path),
        architecture=deployed.architecture,
        deployed_reason=reason,
        mlflow_run_id=parent_id,
        registered=registered,
        data_source=data.source,
        train_seconds=time.perf_counter() - started,
        bundle_load_seconds=deployed.load_seconds,
        details={"data_sha256": data.sha256, "families": comparison},
    )
    return finish_run(config.output_dir, summary)


TASK_TRAINING = TaskTraining(
    train=train_triage, promotion_metrics=promotion_metrics, describe_data=describe_triage_data
)
