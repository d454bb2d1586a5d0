"""Logging set-up for entrypoints (CLIs, the service). Library modules only call getLogger."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level_name(text: str) -> str:
    """A logging level name in any case, upper-cased; ValueError naming the choices otherwise
    (the CLIs turn it into their own one-line usage error)."""
    if text.upper() not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return text.upper()


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields passed with `extra={"fields": {...}}` are merged.

    Kept by hand rather than python-json-logger or structlog (issue 16): this is all the service
    needs, and python-json-logger would nest `fields` (the service's access-log convention) and
    took longer per record. A field never replaces time, level, logger or message, and a value
    JSON has no type for (a Path, a datetime) is written as its str(): either would otherwise
    lose the line to a "--- Logging error ---" traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", json_format: bool = False) -> None:
    """Send logs to stderr, as plain text or JSON lines. Call once, from an entrypoint."""
    handler = logging.StreamHandler(sys.stderr)
    if json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
