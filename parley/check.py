"""``parley check``: validate configuration, personas, locale packs (the shipped ones and the
bot's own), tools and knowledge; every problem at once as ``file:line``, warnings included."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from parley.app import Bot
from parley.core.config.errors import cause_of
from parley.core.config.settings import Settings


def check(settings: Settings, build: Callable[[Settings], Bot]) -> int:
    """0 when the bot would start, 2 otherwise. What run refuses, check refuses too: it builds
    the bot (without opening the store or listening), then looks closer than start-up does."""
    from parley.core.brains.llm.http_tools import load_http_tools
    from parley.core.brains.llm.tools import builtin
    from parley.core.config.checks import check_locales, check_personas
    from parley.core.config.overlay_checks import check_overlay

    problems, packs = check_locales(settings.locales_dir, settings.default_locale)
    # Codes of every pack file, valid or not: a broken fr.toml is one problem, not one per persona.
    codes = set(packs) | {path.stem for path in settings.locales_dir.glob("*.toml")}
    tools = set(builtin(settings.llm.tool_timeout))
    if settings.llm.tools_file is not None:
        secrets = {k: v.get_secret_value() for k, v in settings.llm.secrets.items()}
        tools |= set(load_http_tools(settings.llm.tools_file, secrets, settings.llm.tool_timeout))
    bot = None
    if not any(not p.warning for p in problems):
        # Refuses what start-up refuses (the first problem in the bot's own files among them).
        bot = build(settings)
        tools |= set(bot.tools)
        for folder in bot.locales.overlays:
            codes |= {path.stem for path in folder.glob("*.toml")}
            problems += check_overlay(folder, packs, settings.default_locale)
    problems += check_personas(settings.personas_dir, settings.persona, codes, tools)
    for problem in problems:
        print(f"parley: {problem}", file=sys.stderr)
    errors = [p for p in problems if not p.warning]
    if bot is not None and not asyncio.run(_store_writes(bot)):
        return 2
    if errors or bot is None:
        if len(errors) > 1:  # one problem stays one line (configuration errors are one line)
            print(f"parley: {len(errors)} problems in locale packs and personas", file=sys.stderr)
        return 2
    print(
        f"ok: {len(bot.locales.codes)} locale packs ({', '.join(bot.locales.codes)}), "
        f"{len(bot.personas.personas)} personas, {len(bot.knowledge.passages)} knowledge passages"
    )
    print(coverage(bot))
    return 0


async def _store_writes(bot: Bot) -> bool:
    """Open the store and write to it once, as start-up would (without waiting for it): a
    read-only data directory or an unreachable Redis is reported here, not at the first run.
    A SQLite file that does not exist yet is not created (check leaves no files behind): a
    scratch file in the nearest existing folder of its path proves the folder writable."""
    from parley.core.storage.sqlite import SQLiteStore
    from parley.core.storage.startup import open_when_ready
    from parley.core.storage.store import StoreUnavailable

    try:
        if isinstance(bot.store, SQLiteStore) and not bot.store.path.exists():
            _writable_folder(bot.store.path.parent)
        else:
            await open_when_ready(bot.store, 0.0)
            await bot.store.close()
    except (StoreUnavailable, OSError) as exc:
        print(f"parley: PARLEY_STORE_URL: cannot open and write the store ({cause_of(exc)})", file=sys.stderr)
        return False
    return True


def _writable_folder(folder: Path) -> None:
    """Raise OSError unless a file can be made where the store (and its folders) would be."""
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(folder))
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".parley-check-"):
        pass


def coverage(bot: Bot) -> str:
    """Knowledge per language: passages, and the default language's passages it has no
    translation of (their customers get the default language's, with a notice)."""
    kb = bot.knowledge
    count = {code: len(index.passages) for code, index in kb.indexes.items()}
    lines = [f"knowledge: {kb.default} {count.get(kb.default, 0)} passages (default)"]
    missing = kb.missing()
    for code in kb.locales:
        if code == kb.default:
            continue
        gaps = missing.get(code, [])
        line = f"knowledge: {code} {count[code]} passages"
        lines.append(line + (f", missing {len(gaps)}: {', '.join(gaps)}" if gaps else ", complete"))
    packs = [c for c in bot.locales.codes if kb.locale_of(c) == kb.default and c != kb.default]
    if packs:
        lines.append(f"knowledge: no passages in {', '.join(packs)} (answered from {kb.default}, with a notice)")
    if kb.embedder:
        lines.append(f"knowledge: sentence embeddings {kb.embedder.name} beside BM25 (PARLEY_KNOWLEDGE_EMBEDDINGS)")
    return "\n".join(lines)
