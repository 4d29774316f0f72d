"""The Bot API calls on the reply path (sendMessage, editMessageText, sendChatAction): JSON in,
JSON out, through one keep-alive aiohttp session for the Bot API's origin
(``parley.core.http.client``), with Telegram's errors mapped to the outbox's vocabulary.

aiogram's ``Bot`` makes the same call through a pydantic method model, a multipart form and a
validated ``Message`` back: about 0.2 ms of CPU per reply in bench/telegram.py, more than the
HTTP request itself. A reply needs three fields of the answer, so the hot path posts JSON
directly. Everything else (getMe, setWebhook, getUpdates, answerCallbackQuery) still goes through
aiogram, which also supplies the base URL (``PARLEY_TELEGRAM__API_BASE``) and the token.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot
from parley.core.http.client import Origin
from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable

TIMEOUT = 30.0  # seconds: a stuck call must not hold an outbox lease for long
# One encoder, not json.dumps(..., ensure_ascii=False, ...): that builds a JSONEncoder per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class BotAPIError(Exception):
    """A failure worth retrying later (5xx, 401 after a token change, a non-JSON answer): the
    outbox backs off and counts the attempt."""


class NotModified(Rejected):
    """editMessageText with the text already shown: nothing to do."""


class BotAPI:
    def __init__(self, bot: Bot) -> None:
        self._api = bot.session.api  # the TelegramAPIServer aiogram was configured with
        self._token = bot.token
        self._paths: dict[str, str] = {}
        self._base = ""
        self._origin: Origin | None = None

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """POST one method; its ``result`` on success, else RetryAfter / Unreachable / Rejected /
        BotAPIError (network errors propagate as ConnectionError / TimeoutError, which the
        outbox retries)."""
        path = self._paths.get(method)
        if path is None:
            url = urlsplit(self._api.api_url(token=self._token, method=method))
            path = self._paths[method] = url.path + (f"?{url.query}" if url.query else "")
            self._base = f"{url.scheme}://{url.netloc}"
        if self._origin is None or self._origin.closed:
            self._origin = Origin(self._base, timeout=TIMEOUT)
        body = _encode(params).encode()
        resp = await self._origin.post(path, body)
        raw, status = resp.body, resp.status
        try:
            answer = json.loads(raw)
        except ValueError:
            raise BotAPIError(f"{method}: HTTP {status} without a JSON answer") from None
        if not isinstance(answer, dict):
            raise BotAPIError(f"{method}: HTTP {status}, unexpected answer")
        if answer.get("ok"):
            return answer.get("result")
        raise error(answer.get("error_code") or status, str(answer.get("description", "")), answer.get("parameters"))

    async def close(self) -> None:
        if self._origin is not None:
            await self._origin.close()


def error(code: int, description: str, parameters: Any) -> Exception:
    """Telegram's error answer -> the exception the outbox acts on."""
    parameters = parameters if isinstance(parameters, dict) else {}
    if parameters.get("retry_after") is not None:
        return RetryAfter(float(parameters["retry_after"]))
    if parameters.get("migrate_to_chat_id") is not None:
        return Rejected(f"group moved to supergroup {parameters['migrate_to_chat_id']}")
    if code == 403:
        # "bot was blocked by the user", "user is deactivated", "bot was kicked from the group"
        return Unreachable(_reason(description))
    if code == 400 and "message is not modified" in description:
        return NotModified(description[:200])
    if code in (400, 404):
        return Rejected(description[:200])
    return BotAPIError(f"HTTP {code}: {description[:200]}")


def _reason(message: str) -> str:
    lowered = message.lower()
    for needle, reason in (("blocked", "blocked"), ("deactivated", "deactivated"), ("kicked", "kicked")):
        if needle in lowered:
            return reason
    return "forbidden"
