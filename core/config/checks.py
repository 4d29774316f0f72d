"""``bot.py check`` for locale packs and personas: every problem at once, as ``file:line: what``.

Start-up refuses only what would break a turn (bad TOML, unknown fields, a REQUIRED message no
pack in the chain has). ``check`` is stricter, for translators and CI: any key the default pack
has and a pack lacks, placeholders the default does not know ("{nombre}"), a Babel locale that
does not exist, persona texts in locales that do not ship.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from parley.core.config.tomlpos import decode_error, line_of
from parley.core.config.unknown import unknown_tools
from parley.core.i18n.formatting import known_locale
from parley.core.i18n.locales import REQUIRED_MESSAGES, PackFile
from parley.core.i18n.personas import Persona
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    warning: bool = False  # reported, but harmless at runtime: does not fail the check

    def __str__(self) -> str:
        where = f"{shown(self.path)}:{self.line}" if self.line else shown(self.path)
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse(path: Path, problems: list[Problem]) -> tuple[str, dict[str, Any]] | None:
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = decode_error(exc)
        problems.append(Problem(path, line, f"not valid TOML: {message}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, f"cannot read: {exc}"))
    return None


def _validation(path: Path, text: str, exc: ValidationError, problems: list[Problem]) -> None:
    for error in exc.errors():
        loc = [p for p in error["loc"] if not str(p).startswith("function-")]
        where = ".".join(str(p) for p in loc) or "file"
        msg = error["msg"].removeprefix("Value error, ")
        problems.append(Problem(path, line_of(text, loc), f"{where}: {msg}"))


def _valid(folder: Path, model: type[M], name_field: str, problems: list[Problem]) -> Iterator[tuple[Path, str, M]]:
    """Each file of ``folder`` that parses and validates as ``model``; problems for the rest,
    and for a ``code``/``id`` that does not match the file name."""
    for path in sorted(folder.glob("*.toml")):
        parsed = _parse(path, problems)
        if parsed is None:
            continue
        text, data = parsed
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            _validation(path, text, exc, problems)
            continue
        value = getattr(item, name_field)
        if value != path.stem:
            problems.append(
                Problem(path, line_of(text, [name_field]), f"{name_field} {value!r} must match the file name")
            )
        yield path, text, item


def placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"<unbalanced braces>"}


def check_locales(folder: Path, default: str = "en") -> tuple[list[Problem], dict[str, PackFile]]:
    problems: list[Problem] = []
    packs: dict[str, tuple[PackFile, Path, str]] = {}
    for path, text, pack in _valid(folder, PackFile, "code", problems):
        if not known_locale(pack.babel or pack.code.replace("-", "_")):
            problems.append(Problem(path, line_of(text, ["babel"]), f"Babel has no locale {pack.babel or pack.code!r}"))
        packs[pack.code] = (pack, path, text)
    if default not in packs:
        problems.append(Problem(folder / f"{default}.toml", 1, f"the default pack {default!r} is missing"))
        return problems, {c: p for c, (p, _, _) in packs.items()}
    base, base_path, base_text = packs[default]
    for key in REQUIRED_MESSAGES:
        if key not in base.messages:  # nothing to fall back to: start-up refuses this too
            line = line_of(base_text, ["messages"])
            problems.append(Problem(base_path, line, f"missing message {key!r} (the default pack must have it)"))
    for code, (pack, path, text) in packs.items():
        if pack.fallback and pack.fallback not in packs:
            problems.append(Problem(path, line_of(text, ["fallback"]), f"fallback {pack.fallback!r} has no pack"))
        if code == default:
            continue
        for table in ("messages", "intents"):
            mine, theirs = getattr(pack, table), getattr(base, table)
            for key in theirs:
                if key not in mine:
                    what = "message" if table == "messages" else "intent"
                    problems.append(
                        Problem(
                            path,
                            line_of(text, [table]),
                            f"missing {what} {key!r} (the default pack {base_path.name} has it)",
                        )
                    )
        for key, template in pack.messages.items():
            extra = placeholders(template) - placeholders(base.messages.get(key, template))
            if extra:
                names = ", ".join("{" + n + "}" for n in sorted(extra))
                problems.append(
                    Problem(path, line_of(text, ["messages", key]), f"messages.{key}: unknown placeholder {names}")
                )
    return problems, {c: p for c, (p, _, _) in packs.items()}


def check_personas(folder: Path, default: str, locale_codes: set[str], tools: set[str] | None = None) -> list[Problem]:
    """``tools``: the names of every tool there is; a persona allowing another one is warned."""
    problems: list[Problem] = []
    ids: set[str] = set()
    for path, text, persona in _valid(folder, Persona, "id", problems):
        ids.add(persona.id)
        if tools is not None:
            for _, _, message in unknown_tools({persona.id: persona.allowed_tools}, tools):
                problems.append(Problem(path, line_of(text, ["allowed_tools"]), message, warning=True))
        tables: list[tuple[list[str | int], dict[str, Any]]] = []
        if isinstance(persona.greeting, dict):
            tables.append((["greeting"], persona.greeting))
        for n, question in enumerate(persona.qualification):
            tables.append((["qualification", n, "ask"], question.ask))
            tables.append((["qualification", n, "choices"], question.choices))
        for loc, table in tables:
            for code in table:
                if code not in locale_codes:
                    where = ".".join(str(p) for p in loc)
                    # Unused until a pack ships, but usually a typo ("pt-br" for "pt-BR").
                    line = line_of(text, [*loc, code])
                    problems.append(Problem(path, line, f"{where}: no locale pack {code!r}", warning=True))
    if default not in ids:
        known = ", ".join(sorted(ids)) or "none"
        problems.append(Problem(folder, 0, f"unknown persona {default!r} (PARLEY_PERSONA); known: {known}"))
    return problems
