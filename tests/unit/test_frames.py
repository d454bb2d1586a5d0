"""runtime.frames: table cells cleaned, one row out per row in, bad rows as error rows, one
predictor per process. A toy task keeps these tests free of bundles (the real tasks are in
tests/training/test_frames_and_pyfunc.py)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pydantic import BaseModel, Field

from runtime import frames, tasks
from runtime.frames import (
    Column,
    FrameScorer,
    TableShapeError,
    clean_cell,
    output_columns,
    table_records,
)
from runtime.schema import StrictInput
from runtime.tasks import TaskSpec


class ToyRequest(StrictInput):
    id: str = Field(min_length=1)
    n: int = Field(ge=0)
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, int] | None = None
    note: str | None = None


class ToyResult(BaseModel):
    id: str
    total: int
    ok: bool
    tags: list[str]


class ToyPredictor:
    loads = 0

    @classmethod
    def from_bundle(cls, path: str, **options: Any) -> ToyPredictor:
        cls.loads += 1
        return cls()

    def predict(self, requests: Sequence[ToyRequest], scale: int = 1) -> list[ToyResult]:
        if any(r.n == 13 for r in requests):
            raise RuntimeError("unlucky")
        return [
            ToyResult(
                id=r.id, total=scale * (r.n + sum((r.meta or {}).values())), ok=True, tags=r.tags
            )
            for r in requests
        ]


@pytest.fixture(autouse=True)
def toy_task(monkeypatch: pytest.MonkeyPatch) -> None:
    here = __name__
    monkeypatch.setitem(
        tasks.TASKS,
        "toy",
        TaskSpec(
            name="toy",
            predictor=f"{here}:ToyPredictor",
            request=f"{here}:ToyRequest",
            result=f"{here}:ToyResult",
            packages=("runtime",),
        ),
    )
    monkeypatch.setattr(frames, "_PREDICTORS", {})
    ToyPredictor.loads = 0


def _scorer(**kwargs: Any) -> FrameScorer:
    return FrameScorer("toy", ToyPredictor(), **kwargs)


class NAType:  # stands in for pandas' NA by the name the cleaner looks for
    pass


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (NAType(), None),
        (np.int64(7), 7),
        (np.float64(34.0), 34),  # an int column holding a null is float64 in pandas
        (34.5, 34.5),
        (np.bool_(True), True),
        (np.array(["a", "b"]), ["a", "b"]),
        ({"age": np.float64(80.0), "sex": float("nan")}, {"age": 80}),
        ([{"name": "x", "dose_mg": np.nan}], [{"name": "x"}]),
        ("text", "text"),
    ],
)
def test_frames_clean_cell_reads_a_cell_as_json_would(cell: Any, expected: Any) -> None:
    assert clean_cell(cell) == expected


def test_frames_one_row_out_per_row_in_with_bad_rows_as_error_rows() -> None:
    records = [
        {"id": "a", "n": 1, "dt": "2026-12-01"},
        {"id": None, "n": 2, "dt": "2026-12-01"},  # no id
        {"id": "c", "n": 2.5, "dt": "2026-12-01"},  # not an integer
        {"id": "d", "n": 3, "tags": "[not json", "dt": "2026-12-01"},
        {"id": "e", "n": 13, "dt": "2026-12-01"},  # the predictor fails on this one
        {"id": "f", "n": float(4), "tags": '["x"]', "meta": {"k": np.int64(1)}, "dt": None},
    ]
    rows = _scorer(passthrough=["dt"]).score_records(records)
    assert [r["id"] for r in rows] == ["a", None, "c", "d", "e", "f"]
    errors = [r["error"] for r in rows]
    assert errors[0] is None and errors[5] is None
    assert "id: required field is missing" in errors[1]
    assert errors[2].startswith("n: ")
    assert errors[3].startswith("tags: not valid JSON text")
    assert errors[4] == "prediction failed: unlucky"
    assert rows[5]["total"] == 5 and json.loads(rows[5]["tags"]) == ["x"]
    assert [r["dt"] for r in rows] == ["2026-12-01"] * 5 + [None]
    assert all(r["total"] is None for r in rows[1:5])


def test_frames_pandas_and_arrow_keep_length_order_and_nulls() -> None:
    frame = pd.DataFrame({"id": ["a", "b", "c"], "n": [1, None, 3], "other": [1, 2, 3]})
    out = _scorer().score_pandas(frame)
    assert isinstance(out, pd.DataFrame) and len(out) == 3
    assert list(out.columns) == [c.name for c in _scorer().columns]
    assert out["error"][0] is None and out["error"][2] is None  # None, not NaN
    assert "n: required field is missing" in out["error"][1]
    batch = pa.RecordBatch.from_pylist([{"id": "x", "n": 2}, {"id": "y", "n": -1}])
    scored = _scorer().score_arrow(batch)
    assert isinstance(scored, pa.RecordBatch)
    assert scored.column("total").to_pylist() == [2, None]


def test_frames_column_map_ids_as_integers_and_predict_options() -> None:
    scorer = _scorer(
        column_map={"id": "consultation_id", "n": "count"}, predict_options={"scale": 10}
    )
    rows = scorer.score_records([{"consultation_id": 123, "count": 2}])
    assert rows[0]["id"] == "123" and rows[0]["total"] == 20


def test_frames_shared_predictor_loads_once_per_bundle_and_options() -> None:
    first = FrameScorer.for_worker("toy", "/bundles/a")
    FrameScorer.for_worker("toy", "/bundles/a")
    assert ToyPredictor.loads == 1 and first.predictor is frames.shared_predictor(
        "toy", "/bundles/a"
    )
    FrameScorer.for_worker("toy", "/bundles/a", load_options={"threads": 2})
    FrameScorer.for_worker("toy", "/bundles/b")
    assert ToyPredictor.loads == 3


def test_frames_output_columns_follow_the_result_model() -> None:
    assert output_columns("toy") == [
        Column("id", "string"),
        Column("error", "string"),
        Column("total", "bigint"),
        Column("ok", "boolean"),
        Column("tags", "json"),
    ]
    kinds = {c.name: c.kind for c in output_columns("triage")}
    assert kinds["departments"] == "json" and kinds["abstain"] == "boolean"
    assert kinds["triage_level"] == "string" and kinds["department_map"] == "string"


def test_frames_row_to_cli_json_undoes_the_flattening() -> None:
    rows = _scorer().score_records([{"id": "a", "n": 1, "tags": ["t"]}, {"id": "b", "n": -1}])
    assert frames.row_to_cli_json(rows[0], "toy") == {
        "id": "a",
        "total": 1,
        "ok": True,
        "tags": ["t"],
    }
    bad = frames.row_to_cli_json({**rows[1], "total": math.nan}, "toy")
    assert set(bad) == {"id", "error"} and bad["id"] == "b"


def test_frames_unknown_task_and_clashing_passthrough_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        FrameScorer("nope", ToyPredictor())
    with pytest.raises(ValueError, match="clash"):
        _scorer(passthrough=["total"])


def test_frames_text_fields_take_integers_and_nested_fields_take_python_literals() -> None:
    # what pandas reads from a CSV with no schema, and writes with `to_csv` for list/dict cells
    rows = _scorer().score_records(
        [
            {"id": 1001, "n": 1, "note": 7, "tags": "['x', 'y']", "meta": "{'k': 2}"},
            {"id": "b", "n": 1, "tags": "[oops"},
            {"id": "c", "n": 1, "tags": "'x'"},  # a literal, but not a list or object
            {"id": "d", "n": 1, "note": True},  # a boolean is not text
        ]
    )
    assert rows[0]["id"] == "1001" and rows[0]["error"] is None
    assert json.loads(rows[0]["tags"]) == ["x", "y"] and rows[0]["total"] == 3
    assert rows[1]["error"] == "tags: not valid JSON text (Expecting value)"
    assert rows[2]["error"].startswith("tags: not valid JSON text")
    assert rows[3]["error"].startswith("note: ")


def test_frames_table_records_reads_every_shape_mlflow_hands_a_pyfunc() -> None:
    records = [{"id": "a", "n": 1}, {"id": "b", "n": 2}]
    assert table_records(pd.DataFrame(records)) == records
    assert table_records(pa.RecordBatch.from_pylist(records)) == records
    assert table_records(records) == records
    # `instances` rows and columnar `inputs`: a dict of numpy columns, 2-D where nested values
    # have one length
    columns = {
        "id": np.array(["a", "b"]),
        "n": np.array([1, 2]),
        "tags": np.array([["x"], ["y"]]),
    }
    assert table_records(columns) == [
        {"id": "a", "n": 1, "tags": ["x"]},
        {"id": "b", "n": 2, "tags": ["y"]},
    ]
    # a scalar beside columns is every row's (pandas' rule); no id: all lists are columns
    assert table_records({"id": ["a", "b"], "n": 3}) == [{"id": "a", "n": 3}, {"id": "b", "n": 3}]
    assert table_records({"n": [1, 2]}) == [{"n": 1}, {"n": 2}]
    # one request as a plain object, its list field kept whole
    single = {"id": np.array("a"), "n": np.array(1), "tags": np.array(["x", "y"])}
    assert table_records(single) == [{"id": "a", "n": 1, "tags": ["x", "y"]}]
    assert table_records([]) == []


def test_frames_table_shapes_that_are_not_tables_become_error_rows() -> None:
    with pytest.raises(TableShapeError) as short:
        table_records({"id": ["a", "b", "c"], "n": [1, 2]})
    assert short.value.ids == ["a", "b", "c"] and "n: 2" in str(short.value)
    rows = _scorer(passthrough=["dt"]).score_table({"id": ["a", "b", "c"], "n": [1, 2]})
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert all("columns of different lengths" in r["error"] for r in rows)
    assert all(r["dt"] is None and r["total"] is None for r in rows)
    # no id column of the full length: one error row per row, ids unknown
    rows = _scorer().score_table({"id": ["a"], "n": [1, 2]})
    assert [r["id"] for r in rows] == [None, None] and all(r["error"] for r in rows)
    unnamed = _scorer().score_table(np.array([[1, 2], [3, 4], [5, 6]]))
    assert len(unnamed) == 3 and all("without field names" in r["error"] for r in unnamed)
    scalar = _scorer().score_table(np.array(7))
    assert len(scalar) == 1 and scalar[0]["error"].startswith("expected a table")
    # and a table of good rows is scored as `score_records` scores it
    good = _scorer().score_table({"id": ["a", "b"], "n": np.array([1, 2])})
    assert [r["total"] for r in good] == [1, 2] and all(r["error"] is None for r in good)


def test_frames_pandas_frame_keeps_nulls_as_none() -> None:
    scorer = _scorer()
    frame = scorer.pandas_frame(
        pd.DataFrame, [scorer.error_row("a", "bad"), scorer.error_row(None, "x")]
    )
    assert list(frame.columns) == [c.name for c in scorer.columns]
    assert frame["total"].tolist() == [None, None] and frame["id"].tolist() == ["a", None]
