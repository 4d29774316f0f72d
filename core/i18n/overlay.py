"""A bot's own locale files merged over the shipped packs.

A bot keeps only its own keys: ``locales/es.toml`` with ``[messages] order_status = "..."``.
A file named after a pack that exists is merged over it (its messages and intents key by key,
any other field it sets replaces the pack's); a file for a language Parley does not ship is a
whole pack of its own (``code`` and ``name`` at least, like the shipped ones).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from parley.core.config.datafile import load
from parley.core.i18n.locales import PackError, PackFile

MERGED = ("messages", "intents", "console")  # tables merged key by key; every other field is replaced


def merged_data(base: PackFile | None, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of the pack ``code`` once ``data`` (an overlay file) is laid over ``base``."""
    if base is None:
        return {"code": code, **data}
    merged = base.model_dump()
    for key, value in data.items():
        if key in MERGED and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def merge_file(path: Path, packs: dict[str, PackFile]) -> PackFile:
    code = path.stem
    merged = partial(merged_data, packs.get(code), code)
    return load(path, PackFile, PackError, stem="code", prepare=merged).value


def merge_folder(folder: Path, packs: dict[str, PackFile]) -> dict[str, tuple[PackFile, Path | None]]:
    """Each overlay file of ``folder``, merged over the pack of its name; PackError (file:line)
    for the first that cannot be used. A missing folder is an error: it was asked for."""
    if not folder.is_dir():
        raise PackError(f"{folder}: the bot's locales folder does not exist")
    return {path.stem: (merge_file(path, packs), path) for path in sorted(folder.glob("*.toml"))}
