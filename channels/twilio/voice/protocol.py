"""ConversationRelay's websocket messages, typed (Twilio's "websocket messages" reference).

In (Twilio -> Parley): ``setup`` once, then ``prompt`` (the caller's words; ``last`` false for
partial transcripts when partialPrompts is on), ``dtmf``, ``interrupt`` (the caller spoke over
the answer; ``utteranceUntilInterrupt`` is what they heard) and ``error``. Out: ``text`` tokens
(``last`` closes an answer), ``play``, ``sendDigits``, ``language`` and ``end``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from parley.core.kernel.door import BadInput, clean, parse_json

MAX_FRAME = 64 * 1024
MAX_TEXT = 4000  # a spoken turn: far more than anyone says in one breath


@dataclass(frozen=True)
class Setup:
    call_sid: str
    session_id: str
    caller: str  # ``from``: the caller's number (an outbound call: the person we called)
    called: str  # ``to``
    direction: str = "inbound"
    parameters: dict[str, str] = field(default_factory=dict)  # <Parameter> values of the TwiML


@dataclass(frozen=True)
class Prompt:
    text: str
    lang: str
    last: bool


@dataclass(frozen=True)
class Digit:
    digit: str


@dataclass(frozen=True)
class Interrupt:
    heard: str  # utteranceUntilInterrupt
    after_ms: int


@dataclass(frozen=True)
class RelayError:
    description: str


@dataclass(frozen=True)
class Ignored:
    """A message we do not act on (``info``, a type Twilio adds later)."""

    kind: str


Message = Setup | Prompt | Digit | Interrupt | RelayError | Ignored


def parse(raw: str) -> Message:
    """One frame from Twilio; BadInput (reason, detail) for anything malformed."""
    frame = parse_json(raw, max_bytes=MAX_FRAME, max_depth=4)
    if not isinstance(frame, dict):
        raise BadInput("malformed", "not an object")
    kind = frame.get("type")
    if kind == "setup":
        call_sid, caller = _text(frame, "callSid", 64), _text(frame, "from", 64)
        if not call_sid.startswith("CA"):
            raise BadInput("malformed", "setup without a callSid")
        params = frame.get("customParameters") or {}
        if not isinstance(params, dict):
            raise BadInput("malformed", "customParameters is not an object")
        return Setup(
            call_sid=call_sid,
            session_id=_text(frame, "sessionId", 64),
            caller=caller,
            called=_text(frame, "to", 64),
            direction=_text(frame, "direction", 32) or "inbound",
            parameters={clean(str(k))[:64]: clean(str(v))[:256] for k, v in list(params.items())[:20]},
        )
    if kind == "prompt":
        last = frame.get("last", True)
        return Prompt(_text(frame, "voicePrompt", MAX_TEXT), _text(frame, "lang", 35), last is not False)
    if kind == "dtmf":
        digit = _text(frame, "digit", 1)
        if digit not in set("0123456789*#"):
            raise BadInput("malformed", "dtmf digit is not a key")
        return Digit(digit)
    if kind == "interrupt":
        try:
            after = int(frame.get("durationUntilInterruptMs") or 0)
        except (TypeError, ValueError):
            after = 0
        return Interrupt(_text(frame, "utteranceUntilInterrupt", MAX_TEXT), after)
    if kind == "error":
        return RelayError(_text(frame, "description", 500))
    if isinstance(kind, str):
        return Ignored(clean(kind)[:32])
    raise BadInput("malformed", "no type")


def _text(frame: dict, key: str, limit: int) -> str:
    value = frame.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadInput("malformed", f"{key} is not text")
    return clean(str(value))[:limit]


# -- out -----------------------------------------------------------------------------------


def text(token: str, last: bool, lang: str = "", interruptible: bool = True) -> str:
    frame: dict[str, object] = {"type": "text", "token": token, "last": last, "interruptible": interruptible}
    if lang:
        frame["lang"] = lang
    return json.dumps(frame, ensure_ascii=False)


def language(tts: str, transcription: str) -> str:
    return json.dumps({"type": "language", "ttsLanguage": tts, "transcriptionLanguage": transcription})


def end(handoff: dict[str, str]) -> str:
    """End the session; Twilio posts ``handoff`` (as HandoffData) to the <Connect action> URL."""
    return json.dumps({"type": "end", "handoffData": json.dumps(handoff)})
