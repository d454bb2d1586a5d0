"""`python -m training train prescription`: build the knowledge base and the learned interaction
model into one bundle, log both to MLflow and register the bundle as `prescription@candidate`.

Steps, top to bottom: sources -> drug table + KB tables -> curated-table validation -> drug
features and labelled pairs -> three held-out splits (model vs class-pair prior) -> the deployed
model (the random split's, whose test pairs stay the fixed promotion split) -> ONNX + parity ->
bundle (tables, model, golden examples, card) -> MLflow.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from prescription.clinical import BUNDLE_PREFIX, CURATED_TABLES
from prescription.manifest import PrescriptionPostprocessing
from prescription.predictor import TASK, PrescriptionPredictor
from prescription.resolver import ABBREVIATIONS_FILE
from prescription.schema import CheckRequest
from training.config import DataError, PrescriptionConfig, auto_source, resolve_data_dir
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
from training.prescription.card import render_prescription_card
from training.prescription.class_prior import ClassPairPrior
from training.prescription.drug_features import (
    NOVELTY_THRESHOLD,
    SPLIT_NAMES,
    DrugFeatures,
    Split,
    build_drug_features,
    load_ddinter_pairs,
    load_drugbank86_pairs,
    make_splits,
    novelty,
)
from training.prescription.drugs import DrugTable, add_curated_drugs, load_drug_table
from training.prescription.golden import CASES, case_failures
from training.prescription.kb import (
    KnowledgeBase,
    build_demo_knowledge_base,
    build_knowledge_base,
    kb_files,
)
from training.prescription.pair_graph import check_onnx_parity
from training.prescription.pair_metrics import evaluate
from training.prescription.pair_net import InteractionModel
from training.prescription.pinyin import PINYIN_FILE, pinyin_csv
from training.prescription.promotion import promotion_metrics
from training.prescription.severity import SEVERITIES
from training.seeds import set_seeds
from training.tracking import Tracker

logger = logging.getLogger(__name__)


class CuratedTableError(DataError):
    """A curated table names a drug or ATC class the knowledge base does not know."""


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def validate_curated(curated_dir: Path, table: DrugTable, strict: bool) -> dict[str, int]:
    """Every target of every curated table must be a known drug or an existing ATC prefix.

    Args:
        strict: raise on unknown targets (the real KB); the demo drug list is small, so there
            unknown targets are only counted.

    Raises:
        CuratedTableError: naming each bad row, when `strict`.
    """
    codes = {code for drug in table.drugs.values() for code in drug.atc} | set(table.atc_names)
    problems: list[str] = []
    counts: dict[str, int] = {}
    for name in CURATED_TABLES:
        rows = _read_rows(curated_dir / name)
        counts[f"curated_{name.removesuffix('.csv')}_rows"] = len(rows)
        for line, row in enumerate(rows, 2):
            for column in ("target", "target_a", "target_b"):
                target = (row.get(column) or "").strip()
                if not target:
                    continue
                if target.startswith("atc:"):
                    prefix = target[4:].upper()
                    known = any(code.startswith(prefix) for code in codes)
                else:
                    known = target in table.drugs
                if not known:
                    problems.append(f"{name} line {line}: unknown {column} {target!r}")
    counts["curated_unknown_targets"] = len(problems)
    if problems and strict:
        raise CuratedTableError(
            f"{len(problems)} curated rows name unknown drugs:\n  " + "\n  ".join(problems[:30])
        )
    if problems:
        logger.info("curated tables: %d targets not in this (demo) drug list", len(problems))
    return counts


def _atc_features(table: DrugTable, drugs: list[str]) -> DrugFeatures:
    """ATC levels 1-4 as multi-hot: the only features the demo drug list has."""
    columns: dict[str, int] = {}
    rows = []
    for name in drugs:
        codes = table.drugs[name].atc
        row = {
            f"atc{level}:{code[:length]}"
            for code in codes
            for level, length in ((1, 1), (2, 3), (3, 4), (4, 5))
        }
        for feature in sorted(row):
            columns.setdefault(feature, len(columns))
        rows.append(row)
    matrix = np.zeros((len(drugs), len(columns)), dtype=np.float32)
    for i, row in enumerate(rows):
        for feature in row:
            matrix[i, columns[feature]] = 1.0
    return DrugFeatures(
        names=list(drugs), matrix=matrix, feature_names=sorted(columns, key=columns.__getitem__)
    )


def _demo_pairs(kb: KnowledgeBase) -> pd.DataFrame:
    levels = {rule["rule"]: rule["level"] for rule in kb.rules}
    rows = [{"a": r["drug_a"], "b": r["drug_b"], "level": levels[r["rule"]]} for r in kb.rule_pairs]
    frame = pd.DataFrame(rows)
    # The model predicts up to "major"; a contraindication is the knowledge base's word alone.
    frame["level"] = frame["level"].replace({"contraindicated": "major"})
    return frame


def _evaluate(model: Any, split: Any, features: DrugFeatures) -> dict[str, float]:
    """Split metrics, or NaNs with the counts when a (demo-sized) split has too few test pairs."""
    graded = int((split.test["level"] != "unknown").sum()) if len(split.test) else 0
    if graded < 2 or len(split.test_negatives) < 1:
        nan = float("nan")
        return {
            "macro_f1": nan,
            "major_recall": nan,
            "accuracy": nan,
            "auroc": nan,
            "auroc_hard": nan,
            "predicted_rate_hard": nan,
            "n_pos": float(len(split.test)),
            "n_neg": float(len(split.test_negatives)),
            "n_hard_neg": float(len(split.hard_test_negatives)),
            "n_graded": float(graded),
        }
    return evaluate(model, split, features)


def _model(config: PrescriptionConfig) -> InteractionModel:
    params = config.model.model_dump(exclude={"architecture", "fingerprint_bits"})
    return InteractionModel(**params, seed=config.seed)


def _examples(predictor: PrescriptionPredictor) -> tuple[str, dict[str, Any]]:
    lines = []
    behaviour: dict[str, Any] = {"cases": len(CASES), "failures": {}}
    for case in CASES:
        request = CheckRequest.model_validate(case["request"])
        result = predictor.checker.check(request).model_dump()
        failures = case_failures(case, result)
        if failures:
            behaviour["failures"][case["request"]["id"]] = failures
        expected = {key: result[key] for key in ("alerts", "pairs", "unresolved")}
        lines.append(
            json.dumps(
                {"request": request.model_dump(exclude_none=True), "expected": expected},
                ensure_ascii=False,
            )
        )
    behaviour["passed"] = len(CASES) - len(behaviour["failures"])
    return "\n".join(lines) + "\n", behaviour


@dataclass
class Prepared:
    """Everything the model fits and the bundle needs, built from the configured sources."""

    source: str
    sources: list[str]
    data_dir: Path | None
    table: DrugTable
    kb: KnowledgeBase
    stats: dict[str, Any]
    features: DrugFeatures
    splits: dict[str, Split]


def prescription_source(config: PrescriptionConfig) -> tuple[str, Path | None]:
    """The source `config` resolves to ('shared' or 'demo') and the shared safety folder, if any.

    Raises:
        DataError: an explicitly named data directory is missing or has no DDInter table.
    """
    data_dir = resolve_data_dir(config.data.data_dir)
    safety = data_dir / "safety" if data_dir else None
    if config.data.source != "auto":
        return config.data.source, safety
    present = bool(safety and (safety / "ddinter/interactions.csv").is_file())
    needs = "safety/ddinter/interactions.csv"
    return auto_source(config.data.data_dir, present, "shared", needs), safety


def describe_prescription_data(config: PrescriptionConfig) -> str:
    """Which data a run of `config` trains on, in words (the training CLI's first line)."""
    source, safety = prescription_source(config)
    if source == "shared":
        return f"the shared knowledge sources (DDInter, ANSM, DrugBank, ATC) from {safety}"
    return f"the hand-written demo tables {config.data.demo_dir}"


def prepare(config: PrescriptionConfig) -> Prepared:
    """Sources -> drug table and KB -> curated-table validation -> features, pairs, splits."""
    source, safety = prescription_source(config)
    data_dir = resolve_data_dir(config.data.data_dir)
    logger.info("prescription data: %s%s", source, f" from {safety}" if source == "shared" else "")
    curated_dir = Path(config.data.curated_dir)
    if source == "shared":
        if safety is None:
            raise DataError("data.source is shared but no data directory was found")
        table = load_drug_table(safety)
        # round 8: NMPA-only drugs, herbs, probiotics and patent medicines the sources lack
        extra = add_curated_drugs(table, curated_dir)
        logger.info("curated drugs added to the drug table: %d", extra)
        kb = build_knowledge_base(table, safety, curated_dir)
        sources = [
            "DDInter 1.0",
            "ANSM thesaurus 2020",
            "DrugBank DDI-86",
            "WHO ATC/DDD",
            "ATC-DrugBank map",
            "drugstandards synonyms",
            "curated tables",
        ]
        features = build_drug_features(table, safety, config.model.fingerprint_bits)
        pairs = load_ddinter_pairs(table, safety)
        known = load_drugbank86_pairs(table, safety) | {
            frozenset((r["drug_a"], r["drug_b"])) for r in kb.rule_pairs
        }
        min_partners = config.splits.min_partners
    else:
        kb, table = build_demo_knowledge_base(Path(config.data.demo_dir), curated_dir)
        sources = ["data/demo/prescription (hand-written)", "curated tables"]
        features = _atc_features(table, sorted(table.drugs))
        pairs = _demo_pairs(kb)
        known = set()
        # Demo drugs have a handful of partners each: "well documented" means 3 there, not 20.
        min_partners = min(config.splits.min_partners, 3)
    stats: dict[str, Any] = dict(kb.stats)
    stats.update(validate_curated(curated_dir, table, strict=source == "shared"))
    splits = make_splits(
        pairs,
        features,
        known,
        config.seed,
        config.splits.test_fraction,
        config.splits.new_drug_fraction,
        min_partners=min_partners,
        negative_ratio=config.splits.negative_ratio,
        hard_negative_fraction=config.splits.hard_negative_fraction,
    )
    return Prepared(source, sources, data_dir, table, kb, stats, features, splits)


def fit_splits(
    config: PrescriptionConfig, prepared: Prepared
) -> tuple[dict[str, dict[str, dict[str, float]]], InteractionModel]:
    """Fit the model and the prior on each split; the random split's model is the deployed one
    (its test pairs, fixed by the seed, are the promotion split)."""
    split_metrics: dict[str, dict[str, dict[str, float]]] = {}
    deployed: InteractionModel | None = None
    # one_new and two_new share one training set (their test pairs differ): fit it once. The
    # fit seeds itself, so a second fit would give the same model.
    fitted: dict[tuple[int, int], tuple[InteractionModel, ClassPairPrior]] = {}
    for name in SPLIT_NAMES:
        split = prepared.splits[name]
        key = (id(split.train), id(split.train_negatives))
        if key not in fitted:
            fitted[key] = (
                _model(config).fit(prepared.features, split.train, split.train_negatives),
                ClassPairPrior().fit(prepared.features, split.train, split.train_negatives),
            )
        model, prior = fitted[key]
        split_metrics[name] = {
            "model": _evaluate(model, split, prepared.features),
            "prior": _evaluate(prior, split, prepared.features),
        }
        logger.info("split %s: %s", name, split_metrics[name])
        if name == "random":
            deployed = model
    assert deployed is not None
    return split_metrics, deployed


def evaluate_splits(config: PrescriptionConfig) -> dict[str, dict[str, dict[str, float]]]:
    """The three held-out evaluations alone (used by `bench/prescription.py --refit`)."""
    set_seeds(config.seed)
    return fit_splits(config, prepare(config))[0]


def _model_drugs_csv(features: DrugFeatures, drug_novelty: np.ndarray) -> str:
    """model_drugs.csv: each drug the model knows, its input row and its novelty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["drug", "index", "novelty"])
    for i, (name, value) in enumerate(zip(features.names, drug_novelty, strict=True)):
        writer.writerow([name, i, f"{float(value):.4f}"])
    return buffer.getvalue()


def _split_rows(split_metrics: dict[str, dict[str, dict[str, float]]]) -> list[dict[str, Any]]:
    """The card's table: model vs class-pair prior on each held-out split."""
    return [
        {
            "split": name,
            "model": "learned" if kind == "model" else "ATC-3 class-pair prior (reference)",
            **{
                k: int(v) if k.startswith("n_") else v for k, v in split_metrics[name][kind].items()
            },
        }
        for name in SPLIT_NAMES
        for kind in ("model", "prior")
    ]


def _draft(
    config: PrescriptionConfig,
    prepared: Prepared,
    version: str,
    onnx_path: Path,
    split_metrics: dict[str, dict[str, dict[str, float]]],
    parity: float,
) -> BundleDraft:
    """The bundle before its golden examples and card: tables, model, alert policy."""
    threshold = (
        config.alerts.novelty_threshold
        if config.alerts.novelty_threshold is not None
        else NOVELTY_THRESHOLD
    )
    drug_novelty = novelty(prepared.features, prepared.splits["random"].train_drugs())
    curated_dir = Path(config.data.curated_dir)
    postprocessing = PrescriptionPostprocessing(
        novelty_threshold=threshold,
        model_alert_threshold=config.alerts.model_alert_threshold,
        min_interaction_level=config.alerts.min_interaction_level,
        suppress=list(config.alerts.suppress),
        interruptive="contraindicated/major knowledge, allergy, pregnancy; never the model alone",
    )
    return BundleDraft(
        task=TASK,
        name=config.tracking.registered_model,
        architecture=config.model.architecture,
        version=version,
        training_config=config.model_dump(mode="json"),
        data={
            "source": prepared.source,
            "sources": prepared.sources,
            "data_dir": str(prepared.data_dir) if prepared.data_dir else None,
        },
        onnx_path=onnx_path,
        preprocessing={"names": "prescription.names.v1", "severities": list(SEVERITIES)},
        postprocessing=postprocessing.to_manifest(),
        metrics={
            "splits": split_metrics,
            "knowledge_base": prepared.stats,
            "parity_max_abs_diff": parity,
        },
        files={
            **kb_files(prepared.kb),
            "model.onnx": onnx_path,
            "model_drugs.csv": _model_drugs_csv(prepared.features, drug_novelty),
            **{f"{BUNDLE_PREFIX}{name}": curated_dir / name for name in CURATED_TABLES},
            # The resolver's curated abbreviations travel with the bundle they were validated with.
            ABBREVIATIONS_FILE: curated_dir / "abbreviations.csv",
            # round 16: character -> toneless pinyin, for the resolver's same-syllable reading
            PINYIN_FILE: pinyin_csv(row["key"] for row in prepared.kb.aliases),
        },
        opset=str(config.export.opset),
    )


def _log_run(
    tracker: Tracker,
    config: PrescriptionConfig,
    config_source: str,
    prepared: Prepared,
    manifest_metrics: dict[str, Any],
    timings: dict[str, float],
) -> None:
    """Params, config and metrics of the run (the bundle is logged by the caller)."""
    split_metrics, behaviour = manifest_metrics["splits"], manifest_metrics["behaviour"]
    tracker.log_params(
        {
            "config_file": config_source,
            "data_source": prepared.source,
            **config.model.model_dump(),
            "seed": config.seed,
        }
    )
    tracker.log_dict(config.model_dump(mode="json"), "config.json")
    tracker.log_metrics(
        {
            **{
                f"{name}.{kind}": values
                for name, kinds in split_metrics.items()
                for kind, values in kinds.items()
            },
            "kb": {k: v for k, v in prepared.stats.items() if isinstance(v, (int, float))},
            "parity_max_abs_diff": manifest_metrics["parity_max_abs_diff"],
            "behaviour_passed": behaviour["passed"],
            **timings,
        }
    )
    tracker.log_dict(
        {"splits": split_metrics, "behaviour": behaviour, "knowledge_base": prepared.stats},
        "metrics.json",
    )


def _golden(predictor: PrescriptionPredictor) -> Golden:
    examples, behaviour = _examples(predictor)
    return Golden(examples, {"behaviour": behaviour})


def train_prescription(
    config: PrescriptionConfig, tracker: Tracker, config_source: str
) -> dict[str, Any]:
    """Run the whole prescription pipeline; returns the run summary (also in summary.json)."""
    set_seeds(config.seed)
    started = time.perf_counter()
    prepared = prepare(config)
    split_metrics, deployed = fit_splits(config, prepared)
    version, run_dir = new_run(config.output_dir)
    onnx_path = run_dir / "model.onnx"
    parity = check_onnx_parity(deployed, onnx_path, atol=config.export.parity_atol)
    draft = _draft(config, prepared, version, onnx_path, split_metrics, parity)

    def card(manifest: dict[str, Any]) -> str:
        behaviour = manifest["metrics"]["behaviour"]
        return render_prescription_card(
            manifest, _split_rows(split_metrics), prepared.stats, behaviour
        )

    bundle = build_bundle(draft, run_dir / "bundle", _golden, card)
    _, load_seconds = timed_reload(bundle)
    metrics = bundle.manifest.metrics
    with tracker.run(
        config.tracking.experiment, f"prescription-{version}", tags={"bundle_version": version}
    ) as run_id:
        timings = {
            "bundle_load_seconds": load_seconds,
            "train_seconds": time.perf_counter() - started,
        }
        _log_run(tracker, config, config_source, prepared, metrics, timings)
        model_uri = log_bundle(tracker, bundle)
        registered = register_candidate(
            tracker, model_uri, config.tracking.registered_model, bundle, {"run_id": run_id}
        )
    if metrics["behaviour"]["failures"]:
        logger.warning("behavioural cases failing: %s", metrics["behaviour"]["failures"])
    summary = RunSummary(
        task=TASK,
        bundle_version=version,
        run_dir=str(run_dir),
        bundle=str(bundle.path),
        architecture=config.model.architecture,
        deployed_reason="the only family: the random split's model (fixed promotion split)",
        mlflow_run_id=run_id,
        registered=registered,
        data_source=prepared.source,
        train_seconds=time.perf_counter() - started,
        bundle_load_seconds=load_seconds,
        details={
            "splits": split_metrics,
            "behaviour": metrics["behaviour"],
            "knowledge_base": prepared.stats,
        },
    )
    return finish_run(config.output_dir, summary)


TASK_TRAINING = TaskTraining(
    train=train_prescription,
    promotion_metrics=promotion_metrics,
    describe_data=describe_prescription_data,
)
