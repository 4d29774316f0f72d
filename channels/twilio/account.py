"""What the SMS and WhatsApp channels share: one Twilio account, its REST client, its webhook
signature, consent records, the status callback route and its metrics.

The REST client is created lazily, inside the running loop: the SDK's async http client opens an
aiohttp session in its constructor.
"""

from __future__ import annotations

import json
import logging

import aiohttp
from aiohttp import web
from multidict import MultiDictProxy
from parley.channels.twilio.consent import CONFIRMATION, STOP_CONFIRMATION, ConsentBook, Keyword
from parley.channels.twilio.inbound import bare, signed_url, verify
from parley.channels.twilio.resend import Resends
from parley.channels.twilio.rest import BaseUrlHttpClient, Throttle
from parley.channels.twilio.whatsapp import WhatsAppWindow
from parley.core.config.settings import Settings
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.clock import as_datetime
from parley.core.kernel.messages import Inbound, Reply
from parley.core.storage.store import OutboxItem
from prometheus_client import Counter
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageList

log = logging.getLogger("parley.twilio")

STATUS_PATH = "/webhooks/twilio/status"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RECORD_TTL = 7 * 86400.0
# Status callbacks may arrive out of order ("delivered" before "sent"): never step backwards.
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3}
FINAL_RANK = 4  # delivered, read, undelivered, failed, canceled...


class TwilioAccount:
    def __init__(self, settings: Settings, ctx) -> None:
        cfg = settings.twilio
        self.cfg = cfg
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock
        self.public_url = settings.public_url
        self.dedupe_ttl = settings.dedupe_ttl
        self.validator = RequestValidator(cfg.auth_token.get_secret_value() if cfg.auth_token else "")
        self.consent = ConsentBook(ctx.store, ctx.clock)
        self.window = WhatsAppWindow(ctx.store, ctx.clock)
        self.resends = Resends(ctx.store, lambda: self.messages)
        self.throttle = Throttle()
        self.locales = LocaleCatalog.load(settings.locales_dir, settings.default_locale)
        self.persona_name = PersonaCatalog.load(settings.personas_dir, settings.persona).get().name
        self._messages: MessageList | None = None
        self._client: Client | None = None
        self._http: BaseUrlHttpClient | None = None
        r = ctx.metrics.registry
        self.statuses = Counter(
            "parley_twilio_status", "Twilio delivery status callbacks", ["channel", "status", "error_code"], registry=r
        )
        self.skipped = Counter(
            "parley_twilio_skipped", "Sends skipped before Twilio", ["channel", "reason"], registry=r
        )
        self.keywords = Counter("parley_twilio_keywords", "SMS consent keywords", ["keyword"], registry=r)
        if not self.public_url:
            log.warning("PARLEY_PUBLIC_URL is not set: Twilio signatures are checked against the request URL")

    @property
    def client(self) -> Client:
        """The SDK's REST client, built on first use (inside the running loop)."""
        if self._client is None:
            self._http = BaseUrlHttpClient(self.cfg.api_base)
            token = self.cfg.auth_token.get_secret_value() if self.cfg.auth_token else ""
            self._client = Client(self.cfg.account_sid, token, http_client=self._http)
        return self._client

    @property
    def messages(self) -> MessageList:
        """The account's Messages resource."""
        if self._messages is None:
            self._messages = self.client.messages
        return self._messages

    @property
    def media_auth(self) -> aiohttp.BasicAuth:
        """What Twilio's media URLs take (HTTP basic auth with the account's SID and token)."""
        token = self.cfg.auth_token.get_secret_value() if self.cfg.auth_token else ""
        return aiohttp.BasicAuth(self.cfg.account_sid, token)

    @property
    def status_callback(self) -> str | None:
        return self.public_url + STATUS_PATH if self.public_url else None

    async def close(self) -> None:
        if self._http is not None:
            http, self._http, self._messages, self._client = self._http, None, None, None
            await http.close()

    async def verified_form(self, request: web.Request, channel: str) -> MultiDictProxy[str]:
        """The POST parameters, if Twilio signed them; 403 (and one log line) otherwise."""
        if request.content_type not in FORM_TYPES:
            # Messaging webhooks are always form-encoded; anything else is not from Twilio.
            self.ctx.metrics.rejected.labels(channel, "content_type").inc()
            log.info("twilio webhook refused: content type %s", request.content_type[:60], extra={"channel": channel})
            raise web.HTTPUnsupportedMediaType(text="form-encoded body expected")
        form = await self._form(request, channel)
        url = signed_url(self.public_url, request.path_qs, str(request.url))
        signature = request.headers.get("X-Twilio-Signature", "")
        if not verify(self.validator, url, form, signature):  # type: ignore[arg-type]
            self.ctx.metrics.rejected.labels(channel, "bad_signature").inc()
            log.info("twilio webhook refused: bad signature", extra={"channel": channel, "path": request.path})
            raise web.HTTPForbidden(text="bad signature")
        return form  # type: ignore[return-value]

    async def _form(self, request: web.Request, channel: str) -> MultiDictProxy[str]:
        """The form, or a 400 with one log line: a body that is not UTF-8, or a multipart body
        with a file in it, is not something Twilio sends (it would raise inside the parser or
        the signature check)."""
        try:
            form = await request.post()
        except (UnicodeDecodeError, ValueError, AssertionError) as exc:  # aiohttp's multipart reader asserts
            reason = "bad_encoding" if isinstance(exc, UnicodeDecodeError) else "malformed"
            return self._bad(channel, reason, "form body cannot be parsed")
        if any(not isinstance(value, str) for value in form.values()):
            return self._bad(channel, "file_field", "file fields are not accepted")
        return form  # type: ignore[return-value]

    def _bad(self, channel: str, reason: str, message: str):
        self.ctx.metrics.rejected.labels(channel, reason).inc()
        log.info("twilio webhook refused: %s", message, extra={"channel": channel, "reason": reason})
        raise web.HTTPBadRequest(text=message)

    # -- consent keywords (SMS) ---------------------------------------------------------------
    async def keyword(self, inbound: Inbound, kind: Keyword, outbox_wake) -> bool:
        """Record the person's choice and queue its confirmation (from the locale pack) in the
        durable outbox. Handled here, not by the brain: a keyword is a legal act, not a question.
        Returns False for a duplicate delivery of the same MessageSid."""
        seen = f"twilio:keyword:{inbound.address.channel}:{inbound.event_id}"
        if await self.store.get(seen):
            self.ctx.metrics.duplicates.labels(inbound.address.channel).inc()
            return False
        person = inbound.address.person
        word = inbound.text.strip().upper()[:20]
        if kind == "opt_out":
            await self.consent.record(person, "opted_out", f"sms:{word}")
        elif kind == "opt_in":
            await self.consent.record(person, "opted_in", f"sms:{word}")
        profile = await self.store.profile(person)
        pack = self.locales.get(profile.get("locale") or self.locales.default)
        meta = {"consent": STOP_CONFIRMATION} if kind == "opt_out" else {}
        reply = Reply(text=pack.t(CONFIRMATION[kind], name=self.persona_name), kind="system", meta=meta)
        item = OutboxItem(f"{inbound.address.channel}:{inbound.event_id}:consent", inbound.address, reply, self.clock())
        await self.store.enqueue([item])
        await self.store.put(seen, "1", ttl=self.dedupe_ttl)
        self.keywords.labels(kind).inc()
        self.ctx.metrics.messages_in.labels(inbound.address.channel).inc()
        outbox_wake()
        log.info("sms consent keyword", extra={"channel": inbound.address.channel, "keyword": kind})
        return True

    # -- status callbacks ---------------------------------------------------------------------
    async def status(self, request: web.Request) -> web.Response:
        form = await self.verified_form(request, "twilio")
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        if not sid or not status:
            self.ctx.metrics.rejected.labels("twilio", "malformed").inc()
            log.info("twilio status callback refused: MessageSid and MessageStatus are required")
            raise web.HTTPBadRequest(text="MessageSid and MessageStatus are required")
        error = form.get("ErrorCode", "") or ""
        to = form.get("To", "")
        channel = "whatsapp" if to.startswith("whatsapp:") else "sms"
        outbox_id = await self.store.get(f"twilio:sid:{sid}") or ""
        key = f"twilio:status:{outbox_id or sid}"
        previous = await self.store.get(key)
        rank = STATUS_RANK.get(status, FINAL_RANK)
        if previous is None or rank >= STATUS_RANK.get(json.loads(previous)["status"], FINAL_RANK):
            record = {
                "sid": sid,
                "outbox_id": outbox_id,
                "status": status,
                "error_code": error,
                "at": as_datetime(self.clock()).isoformat(timespec="seconds"),
            }
            await self.store.put(key, json.dumps(record), ttl=RECORD_TTL)
        self.statuses.labels(channel, status, error).inc()
        if error == "21610" and to:
            # Twilio itself blocked the number (the person replied STOP to the carrier): agree.
            await self.consent.record(f"{channel}:{bare(to)}", "opted_out", "twilio:21610")
        if error:
            log.info("twilio delivery error", extra={"channel": channel, "status": status, "error_code": error})
        return web.Response(status=200, text="")
