"""``parley check`` for a bot's own locale files (parley.core.i18n.overlay), checked like the
shipped packs: each file parses and validates once merged over the pack of its name, every key
the bot's default-language file has is in its other files, with no placeholder the default
does not know, and no key exists only in another language (a person falling back to the
default language would see the key itself)."""

from __future__ import annotations

from pathlib import Path

from parley.core.config.checks import Problem, _parse, _validation, placeholders
from parley.core.config.tomlpos import line_of
from parley.core.i18n.locales import PackFile
from parley.core.i18n.overlay import merged_data
from pydantic import ValidationError


def check_overlay(folder: Path, packs: dict[str, PackFile], default: str) -> list[Problem]:
    problems: list[Problem] = []
    if not folder.is_dir():
        return [Problem(folder, 0, "the bot's locales folder does not exist")]
    files: dict[str, tuple[Path, str, dict]] = {}
    for path in sorted(folder.glob("*.toml")):
        parsed = _parse(path, problems)
        if parsed is None:
            continue
        text, data = parsed
        code = path.stem
        if data.get("code", code) != code:
            problems.append(Problem(path, line_of(text, ["code"]), f"code {data['code']!r} must match the file name"))
            continue
        try:
            PackFile.model_validate(merged_data(packs.get(code), code, data))
        except ValidationError as exc:
            _validation(path, text, exc, problems)
            continue
        files[code] = (path, text, data.get("messages") or {})
    base_messages = dict(packs[default].messages if default in packs else {})
    own_default = files.get(default)
    if own_default is not None:
        base_messages.update(own_default[2])
    for code, (path, text, messages) in files.items():
        for key, template in messages.items():
            where = line_of(text, ["messages", key])
            if key not in base_messages:
                name = own_default[0].name if own_default else f"{default}.toml"
                problems.append(Problem(path, where, f"messages.{key}: not in the default language's {name}"))
                continue
            extra = placeholders(template) - placeholders(base_messages[key])
            if extra:
                names = ", ".join("{" + n + "}" for n in sorted(extra))
                problems.append(Problem(path, where, f"messages.{key}: unknown placeholder {names}"))
        if own_default is None or code == default:
            continue
        for key in own_default[2]:
            if key not in messages and key not in (packs[code].messages if code in packs else {}):
                line = line_of(text, ["messages"])
                problems.append(
                    Problem(path, line, f"missing message {key!r} (the bot's {own_default[0].name} has it)")
                )
    return problems
