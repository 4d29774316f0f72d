"""Log lines: extras once, never the formatter's own fields twice; PII redacted."""

from __future__ import annotations

import json
import logging

from parley.core.config.logs import JsonFormatter, RedactingFilter, TextFormatter


def record(msg: str, **extra) -> logging.LogRecord:
    rec = logging.makeLogRecord({"name": "parley.test", "levelname": "INFO", "levelno": 20, "msg": msg, **extra})
    RedactingFilter().filter(rec)
    return rec


def test_text_lines_carry_extras_but_not_message_and_asctime_again():
    line = TextFormatter().format(record("turn", channel="web", latency_ms=2.5))
    assert line.endswith("INFO parley.test: turn channel=web latency_ms=2.5")
    assert "message=" not in line and "asctime=" not in line


def test_json_lines_are_one_object_with_the_extras():
    line = json.loads(JsonFormatter().format(record("turn", channel="web")))
    assert line["msg"] == "turn" and line["channel"] == "web" and "message" not in line


def test_an_email_in_a_careless_log_call_is_redacted():
    line = TextFormatter().format(record("failed for jane.doe@example.com"))
    assert "jane.doe@example.com" not in line


def test_a_phone_number_in_an_extra_is_redacted_too():
    rec = record("turn", conversation="sms:+15551234567:", error="The 'To' number +34600111222 is not valid")
    line = json.loads(JsonFormatter().format(rec))
    assert "+15551234567" not in line["conversation"] and line["conversation"].startswith("sms:")
    assert "+34600111222" not in line["error"]
