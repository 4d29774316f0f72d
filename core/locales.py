"""Locale packs: data files (``locales/<code>.toml``) validated at start-up.

A pack carries every system message, the words that reveal an intent (greeting, thanks, "are
you a bot", "a human please", stop/start), tone notes for the LLM, quiet hours and weekend days.
Missing messages fall back along ``fallback`` (pt-BR -> pt -> en), never to a KeyError at runtime.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

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
    "human_button",
    "error",
)


class PackError(ValueError):
    """A pack that cannot be used; the message names the file."""


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
    intents: dict[str, list[str]] = {}


@dataclass
class LocalePack:
    code: str
    name: str
    direction: str
    chain: tuple[PackFile, ...]
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def head(self) -> PackFile:
        return self.chain[0]

    def t(self, key: str, **values: Any) -> str:
        for pack in self.chain:
            if key in pack.messages:
                template = pack.messages[key]
                # Missing placeholders render empty rather than crash a turn.
                return string.Formatter().vformat(template, (), _Blank(values))
        return key

    def phrases(self, intent: str) -> list[str]:
        seen: list[str] = []
        for pack in self.chain:
            seen.extend(pack.intents.get(intent, []))
        return seen


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class LocaleCatalog:
    def __init__(self, files: dict[str, tuple[PackFile, Path | None]], default: str = "en"):
        if default not in files:
            raise PackError(f"default locale {default!r} has no pack (PARLEY_DEFAULT_LOCALE)")
        self.files = files
        self.default = default

    @classmethod
    def load(cls, folder: Path, default: str = "en") -> LocaleCatalog:
        files: dict[str, tuple[PackFile, Path | None]] = {}
        for path in sorted(folder.glob("*.toml")):
            pack = load_pack_file(path)
            files[pack.code] = (pack, path)
        catalog = cls(files, default)
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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{path}: {exc}") from None
    except OSError as exc:
        raise PackError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return PackFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PackError(f"{path}: {where}: {first['msg']}") from None
