"""Recommender training past one machine: how time and memory grow with the catalogue, for the
Spark families on local[2] and the single-process ones, and what scoring costs at each size.

    python bench/spark_recommend.py [--sizes 12000,50000,100000,400000] [--families ...]
                                    [--requests 1000] [--budget 900] [--out FILE]

Data: synthetic baskets, seeded, about the shape of Ta-Feng and Instacart: Zipf(1) item
popularity; items grouped in "missions" of ~40 (a user shops two of them; 60% of a basket's draws
come from the basket's mission, the rest from the whole catalogue); basket sizes 1 + negative
binomial (mean ~8 distinct items after duplicates merge, long tail, at most 145 as in
Instacart); 10 baskets per catalogue item and ~8 baskets per user (400k items: 4M baskets).

Each (size, family) runs in its own process; this one samples that process tree's resident
memory from /proc every 0.2 s (driver Python, the Spark JVM and its Python workers), so "peak
MB" is everything the fit held at once. Each fitted graph is then exported to the item-graph
ONNX, parity-checked against `ItemGraph`, and timed one request at a time (onnxruntime, one
thread; carts of 1, 5 and 20 items, half the requests with a 20-item history).

Single-process families never get to allocate what would take the machine down: item-kNN runs
when its estimated peak (x^T x and its normalised copies, ~40 bytes per stored pair) fits in
70% of the memory available; EASE runs on the full catalogue only when its dense n x n inverse
fits (so not past 12,500 items, where training caps it); implicit's ALS runs its dense n x n
neighbour pass chunk by chunk and is stopped once its estimated total passes `--budget`
seconds (the estimate is reported). Prints JSON (also written to --out), then markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (12_000, 50_000, 100_000, 400_000)
SPARK_FAMILIES = ("spark_cooccurrence", "spark_als", "spark_als_exact")
SINGLE_FAMILIES = ("item_knn", "als", "ease")
FAMILIES = SPARK_FAMILIES + SINGLE_FAMILIES
NEIGHBOURS = 100
EASE_MAX_ITEMS = 12_500
TARGET_MINUTES = 30.0
TARGET_P99_MS = 25.0
WORK = ROOT / "build/bench/spark_recommend"

# The families as a training config would name them (configs/recommend_spark.yaml).
SETTINGS: dict[str, dict[str, Any]] = {
    "spark_cooccurrence": {"alpha": 0.5, "shrink": 10.0, "neighbours": NEIGHBOURS},
    "spark_als": {
        "factors": 32,
        "iterations": 10,
        "search": "candidates",
        "candidates": 200,
        "candidate_context": "basket",
    },
    "spark_als_exact": {"factors": 32, "iterations": 10, "search": "exact"},
    "item_knn": {"alpha": 0.5, "shrink": 10.0, "neighbours": NEIGHBOURS},
    "als": {"factors": 32, "iterations": 10, "context": "user"},
    "ease": {"l2": 200.0, "max_items": EASE_MAX_ITEMS},
}


# ---------------------------------------------------------------------------------------------
# Synthetic baskets


def synthetic_baskets(
    n_items: int,
    seed: int = 0,
    baskets_per_item: int = 10,
    draws_per_basket: float = 12.0,
    zipf: float = 1.0,
    mission_items: int = 40,
    mission_share: float = 0.6,
    baskets_per_user: int = 8,
) -> Any:
    """Baskets over `n_items` items with a Zipf popularity and shopping missions (see the
    module docstring); the same seed gives the same baskets."""
    from training.recommend.data import Baskets

    rng = np.random.default_rng(seed)
    popularity = 1.0 / (rng.permutation(n_items) + 1.0) ** zipf
    cumulative = np.cumsum(popularity)
    n_missions = max(n_items // mission_items, 1)
    mission_of = rng.integers(0, n_missions, n_items)
    by_mission = np.argsort(mission_of, kind="stable")
    mission_cumulative = np.cumsum(popularity[by_mission])
    starts = np.searchsorted(mission_of[by_mission], np.arange(n_missions))
    ends = np.append(starts[1:], n_items)
    before = np.where(starts > 0, mission_cumulative[np.maximum(starts - 1, 0)], 0.0)
    mass = mission_cumulative[np.maximum(ends - 1, 0)] - before

    n_baskets = n_items * baskets_per_item
    n_users = max(n_baskets // baskets_per_user, 1)
    user_missions = rng.choice(n_missions, size=(n_users, 2), p=mass / mass.sum())
    basket_user = np.sort(rng.integers(0, n_users, n_baskets))
    basket_mission = user_missions[basket_user, rng.integers(0, 2, n_baskets)]
    shape = 1.5  # negative binomial: many small baskets, a long tail of big ones
    sizes = 1 + rng.negative_binomial(shape, shape / (shape + draws_per_basket - 1), n_baskets)
    slot_basket = np.repeat(np.arange(n_baskets), np.minimum(sizes, 145))

    items = np.searchsorted(cumulative, rng.random(len(slot_basket)) * cumulative[-1])
    from_mission = rng.random(len(slot_basket)) < mission_share
    mission = basket_mission[slot_basket[from_mission]]
    target = before[mission] + rng.random(len(mission)) * mass[mission]
    position = np.minimum(np.searchsorted(mission_cumulative, target), n_items - 1)
    items[from_mission] = by_mission[position]
    key = np.unique(slot_basket.astype(np.int64) * n_items + np.minimum(items, n_items - 1))
    basket, item = key // n_items, key % n_items
    users_seen, basket_user = np.unique(basket_user, return_inverse=True)
    return Baskets(
        item_ids=[f"SKU{i:07d}" for i in range(n_items)],
        user_ids=[f"U{u:08d}" for u in users_seen],
        basket_user=basket_user.astype(np.int64),
        indptr=np.concatenate([[0], np.cumsum(np.bincount(basket, minlength=n_baskets))]),
        indices=item.astype(np.int64),
    )


def data_path(n_items: int) -> Path:
    return WORK / "data" / f"baskets_{n_items}.npz"


def save_baskets(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, basket_user=data.basket_user, indptr=data.indptr, indices=data.indices)


def load_baskets(path: Path, n_items: int) -> Any:
    from training.recommend.data import Baskets

    arrays = np.load(path)
    users = int(arrays["basket_user"].max()) + 1
    return Baskets(
        item_ids=[f"SKU{i:07d}" for i in range(n_items)],
        user_ids=[f"U{u:08d}" for u in range(users)],
        basket_user=arrays["basket_user"],
        indptr=arrays["indptr"],
        indices=arrays["indices"],
    )


def describe(data: Any) -> dict[str, Any]:
    """What the cost depends on: rows, basket sizes, pairs."""
    sizes = np.diff(data.indptr)
    counts = data.item_counts()
    top = np.sort(counts)[::-1]
    return {
        "items": data.n_items,
        "items_bought": int((counts > 0).sum()),
        "baskets": data.n_baskets,
        "users": len(data.user_ids),
        "rows": len(data.indices),
        "mean_basket": float(sizes.mean()),
        "p99_basket": float(np.percentile(sizes, 99)),
        "max_basket": int(sizes.max()),
        "top_1pct_items_share": float(top[: max(len(top) // 100, 1)].sum() / top.sum()),
        "basket_pairs": int((sizes * (sizes - 1)).sum() // 2),
    }


# ---------------------------------------------------------------------------------------------
# One job: fit one family on one catalogue (run in its own process)


def available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def single_guard(family: str, data: Any) -> str | None:
    """Why a single-process family must not run on this catalogue here (None: it may)."""
    n = data.n_items
    allowed = 0.7 * available_bytes()
    if family == "item_knn":
        sizes = np.diff(data.indptr)
        # x^T x stores each co-occurring ordered pair (at most every basket pair, both ways);
        # float32 + int32 index, then a float32 copy, COO row/col/data and the normalised
        # CSR: ~40 bytes a pair at the peak.
        pairs = min(int((sizes * (sizes - 1)).sum()), n * (n - 1))
        need = 40 * pairs
        return f"skipped: would need ~{gib(need)}" if need > allowed else None
    if family == "ease":
        # gram, inverse and weights: three dense float64 n x n matrices
        need = 3 * 8 * n * n
        if n > EASE_MAX_ITEMS or need > allowed:
            covered = min(EASE_MAX_ITEMS / n, 1.0)
            return (
                f"skipped: the full catalogue would need {gib(need)} (three dense n x n "
                f"float64); capped at {EASE_MAX_ITEMS:,} items it covers {covered:.0%} of it"
            )
    return None


def fit_single_als(data: Any, budget: float) -> tuple[Any, dict[str, Any]]:
    """models.ALS.fit step by step, so the dense neighbour pass can be stopped on a budget.

    Returns the model (None when stopped) and what was measured or estimated.
    """
    from implicit.cpu.als import AlternatingLeastSquares

    from training.recommend.models import ALS, ItemGraph, _popularity, _user_matrix, prune_rows

    settings = SETTINGS["als"]
    model = ALS(**settings, neighbours=NEIGHBOURS)
    started = time.perf_counter()
    factoriser = AlternatingLeastSquares(
        factors=model.factors,
        regularization=model.l2,
        iterations=model.iterations,
        alpha=model.confidence,
        random_state=0,
    )
    factoriser.fit(_user_matrix(data).astype(np.float32), show_progress=False)
    factor_seconds = time.perf_counter() - started
    items = np.asarray(factoriser.item_factors, dtype=np.float64)
    projection = np.linalg.solve(items.T @ items + model.l2 * np.eye(items.shape[1]), items.T) * (
        1.0 + model.confidence
    )
    n, chunk, blocks = data.n_items, 1024, []
    chunks = (n + chunk - 1) // chunk
    for number, start in enumerate(range(0, n, chunk), 1):
        block = (items[start : start + chunk] @ projection).astype(np.float32)
        np.fill_diagonal(block[:, start : start + chunk], 0.0)
        blocks.append(prune_rows(np.maximum(block, 0.0), NEIGHBOURS))
        spent = time.perf_counter() - started
        estimate = factor_seconds + (spent - factor_seconds) * chunks / number
        if number >= 2 and estimate > budget:
            return None, {
                "status": (
                    f"skipped: the dense n x n neighbour pass would take ~{estimate / 60:.0f} min"
                    f" (measured {number} of {chunks} chunks) > budget {budget / 60:.0f} min"
                ),
                "estimated_fit_seconds": estimate,
                "factor_seconds": factor_seconds,
            }
    from scipy import sparse

    similarity = sparse.vstack(blocks).tocsr()
    model.graph_ = ItemGraph(similarity, similarity * model.history_weight, _popularity(data))
    return model, {"factor_seconds": factor_seconds}


def build_family(family: str) -> Any:
    from training.recommend.models import EASE, ItemKNN
    from training.recommend.spark_fit import SparkALS, SparkCooccurrence

    if family == "spark_cooccurrence":
        return SparkCooccurrence(**SETTINGS[family])
    if family.startswith("spark_als"):
        return SparkALS(**SETTINGS[family], neighbours=NEIGHBOURS)
    if family == "item_knn":
        return ItemKNN(**SETTINGS[family])
    return EASE(**SETTINGS[family], neighbours=NEIGHBOURS)


def run_job(family: str, n_items: int, result: Path, budget: float, driver_memory: str) -> None:
    """Fit `family` on the cached catalogue of `n_items`, save its graph, write what happened."""
    import logging

    from scipy import sparse

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    data = load_baskets(data_path(n_items), n_items)
    out: dict[str, Any] = {"family": family, "items": n_items, "status": "ok"}
    guard = single_guard(family, data)
    if guard is not None:
        out["status"] = guard
        result.write_text(json.dumps(out))
        return
    started = time.perf_counter()
    if family == "als":
        model, extra = fit_single_als(data, budget)
        out.update(extra)
    else:
        model = build_family(family)
        if family.startswith("spark_"):
            model.set_params(
                driver_memory=driver_memory, shuffle_partitions=max(8, n_items // 12_500)
            )
        model.fit(data)
    out["fit_seconds"] = time.perf_counter() - started
    if model is None:
        result.write_text(json.dumps(out))
        return
    graph = model.graph_
    out["neighbour_entries"] = int(graph.cart_matrix.nnz)
    sparse.save_npz(result.with_suffix(".graph.npz"), graph.cart_matrix)
    np.save(result.with_suffix(".popularity.npy"), graph.popularity)
    factors = getattr(model, "item_factors_", None)
    if factors is not None:
        np.save(result.with_suffix(".factors.npy"), factors)
    result.write_text(json.dumps(out))


def run_scoring_job(graph_file: Path, result: Path, requests: int) -> None:
    """Export a saved graph to ONNX, check parity, time single requests on one thread."""
    import onnx
    import onnxruntime as ort
    from scipy import sparse

    from runtime.timing import latency_ms
    from training.recommend.export import check_item_graph_parity, item_graph_onnx
    from training.recommend.models import ItemGraph

    similarity = sparse.load_npz(graph_file).tocsr()
    popularity = np.load(str(graph_file).replace(".graph.npz", ".popularity.npy"))
    graph = ItemGraph(similarity, (similarity * 0.3).tocsr(), popularity)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        started = time.perf_counter()
        onnx.save(item_graph_onnx(graph), str(path))
        out["export_seconds"] = time.perf_counter() - started
        out["onnx_mb"] = path.stat().st_size / 2**20
        out["parity_max_abs_diff"] = check_item_graph_parity(graph, Path(folder) / "parity.onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        started = time.perf_counter()
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        out["load_seconds"] = time.perf_counter() - started
        rng = np.random.default_rng(0)
        n = graph.n_items
        # requests draw cart items by popularity, as real carts do (popular items have the
        # fullest neighbour rows, so this is the heavier case)
        weights = popularity.astype(np.float64) + 1e-9
        weights /= weights.sum()
        for size in (1, 5, 20):
            feeds = []
            for r in range(requests):
                cart = np.unique(rng.choice(n, size=size, p=weights)).astype(np.int64)
                history = (
                    rng.choice(n, size=20, p=weights).astype(np.int64)
                    if r % 2
                    else np.zeros(0, np.int64)
                )
                feeds.append(
                    {
                        "cart": cart,
                        "cart_weight": np.ones(len(cart), np.float32),
                        "history": history,
                        "history_weight": np.full(len(history), 0.5, np.float32),
                        "exclude": cart,
                        "k": np.array([10], np.int64),
                    }
                )
            out[f"cart_{size}"] = latency_ms(lambda f: session.run(None, f), feeds, warmup=50)
    out["p99_ms"] = max(out[f"cart_{s}"]["p99_ms"] for s in (1, 5, 20))
    result.write_text(json.dumps(out))


def run_data_job(n_items: int, result: Path) -> None:
    """Generate and cache the catalogue's baskets; describe them."""
    path = data_path(n_items)
    if path.is_file():
        data = load_baskets(path, n_items)
    else:
        data = synthetic_baskets(n_items)
        save_baskets(data, path)
    result.write_text(json.dumps(describe(data)))


# ---------------------------------------------------------------------------------------------
# The parent: one process per job, memory sampled from /proc


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_bytes(pid: int) -> tuple[int, str]:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return 0, ""
    name, rss = "", 0
    for line in status.splitlines():
        if line.startswith("Name:"):
            name = line.split()[1]
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return rss, name


def run_measured(args: list[str], log: Path, timeout: float) -> dict[str, Any]:
    """Run `python bench/spark_recommend.py <args>` (stderr to `log`) and sample its process
    tree's memory."""
    started = time.perf_counter()
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT, stderr=stderr)
        peak_total = peak_jvm = peak_python = 0
        while process.poll() is None:
            tree, pids, total, jvm, python = _children(), [process.pid], 0, 0, 0
            for pid in pids:
                pids.extend(tree.get(pid, []))
                rss, name = _rss_bytes(pid)
                total += rss
                jvm += rss if name == "java" else 0
                python += rss if pid == process.pid else 0
            peak_total, peak_jvm = max(peak_total, total), max(peak_jvm, jvm)
            peak_python = max(peak_python, python)
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                return {"status": f"timeout after {timeout:.0f} s", "log": str(log)}
            time.sleep(0.2)
    return {
        "returncode": process.returncode,
        "wall_seconds": time.perf_counter() - started,
        "peak_mb": peak_total / 2**20,
        "peak_jvm_mb": peak_jvm / 2**20,
        "peak_driver_python_mb": peak_python / 2**20,
        "log": str(log),
    }


def candidate_recall(work: Path) -> float | None:
    """Share of the exact ALS top-N that the candidate search also keeps (same factors)."""
    from scipy import sparse

    files = [work / f"{f}.graph.npz" for f in ("spark_als", "spark_als_exact")]
    factors = [work / f"{f}.factors.npy" for f in ("spark_als", "spark_als_exact")]
    if not all(p.is_file() for p in files + factors):
        return None
    if not np.allclose(np.load(factors[0]), np.load(factors[1]), atol=1e-4):
        return None  # different factorisations: the overlap would not measure the search
    candidates, exact = (sparse.load_npz(p).tocsr() for p in files)
    hits = exact.multiply(candidates > 0)
    return float(hits.getnnz() / max(exact.getnnz(), 1))


def bench_size(
    n_items: int, families: list[str], requests: int, budget: float, driver_memory: str
) -> dict[str, Any]:
    """Generate the `n_items` catalogue's data, then fit and score each family on it, each job
    in its own measured process."""
    work = WORK / f"items_{n_items}"
    work.mkdir(parents=True, exist_ok=True)
    data_result = work / "data.json"
    generated = run_measured(
        ["--job", "data", "--items", str(n_items), "--result", str(data_result)],
        work / "data.log",
        timeout=3600,
    )
    if generated.get("returncode") != 0:
        raise RuntimeError(f"generating {n_items} items failed: {generated}")
    entry: dict[str, Any] = {"data": json.loads(data_result.read_text()), "families": {}}
    for family in families:
        record = _fit_family(work, family, n_items, budget, driver_memory)
        graph = work / f"{family}.graph.npz"
        if graph.is_file():
            record["scoring"] = _score_graph(work, family, graph, requests)
        entry["families"][family] = record
        print(f"{n_items} items, {family}: {_summary(record)}", file=sys.stderr, flush=True)
    return entry


def _fit_family(
    work: Path, family: str, n_items: int, budget: float, driver_memory: str
) -> dict[str, Any]:
    """One family's fit job: the process's measurements and the job's own result."""
    result = work / f"{family}.json"
    for stale in work.glob(f"{family}.*"):
        stale.unlink()  # a graph left by an earlier run must not be scored as this one's
    job = run_measured(
        [
            "--job",
            family,
            "--items",
            str(n_items),
            "--result",
            str(result),
            "--budget",
            str(budget),
            "--driver-memory",
            driver_memory,
        ],
        work / f"{family}.log",
        timeout=max(budget * 2, 3600),
    )
    fitted = json.loads(result.read_text()) if result.is_file() else {}
    if job.get("returncode") != 0 and not fitted:
        fitted = {"status": f"failed: {job.get('status') or job.get('returncode')}"}
    return {**job, **fitted}


def _score_graph(work: Path, family: str, graph: Path, requests: int) -> dict[str, Any]:
    """Cart-scoring latency on a family's exported graph, with the scoring process's peak."""
    scored = work / f"{family}.scoring.json"
    scoring = run_measured(
        [
            "--job",
            "score",
            "--graph",
            str(graph),
            "--result",
            str(scored),
            "--requests",
            str(requests),
        ],
        work / f"{family}.scoring.log",
        timeout=3600,
    )
    record: dict[str, Any] = (
        json.loads(scored.read_text()) if scored.is_file() else {"status": "failed", **scoring}
    )
    record["peak_mb"] = scoring.get("peak_mb")
    return record


def _summary(record: dict[str, Any]) -> str:
    if record.get("status") != "ok":
        return str(record.get("status"))
    scoring = record.get("scoring", {})
    return (
        f"fit {record['fit_seconds']:.1f} s, job {record['wall_seconds']:.1f} s, "
        f"peak {record['peak_mb']:.0f} MB, p99 {scoring.get('p99_ms', float('nan')):.2f} ms"
    )


def print_tables(results: dict[str, Any]) -> None:
    print("\n| items | baskets | rows | mean basket | basket pairs | top 1% items' share |")
    print("|---|---|---|---|---|---|")
    for size, entry in results["sizes"].items():
        d = entry["data"]
        print(
            f"| {int(size):,} | {d['baskets']:,} | {d['rows']:,} | {d['mean_basket']:.1f} | "
            f"{d['basket_pairs']:,} | {d['top_1pct_items_share']:.0%} |"
        )
    print(
        "\n| items | family | fit s | job s | peak MB (all) | JVM MB | neighbours kept "
        "| ONNX MB | parity | p50 / p99 ms (1, 5, 20 items) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, entry in results["sizes"].items():
        for family, r in entry["families"].items():
            if r.get("status") != "ok":
                print(f"| {int(size):,} | {family} | {r.get('status')} | | | | | | | |")
                continue
            s = r.get("scoring", {})
            latency = " ; ".join(
                f"{s[f'cart_{c}']['p50_ms']:.2f} / {s[f'cart_{c}']['p99_ms']:.2f}"
                for c in (1, 5, 20)
                if f"cart_{c}" in s
            )
            print(
                f"| {int(size):,} | {family} | {r['fit_seconds']:.1f} | {r['wall_seconds']:.1f} | "
                f"{r['peak_mb']:.0f} | {r['peak_jvm_mb']:.0f} | {r['neighbour_entries']:,} | "
                f"{s.get('onnx_mb', float('nan')):.0f} | "
                f"{s.get('parity_max_abs_diff', float('nan')):.1e} | "
                f"{latency} |"
            )
    recalls = {
        size: e["als_candidate_recall_of_exact"]
        for size, e in results["sizes"].items()
        if e.get("als_candidate_recall_of_exact") is not None
    }
    if recalls:
        print("\nALS candidate search, share of the exact top-100 it keeps: ", end="")
        print(", ".join(f"{int(s):,} items {r:.1%}" for s, r in recalls.items()))
    print("\n| target | wanted | measured | met |\n|---|---|---|---|")
    for name, check in results["target_check"].items():
        print(f"| {name} | {check['target']} | {check['measured']} | {check['met']} |")


def target_check(results: dict[str, Any]) -> dict[str, Any]:
    """400,000 items through Spark within 30 min, scoring p99 <= 25 ms (best Spark family)."""
    entry = results["sizes"].get("400000") or results["sizes"].get(400_000)
    if entry is None:
        return {}
    done = {
        f: r
        for f, r in entry["families"].items()
        if f.startswith("spark_") and r.get("status") == "ok"
    }
    if not done:
        return {"train_400k_minutes": {"target": TARGET_MINUTES, "measured": None, "met": False}}
    minutes = {f: r["wall_seconds"] / 60 for f, r in done.items()}
    p99 = {f: r.get("scoring", {}).get("p99_ms", float("inf")) for f, r in done.items()}
    return {
        f"train_400k_minutes.{f}": {
            "target": TARGET_MINUTES,
            "measured": round(m, 1),
            "met": m <= TARGET_MINUTES,
        }
        for f, m in minutes.items()
    } | {
        f"p99_ms_400k.{f}": {
            "target": TARGET_P99_MS,
            "measured": round(p, 2),
            "met": p <= TARGET_P99_MS,
        }
        for f, p in p99.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds per single fit")
    parser.add_argument("--driver-memory", default="6g", help="Spark driver (local JVM) heap")
    parser.add_argument("--out", default=str(ROOT / "build/bench/spark_recommend.json"))
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other sizes' and families' results already in --out",
    )
    # one job of the parent's, in this process
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.job == "data":
        run_data_job(args.items, Path(args.result))
        return
    if args.job == "score":
        run_scoring_job(Path(args.graph), Path(args.result), args.requests)
        return
    if args.job:
        run_job(args.job, args.items, Path(args.result), args.budget, args.driver_memory)
        return

    families = [f for f in args.families.split(",") if f]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {list(FAMILIES)}")
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "memory_gib": available_bytes() / 2**30},
        "settings": SETTINGS,
        "sizes": {},
    }
    if args.update and Path(args.out).is_file():
        results["sizes"] = json.loads(Path(args.out).read_text())["sizes"]
    for size in (int(s) for s in args.sizes.split(",") if s):
        entry = bench_size(size, families, args.requests, args.budget, args.driver_memory)
        kept = results["sizes"].get(str(size), {}).get("families", {})
        merged = {**kept, **entry["families"]}
        entry["families"] = {f: merged[f] for f in FAMILIES if f in merged}
        entry["als_candidate_recall_of_exact"] = candidate_recall(WORK / f"items_{size}")
        results["sizes"][str(size)] = entry
    results["target_check"] = target_check(results)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=float))
    print(json.dumps(results, indent=2, default=float))
    print_tables(results)


if __name__ == "__main__":
    main()
