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
    """One JSON object per record; extra fields passed with `extra={"fields": {...}}` are merged."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


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
