"""A loopback fake of the Telegram Bot API, strict where Telegram is strict.

aiogram posts form fields (nested values as JSON strings) to ``/bot<token>/<method>``. The fake
keeps what it was sent, serves ``getUpdates`` with real offset semantics, answers errors in
Telegram's shape, and parses ``parse_mode=HTML`` like Telegram does: unknown tags or a bare ``&``
give "Bad Request: can't parse entities", so a test proves the escaping, not just the call.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from parley.testing.fakes.loopback import start

TAGS = "b|strong|i|em|u|ins|s|strike|del|code|pre|a|tg-spoiler|span|blockquote|tg-emoji"
_TAG = re.compile(rf"</?({TAGS})(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def parse_html(text: str) -> str:
    """The text a user sees, or ValueError as Telegram's entity parser would raise."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if not m:
                raise ValueError(f"can't parse entities: unsupported start tag at byte offset {i}")
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise ValueError(f"can't parse entities: character '&' is reserved at byte offset {i}")
            out.append(html.unescape(m.group(0)))
            i = m.end()
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@dataclass
class Failure:
    method: str
    code: int
    description: str
    retry_after: int | None = None
    times: int = 1
    after: int = 0  # let this many calls through first


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-token"
    bot_id: int = 123456
    username: str = "ParleyTestBot"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # messages as users see them
    edits: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    offsets: list[int] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._next_id = 1000
        self._runner: web.AppRunner | None = None

    # -- test controls ---------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling)."""
        self._updates.append(update)
        self._arrived.set()

    def fail(
        self, method: str, code: int, description: str, retry_after: int | None = None, times: int = 1, after: int = 0
    ) -> None:
        self.failures.append(Failure(method, code, description, retry_after, times, after))

    def texts(self, chat: str | int) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == str(chat)]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    # -- server ------------------------------------------------------------------------------
    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self._runner, port = await start(app)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.calls.append((method, params))
        for failure in self.failures:
            if failure.method == method and failure.after > 0:
                failure.after -= 1
            elif failure.method == method and failure.times > 0:
                failure.times -= 1
                return self._error(failure.code, failure.description, failure.retry_after)
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except ValueError as exc:
            return self._error(400, f"Bad Request: {exc}")
        except PermissionError as exc:
            return self._error(403, f"Forbidden: {exc}")
        return web.json_response({"ok": True, "result": result})

    def _error(self, code: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=code)

    # -- methods -------------------------------------------------------------------------------
    async def m_getMe(self, params):
        return {"id": self.bot_id, "is_bot": True, "first_name": "Parley", "username": self.username}

    async def m_setWebhook(self, params):
        self.webhook = dict(params)
        return True

    async def m_deleteWebhook(self, params):
        self.webhook = {}
        return True

    async def m_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        self.offsets.append(offset)
        # Telegram forgets updates below the offset for good: that is how polling confirms.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                pass
        return list(self._updates[:100])

    def _text(self, params) -> str:
        text = params.get("text", "")
        if params.get("parse_mode") == "HTML":
            text = parse_html(text)
        if not text.strip():
            raise ValueError("message text is empty")
        if len(text) > 4096:
            raise ValueError("message is too long")
        return text

    async def m_sendMessage(self, params):
        chat = str(params["chat_id"])
        if chat in self.blocked:
            raise PermissionError("bot was blocked by the user")
        text = self._text(params)
        self._next_id += 1
        markup = params.get("reply_markup") or None
        if isinstance(markup, str):  # a form field carries the JSON-serialized object; a JSON body, the object
            markup = json.loads(markup)
        self.sent.append({**params, "chat_id": chat, "text": text, "message_id": self._next_id, "reply_markup": markup})
        return {
            "message_id": self._next_id,
            "date": 1767225600,
            "chat": {"id": int(chat), "type": "private"},
            "text": text,
        }

    async def m_editMessageText(self, params):
        text = self._text(params)
        chat, message_id = str(params["chat_id"]), int(params["message_id"])
        for message in self.sent:
            if message["chat_id"] == chat and message["message_id"] == message_id:
                if message["text"] == text:
                    raise ValueError("message is not modified: specified new message content is the same")
                message["text"] = text
                self.edits.append({"chat_id": chat, "message_id": message_id, "text": text})
                return {"message_id": message_id, "date": 1767225600, "chat": {"id": int(chat), "type": "private"}}
        raise ValueError("message to edit not found")

    async def m_answerCallbackQuery(self, params):
        return True

    async def m_sendChatAction(self, params):
        return True
