"""What the voice channel knows beside the account: its settings, and which pack (language,
voice) a caller gets: their profile's language, else their number's country code, else the
default; the persona's own voice over the pack's."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from parley.channels.twilio.voice.relay import RELAY_PATH
from parley.channels.twilio.voice.twiml import voice_of
from parley.core.i18n.language import LanguageDetector, normalize
from parley.core.i18n.locales import LocaleCatalog, LocalePack, VoiceTable
from parley.core.storage.store import Store


@dataclass
class VoiceSetup:
    store: Store
    locales: LocaleCatalog
    public_url: str = ""
    transfer: str = ""  # "+1555...", "sip:...", "queue:NAME"; "" = no transfer, a call back instead
    max_words: int = 60
    transcription_provider: str = ""
    persona_voices: dict[str, str] = field(default_factory=dict)
    caller_id: str = ""  # PARLEY_TWILIO__VOICE_FROM
    mode: str = "relay"
    gather_wait: float = 10.0  # gather mode: seconds a webhook waits for the answer, then "still thinking"
    timezone: str = "UTC"  # the people's zone when their profile has none (quiet hours of calls)

    def __post_init__(self) -> None:
        self.detector = LanguageDetector(self.locales)

    async def pack_of(self, person: str, number: str) -> LocalePack:
        profile = await self.store.profile(person)
        code = profile.get("locale") or self.detector.from_phone(number) or self.locales.default
        return self.locales.get(code)

    def table(self, pack: LocalePack) -> VoiceTable:
        return voice_of(pack, self.persona_voices)

    def pack_code(self, lang: str) -> str:
        """The pack whose voice speaks or listens in ``lang`` ("cmn-CN" -> zh-CN), else the
        closest by code ("es-MX" -> es); "" for none."""
        if not lang:
            return ""
        low = lang.lower()
        for code in self.locales.codes:
            table = self.table(self.locales.get(code))
            if low in (table.language.lower(), table.listens.lower()):
                return code
        return self.locales.match(lang) or ""

    def stop_phrase(self, said: str) -> str | None:
        """The pack whose "stop calling me" phrase the caller said, if any."""
        text = normalize(said)
        if not text:
            return None
        for code in self.locales.codes:
            for phrase in self.locales.get(code).voice.stop_calls:
                if normalize(phrase) in text:
                    return code
        return None

    def public(self, request: web.Request, path: str) -> str:
        base = self.public_url or f"{request.scheme}://{request.host}"
        return base.rstrip("/") + path

    def socket_url(self, request: web.Request) -> str:
        """The websocket URL in the TwiML, and the URL Twilio signs when it opens it."""
        url = self.public(request, RELAY_PATH)
        return (
            "wss://" + url.removeprefix("https://")
            if url.startswith("https://")
            else "ws://" + url.removeprefix("http://")
        )
