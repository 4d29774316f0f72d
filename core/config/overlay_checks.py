"""``parley check`` for a bot's own locale files (parley.core.i18n.overlay), checked like the
shipped packs: each file parses and validates once merged over the pack of its name, every key
the bot's default-language file has is in its other files, with no placeholder the default
does not know, and no key exists only in another language (a person falling back to the
default language would see the key itself)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from parley.core.config.checks import placeholders
from parley.core.config.datafile import DataFileError, Loaded, Problem, load
from parley.core.i18n.locales import PackFile
from parley.core.i18n.overlay import merged_data


def check_overlay(folder: Path, packs: dict[str, PackFile], default: str) -> list[Problem]:
    problems: list[Problem] = []
    if not folder.is_dir():
        return [Problem(folder, 0, "the bot's locales folder does not exist")]
    files: dict[str, tuple[Loaded[PackFile], dict]] = {}
    for path in sorted(folder.glob("*.toml")):
        code = path.stem
        try:  # the same load as start-up's (parley.core.i18n.overlay.merge_file)
            loaded = load(path, PackFile, stem="code", prepare=partial(merged_data, packs.get(code), code))
        except DataFileError as exc:
            problems += exc.problems
            continue
        files[code] = (loaded, loaded.data.get("messages") or {})
    base_messages = dict(packs[default].messages if default in packs else {})
    own_default = files.get(default)
    if own_default is not None:
        base_messages.update(own_default[1])
    for code, (loaded, messages) in files.items():
        for key, template in messages.items():
            if key not in base_messages:
                name = own_default[0].path.name if own_default else f"{default}.toml"
                problems.append(
                    loaded.problem(["messages", key], f"messages.{key}: not in the default language's {name}")
                )
                continue
            extra = placeholders(template) - placeholders(base_messages[key])
            if extra:
                names = ", ".join("{" + n + "}" for n in sorted(extra))
                problems.append(loaded.problem(["messages", key], f"messages.{key}: unknown placeholder {names}"))
        if own_default is None or code == default:
            continue
        for key in own_default[1]:
            if key not in messages and key not in (packs[code].messages if code in packs else {}):
                problems.append(
                    loaded.problem(
                        ["messages"], f"missing message {key!r} (the bot's {own_default[0].path.name} has it)"
                    )
                )
    return problems
