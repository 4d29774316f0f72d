"""Telegram outbound: sendMessage (HTML-escaped, split at 4096), inline keyboards, a typing
indicator, streamed answers by throttled editMessageText and rate limits. The calls go through
``parley.channels.telegram.api`` (JSON posts, errors mapped to the outbox's vocabulary)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot
from parley.channels.telegram.api import BotAPI, NotModified
from parley.channels.telegram.translate import MAX_TEXT, business_connection, callback_data, escape, is_long_payload
from parley.core.kernel.channel import Rejected
from parley.core.kernel.messages import Address, Button, Reply
from parley.core.kernel.ratelimit import Limit
from parley.core.kernel.render import split
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.telegram")

NO_PREVIEW = {"is_disabled": True}  # a cited URL must not push the answer off screen
CALLBACK_TTL = 90 * 86400.0  # long button payloads outlive any sensible wait for a press
PROGRESS_TTL = 86400.0
Markup = dict[str, Any]  # an InlineKeyboardMarkup as the Bot API takes it


class TelegramSender:
    def __init__(self, bot: Bot, store, *, bot_rate: float = 30.0, edit_interval: float = 1.0) -> None:
        self.bot = bot
        self.api = BotAPI(bot)
        self.store = store
        self.bot_rate = bot_rate
        self.edit_interval = edit_interval
        self._typing: dict[str, asyncio.Task[None]] = {}
        # Parts already sent of a long reply, also here: a store refusing the progress write
        # must not make the retry in this process send those parts again.
        self._parts: dict[str, str] = {}

    async def close(self) -> None:
        for task in list(self._typing.values()):
            task.cancel()
        await self.api.close()
        await self.bot.session.close()

    # -- rate limits ---------------------------------------------------------------------------
    def limits(self, address: Address) -> list[Limit]:
        """Telegram's documented limits (Bots FAQ): about one message per second per chat (short
        bursts tolerated), 20 per minute per group, about 30 per second per bot. The per-chat key
        is the one the outbox penalises on a 429."""
        chat = address.chat
        limits = [
            Limit("telegram:bot", self.bot_rate, max(1, int(self.bot_rate))),
            Limit(f"telegram:chat:{chat}", 1.0, 3),
        ]
        if chat.startswith("-"):  # group and supergroup ids are negative
            limits.append(Limit(f"telegram:group:{chat}", 20 / 60, 3))
        return limits

    # -- typing --------------------------------------------------------------------------------
    async def typing(self, address: Address) -> None:
        """Show "typing..." now and every 4 s (Telegram shows the status for 5 s) until a message
        goes to the chat. The core calls this only for a turn that is slow (parley.app), so a fast
        answer costs no request."""
        if address.chat in self._typing:
            return
        task = asyncio.create_task(self._keep_typing(address))
        self._typing[address.chat] = task
        task.add_done_callback(
            lambda t, chat=address.chat: self._typing.pop(chat, None) if self._typing.get(chat) is t else None
        )

    async def _keep_typing(self, address: Address) -> None:
        params = _target(address)
        params["action"] = "typing"
        for _ in range(8):  # give up after ~30 s: a reply that slow is stuck in the outbox
            with contextlib.suppress(Exception):  # best effort: a failed hint changes nothing
                await self.api.call("sendChatAction", params)
            await asyncio.sleep(4.0)

    def _stop_typing(self, chat: str) -> None:
        task = self._typing.pop(chat, None)
        if task is not None:
            task.cancel()

    # -- send ----------------------------------------------------------------------------------
    async def send(self, address: Address, reply: Reply) -> str:
        self._stop_typing(address.chat)
        parts = split(reply.text or " ", MAX_TEXT)
        markup = await self._keyboard(reply.buttons) if reply.buttons else None
        if streamed := reply.replaces:
            # Already on screen (parley.core.kernel.streaming): the final text and buttons are a last edit of
            # the message ``stream`` grew, never a second message.
            try:
                await self._edit(address, streamed, parts[-1], markup)
                return streamed
            except Rejected as exc:  # deleted by the person, or too old to edit: post it instead
                log.info("final edit refused, sending instead: %s", exc)
        outbox_id = reply.meta.get("id", "")
        sent = ""
        for n, part in enumerate(parts):
            last = n == len(parts) - 1
            # A retry after a 429 on part 3 must not repeat parts 1-2: remember what went out.
            key = f"telegram:part:{outbox_id}:{n}" if len(parts) > 1 and outbox_id else ""
            if key and (done := self._parts.get(key) or await self.store.get(key)):
                sent = done
                continue
            sent = await self._post(address, part, markup if last else None)
            if key and not last:
                self._parts[key] = sent
                try:
                    await self.store.put(key, sent, ttl=PROGRESS_TTL)
                except StoreUnavailable:
                    log.info("telegram: part %d sent, its progress kept in memory only (store unavailable)", n)
        for n in range(len(parts)):
            self._parts.pop(f"telegram:part:{outbox_id}:{n}", None)
        return sent

    async def _post(self, address: Address, text: str, markup: Markup | None) -> str:
        message = await self.api.call("sendMessage", {**_target(address), **_text(text, markup)})
        return str(message["message_id"]) if isinstance(message, dict) else ""

    async def _keyboard(self, buttons: tuple[Button, ...]) -> Markup:
        rows = []
        for button in buttons:
            data = callback_data(button.payload)
            if is_long_payload(data):
                await self.store.put(f"telegram:cb:{data}", button.payload, ttl=CALLBACK_TTL)
            rows.append([{"text": button.title[:64], "callback_data": data}])
        return {"inline_keyboard": rows}

    # -- streaming -----------------------------------------------------------------------------
    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        """Post the first text, then edit it as chunks arrive, at most once per
        ``edit_interval`` (edits count against the ~1/s per-chat limit). Text past 4096
        characters continues in a new message. Returns the id of the last message."""
        self._stop_typing(address.chat)
        loop = asyncio.get_running_loop()
        text = ""
        shown: list[tuple[str, str]] = []  # (message id, text shown) per message
        last_flush = 0.0
        async for chunk in chunks:
            text += chunk
            if text.strip() and (not shown or loop.time() - last_flush >= self.edit_interval):
                shown = await self._show(address, text, shown)
                last_flush = loop.time()
        if text.strip():
            shown = await self._show(address, text, shown)
        return shown[-1][0] if shown else ""

    async def _show(self, address: Address, text: str, shown: list[tuple[str, str]]) -> list[tuple[str, str]]:
        result = list(shown)
        for n, part in enumerate(split(text, MAX_TEXT)):
            if n >= len(result):
                result.append((await self._post(address, part, None), part))
            elif result[n][1] != part:
                await self._edit(address, result[n][0], part, None)
                result[n] = (result[n][0], part)
        return result

    async def _edit(self, address: Address, message_id: str, text: str, markup: Markup | None) -> None:
        params = {**_target(address, topic=False), "message_id": int(message_id), **_text(text, markup)}
        with contextlib.suppress(NotModified):  # an edit with the same text: nothing to do
            await self.api.call("editMessageText", params)


def _text(text: str, markup: Markup | None) -> dict[str, Any]:
    """What sendMessage and editMessageText both take: the escaped text and its options."""
    params: dict[str, Any] = {"text": escape(text), "parse_mode": "HTML", "link_preview_options": NO_PREVIEW}
    if markup is not None:
        params["reply_markup"] = markup
    return params


def _target(address: Address, topic: bool = True) -> dict[str, Any]:
    """Where a call goes: the chat, the forum topic the person wrote in (editMessageText takes
    no topic: ``topic=False``), or the Telegram Business connection a customer wrote through."""
    params: dict[str, Any] = {"chat_id": address.chat}
    if connection := business_connection(address.thread):
        params["business_connection_id"] = connection
    elif address.thread and topic:
        params["message_thread_id"] = int(address.thread)
    return params
