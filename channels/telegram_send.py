"""Telegram outbound: sendMessage (HTML-escaped, split at 4096), inline keyboards, a typing
indicator, streamed answers by throttled editMessageText, rate limits and error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods.base import Response
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message

from channels.telegram_translate import MAX_TEXT, callback_data, escape, is_long_payload
from core.channel import Rejected, RetryAfter, Unreachable
from core.messages import Address, Button, Reply
from core.ratelimit import Limit
from core.render import split

log = logging.getLogger("parley.telegram")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a cited URL must not push the answer off screen
CALLBACK_TTL = 90 * 86400.0  # long button payloads outlive any sensible wait for a press
PROGRESS_TTL = 86400.0
# aiogram validates every answer as ``Response[method.__returning__]``. pydantic caches
# parametrised generics in a WeakValueDictionary, and a model class lives in reference cycles, so
# each cyclic GC pass frees it and the next call rebuilds the class and its schema (~9% of CPU
# per update in bench/telegram.py). Holding the types we use keeps the cache warm.
_PINNED_RESPONSE_TYPES = (Response[Message], Response[bool])


class TelegramSender:
    def __init__(self, bot: Bot, store, *, bot_rate: float = 30.0, edit_interval: float = 1.0) -> None:
        self.bot = bot
        self.store = store
        self.bot_rate = bot_rate
        self.edit_interval = edit_interval
        self._typing: dict[str, asyncio.Task[None]] = {}

    async def close(self) -> None:
        for task in list(self._typing.values()):
            task.cancel()
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
        goes to the chat. The core calls this only for a turn that is slow (core.app), so a fast
        answer costs no request."""
        if address.chat in self._typing:
            return
        task = asyncio.create_task(self._keep_typing(address))
        self._typing[address.chat] = task
        task.add_done_callback(
            lambda t, chat=address.chat: self._typing.pop(chat, None) if self._typing.get(chat) is t else None
        )

    async def _keep_typing(self, address: Address) -> None:
        thread = int(address.thread) if address.thread else None
        for _ in range(8):  # give up after ~30 s: a reply that slow is stuck in the outbox
            with contextlib.suppress(TelegramAPIError):
                await self.bot.send_chat_action(address.chat, "typing", message_thread_id=thread)
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
        if streamed := reply.meta.get("streamed"):
            # Already on screen (core.streaming): the final text and buttons are a last edit of
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
            if key and (done := await self.store.get(key)):
                sent = done
                continue
            sent = await self._post(address, part, markup if last else None)
            if key and not last:
                await self.store.put(key, sent, ttl=PROGRESS_TTL)
        return sent

    async def _post(self, address: Address, text: str, markup: InlineKeyboardMarkup | None) -> str:
        with _mapped_errors():
            message = await self.bot.send_message(
                address.chat,
                escape(text),
                parse_mode="HTML",
                message_thread_id=int(address.thread) if address.thread else None,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        return str(message.message_id)

    async def _keyboard(self, buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
        rows = []
        for button in buttons:
            data = callback_data(button.payload)
            if is_long_payload(data):
                await self.store.put(f"telegram:cb:{data}", button.payload, ttl=CALLBACK_TTL)
            rows.append([InlineKeyboardButton(text=button.title[:64], callback_data=data)])
        return InlineKeyboardMarkup(inline_keyboard=rows)

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

    async def _edit(self, address: Address, message_id: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
        with _mapped_errors():
            await self.bot.edit_message_text(
                text=escape(text),
                chat_id=address.chat,
                message_id=int(message_id),
                parse_mode="HTML",
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )


@contextlib.contextmanager
def _mapped_errors():
    """aiogram exceptions -> the outbox's vocabulary. aiogram neither retries nor throttles."""
    try:
        yield
    except TelegramRetryAfter as exc:
        raise RetryAfter(float(exc.retry_after)) from None
    except TelegramForbiddenError as exc:
        # "bot was blocked by the user", "user is deactivated", "bot was kicked from the group"
        raise Unreachable(_reason(exc.message)) from None
    except TelegramMigrateToChat as exc:
        raise Rejected(f"group moved to supergroup {exc.migrate_to_chat_id}") from None
    except TelegramBadRequest as exc:
        if "message is not modified" in exc.message:
            return  # an edit with the same text: nothing to do
        raise Rejected(exc.message[:200]) from None
    except TelegramNotFound as exc:
        raise Rejected(exc.message[:200]) from None


def _reason(message: str) -> str:
    lowered = message.lower()
    for needle, reason in (("blocked", "blocked"), ("deactivated", "deactivated"), ("kicked", "kicked")):
        if needle in lowered:
            return reason
    return "forbidden"
