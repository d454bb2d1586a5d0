"""Prescription benchmark: held-out splits (learned model vs class-pair prior), check latency,
bundle load time and memory.

    python bench/prescription.py [--bundle models/prescription/current] [--refit] [--out FILE]

The split figures are the ones the training run measured on its three held-out splits (random
pairs, one new drug, two new drugs) and stored in the bundle manifest; `--refit` fits the model
and the prior again on the same splits from ../shared/data (minutes). Latency: a 10-drug
prescription with 3 current medications, one ONNX thread, after warm-up, measured twice: warm
(the checker remembers each pair's answer, as a serving process does after its first minutes) and
cold (that memo cleared before every check, so all 75 pairs are looked up, scored and drafted
again). Prints JSON, then a
markdown table. Not a test: targets are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {
    "random_macro_f1": 0.70,
    "random_major_recall": 0.65,
    "one_new_macro_f1": 0.60,
    "auroc": 0.85,
    "p99_ms": 2.0,
    "p99_cold_ms": 2.0,
    "load_seconds": 2.0,
}
# A realistic busy prescription: cardiology + diabetes + pain + infection, Chinese and English
# names, plus three long-term medications.
TEN_DRUGS = [
    {"name": "阿司匹林肠溶片", "dose_mg": 100, "times_per_day": 1},
    {"name": "atorvastatin", "dose_mg": 20, "times_per_day": 1},
    {"name": "苯磺酸氨氯地平片", "dose_mg": 5, "times_per_day": 1},
    {"name": "metoprolol", "dose_mg": 47.5, "times_per_day": 1},
    {"name": "盐酸二甲双胍片", "dose_mg": 500, "times_per_day": 3},
    {"name": "omeprazole", "dose_mg": 20, "times_per_day": 1},
    {"name": "布洛芬缓释胶囊", "dose_mg": 300, "times_per_day": 2},
    {"name": "clarithromycin", "dose_mg": 500, "times_per_day": 2},
    {"name": "氯吡格雷", "dose_mg": 75, "times_per_day": 1},
    {"name": "sertraline", "dose_mg": 50, "times_per_day": 1},
]
CURRENT = [{"name": "warfarin"}, {"name": "levothyroxine"}, {"name": "甲巯咪唑"}]


def latency(bundle: Path, n: int) -> dict[str, Any]:
    """p50/p99 of one 10-drug + 3-current check on one thread."""
    from prescription.predictor import PrescriptionPredictor
    from prescription.schema import CheckRequest
    from runtime.timing import latency_ms

    predictor = PrescriptionPredictor.from_bundle(bundle, threads=1)
    request = CheckRequest.model_validate(
        {
            "id": "bench",
            "patient": {"age": 67, "weight_kg": 70, "conditions": ["高血压", "2型糖尿病"]},
            "drugs": TEN_DRUGS,
            "current_medications": CURRENT,
        }
    )
    result = predictor.predict([request])[0]
    timing = latency_ms(lambda r: predictor.predict([r]), [request] * n, warmup=50)
    timing.update(alerts=len(result.alerts), pairs=len(result.pairs), unresolved=result.unresolved)

    def cold(r: CheckRequest) -> None:
        predictor.checker.policy = predictor.checker.policy  # forgets every remembered pair
        predictor.predict([r])

    timing["cold"] = latency_ms(cold, [request] * n, warmup=50)
    return timing


def load_stats(bundle: Path) -> dict[str, float]:
    """Load time and peak RSS (VmHWM) of a fresh process loading the bundle."""
    code = (
        "import time, json\n"
        "t0 = time.perf_counter()\n"
        "from prescription.predictor import PrescriptionPredictor\n"
        "t1 = time.perf_counter()\n"
        f"PrescriptionPredictor.from_bundle({str(bundle)!r})\n"
        "t2 = time.perf_counter()\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps({'import_seconds': t1 - t0, 'load_seconds': t2 - t1,\n"
        "                  'peak_rss_mb': int(hwm) / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def refit(bundle: Path, hard_negative_fraction: float | None = None) -> dict[str, Any]:
    """Fit the model and the prior again on the bundle's training config (shared data only),
    optionally with another share of hard training negatives (the test sets stay the same)."""
    from runtime.bundle import load_bundle
    from training.config import PrescriptionConfig
    from training.prescription.train import evaluate_splits

    settings = dict(load_bundle(bundle).manifest.training_config)
    if hard_negative_fraction is not None:
        settings["splits"] = {
            **settings.get("splits", {}),
            "hard_negative_fraction": hard_negative_fraction,
        }
    config = PrescriptionConfig.model_validate(settings)
    started = time.perf_counter()
    metrics = evaluate_splits(config)
    return {"splits": metrics, "seconds": time.perf_counter() - started}


def target_report(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with the measured value and whether it is met (reported, never asserted)."""
    splits = results["splits"]
    measured = {
        "random_macro_f1": splits["random"]["model"]["macro_f1"],
        "random_major_recall": splits["random"]["model"]["major_recall"],
        "one_new_macro_f1": splits["one_new"]["model"]["macro_f1"],
        "auroc": splits["random"]["model"]["auroc"],
        "p99_ms": results["latency_10_drugs_3_current"]["p99_ms"],
        "p99_cold_ms": results["latency_10_drugs_3_current"]["cold"]["p99_ms"],
        "load_seconds": results["load"]["load_seconds"],
    }
    report = {
        name: {
            "target": TARGETS[name],
            "measured": value,
            "met": value <= TARGETS[name]
            if name in ("p99_ms", "p99_cold_ms", "load_seconds")
            else value >= TARGETS[name],
        }
        for name, value in measured.items()
    }
    for split in ("random", "one_new", "two_new"):
        for metric in ("macro_f1", "major_recall", "auroc"):
            model, prior = splits[split]["model"][metric], splits[split]["prior"][metric]
            report[f"{split}_{metric}_beats_prior"] = {
                "target": prior,
                "measured": model,
                "met": model > prior,
            }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", default=str(ROOT / "models/prescription/current"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--refit", action="store_true")
    parser.add_argument(
        "--hard-negative-fraction",
        type=float,
        default=None,
        help="with --refit: share of hard training negatives (default: the bundle's config)",
    )
    parser.add_argument("--out", default=str(ROOT / "build/bench/prescription.json"))
    args = parser.parse_args()
    os.chdir(ROOT)
    bundle = Path(args.bundle).resolve()
    results = measure(bundle, args.requests)
    if args.refit:
        fresh = refit(bundle, args.hard_negative_fraction)
        results["splits"], results["splits_measured_by"] = (
            fresh["splits"],
            f"--refit ({fresh['seconds']:.0f} s)",
        )
    results["target_check"] = target_report(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print()
    print_tables(results)


def measure(bundle: Path, requests: int) -> dict[str, Any]:
    """The training run's split figures (from the manifest), latency, load and bundle size."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    return {
        "bundle_version": manifest["bundle_version"],
        "data_source": manifest["data"]["source"],
        "splits": manifest["metrics"]["splits"],
        "splits_measured_by": "training run (manifest)",
        "behaviour": manifest["metrics"].get("behaviour"),
        "knowledge_base": manifest["metrics"]["knowledge_base"],
        "latency_10_drugs_3_current": latency(bundle, requests),
        "load": load_stats(bundle),
        "bundle_mb": sum(p.stat().st_size for p in bundle.iterdir()) / 2**20,
        "targets": TARGETS,
    }


def print_tables(results: dict[str, Any]) -> None:
    """The markdown summary printed after the JSON."""
    print(
        f"Prescription benchmark, bundle {results['bundle_version']} "
        f"({results['data_source']} data); "
        f"splits measured by {results['splits_measured_by']}\n"
    )
    print("| split | model | macro-F1 | major recall | AUROC | graded test pairs | negatives |")
    print("|---|---|---|---|---|---|---|")
    for split in ("random", "one_new", "two_new"):
        kinds = results["splits"][split]
        for kind in ("model", "prior"):
            m = kinds[kind]
            print(
                f"| {split} | {'learned' if kind == 'model' else 'ATC-3 class-pair prior'} "
                f"| {m['macro_f1']:.4f} | {m['major_recall']:.4f} | {m['auroc']:.4f} "
                f"| {m['n_graded']:.0f} | {m['n_neg']:.0f} |"
            )
    lat, load = results["latency_10_drugs_3_current"], results["load"]
    print(
        f"\n10-drug prescription + 3 current medications, 1 thread: p50 {lat['p50_ms']:.2f} ms, "
        f"p99 {lat['p99_ms']:.2f} ms warm, p50 {lat['cold']['p50_ms']:.2f} ms, "
        f"p99 {lat['cold']['p99_ms']:.2f} ms cold ({lat['pairs']} pairs, {lat['alerts']} alerts)"
    )
    print(
        f"bundle load {load['load_seconds']:.2f} s, peak RSS {load['peak_rss_mb']:.0f} MB, "
        f"bundle {results['bundle_mb']:.1f} MB"
    )
    print("\n| target | wanted | measured | met |\n|---|---|---|---|")
    for name, check in results["target_check"].items():
        print(f"| {name} | {check['target']:.4g} | {check['measured']:.4g} | {check['met']} |")


if __name__ == "__main__":
    main()
