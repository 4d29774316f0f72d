"""Locale packs: data files (``locales/<code>.toml``) validated at start-up.

A pack carries every system message, the words that reveal an intent (greeting, thanks, "are
you a bot", "a human please", stop/start), tone notes for the LLM, quiet hours and weekend days.
Missing messages fall back along ``fallback`` (pt-BR -> pt -> en), never to a KeyError at runtime.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from parley.core.config.datafile import DataFileError, load
from pydantic import BaseModel, ConfigDict, field_validator

# Every pack must be able to say these (directly or through its fallback chain).
REQUIRED_MESSAGES = (
    "greeting",
    "ai_disclosure",
    "are_you_a_bot",
    "thanks_reply",
    "fallback",
    "handoff_offer",
    "handoff_started",
    "source_label",
    "too_long",
    "empty",
    "slow_down",
    "unsupported_media",
    "location_thanks",
    "nearest_place",
    "contact_thanks",
    "human_button",
    "error",
)


class PackError(DataFileError):
    """A pack that cannot be used; the message names the file."""


def _hhmm(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a 24-hour HH:MM time") from None


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quiet_hours: tuple[str, str] | None = None
    weekend: tuple[int, ...] | None = None


Horizon = Literal[
    "this_week", "next_week", "this_month", "next_month", "this_quarter", "next_quarter", "this_year", "next_year"
]


class LeadWords(BaseModel):
    """Words that read a lead's free answers (parley.core.handoff.budget and .timeline). Each
    pack's words add to those along its fallback chain: "5k" and "asap" are read everywhere."""

    model_config = ConfigDict(extra="forbid")

    thousand: list[str] = []  # after a number: "5 thousand", "5 mil", "5千"
    ten_thousand: list[str] = []  # 万 (ja, zh-CN)
    million: list[str] = []
    asap: list[str] = []  # "as soon as possible", "urgente", "至急"
    # Unit words after a number: "in 2 weeks", "en 3 meses", "2週間以内".
    day: list[str] = []
    week: list[str] = []
    month: list[str] = []
    year: list[str] = []
    # Phrases that name a horizon: a calendar one ("next month" = "next_month": by the end of
    # next month) or a number of days ("أسبوعين", two weeks, = 14).
    within: dict[str, int | Horizon] = {}


class VoiceTable(BaseModel):
    """How the pack sounds on a phone call (docs/voice.md): Twilio's speech settings."""

    model_config = ConfigDict(extra="forbid")

    language: str  # BCP-47 code the text-to-speech speaks ("es-ES")
    transcription_language: str = ""  # what speech recognition listens for; empty: ``language``
    tts_provider: str = "Google"  # ConversationRelay's ttsProvider
    voice: str = ""  # that provider's voice; empty: the provider's default for the language
    say_voice: str = ""  # <Say voice=...> of the <Gather> mode ("Google.es-ES-Neural2-A")
    stop_calls: list[str] = []  # "stop calling me": opts out of calls Parley places
    messages: dict[str, str] = {}  # what only a call says ([voice.messages]: choice, transfer...)

    @property
    def listens(self) -> str:
        return self.transcription_language or self.language


class PackFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    direction: str = "ltr"
    fallback: str = ""
    formality: str = ""
    tone: str = ""
    emoji: bool = True
    quiet_hours: tuple[str, str] = ("21:00", "09:00")
    weekend: tuple[int, ...] = (5, 6)  # Monday = 0
    messages: dict[str, str] = {}
    # The console's own strings (core/console/); a pack without one falls back to English.
    console: dict[str, str] = {}
    # The web chat's and the widget's own strings (channels/webchat); missing ones fall back to English.
    webchat: dict[str, str] = {}
    intents: dict[str, list[str]] = {}
    leads: LeadWords = LeadWords()
    # Culture notes for people and for the LLM's system prompt.
    greeting_style: str = ""
    emoji_note: str = ""
    # Babel locale for dates, numbers and money ("pt_BR"); empty: derived from the code.
    babel: str = ""
    currency: str = "USD"
    # Phone country codes that suggest this pack when nothing better is known (SMS, WhatsApp).
    phone_prefixes: list[str] = []
    # Region overrides (ISO 3166 code -> quiet hours / weekend), e.g. ar: AE has a Sat-Sun weekend.
    regions: dict[str, Region] = {}
    voice: VoiceTable | None = None  # calls; a pack without one speaks through its fallback's

    @field_validator("quiet_hours")
    @classmethod
    def _clock_times(cls, value: tuple[str, str]) -> tuple[str, str]:
        for item in value:
            _hhmm(item)
        return value

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= day <= 6 for day in value):
            raise ValueError("weekend days are 0 (Monday) to 6 (Sunday)")
        return value


@dataclass
class LocalePack:
    code: str
    name: str
    direction: str
    chain: tuple[PackFile, ...]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # A reload builds new packs, so these per-pack caches never outlive their phrases.
    _phrases: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _words: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def head(self) -> PackFile:
        return self.chain[0]

    def t(self, key: str, **values: Any) -> str:
        return _fill(self.chain, lambda pack: pack.messages, key, values)

    def spoken(self, key: str, **values: Any) -> str:
        """A phone call's own message ([voice.messages]), along the fallback chain like ``t``."""
        return _fill(self.chain, lambda pack: pack.voice.messages if pack.voice else {}, key, values)

    def phrases(self, intent: str) -> tuple[str, ...]:
        """The intent's phrases along the fallback chain (kept per pack: asked on every message)."""
        found = self._phrases.get(intent)
        if found is None:
            found = self._phrases[intent] = tuple(p for pack in self.chain for p in pack.intents.get(intent, []))
        return found

    def words(self, intent: str) -> frozenset[str]:
        """The intent's phrases, lower-cased, as a set."""
        found = self._words.get(intent)
        if found is None:
            found = self._words[intent] = frozenset(p.lower() for p in self.phrases(intent))
        return found

    @property
    def babel(self) -> str:
        return self.head.babel or self.code.replace("-", "_")

    @property
    def currency(self) -> str:
        return self.head.currency

    @property
    def voice(self) -> VoiceTable:
        """The first [voice] table along the fallback chain (English's at the latest)."""
        found = next((p.voice for p in self.chain if p.voice is not None), None)
        return found or VoiceTable(language=self.code)

    def notes(self) -> str:
        """The culture notes an LLM brain puts in its system prompt."""
        head = self.head
        lines = [f"Reply in {head.name} ({head.code})."]
        for label, value in (
            ("Formality", head.formality),
            ("Greetings", head.greeting_style),
            ("Tone", head.tone),
            ("Emoji", head.emoji_note or ("sparingly" if head.emoji else "none")),
        ):
            if value:
                lines.append(f"{label}: {value}")
        return "\n".join(lines)


def _fill(chain: Sequence[PackFile], table, key: str, values: dict[str, Any]) -> str:
    for pack in chain:
        messages = table(pack)
        if key in messages:
            template = messages[key]
            if "{" not in template and "}" not in template:
                return template
            # Missing placeholders render empty rather than crash a turn.
            return string.Formatter().vformat(template, (), _Blank(values))
    return key


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class LocaleCatalog:
    def __init__(
        self, files: dict[str, tuple[PackFile, Path | None]], default: str = "en", overlays: Sequence[Path] = ()
    ):
        if default not in files:
            raise PackError(f"default locale {default!r} has no pack (PARLEY_DEFAULT_LOCALE)")
        self.files = files
        self.default = default
        self.version = 0  # bumped by replace(): caches keyed on it (detection tables) rebuild
        self.overlays = tuple(overlays)  # a bot's own locale folders, merged over the packs
        self._resolved: dict[str, LocalePack] = {}  # get() runs on every turn: resolve once

    def replace(self, other: LocaleCatalog) -> None:
        """Swap in freshly loaded packs (hot reload); everyone holding this catalog sees them."""
        self.files, self.default, self._resolved = other.files, other.default, {}
        self.overlays = other.overlays
        self.version += 1

    @classmethod
    def load(cls, folder: Path, default: str = "en", overlays: Sequence[Path] = ()) -> LocaleCatalog:
        """The packs of ``folder``, then each overlay folder's files merged over them (a bot's
        own ``locales/es.toml`` holding only its own keys: parley.core.i18n.overlay)."""
        from parley.core.i18n.overlay import merge_folder

        files: dict[str, tuple[PackFile, Path | None]] = {}
        for path in sorted(folder.glob("*.toml")):
            pack = load_pack_file(path)
            files[pack.code] = (pack, path)
        for overlay in overlays:
            files.update(merge_folder(overlay, {code: pack for code, (pack, _) in files.items()}))
        catalog = cls(files, default, overlays)
        catalog.validate()
        return catalog

    def validate(self) -> None:
        for code, (pack, path) in self.files.items():
            if pack.fallback and pack.fallback not in self.files:
                raise PackError(f"{path}: fallback {pack.fallback!r} has no pack")
            resolved = self.get(code)
            missing = [k for k in REQUIRED_MESSAGES if all(k not in p.messages for p in resolved.chain)]
            if missing:
                raise PackError(f"{path}: missing messages {', '.join(missing)}")

    @property
    def codes(self) -> list[str]:
        return sorted(self.files)

    def match(self, hint: str) -> str | None:
        """Best shipped pack for a hint like 'pt-br', 'pt_BR', 'es-MX' or 'ja'."""
        if not hint:
            return None
        norm = hint.replace("_", "-").lower()
        lowered = {c.lower(): c for c in self.files}
        if norm in lowered:
            return lowered[norm]
        base = norm.split("-")[0]
        if base in lowered:
            return lowered[base]
        for low, code in lowered.items():
            if low.split("-")[0] == base:
                return code
        return None

    def get(self, code: str) -> LocalePack:
        cached = self._resolved.get(code)
        if cached is None:
            if len(self._resolved) > 256:  # codes come from profiles and hints: keep it bounded
                self._resolved.clear()
            cached = self._resolved[code] = self._resolve(code)
        return cached

    def _resolve(self, code: str) -> LocalePack:
        code = self.match(code) or self.default
        chain: list[PackFile] = []
        cursor: str | None = code
        while cursor and cursor in self.files and all(p.code != cursor for p in chain):
            chain.append(self.files[cursor][0])
            nxt = self.files[cursor][0].fallback
            if not nxt and "-" in cursor and cursor.split("-")[0] in self.files:
                nxt = cursor.split("-")[0]
            cursor = nxt or (self.default if cursor != self.default else None)
        head = chain[0]
        return LocalePack(head.code, head.name, head.direction, tuple(chain), self.files[code][1])


def load_pack_file(path: Path) -> PackFile:
    return load(path, PackFile, PackError).value


# -- quiet hours and weekends (pure: the scheduler asks before a proactive send) ------------------


def _rules(pack: LocalePack, region: str) -> tuple[tuple[str, str], tuple[int, ...]]:
    head = pack.head
    override = head.regions.get(region.upper()) if region else None
    quiet = (override and override.quiet_hours) or head.quiet_hours
    weekend = override.weekend if override and override.weekend is not None else head.weekend
    return quiet, weekend


def is_weekend(pack: LocalePack, local: datetime, region: str = "") -> bool:
    return local.weekday() in _rules(pack, region)[1]


def in_quiet_hours(pack: LocalePack, local: datetime, region: str = "", *, weekends: bool = False) -> bool:
    """True when ``local`` (the person's wall-clock time) falls in the pack's quiet hours; with
    ``weekends=True`` the whole weekend counts as quiet (marketing that should wait for Monday)."""
    quiet, weekend = _rules(pack, region)
    if weekends and local.weekday() in weekend:
        return True
    start, end = _hhmm(quiet[0]), _hhmm(quiet[1])
    now = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # the window spans midnight (21:00 -> 09:00)


def next_allowed(pack: LocalePack, local: datetime, region: str = "", *, weekends: bool = False) -> datetime:
    """The first moment at or after ``local`` outside quiet hours (reschedule, never drop)."""
    quiet, _ = _rules(pack, region)
    end = _hhmm(quiet[1])
    cursor = local
    for _ in range(9):  # at most a week of weekend days plus one night
        if not in_quiet_hours(pack, cursor, region, weekends=weekends):
            return cursor
        candidate = cursor.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        cursor = candidate if candidate > cursor else candidate + timedelta(days=1)
    return cursor
