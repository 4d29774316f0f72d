"""SMS and WhatsApp through Twilio: two channels, ``sms`` and ``whatsapp``, on one account.

Inbound: ``POST /webhooks/twilio/sms`` and ``/webhooks/twilio/whatsapp``, signature checked,
answered at once with empty TwiML (replies go through the outbox, never in the TwiML: a TwiML
reply would skip rate limits, consent checks and the send ledger). Deduped on MessageSid.
Outbound: the twilio SDK's async client (``create_async``). See docs/twilio.md.
"""

from __future__ import annotations

import logging

from aiohttp import web
from parley.channels.twilio import contacts
from parley.channels.twilio.account import STATUS_PATH, TwilioAccount
from parley.channels.twilio.consent import STOP_CONFIRMATION, keyword
from parley.channels.twilio.inbound import EMPTY_TWIML, WHATSAPP_PREFIX, MalformedWebhook, to_inbound
from parley.channels.twilio.rest import outcome_of
from parley.channels.twilio.segments import ELLIPSIS, fit
from parley.channels.twilio.whatsapp import template_for, template_kind
from parley.core.config.settings import Settings
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, Rejected, Unreachable
from parley.core.kernel.clock import as_datetime
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.ratelimit import Limit
from parley.core.kernel.render import as_text
from parley.core.storage.store import StoreUnavailable
from twilio.base.exceptions import TwilioException

log = logging.getLogger("parley.twilio")

WHATSAPP_MAX_BODY = 1600  # Twilio's Body limit for a WhatsApp message


class TwilioChannel(Channel):
    def __init__(
        self, ctx: ChannelContext, *, name: str, sender: str, rate: float, account: TwilioAccount, owns_status: bool
    ) -> None:
        super().__init__(ctx)
        self.name = name
        self.sender = sender
        self.rate = rate
        self.account = account
        self.owns_status = owns_status
        self.prefix = WHATSAPP_PREFIX if name == "whatsapp" else ""
        self.capabilities = Capabilities(
            buttons=False,  # numbered choices instead (parley.core.kernel.render.as_text / choice)
            max_text=WHATSAPP_MAX_BODY,
            per_chat_rate=rate,
            per_chat_burst=1,
            global_rate=rate,
        )

    def routes(self) -> list[web.RouteDef]:
        routes = [web.post(f"/webhooks/twilio/{self.name}", self.webhook)]
        if self.owns_status:
            routes.append(web.post(STATUS_PATH, self.account.status))
        return routes

    async def close(self) -> None:
        await self.account.close()

    def limits(self, address: Address) -> list[Limit]:
        # Twilio queues per sender (long code ~1 segment/s, WhatsApp 80 MPS): one bucket per From.
        return [Limit(f"{self.name}:sender:{self.sender}", self.rate, max(1, int(self.rate)))]

    # -- inbound ------------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        form = await self.account.verified_form(request, self.name)
        try:
            inbound = to_inbound(self.name, form, as_datetime(self.account.clock()))
        except MalformedWebhook as exc:
            self.account.ctx.metrics.rejected.labels(self.name, "malformed").inc()
            log.info("twilio webhook refused: %s", exc, extra={"channel": self.name})
            raise web.HTTPBadRequest(text=str(exc)) from None
        if any(contacts.is_vcard(a) for a in inbound.attachments):
            found = await contacts.fetch(inbound.attachments, self.account.cfg.api_base, self.account.media_auth)
            inbound = inbound.model_copy(update={"contacts": found})
        kind = keyword(inbound.text) if self.name == "sms" and inbound.kind == "message" else None
        if kind is not None:
            await self.account.keyword(inbound, kind, self.ctx.wake)
        else:
            if self.name == "whatsapp":
                await self.account.window.opened(inbound.address.chat)
            await self.account.ctx.deliver(inbound)  # False (a duplicate) is answered the same
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    # -- outbound -----------------------------------------------------------------------------
    async def send(self, address: Address, reply: Reply) -> str:
        account = self.account
        if self.name == "sms" and reply.meta.get("consent") != STOP_CONFIRMATION:
            if await account.consent.opted_out(address.person):
                account.skipped.labels(self.name, "opted_out").inc()
                raise Unreachable("opted_out")
        params: dict[str, str] = {"to": self.prefix + address.chat, "from_": self.prefix + self.sender}
        if account.status_callback:
            params["status_callback"] = account.status_callback
        choices = as_text(reply.model_copy(update={"text": ""}), buttons=False)
        if self.name == "sms":
            params["body"] = fit(reply.text, choices, account.cfg.max_segments)
        elif await account.window.is_open(address.chat):
            params["body"] = whatsapp_body(as_text(reply, buttons=False))
        else:
            params.update(await self._template(address, reply))
        if sid := await account.resends.earlier(
            reply.meta.get("id", ""), params["to"], params["from_"], params.get("body", "")
        ):
            return sid  # a crash (or a lost answer) came after Twilio accepted it: not twice
        try:
            message = await account.messages.create_async(**params)
        except TwilioException as exc:
            outcome = outcome_of(exc, account.throttle)
            if isinstance(outcome, Unreachable) and outcome.reason == "opted_out":
                await account.consent.record(address.person, "opted_out", "twilio:21610")
            raise outcome from exc
        account.throttle.clear()
        try:  # for status callbacks only: the message is out, a refused write must not resend it
            await account.store.put(f"twilio:sid:{message.sid}", reply.meta.get("id", ""), ttl=7 * 86400)
        except StoreUnavailable:
            log.info("twilio: message sent, its sid not filed (store unavailable)", extra={"channel": self.name})
        return message.sid or ""

    async def _template(self, address: Address, reply: Reply) -> dict[str, str]:
        """Outside the 24-hour window only an approved template may go; without one configured
        for this kind and locale the send is skipped, with the reason recorded in the outbox."""
        locale = reply.meta.get("lang") or (await self.account.store.profile(address.person)).get("locale", "")
        locale = locale or self.account.locales.default
        template = template_for(self.account.cfg.whatsapp_templates, reply, locale)
        if template is None:
            self.account.skipped.labels(self.name, "window_closed").inc()
            raise Rejected(f"whatsapp_window_closed: no template for {template_kind(reply)}:{locale}")
        return {"content_sid": template.content_sid, "content_variables": template.variables}


def whatsapp_body(text: str) -> str:
    if len(text) <= WHATSAPP_MAX_BODY:
        return text
    cut = text[: WHATSAPP_MAX_BODY - len(ELLIPSIS)]
    space = cut.rfind(" ")
    return (cut[:space] if space > len(cut) // 2 else cut) + ELLIPSIS


def from_settings(settings: Settings, ctx) -> list[Channel]:
    cfg = settings.twilio
    account = TwilioAccount(settings, ctx)
    channels: list[TwilioChannel] = []
    if cfg.sms_from:
        channels.append(
            TwilioChannel(ctx, name="sms", sender=cfg.sms_from, rate=cfg.sms_rate, account=account, owns_status=True)
        )
    if cfg.whatsapp_from:
        sender = cfg.whatsapp_from.removeprefix(WHATSAPP_PREFIX)
        channels.append(
            TwilioChannel(
                ctx, name="whatsapp", sender=sender, rate=cfg.whatsapp_rate, account=account, owns_status=not channels
            )
        )
    voice = []
    if cfg.voice_from:  # imported here: a bot without calls never loads the voice modules
        from parley.channels.twilio.voice.wiring import voice_channel

        voice = [voice_channel(settings, ctx, account)]
    if not channels and not voice:
        log.warning("twilio: none of PARLEY_TWILIO__SMS_FROM, _WHATSAPP_FROM, _VOICE_FROM is set; no channel")
    return [*channels, *voice]
