"""Logging: one line per event, text or JSON (``PARLEY_LOG_FORMAT``), PII redacted in every line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from parley.core.privacy.pii import redact

# Attributes every record has, plus the two that Formatter.format adds (they are not extras).
_STD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    """Last line of defence: even a careless log call never writes an email or a card number."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        # Extras too: an SMS or WhatsApp conversation id is the customer's phone number, and a
        # platform's error text can quote one ("The 'To' number +1555... is not valid").
        for key, value in vars(record).items():
            if key not in _STD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STD and not k.startswith("_")})
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STD and not k.startswith("_")}
        return base + "".join(f" {k}={v}" for k, v in extra.items())


def setup_logging(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter (aiohttp access lines carry query strings; SDKs log payloads at DEBUG).
    for noisy in (
        "aiohttp.access",
        "aiogram",
        "slack_bolt",
        "slack_sdk",
        "discord",
        "twilio",
        "openai",
        "httpx",
        "bm25s",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
