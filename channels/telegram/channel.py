"""Telegram on aiogram 3: webhook mode (``POST /webhooks/telegram``) or long polling.

Inbound updates are parsed by the pure ``parley.channels.telegram.translate.to_inbound``. aiogram's ``Bot``
(``AiohttpSession`` pointed at ``PARLEY_TELEGRAM__API_BASE``, so a local Bot API server or a test
fake works) makes the start-up and polling calls; replies, edits and typing go through
``parley.channels.telegram.api`` (JSON posts to the same base URL, errors mapped for the outbox), driven
by ``parley.channels.telegram.send``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError
from aiohttp import web
from parley.channels.telegram.send import TelegramSender
from parley.channels.telegram.translate import (
    CHANNEL,
    BotIdentity,
    MalformedUpdate,
    Membership,
    is_long_payload,
    membership,
    to_inbound,
)
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext
from parley.core.kernel.door import BadInput, parse_json
from parley.core.kernel.messages import Inbound
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.telegram")

PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "telegram:webhook_secret"
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# What Telegram sends us (allowed_updates): to_inbound reads the messages, edits and button
# presses; ``membership`` the blocks and unblocks; join requests and reactions are acknowledged
# and left alone (docs/telegram.md).
UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "business_message",
    "edited_business_message",
    "chat_join_request",
    "message_reaction",
]


def _bot(token: str, api_base: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/"))))


class TelegramChannel(TelegramSender, Channel):
    """Webhook mode: updates arrive at ``POST /webhooks/telegram`` with the secret header."""

    name = CHANNEL
    capabilities = Capabilities(buttons=True, edits=True, typing=True, max_text=4096, per_chat_rate=1.0)

    def __init__(
        self,
        ctx: ChannelContext,
        *,
        bot: Bot,
        public_url: str = "",
        secret: str = "",
        bot_rate: float = 30.0,
        edit_interval: float = 1.0,
    ) -> None:
        Channel.__init__(self, ctx)
        TelegramSender.__init__(self, bot, ctx.store, bot_rate=bot_rate, edit_interval=edit_interval)
        self.deliver = ctx.deliver
        self.metrics = ctx.metrics
        self.public_url = public_url
        self._secret = secret.encode()
        self.me: BotIdentity | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self.webhook)]

    async def run(self) -> None:
        await _until_done(self._register, "setWebhook")

    async def _register(self) -> None:
        await self.identity()
        secret = await self.secret()
        url = self.public_url + PATH
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATES)
        log.info("telegram webhook set", extra={"url": url})

    async def secret(self) -> str:
        """The configured secret, else one generated once and shared through the store (SET NX),
        so every process behind the load balancer checks the same value."""
        if not self._secret:
            await self.store.add(SECRET_KEY, secrets.token_urlsafe(32))
            self._secret = ((await self.store.get(SECRET_KEY)) or "").encode()
        return self._secret.decode()

    async def identity(self) -> BotIdentity:
        if self.me is None:
            user = await self.bot.get_me()
            self.me = BotIdentity(id=user.id, username=user.username or "")
        return self.me

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        expected = self._secret or (await self.secret()).encode()
        # Telegram sends the secret given to setWebhook in every call; compare in constant time.
        if not hmac.compare_digest(given, expected):
            return self._refuse("bad_secret", 401)
        try:
            update = parse_json(await request.read())
            if (change := membership(update)) is not None:
                await self._member(change)  # StoreUnavailable -> 503 (server.py): Telegram retries
                return web.Response()
            inbound = to_inbound(update, self.me)
            if inbound is None and self.me is None and _from_group(update):
                inbound = to_inbound(update, await self.identity())  # first group message: getMe
        except BadInput as exc:
            return self._refuse(exc.reason, 400, exc.detail)
        except MalformedUpdate as exc:
            return self._refuse("malformed", 400, str(exc)[:200])
        except TelegramAPIError as exc:  # getMe failed: let Telegram retry the update later
            log.warning("telegram getMe failed: %s", type(exc).__name__)
            return web.json_response({"error": "retry later"}, status=503)
        if inbound is None:
            return web.Response()  # not for us: 200 so Telegram does not retry it
        await self._deliver(inbound)  # StoreUnavailable -> 503 (server.py)
        if inbound.kind == "button":
            # A webhook may answer with one Bot API call in its body: stop the button's spinner
            # at no extra request.
            body = {"method": "answerCallbackQuery", "callback_query_id": inbound.meta["callback_id"]}
            return web.json_response(body)
        return web.Response()

    async def _deliver(self, inbound: Inbound) -> bool:
        if inbound.kind == "button" and is_long_payload(inbound.payload):
            # A digest callback_data stands for a longer payload kept in the store at send time.
            payload = await self.store.get(f"telegram:cb:{inbound.payload}")
            inbound = inbound.model_copy(update={"payload": payload or inbound.payload})
        elif inbound.text.startswith("/start"):
            # Unblocking a bot shows a "Restart" button that sends /start: the person can be
            # reached again, so proactive sends (stopped after a 403) may resume.
            await self.store.delete(f"unreachable:{inbound.address.person}")
        return await self.deliver(inbound)

    async def _member(self, change: Membership) -> None:
        """The person blocked the bot (so the outbox stops sending and campaigns skip them, no
        403 needed to learn it) or unblocked it (they can be reached again)."""
        if change.reachable:
            await self.store.delete(f"unreachable:{change.person}")
        else:
            await self.store.put(f"unreachable:{change.person}", "blocked")
        log.info("telegram membership", extra={"status": change.status})

    def _refuse(self, reason: str, status: int, detail: str = "") -> web.Response:
        self.metrics.rejected.labels(self.name, reason).inc()
        log.info("telegram webhook refused", extra={"reason": reason, "detail": detail})
        return web.json_response({"error": reason}, status=status)


async def _until_done(step, what: str) -> None:
    """Retry a start-up call through network errors and 5xx (Telegram keeps the previous
    webhook meanwhile); a rejected token is final and said once."""
    delay = 1.0
    while True:
        try:
            return await step()
        except TelegramUnauthorizedError:
            log.error("telegram %s refused: PARLEY_TELEGRAM__TOKEN is not valid", what)
            return
        except TelegramBadRequest as exc:  # e.g. a public URL Telegram won't call: say it once
            log.error("telegram %s refused: %s", what, exc.message)
            return
        except (TelegramAPIError, StoreUnavailable, OSError) as exc:
            log.warning("telegram %s failed (%s), retrying in %.0f s", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300.0)


def _from_group(update: object) -> bool:
    msg = isinstance(update, dict) and (update.get("message") or update.get("edited_message"))
    return isinstance(msg, dict) and (msg.get("chat") or {}).get("type") not in (None, "private")


class TelegramPollingChannel(TelegramChannel):
    """Long polling (getUpdates) for development without a public URL. Telegram allows one
    getUpdates consumer per bot (409 Conflict otherwise): a singleton receive loop."""

    singleton = True

    def __init__(self, ctx: ChannelContext, *, poll_timeout: int = 25, **kwargs) -> None:
        super().__init__(ctx, **kwargs)
        self.poll_timeout = poll_timeout
        self.offset = 0

    def routes(self) -> list[web.RouteDef]:
        return []

    async def run(self) -> None:
        await _until_done(self._unregister, "deleteWebhook")
        delay = 1.0
        while True:
            try:
                await self.poll()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, 5xx, store down: back off, keep the offset
                log.warning("telegram polling failed: %s", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _unregister(self) -> None:
        await self.identity()
        # getUpdates answers 409 while a webhook is set; pending updates stay queued.
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def poll(self) -> int:
        """One getUpdates round. The offset moves past an update only once it is stored (or
        skipped as not ours), so a store outage re-fetches it later instead of losing it."""
        updates = await self.bot.get_updates(
            offset=self.offset or None,
            timeout=self.poll_timeout,
            allowed_updates=UPDATES,
            request_timeout=self.poll_timeout + 10,
        )
        for update in updates:
            raw = update.model_dump(mode="json", by_alias=True, exclude_none=True)
            if (change := membership(raw)) is not None:
                await self._member(change)  # StoreUnavailable propagates: the offset stays
                self.offset = update.update_id + 1
                continue
            try:
                inbound = to_inbound(raw, self.me)
            except MalformedUpdate as exc:
                log.info("telegram update skipped: %s", exc)
                inbound = None
            if inbound is not None:
                # StoreUnavailable propagates: the offset stays, Telegram hands the update out again.
                await self._deliver(inbound)
                if inbound.kind == "button":
                    await self._answer_callback(inbound.meta["callback_id"])
            self.offset = update.update_id + 1
        return len(updates)

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.bot.answer_callback_query(query_id)
        except Exception as exc:  # a query older than 15 s can't be answered: harmless
            log.info("answerCallbackQuery failed: %s", type(exc).__name__)


def from_settings(settings, ctx) -> TelegramChannel:
    conf = settings.telegram
    mode = conf.mode or ("webhook" if settings.public_url else "polling")
    try:
        bot = _bot(conf.token.get_secret_value(), conf.api_base)
    except TokenValidationError:
        raise ValueError("PARLEY_TELEGRAM__TOKEN: not a bot token (expected 123456:ABC... from @BotFather)") from None
    options = {"bot_rate": conf.bot_rate}
    if mode == "polling":
        return TelegramPollingChannel(ctx, bot=bot, **options)
    if not settings.public_url:
        raise ValueError("PARLEY_PUBLIC_URL is required when PARLEY_TELEGRAM__MODE=webhook")
    secret = conf.webhook_secret.get_secret_value() if conf.webhook_secret else ""
    if secret and not _SECRET_FORMAT.match(secret):
        raise ValueError("PARLEY_TELEGRAM__WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - (Bot API rule)")
    return TelegramChannel(ctx, bot=bot, public_url=settings.public_url, secret=secret, **options)
