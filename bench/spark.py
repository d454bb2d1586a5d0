"""Spark batch scoring against the batch CLIs: same answers, no lost rows, CPU per row.

    python bench/spark.py --triage-bundle models/triage/current \\
        --recommend-bundle models/recommend/current --data-dir ../shared/data

For each task it writes one input (JSON lines for the CLI, the same rows as Parquet for Spark, with
about 0.5% rows the schema refuses), runs `python -m <task>` and `python -m sparkjobs score` on
local[2], and compares every output row (the frame's JSON columns parsed back; an error compared
without the CLI's "line N: " prefix, which a table has no use for).

CPU is user+system time of the whole process tree (the CLI; Spark's driver, JVM and Python
workers, read from /proc before the session stops), for the job alone: Spark's start-up (JVM,
about 10 s of CPU) is reported on its own line. Bundle loads are counted by the job's accumulator
and compared with the number of Python worker processes.

Consultations are haodf requests from --data-dir (texts reused under new ids until there are
enough, ages varied), or the demo complaints where there is no data directory. Carts are drawn
from the recommend bundle's catalogue with a popularity skew. Targets (issue 14): identical
output, zero lost rows, Spark CPU per row <= 1.5x the CLI's, loads == worker processes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.frames import row_to_cli_json  # noqa: E402

CLI = {"triage": "predict", "recommend": "score", "prescription": "check"}
CPU_TARGET = 1.5
TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """user+system seconds of `root` and every live descendant (from /proc)."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += cpu.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def _python_workers(root: int) -> int:
    """PySpark worker processes under `root` (the forked children of pyspark.daemon)."""
    daemons = set()
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        parents[int(entry.name)] = ppid
        if "pyspark.daemon" in cmdline:
            daemons.add(int(entry.name))
    workers = [pid for pid, ppid in parents.items() if ppid in daemons]
    return len(workers)


# ---------------------------------------------------------------------------------------------
# Inputs


def consultations(n: int, data_dir: Path | None, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    texts: list[str] = []
    haodf = data_dir / "triage" / "haodf20" if data_dir else None
    if haodf and (haodf / "train.csv").is_file():
        for name in ("train.csv", "unlabeled.csv"):
            with open(haodf / name, encoding="utf-8", newline="") as handle:
                texts += [row["text"] for row in csv.DictReader(handle) if row.get("text")]
    else:
        lines = (ROOT / "data/demo/consultations.jsonl").read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = {"id": f"c{i:07d}", "text": texts[i % len(texts)]}
        if rng.random() < 0.8:
            row["age"] = rng.randint(0, 90)
        if rng.random() < 0.7:
            row["sex"] = rng.choice(["F", "M"])
        if rng.random() < 0.005:  # rows the schema refuses
            row = rng.choice([{**row, "text": "  "}, {**row, "age": 300}, {**row, "sex": "x"}])
        rows.append(row)
    return rows


def carts(n: int, bundle: Path, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    with open(bundle / "items.csv", encoding="utf-8", newline="") as handle:
        items = [row["item_id"] for row in csv.DictReader(handle)]
    with open(bundle / "users.csv", encoding="utf-8", newline="") as handle:
        users = [row["user_id"] for row in csv.DictReader(handle)]
    weights = [1.0 / (rank + 1) for rank in range(len(items))]  # a Zipf-like skew
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = {
            "id": f"cart{i:07d}",
            "cart": rng.choices(items, weights, k=rng.randint(1, 6)),
            "k": 10,
        }
        if users and rng.random() < 0.5:
            row["user_id"] = rng.choice(users)
        if rng.random() < 0.005:
            row = rng.choice([{**row, "k": 0}, {**row, "cart": ["  "]}])
        rows.append(row)
    return rows


def write_inputs(rows: list[dict[str, Any]], folder: Path) -> tuple[Path, Path]:
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    jsonl = folder / "input.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    parquet = folder / "input.parquet"
    frame = pd.DataFrame(rows)
    if "age" in frame:
        frame["age"] = frame["age"].astype("Int64")  # a nullable BIGINT, as a warehouse has it
    frame.to_parquet(parquet, row_group_size=5_000)
    return jsonl, parquet


# ---------------------------------------------------------------------------------------------
# The two runs


def run_cli(task: str, bundle: Path, jsonl: Path, folder: Path) -> dict[str, Any]:
    out = folder / "cli.out.jsonl"
    before = os.times()
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            task,
            CLI[task],
            "--bundle",
            str(bundle),
            "--input",
            str(jsonl),
            "--output",
            str(out),
            "--log-level",
            "WARNING",
        ],
        check=False,
        cwd=ROOT,
    )
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu, "output": out}


def run_spark(task: str, bundle: Path, parquet: Path, folder: Path) -> dict[str, Any]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    from sparkjobs.score import score

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(f"bench-{task}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # a bar redrawn 2x a second: CPU
        .config("spark.driver.memory", "4g")
        # several splits per input file, so both cores score (as a warehouse's many files do)
        .config("spark.sql.files.maxPartitionBytes", "2m")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).count()  # the JVM warm enough to run a job
    startup_cpu = _tree_cpu_seconds(os.getpid())
    startup_seconds = time.perf_counter() - started
    job_started = time.perf_counter()
    report = score(
        spark,
        task,
        bundle=str(bundle),
        input=str(parquet),
        output=str(folder / "spark.out"),
        partition="2026-12-02",
    )
    seconds = time.perf_counter() - job_started
    cpu = _tree_cpu_seconds(os.getpid()) - startup_cpu
    workers = _python_workers(os.getpid())
    frame: Any = spark.read.parquet(str(folder / "spark.out")).toPandas()
    spark.stop()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "startup_seconds": startup_seconds,
        "startup_cpu_seconds": startup_cpu,
        "report": report,
        "python_workers": workers,
        "rows": frame.to_dict("records"),
    }


def _decision(answer: Any) -> Any:
    """The answer with every float replaced by None: what a reader acts on."""
    if isinstance(answer, dict):
        return {k: _decision(v) for k, v in answer.items()}
    if isinstance(answer, list):
        return [_decision(v) for v in answer]
    return None if isinstance(answer, float) else answer


def _floats(answer: Any) -> list[float]:
    if isinstance(answer, dict):
        return [f for v in answer.values() for f in _floats(v)]
    if isinstance(answer, list):
        return [f for v in answer for f in _floats(v)]
    return [answer] if isinstance(answer, float) else []


def _float_gap(a: Any, b: Any) -> float:
    pairs = zip(_floats(a), _floats(b), strict=False)
    return max((abs(x - y) for x, y in pairs), default=0.0)


def compare(task: str, cli_out: Path, spark_rows: list[dict[str, Any]]) -> dict[str, int]:
    expected, texts = {}, {}
    for line in cli_out.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)
        if "error" in answer:
            answer["error"] = re.sub(r"^line \d+: ", "", answer["error"])
            line = json.dumps(answer, ensure_ascii=False)
        expected[answer["id"]] = answer
        texts[answer["id"]] = line
    got = {row["id"]: row_to_cli_json(row, task) for row in spark_rows}
    differ = [key for key, value in expected.items() if got.get(key) != value]
    # The frame's row as the CLI's JSON line, compared as text: byte for byte.
    differ_bytes = sum(
        key not in got or json.dumps(got[key], ensure_ascii=False) != text
        for key, text in texts.items()
    )
    # Rows that differ: only in a float's last printed digit (the predictor called with other
    # requests than the CLI's call had: a padded width, a summation order), or in a decision?
    decisions = sum(_decision(got.get(key)) != _decision(expected[key]) for key in differ)
    return {
        "cli_rows": len(expected),
        "spark_rows": len(spark_rows),
        "differ": len(differ),
        "differ_bytes": differ_bytes,
        "differ_in_a_decision": decisions,
        "max_abs_float_diff": max((_float_gap(got.get(k), expected[k]) for k in differ), default=0),
        "missing": len(set(expected) - set(got)),
        "errors": sum("error" in value for value in expected.values()),
    }


def bench_task(task: str, bundle: Path, rows: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    jsonl, parquet = write_inputs(rows, folder)
    cli = run_cli(task, bundle, jsonl, folder)
    spark = run_spark(task, bundle, parquet, folder)
    same = compare(task, cli["output"], spark["rows"])
    report = spark["report"]
    n = len(rows)
    ratio = (spark["cpu_seconds"] / n) / (cli["cpu_seconds"] / n)
    return {
        "task": task,
        "rows": n,
        "bundle": str(bundle),
        **same,
        "identical": same["differ"] == 0 and same["missing"] == 0,
        "byte_identical": same["differ_bytes"] == 0,
        "same_decisions": same["differ_in_a_decision"] == 0 and same["missing"] == 0,
        "lost": report.lost,
        "error_rows": report.errors,
        "bundle_loads": report.bundle_loads,
        "python_workers": spark["python_workers"],
        "cli_seconds": round(cli["seconds"], 2),
        "cli_cpu_ms_per_row": round(1000 * cli["cpu_seconds"] / n, 4),
        "spark_seconds": round(spark["seconds"], 2),
        "spark_cpu_ms_per_row": round(1000 * spark["cpu_seconds"] / n, 4),
        "spark_startup_seconds": round(spark["startup_seconds"], 2),
        "spark_startup_cpu_seconds": round(spark["startup_cpu_seconds"], 2),
        "cpu_ratio": round(ratio, 3),
        "cpu_ratio_target": CPU_TARGET,
        "cpu_ratio_met": ratio <= CPU_TARGET,
        "rows_per_second_spark": round(n / spark["seconds"], 1),
        "rows_per_second_cli": round(n / cli["seconds"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triage-bundle", type=Path)
    parser.add_argument("--recommend-bundle", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--consultations", type=int, default=200_000)
    parser.add_argument("--carts", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "build/bench/spark")
    parser.add_argument("--output", type=Path, default=ROOT / "build/bench/spark.json")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = []
    if args.triage_bundle:
        rows = consultations(args.consultations, args.data_dir, args.seed)
        results.append(bench_task("triage", args.triage_bundle, rows, args.work / "triage"))
    if args.recommend_bundle:
        rows = carts(args.carts, args.recommend_bundle, args.seed)
        results.append(
            bench_task("recommend", args.recommend_bundle, rows, args.work / "recommend")
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    columns = [
        "task",
        "rows",
        "identical",
        "byte_identical",
        "lost",
        "error_rows",
        "bundle_loads",
        "python_workers",
        "cli_cpu_ms_per_row",
        "spark_cpu_ms_per_row",
        "cpu_ratio",
        "spark_seconds",
        "cli_seconds",
    ]
    print(" | ".join(columns))
    for result in results:
        print(" | ".join(str(result[c]) for c in columns))


if __name__ == "__main__":
    main()
