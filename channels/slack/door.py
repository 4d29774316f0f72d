"""Slack's request bodies through the door (parley.core.kernel.door) before bolt parses them.

Bolt parses the body again from text, the way ``slack_bolt.request.internals.parse_body`` does:
JSON (Events API), or a form whose ``payload`` field is JSON (interactivity), or a plain form
(slash commands). Each is bounded and made valid Unicode here and handed on as text in the same
shape, so bolt never meets a lone surrogate, a 10,000-deep list or a ``1e400``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from parley.core.kernel.clock import Clock
from parley.core.kernel.door import BadInput, clean, parse_json


class InjectedClock:
    """slack_sdk's SignatureVerifier asks a clock object for ``now()``: ours, so tests move time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock()


DIRECT_EVENTS = ("message", "app_mention")


def direct_event(text: str, content_type: str | None) -> dict[str, Any] | None:
    """An Events API callback carrying a message or a mention, parsed once through the door, for
    the channel's direct path; None for anything else (bolt's to dispatch)."""
    if not (content_type == "application/json" or text.startswith("{")):
        return None
    body = parse_json(text)
    if not isinstance(body, dict) or body.get("type") != "event_callback":
        return None
    event = body.get("event")
    return body if isinstance(event, dict) and event.get("type") in DIRECT_EVENTS else None


def checked_body(text: str, content_type: str | None) -> str:
    if not text:
        raise BadInput("malformed", "empty body")
    if content_type == "application/json" or text.startswith("{"):
        return json.dumps(parse_json(text), ensure_ascii=False)
    params = parse_qsl(text, keep_blank_values=True)
    if "payload" in text:
        payload = dict(params).get("payload")
        if payload is None:
            raise BadInput("malformed", "form without a payload")
        return urlencode({"payload": json.dumps(parse_json(payload), ensure_ascii=False)})
    return urlencode([(clean(k), clean(v)) for k, v in params])
