"""Recommender benchmark: every model on both tasks, cart-scoring latency, training time and memory.

    python bench/recommend.py [--train] [--requests 2000] [--out FILE]

Quality figures are the ones each training run measured on its held-out users (full ranking)
and stored in the bundle manifest of build/recommend/<dataset>/latest; `--train` runs the four
configs first (Ta-Feng, Amazon Health, Amazon Beauty, demo; ~2 hours on 2 cores: Ta-Feng ~45
min, Health ~50 min, Beauty ~25 min, demo ~1 min, as measured). Latency: one
request at a time through the torch-free predictor, one ONNX thread, after warm-up, for carts of
1, 5 and 20 items, on the Ta-Feng bundle and on a synthetic 400,000-item catalogue (random
50-neighbour graph, the scale test). Prints JSON, then markdown tables. Targets are reported,
never asserted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from training.recommend.models import ItemGraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = {
    "tafeng": "configs/recommend.yaml",
    "amazon_health": "configs/recommend_amazon_health.yaml",
    "amazon_beauty": "configs/recommend_amazon_beauty.yaml",
    "demo": "configs/recommend_demo.yaml",
}
# Published or issue-given references under the same protocols (full ranking).
REFERENCES = {
    "tafeng": {"popularity hr@10 (issue)": 0.06, "co-occurrence hr@10 (issue)": 0.15},
    "amazon_beauty": {
        "SASRec ndcg@10 (S3-Rec paper)": 0.0318,
        "S3-Rec ndcg@10 (S3-Rec paper)": 0.0327,
        "transition ndcg@10 (issue)": 0.057,
    },
    "amazon_health": {"transition ndcg@10 (issue)": 0.042},
}
TARGETS = {
    "tafeng_hr@10": 0.20,
    "amazon_health_ndcg@10": 0.05,
    "amazon_beauty_ndcg@10": 0.0327,
    "p99_ms_tafeng": 10.0,
    "p99_ms_400k": 25.0,
}
SYNTHETIC_ITEMS = 400_000


def train_all() -> None:
    """Run every config (the models' quality figures come from these runs)."""
    for config in RUNS.values():
        subprocess.run(
            [sys.executable, "-m", "training", "train", "recommend", "--config", config],
            check=True,
            cwd=ROOT,
        )


def latest_bundle(name: str) -> Path | None:
    """build/recommend/<name>/latest/bundle, when that run exists."""
    path = ROOT / "build/recommend" / name / "latest" / "bundle"
    return path if (path / "manifest.json").is_file() else None


def quality(name: str, bundle: Path) -> dict[str, Any]:
    """Per-model validation/test metrics, fit time and memory from a run's manifest."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    models = manifest["metrics"]["models"]
    return {
        "bundle_version": manifest["bundle_version"],
        "task": manifest["data"]["task"],
        "deployed": manifest["metrics"]["deployed"],
        "data": manifest["data"],
        "models": {
            model: {
                "validation": m["validation"],
                "test": m["test"],
                "test_strict": m.get("test_strict"),
                "fit_seconds": m["fit_seconds"],
                "peak_rss_mb": m.get("peak_rss_mb"),
            }
            for model, m in models.items()
        },
        "references": REFERENCES.get(name, {}),
    }


def synthetic_bundle(folder: Path, items: int, neighbours: int = 50) -> Path:
    """A 400,000-item item-graph bundle with random neighbours (latency only, no quality)."""
    import shutil

    import onnx

    from runtime.bundle import write_bundle
    from training.recommend.export import item_graph_onnx

    bundle = folder / "bundle"
    if (bundle / "manifest.json").is_file():
        return bundle
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / "model.onnx"
    onnx.save(item_graph_onnx(_random_graph(items, neighbours)), str(onnx_path))
    manifest = _synthetic_manifest(onnx_path)
    files: dict[str, bytes | str | Path] = {
        "model.onnx": onnx_path,
        "items.csv": _synthetic_items(items),
        "users.csv": "user_id,baskets\n",
        "examples.jsonl": "{}\n",
    }
    # The golden example is the staged bundle's own answer: write, score, then write for real.
    staged = write_bundle(folder / "staged", manifest, files)
    files["examples.jsonl"] = _golden_example(staged.path)
    write_bundle(bundle, manifest, files)
    shutil.rmtree(staged.path)
    return bundle


def _random_graph(items: int, neighbours: int) -> ItemGraph:
    """An ItemGraph whose every item has `neighbours` random neighbours (seeded)."""
    from scipy import sparse

    from training.recommend.models import ItemGraph

    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(items), neighbours)
    cols = rng.integers(0, items, items * neighbours)
    values = rng.random(items * neighbours).astype(np.float32)
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(items, items))
    popularity = rng.random(items).astype(np.float32)
    return ItemGraph(matrix, matrix * 0.3, popularity, popularity_weight=0.01)


def _synthetic_items(items: int) -> str:
    """items.csv of numbered SKUs with no names, links or baskets."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(
        ["index", "item_id", "name", "aisle", "department", "ingredients", "linked_by", "baskets"]
    )
    writer.writerows([i, f"SKU{i:06d}", "", "", "", "", "", 0] for i in range(items))
    return table.getvalue()


def _synthetic_manifest(onnx_path: Path) -> dict[str, Any]:
    from recommend.manifest import ItemGraphPreprocessing, RecommendPostprocessing
    from recommend.predictor import ITEM_GRAPH, TASK
    from training.export import tensor_specs

    return {
        "task": TASK,
        "name": "recommend-synthetic",
        "architecture": ITEM_GRAPH,
        "bundle_version": "synthetic-400k",
        "created_at": "2026-12-01T00:00:00+00:00",
        **tensor_specs(onnx_path),
        # the values the predictor's old defaults gave, so the figures stay comparable
        "preprocessing": ItemGraphPreprocessing(
            cart_size_power=0.0,
            history_decay=0.7,
            history_limit=10,
            history_size_power=0.0,
            exclude_history=False,
        ).to_manifest(),
        "postprocessing": RecommendPostprocessing(safety_filter=False).to_manifest(),
    }


def _golden_example(staged: Path) -> str:
    """examples.jsonl: one request and the staged bundle's answer to it."""
    from recommend.predictor import RecommendPredictor
    from recommend.schema import ScoreRequest

    predictor = RecommendPredictor.from_bundle(staged, self_test=False)
    request = {"id": "scale", "cart": ["SKU000001", "SKU123456"], "k": 10}
    expected = predictor.score(ScoreRequest.model_validate(request)).model_dump()
    return json.dumps({"request": request, "expected": expected}) + "\n"


def latency(bundle: Path, n: int) -> dict[str, Any]:
    """p50/p99 per cart size, one request at a time, one thread; plus the bundle load time."""
    from recommend.predictor import RecommendPredictor
    from recommend.schema import ScoreRequest
    from runtime.timing import latency_ms

    started = time.perf_counter()
    predictor = RecommendPredictor.from_bundle(bundle, threads=1)
    load_seconds = time.perf_counter() - started
    ids = [item.item_id for item in predictor.items]
    users = list(predictor.users)
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {"load_seconds": load_seconds, "items": len(ids)}
    for size in (1, 5, 20):
        requests = [
            ScoreRequest(
                id=str(i),
                cart=list(rng.choice(ids, size=size, replace=False)),
                user_id=users[i % len(users)] if users and i % 2 else None,
                k=10,
            )
            for i in range(n)
        ]
        out[f"cart_{size}"] = latency_ms(lambda r: predictor.score(r), requests, warmup=50)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train", action="store_true", help="run the four configs first")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--out", default=str(ROOT / "build/bench/recommend.json"))
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.train:
        train_all()
    results = measure_all(args.requests)
    results["target_check"] = target_check(results["quality"], results["latency"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=float))
    print(json.dumps(results, indent=2, default=float))
    print()
    print_quality_tables(results["quality"])
    print_latency_table(results["latency"])
    print("\n| target | wanted | measured | met |\n|---|---|---|---|")
    for name, check in results["target_check"].items():
        print(f"| {name} | {check['target']} | {check['measured']:.4f} | {check['met']} |")


def measure_all(requests: int) -> dict[str, Any]:
    """Quality of every run's latest bundle, and latency on each and on the synthetic catalogue."""
    results: dict[str, Any] = {"quality": {}, "latency": {}, "targets": TARGETS}
    for name in RUNS:
        bundle = latest_bundle(name)
        if bundle is None:
            results["quality"][name] = {
                "missing": f"no run; python -m training train recommend --config {RUNS[name]}"
            }
            continue
        results["quality"][name] = quality(name, bundle)
    for name in RUNS:
        bundle = latest_bundle(name)
        if bundle is not None:
            label = "demo (safety filter on)" if name == "demo" else name
            results["latency"][label] = latency(bundle, requests)
    synthetic = synthetic_bundle(ROOT / "build/bench/recommend_400k", SYNTHETIC_ITEMS)
    results["latency"]["synthetic_400k"] = latency(synthetic, requests)
    return results


def target_check(q: dict[str, Any], lat: dict[str, Any]) -> dict[str, Any]:
    """Each target against the deployed models' test figures and the worst p99 over cart sizes."""

    def deployed(name: str, metric: str) -> float:
        entry = q.get(name, {})
        return (
            float(entry["models"][entry["deployed"]]["test"][metric])
            if "models" in entry
            else float("nan")
        )

    measured = {
        "tafeng_hr@10": deployed("tafeng", "hr@10"),
        "amazon_health_ndcg@10": deployed("amazon_health", "ndcg@10"),
        "amazon_beauty_ndcg@10": deployed("amazon_beauty", "ndcg@10"),
        "p99_ms_tafeng": max(lat["tafeng"][f"cart_{s}"]["p99_ms"] for s in (1, 5, 20))
        if "tafeng" in lat
        else float("nan"),
        "p99_ms_400k": max(lat["synthetic_400k"][f"cart_{s}"]["p99_ms"] for s in (1, 5, 20)),
    }
    return {
        name: {
            "target": target,
            "measured": measured[name],
            "met": measured[name] <= target if name.startswith("p99") else measured[name] >= target,
        }
        for name, target in TARGETS.items()
    }


def print_quality_tables(q: dict[str, Any]) -> None:
    """One markdown table per dataset: every model's validation and test figures."""
    for name, entry in q.items():
        if "models" not in entry:
            print(f"{name}: {entry['missing']}\n")
            continue
        print(f"### {name} ({entry['task']}, bundle {entry['bundle_version']}, ", end="")
        print(f"deployed: {entry['deployed']})\n")
        print("| model | val HR@10 | val NDCG@10 | test HR@10 | test NDCG@10 ", end="")
        print("| strict test NDCG@10 | test coverage@10 | fit s | peak RSS MB |")
        print("|---|---|---|---|---|---|---|---|---|")
        for model, m in entry["models"].items():
            v, t = m["validation"], m["test"]
            strict = f"{m['test_strict']['ndcg@10']:.4f}" if m.get("test_strict") else ""
            rss = f"{m['peak_rss_mb']:.0f}" if m.get("peak_rss_mb") else ""
            cells = [v["hr@10"], v["ndcg@10"], t["hr@10"], t["ndcg@10"]]
            print(f"| {model} | " + " | ".join(f"{c:.4f}" for c in cells), end=" ")
            print(f"| {strict} | {t['coverage@10']:.4f} | {m['fit_seconds']:.1f} | {rss} |")
        for ref, value in entry["references"].items():
            print(f"| reference: {ref} | | | | {value} | | | | |")
        print()


def print_latency_table(lat: dict[str, Any]) -> None:
    print("| catalogue | items | load s | p50 / p99 ms, 1 item | 5 items | 20 items |")
    print("|---|---|---|---|---|---|")
    for name, entry in lat.items():
        cells = [
            f"{entry[f'cart_{s}']['p50_ms']:.2f} / {entry[f'cart_{s}']['p99_ms']:.2f}"
            for s in (1, 5, 20)
        ]
        print(
            f"| {name} | {entry['items']} | {entry['load_seconds']:.2f} | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main()
