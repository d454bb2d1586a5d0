"""Scoring a table in pieces (Spark partitions, Arrow batches) in the batch CLI's predictor calls:
a toy predictor whose every answer depends on the rest of its call must give the CLI's answers,
however the input is cut. No Spark here: the pieces are cut by hand, as partitions cut a file."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pydantic import BaseModel, Field

from runtime import batch, frames, tasks
from runtime.batch import run_jsonl
from runtime.frames import CLI_BATCH_SIZE, Alignment, Census, FrameScorer, align
from runtime.schema import StrictInput
from runtime.tasks import TaskSpec


class GroupRequest(StrictInput):
    id: str = Field(min_length=1)
    n: int = Field(ge=0)


class GroupResult(BaseModel):
    id: str
    call: str  # the first and last ids of the predictor call that answered it
    share: float  # n over the call's total: a float that depends on the whole call


class GroupPredictor:
    @classmethod
    def from_bundle(cls, path: str, **options: Any) -> GroupPredictor:
        return cls()

    def predict(self, requests: Sequence[GroupRequest]) -> list[GroupResult]:
        call = f"{requests[0].id}..{requests[-1].id}"
        total = sum(r.n for r in requests) or 1
        return [GroupResult(id=r.id, call=call, share=r.n / total) for r in requests]


@pytest.fixture(autouse=True)
def group_task(monkeypatch: pytest.MonkeyPatch) -> None:
    here = __name__
    spec = TaskSpec(
        name="grouped",
        predictor=f"{here}:GroupPredictor",
        request=f"{here}:GroupRequest",
        result=f"{here}:GroupResult",
        packages=("runtime",),
    )
    monkeypatch.setitem(tasks.TASKS, "grouped", spec)


def _records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for i in range(count):
        record: dict[str, Any] = {"id": f"r{i:05d}", "n": rng.randint(0, 1000)}
        if rng.random() < 0.03:  # refused by the schema: not counted in the CLI's groups
            record["n"] = -1
        records.append(record)
    return records


def _cli_lines(records: list[dict[str, Any]], tmp_path: Path) -> list[str]:
    """What `python -m <task>` writes for `records` (run_jsonl, its default batch size), each
    error without its "line N: " prefix."""
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    predictor = GroupPredictor()
    run_jsonl(
        source,
        out,
        GroupRequest,
        lambda requests: [r.model_dump() for r in predictor.predict(requests)],
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    return [re.sub(r'"line \d+: ', '"', line) for line in lines]


def _frame_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Output rows as the CLI's JSON lines."""
    return [json.dumps(frames.row_to_cli_json(row, "grouped"), ensure_ascii=False) for row in rows]


def _cut(records: list[dict[str, Any]], sizes: Sequence[int]) -> list[list[dict[str, Any]]]:
    pieces, start = [], 0
    for size in sizes:
        pieces.append(records[start : start + size])
        start += size
    assert start == len(records)
    return pieces


def _batches(piece: list[dict[str, Any]], rows: int) -> list[pa.RecordBatch]:
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())])
    return [
        pa.RecordBatch.from_pylist(piece[i : i + rows], schema=schema)
        for i in range(0, len(piece), rows)
    ]


def test_cli_batch_size_is_the_batch_clis_default() -> None:
    import inspect

    assert inspect.signature(batch.run_jsonl).parameters["batch_size"].default == CLI_BATCH_SIZE
    parser = batch.batch_parser("triage", "predict", "x", input_help="", output_help="")
    args = parser.parse_args(["predict", "--bundle", "b", "--input", "i", "--output", "o"])
    assert args.batch_size == CLI_BATCH_SIZE


@pytest.mark.parametrize(
    "sizes",
    [
        [1500],  # one piece
        [700, 800],  # a group straddles two pieces
        [300, 5, 0, 40, 655, 500],  # a group over four pieces, an empty piece
        [256, 256, 988],  # pieces on group boundaries (before the refused rows shift them)
        [1, 1, 1, 1497],
    ],
)
@pytest.mark.parametrize("arrow_rows", [7, 10_000])
def test_pieces_scored_in_the_clis_groups_give_the_clis_lines(
    sizes: list[int], arrow_rows: int, tmp_path: Path
) -> None:
    records = _records(1500, seed=len(sizes))
    expected = _cli_lines(records, tmp_path)
    scorer = FrameScorer("grouped", GroupPredictor())
    pieces = _cut(records, sizes)
    counter = FrameScorer("grouped", None)  # a census needs no predictor
    censuses = [counter.census(_batches(piece, arrow_rows)) for piece in pieces]
    assert sum(c.rows for c in censuses) == len(records)
    rows: list[dict[str, Any]] = []
    for piece, alignment in zip(pieces, align(censuses), strict=True):
        for out in scorer.iter_arrow(_batches(piece, arrow_rows), alignment=alignment):
            rows += out.to_pylist()
    assert _frame_lines(rows) == expected


def test_without_alignment_each_piece_is_grouped_from_its_own_start(tmp_path: Path) -> None:
    records = _records(600, seed=1)
    expected = _cli_lines(records, tmp_path)
    scorer = FrameScorer("grouped", GroupPredictor())
    assert _frame_lines(scorer.score_records(records)) == expected  # one piece: the CLI's
    halves = scorer.score_records(records[:300]) + scorer.score_records(records[300:])
    assert _frame_lines(halves) != expected  # the point of aligning pieces


def test_align_takes_straddling_requests_from_heads_and_tails() -> None:
    def census(ids: list[str]) -> Census:
        cells = [{"id": i} for i in ids]
        keep = CLI_BATCH_SIZE - 1
        return Census(len(ids), len(ids), cells[:keep], cells[-keep:])

    ids = [f"q{i}" for i in range(1000)]
    pieces = [ids[:100], ids[100:100], ids[100:600], ids[600:]]
    alignments = align([census(p) for p in pieces])
    assert alignments[0] == Alignment(0, [], [{"id": i} for i in ids[100:256]])
    assert alignments[1] == Alignment(100)  # no requests: nothing to predict
    assert alignments[2] == Alignment(
        100, [{"id": i} for i in ids[:100]], [{"id": i} for i in ids[600:768]]
    )
    assert alignments[3] == Alignment(600, [{"id": i} for i in ids[512:600]], [])
