"""The one loader for data files (locale packs, personas, the LLM's HTTP tools file): read,
parse TOML (or YAML), validate with a pydantic model, and report each problem as ``file:line:
where: what``. Start-up (which refuses a broken file) and ``parley check`` (which lists every
problem) read files through ``load`` alike; only what they do with the problems differs.

``tomllib`` gives values, not positions, so ``line_of`` scans the text to find a key's line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Loc = Sequence[str | int]
Prepare = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int  # 0: the file (or folder) as a whole
    message: str
    warning: bool = False  # reported, but harmless at runtime: does not fail a check

    def __str__(self) -> str:
        where = f"{shown(self.path)}:{self.line}" if self.line else shown(self.path)
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


def shown(path: Path) -> str:
    """A path as people find it: relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class DataFileError(ValueError):
    """A data file that cannot be used. The message is the first problem (and how many more);
    ``problems`` has them all."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    path: Path
    text: str
    value: M
    data: dict[str, Any]  # as parsed, before ``prepare`` (what this file itself says)

    def problem(self, loc: Loc, message: str, *, warning: bool = False) -> Problem:
        """A problem at the line of ``loc`` in this file."""
        return Problem(self.path, line_of(self.text, loc), message, warning)


def load(
    path: Path,
    model: type[M],
    error: type[DataFileError] = DataFileError,
    *,
    stem: str = "",
    variable: str = "",
    prepare: Prepare | None = None,
) -> Loaded[M]:
    """Read ``path`` and validate it as ``model``; raise ``error`` (a DataFileError the caller's
    domain names, like PackError) with every problem. ``stem`` names a field that must equal
    the file's name (a persona's ``id``). ``variable``, when a setting named the file, leads
    the message: start-up errors name their variable. ``prepare`` turns the parsed data into
    what is validated (a bot's locale file merged over the shipped pack); problems still point
    at this file's lines."""
    problems = _problems(path, model, prepare)
    if isinstance(problems, Loaded):
        value = getattr(problems.value, stem) if stem else path.stem
        if value == path.stem:
            return problems
        problems = [problems.problem([stem], f"{stem} {value!r} must match the file name")]
    first = f"{variable}: {problems[0]}" if variable else str(problems[0])
    more = f" (and {len(problems) - 1} more: run `parley check`)" if len(problems) > 1 else ""
    raise error(first + more, problems)


def _problems(path: Path, model: type[M], prepare: Prepare | None) -> Loaded[M] | list[Problem]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = decode_error(exc)
        return [Problem(path, line, f"not valid TOML: {message}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(path, mark.line + 1 if mark else 0, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(path, 0, f"cannot read ({getattr(exc, 'strerror', None) or exc})")]
    try:
        data = data or {}
        return Loaded(path, text, model.model_validate(prepare(data) if prepare else data), data)
    except ValidationError as exc:
        return [_validation(path, text, error) for error in exc.errors()]


def _validation(path: Path, text: str, error: Any) -> Problem:
    loc = [p for p in error["loc"] if not str(p).startswith("function-")]
    message = error["msg"].removeprefix("Value error, ")
    return Problem(path, line_of(text, loc) if path.suffix == ".toml" else 0, f"{dotted(loc)}: {message}")


def dotted(loc: Loc) -> str:
    """``("qualification", 1, "ask")`` as ``qualification[1].ask``; the whole file as "file"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "file"


# -- positions -----------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in dotted.split(".")]


def line_of(text: str, loc: Loc) -> int:
    """1-based line of the key best matching ``loc`` (e.g. ``("messages", "greeting")`` or
    ``("qualification", 1, "ask")``); the table header when the key is absent; 1 if nothing."""
    want = [str(p) for p in loc]
    table: list[str] = []
    counts: dict[str, int] = {}
    best_line, best_score = 1, 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            names = _parts(header.group(2))
            if header.group(1) == "[[":  # an array of tables: count occurrences for the index
                key = ".".join(names)
                counts[key] = counts.get(key, -1) + 1
                names = [*names, str(counts[key])]
            table = names
            path = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = [*table, *_parts(key.group(1))]
        score = 0
        for have, wanted in zip(path, want, strict=False):
            if have != wanted:
                break
            score += 1
        if score == len(path) and score > best_score:  # only paths that are a prefix of loc
            best_line, best_score = number, score
    return best_line


def decode_error(exc: Exception) -> tuple[int, str]:
    """(line, message) from a TOMLDecodeError: Python 3.11's has no ``lineno`` attribute, its
    message ends "(at line N, column M)"."""
    message = str(exc)
    line = getattr(exc, "lineno", 0)
    if not line and "(at line " in message:
        message, _, where = message.rpartition(" (at line ")
        digits = where.split(",")[0].rstrip(")")
        line = int(digits) if digits.isdigit() else 0
    return line or 1, getattr(exc, "msg", message)
