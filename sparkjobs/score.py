"""Spark batch scoring for the three tasks: a table in, a scored table out, nothing lost.

    spark-submit --master yarn --py-files hospital_ml.zip -m sparkjobs score triage \\
        --input table:ods.consultations --output table:ads.triage_scores \\
        --bundle models:/triage@champion --date 2026-12-02

Each executor's Python worker loads the bundle once (`runtime.frames.shared_predictor`) and scores
Arrow batches through `FrameScorer`, the same code as the CLIs; a row that cannot be scored is an
`error` row. Triage answers depend, in a float's last bits, on the other requests of the predictor
call, so a triage job first counts each partition (`Census`: a cheap pass that validates the rows
and keeps the edges' requests) and then scores each one in the CLI's groups of 256 requests
counted from the start of the input (`runtime.frames.align`): the output is the CLI's, byte for
byte, on the input in its read order (one file: its row order). A repartitioned input
(`--partitions`) has a shuffle's order, so only its decisions are sure to match the CLI's.

The bundle reaches executors as Spark files (`--ship files`, the default: the driver adds the
folder, each executor gets a local copy) or from a path every node sees (`--ship shared`:
HDFS-fuse, NFS, a container image).

After writing, the job reads its own output partition back and reports rows in, rows out, error
rows and bundle loads (an accumulator the workers add to), as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from runtime.frames import (
    GROUP_SENSITIVE_TASKS,
    Alignment,
    Census,
    FrameScorer,
    align,
    bundle_loads,
    output_columns,
)
from runtime.tasks import TASKS

logger = logging.getLogger(__name__)

TABLE_PREFIX = "table:"
DDL_TYPES = {
    "string": "STRING",
    "json": "STRING",
    "boolean": "BOOLEAN",
    "bigint": "BIGINT",
    "double": "DOUBLE",
}


@dataclass(frozen=True)
class ScoreReport:
    """What one run did (printed as JSON; the platform's scheduler can alert on it)."""

    task: str
    bundle: str
    partition: str
    rows_in: int
    rows_out: int
    errors: int
    lost: int
    bundle_loads: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Bundles: where they come from, how executors get them


def resolve_bundle(bundle: str, scratch: Path) -> Path:
    """A local bundle folder for `bundle`: a path as is, an MLflow URI
    (`models:/triage@champion`, `runs:/...`) downloaded into `scratch` on the driver."""
    if "://" not in bundle and not bundle.startswith("models:/"):
        path = Path(bundle)
        if not (path / "manifest.json").is_file():
            raise FileNotFoundError(f"bundle {bundle}: no manifest.json there")
        return path.resolve()
    import mlflow  # the driver only, and only for registry URIs

    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=bundle, dst_path=str(scratch)))
    manifests = sorted(local.rglob("manifest.json"), key=lambda p: len(p.parts))
    if not manifests:
        raise FileNotFoundError(f"{bundle}: the model holds no bundle (no manifest.json)")
    return manifests[0].parent  # the outermost one; deeper ones are bundles it embeds


def ship_bundle(spark: Any, path: Path, mode: str, scratch: Path) -> tuple[str, str]:
    """Make the bundle reachable from executors; returns (mode, what the worker opens).

    Spark files are keyed by base name for the whole application, and bundle folders are all
    called `bundle`: each is shipped under a name made from its manifest's hash, so two bundles
    never collide and the same one shipped twice is one file.
    """
    if mode == "shared":
        return mode, str(path)
    digest = hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()[:16]
    named = scratch / f"bundle-{digest}"
    if not named.exists():
        shutil.copytree(path, named)
    spark.sparkContext.addFile(str(named), recursive=True)
    return mode, named.name


def _worker_bundle(shipped: tuple[str, str]) -> str:
    mode, where = shipped
    if mode == "shared":
        return where
    from pyspark import SparkFiles

    return SparkFiles.get(where)


# ---------------------------------------------------------------------------------------------
# Tables


def read_input(spark: Any, source: str, fmt: str) -> Any:
    """`table:db.name` (Hive / the catalogue) or a path in `fmt` (parquet or json lines)."""
    if source.startswith(TABLE_PREFIX):
        return spark.table(source.removeprefix(TABLE_PREFIX))
    if fmt == "json":
        return spark.read.json(source)
    return spark.read.parquet(source)


def all_users_frame(spark: Any, bundle: Path, k: int) -> Any:
    """One request per user the recommend bundle knows (users.csv): the nightly job's input."""
    with open(bundle / "users.csv", encoding="utf-8", newline="") as handle:
        users = [row["user_id"] for row in csv.DictReader(handle)]
    rows: list[tuple[str, str, list[str], int]] = [(user, user, [], k) for user in users]
    return spark.createDataFrame(rows, "id STRING, user_id STRING, cart ARRAY<STRING>, k BIGINT")


def output_schema(task: str, frame: Any, passthrough: list[str]) -> str:
    """Spark DDL of the scored rows: the frame scorer's columns, then passthrough columns with
    their input types."""
    parts = [f"`{c.name}` {DDL_TYPES[c.kind]}" for c in output_columns(task)]
    for name in passthrough:
        parts.append(f"`{name}` {frame.schema[name].dataType.simpleString()}")
    return ", ".join(parts)


def write_output(frame: Any, target: str, partition_column: str, mode: str) -> None:
    """Write partitioned by `partition_column`; overwrite replaces only this run's partition."""
    writer = frame.write.mode(mode).partitionBy(partition_column)
    if target.startswith(TABLE_PREFIX):
        name = target.removeprefix(TABLE_PREFIX)
        if frame.sparkSession.catalog.tableExists(name):
            frame.write.mode(mode).insertInto(name, overwrite=mode == "overwrite")
        else:
            writer.format("parquet").saveAsTable(name)
    else:
        writer.parquet(target)


def read_output(spark: Any, target: str, partition_column: str, partition: str) -> Any:
    frame = (
        spark.table(target.removeprefix(TABLE_PREFIX))
        if target.startswith(TABLE_PREFIX)
        else spark.read.parquet(target)
    )
    return frame.where(frame[partition_column] == partition)


# ---------------------------------------------------------------------------------------------
# The job


def score(
    spark: Any,
    task: str,
    *,
    bundle: str,
    output: str,
    input: str | None = None,
    input_format: str = "parquet",
    partition: str | None = None,
    partition_column: str = "dt",
    passthrough: Iterable[str] = (),
    column_map: dict[str, str] | None = None,
    ship: str = "files",
    mode: str = "overwrite",
    all_users_k: int | None = None,
    partitions: int | None = None,
    load_options: dict[str, Any] | None = None,
    predict_options: dict[str, Any] | None = None,
) -> ScoreReport:
    """Score `input` (or, for recommend, every known user) into `output`; see the module doc."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(sorted(TASKS))}")
    started = time.perf_counter()
    partition = partition or date.today().isoformat()
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    scratch = Path(tempfile.mkdtemp(prefix="bundle-"))
    try:
        local_bundle = resolve_bundle(bundle, scratch)
        frame = _input_frame(spark, task, local_bundle, input, input_format, all_users_k)
        if partitions:
            # a small table in one file is one partition, scored on one core
            frame = frame.repartition(partitions)
        keep = _passthrough_columns(frame, passthrough, partition_column)
        shipped = ship_bundle(spark, local_bundle, ship, scratch)
        loads = spark.sparkContext.accumulator(0)
        options = (dict(load_options or {}), dict(predict_options or {}), dict(column_map or {}))
        counted, scored = _scored_frame(frame, task, keep, shipped, loads, options)
        rows_out, errors = _write_and_count(
            spark, scored, output, partition_column, partition, mode
        )
        rows_in = int(counted.value)
        report = ScoreReport(
            task=task,
            bundle=bundle,
            partition=partition,
            rows_in=rows_in,
            rows_out=rows_out,
            errors=errors,
            lost=rows_in - rows_out,
            bundle_loads=int(loads.value),
            seconds=round(time.perf_counter() - started, 2),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    logger.info("scored: %s", report)
    return report


def _input_frame(
    spark: Any,
    task: str,
    local_bundle: Path,
    input: str | None,
    input_format: str,
    all_users_k: int | None,
) -> Any:
    """The rows to score: every user the recommend bundle knows (`all_users_k`), else `input`."""
    if all_users_k is not None:
        if task != "recommend":
            raise ValueError("--all-users is for the recommend task")
        return all_users_frame(spark, local_bundle, all_users_k)
    if input is None:
        raise ValueError("give --input (or --all-users for recommend)")
    return read_input(spark, input, input_format)


def _passthrough_columns(
    frame: Any, passthrough: Iterable[str], partition_column: str
) -> list[str]:
    """The input columns copied to the output (the partition column is the job's own)."""
    keep = [name for name in passthrough if name != partition_column]
    missing = [name for name in keep if name not in frame.columns]
    if missing:
        raise ValueError(f"passthrough columns not in the input: {missing}")
    return keep


def _scored_frame(
    frame: Any,
    task: str,
    keep: list[str],
    shipped: tuple[str, str],
    loads: Any,
    options: tuple[dict[str, Any], dict[str, Any], dict[str, str]],
) -> tuple[Any, Any]:
    """(an accumulator of the rows in, to read once the frame is written; the lazily scored
    frame): each worker loads the bundle once, counting its loads in `loads`; `options` are
    (load_options, predict_options, column_map).

    Rows in are counted as the scoring reads them, not by a count job of their own (a plan, a
    scan and JIT warm-up that cost a small job more than its rows): the write is one result
    stage, whose accumulator updates Spark applies once per partition, retried or not.
    """
    rows = frame.sparkSession.sparkContext.accumulator(0)
    alignments = _census(frame, task, options[2]) if task in GROUP_SENSITIVE_TASKS else {}

    def counting(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            rows.add(batch.num_rows)
            yield batch

    def score_batches(batches: Iterator[Any]) -> Iterator[Any]:
        before = bundle_loads()
        scorer = FrameScorer.for_worker(
            task,
            _worker_bundle(shipped),
            load_options=options[0],
            predict_options=options[1],
            passthrough=keep,
            column_map=options[2],
        )
        loads.add(bundle_loads() - before)
        _tune_worker_gc()
        alignment = alignments.get(_partition_id())
        yield from scorer.iter_arrow(counting(batches), arrow_schema, alignment)

    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import StructType

    schema = output_schema(task, frame, keep)
    # Arrow in and out (mapInArrow): no pandas conversion on either side of the predictor.
    struct = StructType.fromDDL(schema)
    assert isinstance(struct, StructType)  # a list of columns parses to a struct
    arrow_schema = to_arrow_schema(struct)
    return rows, frame.mapInArrow(score_batches, schema)


_GC_TUNED = False


def _tune_worker_gc() -> None:
    """Set this Python worker's garbage collector for scoring, once per process.

    Scoring allocates millions of short-lived objects (requests, answers, rows) next to the
    bundle's long-lived ones. With the default thresholds the collector runs every 700
    allocations and its full passes walk the bundle's objects again each time; freezing what the
    load made and collecting young objects every 10,000 allocations cut recommend's worker CPU
    by about 7% (bench/spark.py). Answers are unchanged: only when garbage cycles are freed is.
    """
    global _GC_TUNED
    if not _GC_TUNED:
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        _GC_TUNED = True


def _partition_id() -> int:
    """The partition a Spark Python worker is scoring now."""
    from pyspark import TaskContext

    context = TaskContext.get()
    if context is None:
        raise RuntimeError("not inside a Spark task")
    return context.partitionId()


def _census(frame: Any, task: str, column_map: dict[str, str]) -> dict[int, Alignment]:
    """Each partition's `Alignment`: one pass over the request columns that counts each
    partition's requests and keeps the edges' requests (no bundle is loaded for it)."""

    def count(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa  # Spark's own dependency, on every worker that runs mapInArrow

        census = FrameScorer(task, None, column_map=column_map).census(batches)
        # pickled for the driver only, which unpickles what its own job just made
        row = {"partition": _partition_id(), "census": pickle.dumps(census)}
        yield pa.RecordBatch.from_pylist([row])

    wanted = FrameScorer(task, None, column_map=column_map).request_columns
    # only what requests are read from (a table without any of them still has its rows counted)
    columns = [name for name in wanted if name in frame.columns] or frame.columns[:1]
    counted = frame.select(*columns).mapInArrow(count, "partition BIGINT, census BINARY")
    censuses: dict[int, Census] = {
        row["partition"]: pickle.loads(row["census"]) for row in counted.collect()
    }
    order = sorted(censuses)
    alignments = align([censuses[index] for index in order])
    return dict(zip(order, alignments, strict=True))


def _write_and_count(
    spark: Any, scored: Any, output: str, partition_column: str, partition: str, mode: str
) -> tuple[int, int]:
    """Write the scored rows as `partition`, then read that partition back: (rows, error rows)."""
    from pyspark.sql import functions as F

    scored = scored.withColumn(partition_column, F.lit(partition))
    write_output(scored, output, partition_column, mode)
    written = read_output(spark, output, partition_column, partition)
    counts = written.agg(F.count(F.lit(1)).alias("rows"), F.count("error").alias("errors")).first()
    return int(counts["rows"]), int(counts["errors"])


def _pairs(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    pairs = {}
    for part in text.split(","):
        field, _, column = part.partition("=")
        if not field or not column:
            raise argparse.ArgumentTypeError(f"expected field=column, got {part!r}")
        pairs[field.strip()] = column.strip()
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sparkjobs", description="Spark batch jobs of the hospital package"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("score", help="score a table with a bundle, partition by date")
    cmd.add_argument("task", choices=sorted(TASKS))
    cmd.add_argument("--bundle", required=True, help="bundle folder or models:/<task>@champion")
    source = cmd.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="Parquet/JSON path, or table:db.name (Hive)")
    source.add_argument(
        "--all-users", type=int, metavar="K", help="recommend: top-K for every user in the bundle"
    )
    cmd.add_argument("--input-format", choices=["parquet", "json"], default="parquet")
    cmd.add_argument("--output", required=True, help="Parquet path, or table:db.name (Hive)")
    cmd.add_argument("--date", default=None, help="output partition value (default: today)")
    cmd.add_argument("--partition-column", default="dt")
    cmd.add_argument("--passthrough", default="", help="input columns to copy, comma-separated")
    cmd.add_argument(
        "--columns", default="", help="request field=input column, e.g. text=complaint,id=cid"
    )
    cmd.add_argument(
        "--ship",
        choices=["files", "shared"],
        default="files",
        help="files: Spark ships the bundle to executors; shared: a path all see",
    )
    cmd.add_argument(
        "--mode",
        choices=["overwrite", "append"],
        default="overwrite",
        help="overwrite replaces only this date's partition",
    )
    cmd.add_argument(
        "--master", default=None, help="local mode, e.g. local[2]; spark-submit sets it"
    )
    cmd.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="repartition the input first (default: as read)",
    )
    cmd.add_argument("--hive", action="store_true", help="use the Hive metastore (table: names)")
    cmd.add_argument("--evidence", default="none", help="triage: evidence mode (see the CLI)")
    cmd.add_argument("--department-map", default=None, help="triage: hospital department map")
    cmd.add_argument("--log-level", default="INFO")
    return parser


def session(master: str | None, hive: bool, app: str) -> Any:
    """The active Spark session (spark-submit's), or a local one for `python -m`."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    if master:
        # Local mode from a virtualenv: the workers must run this interpreter, not the system's
        # python3 (PySpark reads the variable when it starts the context).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(master)
    if hive:
        builder = builder.enableHiveSupport()
    return builder.getOrCreate()


def main(argv: list[str] | None = None) -> int:
    from runtime.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    spark = session(args.master, args.hive, f"hospital-score-{args.task}")
    load_options: dict[str, Any] = {}
    predict_options: dict[str, Any] = {}
    if args.task == "triage":
        load_options["department_map"] = args.department_map
        predict_options["evidence"] = args.evidence
    try:
        report = score(
            spark,
            args.task,
            bundle=args.bundle,
            input=args.input,
            input_format=args.input_format,
            output=args.output,
            partition=args.date,
            partition_column=args.partition_column,
            passthrough=[c for c in args.passthrough.split(",") if c],
            column_map=_pairs(args.columns),
            ship=args.ship,
            mode=args.mode,
            all_users_k=args.all_users,
            partitions=args.partitions,
            load_options=load_options,
            predict_options=predict_options,
        )
    except (FileNotFoundError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 1 if report.errors or report.lost else 0


if __name__ == "__main__":  # spark-submit runs this file as a script
    sys.exit(main())
