"""JSON-lines batch plumbing shared by the three batch CLIs.

One output line per input line, in input order. A line that cannot be used (bad UTF-8, bad JSON,
a field of the wrong type, a failing prediction) becomes `{"id": ..., "error": "..."}` and the rest
of the file goes on: nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)

RequestT = TypeVar("RequestT", bound=BaseModel)


@dataclass(frozen=True)
class BatchReport:
    """Counts of one batch run."""

    lines: int
    ok: int
    errors: int


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into one line that names each bad field and what is wrong."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "request"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _echo_id(obj: Any) -> str | None:
    raw = obj.get("id") if isinstance(obj, dict) else None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    return None


@contextmanager
def _open_in(path: str | Path) -> Iterator[IO[bytes]]:
    if str(path) == "-":
        yield sys.stdin.buffer
    else:
        with open(path, "rb") as handle:
            yield handle


@contextmanager
def _open_out(path: str | Path) -> Iterator[IO[str]]:
    if str(path) == "-":
        yield sys.stdout
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            yield handle


def parse_line(
    number: int, raw: bytes, request_type: type[RequestT]
) -> tuple[RequestT | None, dict[str, Any] | None]:
    """Parse one input line into a request, or into the error line that replaces it.

    Returns:
        (request, None) when the line is usable, else (None, {"id", "error"}).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, {
            "id": None,
            "error": f"line {number}: not valid UTF-8 ({exc.reason} at byte {exc.start})",
        }
    if not text.strip():
        return None, {"id": None, "error": f"line {number}: empty line"}
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, {
            "id": None,
            "error": f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})",
        }
    if not isinstance(obj, dict):
        return None, {
            "id": None,
            "error": f"line {number}: expected a JSON object, got {type(obj).__name__}",
        }
    try:
        return request_type.model_validate(obj), None
    except ValidationError as exc:
        return None, {
            "id": _echo_id(obj),
            "error": f"line {number}: {describe_validation_error(exc)}",
        }


def predict_isolated(
    requests: Sequence[RequestT],
    predict: Callable[[Sequence[RequestT]], list[dict[str, Any]]],
    id_of: Callable[[RequestT], str | None],
) -> list[dict[str, Any]]:
    """Predict a batch; if the batch fails, predict one by one so only the bad request errors."""
    try:
        return predict(requests)
    except Exception:
        logger.exception("batch of %d failed; retrying one by one", len(requests))
    results = []
    for request in requests:
        try:
            results.extend(predict([request]))
        except Exception as exc:
            logger.exception("prediction failed for id=%s", id_of(request))
            results.append({"id": id_of(request), "error": f"prediction failed: {exc}"})
    return results


def run_jsonl(
    input_path: str | Path,
    output_path: str | Path,
    request_type: type[RequestT],
    predict: Callable[[Sequence[RequestT]], list[dict[str, Any]]],
    *,
    batch_size: int = 256,
) -> BatchReport:
    """Score a JSON-lines file with `predict`, batch by batch, keeping input order.

    Args:
        input_path: input file, or '-' for stdin.
        output_path: output file, or '-' for stdout.
        request_type: the pydantic request model each line must validate against.
        predict: maps a list of requests to one output dict per request.
        batch_size: requests per `predict` call.

    Returns:
        How many lines were read, answered and turned into errors.
    """
    lines = ok = errors = 0
    # Each slot holds either a finished error line or the index of a pending request.
    pending: list[RequestT] = []
    slots: list[dict[str, Any] | int] = []

    def flush(out: IO[str]) -> None:
        nonlocal ok, errors
        results = predict_isolated(pending, predict, lambda r: getattr(r, "id", None))
        for slot in slots:
            line = results[slot] if isinstance(slot, int) else slot
            if "error" in line:
                errors += 1
            else:
                ok += 1
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        pending.clear()
        slots.clear()

    with _open_in(input_path) as source, _open_out(output_path) as out:
        for number, raw in enumerate(source, 1):
            if raw.endswith(b"\n"):
                raw = raw[:-1]
            lines += 1
            request, error = parse_line(number, raw.rstrip(b"\r"), request_type)
            if request is not None:
                slots.append(len(pending))
                pending.append(request)
            else:
                slots.append(error or {"id": None, "error": f"line {number}: unreadable"})
            if len(pending) >= batch_size:
                flush(out)
        flush(out)
    logger.info("batch done: %d lines, %d answered, %d errors", lines, ok, errors)
    return BatchReport(lines=lines, ok=ok, errors=errors)
