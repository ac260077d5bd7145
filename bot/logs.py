"""Structured logs: one JSON object per line, carrying the delivery id of the work at hand."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

delivery_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("delivery_id", default=None)

# Attributes every LogRecord has; anything else passed as `extra=` goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    """Formats records as JSON with time, level, logger, message, delivery id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = getattr(record, "delivery_id", None) or delivery_id.get()
        if current:
            entry["delivery_id"] = current
        for key, val in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = val
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str = "info") -> None:
    """Send every logger (uvicorn's too) through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel({"warn": "WARNING", "fatal": "CRITICAL", "trace": "DEBUG"}.get(level, level.upper()))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
