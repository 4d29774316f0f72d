"""Personas: who the bot is (``personas/<id>.toml``), validated at start-up. Data, never code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from parley.core.config.datafile import DataFileError, load
from parley.core.i18n.locales import LocalePack
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class PersonaError(DataFileError):
    """A persona that cannot be used; the message names the file."""


TOOL_NAME = r"^[a-z][a-z0-9_]*$"


class Question(BaseModel):
    """One qualification question (sales): the slot it fills and how to ask it, per locale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str  # need, budget, timeline, contact ...
    ask: dict[str, str]  # locale code -> question; the persona's language is required
    kind: Literal["text", "choice", "contact", "email", "phone", "date", "money"] = "text"
    choices: dict[str, list[str]] = {}  # locale code -> options, for kind = "choice"
    required: bool = True


class Band(BaseModel):
    """A budget band: a budget of at least ``at_least`` (in the band's currency) earns ``points``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at_least: float = Field(ge=0)
    points: int = Field(ge=0, le=100)


class Soon(BaseModel):
    """A timeline band: wanted within ``within_days`` earns ``points``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    within_days: int = Field(ge=0)
    points: int = Field(ge=0, le=100)


class LeadScoring(BaseModel):
    """How a sales persona scores a lead, 0-100 (parley.core.handoff.score): points for what the
    lead told (a contact, a company, a name), the highest budget band reached in the budget's
    currency ("*": any other), the first timeline band the wanted-by date falls in. A lead at
    ``hot`` or more is marked hot on the desk card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact: int = Field(0, ge=0, le=100)
    company: int = Field(0, ge=0, le=100)
    name: int = Field(0, ge=0, le=100)
    budget: dict[str, list[Band]] = {}
    timeline: list[Soon] = []
    hot: int = Field(60, ge=0, le=100)

    @field_validator("budget")
    @classmethod
    def _currencies(cls, value: dict[str, list[Band]]) -> dict[str, list[Band]]:
        for code, bands in value.items():
            if code != "*" and not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueError(f"budget.{code}: a currency is an ISO 4217 code (USD, EUR...) or '*' for any other")
            if [b.at_least for b in bands] != sorted(b.at_least for b in bands):
                raise ValueError(f"budget.{code}: list the bands from the lowest at_least to the highest")
        return value

    @field_validator("timeline")
    @classmethod
    def _soonest_first(cls, value: list[Soon]) -> list[Soon]:
        if [s.within_days for s in value] != sorted(s.within_days for s in value):
            raise ValueError("timeline: list the bands from the fewest within_days to the most")
        return value


class CannedReply(BaseModel):
    """A saved reply a rep sends from the desk (docs/handoff.md): ``title`` for the desk, the
    text per locale code; the persona's own language is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=75)  # a menu option's text (Slack: 75)
    text: dict[str, str]


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    role: str
    language: str = "en"  # the language this file's own texts (role, rules, greeting string) are in
    # Overrides the pack's greeting: one string (in ``language``) or a table per locale code.
    greeting: str | dict[str, str] = ""
    voice: str = ""  # one line on how the persona sounds, for the LLM
    # The text-to-speech voice on calls, per locale code, over the pack's [voice] table
    # ({"en" = "en-US-Journey-D"}); docs/voice.md.
    speech_voice: dict[str, str] = {}
    tone: list[str] = []
    do: list[str] = []
    dont: list[str] = []
    # "first": disclose being an AI on the first message of a conversation; "ask": only when
    # asked (never deny it); "always": a footer on every answer.
    disclosure: Literal["first", "ask", "always"] = "first"
    allowed_tools: list[str] = []
    escalate_on: list[str] = []  # e.g. "low_confidence", "negative_feedback", "complaint"
    min_confidence: float = 0.35
    max_fallbacks: int = 2  # "I don't know" this many times in a row -> offer a person
    # Branding on the web chat and the widget (docs/widget.md): an image URL (empty: the name's
    # initials), and a colour and logo that win over PARLEY_WEBCHAT__COLOR / __LOGO.
    avatar: str = Field("", max_length=500)
    color: str = Field("", pattern=r"^(#[0-9a-fA-F]{6})?$")
    logo: str = Field("", max_length=500)
    qualification: list[Question] = []
    scoring: LeadScoring | None = None  # a sales persona's lead score; None: leads are not scored
    canned: dict[str, CannedReply] = {}  # saved replies for the desk, by name

    @field_validator("allowed_tools")
    @classmethod
    def _tool_names(cls, tools: list[str]) -> list[str]:
        bad = [t for t in tools if not re.match(TOOL_NAME, t)]
        if bad:
            raise ValueError(f"tool names are lowercase identifiers: {', '.join(bad)}")
        return tools

    @model_validator(mode="after")
    def _questions_in_own_language(self) -> Persona:
        for n, q in enumerate(self.qualification):
            if self.language not in q.ask:
                raise ValueError(f"qualification[{n}] ({q.key}): no question in {self.language!r}")
        return self

    @model_validator(mode="after")
    def _canned_in_own_language(self) -> Persona:
        for name, reply in self.canned.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", name):
                raise ValueError(f"canned.{name}: a saved reply's name is lowercase letters, digits, - and _")
            if self.language not in reply.text:
                raise ValueError(f"canned.{name}: no text in {self.language!r}")
        return self

    def canned_text(self, name: str, pack: LocalePack) -> str | None:
        """The saved reply ``name`` in the pack's language (else the persona's own); None if unknown."""
        reply = self.canned.get(name)
        return self._localized(reply.text, pack) if reply is not None else None

    def _localized(self, table: dict[str, str], pack: LocalePack) -> str | None:
        for link in pack.chain:
            if link.code in table:
                return table[link.code]
        return table.get(self.language)

    def greet(self, pack: LocalePack) -> str:
        """The persona's greeting in the pack's language, else the pack's own greeting."""
        own: str | None = None
        if isinstance(self.greeting, dict):
            own = next((self.greeting[c.code] for c in pack.chain if c.code in self.greeting), None)
        elif self.greeting and pack.code.split("-")[0] == self.language.split("-")[0]:
            own = self.greeting
        if own:
            return own.replace("{name}", self.name)
        return pack.t("greeting", name=self.name)

    def question(self, key: str, pack: LocalePack) -> str | None:
        for q in self.qualification:
            if q.key == key:
                return self._localized(q.ask, pack)
        return None

    def instructions(self, pack: LocalePack) -> str:
        """A system prompt for an LLM brain: who, how, the rules, then the culture notes."""
        lines = [f"You are {self.name}. {self.role}"]
        if self.voice:
            lines.append(f"Voice: {self.voice}")
        if self.tone:
            lines.append("Tone: " + "; ".join(self.tone) + ".")
        lines += [f"Do: {rule}." for rule in self.do] + [f"Don't: {rule}." for rule in self.dont]
        lines.append("Never claim to be human; if asked, say you are an AI assistant.")
        return "\n".join([*lines, pack.notes()])


class PersonaCatalog:
    def __init__(self, personas: dict[str, Persona], default: str):
        if default not in personas:
            known = ", ".join(sorted(personas)) or "none"
            raise PersonaError(f"unknown persona {default!r} (PARLEY_PERSONA); known: {known}")
        self.personas = personas
        self.default = default

    def replace(self, other: PersonaCatalog) -> None:
        """Swap in freshly loaded personas (hot reload)."""
        self.personas, self.default = other.personas, other.default

    @classmethod
    def load(cls, folder: Path, default: str) -> PersonaCatalog:
        personas: dict[str, Persona] = {}
        for path in sorted(folder.glob("*.toml")):
            persona = load_persona(path)
            personas[persona.id] = persona
        return cls(personas, default)

    def get(self, persona_id: str | None = None) -> Persona:
        return self.personas.get(persona_id or self.default) or self.personas[self.default]


def load_persona(path: Path) -> Persona:
    return load(path, Persona, PersonaError, stem="id").value
