"""What the web chat page and the embedded widget show: the persona's name and face, the brand's
colour and logo, the page's own words in the visitor's language, and the proactive greetings.

One ``Config`` per (language, persona), built from the settings (PARLEY_WEBCHAT__*), the persona
file (``avatar``, ``color``, ``logo`` win over the settings) and the locale packs' ``[webchat]``
tables (a string a pack lacks falls back to English, never to a key). Served as JSON by
``GET /widget/config`` (parley.channels.webchat.widget) to both the page and the widget.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass
from typing import Any

from parley.core.config.settings import Greeting, WebChat
from parley.core.i18n.locales import LocaleCatalog, LocalePack
from parley.core.i18n.personas import Persona, PersonaCatalog

FALLBACK = "en"


@dataclass(frozen=True)
class GreetingRule:
    """One proactive greeting, its words already in the visitor's language."""

    id: str
    url: str  # a glob over the page's path (``*`` any characters)
    after: float  # seconds on the page
    text: str


@dataclass(frozen=True)
class Config:
    lang: str
    dir: str
    persona: str
    name: str
    title: str
    avatar: str  # an image URL, or "" (then ``initials``)
    initials: str
    color: str
    logo: str
    strings: dict[str, str]
    greetings: tuple[GreetingRule, ...]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def initials(name: str) -> str:
    """ "Mia" -> "M", "Ana Ruiz" -> "AR": the avatar when the persona has no image."""
    words = [w for w in name.split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


class Branding:
    def __init__(self, settings: WebChat, locales: LocaleCatalog, personas: PersonaCatalog) -> None:
        self.settings = settings
        self.locales = locales
        self.personas = personas

    def persona(self, persona_id: str) -> Persona:
        """The named persona when it exists, else the bot's default (an unknown data-persona
        must not break a shop's page)."""
        return self.personas.get(persona_id if persona_id in self.personas.personas else None)

    def pack(self, hint: str) -> LocalePack:
        return self.locales.get(self.locales.match(hint) or self.locales.default)

    def config(self, locale_hint: str, persona_id: str = "") -> Config:
        pack, persona = self.pack(locale_hint), self.persona(persona_id)
        chain = (*pack.chain, *self.locales.get(FALLBACK).chain)
        keys = {key for link in chain for key in link.webchat}
        strings = {key: self._text(chain, key, persona.name) for key in sorted(keys)}
        return Config(
            lang=pack.code,
            dir=pack.direction,
            persona=persona.id,
            name=persona.name,
            title=self.settings.title or strings.get("title", persona.name),
            avatar=persona.avatar,
            initials=initials(persona.name),
            color=persona.color or self.settings.color,
            logo=persona.logo or self.settings.logo,
            strings=strings,
            greetings=tuple(self._greeting(rule, pack, persona) for rule in self.settings.greetings),
        )

    @staticmethod
    def _text(chain: tuple, key: str, name: str) -> str:
        for link in chain:
            if key in link.webchat:
                # {name} is filled here; {count} stays for the page to fill.
                return string.Formatter().vformat(link.webchat[key], (), _Keep(name=name))
        return key

    @staticmethod
    def _greeting(rule: Greeting, pack: LocalePack, persona: Persona) -> GreetingRule:
        # The visitor's language only (pt-BR, then pt): a pack's fallback to English must not
        # put the shop's English words before an Arabic visitor when the persona can greet in Arabic.
        base = pack.code.split("-")[0]
        mine = [*(link.code for link in pack.chain if link.code.split("-")[0] == base), base]
        text = next((rule.text[code] for code in mine if code in rule.text), None)
        return GreetingRule(
            id=rule.id or rule.url,
            url=rule.url,
            after=rule.after,
            text=(text or persona.greet(pack)).replace("{name}", persona.name),
        )


class _Keep(dict):
    """Placeholders this side does not know stay as they are, for the page to fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
