"""The TwiML the voice channel answers with, built with the twilio SDK's ``VoiceResponse``.

- ``connect``: the call goes to ConversationRelay, which opens our websocket. The caller's pack
  sets the first language and voice; every shipped pack is listed as a <Language>, so a
  ``language`` message mid-call switches to that pack's voice.
- ``transfer``: after ``end`` with handoffData, the <Connect action> URL answers <Dial> to a
  number or a SIP address, or <Enqueue> into a Twilio queue ("queue:support").
- ``gather``: the <Gather input="speech"> mode, one webhook per turn, barge-in on.
"""

from __future__ import annotations

from parley.core.i18n.locales import LocalePack, VoiceTable
from twilio.twiml.voice_response import Connect, Dial, Gather, VoiceResponse

SPEECH_TIMEOUT = "auto"  # Twilio decides when the caller has finished speaking


def voice_of(pack: LocalePack, persona_voices: dict[str, str]) -> VoiceTable:
    """The pack's [voice] table, with the persona's voice for that language if it names one."""
    table = pack.voice
    own = next((persona_voices[link.code] for link in pack.chain if link.code in persona_voices), "")
    return table.model_copy(update={"voice": own}) if own else table


def connect(
    socket_url: str,
    action_url: str,
    first: VoiceTable,
    others: list[VoiceTable],
    transcription_provider: str = "",
    parameters: dict[str, str] | None = None,
) -> str:
    response = VoiceResponse()
    connect_verb = Connect(action=action_url)
    attrs = {
        "url": socket_url,
        "language": first.language,
        "transcription_language": first.listens,
        "tts_provider": first.tts_provider,
        "dtmf_detection": True,
        "interruptible": "any",
    }
    if first.voice:
        attrs["voice"] = first.voice
    if transcription_provider:
        attrs["transcription_provider"] = transcription_provider
    relay = connect_verb.conversation_relay(**attrs)
    seen = {first.language}
    for table in others:
        if table.language in seen:
            continue
        seen.add(table.language)
        extra = {"tts_provider": table.tts_provider, "voice": table.voice} if table.voice else {}
        relay.language(code=table.language, **extra)
    for name, value in (parameters or {}).items():
        relay.parameter(name=name, value=value)
    response.append(connect_verb)
    return str(response)


def transfer(target: str, caller_id: str = "", say_first: str = "", table: VoiceTable | None = None) -> str:
    """<Dial> a number (E.164) or a SIP address, or <Enqueue> into a queue ("queue:NAME"),
    after saying ``say_first`` in ``table``'s voice if given."""
    response = VoiceResponse()
    if say_first and table is not None:
        response.say(say_first, **say_attrs(table))
    if target.startswith("queue:"):
        response.enqueue(target.removeprefix("queue:"))
        return str(response)
    dial = Dial(caller_id=caller_id or None)
    if target.startswith("sip:"):
        dial.sip(target)
    else:
        dial.number(target)
    response.append(dial)
    return str(response)


def say(text: str, table: VoiceTable, *, hangup: bool = True) -> str:
    response = VoiceResponse()
    if text:
        response.say(text, **say_attrs(table))
    if hangup:
        response.hangup()
    return str(response)


def gather(text: str, table: VoiceTable, action_url: str, *, digits: int = 1) -> str:
    """Say ``text`` while listening (barge-in: the caller may speak over it), then post what was
    said or pressed to ``action_url``; silence posts nothing and the call ends politely."""
    response = VoiceResponse()
    verb = Gather(
        input="speech dtmf",
        action=action_url,
        method="POST",
        barge_in=True,
        language=table.listens,
        speech_timeout=SPEECH_TIMEOUT,
        num_digits=digits,
    )
    if text:
        verb.say(text, **say_attrs(table))
    response.append(verb)
    response.redirect(action_url, method="POST")  # no input: the same URL answers "still there?"
    return str(response)


def say_attrs(table: VoiceTable) -> dict[str, str]:
    attrs = {"language": table.language}
    if table.say_voice:
        attrs["voice"] = table.say_voice
    return attrs
