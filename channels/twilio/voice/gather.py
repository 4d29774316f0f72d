"""The <Gather> mode (``PARLEY_TWILIO__VOICE_MODE=gather``), for accounts without
ConversationRelay: Twilio does speech both ways and posts one signed webhook per turn.

Each webhook is an ``Inbound`` (``CallSid:gN``: the turn number rides in the action URL, which
Twilio signs, so Twilio's own retries of a webhook dedupe). The webhook waits for the turn's
replies from the outbox (``VoiceChannel.send`` puts them here), then answers
<Gather input="speech dtmf" bargeIn="true"><Say voice= language=>...</Say></Gather>, whose
action is the next turn. Replies that take longer than Twilio waits for a webhook are answered
with a short pause and a redirect to the same turn's ``wait`` URL, which picks them up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from aiohttp import web
from parley.channels.twilio.voice import twiml
from parley.channels.twilio.voice.relay import pressed
from parley.core.kernel.messages import Address, Button, Inbound, Reply
from parley.core.storage.store import StoreUnavailable
from twilio.twiml.voice_response import VoiceResponse

log = logging.getLogger("parley.voice")

GATHER_PATH = "/webhooks/twilio/voice/gather"
MORE_REPLIES = 0.05  # after the first reply, how long the rest of the turn's replies may take
MAX_CALLS = 2000  # calls whose replies are kept waiting for a webhook (oldest dropped)


class GatherTurns:
    def __init__(self, channel) -> None:
        self.channel = channel
        self.waiting: OrderedDict[str, asyncio.Queue[Reply]] = OrderedDict()
        self.answered: OrderedDict[str, str] = OrderedDict()  # "CallSid:gN" -> the TwiML it got
        self.choices: OrderedDict[str, tuple[Button, ...]] = OrderedDict()  # CallSid -> last spoken

    def routes(self) -> list[web.RouteDef]:
        return [web.post(GATHER_PATH, self.turn)]

    def queue(self, call_sid: str) -> asyncio.Queue[Reply]:
        found = self.waiting.get(call_sid)
        if found is None:
            found = self.waiting[call_sid] = asyncio.Queue()
            while len(self.waiting) > MAX_CALLS:
                self.waiting.popitem(last=False)
        return found

    def hear(self, call_sid: str, reply: Reply) -> bool:
        """A reply for a call in this mode (False: the call is not ours, or over)."""
        found = self.waiting.get(call_sid)
        if found is None:
            return False
        found.put_nowait(reply)
        return True

    async def answer(self, request: web.Request, form) -> web.Response:
        """The call's first webhook: the greeting (and AI disclosure) as the first turn."""
        return await self._turn(request, form, 0, "/start", "")

    async def turn(self, request: web.Request) -> web.Response:
        form = await self.channel.account.verified_form(request, "voice")
        try:
            n = int(request.query.get("n", "1"))
        except ValueError:
            n = 1
        if request.query.get("wait"):
            return await self._respond(request, form, n, await self._replies(form.get("CallSid", "")))
        said, digit = form.get("SpeechResult", ""), form.get("Digits", "")[:1]
        if not said and not digit:  # silence: Twilio fell through the <Gather> to its <Redirect>
            return await self._goodbye(form)
        return await self._turn(request, form, n, said, digit)

    async def _turn(self, request: web.Request, form, n: int, said: str, digit: str) -> web.Response:
        channel = self.channel
        call_sid, caller = form.get("CallSid", ""), form.get("From", "")
        if not call_sid or not caller:
            channel.refuse("malformed")
            raise web.HTTPBadRequest(text="CallSid and From are required")
        self.queue(call_sid)
        address = Address(channel="voice", chat=call_sid, user=caller)
        if said and n and await channel.gather_opt_out(address, said):
            return await self._goodbye(form, "opted_out")
        hint = channel.pack_for_language(form.get("Language", "")) if form.get("Language") else ""
        event = f"{call_sid}:g{n}" if n else f"{call_sid}:start"
        if digit:
            inbound = pressed(address, event, digit, self.choices.get(call_sid, ()))
        else:
            inbound = Inbound(address=address, event_id=event, text=said, locale_hint=hint, message_id=event)
        try:
            new = await channel.ctx.deliver(inbound)
        except StoreUnavailable:
            raise web.HTTPServiceUnavailable(text="busy") from None
        if not new and event in self.answered:  # Twilio retried a webhook we answered: same TwiML
            return web.Response(text=self.answered[event], content_type="text/xml")
        response = await self._respond(request, form, n, await self._replies(call_sid))
        self.answered[event] = response.text or ""
        while len(self.answered) > MAX_CALLS:
            self.answered.popitem(last=False)
        return response

    async def _replies(self, call_sid: str) -> list[Reply]:
        queue = self.queue(call_sid)
        try:
            replies = [await asyncio.wait_for(queue.get(), self.channel.setup.gather_wait)]
        except TimeoutError:
            return []
        while True:
            try:
                replies.append(await asyncio.wait_for(queue.get(), MORE_REPLIES))
            except TimeoutError:
                return replies

    async def _respond(self, request: web.Request, form, n: int, replies: list[Reply]) -> web.Response:
        channel = self.channel
        if not replies:  # still thinking: keep the line, come back for the answer
            response = VoiceResponse()
            response.pause(length=1)
            response.redirect(channel.setup.public(request, f"{GATHER_PATH}?n={n}&wait=1"), method="POST")
            return web.Response(text=str(response), content_type="text/xml")
        pack = channel.locales.get(replies[-1].meta.get("lang") or channel.locales.default)
        call_sid = form.get("CallSid", "")
        self.choices[call_sid] = next((r.buttons for r in reversed(replies) if r.buttons), ())
        while len(self.choices) > MAX_CALLS:
            self.choices.popitem(last=False)
        table = channel.setup.table(pack)
        call = form.get("CallSid", "")
        said = " ".join(filter(None, (channel.spoken_for(call, pack, reply) for reply in replies)))
        if any(r.handoff is not None and r.handoff.status == "wait" for r in replies) and channel.setup.transfer:
            body = twiml.transfer(channel.setup.transfer, channel.setup.caller_id, pack.spoken("transfer"), table)
            return web.Response(text=body, content_type="text/xml")
        action = channel.setup.public(request, f"{GATHER_PATH}?n={n + 1}")
        digits = 1 if any(r.buttons for r in replies) else 0
        return web.Response(text=twiml.gather(said, table, action, digits=digits), content_type="text/xml")

    async def _goodbye(self, form, key: str = "goodbye") -> web.Response:
        channel = self.channel
        self.waiting.pop(form.get("CallSid", ""), None)
        pack = await channel.setup.pack_of(f"voice:{form.get('From', '')}", form.get("From", ""))
        return web.Response(text=twiml.say(pack.spoken(key), channel.setup.table(pack)), content_type="text/xml")
