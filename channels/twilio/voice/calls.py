"""Calls Parley places: a call back the caller accepted, a reminder, any proactive message to a
``voice`` address with no live call. Placed through the twilio SDK's Calls API
(``calls.create_async``), with the message in inline TwiML: the AI disclosure first, then the
message, then "to stop these calls, press 9" (a <Gather> whose answer comes back signed to
``/webhooks/twilio/voice/optout``).

Checked at send time, in the outbox, whatever the scheduler decided earlier: the person's
consent record (a "stop calling me" said or pressed on any call, an SMS STOP) and their quiet
hours (the pack's, in their time zone): a phone ringing at night is not a chat message waiting
in an app, so even a reminder waits for morning.
"""

from __future__ import annotations

import logging

from aiohttp import web
from parley.channels.twilio.account import TwilioAccount
from parley.channels.twilio.rest import outcome_of
from parley.channels.twilio.voice import speech, twiml
from parley.channels.twilio.voice.relay import OPT_OUT_KEY
from parley.core.kernel.channel import RetryAfter, Unreachable
from parley.core.kernel.messages import Address, Reply
from parley.core.schedule.timing import TimingError, hhmm, next_allowed, zone
from twilio.base.exceptions import TwilioException
from twilio.rest.api.v2010.account.call import CallList
from twilio.twiml.voice_response import Gather, VoiceResponse

log = logging.getLogger("parley.voice")

OPT_OUT_PATH = "/webhooks/twilio/voice/optout"


class Calls:
    def __init__(self, account: TwilioAccount, setup) -> None:
        self.account = account
        self.setup = setup

    def routes(self) -> list[web.RouteDef]:
        return [web.post(OPT_OUT_PATH, self.opt_out)]

    @property
    def calls(self) -> CallList:
        return self.account.client.calls

    async def ring(self, address: Address, reply: Reply) -> str:
        account = self.account
        person = address.person
        if await account.consent.opted_out(person):
            account.skipped.labels("voice", "opted_out").inc()
            raise Unreachable("opted_out")
        profile = await account.store.profile(person)
        pack = account.locales.get(reply.meta.get("lang") or profile.get("locale") or account.locales.default)
        wait = self._quiet_for(pack, profile.get("tz", ""))
        if wait > 0:
            raise RetryAfter(wait, "quiet_hours")
        try:
            call = await self.calls.create_async(
                to=address.user or address.chat, from_=self.setup.caller_id, twiml=self._twiml(reply, pack)
            )
        except TwilioException as exc:
            raise outcome_of(exc, account.throttle) from exc
        account.throttle.clear()
        log.info("voice call placed", extra={"channel": "voice", "kind": reply.kind})
        return call.sid or ""

    def _twiml(self, reply: Reply, pack) -> str:
        """The placed call: the disclosure, then either the person the caller was promised (the
        desk's booked call back, put through to the transfer target) or the message and the
        opt-out key."""
        table = self.setup.table(pack)
        disclosure = pack.t("ai_disclosure", name=self.account.persona_name)
        if reply.handoff is not None and reply.handoff.status == "wait" and self.setup.transfer:
            said = f"{disclosure} {pack.spoken('transfer')}"
            return twiml.transfer(self.setup.transfer, self.setup.caller_id, said, table)
        said = " ".join(
            (disclosure, speech.spoken(reply.text, pack, (), self.setup.max_words), pack.spoken("opt_out_hint"))
        )
        response = VoiceResponse()
        gather = Gather(input="dtmf", num_digits=1, action=self.setup.public_url + OPT_OUT_PATH, timeout=3)
        gather.say(said, **twiml.say_attrs(table))
        response.append(gather)
        return str(response)

    def _quiet_for(self, pack, tz_name: str) -> float:
        """Seconds until the person's quiet hours end (0: ring now)."""
        now = self.account.clock()
        try:
            tz = zone(tz_name or self.setup.timezone)
        except TimingError:
            tz = zone("UTC")
        head = pack.head
        allowed = next_allowed(now, tz, (hhmm(head.quiet_hours[0]), hhmm(head.quiet_hours[1])))
        return max(0.0, allowed - now)

    async def opt_out(self, request: web.Request) -> web.Response:
        """The answer to "press 9" on a call we placed: the called number (``To``) opts out."""
        form = await self.account.verified_form(request, "voice")
        person, digits = form.get("To", ""), form.get("Digits", "")
        response = VoiceResponse()
        if person and digits == OPT_OUT_KEY:
            await self.account.consent.record(f"voice:{person}", "opted_out", "voice:dtmf")
            profile = await self.account.store.profile(f"voice:{person}")
            pack = self.account.locales.get(profile.get("locale") or self.account.locales.default)
            response.say(pack.spoken("opted_out"), **twiml.say_attrs(self.setup.table(pack)))
            log.info("voice opt-out", extra={"channel": "voice", "source": "dtmf"})
        response.hangup()
        return web.Response(text=str(response), content_type="text/xml")
