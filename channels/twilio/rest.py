"""The outbound side's plumbing: an SDK http client that honours PARLEY_TWILIO__API_BASE, and
the mapping of Twilio's errors onto the outbox's outcomes.

The twilio SDK has no base-URL option; its supported hook is a custom ``http_client``. We never
pass ``max_retries``: the SDK's retry (aiohttp_retry) re-POSTs on 5xx, which sends a message
twice when Twilio accepted it before failing; retries belong to the outbox.
"""

from __future__ import annotations

import random
from urllib.parse import urlsplit, urlunsplit

from aiohttp import encode_basic_auth
from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

# Twilio error codes (https://www.twilio.com/docs/api/errors) that mean "this person cannot be
# reached here": stop trying, and keep proactive sends away.
UNREACHABLE = {
    21610: "opted_out",  # attempt to send to an unsubscribed recipient (replied STOP)
    21612: "unroutable",  # the To number is not reachable via this From
    21614: "not_mobile",  # To is not a valid mobile number
    63024: "invalid_recipient",  # WhatsApp: invalid message recipient
}
TOO_MANY_REQUESTS = 20429  # REST API concurrency exceeded


class BaseUrlHttpClient(AsyncTwilioHttpClient):
    """Sends every SDK request to ``api_base`` (scheme, host and an optional path prefix), e.g. a
    regional proxy, a recording gateway, or a local fake in tests."""

    def __init__(self, api_base: str, timeout: float = 15.0) -> None:
        super().__init__(timeout=timeout)  # no max_retries: see the module docstring
        base = urlsplit(api_base.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"PARLEY_TWILIO__API_BASE must be an absolute http(s) URL, got {api_base!r}")
        self.base = base

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            # aiohttp 3.14 deprecates the BasicAuth object the SDK builds; send the same header.
            headers = {**(headers or {}), "Authorization": encode_basic_auth(auth[0], auth[1])}
        return await super().request(
            method, self.rewrite(url), params, data, headers, None, timeout or self.timeout, allow_redirects
        )


class Throttle:
    """Backoff for 429/20429: Twilio sends no Retry-After, so wait exponentially longer (with
    full jitter) while answers keep saying "too many", and start over after a success."""

    def __init__(self, base: float = 1.0, cap: float = 60.0) -> None:
        self.base = base
        self.cap = cap
        self.strikes = 0

    def hit(self) -> float:
        self.strikes += 1
        return random.uniform(self.base / 2, min(self.cap, self.base * 2 ** (self.strikes - 1)))

    def clear(self) -> None:
        self.strikes = 0


def outcome_of(exc: TwilioException, throttle: Throttle) -> Exception:
    """The exception the outbox understands for a Twilio error. 5xx and unknown errors come back
    unchanged, so the outbox retries them with its own backoff."""
    status = getattr(exc, "status", 0) or 0
    code = getattr(exc, "code", None)
    if status == 429 or code == TOO_MANY_REQUESTS:
        return RetryAfter(throttle.hit(), "rate_limited")
    if code in UNREACHABLE:
        return Unreachable(UNREACHABLE[code])
    if 400 <= status < 500 and status not in (401, 408):
        # 401 is our credentials (fixable without losing the message); 408 a timeout.
        msg = getattr(exc, "msg", "") or getattr(exc, "detail", "") or str(exc)
        return Rejected(f"twilio {code or status}: {msg}"[:200])
    return exc
