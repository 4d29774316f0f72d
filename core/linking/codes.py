"""One-time link codes and signed deep-link tokens (docs/privacy.md, "Linking identities").

A code is six digits shown on the channel that asked for it (``/link``), valid ``ttl`` seconds,
once, and only on another identity (or only on the channel asked for: ``/link whatsapp``). A
token carries the same code into a deep link (Telegram ``/start``, a prefilled WhatsApp or SMS
text); it is signed, so a forged one is refused before any lookup.

The store never holds a code: records are keyed by an HMAC of it under the deployment's link
secret (a token's record holds that HMAC too), and compared with ``hmac.compare_digest``. Every refusal (wrong, expired, used, typed on
the identity that asked for it, on the wrong channel) gets one answer, ``Verdict.INVALID``, so
nothing says whether an identity, a code or a link exists. Failures are counted per identity and
across the whole code space (``hits``): past either limit every attempt is ``THROTTLED`` until
the window ends, which bounds guessing a live code among a million.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from parley.core.storage.store import Store

CODE_DIGITS = 6
ISSUE_PER_HOUR = 5  # codes one identity may ask for
FAILS_PER_IDENTITY = 5  # wrong codes one identity may type per window...
FAIL_WINDOW = 900.0  # ...of this many seconds
FAILS_PER_MINUTE = 100  # wrong codes everyone together may type per minute (the code space)
SECRET_KEY = "link:secret"


class Verdict(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # wrong, expired, used, or not for this identity: one answer for all
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Issued:
    code: str  # the six digits, as shown
    token: str  # for deep links: nonce + signature, 32 URL-safe characters
    expires: float
    channel: str = ""  # only valid when typed on this channel ("" = any other identity)


@dataclass(frozen=True)
class Redeemed:
    verdict: Verdict
    identity: str = ""  # with OK: the identity that asked for the code


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Codes:
    def __init__(self, store: Store, clock: Callable[[], float], secret: str = "", ttl: float = 600.0) -> None:
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self._secret = secret.encode() if secret else b""

    async def secret(self) -> bytes:
        """PARLEY_LINKING__SECRET, or one made once and kept in the store (shared by every
        process of the deployment, so a code issued by one is redeemed by another)."""
        if not self._secret:
            await self.store.add(SECRET_KEY, secrets.token_hex(32))
            self._secret = ((await self.store.get(SECRET_KEY)) or "").encode()
        return self._secret

    async def _digest(self, kind: str, value: str) -> str:
        return hmac.new(await self.secret(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, identity: str, channel: str = "", only: str = "") -> Issued | None:
        """A new code for ``identity`` (``only``: valid only when typed by that identity); None
        past ISSUE_PER_HOUR."""
        if await self.store.hits(f"link:issue:{identity}", 3600) > ISSUE_PER_HOUR:
            return None
        expires = self.clock() + self.ttl
        for _ in range(8):  # a code still live for someone else is drawn again
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            digest = await self._digest("code", code)
            record = json.dumps({"for": identity, "channel": channel, "only": only, "exp": expires, "d": digest})
            if await self.store.add(f"link:code:{digest}", record, self.ttl):
                break
        else:
            return None
        nonce = secrets.token_bytes(12)
        signature = hmac.new(await self.secret(), b"token:" + nonce, hashlib.sha256).digest()[:12]
        token = _b64(nonce) + _b64(signature)  # 16 + 16 URL-safe characters: a Telegram /start payload
        await self.store.put(f"link:token:{await self._digest('token', token)}", digest, self.ttl)
        return Issued(code, token, expires, channel)

    async def redeem(self, identity: str, code: str = "", token: str = "") -> Redeemed:
        """Check a code typed (or a token opened) on ``identity``; OK names the identity that
        asked for it, and the code is spent."""
        fails = f"link:fail:{identity}"
        if (
            await self.store.hits(fails, FAIL_WINDOW, 0) >= FAILS_PER_IDENTITY
            or await self.store.hits("link:fail:*", 60, 0) >= FAILS_PER_MINUTE
        ):
            return Redeemed(Verdict.THROTTLED)
        digest = await self._from_token(token) if token else await self._from_code(code)
        found = await self._check(identity, digest) if digest else None
        if found is None:
            await self.store.hits(fails, FAIL_WINDOW)
            await self.store.hits("link:fail:*", 60)
            return Redeemed(Verdict.INVALID)
        return Redeemed(Verdict.OK, found)

    async def _from_token(self, token: str) -> str | None:
        if len(token) != 32:
            return None
        nonce, signature = token[:16], token[16:]
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return None
        expected = _b64(hmac.new(await self.secret(), b"token:" + raw, hashlib.sha256).digest()[:12])
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return None  # forged or damaged: no lookup at all
        return await self.store.get(f"link:token:{await self._digest('token', token)}")

    async def _from_code(self, code: str) -> str | None:
        code = code.replace(" ", "").replace("-", "")
        if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
            return None
        return await self._digest("code", code)

    async def _check(self, identity: str, digest: str) -> str | None:
        raw = await self.store.get(f"link:code:{digest}")
        if raw is None:
            return None
        record = json.loads(raw)
        if not hmac.compare_digest(record.get("d", ""), digest) or record.get("exp", 0) <= self.clock():
            return None
        asked = record.get("for", "")
        if asked == identity or (record.get("channel") and record["channel"] != identity.split(":", 1)[0]):
            return None  # typed where it was shown, or on a channel it was not meant for
        if record.get("only") and record["only"] != identity:
            return None  # sent to a number for the chat that asked: nobody else may type it
        if not await self.store.add(f"link:used:{digest}", "1", self.ttl):
            return None  # spent by a concurrent attempt a moment ago
        await self.store.delete(f"link:code:{digest}")
        return asked
