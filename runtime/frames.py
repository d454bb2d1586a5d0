"""Engine-neutral frame scoring: a table batch in, one output row per input row out.

What a Spark `mapInPandas` job, an MLflow pyfunc or any pandas/Arrow pipeline calls. It never
imports pandas or pyarrow: a pandas DataFrame and an Arrow RecordBatch are used through their own
methods (`to_dict("records")`, `to_pylist()`) and rebuilt through their own class, so the
torch-free install stays as it is.

Rows arrive as tables hold them, not as JSON does, so each cell is cleaned before the strict
request schema sees it: a null (None, NaN, pandas' NA/NaT) means the field is absent, a numpy
scalar or array becomes the Python value, an integral float becomes an int (pandas stores an int
column holding a null as float64, so age 34 arrives as 34.0), a text cell in a nested field (a
Hive STRING column holding the drugs as JSON, or a CSV cell pandas wrote with `to_csv`, which is
a Python literal) is parsed, and an integer in a text field (a BIGINT key column, a CSV cell
pandas read as a number) becomes its digits. Columns that are not request fields (a date
partition, a warehouse key) are ignored, or copied through when named.

Input: a pandas DataFrame, an Arrow batch, or what MLflow's scoring server hands a pyfunc with no
input schema (`score_table`): a list of records, a dict of columns (numpy arrays or lists), or one
record as a dict. A shape that is not a table with named fields gives error rows, never an
exception, so a request is always answered row by row.

Output: the CLI's JSON fields as columns (scalars keep their type; lists and objects are JSON
text, which any table can hold and `json.loads` gives back exactly), an `error` column, and
nothing dropped: a row that cannot be used is an error row, as a bad line is in the CLI.

The predictor behind a scorer is loaded once per process (`shared_predictor`) and reused by
every batch that process scores: an onnxruntime session cannot be pickled, and reloading a
bundle (sha256 of every file, golden self-test) per batch would cost more than the batch.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import threading
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from runtime.batch import describe_validation_error, predict_isolated
from runtime.tasks import import_object, task_spec

logger = logging.getLogger(__name__)

ColumnKind = Literal["string", "boolean", "bigint", "double", "json"]


# ---------------------------------------------------------------------------------------------
# One predictor per process

_PREDICTORS: dict[tuple[str, str, str], Any] = {}
_PREDICTORS_LOCK = threading.Lock()
_LOADS = 0


def shared_predictor(task: str, bundle: str | Path, **load_options: Any) -> Any:
    """The predictor for (task, bundle, options), loaded on first use in this process.

    A Spark Python worker is reused across tasks (spark.python.worker.reuse, on by default), so
    a worker loads the bundle once however many batches and partitions it scores.
    """
    key = (task, str(bundle), json.dumps(load_options, sort_keys=True, default=str))
    with _PREDICTORS_LOCK:
        predictor = _PREDICTORS.get(key)
        if predictor is None:
            global _LOADS
            predictor = import_object(task_spec(task).predictor).from_bundle(bundle, **load_options)
            _PREDICTORS[key] = predictor
            _LOADS += 1
            logger.info("loaded %s bundle %s in this process (load %d)", task, bundle, _LOADS)
        return predictor


def bundle_loads() -> int:
    """How many bundles this process has loaded (the Spark bench's loads-per-worker check)."""
    return _LOADS


# ---------------------------------------------------------------------------------------------
# Cells as tables hold them -> values as JSON holds them

_NULL_TYPES = {"NAType", "NaTType"}


def _is_null(value: Any) -> bool:
    if value is None or type(value).__name__ in _NULL_TYPES:
        return True
    return isinstance(value, float) and math.isnan(value)


def clean_cell(value: Any) -> Any:
    """A table cell as the JSON CLI would have read it (see the module docstring).

    Returns None for a null; the caller drops the field so the schema's default applies.
    """
    if _is_null(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()  # numpy arrays and scalars (np.int64 -> int, np.bool_ -> bool)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, Mapping):
        cleaned = {str(k): clean_cell(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None}
    if isinstance(value, list | tuple):
        return [clean_cell(v) for v in value]
    return value


def _is_nested(annotation: Any) -> bool:
    """Is a field typed `annotation` a list or an object (so a text cell in it is JSON)?"""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_nested(arg) for arg in typing.get_args(annotation))
    if origin in (list, tuple, dict) or annotation in (list, tuple, dict):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _nested_fields(request_type: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, info in request_type.model_fields.items() if _is_nested(info.annotation)
    )


def _is_text(annotation: Any) -> bool:
    """Is a field typed `annotation` free text (`str` or `str | None`, not a Literal)?"""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and _is_text(args[0])
    return annotation is str


def _text_fields(request_type: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, info in request_type.model_fields.items() if _is_text(info.annotation)
    )


def _parse_nested_text(text: str) -> Any:
    """A nested field's text cell: JSON, else the Python literal pandas' `to_csv` writes for a
    list or dict cell (`[{'name': ...}]`). `ast.literal_eval` evaluates literals only.

    Raises:
        ValueError: neither, with JSON's reason (JSON text is what callers are told to send).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(reason) from None
    if not isinstance(value, list | tuple | dict):
        raise ValueError(reason)
    return value


# ---------------------------------------------------------------------------------------------
# Input shapes -> records


class TableShapeError(ValueError):
    """Input that is not a table of named fields. `ids` has one entry per row the input had
    (None where unknown), so each row still gets its own error row."""

    def __init__(self, message: str, ids: Sequence[Any]) -> None:
        super().__init__(message)
        self.ids = list(ids)


def _plain(value: Any) -> Any:
    """numpy arrays and scalars, pandas Series -> lists and Python values (duck-typed)."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()
    return value


def table_records(data: Any) -> list[Mapping[str, Any]]:
    """The rows of `data`, one mapping per request, in order.

    Accepts a pandas DataFrame, an Arrow RecordBatch or Table, a list of records, a dict of
    columns (lists or numpy arrays of one length; a scalar is repeated, as pandas does), or one
    record as a dict. A dict is columns when its `id` is a list (an id is text, so a list can
    only be a column), or, with no `id`, when every value is a list; otherwise it is one record.
    MLflow's scoring server hands a pyfunc with no input schema each of these shapes.

    Raises:
        TableShapeError: columns of different lengths (columnar `inputs`, whose lengths MLflow
            does not check; rows cannot be rebuilt from them), or rows without field names.
    """
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # pandas DataFrame
        return list(data.to_dict("records"))
    if hasattr(data, "to_pylist"):  # Arrow RecordBatch / Table
        return list(data.to_pylist())
    data = _plain(data)  # a numpy array of rows -> lists
    if isinstance(data, Mapping):
        return _column_records(data)
    if isinstance(data, list | tuple):
        if all(isinstance(row, Mapping) for row in data):
            return list(data)
        raise TableShapeError(
            "rows without field names: send records (a list of objects) or named columns",
            [None] * len(data),
        )
    raise TableShapeError(
        f"expected a table of requests, got a single {type(data).__name__} value", [None]
    )


def _column_records(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = {str(k): _plain(v) for k, v in data.items()}
    if "id" in values:
        columnar = isinstance(values["id"], list)
    else:
        columnar = bool(values) and all(isinstance(v, list) for v in values.values())
    if not columnar:
        return [values]
    lengths = {name: len(v) for name, v in values.items() if isinstance(v, list)}
    rows = max(lengths.values())
    ids = values.get("id")
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise TableShapeError(
            f"columns of different lengths ({counts}), so their values cannot be matched to "
            "requests: give every column one value per request (null where absent)",
            ids if isinstance(ids, list) and len(ids) == rows else [None] * rows,
        )
    return [
        {name: v[i] if isinstance(v, list) else v for name, v in values.items()}
        for i in range(rows)
    ]


# ---------------------------------------------------------------------------------------------
# Output columns


@dataclass(frozen=True)
class Column:
    """One output column: its name and how a table stores it ('json' = JSON text)."""

    name: str
    kind: ColumnKind


def _kind(annotation: Any) -> ColumnKind:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind(args[0]) if len(args) == 1 else "json"
    if annotation is str or origin is Literal:
        return "string"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "bigint"
    if annotation is float:
        return "double"
    return "json"


def output_columns(task: str) -> list[Column]:
    """`id`, `error`, then the result model's fields in order (the CLI's JSON line)."""
    result_type: type[BaseModel] = import_object(task_spec(task).result)
    columns = [Column("id", "string"), Column("error", "string")]
    columns += [
        Column(name, _kind(info.annotation))
        for name, info in result_type.model_fields.items()
        if name != "id"
    ]
    return columns


def row_to_cli_json(row: Mapping[str, Any], task: str) -> dict[str, Any]:
    """An output row back to the CLI's JSON line: JSON columns parsed, an error row as
    {"id", "error"} (what `python -m <task>` writes for a bad line), a good row without `error`.
    """

    def cell(name: str) -> Any:
        value = row.get(name)
        return None if _is_null(value) else value

    if cell("error") is not None:
        return {"id": cell("id"), "error": cell("error")}
    line: dict[str, Any] = {}
    for column in output_columns(task):
        if column.name != "error":
            value = cell(column.name)
            line[column.name] = json.loads(value) if column.kind == "json" and value else value
    return line


# ---------------------------------------------------------------------------------------------
# The scorer


@dataclass
class FrameScorer:
    """Scores table batches with one task's predictor.

    Attributes:
        task: 'triage', 'prescription' or 'recommend'.
        predictor: a loaded predictor (see `for_worker` for the per-process one).
        predict_options: keyword arguments of `predictor.predict` (triage: evidence).
        passthrough: input columns copied unchanged into the output (keys, partition columns).
        column_map: request field -> input column, for tables whose names differ.
    """

    task: str
    predictor: Any
    predict_options: dict[str, Any] = field(default_factory=dict)
    passthrough: Sequence[str] = ()
    column_map: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_worker(
        cls,
        task: str,
        bundle: str | Path,
        *,
        load_options: Mapping[str, Any] | None = None,
        predict_options: Mapping[str, Any] | None = None,
        passthrough: Sequence[str] = (),
        column_map: Mapping[str, str] | None = None,
    ) -> FrameScorer:
        """A scorer on this process's shared predictor (loaded on first use, then reused)."""
        predictor = shared_predictor(task, bundle, **dict(load_options or {}))
        return cls(
            task, predictor, dict(predict_options or {}), tuple(passthrough), dict(column_map or {})
        )

    def __post_init__(self) -> None:
        spec = task_spec(self.task)
        self._request_type: type[BaseModel] = import_object(spec.request)
        self._nested = _nested_fields(self._request_type)
        self._text = _text_fields(self._request_type)
        self._columns = output_columns(self.task)
        clash = {c.name for c in self._columns} & set(self.passthrough)
        if clash:
            raise ValueError(f"passthrough columns clash with output columns: {sorted(clash)}")

    @property
    def columns(self) -> list[Column]:
        """The output columns; a frame puts the passthrough columns after them."""
        return self._columns

    # -- records ------------------------------------------------------------------------------

    def _request(self, record: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """(request, {}) or (None, error row) for one input record."""
        fields: dict[str, Any] = {}
        for name in self._request_type.model_fields:
            value = clean_cell(record.get(self.column_map.get(name, name)))
            if value is None:
                continue
            if name in self._text and isinstance(value, int) and not isinstance(value, bool):
                # a BIGINT key column, or a CSV cell pandas read as a number (no schema says
                # it is text); the JSON CLI and the service still require text
                value = str(value)
            if name in self._nested and isinstance(value, str):
                try:
                    value = clean_cell(_parse_nested_text(value))
                except ValueError as exc:
                    return None, {
                        "id": _echo_id(fields.get("id")),
                        "error": f"{name}: not valid JSON text ({exc})",
                    }
            fields[name] = value
        try:
            return self._request_type.model_validate(fields), {}
        except ValidationError as exc:
            return None, {
                "id": _echo_id(fields.get("id")),
                "error": describe_validation_error(exc),
            }

    def score_table(self, data: Any) -> list[dict[str, Any]]:
        """`score_records` on any shape `table_records` reads; a shape it refuses gives one
        error row per input row (with its id where known) instead of an exception."""
        try:
            records = table_records(data)
        except TableShapeError as exc:
            return [self.error_row(_echo_id(raw), str(exc)) for raw in exc.ids]
        return self.score_records(records)

    def error_row(self, id: str | None, message: str) -> dict[str, Any]:
        """An output row that answers a request with `message` (passthrough columns null)."""
        row = self._flatten({"id": id, "error": message})
        row.update(dict.fromkeys(self.passthrough))
        return row

    def score_records(self, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One flat output row per input record, in order (see `columns`)."""
        requests: list[Any] = []
        slots: list[int | dict[str, Any]] = []
        for record in records:
            request, error = self._request(record)
            if request is None:
                slots.append(error)
            else:
                slots.append(len(requests))
                requests.append(request)
        answers = (
            predict_isolated(requests, self._predict, lambda r: getattr(r, "id", None))
            if requests
            else []
        )
        rows = []
        for record, slot in zip(records, slots, strict=True):
            line = answers[slot] if isinstance(slot, int) else slot
            row = self._flatten(line)
            for name in self.passthrough:
                value = record.get(name)
                row[name] = None if _is_null(value) else value
            rows.append(row)
        return rows

    def _predict(self, requests: Sequence[Any]) -> list[dict[str, Any]]:
        results = self.predictor.predict(requests, **self.predict_options)
        return [result.model_dump() for result in results]

    def _flatten(self, line: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for column in self._columns:
            value = line.get(column.name)
            if column.kind == "json" and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            row[column.name] = value
        return row

    # -- pandas and Arrow (duck-typed: neither is imported) ----------------------------------

    def score_pandas(self, frame: Any) -> Any:
        """A pandas DataFrame in, a DataFrame of `columns` (+ passthrough) out, same length."""
        return self.pandas_frame(type(frame), self.score_records(frame.to_dict("records")))

    def pandas_frame(self, frame_type: Any, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Output rows as a DataFrame of `frame_type` (pandas.DataFrame, passed in so this
        module needs no pandas), columns in `columns` order, then the passthrough ones."""
        names = [c.name for c in self._columns] + list(self.passthrough)
        # object columns keep None as None (pandas 3 would make a null text NaN, which MLflow's
        # server then writes as the non-JSON token NaN)
        columns = {name: [row[name] for row in rows] for name in names}
        return frame_type(columns, columns=names, dtype=object)

    def iter_pandas(self, frames: Iterable[Any]) -> Iterator[Any]:
        """The function a Spark `mapInPandas` (or any batch iterator) calls."""
        for frame in frames:
            yield self.score_pandas(frame)

    def score_arrow(self, batch: Any, schema: Any = None) -> Any:
        """An Arrow RecordBatch or Table in, the same class out (built with `from_pylist`,
        with `schema` when given: the types a Spark `mapInArrow` declared)."""
        return type(batch).from_pylist(self.score_records(batch.to_pylist()), schema=schema)

    def iter_arrow(self, batches: Iterable[Any], schema: Any = None) -> Iterator[Any]:
        """The function a Spark `mapInArrow` calls: no pandas on the way in or out."""
        for batch in batches:
            yield self.score_arrow(batch, schema)


def _echo_id(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return None
