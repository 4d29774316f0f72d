"""Twilio's side of a ConversationRelay call, over the real websocket (aiohttp client).

It posts the signed voice webhook, opens the relay socket with the X-Twilio-Signature Twilio
computes over the wss URL, sends ``setup``, ``prompt`` (partial and final), ``dtmf`` and
``interrupt`` as Twilio does, and reads back what Parley says: ``text`` tokens until ``last``,
``language`` switches and ``end``. Tests and bench/voice.py use it; no phone needed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import aiohttp

from parley.testing.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign

RELAY_PATH = "/webhooks/twilio/relay"


@dataclass
class RelayCall:
    ws: aiohttp.ClientWebSocketResponse
    call_sid: str
    frames: list[dict] = field(default_factory=list)  # everything Parley sent, in order
    first_token_at: float = 0.0  # perf_counter() of the first text token of the last answer

    async def send(self, frame: dict) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def prompt(self, text: str, lang: str = "en-US", last: bool = True) -> None:
        await self.send({"type": "prompt", "voicePrompt": text, "lang": lang, "last": last})

    async def dtmf(self, digit: str) -> None:
        await self.send({"type": "dtmf", "digit": digit})

    async def interrupt(self, heard: str, after_ms: int = 900) -> None:
        await self.send({"type": "interrupt", "utteranceUntilInterrupt": heard, "durationUntilInterruptMs": after_ms})

    async def frame(self, timeout: float = 5.0) -> dict:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"relay socket: {msg.type.name}")
        frame = json.loads(msg.data)
        self.frames.append(frame)
        return frame

    async def answer(self, timeout: float = 5.0) -> str:
        """The next spoken answer: its text tokens joined, up to the one marked ``last``."""
        tokens: list[str] = []
        self.first_token_at = 0.0
        while True:
            frame = await self.frame(timeout)
            if frame["type"] == "text":
                if not self.first_token_at:
                    self.first_token_at = time.perf_counter()
                tokens.append(frame["token"])
                if frame["last"]:
                    return "".join(tokens)
            elif frame["type"] == "end":
                return "".join(tokens)

    async def first_token(self, timeout: float = 5.0) -> dict:
        while True:
            frame = await self.frame(timeout)
            if frame["type"] == "text":
                return frame

    async def drain(self) -> list[dict]:
        """Whatever Parley has sent and was not read yet (call once the server is idle)."""
        while True:
            try:
                await self.frame(timeout=0.2)
            except TimeoutError:
                return self.frames

    def sent(self, kind: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == kind]

    async def hang_up(self) -> None:
        await self.ws.close()


@dataclass
class FakeRelay:
    http: aiohttp.ClientSession
    base: str  # where the app listens: http://127.0.0.1:PORT
    public_url: str  # what Twilio calls (the signed URLs)
    auth_token: str = AUTH_TOKEN

    def socket_url(self) -> str:
        return self.public_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + RELAY_PATH

    async def webhook(self, path: str, params: dict[str, str], signature: str | None = None) -> tuple[int, str]:
        if signature is None:
            signature = sign(self.auth_token, self.public_url + path, params)
        async with self.http.post(self.base + path, data=params, headers={"X-Twilio-Signature": signature}) as resp:
            return resp.status, await resp.text()

    async def incoming(self, call_sid: str, caller: str, to: str) -> tuple[int, str]:
        """Twilio's voice webhook for a new call: the TwiML Parley answers."""
        params = {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "From": caller, "To": to, "CallStatus": "ringing"}
        return await self.webhook("/webhooks/twilio/voice", {**params, "Direction": "inbound"})

    async def connect(
        self, call_sid: str, caller: str, to: str, *, direction: str = "inbound", signature: str | None = None
    ) -> RelayCall:
        """Open the relay socket (signed) and send ``setup``."""
        if signature is None:
            signature = sign(self.auth_token, self.socket_url(), {})
        ws = await self.http.ws_connect(self.base + RELAY_PATH, headers={"X-Twilio-Signature": signature})
        call = RelayCall(ws, call_sid)
        await call.send(
            {
                "type": "setup",
                "sessionId": "VX" + call_sid[2:],
                "accountSid": ACCOUNT_SID,
                "callSid": call_sid,
                "from": caller,
                "to": to,
                "direction": direction,
                "callType": "PSTN",
                "callStatus": "RINGING",
                "customParameters": {},
            }
        )
        return call
