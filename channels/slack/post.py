"""chat.postMessage, the Web API call every answer makes, without slack_sdk's generic call path.

``AsyncWebClient.chat_postMessage`` is a thin method over a generic one (``api_call``), which
per call joins the URL, builds the headers (the user agent from ``platform`` each time), copies
the arguments twice, sets up retry state and handlers, formats debug lines (its logger has no
level of its own, so the SDK's ``logger.level <= DEBUG`` test holds) and wraps the answer in a
response object. That was about a quarter of the CPU of a post over the HTTP request itself
(docs/performance.md). Here the URL and headers are built once and the arguments are one JSON
body on the channel's shared session; Slack's answer is read as the SDK reads it (``ok``,
``error``, ``Retry-After``) and mapped to the outbox's outcomes the same way
(``send.outbox_error``). Every other Web API method stays the SDK's.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from parley.channels.slack.send import outbox_error
from slack_sdk.errors import SlackApiError
from slack_sdk.web.internal_utils import get_user_agent
from yarl import URL


class MessagePoster:
    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        # The session's timeout applies (the channel's: 10 s), as to the SDK's calls on it.
        self.session = session
        self.url = URL(base + "chat.postMessage")
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json;charset=utf-8",
            "User-Agent": get_user_agent(),
        }

    async def __call__(self, **arguments: Any) -> dict[str, Any]:
        """Post one message; Slack's answer (``ts``, ``channel``...) or the outbox's exception."""
        body = json.dumps({k: v for k, v in arguments.items() if v is not None})
        async with self.session.post(self.url, data=body, headers=self.headers) as response:
            status, retry_after = response.status, response.headers.get("Retry-After", "1")
            raw = await response.read()
        try:
            answer = json.loads(raw)
        except ValueError:  # a proxy's error page, a cut body: retried with backoff like any 5xx
            answer = None
        if not isinstance(answer, dict):
            raise SlackApiError(f"chat.postMessage: HTTP {status}, not the Web API's JSON", {"status": status})
        if status == 429 or not answer.get("ok"):
            error = str(answer.get("error", ""))
            raise outbox_error(status, error, retry_after, SlackApiError(f"chat.postMessage: {error}", answer))
        return answer
