"""``bot.py check`` for locale packs and personas: every problem at once, as ``file:line: what``.

Start-up refuses only what would break a turn (bad TOML, unknown fields, a REQUIRED message no
pack in the chain has). ``check`` is stricter, for translators and CI: any key the default pack
has and a pack lacks, placeholders the default does not know ("{nombre}"), a Babel locale that
does not exist, persona texts in locales that do not ship.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from parley.core.config.datafile import DataFileError, Loaded, Problem, dotted, load
from parley.core.config.unknown import unknown_tools
from parley.core.i18n.formatting import known_locale
from parley.core.i18n.locales import REQUIRED_MESSAGES, PackFile
from parley.core.i18n.personas import Persona
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def _valid(folder: Path, model: type[M], stem: str, problems: list[Problem]) -> Iterator[Loaded[M]]:
    """Each file of ``folder`` that loads as ``model`` with ``stem`` matching its name; every
    problem of the others."""
    for path in sorted(folder.glob("*.toml")):
        try:
            yield load(path, model, stem=stem)
        except DataFileError as exc:
            problems += exc.problems


def placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return {"<unbalanced braces>"}


def check_locales(folder: Path, default: str = "en") -> tuple[list[Problem], dict[str, PackFile]]:
    problems: list[Problem] = []
    packs: dict[str, Loaded[PackFile]] = {}
    for loaded in _valid(folder, PackFile, "code", problems):
        pack = loaded.value
        if not known_locale(pack.babel or pack.code.replace("-", "_")):
            problems.append(loaded.problem(["babel"], f"Babel has no locale {pack.babel or pack.code!r}"))
        packs[pack.code] = loaded
    files = {code: loaded.value for code, loaded in packs.items()}
    if default not in packs:
        problems.append(Problem(folder / f"{default}.toml", 1, f"the default pack {default!r} is missing"))
        return problems, files
    base = packs[default]
    for key in REQUIRED_MESSAGES:
        if key not in base.value.messages:  # nothing to fall back to: start-up refuses this too
            problems.append(base.problem(["messages"], f"missing message {key!r} (the default pack must have it)"))
    for code, loaded in packs.items():
        pack = loaded.value
        if pack.fallback and pack.fallback not in packs:
            problems.append(loaded.problem(["fallback"], f"fallback {pack.fallback!r} has no pack"))
        if code == default:
            continue
        for table in ("messages", "intents"):
            mine, theirs = getattr(pack, table), getattr(base.value, table)
            what = "message" if table == "messages" else "intent"
            problems += [
                loaded.problem([table], f"missing {what} {key!r} (the default pack {base.path.name} has it)")
                for key in theirs
                if key not in mine
            ]
        for key, template in pack.messages.items():
            extra = placeholders(template) - placeholders(base.value.messages.get(key, template))
            if extra:
                names = ", ".join("{" + n + "}" for n in sorted(extra))
                problems.append(loaded.problem(["messages", key], f"messages.{key}: unknown placeholder {names}"))
    return problems, files


def check_personas(folder: Path, default: str, locale_codes: set[str], tools: set[str] | None = None) -> list[Problem]:
    """``tools``: the names of every tool there is; a persona allowing another one is warned."""
    problems: list[Problem] = []
    ids: set[str] = set()
    for loaded in _valid(folder, Persona, "id", problems):
        persona = loaded.value
        ids.add(persona.id)
        if tools is not None:
            for _, _, message in unknown_tools({persona.id: persona.allowed_tools}, tools):
                problems.append(loaded.problem(["allowed_tools"], message, warning=True))
        tables: list[tuple[list[str | int], dict[str, Any]]] = []
        if isinstance(persona.greeting, dict):
            tables.append((["greeting"], persona.greeting))
        for n, question in enumerate(persona.qualification):
            tables.append((["qualification", n, "ask"], question.ask))
            tables.append((["qualification", n, "choices"], question.choices))
        for loc, table in tables:
            # Unused until a pack ships, but usually a typo ("pt-br" for "pt-BR").
            problems += [
                loaded.problem([*loc, code], f"{dotted(loc)}: no locale pack {code!r}", warning=True)
                for code in table
                if code not in locale_codes
            ]
    if default not in ids:
        known = ", ".join(sorted(ids)) or "none"
        problems.append(Problem(folder, 0, f"unknown persona {default!r} (PARLEY_PERSONA); known: {known}"))
    return problems
