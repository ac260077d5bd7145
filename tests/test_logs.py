"""Logs are JSON lines that carry the delivery id of the work at hand."""

from __future__ import annotations

import json
import logging

from bot import logs


def test_json_line_with_delivery_id_and_extras() -> None:
    formatter = logs.JSONFormatter()
    record = logging.LogRecord("evolve.test", logging.INFO, __file__, 1, "processed %s", ("x",), None)
    record.event = "push"
    token = logs.delivery_id.set("abc-123")
    try:
        line = json.loads(formatter.format(record))
    finally:
        logs.delivery_id.reset(token)
    assert line["message"] == "processed x"
    assert line["delivery_id"] == "abc-123"
    assert line["event"] == "push"
    assert line["level"] == "info"


def test_no_delivery_id_outside_a_delivery() -> None:
    record = logging.LogRecord("evolve.test", logging.WARNING, __file__, 1, "idle", (), None)
    assert "delivery_id" not in json.loads(logs.JSONFormatter().format(record))


def test_exceptions_are_included() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("evolve.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(logs.JSONFormatter().format(record))["error"]
