"""Personas: who the bot is (``personas/<id>.toml``), validated at start-up. Data, never code."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError


class PersonaError(ValueError):
    pass


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    role: str
    greeting: str = ""  # overrides the pack's greeting when set (may use {name})
    tone: list[str] = []
    do: list[str] = []
    dont: list[str] = []
    # "first": disclose being an AI on the first message of a conversation; "ask": only when
    # asked (never deny it); "always": a footer on every answer.
    disclosure: Literal["first", "ask", "always"] = "first"
    allowed_tools: list[str] = []
    escalate_on: list[str] = []  # e.g. "low_confidence", "negative_feedback", "complaint"
    min_confidence: float = 0.35


class PersonaCatalog:
    def __init__(self, personas: dict[str, Persona], default: str):
        if default not in personas:
            known = ", ".join(sorted(personas)) or "none"
            raise PersonaError(f"unknown persona {default!r} (PARLEY_PERSONA); known: {known}")
        self.personas = personas
        self.default = default

    @classmethod
    def load(cls, folder: Path, default: str) -> PersonaCatalog:
        personas: dict[str, Persona] = {}
        for path in sorted(folder.glob("*.toml")):
            persona = load_persona(path)
            if persona.id != path.stem:
                raise PersonaError(f"{path}: id {persona.id!r} must match the file name")
            personas[persona.id] = persona
        return cls(personas, default)

    def get(self, persona_id: str | None = None) -> Persona:
        return self.personas.get(persona_id or self.default) or self.personas[self.default]


def load_persona(path: Path) -> Persona:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PersonaError(f"{path}: {exc}") from None
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PersonaError(f"{path}: {where}: {first['msg']}") from None
