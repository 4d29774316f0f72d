"""The logger aiohttp's protocol handler writes to: a request the HTTP parser refuses is one line.

aiohttp answers a request it cannot parse (a URL or header line past 8 KB, a malformed header, a
bad chunk size) with a 400 itself, and logs "Error handling request" at ERROR with the parser's
traceback: anyone can grow the log with long URLs. Those are the sender's mistakes; here they
become one INFO line naming the cause (never the line itself: it may carry anything). Every
other exception aiohttp logs there is a handler's bug and keeps its traceback.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

NAME = "parley.http.protocol"


class RefusedRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "request refused by the HTTP parser: %s (%d)"
            record.args = (type(exc).__name__, exc.code)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def protocol_logger() -> logging.Logger:
    """The logger to hand aiohttp (``AppRunner(..., logger=...)``), its filter installed once."""
    logger = logging.getLogger(NAME)
    if not any(isinstance(f, RefusedRequests) for f in logger.filters):
        logger.addFilter(RefusedRequests())
    return logger
