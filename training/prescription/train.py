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
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from prescription.clinical import BUNDLE_PREFIX, CURATED_TABLES
from prescription.predictor import TASK, PrescriptionPredictor
from prescription.resolver import ABBREVIATIONS_FILE
from prescription.schema import CheckRequest
from runtime.bundle import write_bundle
from training.card import render_card, table
from training.config import DataError, PrescriptionConfig, resolve_data_dir
from training.export import git_commit, new_bundle_version, tensor_specs, utc_now
from training.prescription.drug_features import DrugFeatures, Split
from training.prescription.drugs import DrugTable, load_drug_table
from training.prescription.golden import CASES, case_failures
from training.prescription.interaction_model import (
    NOVELTY_THRESHOLD,
    SEVERITIES,
    ClassPairPrior,
    InteractionModel,
    build_drug_features,
    check_onnx_parity,
    evaluate,
    load_ddinter_pairs,
    load_drugbank86_pairs,
    make_splits,
    novelty,
)
from training.prescription.kb import (
    KnowledgeBase,
    build_demo_knowledge_base,
    build_knowledge_base,
    kb_files,
)
from training.tracking import Tracker

logger = logging.getLogger(__name__)

SPLIT_NAMES = ("random", "one_new", "two_new")


class CuratedTableError(DataError):
    """A curated table names a drug or ATC class the knowledge base does not know."""


def set_seeds(seed: int) -> None:
    """Seed every generator the pipeline uses; called once at the start of a run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


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


def _card(
    manifest: dict[str, Any],
    split_rows: list[dict[str, Any]],
    stats: dict[str, Any],
    behaviour: dict[str, Any],
) -> str:
    kb_rows = [{"table": key, "rows": value} for key, value in stats.items()]
    return render_card(
        title="Prescription safety checker (knowledge base + learned interaction model)",
        manifest=manifest,
        summary=(
            "Audits a prescription and a patient profile: drug-drug interactions (within the "
            "prescription and with current medications), duplicate therapy, dose, pregnancy, "
            "lactation, age and condition contraindications, allergy with cross-reactivity. The "
            "versioned knowledge base is authoritative; a learned model scores pairs it lacks, "
            "abstains for drugs unlike any it has seen, never raises a contraindication, and its "
            "alerts are labelled as predicted and never interrupt."
        ),
        intended_use=[
            "Decision support for doctors signing e-prescriptions and pharmacists filling carts.",
            "Explaining, per drug pair, what is known and what is predicted (the `pairs` list).",
        ],
        out_of_scope=[
            "Replacing a pharmacist's review; dosing for renal/hepatic impairment beyond the "
            "listed conditions.",
            "Commercial use of the sources without licences: DDInter, DrugBank and WHO ATC/DDD "
            "data are non-commercial; the ANSM thesaurus reuse terms were not verified.",
        ],
        data_lines=[
            f"Sources: {manifest['data']['source']} ({', '.join(manifest['data']['sources'])}).",
            "Curated tables (doses, pregnancy, lactation, allergy groups and cross-reactivity, "
            "age, conditions, Chinese names, combination products) are written by the project from "
            "clinical knowledge, each row with its source; they need pharmacist review.",
            f"Behavioural cases: {behaviour['passed']}/{behaviour['cases']} pass.",
        ],
        metric_sections=[
            ("Knowledge Base", table(kb_rows, ["table", "rows"])),
            (
                "Learned Interaction Model vs Class-Pair Prior (held-out pairs)",
                table(
                    split_rows,
                    ["split", "model", "macro_f1", "major_recall", "auroc", "n_graded", "n_neg"],
                ),
            ),
        ],
        limitations=[
            "Drug names resolve through the alias tables only; misspellings are reported with "
            "suggestions, never guessed.",
            "Dose limits exist for the curated common drugs only; combination products are not "
            "dose-checked.",
            "ANSM mechanism and management text is French, as published. ANSM grades some pairs "
            "by dose or context (aspirin + oral anticoagulants: contraindicated at "
            "anti-inflammatory doses, a precaution at antiplatelet doses); the checker shows the "
            "strictest grade and says so in the alert message.",
            "The model's severity is learned from DDInter's grades, which are coarse and sometimes "
            "disagree with ANSM. It abstains for drugs without features or whose features are "
            f"less similar than {manifest['postprocessing']['novelty_threshold']} to every "
            "training drug; for pairs of two new drugs its severity is only a little better than "
            "the class-pair prior (see the table).",
            "Splits: `random` holds out random DDInter pairs; `one_new`/`two_new` hold out 10% "
            "of the drugs with every pair they have, and test pairs with one or two of them. "
            "Negatives are unlisted pairs of drugs with at least 20 DDInter partners.",
        ],
        usage=(
            "```bash\npython -m prescription check --bundle models/prescription/current "
            "--input in.jsonl --output out.jsonl\n```"
        ),
        owner="Clinical pharmacy ML team (pharmacy-ml@hospital.example)",
    )


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


def prepare(config: PrescriptionConfig) -> Prepared:
    """Sources -> drug table and KB -> curated-table validation -> features, pairs, splits."""
    data_dir = resolve_data_dir(config.data.data_dir)
    safety = data_dir / "safety" if data_dir else None
    source = config.data.source
    if source == "auto":
        source = "shared" if safety and (safety / "ddinter/interactions.csv").is_file() else "demo"
    curated_dir = Path(config.data.curated_dir)
    if source == "shared":
        if safety is None:
            raise DataError("data.source is shared but no data directory was found")
        table = load_drug_table(safety)
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
    for name in SPLIT_NAMES:
        split = prepared.splits[name]
        model = _model(config).fit(prepared.features, split.train, split.train_negatives)
        prior = ClassPairPrior().fit(prepared.features, split.train, split.train_negatives)
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


def train_prescription(
    config: PrescriptionConfig, tracker: Tracker, config_source: str
) -> dict[str, Any]:
    """Run the whole prescription pipeline; returns the run summary (also in summary.json)."""
    set_seeds(config.seed)
    started = time.perf_counter()
    prepared = prepare(config)
    source, sources, data_dir, kb, stats = (
        prepared.source,
        prepared.sources,
        prepared.data_dir,
        prepared.kb,
        prepared.stats,
    )
    features, splits = prepared.features, prepared.splits
    curated_dir = Path(config.data.curated_dir)
    split_metrics, deployed = fit_splits(config, prepared)
    threshold = (
        config.alerts.novelty_threshold
        if config.alerts.novelty_threshold is not None
        else NOVELTY_THRESHOLD
    )
    drug_novelty = novelty(features, splits["random"].train_drugs())

    version = new_bundle_version()
    run_dir = Path(config.output_dir) / version
    run_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = run_dir / "model.onnx"
    parity = check_onnx_parity(deployed, onnx_path, atol=config.export.parity_atol)
    specs = tensor_specs(onnx_path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["drug", "index", "novelty"])
    for i, (name, value) in enumerate(zip(features.names, drug_novelty, strict=True)):
        writer.writerow([name, i, f"{float(value):.4f}"])
    split_rows = [
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
    manifest: dict[str, Any] = {
        "task": TASK,
        "name": config.tracking.registered_model,
        "architecture": config.model.architecture,
        "bundle_version": version,
        "created_at": utc_now(),
        "git_commit": git_commit(),
        "training_config": config.model_dump(mode="json"),
        "data": {
            "source": source,
            "sources": sources,
            "data_dir": str(data_dir) if data_dir else None,
        },
        **specs,
        "preprocessing": {"names": "prescription.names.v1", "severities": list(SEVERITIES)},
        "postprocessing": {
            "novelty_threshold": threshold,
            "model_alert_threshold": config.alerts.model_alert_threshold,
            "min_interaction_level": config.alerts.min_interaction_level,
            "suppress": config.alerts.suppress,
            "interruptive": (
                "contraindicated/major knowledge, allergy, pregnancy; never the model alone"
            ),
        },
        "metrics": {
            "splits": split_metrics,
            "knowledge_base": stats,
            "parity_max_abs_diff": parity,
        },
        "runtime_requires": {"onnxruntime": ">=1.17", "opset": str(config.export.opset)},
    }
    files: dict[str, bytes | str | Path] = {
        **kb_files(kb),
        "model.onnx": onnx_path,
        "model_drugs.csv": buffer.getvalue(),
        **{f"{BUNDLE_PREFIX}{name}": curated_dir / name for name in CURATED_TABLES},
        # The resolver's curated abbreviations travel with the bundle they were validated with.
        ABBREVIATIONS_FILE: curated_dir / "abbreviations.csv",
    }
    scratch = Path(tempfile.mkdtemp(prefix="prescription-bundle-"))
    try:
        staged = write_bundle(
            scratch / "b", manifest, {**files, "examples.jsonl": "{}\n", "MODEL_CARD.md": ""}
        )
        examples, behaviour = _examples(
            PrescriptionPredictor.from_bundle(staged.path, self_test=False)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    manifest["metrics"]["behaviour"] = behaviour
    files["examples.jsonl"] = examples
    files["MODEL_CARD.md"] = _card(manifest, split_rows, stats, behaviour)
    bundle = write_bundle(run_dir / "bundle", manifest, files)
    load_started = time.perf_counter()
    PrescriptionPredictor.from_bundle(bundle.path)
    load_seconds = time.perf_counter() - load_started

    with tracker.run(
        config.tracking.experiment, f"prescription-{version}", tags={"bundle_version": version}
    ) as run_id:
        tracker.log_params(
            {
                "config_file": config_source,
                "data_source": source,
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
                "kb": {k: v for k, v in stats.items() if isinstance(v, (int, float))},
                "parity_max_abs_diff": parity,
                "behaviour_passed": behaviour["passed"],
                "bundle_load_seconds": load_seconds,
                "train_seconds": time.perf_counter() - started,
            }
        )
        tracker.log_dict(
            {"splits": split_metrics, "behaviour": behaviour, "knowledge_base": stats},
            "metrics.json",
        )
        model_uri = tracker.log_bundle_model(bundle.path, code_paths=["runtime", "prescription"])
        model_version = tracker.register(
            model_uri,
            config.tracking.registered_model,
            "candidate",
            tags={"bundle_version": version, "bundle_hash": bundle.bundle_hash, "run_id": run_id},
        )
    summary = {
        "task": TASK,
        "bundle_version": version,
        "bundle": str(bundle.path),
        "data_source": source,
        "mlflow_run_id": run_id,
        "registered": f"{config.tracking.registered_model} v{model_version} @candidate",
        "splits": split_metrics,
        "behaviour": behaviour,
        "bundle_load_seconds": load_seconds,
        "knowledge_base": stats,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    latest = Path(config.output_dir) / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(version)
    if behaviour["failures"]:
        logger.warning("behavioural cases failing: %s", behaviour["failures"])
    return summary
