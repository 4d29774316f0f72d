"""The ``voice`` channel: phone calls through Twilio, on the same persona, knowledge, desk and
consent as every other channel (docs/voice.md).

``POST /webhooks/twilio/voice`` answers an incoming call with TwiML: ConversationRelay (speech
both ways by Twilio, the conversation over our websocket, parley.channels.twilio.voice.relay),
or, with ``PARLEY_TWILIO__VOICE_MODE=gather``, <Gather>/<Say> turns
(parley.channels.twilio.voice.gather). The call is the conversation (chat = CallSid); the
caller's number is the person, so their language and consent outlive the call.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import AsyncIterator

from aiohttp import web
from parley.channels.twilio.account import TwilioAccount
from parley.channels.twilio.voice import protocol, speech, twiml
from parley.channels.twilio.voice.calls import Calls
from parley.channels.twilio.voice.crossing import Crossing
from parley.channels.twilio.voice.gather import GatherTurns
from parley.channels.twilio.voice.relay import RELAY_PATH, Call, RelaySocket
from parley.channels.twilio.voice.setup import VoiceSetup
from parley.channels.twilio.voice.speaker import Speaker
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, Rejected
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.voice")

VOICE_PATH = "/webhooks/twilio/voice"
ACTION_PATH = "/webhooks/twilio/voice/action"


class VoiceChannel(Channel):
    name = "voice"
    capabilities = Capabilities(
        buttons=False,  # spoken as "For X, press 1" (speech.choices)
        edits=True,  # "edits" = streams: tokens are spoken as the LLM writes them
        max_text=20000,
        per_chat_rate=50,
        per_chat_burst=50,
        global_rate=1000,
    )

    def __init__(self, ctx: ChannelContext, *, account: TwilioAccount, setup: VoiceSetup) -> None:
        super().__init__(ctx)
        self.account = account
        self.setup = setup
        if setup.mode == "gather":  # no socket to stream to: each turn's answer goes out whole
            self.capabilities = dataclasses.replace(self.capabilities, edits=False)
        self.locales = account.locales
        self.calls: dict[str, Call] = {}  # CallSid -> live call on this process
        self.outbound = Calls(account, setup)
        self.socket = RelaySocket(self)
        self.crossing = Crossing(getattr(ctx.store, "relay", None), self._relayed)  # Redis: calls on other processes
        self.gather = GatherTurns(self)
        self.disclosed: set[str] = set()  # <Gather> calls (no socket) that heard the disclosure

    def routes(self) -> list[web.RouteDef]:
        routes = [
            web.post(VOICE_PATH, self.answer),
            web.get(RELAY_PATH, self.socket.handle),
            web.post(ACTION_PATH, self.action),
        ]
        return routes + self.outbound.routes() + self.gather.routes()

    async def close(self) -> None:
        for call in list(self.calls.values()):
            await call.ws.close(code=1001, message=b"server restarting")

    # -- the call arrives -----------------------------------------------------------------------
    async def answer(self, request: web.Request) -> web.Response:
        form = await self.account.verified_form(request, self.name)
        call_sid, caller = form.get("CallSid", ""), form.get("From", "")
        if not call_sid or not caller:
            self.refuse("malformed")
            raise web.HTTPBadRequest(text="CallSid and From are required")
        if self.setup.mode == "gather":
            return await self.gather.answer(request, form)
        pack = await self.setup.pack_of(f"{self.name}:{caller}", caller)
        first = self.setup.table(pack)
        others = [self.setup.table(self.locales.get(code)) for code in self.locales.codes]
        body = twiml.connect(
            self.setup.socket_url(request),
            self.setup.public(request, ACTION_PATH),
            first,
            others,
            self.setup.transcription_provider,
        )
        return web.Response(text=body, content_type="text/xml")

    def signed_socket(self, request: web.Request) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        url = self.setup.socket_url(request)
        return bool(signature) and self.account.validator.validate(url, {}, signature)

    async def opened(self, ws: web.WebSocketResponse, setup: protocol.Setup) -> Call:
        person = setup.called if setup.direction.startswith("outbound") else setup.caller
        address = Address(channel=self.name, chat=setup.call_sid, user=person)
        pack = await self.setup.pack_of(address.person, person)
        call = Call(ws, setup, address, self.setup.table(pack).language)
        self.calls[setup.call_sid] = call
        await self.crossing.held(setup.call_sid)
        # The greeting goes through the pipeline like "/start": the AI disclosure comes first,
        # in the caller's language, and the transcript has it.
        greet = Inbound(address=address, event_id=f"{setup.call_sid}:start", text="/start", message_id="")
        try:
            await self.ctx.deliver(greet)
        except StoreUnavailable:
            await self.apologise(call)
        return call

    async def closed(self, call: Call) -> None:
        if self.calls.get(call.setup.call_sid) is call:
            del self.calls[call.setup.call_sid]
            await self.crossing.released(call.setup.call_sid)

    # -- what the caller hears ------------------------------------------------------------------
    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        """Speak an LLM answer as it is written, cleaned word by word (speech.Cleaner); stop at
        once when the caller interrupts. The final ``last`` token is ``send``'s, with the
        answer's spoken choices."""
        call = self._live(address)
        stream_id = f"s-{uuid.uuid4().hex[:16]}"
        call.speaking = stream_id
        pack = self.locales.get(self.pack_for_language(call.lang) or self.locales.default)
        cleaner = speech.Cleaner(pack)

        def heard() -> bool:
            return stream_id not in call.cut and not call.ended

        speaker = Speaker(call, heard)  # a burst of tokens is one frame, not one each
        try:
            async for chunk in chunks:
                if not heard():
                    break  # the rest is dropped unheard (streaming.think drains it)
                said = cleaner.feed(chunk)
                if said:
                    await speaker.say(said)
            else:
                rest = cleaner.flush()
                if rest:
                    await speaker.say(rest)
        finally:
            await speaker.finish()  # before ``send`` closes the answer with its ``last`` frame
        return stream_id

    async def send(self, address: Address, reply: Reply) -> str:
        if self.setup.mode == "gather" and self.gather.hear(address.chat, reply):
            return f"{address.chat}:{reply.meta.get('id', '')}"
        said_id = reply.replaces or reply.meta.get("id", "") or f"r-{uuid.uuid4().hex[:16]}"  # event ids stay p1, p2...
        call = self.calls.get(address.chat)
        if call is not None and not call.ws.closed:
            await self._speak(call, reply, said_id)
            return said_id
        if await self.crossing.cross(address.chat, reply, said_id):
            return said_id  # said on the call by the process that holds its socket
        if reply.kind in ("proactive", "system") and not reply.replaces:
            return await self.outbound.ring(address, reply)  # a call back, a reminder
        raise Rejected("call_ended")  # a live call's answer cannot wait for a new call

    async def _relayed(self, call_sid: str, reply: Reply, said_id: str) -> None:
        """A reply another process's outbox had for a call whose socket is here."""
        call = self.calls.get(call_sid)
        if call is not None and not call.ws.closed:
            await self._speak(call, reply, said_id)

    async def _speak(self, call: Call, reply: Reply, said_id: str) -> None:
        pack = self.locales.get(reply.meta.get("lang") or self.locales.default)
        if reply.replaces:  # the end of a streamed answer
            cut = reply.replaces in call.cut
            call.speaking = ""
            if not cut:
                call.choices = reply.buttons
                await call.ws.send_str(protocol.text(speech.choices(reply.buttons, pack), last=True, lang=call.lang))
            return
        await self._language(call, pack)
        call.speaking = said_id
        if reply.handoff is not None and reply.handoff.status == "wait" and self.setup.transfer:
            return await self._transfer(call, pack)
        text = self._text(reply, pack)
        if reply.buttons or text:
            call.choices = reply.buttons
        if not text and not reply.buttons:
            return
        said = speech.spoken(self._disclosed(call, pack, text), pack, reply.buttons, self.setup.max_words)
        await call.ws.send_str(protocol.text(said, last=True, lang=call.lang))

    def _text(self, reply: Reply, pack) -> str:
        """What a reply says on the phone. The AI disclosure is the call's opening line
        (``_disclose``), so the pipeline's copy on the first answer goes; the desk's "a person
        will reply here from Monday" becomes the offer of a call back (its button, "press 1",
        books it), and its "they'll reply here" is not said at all."""
        text = reply.text.removeprefix(pack.t("ai_disclosure", name=self.account.persona_name)).lstrip()
        if reply.handoff is not None and reply.handoff.status == "closed" and reply.handoff.when:
            return pack.spoken("callback_offer", when=reply.handoff.when)
        return "" if text == pack.t("handoff_started") else text

    def _disclosed(self, call: Call, pack, text: str) -> str:
        text, call.disclosed = self._disclose(call.disclosed, pack, text)
        return text

    def _disclose(self, done: bool, pack, text: str) -> tuple[str, bool]:
        """The call opens with the AI disclosure, in the caller's language: the greeting's
        "/start" does not pass the pipeline's disclosure step, so the channel says it."""
        return (text if done else f"{pack.t('ai_disclosure', name=self.account.persona_name)} {text}"), True

    def spoken_for(self, call_sid: str, pack, reply: Reply) -> str:
        """A <Gather> call's reply as said (the disclosure first on the call's first reply)."""
        text, _ = self._disclose(call_sid in self.disclosed, pack, self._text(reply, pack))
        self.disclosed.add(call_sid)
        if len(self.disclosed) > 10_000:  # calls end; this only needs to outlive one of them
            self.disclosed.clear()
        return speech.spoken(text, pack, reply.buttons, self.setup.max_words)

    async def _language(self, call: Call, pack) -> None:
        """Follow the caller into another language: Twilio switches voice and recognition."""
        table = self.setup.table(pack)
        if table.language != call.lang:
            await call.ws.send_str(protocol.language(table.language, table.listens))
            call.lang = table.language

    async def _transfer(self, call: Call, pack) -> None:
        """Inside business hours with a transfer target: say so, then ``end`` the relay session;
        Twilio posts the handoffData to the action URL, which answers <Dial>."""
        await call.ws.send_str(protocol.text(pack.spoken("transfer"), last=True, lang=call.lang))
        await call.ws.send_str(protocol.end({"reason": "handoff", "language": call.lang}))
        call.ended = True
        log.info("voice transfer", extra={"channel": self.name})

    async def action(self, request: web.Request) -> web.Response:
        """Twilio's post when the relay session ends: a transfer, or the call's goodbye."""
        form = await self.account.verified_form(request, self.name)
        try:
            data = json.loads(form.get("HandoffData", "") or "{}")
        except ValueError:
            data = {}
        pack = self.locales.get(self.pack_for_language(str(data.get("language", ""))) or self.locales.default)
        if isinstance(data, dict) and data.get("reason") == "handoff" and self.setup.transfer:
            return web.Response(
                text=twiml.transfer(self.setup.transfer, self.account.cfg.voice_from), content_type="text/xml"
            )
        if form.get("SessionStatus", "") == "failed":
            log.info(
                "conversationrelay session failed", extra={"channel": self.name, "error": form.get("ErrorCode", "")}
            )
            return web.Response(text=twiml.say(pack.t("error"), self.setup.table(pack)), content_type="text/xml")
        return web.Response(text=twiml.say("", self.setup.table(pack)), content_type="text/xml")

    # -- helpers for the relay --------------------------------------------------------------------
    def _live(self, address: Address) -> Call:
        call = self.calls.get(address.chat)
        if call is None or call.ws.closed:
            raise ConnectionError("the call has ended")
        return call

    def pack_for_language(self, lang: str) -> str:
        return self.setup.pack_code(lang)

    async def stop_calls(self, call: Call, said: str) -> bool:
        """ "Stop calling me" (in any shipped language): no more proactive calls, said back."""
        code = self.setup.stop_phrase(said)
        if code is None:
            return False
        await self.account.consent.record(call.address.person, "opted_out", "voice:said")
        await self._say(call, self.locales.get(code), self.locales.get(code).spoken("opted_out"))
        return True

    async def gather_opt_out(self, address: Address, said: str) -> bool:
        """ "Stop calling me" said on a <Gather> call."""
        if self.setup.stop_phrase(said) is None:
            return False
        await self.account.consent.record(address.person, "opted_out", "voice:said")
        return True

    async def digit_opt_out(self, call: Call) -> bool:
        """The opt-out key counts on calls we placed (they say so); on a caller's own call the
        key may be a menu choice."""
        if not call.setup.direction.startswith("outbound"):
            return False
        await self.account.consent.record(call.address.person, "opted_out", "voice:dtmf")
        pack = await self.setup.pack_of(call.address.person, call.address.user)
        await self._say(call, pack, pack.spoken("opted_out"))
        return True

    async def apologise(self, call: Call) -> None:
        pack = self.locales.get(self.pack_for_language(call.lang) or self.locales.default)
        await self._say(call, pack, pack.t("error"))

    async def _say(self, call: Call, pack, text: str) -> None:
        await self._language(call, pack)
        await call.ws.send_str(protocol.text(text, last=True, lang=call.lang))

    def refuse(self, reason: str) -> None:
        self.ctx.metrics.rejected.labels(self.name, reason).inc()
        log.info("voice request refused", extra={"channel": self.name, "reason": reason})
