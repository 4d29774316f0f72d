"""Slack: slack-bolt's ``AsyncApp`` on an injected ``AsyncWebClient`` (so ``PARLEY_SLACK__API_BASE``
points it anywhere), receiving over the Events API at ``POST /webhooks/slack`` or Socket Mode.

Every request is verified first (signature, 300 s window, constant-time compare). A message or
app_mention event (nearly all traffic) then goes straight to ``_on_message``: it only stores the
event (``deliver``), so the ack goes back in milliseconds and the turn runs after it. Everything
else (url_verification, buttons, slash commands, shortcuts, the Home tab) is dispatched by bolt
with ``process_before_response``. Bolt's per-request dispatch (a new context, a new client, a
dozen middlewares and matchers) cost more than the rest of the ack, hence the direct path for
the one kind of request that comes by the thousand (docs/performance.md). Slack retries
(``X-Slack-Retry-Num``) carry the same event_id and are dropped by the store's dedupe.

Desk integration (sales desk, human handoff): see docs/slack.md, "The desk channel".
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from parley.channels.slack import interactive
from parley.channels.slack.door import InjectedClock, checked_body, direct_event
from parley.channels.slack.groups import UserGroups
from parley.channels.slack.identity import BotIdentity
from parley.channels.slack.notes import DeskNotes
from parley.channels.slack.people import PeopleCache
from parley.channels.slack.post import MessagePoster
from parley.channels.slack.send import THREAD_TTL, SlackSender, thread_key
from parley.channels.slack.translate import (
    ACTION_PREFIX,
    CHANNEL,
    SECTION_MAX,
    action_inbound,
    command_inbound,
    edit_inbound,
    edited,
    home_inbound,
    ignore_reason,
    message_inbound,
    route,
    thread_of,
    well_formed,
)
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext
from parley.core.kernel.clock import Clock
from parley.core.kernel.door import BadInput
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.ratelimit import Limit
from parley.core.storage.store import StoreUnavailable
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("parley.slack")

# What bolt's payload helpers raise on a body of an unexpected shape (they index without checks).
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError)
WINDOW = 300  # Slack: reject requests whose timestamp is more than five minutes away (replays)


class SlackChannel(Channel):
    name = CHANNEL
    capabilities = Capabilities(
        buttons=True, threads=True, edits=True, max_text=SECTION_MAX, per_chat_rate=1.0, per_chat_burst=3
    )

    def __init__(
        self,
        ctx: ChannelContext,
        *,
        bot_token: str,
        signing_secret: str = "",
        api_base: str = "https://slack.com/api/",
        desk_channel: str = "",
        workspace_rate: float = 10.0,
    ) -> None:
        super().__init__(ctx)
        self.deliver = ctx.deliver
        self.store = ctx.store
        self.metrics = ctx.metrics
        self.clock: Clock = ctx.clock
        self.desk_channel = desk_channel
        # Slack: ~1 message/s per channel (short bursts allowed) plus a workspace-wide limit.
        self.workspace_rate = workspace_rate
        self.signing_secret = signing_secret
        # One shared HTTP session: slack_sdk otherwise opens a new connection for every call.
        # 10 s, not the SDK's 30: bolt's first auth.test runs before the first ack (Slack: 3 s).
        # On the session: the SDK applies its own timeout only to sessions it creates.
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        base = api_base if api_base.endswith("/") else api_base + "/"
        self.client = AsyncWebClient(token=bot_token, base_url=base, session=self.session, timeout=10)
        self.verifier = (  # Socket Mode alone needs no signing secret (no HTTP route then)
            SignatureVerifier(signing_secret, clock=InjectedClock(self.clock))  # type: ignore[arg-type]
            if signing_secret
            else None
        )
        self.sender = SlackSender(self.client, MessagePoster(self.session, base, bot_token), self.store, self.clock)
        self.people = PeopleCache(self.client, self.clock)
        self.groups = UserGroups(self.client, self.clock)  # lead routing's round robin
        self.identity = BotIdentity(self.client)
        # Bolt's own verification uses the wall clock; ours runs first with the injected one.
        self.app = AsyncApp(
            client=self.client,
            request_verification_enabled=False,
            process_before_response=True,
            logger=logging.getLogger("parley.slack.bolt"),
        )
        self.app.event("app_mention")(self._on_bolt_message)  # Socket Mode; HTTP takes the direct path
        self.app.event("message")(self._on_bolt_message)
        self.app.event("app_home_opened")(self._on_home)  # before the catch-all below
        self.app.command("/parley")(self._on_command)
        self.app.event(re.compile(".*"))(self._on_other_event)  # ack what we subscribe to but don't use
        self.app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self._on_action)
        self.app.action(re.compile(".*"))(self._on_other_action)
        # Shortcuts, modals and option requests: always acknowledged, never bolt's 404.
        interactive.register(
            self.app,
            interactive.AskParley(self.deliver, self.store, self.people),
            DeskNotes(self.client, self.store, self.deliver),
        )
        self.app.error(self._on_error)

    # -- the Channel protocol ------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        return [web.post("/webhooks/slack", self.webhook)] if self.signing_secret else []

    async def send(self, address: Address, reply: Reply) -> str:
        return await self.sender.send(address, reply)

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        return await self.sender.stream(address, chunks)

    def limits(self, address: Address) -> list[Limit]:
        # The chat key matches the outbox's, so a 429 penalises exactly this channel's bucket.
        return [
            Limit(f"{CHANNEL}:bot", self.workspace_rate, max(1, int(self.workspace_rate))),
            Limit(f"{CHANNEL}:chat:{address.chat}", self.capabilities.per_chat_rate, self.capabilities.per_chat_burst),
        ]

    async def close(self) -> None:
        await self.people.close()
        await self.session.close()

    def desk(self, thread: str = "") -> Address:
        """Where leads and handoffs land (PARLEY_SLACK__DESK_CHANNEL), optionally in a thread."""
        return Address(channel=CHANNEL, chat=self.desk_channel, thread=thread)

    # -- HTTP: the Events API and interactivity ------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # ASCII digits of a sane length: "²" passes isdigit() but not int(), and a 400-digit
        # stamp overflows the float subtraction below (both were 500s).
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not signature.isascii():
            return self._refuse(401, "bad_signature")
        if abs(self.clock() - int(stamp)) > WINDOW:
            return self._refuse(401, "stale_timestamp")
        try:
            text = raw.decode("utf-8")  # Slack sends UTF-8; slack_sdk's verifier would raise on anything else
        except UnicodeDecodeError:
            return self._refuse(400, "malformed")
        if self.verifier is None or not self.verifier.is_valid(text, stamp, signature):  # hmac.compare_digest inside
            return self._refuse(401, "bad_signature")
        try:
            event = direct_event(text, request.content_type)
            if event is not None and well_formed(event):
                answered = await self._direct(event)
                if answered is not None:
                    return answered
            body = checked_body(text, request.content_type)
        except BadInput as exc:
            return self._refuse(400, exc.reason)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        except (ValueError, TypeError, AttributeError, KeyError):
            # Bad JSON (body or interactivity payload=), or JSON of a shape bolt's context
            # builder trips on (a list, a string where an object belongs): not a Slack request.
            return self._refuse(400, "malformed")
        if not well_formed(bolt_request.body):
            return self._refuse(400, "malformed")
        try:
            response = await self.app.async_dispatch(bolt_request)
        except SHAPE_ERRORS:
            # Signed, but of a shape bolt's own helpers index into blindly (a view without a
            # type, an event that is a list...): bad input, not a crash.
            return self._refuse(400, "malformed")
        body = response.body if isinstance(response.body, str) else ""
        return web.Response(status=response.status, text=body, headers=self._headers(response))

    async def _direct(self, body: dict[str, Any]) -> web.Response | None:
        """A message event without bolt: the same listener, the same errors; None hands the
        request to bolt (the token was refused: bolt answers that its own way)."""
        try:
            bot = await self.identity.user_id()
            if bot is None:
                return None
            await self._on_message(body, bot)
        except Exception as exc:  # the same mapping bolt's error handler applies
            status, text = self._failure(exc)
            return web.Response(status=status, text=text, content_type="application/json")
        return web.Response(text="")

    @staticmethod
    def _headers(response: BoltResponse) -> dict[str, str]:
        headers = response.first_headers_without_set_cookie()
        headers.pop("content-length", None)
        return headers

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.metrics.rejected.labels(CHANNEL, reason).inc()
        log.info("slack request refused", extra={"reason": reason, "status": status})
        return web.json_response({"error": reason}, status=status)

    # -- listeners (run before the ack: store the event, nothing more) -------------------------
    async def _on_bolt_message(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await self._on_message(body, context.bot_user_id or "")

    async def _on_message(self, body: dict[str, Any], bot: str) -> None:
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if event.get("subtype") == "message_changed":
            return await self._on_edit(body, event, bot)
        reason = ignore_reason(event, bot)
        kind = route(event, bot) if reason is None else None
        if kind is None:
            log.debug("slack event ignored", extra={"reason": reason or "not_for_us"})
            return
        channel = event["channel"]
        meta = {"desk": "1"} if channel == self.desk_channel and self.desk_channel else {}
        if kind == "thread":
            known = await self.store.get(thread_key(channel, event["thread_ts"]))
            if known is None:
                return  # someone else's thread: people talking among themselves
            meta.update(self._desk_meta(channel, known))
        elif kind == "mention":
            # Later replies in this thread continue the conversation without a new mention.
            await self.store.add(thread_key(channel, thread_of(event, kind)), json.dumps({"desk_ref": ""}), THREAD_TTL)
        person = await self.people.get(event["user"])
        await self.deliver(message_inbound(body, kind, bot, person.locale, meta, person.name))

    async def _on_edit(self, body: dict[str, Any], event: dict[str, Any], bot: str) -> None:
        """An edit is passed on (never answered: parley.core.kernel.edits) when it is in a DM or a
        thread Parley is part of; other channels' edits are none of our business."""
        found = edited(event, bot)
        if found is None:
            return
        inner, kind = found
        inbound = edit_inbound(body, inner, kind, bot)
        if kind != "dm" and await self.store.get(thread_key(inner["channel"], inbound.address.thread)) is None:
            return
        await self.deliver(inbound)

    async def _on_action(self, ack: Any, body: dict[str, Any]) -> None:
        inbound = action_inbound(body)
        if inbound is not None:
            address = inbound.address
            meta = {"desk": "1"} if address.chat == self.desk_channel and self.desk_channel else {}
            if address.thread:
                meta.update(
                    self._desk_meta(address.chat, await self.store.get(thread_key(address.chat, address.thread)))
                )
            person = await self.people.get(address.user)
            update = {"locale_hint": person.locale, "meta": {**inbound.meta, **meta}}
            inbound = inbound.model_copy(update={**update, "user_name": inbound.user_name or person.name})
            await self.deliver(inbound)
        await ack()

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        """``/parley queue|mine|assign``: acknowledged at once (Slack allows 3 s), answered
        through the pipeline and the outbox, to the asker only (parley.core.handoff.commands)."""
        inbound = command_inbound(body)
        if inbound is not None:
            await self.deliver(inbound)
        await ack()

    async def _on_home(self, body: dict[str, Any]) -> None:
        """The App Home tab opened: the desk publishes its queue there."""
        inbound = home_inbound(body)
        if inbound is not None:
            await self.deliver(inbound)

    def _desk_meta(self, channel: str, known: str | None) -> dict[str, str]:
        try:
            ref = json.loads(known or "{}").get("desk_ref", "")
        except (ValueError, AttributeError):
            ref = ""
        return {"desk": "1", "desk_ref": str(ref)} if ref else {}

    async def _on_other_event(self) -> None:
        return None

    async def _on_other_action(self, ack: Any) -> None:
        await ack()

    async def _on_error(self, error: Exception) -> BoltResponse:
        status, body = self._failure(error)
        return BoltResponse(status=status, body=body)

    def _failure(self, error: Exception) -> tuple[int, str]:
        """A listener's exception -> the status and JSON body Slack gets, and one log line."""
        if isinstance(error, StoreUnavailable):
            # Not acked: Slack retries the event later (same event_id), so nothing is lost.
            log.warning("slack event deferred: store unavailable")
            return 503, '{"error":"store unavailable"}'
        if isinstance(error, (OSError, TimeoutError, aiohttp.ClientError)):
            # Slack's Web API unreachable (auth.test, users.info): a platform retry will do.
            log.warning("slack event deferred: Slack API unreachable (%s)", type(error).__name__)
            return 503, '{"error":"slack api unreachable"}'
        if isinstance(error, SHAPE_ERRORS):
            self.metrics.rejected.labels(CHANNEL, "malformed").inc()
            log.info("slack request refused: %s in a listener", type(error).__name__)
            return 400, '{"error":"malformed"}'
        self.metrics.errors.labels(CHANNEL, type(error).__name__).inc()
        log.error("slack listener failed", exc_info=error)
        return 500, '{"error":"internal error"}'


class SlackSocketChannel(SlackChannel):
    """Socket Mode (PARLEY_SLACK__APP_TOKEN): no public URL; one websocket per app, so one
    process holds it at a time."""

    singleton = True

    def __init__(self, ctx: ChannelContext, *, app_token: str, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        self.app_token = app_token

    async def run(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.app, self.app_token, web_client=self.client)
        try:
            await handler.connect_async()  # apps.connections.open, then the websocket
            log.info("slack socket mode connected")
            await asyncio.Event().wait()  # the SDK reconnects by itself; we hold it until cancelled
        finally:
            await handler.close_async()


def from_settings(settings: Any, ctx: ChannelContext) -> SlackChannel:
    slack = settings.slack
    values: dict[str, Any] = {
        "bot_token": slack.bot_token.get_secret_value(),
        "signing_secret": slack.signing_secret.get_secret_value() if slack.signing_secret else "",
        "api_base": slack.api_base,
        "desk_channel": slack.desk_channel,
    }
    if slack.app_token:
        return SlackSocketChannel(ctx, app_token=slack.app_token.get_secret_value(), **values)
    return SlackChannel(ctx, **values)
