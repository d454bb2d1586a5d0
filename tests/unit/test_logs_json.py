"""runtime.logs.JsonFormatter, kept by hand (issue 16): one JSON object per record whatever the
access log's `fields` hold."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from runtime.logs import JsonFormatter


def _record(fields: dict[str, object], stack_info: str | None = None) -> logging.LogRecord:
    record = logging.LogRecord(
        "service.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/x"), None, sinfo=stack_info
    )
    record.fields = fields
    return record


def test_logs_json_a_value_json_has_no_type_for_is_written_as_text() -> None:
    entry = json.loads(
        JsonFormatter().format(_record({"file": Path("/m/b"), "at": datetime(2026, 1, 2)}))
    )
    assert entry["file"] == "/m/b" and entry["at"] == "2026-01-02 00:00:00"


def test_logs_json_the_line_is_not_lost_to_a_logging_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.handle(_record({"file": Path("/m/b")}))
    assert "Logging error" not in capsys.readouterr().err
    assert json.loads(stream.getvalue())["file"] == "/m/b"


def test_logs_json_fields_never_replace_the_records_own_keys() -> None:
    entry = json.loads(
        JsonFormatter().format(_record({"message": "forged", "level": "DEBUG", "status": 200}))
    )
    assert (entry["message"], entry["level"], entry["status"]) == ("GET /x", "INFO", 200)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]


def test_logs_json_keeps_a_stack_asked_for() -> None:
    entry = json.loads(JsonFormatter().format(_record({}, stack_info="Stack (most recent call)")))
    assert entry["stack"].startswith("Stack")
