"""The ConversationRelay websocket: one socket per call, Twilio's side of the conversation.

The upgrade request is signed like every Twilio request (X-Twilio-Signature over the wss URL
we gave in the TwiML): an unsigned or forged upgrade gets 403 before any websocket exists.
Each final ``prompt`` and each ``dtmf`` key is an ``Inbound`` of the call's conversation
(CallSid), deduplicated on ``CallSid:n`` (the n-th event of the call: Twilio numbers nothing, and
one call is one socket). Replies come back through the outbox to ``VoiceChannel.send``; a
streamed LLM answer goes out token by token through ``VoiceChannel.stream``.

``interrupt`` cuts the answer being spoken (the rest of a stream is dropped, and nothing more
of it is said) and is handed to the pipeline as an edit carrying ``utteranceUntilInterrupt``,
so the transcript keeps what the caller actually heard (parley.core.kernel.edits).
A socket that drops mid-answer ends the call's turn: the answer is committed as usual, and the
outbox sees the call gone (Rejected: a call cannot be rung back into).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web
from parley.channels.twilio.voice import protocol
from parley.channels.twilio.voice.protocol import Digit, Ignored, Interrupt, Prompt, RelayError, Setup
from parley.core.kernel.door import BadInput
from parley.core.kernel.messages import Address, Button, Inbound
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.voice")

RELAY_PATH = "/webhooks/twilio/relay"
OPT_OUT_KEY = "9"  # said in every proactive call: "To stop these calls, press 9."


@dataclass
class Call:
    """One live call on this process: its socket, what it speaks now, what was cut short."""

    ws: web.WebSocketResponse
    setup: Setup
    address: Address
    lang: str  # the BCP-47 language Twilio speaks and listens in right now
    events: int = 0  # events handed to the engine: the n of the next event id
    partial: str = ""  # the latest partial transcript, if Twilio sends them
    speaking: str = ""  # the stream id being spoken, "" when quiet
    cut: set[str] = field(default_factory=set)  # stream ids the caller interrupted
    ended: bool = False  # ``end`` sent: say nothing more
    disclosed: bool = False  # the AI disclosure has been said on this call
    choices: tuple[Button, ...] = ()  # the last spoken choices: a key press picks one

    def next_id(self, kind: str) -> str:
        self.events += 1
        return f"{self.setup.call_sid}:{kind}{self.events}"


class RelaySocket:
    """Reads one call's socket; ``channel`` is the VoiceChannel (deliver, calls, consent)."""

    def __init__(self, channel) -> None:
        self.channel = channel

    async def handle(self, request: web.Request) -> web.StreamResponse:
        channel = self.channel
        if not channel.signed_socket(request):
            channel.refuse("bad_signature")
            raise web.HTTPForbidden(text="bad signature")
        ws = web.WebSocketResponse(max_msg_size=protocol.MAX_FRAME, timeout=2.0, heartbeat=30)
        await ws.prepare(request)
        call: Call | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue  # ConversationRelay speaks JSON text frames only
                try:
                    message = protocol.parse(msg.data)
                except BadInput as exc:
                    channel.refuse(exc.reason)
                    continue
                if isinstance(message, Setup):
                    call = await channel.opened(ws, message) if call is None else call
                elif call is None:
                    channel.refuse("before_setup")
                else:
                    await self._event(call, message)
        except ConnectionError:
            log.info("voice socket dropped", extra={"channel": "voice"})
        finally:
            if call is not None:
                await channel.closed(call)
        return ws

    async def _event(self, call: Call, message: protocol.Message) -> None:
        channel = self.channel
        if isinstance(message, Prompt):
            if not message.last:
                call.partial = message.text  # Twilio's running transcript: wait for the final one
                return
            said, call.partial = message.text or call.partial, ""
            if await channel.stop_calls(call, said):
                return
            await self._deliver(call, call.next_id("p"), said, message.lang)
        elif isinstance(message, Digit):
            if message.digit == OPT_OUT_KEY and await channel.digit_opt_out(call):
                return
            await self._hand(call, pressed(call.address, call.next_id("d"), message.digit, call.choices))
        elif isinstance(message, Interrupt):
            await self._interrupted(call, message)
        elif isinstance(message, RelayError):
            log.info("conversationrelay error: %s", message.description[:200], extra={"channel": "voice"})
        elif isinstance(message, Ignored):
            pass

    async def _interrupted(self, call: Call, message: Interrupt) -> None:
        if call.speaking:
            call.cut.add(call.speaking)
        edit = Inbound(
            address=call.address,
            event_id=call.next_id("i"),
            kind="edit",
            text=message.heard,
            meta={"heard": "1", "after_ms": str(message.after_ms)},
        )
        await self._hand(call, edit)

    async def _deliver(self, call: Call, event_id: str, text: str, lang: str) -> None:
        hint = self.channel.pack_for_language(lang) if lang else ""
        inbound = Inbound(
            address=call.address,
            event_id=event_id,
            text=text,
            locale_hint=hint,
            message_id=event_id,
            meta={"call": call.setup.call_sid},
        )
        await self._hand(call, inbound)

    async def _hand(self, call: Call, inbound: Inbound) -> None:
        try:
            await self.channel.ctx.deliver(inbound)
        except StoreUnavailable:
            # Nothing to retry from: Twilio never re-sends a prompt. Say sorry rather than go silent.
            log.warning("voice event lost: store unavailable", extra={"channel": "voice"})
            await self.channel.apologise(call)


def pressed(address: Address, event_id: str, digit: str, choices: tuple[Button, ...]) -> Inbound:
    """A key press: the button it names among the choices just spoken ("for returns, press 2"),
    else the digit as said (a menu the brain reads, an order number)."""
    if digit.isdigit() and 1 <= int(digit) <= len(choices):
        button = choices[int(digit) - 1]
        return Inbound(
            address=address, event_id=event_id, kind="button", payload=button.payload, meta={"title": button.title}
        )
    return Inbound(address=address, event_id=event_id, text=digit, message_id=event_id)
