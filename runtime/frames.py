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

Requests reach the predictor in the batch CLIs' groups: `CLI_BATCH_SIZE` requests per call,
counted from the start of the input, rows the schema refuses not counted, as `run_jsonl` groups
them. Some answers depend on the rest of their group in the last bits of a float (triage pads a
chunk of texts to one width and embeds them together; the summation order follows), so the same
groups give the CLI's answers to the last bit. A table scored in pieces (a Spark partition, an
Arrow batch) says where each piece starts in the whole input with an `Alignment`, worked out by
`align` from each piece's `Census`; the groups that straddle two pieces are then scored whole by
both. Smaller calls are also cheaper: recommend spent ~10% more CPU per request in one call per
10,000-row Arrow batch than in the CLI's calls of 256.
"""

from __future__ import annotations

import ast
import itertools
import json
import logging
import math
import threading
import types
import typing
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from runtime.batch import describe_validation_error, predict_isolated
from runtime.tasks import import_object, task_spec

logger = logging.getLogger(__name__)

ColumnKind = Literal["string", "boolean", "bigint", "double", "json"]

# Requests per predictor call: the batch CLIs' default --batch-size (`run_jsonl`).
CLI_BATCH_SIZE = 256
# Tasks whose answers depend, in a float's last bits, on the other requests of their predictor
# call (triage: one padded width and one embedding call per chunk of texts). A Spark job scores
# these in the CLI's groups across partitions (`align`); the others answer each request alone.
GROUP_SENSITIVE_TASKS = frozenset({"triage"})
# json.dumps(value, ensure_ascii=False) builds a new encoder per call; one encoder, same text.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


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


# Cell types that are already what JSON reads (exactly these types: a numpy or pandas subclass
# takes the long way).
_PLAIN = frozenset({str, int, bool})


def clean_cell(value: Any) -> Any:
    """A table cell as the JSON CLI would have read it (see the module docstring).

    Returns None for a null; the caller drops the field so the schema's default applies.
    """
    kind = type(value)
    if kind in _PLAIN:  # what an Arrow batch mostly holds: nothing to clean
        return value
    if kind is list and all(type(item) in _PLAIN for item in value):
        return value
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
# Pieces of one input, scored in the CLI's groups


@dataclass(frozen=True)
class Census:
    """One piece of an input (a Spark partition), counted before it is scored.

    Attributes:
        rows: input rows.
        requests: rows the schema accepts (the ones the CLI sends to the predictor).
        head: the request cells (`FrameScorer.request_columns`) of its first requests, at most
            `CLI_BATCH_SIZE - 1` of them: what a group that starts in an earlier piece needs.
        tail: the same of its last requests.
    """

    rows: int
    requests: int
    head: list[dict[str, Any]]
    tail: list[dict[str, Any]]


@dataclass(frozen=True)
class Alignment:
    """Where a piece sits in the whole input, for scoring it in the CLI's groups.

    Attributes:
        offset: requests in the pieces before this one.
        before: records of the requests that open this piece's first group (earlier pieces).
        after: records of the requests that close its last group (later pieces).
    """

    offset: int = 0
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)


def align(censuses: Sequence[Census], group: int = CLI_BATCH_SIZE) -> list[Alignment]:
    """Each piece's `Alignment`, the pieces taken in input order (Spark: partition order)."""
    starts = list(itertools.accumulate((c.requests for c in censuses), initial=0))
    total = starts[-1]
    alignments = []
    for start, end in itertools.pairwise(starts):
        if start == end:
            alignments.append(Alignment(start))
            continue
        stop = min(end - end % group + group, total) if end % group else end
        alignments.append(
            Alignment(
                start,
                _requests_between(censuses, starts, start - start % group, start),
                _requests_between(censuses, starts, end, stop),
            )
        )
    return alignments


def _requests_between(
    censuses: Sequence[Census], starts: Sequence[int], low: int, high: int
) -> list[dict[str, Any]]:
    """The records of requests low..high-1 (input-wide numbers), from the pieces' heads and
    tails: a span shorter than a group lies at the end of the pieces before it or at the start
    of the ones after it."""
    records: list[dict[str, Any]] = []
    for census, first in zip(censuses, starts, strict=False):
        a, b = max(low, first) - first, min(high, first + census.requests) - first
        if a >= b:
            continue
        if b <= len(census.head):
            records += census.head[a:b]
        else:
            skipped = census.requests - len(census.tail)
            if a < skipped:
                raise ValueError(f"requests {low}..{high} are not in the census's head or tail")
            records += census.tail[a - skipped : b - skipped]
    return records


class _Groups:
    """Rows in, answered rows out in input order, the requests predicted in the CLI's groups
    (a group closes when the input-wide request count reaches a multiple of the group size)."""

    def __init__(self, scorer: FrameScorer, alignment: Alignment | None, group: int) -> None:
        alignment = alignment or Alignment()
        self.scorer, self.group = scorer, group
        self.seen = alignment.offset
        self.before = self._requests(alignment.before)
        self.after = self._requests(alignment.after)
        self.records: list[Mapping[str, Any]] = []
        self.slots: list[int | dict[str, Any]] = []
        self.pending: list[Any] = []
        self.done: list[dict[str, Any]] = []

    def _requests(self, records: Sequence[Mapping[str, Any]]) -> list[Any]:
        requests = (self.scorer._request(record)[0] for record in records)
        return [request for request in requests if request is not None]

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            request, error = self.scorer._request(record)
            self.records.append(record)
            if request is None:
                self.slots.append(error)
                continue
            self.slots.append(len(self.pending))
            self.pending.append(request)
            self.seen += 1
            if self.seen % self.group == 0:
                self.flush()

    def flush(self, last: bool = False) -> None:
        """Answer the pending requests; the first group takes the requests before this piece,
        the last (`last`) the ones after it, as the CLI's call had them."""
        answers: list[dict[str, Any]] = []
        if self.pending:
            before, after = self.before, self.after if last else []
            requests = [*before, *self.pending, *after]
            answers = predict_isolated(
                requests, self.scorer._predict, lambda r: getattr(r, "id", None)
            )[len(before) : len(before) + len(self.pending)]
            self.before = []
        for record, slot in zip(self.records, self.slots, strict=True):
            self.done.append(
                self.scorer._row(record, answers[slot] if isinstance(slot, int) else slot)
            )
        self.records, self.slots, self.pending = [], [], []

    def take(self) -> list[dict[str, Any]]:
        """The rows answered so far (each once)."""
        done, self.done = self.done, []
        return done


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
        # per request field: (name, input column, text field?, nested field?)
        self._fields = [
            (name, self.column_map.get(name, name), name in self._text, name in self._nested)
            for name in self._request_type.model_fields
        ]
        self._json_columns = [(c.name, c.kind == "json") for c in self._columns]
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
        for name, column, text, nested in self._fields:
            value = record.get(column)
            if value is None or (value := clean_cell(value)) is None:
                continue
            if text and isinstance(value, int) and not isinstance(value, bool):
                # a BIGINT key column, or a CSV cell pandas read as a number (no schema says
                # it is text); the JSON CLI and the service still require text
                value = str(value)
            if nested and isinstance(value, str):
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

    def score_records(
        self, records: Iterable[Mapping[str, Any]], alignment: Alignment | None = None
    ) -> list[dict[str, Any]]:
        """One flat output row per input record, in order (see `columns`); the requests are
        predicted in the CLI's groups (`alignment`: where these records sit in a larger input)."""
        groups = _Groups(self, alignment, CLI_BATCH_SIZE)
        groups.add(records)
        groups.flush(last=True)
        return groups.take()

    @property
    def request_columns(self) -> list[str]:
        """The input columns requests are read from (what a `Census` keeps of a request)."""
        return [column for _, column, _, _ in self._fields]

    def census(self, batches: Iterable[Any]) -> Census:
        """Count one piece of an input (Arrow batches; no predictor needed) for `align`."""
        columns = self.request_columns
        rows = requests = 0
        head: list[dict[str, Any]] = []
        tail: deque[dict[str, Any]] = deque(maxlen=CLI_BATCH_SIZE - 1)
        for batch in batches:
            for record in batch.to_pylist():
                rows += 1
                if self._request(record)[0] is None:
                    continue
                requests += 1
                cells = {name: record.get(name) for name in columns}
                if len(head) < CLI_BATCH_SIZE - 1:
                    head.append(cells)
                tail.append(cells)
        return Census(rows, requests, head, list(tail))

    def _row(self, record: Mapping[str, Any], line: Mapping[str, Any]) -> dict[str, Any]:
        row = self._flatten(line)
        for name in self.passthrough:
            value = record.get(name)
            row[name] = None if _is_null(value) else value
        return row

    def _predict(self, requests: Sequence[Any]) -> list[dict[str, Any]]:
        results = self.predictor.predict(requests, **self.predict_options)
        return [result.model_dump() for result in results]

    def _flatten(self, line: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, is_json in self._json_columns:
            value = line.get(name)
            row[name] = _json_text(value) if is_json and value is not None else value
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

    def iter_arrow(
        self, batches: Iterable[Any], schema: Any = None, alignment: Alignment | None = None
    ) -> Iterator[Any]:
        """The function a Spark `mapInArrow` calls: no pandas on the way in or out. The batches
        are one stream (a partition; `alignment` places it in the input): a group that spans two
        batches is answered whole, and its rows come out with the later batch."""
        groups = _Groups(self, alignment, CLI_BATCH_SIZE)
        kind: Any = None
        for batch in batches:
            kind = type(batch)
            groups.add(batch.to_pylist())
            rows = groups.take()
            if rows:
                yield kind.from_pylist(rows, schema=schema)
        groups.flush(last=True)
        rows = groups.take()
        if rows:
            yield kind.from_pylist(rows, schema=schema)


def _echo_id(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return None
