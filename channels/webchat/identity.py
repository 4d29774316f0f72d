"""Who a web chat page is: a client id the server issues with a secret, and where it may come from.

The client id alone proves nothing: the server issues it together with a token, an HMAC of the
id under a key kept in the store (generated once, ``SET NX``, so every process behind a load
balancer checks the same key). A page presents both in its ``hello``; a wrong or missing token
gets a fresh identity, never someone else's conversation. Inside Parley the conversation is
keyed by a digest of the id (``chat``), so logs, metrics and store keys never hold the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from parley.core.storage.store import Store

KEY = "webchat:key"


@dataclass(frozen=True)
class Identity:
    cid: str  # what the page keeps and presents
    token: str  # the proof the server issued ``cid``
    chat: str  # the conversation key: a digest of ``cid``, safe to log


def chat_of(cid: str) -> str:
    return "w" + hashlib.sha256(cid.encode()).hexdigest()[:32]


class Identities:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._key = b""

    async def key(self) -> bytes:
        if not self._key:
            await self.store.add(KEY, secrets.token_hex(32))
            self._key = ((await self.store.get(KEY)) or "").encode()
        return self._key

    async def token(self, cid: str) -> str:
        return hmac.new(await self.key(), cid.encode(), hashlib.sha256).hexdigest()

    async def issue(self) -> Identity:
        cid = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
        return Identity(cid, await self.token(cid), chat_of(cid))

    async def verify(self, cid: str, token: str) -> Identity | None:
        if not cid or not token:
            return None
        if not hmac.compare_digest(token.encode(), (await self.token(cid)).encode()):
            return None
        return Identity(cid, token, chat_of(cid))


def origin_allowed(origin: str, host: str, allowed: tuple[str, ...]) -> bool:
    """A browser's websocket from another site must not speak for our page (cross-site
    websocket hijacking). Allowed: no Origin at all (not a browser: it could forge one anyway,
    and still needs a token), the page's own origin (Origin's host equals the Host header), or
    an origin listed in ``PARLEY_WEBCHAT__ALLOWED_ORIGINS``."""
    if not origin:
        return True
    if origin.rstrip("/") in allowed:
        return True
    try:
        return bool(host) and urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False
