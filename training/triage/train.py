"""`python -m training train triage`: fit every configured family on the same split, export each to
ONNX with a parity check, calibrate, evaluate, write a bundle per family, log it all to MLflow and
register the deployed family as `triage@candidate`.

Steps, top to bottom: data -> features -> for each family (fit, export, parity, calibrate,
evaluate, bundle, latency, log) -> pick the deployed family -> register -> summary.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runtime.bundle import Bundle, write_bundle
from runtime.onnx import OnnxModel
from runtime.timing import latency_ms
from training.card import render_card, table
from training.config import TriageConfig, resolve_data_dir
from training.export import (
    check_parity,
    git_commit,
    new_bundle_version,
    save_and_open,
    utc_now,
)
from training.tracking import Tracker
from training.triage.data import TriageData, load_departments, load_triage_data
from training.triage.evaluate import (
    calibrate,
    evaluate,
    plot_confusion,
    plot_reliability,
)
from training.triage.families import ARCHITECTURES, Trained, fit_featurizer
from training.triage.golden import GOLDEN_REQUESTS
from training.triage.shift import evaluate_shift
from training.triage.urgency import TABLE_FILE, Backstop, fit_backstop
from triage.predictor import TASK, TriagePredictor, softmax
from triage.schema import TriageRequest
from triage.urgency import UrgencyEngine

logger = logging.getLogger(__name__)

_PARITY_BATCH = 25

CARD_SUMMARY = (
    "Suggests the clinical department for a patient's free-text complaint at intake (top 5 "
    "with calibrated probabilities), abstains to a human when unsure, and sets a triage level "
    "(five levels, emergency_ambulance to self_care) from a curated concept lexicon and rules "
    "that do not depend on the department model, with a learned backstop that can only raise "
    "a complaint no rule caught to emergency."
)
CARD_INTENDED_USE = [
    "Routing online consultations to a department queue; a doctor sees the suggestions and "
    "confirms or corrects them.",
    "Raising emergency red flags (chest pain with sweating, stroke signs, ...) for immediate "
    "human attention.",
]
CARD_OUT_OF_SCOPE = [
    "**Not a diagnosis** and not medical advice to patients.",
    "Deciding care without a clinician; the emergency flag is a rule match, not a clinical "
    "assessment.",
    "Departments outside the 20 it was trained on; languages other than Chinese and (partly) "
    "English.",
]
CARD_LIMITATIONS = [
    "Trained on haodf.com requests (2022): online-consultation wording, mostly urban adults and "
    "parents of young children.",
    "English complaints are rare in training; expect lower accuracy on them.",
    "Urgency comes from concept rules with context (negated, historical, hypothetical, family, "
    "idiom, chronic) and a weakly supervised backstop; unusual wording can still be missed, so "
    "urgency must never be the only safety net.",
    "Pediatric vs adult departments lean on the age bucket: give the age when known.",
    "The 20 departments have no adult ear or nose clinic: haodf routes such complaints to "
    "小儿耳鼻喉 (pediatric ENT) at any age, and so does the model.",
]


def set_seeds(seed: int) -> None:
    """Seed every generator the pipeline uses; called once at the start of a run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


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


def _urgency_section(manifest: dict[str, Any]) -> str:
    entry = manifest["postprocessing"]["urgency"]
    backstop = manifest["metrics"].get("urgency_backstop")
    lines = [
        f"Triage level from the concept table `{entry['version']}` (`{entry['table']}`): five "
        "levels, every level above `consultation` with its rule, concept and the span of the "
        "typed text. Recall and false alarms on written vignettes: `python bench/urgency.py "
        "--bundle <this bundle>`.",
    ]
    if backstop:
        lines.append(
            f"Learned backstop `{backstop['architecture']}` (weak labels from the rules on "
            f"{sum(backstop['corpus'].values())} texts): threshold {backstop['threshold']:.3f}, "
            f"raises {backstop['added_rate_validation']:.2%} of rule-routine validation requests; "
            f"haodf test emergency rate {backstop['test_emergency_rate_rules']:.2%} (rules) -> "
            f"{backstop['test_emergency_rate_with_backstop']:.2%} (with the backstop); parity "
            f"{backstop['parity_max_abs_diff']:.1e}. It only ever raises a level to `emergency`."
        )
    return "\n\n".join(lines)


def _shift_section(shift: dict[str, dict[str, float]]) -> str:
    if not shift:
        return "No shift set was available to this run."
    rows = [{"set": name, **values} for name, values in shift.items()]
    columns = ["n", "accuracy", "top3_accuracy", "ece", "abstain_rate", "confidently_wrong_rate"]
    return (
        "Hand-written sets in other platforms' Chinese and in English, and English public sets "
        "mapped onto our departments (training/triage/shift.py). `*_holdout` sets are never used "
        "to choose anything; `en_dev` calibrates the embedding-only route of the sentence "
        "family.\n\n" + table(rows, ["set", *columns])
    )


def _card(manifest: dict[str, Any], data: TriageData, english: dict[str, str]) -> str:
    metrics = manifest["metrics"]
    test = metrics["test"]
    overall_rows = [
        {"split": split, **{k: v for k, v in metrics[split]["overall"].items()}}
        for split in ("validation", "test")
    ]
    slice_rows = [{"slice": name, **values} for name, values in test["slices"].items()]
    department_rows = [
        {"department": f"{name} ({english.get(name, '')})", **values}
        for name, values in test["per_department"].items()
    ]
    selective = test["selective"]
    target = manifest["training_config"]["calibration"]["target_selective_accuracy"]
    calibration = (
        f"Temperature scaling fitted on the validation split: T = "
        f"{manifest['postprocessing']['temperature']:.3f}. Abstain threshold (top-1 "
        f"probability) = {selective['abstain_threshold']:.3f}, chosen on validation as the lowest "
        f"threshold whose kept cases reach {target:.0%} accuracy. On the test split: coverage "
        f"{selective['coverage']:.3f}, selective accuracy {selective['selective_accuracy']:.3f}, "
        f"ECE {test['overall']['ece']:.4f}."
    )
    metric_columns = ["n", "accuracy", "macro_f1", "top3_accuracy", "ece"]
    return render_card(
        title=f"Triage department suggester ({manifest['architecture']})",
        manifest=manifest,
        summary=CARD_SUMMARY,
        intended_use=CARD_INTENDED_USE,
        out_of_scope=CARD_OUT_OF_SCOPE,
        data_lines=[
            f"Source: `{data.source}` ({', '.join(data.files)}), sha256 {data.sha256}.",
            f"Rows by split (hash of id): {data.frame['split'].value_counts().to_dict()}.",
            f"Labels: {len(data.labels)} departments, sorted; label i is output column i.",
            "Age enters as a decade bucket; sex is accepted but not used by the model "
            "(the real data has none).",
        ],
        metric_sections=[
            ("Metrics", table(overall_rows, ["split", *metric_columns])),
            ("Calibration and Abstention", calibration),
            ("Metrics by Slice (test)", table(slice_rows, ["slice", *metric_columns])),
            (
                "Per Department (test)",
                table(department_rows, ["department", "support", "precision", "recall", "f1"]),
            ),
            ("Away from haodf (shift sets)", _shift_section(metrics.get("shift") or {})),
            ("Urgency", _urgency_section(manifest)),
        ],
        limitations=CARD_LIMITATIONS,
        usage=(
            "```bash\npython -m triage predict --bundle models/triage/current "
            "--input in.jsonl --output out.jsonl\n```"
        ),
    )


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
    engine, backstop = urgency
    family_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = family_dir / "model.onnx"
    model, specs = save_and_open(trained.onnx_model, onnx_path)
    validation = data.part("validation")
    test = data.part("test")
    texts = list(validation["text"])
    buckets = list(validation["age_bucket"])
    n_parity = min(config.export.parity_examples, len(texts))
    parity_feeds = [
        trained.encoder(
            texts[i : min(i + _PARITY_BATCH, n_parity)],
            buckets[i : min(i + _PARITY_BATCH, n_parity)],
        )
        for i in range(0, n_parity, _PARITY_BATCH)
    ]
    parity = check_parity(trained.reference, model, parity_feeds, config.export.parity_atol)

    y_val = np.searchsorted(data.labels, validation["department"])
    y_test = np.searchsorted(data.labels, test["department"])
    val_logits = _logits(trained, model, texts, buckets)
    test_logits = _logits(trained, model, list(test["text"]), list(test["age_bucket"]))
    temperature, threshold, val_probabilities = calibrate(
        val_logits,
        y_val,
        config.calibration.target_selective_accuracy,
        config.calibration.max_abstain_rate,
    )
    test_probabilities = softmax(test_logits, temperature)
    val_metrics = evaluate(
        val_probabilities,
        y_val,
        data.labels,
        buckets,
        [len(t) for t in validation["raw_text"]],
        threshold,
    )
    test_metrics = evaluate(
        test_probabilities,
        y_test,
        data.labels,
        list(test["age_bucket"]),
        [len(t) for t in test["raw_text"]],
        threshold,
    )
    uncalibrated_ece = evaluate(
        softmax(test_logits),
        y_test,
        data.labels,
        list(test["age_bucket"]),
        [1] * len(test),
        threshold,
    )["overall"]["ece"]

    manifest: dict[str, Any] = {
        "task": TASK,
        "name": config.tracking.registered_model,
        "architecture": trained.architecture,
        "bundle_version": version,
        "created_at": utc_now(),
        "git_commit": git_commit(),
        "training_config": config.model_dump(mode="json"),
        "data": {
            "source": data.source,
            "files": data.files,
            "sha256": data.sha256,
            "rows": data.frame["split"].value_counts().to_dict(),
            "unlabeled_rows": len(data.unlabeled),
        },
        **specs,
        "preprocessing": trained.preprocessing,
        "postprocessing": {
            "temperature": temperature,
            "abstain_threshold": threshold,
            **trained.postprocessing,
            "top_k": 5,
            "abstain_label": "refer to a clinician",
            "urgency": {
                "table": TABLE_FILE,
                "version": engine.version,
                "backstop": backstop.postprocessing if backstop else None,
            },
        },
        "metrics": {
            "validation": {k: val_metrics[k] for k in ("overall", "selective", "slices")},
            "test": {
                k: test_metrics[k] for k in ("overall", "selective", "slices", "per_department")
            },
            "parity_max_abs_diff": parity,
            "urgency_backstop": backstop.metrics if backstop else None,
            "test_ece_uncalibrated": uncalibrated_ece,
            "train_seconds": trained.train_seconds,
            **trained.extra_metrics,
        },
        "runtime_requires": {"onnxruntime": ">=1.17", "opset": str(config.export.opset)},
    }
    files: dict[str, bytes | str | Path] = {
        "model.onnx": onnx_path,
        "labels.json": json.dumps(data.labels, ensure_ascii=False, indent=1),
        TABLE_FILE: json.dumps(engine.to_dict(), ensure_ascii=False, indent=1),
        **(backstop.files if backstop else {}),
        **trained.files,
    }
    # Golden outputs come from the bundle itself: write it once without checking, record the
    # answers, then write the final bundle with them.
    scratch = Path(tempfile.mkdtemp(prefix="triage-bundle-"))
    try:
        staged = write_bundle(
            scratch / "b",
            manifest,
            {**files, "examples.jsonl": '{"pending": true}\n', "MODEL_CARD.md": ""},
        )
        staged_predictor = TriagePredictor.from_bundle(staged.path, self_test=False)
        examples = _examples(staged_predictor)
        shift = evaluate_shift(staged_predictor, resolve_data_dir(config.data.data_dir))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    manifest["metrics"]["shift"] = shift
    files["examples.jsonl"] = examples
    metrics_for_card = {
        **manifest,
        "metrics": {
            "validation": val_metrics,
            "test": test_metrics,
            "urgency_backstop": manifest["metrics"]["urgency_backstop"],
            "shift": shift,
        },
    }
    files["MODEL_CARD.md"] = _card(metrics_for_card, data, english)
    bundle_dir = family_dir / "bundle"
    if bundle_dir.exists():
        shutil.rmtree(bundle_dir)
    bundle = write_bundle(bundle_dir, manifest, files)
    predictor = TriagePredictor.from_bundle(bundle.path, threads=1)
    requests = [
        TriageRequest(id=str(i), text=t, age=None)
        for i, t in enumerate(list(validation["raw_text"])[: config.deploy.latency_requests])
    ]
    latency = latency_ms(lambda r: predictor.predict([r]), requests)

    short = trained.architecture.split(".")[1]
    with tracker.run(
        config.tracking.experiment, short, nested=True, tags={"architecture": trained.architecture}
    ) as run_id:
        tracker.log_params({"architecture": trained.architecture, **trained.params})
        tracker.log_metrics(
            {
                "val": val_metrics["overall"] | val_metrics["selective"],
                "test": test_metrics["overall"] | test_metrics["selective"],
                "test_slice": test_metrics["slices"],
                "test_dept": {
                    english.get(name, name).replace(" ", "_"): {
                        "precision": v["precision"],
                        "recall": v["recall"],
                    }
                    for name, v in test_metrics["per_department"].items()
                },
                "latency_single": latency,
                "parity_max_abs_diff": parity,
                "temperature": temperature,
                "train_seconds": trained.train_seconds,
                "test_ece_uncalibrated": uncalibrated_ece,
                "family": trained.extra_metrics,
                "shift": shift,
            }
        )
        display = [english.get(name, name) for name in data.labels]
        plot_confusion(
            np.array(test_metrics["confusion"]),
            display,
            family_dir / "confusion_matrix.png",
            f"{short} test",
        )
        plot_reliability(
            test_probabilities,
            y_test,
            family_dir / "reliability_diagram.png",
            f"{short} test (calibrated)",
        )
        tracker.log_artifact(family_dir / "confusion_matrix.png", "plots")
        tracker.log_artifact(family_dir / "reliability_diagram.png", "plots")
        tracker.log_dict({"validation": val_metrics, "test": test_metrics}, "metrics.json")
        model_uri = tracker.log_bundle_model(bundle.path, code_paths=["runtime", "triage"])
    if trained.save_eager is not None:
        trained.save_eager(family_dir / "eager")
    logger.info(
        "%s: val acc %.4f top3 %.4f | test acc %.4f top3 %.4f | p99 %.2f ms",
        trained.architecture,
        val_metrics["overall"]["accuracy"],
        val_metrics["overall"]["top3_accuracy"],
        test_metrics["overall"]["accuracy"],
        test_metrics["overall"]["top3_accuracy"],
        latency["p99_ms"],
    )
    return FamilyResult(
        trained.architecture, bundle, val_metrics, test_metrics, latency, model_uri, run_id
    )


def choose_deployed(results: list[FamilyResult], max_p99_ms: float) -> tuple[FamilyResult, str]:
    """Best validation accuracy among families within the latency budget (all, if none is)."""
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


def train_triage(config: TriageConfig, tracker: Tracker, config_source: str) -> dict[str, Any]:
    """Run the whole triage pipeline; returns the run summary (also written to summary.json)."""
    set_seeds(config.seed)
    data = load_triage_data(config.data)
    english = {d["name"]: d.get("name_en", d["name"]) for d in load_departments(config.data, None)}
    version = new_bundle_version()
    run_dir = Path(config.output_dir) / version
    run_dir.mkdir(parents=True, exist_ok=True)
    needs_features = any(m.architecture != "triage.bert_classifier.v1" for m in config.models)
    vocabulary_texts = list(data.part("train")["text"])
    if config.features.fit_on_unlabeled:
        vocabulary_texts += list(data.unlabeled["text"])
    featurizer = fit_featurizer(config, vocabulary_texts) if needs_features else None
    engine = UrgencyEngine.default()
    backstop = (
        fit_backstop(config.urgency, config, data, engine, run_dir)
        if config.urgency.enabled
        else None
    )
    results: list[FamilyResult] = []
    with tracker.run(
        config.tracking.experiment, f"triage-{version}", tags={"bundle_version": version}
    ) as parent_id:
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
        for model_config in config.models:
            logger.info("training %s", model_config.architecture)
            trained = ARCHITECTURES[model_config.architecture](
                model_config, config, data, featurizer
            )
            family_dir = run_dir / model_config.architecture.split(".")[1]
            results.append(
                _train_family(
                    trained,
                    config,
                    data,
                    version,
                    family_dir,
                    tracker,
                    english,
                    (engine, backstop),
                )
            )
        deployed, reason = choose_deployed(results, config.deploy.max_latency_p99_ms)
        comparison = [
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
        tracker.log_dict(
            {"families": comparison, "deployed": deployed.architecture, "reason": reason},
            "comparison.json",
        )
        tracker.set_tags({"deployed_architecture": deployed.architecture})
        version_number = tracker.register(
            deployed.model_uri,
            config.tracking.registered_model,
            "candidate",
            tags={
                "bundle_version": version,
                "architecture": deployed.architecture,
                "bundle_hash": deployed.bundle.bundle_hash,
                "test_accuracy": f"{deployed.test['overall']['accuracy']:.4f}",
                "run_id": deployed.run_id,
            },
        )
    summary = {
        "task": TASK,
        "bundle_version": version,
        "run_dir": str(run_dir),
        "mlflow_run_id": parent_id,
        "data": {"source": data.source, "sha256": data.sha256},
        "families": comparison,
        "deployed": {
            "architecture": deployed.architecture,
            "reason": reason,
            "bundle": str(deployed.bundle.path),
            "registered": f"{config.tracking.registered_model} v{version_number} @candidate",
        },
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    latest = Path(config.output_dir) / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(version)
    logger.info("deployed %s", reason)
    return summary
