"""discord.py's HTTP client with the expiry sweep of its rate-limit buckets amortised.

discord.py keeps one rate-limit bucket per route and channel (a DM is a channel of its own)
and, once it holds 256, walks every bucket for idle ones each time it creates another
(``HTTPClient._try_clear_expired_ratelimits``). A bucket goes idle only after 300 s, so a bot
answering many people holds about as many buckets as channels it posted to in the last five
minutes, and the first reply to each new DM walks all of them: quadratic in the traffic. At a
few hundred new DMs a second that walk was the largest single cost of a reply (15% of the
process's CPU in bench/discord.py, docs/performance.md).

Here the same sweep runs only once the map has doubled since the last one: the same buckets
are evicted (idle ones, by discord.py's own test), a little later, at a constant cost per new
bucket, and the map stays within twice the live buckets (plus discord.py's floor of 256).
"""

from __future__ import annotations

from discord.http import HTTPClient
from discord.utils import MISSING

FLOOR = 256  # discord.py's own threshold: below it, no sweep at all


class AmortisedHTTPClient(HTTPClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sweep_at = FLOOR

    @classmethod
    def like(cls, http: HTTPClient) -> AmortisedHTTPClient:
        """The same client settings as ``http`` (which ``discord.Client`` built itself, with no
        way to pass a subclass in; nothing has used it yet)."""
        return cls(
            http.loop,
            None if http.connector is MISSING else http.connector,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
            unsync_clock=not http.use_clock,
            http_trace=http.http_trace,
            max_ratelimit_timeout=http.max_ratelimit_timeout,
        )

    def _try_clear_expired_ratelimits(self) -> None:
        if len(self._buckets) < self._sweep_at:
            return
        super()._try_clear_expired_ratelimits()
        self._sweep_at = max(FLOOR, 2 * len(self._buckets))
