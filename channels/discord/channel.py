"""The Discord channel on discord.py: one gateway connection receives, REST sends.

Absolute imports: ``import discord`` here is the SDK, never this module (``parley.channels.discord.channel``).
- Receive: ``run`` holds the gateway (``singleton``: one process per bot token); discord.py
  reconnects and RESUMEs by itself, and events Discord replays after a RESUME are answered once
  because the message id is the dedupe key.
- Send: any process can, over REST (it logs in lazily without opening the gateway).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord.http import Route, handle_message_parameters
from parley.channels.discord.endpoints import point_sdk_at
from parley.channels.discord.gateway import GatewayClient
from parley.channels.discord.translate import (
    MAX_TEXT,
    components,
    edit_from_message,
    inbound_from_interaction,
    inbound_from_message,
    nonce,
    send_failure,
)
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, RetryAfter
from parley.core.kernel.clock import Clock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.render import as_text, split
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.discord")

# Typing calls in flight at once; past that a hint is dropped. A hint is best effort and only
# sent when a turn is slow, which under load is every turn: the hints then doubled the REST
# calls of a process that was already behind (docs/performance.md).
TYPING_AT_ONCE = 4
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
# Neutralise every ping: a user who writes "@everyone" or "<@&role>" must not make the bot ping.
NO_PINGS = discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=False)


class DiscordChannel(Channel):
    name = "discord"
    singleton = True  # one gateway connection per bot token (held through a lease: docs/scale-out.md)
    # Discord: 5 messages per 5 s per channel; 50 requests/s per bot (the default global_rate 30
    # leaves room for typing indicators, edits and thread creation in the same bucket).
    capabilities = Capabilities(
        buttons=True,
        threads=True,
        edits=True,
        typing=True,
        max_text=MAX_TEXT,
        per_chat_rate=1.0,
        per_chat_burst=5,
        # Every post carries the outbox id as its nonce with enforce_nonce: Discord answers a
        # re-send within minutes with the first message, so a reply's record may wait for the
        # store's next group commit (docs/faults.md).
        dedupes_resends=True,
    )

    def __init__(
        self,
        ctx: ChannelContext,
        *,
        token: str,
        api_base: str = "",
        gateway_url: str = "",
        edit_interval: float = 1.0,
    ) -> None:
        super().__init__(ctx)
        self.token = token
        self.deliver = ctx.deliver
        self.clock: Clock = ctx.clock
        self.edit_interval = edit_interval
        self._restore = point_sdk_at(api_base, gateway_url)
        # max_ratelimit_timeout: discord.py sleeps through short 429s itself (it needs Discord's
        # Via header to trust one); longer ones raise RateLimited, which the outbox reschedules
        # instead of holding its lease. 30 s is the smallest value discord.py accepts.
        self.client = GatewayClient(
            self,
            intents=discord.Intents(guilds=True, dm_messages=True, guild_messages=True),
            max_ratelimit_timeout=30.0,
            allowed_mentions=NO_PINGS,
            guild_ready_timeout=0.5,
        )
        self._login = asyncio.Lock()
        self._bot_id = 0
        # Threads this process knows exist (thread id -> where to post); bounded.
        self._threads: OrderedDict[str, str] = OrderedDict()
        self._titles: OrderedDict[str, str] = OrderedDict()  # message id -> thread name
        self._tasks: set[asyncio.Task[None]] = set()
        self._typing_calls = 0
        self.redeliver_delay = 1.0  # first pause before re-delivering while the store is down

    # -- lifecycle --------------------------------------------------------------------------
    async def login(self) -> None:
        """Log in over REST once (GET users/@me); the gateway is opened by ``run`` only."""
        async with self._login:
            if not self._bot_id:
                await self.client.login(self.token)
                assert self.client.user is not None
                self._bot_id = self.client.user.id

    async def run(self) -> None:
        await self.login()
        # reconnect=True: discord.py resumes after op 7 RECONNECT, a dropped socket or a
        # heartbeat timeout, and re-identifies when the session is invalidated.
        await self.client.connect(reconnect=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.client.close()
        self._restore()

    # -- inbound ----------------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        inbound = inbound_from_message(message, self._bot_id)
        if inbound is None:
            return
        if inbound.address.thread == str(message.id):
            self._remember(self._titles, str(message.id), (inbound.text or "Question")[:90])
        elif inbound.address.thread:
            self._remember(self._threads, inbound.address.thread, inbound.address.thread)
        await self._hand_over(inbound)

    async def on_edit(self, message: discord.Message, edited_at: str) -> None:
        inbound = edit_from_message(message, self._bot_id, edited_at)
        if inbound is not None:
            await self._hand_over(inbound)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        inbound = inbound_from_interaction(interaction)
        if inbound is None:
            return
        try:
            # Discord wants an answer within 3 s or shows "This interaction failed"; type 6
            # (deferred update) acknowledges without changing the message.
            await interaction.response.defer()
        except Exception as exc:  # an expired or refused ack must not lose the press itself
            log.info("interaction ack failed", extra={"error": type(exc).__name__})
        await self._hand_over(inbound)

    async def _hand_over(self, inbound: Inbound) -> None:
        """Deliver; a gateway event cannot be refused like a webhook, so when the store is down
        keep it and retry in the background instead of losing it."""
        try:
            await self.deliver(inbound)
        except StoreUnavailable:
            task = asyncio.create_task(self._redeliver(inbound))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _redeliver(self, inbound: Inbound) -> None:
        delay = self.redeliver_delay
        for _ in range(12):  # about seven minutes: doubling pauses, capped at a minute
            await asyncio.sleep(delay)
            try:
                await self.deliver(inbound)
                return
            except StoreUnavailable:
                delay = min(delay * 2, 60.0)
        log.error("discord event dropped: store unavailable", extra={"event_id": inbound.event_id})

    # -- outbound ---------------------------------------------------------------------------
    async def typing(self, address: Address) -> None:
        if self._typing_calls >= TYPING_AT_ONCE:
            return
        self._typing_calls += 1
        try:
            await self.login()
            await self.client.http.send_typing(self._threads.get(address.thread) or address.chat)
        finally:
            self._typing_calls -= 1

    async def send(self, address: Address, reply: Reply) -> str:
        await self.login()
        try:
            target, reference = await self._target(address)
            parts = split(as_text(reply, buttons=True), MAX_TEXT)
            rows = components(reply)
            if streamed := reply.replaces:
                # Already on screen (parley.core.kernel.streaming): the final text and buttons are a last edit
                # of the message ``stream`` grew, never a second message.
                try:
                    await self._edit(target, streamed, parts[-1], rows)
                    return streamed
                except discord.NotFound:  # deleted meanwhile: post the answer instead
                    log.info("final edit refused, posting instead")
            sent = ""
            for n, part in enumerate(parts):
                last = n == len(parts) - 1
                sent = await self._post(
                    target, part, nonce(reply, n), rows if last else [], reference if not n else None
                )
            return sent
        except discord.RateLimited as exc:
            raise RetryAfter(exc.retry_after) from exc
        except discord.HTTPException as exc:
            retry_after = exc.response.headers.get("Retry-After", "") if exc.status == 429 else ""
            failure = send_failure(exc.status, exc.code, exc.text, retry_after, dm=not address.thread)
            if failure is None:
                raise  # 5xx and the like: the outbox retries with backoff
            raise failure from exc

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        """Post the first chunk, then edit that message at most every ``edit_interval`` s
        (Discord allows 5 edits per 5 s per channel); past 2000 characters continue in a new
        message."""
        await self.login()
        target, reference = await self._target(address)
        text, shown, message_id, last_edit = "", "", "", 0.0
        async for chunk in chunks:
            text += chunk
            while len(text) > MAX_TEXT:  # close this message at a sentence or word break
                head = split(text, MAX_TEXT)[0]
                if message_id:
                    await self._edit(target, message_id, head)
                else:
                    await self._post(target, head, None, [], reference)
                text, shown, message_id, reference = text[len(head) :].lstrip(), "", "", None
            if not message_id and text.strip():
                message_id = await self._post(target, text, None, [], reference)
                shown, last_edit, reference = text, self.clock(), None
            elif message_id and text != shown and self.clock() - last_edit >= self.edit_interval:
                await self._edit(target, message_id, text)
                shown, last_edit = text, self.clock()
        if message_id and text != shown:
            await self._edit(target, message_id, text)
        return message_id

    async def _target(self, address: Address) -> tuple[str, dict[str, Any] | None]:
        """Where to post: the DM or thread itself, or a thread started from the mentioning
        message (its id becomes the thread id); if the bot may not start threads there, the
        channel itself with a reply reference to that message."""
        if not address.thread:
            return address.chat, None
        known = self._threads.get(address.thread)
        if known is None:
            known = await self._open_thread(address)
            self._remember(self._threads, address.thread, known)
        if known == address.thread:
            return known, None
        return known, {"message_id": address.thread, "channel_id": address.chat, "fail_if_not_exists": False}

    async def _open_thread(self, address: Address) -> str:
        name = self._titles.pop(address.thread, "") or "Question"
        try:
            await self.client.http.start_thread_with_message(
                address.chat, address.thread, name=name, auto_archive_duration=1440
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_EXISTS:
                return address.thread
            if exc.code == 10003:  # "Unknown Channel": the address is itself a thread already
                return address.thread
            if exc.status == 429 or exc.status >= 500:  # transient: let the send be retried
                raise
            log.info("thread not allowed here; replying in channel", extra={"code": exc.code})
            return address.chat
        return address.thread

    async def _post(self, target: str, text: str, key: str | None, rows: list, reference: dict[str, Any] | None) -> str:
        params = handle_message_parameters(
            content=text,
            nonce=key,  # discord.py adds enforce_nonce: Discord returns the earlier message
            allowed_mentions=NO_PINGS,
            **({"message_reference": reference} if reference else {}),  # type: ignore[arg-type]
        )
        if rows:
            params.payload["components"] = rows  # type: ignore[index]
        data = await self.client.http.send_message(target, params=params)
        return str(data["id"])

    async def _edit(self, target: str, message_id: str, text: str, rows: list | None = None) -> None:
        params = handle_message_parameters(content=text, allowed_mentions=NO_PINGS)
        if rows:
            params.payload["components"] = rows  # type: ignore[index]
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=target, message_id=message_id)
        await self.client.http.request(route, json=params.payload)

    @staticmethod
    def _remember(cache: OrderedDict[str, str], key: str, value: str, size: int = 10_000) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)


def from_settings(settings, ctx) -> DiscordChannel:
    discord_settings = settings.discord
    return DiscordChannel(
        ctx,
        token=discord_settings.token.get_secret_value(),
        api_base=discord_settings.api_base,
        gateway_url=discord_settings.gateway_url,
    )
