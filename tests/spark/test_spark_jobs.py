"""The Spark scoring jobs on local[2]: every row scored as the CLI scores it, bad rows as error
rows, nothing lost, the bundle loaded once per worker process, tables in and out, the bundle from
MLflow, and `mlflow.pyfunc.spark_udf`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from runtime.frames import row_to_cli_json
from sparkjobs.score import score
from tests.batch_cli import CLI, demo_records, run_cli

PARTITION = "2026-12-02"

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def bundles(
    triage_bundle: Path, prescription_bundle: Path, recommend_bundle: Path
) -> dict[str, Path]:
    return {
        "triage": triage_bundle,
        "prescription": prescription_bundle,
        "recommend": recommend_bundle,
    }


def _records(task: str, copies: int) -> list[dict[str, Any]]:
    """The demo requests `copies` times over (new ids), so the job sees several batches."""
    demo = demo_records(task)
    return [{**r, "id": f"{r['id']}#{n}", "source_key": n} for n in range(copies) for r in demo]


def _cli(task: str, bundle: Path, records: list[dict[str, Any]], tmp_path: Path) -> dict[str, dict]:
    requests = [{k: v for k, v in r.items() if k != "source_key"} for r in records]
    return {line["id"]: line for line in run_cli(task, bundle, requests, tmp_path)}


def _parquet(records: list[dict[str, Any]], path: Path) -> str:
    # Nested fields as JSON text: a Hive STRING column, the common way such tables hold them.
    rows = [
        {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
            for k, v in r.items()
        }
        for r in records
    ]
    pd.DataFrame(rows).to_parquet(path)
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(CLI))
def test_spark_job_output_equals_the_cli_with_errors_and_no_lost_rows(
    task: str, spark: Any, bundles: dict[str, Path], tmp_path: Path
) -> None:
    records = _records(task, copies=12)
    records.append({"id": "no-text-or-drugs", "source_key": -1})  # a row the schema refuses
    expected = _cli(task, bundles[task], records, tmp_path)
    source = spark.read.parquet(_parquet(records, tmp_path / "in.parquet")).repartition(6)
    source.write.parquet(str(tmp_path / "in6"))
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
    report = score(
        spark,
        task,
        bundle=str(bundles[task]),
        input=str(tmp_path / "in6"),
        output=str(tmp_path / "out"),
        partition=PARTITION,
        passthrough=["source_key"],
    )
    assert report.rows_in == report.rows_out == len(records) and report.lost == 0
    expected_errors = sum("error" in answer for answer in expected.values())
    assert report.errors == expected_errors >= 1
    # six partitions on two cores: each Python worker loads the bundle once
    assert 1 <= report.bundle_loads <= 2
    out = spark.read.parquet(str(tmp_path / "out")).toPandas()
    assert set(out["dt"].astype(str)) == {PARTITION}
    got = {row["id"]: row_to_cli_json(row, task) for row in out.to_dict("records")}
    assert got == expected
    assert sorted(out["source_key"]) == sorted(r["source_key"] for r in records)


def _cli_text(task: str, bundle: Path, records: list[dict[str, Any]], folder: Path) -> list[str]:
    """The CLI's output lines as text, each error without its "line N: " prefix."""
    source, out = folder / "cli.jsonl", folder / "cli.out.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    command = [sys.executable, "-m", task, CLI[task], "--bundle", str(bundle)]
    subprocess.run([*command, "--input", str(source), "--output", str(out)], check=False)
    lines = out.read_text(encoding="utf-8").splitlines()
    return [re.sub(r'"error": "line \d+: ', '"error": "', line) for line in lines]


@pytest.mark.slow
def test_spark_triage_output_is_the_clis_byte_for_byte_across_partitions(
    spark: Any, bundles: dict[str, Path], tmp_path: Path
) -> None:
    # Triage answers depend, in a float's last bits, on the other requests of the predictor
    # call: the job must score in the CLI's calls of 256 requests, counted over the whole file
    # (bad rows not counted), though partitions and Arrow batches cut it elsewhere.
    demo = demo_records("triage")
    records = [
        {**r, "id": f"{r['id']}#{n}", **({"age": (n * 7) % 90} if "age" in r else {})}
        for n in range(60)
        for r in demo
    ]
    expected = _cli_text("triage", bundles["triage"], records, tmp_path)
    source = tmp_path / "in.parquet"
    pd.DataFrame(records).astype({"age": "Int64"}).to_parquet(source, row_group_size=25)
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")  # one file, several partitions
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "16")
    try:
        assert spark.read.parquet(str(source)).rdd.getNumPartitions() >= 3
        report = score(
            spark,
            "triage",
            bundle=str(bundles["triage"]),
            input=str(source),
            output=str(tmp_path / "out"),
            partition=PARTITION,
        )
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert report.rows_in == report.rows_out == len(records) and report.lost == 0
    out = spark.read.parquet(str(tmp_path / "out")).toPandas()
    got = {
        row["id"]: json.dumps(row_to_cli_json(row, "triage"), ensure_ascii=False)
        for row in out.to_dict("records")
    }
    assert [got[r["id"]] for r in records] == expected


@pytest.mark.slow
def test_spark_job_reads_and_writes_tables_and_takes_the_bundle_from_mlflow(
    spark: Any, tracking_uri: str, triage_run: Any, tmp_path: Path
) -> None:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    records = _records("triage", copies=2)
    spark.read.parquet(_parquet(records, tmp_path / "in.parquet")).write.saveAsTable(
        "consultations_for_test"
    )
    common: dict[str, Any] = {
        "input": "table:consultations_for_test",
        "output": "table:triage_scores_for_test",
    }
    first = score(
        spark, "triage", bundle="models:/triage@candidate", partition="2026-12-01", **common
    )
    again = score(
        spark, "triage", bundle="models:/triage@candidate", partition="2026-12-02", **common
    )
    table = spark.table("triage_scores_for_test")
    counts = {r["dt"]: r["count"] for r in table.groupBy("dt").count().collect()}
    assert counts == {"2026-12-01": len(records), "2026-12-02": len(records)}
    # rerunning a date replaces that partition only
    score(spark, "triage", bundle="models:/triage@candidate", partition="2026-12-02", **common)
    assert table.count() == 2 * len(records)
    assert first.lost == again.lost == 0 and first.bundle == "models:/triage@candidate"


@pytest.mark.slow
def test_spark_nightly_recommender_job_scores_every_known_user(
    spark: Any, bundles: dict[str, Path], tmp_path: Path
) -> None:
    users = (bundles["recommend"] / "users.csv").read_text(encoding="utf-8").splitlines()[1:]
    report = score(
        spark,
        "recommend",
        bundle=str(bundles["recommend"]),
        output=str(tmp_path / "nightly"),
        all_users_k=5,
        partition=PARTITION,
        ship="shared",
    )
    assert report.rows_out == len(users) and report.errors == 0
    out = spark.read.parquet(str(tmp_path / "nightly")).toPandas()
    lengths = out["recommendations"].map(lambda text: len(json.loads(text)))
    assert set(out["id"]) == {line.split(",")[0] for line in users} and lengths.max() == 5


@pytest.mark.slow
def test_spark_udf_scores_a_spark_table_with_bad_rows(
    spark: Any, tracking_uri: str, triage_run: Any
) -> None:
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    frame = spark.createDataFrame(
        [("a", "胸痛两小时，出冷汗", 50.0, "M"), ("b", None, None, None), ("c", "头痛", 30.5, "X")],
        "id string, text string, age double, sex string",
    )
    from pyspark.sql.functions import struct

    udf = mlflow.pyfunc.spark_udf(spark, "models:/triage@candidate", env_manager="local")
    rows = {
        r["id"]: r
        for r in frame.select("id", udf(struct(*frame.columns)).alias("r"))
        .select("id", "r.*")
        .collect()
    }
    assert rows["a"]["error"] is None and rows["a"]["triage_level"]
    assert "text: required field is missing" in rows["b"]["error"]
    assert "age" in rows["c"]["error"] and "sex" in rows["c"]["error"]


@pytest.mark.slow
def test_spark_job_command_line_reports_and_exits_nonzero_on_error_rows(
    bundles: dict[str, Path], tmp_path: Path, spark: Any
) -> None:
    records = [{"id": "ok", "text": "咳嗽三天"}, {"id": "bad", "text": ""}]
    source = _parquet(records, tmp_path / "in.parquet")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sparkjobs",
            "score",
            "triage",
            "--master",
            "local[1]",
            "--bundle",
            str(bundles["triage"]),
            "--input",
            source,
            "--output",
            str(tmp_path / "out"),
            "--date",
            PARTITION,
            "--columns",
            "text=text",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["rows_in"] == report["rows_out"] == 2 and report["errors"] == 1
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "sparkjobs",
            "score",
            "triage",
            "--master",
            "local[1]",
            "--bundle",
            str(tmp_path / "nowhere"),
            "--input",
            source,
            "--output",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "no manifest.json" in missing.stderr
