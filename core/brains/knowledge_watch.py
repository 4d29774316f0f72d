"""Reload the knowledge base when its folder changes (mtime polling) or on SIGHUP, no restart.

bot.py's SIGHUP handler calls ``Parley.reload``, which pokes this watcher and the locale and
persona reloader (parley.core.config.reloader) together: one signal reloads all the data files.

Polling, not inotify: it works the same on every OS, in containers and on network mounts, and a
knowledge folder of Markdown files is cheap to stat every few seconds. A broken reload (a file
being written, unreadable) keeps the old knowledge and logs one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.search.semantic import Embedder
from parley.core.kernel.wakeup import Wakeup

log = logging.getLogger("parley.knowledge")


class KnowledgeWatcher:
    def __init__(
        self,
        folder: Path,
        on_reload: Callable[[KnowledgeBase], None],
        every: float = 5.0,
        default: str = "en",
        embedder: Embedder | None = None,  # the knowledge's embeddings, kept across reloads (its cache)
    ) -> None:
        self.folder = folder
        self.embedder = embedder
        self.default = default  # the language of files outside a locale folder
        self.on_reload = on_reload
        self.every = every
        self.reloads = 0
        self._poke = Wakeup()
        self._seen = self.fingerprint()

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        try:
            files = sorted(self.folder.rglob("*.md"))
            return tuple((p.as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        except OSError:
            return ()

    def poke(self) -> None:
        """Reload now, changed or not (SIGHUP through Parley.reload)."""
        self._poke.set()

    def _load(self) -> KnowledgeBase:
        kb = KnowledgeBase.load(self.folder, self.default, embedder=self.embedder)
        kb.build()
        return kb

    async def check(self, force: bool = False) -> bool:
        seen = await asyncio.to_thread(self.fingerprint)
        if seen == self._seen and not force:
            return False
        try:
            # Every index built here, on the worker thread: a reload never makes a question wait.
            kb = await asyncio.to_thread(self._load)
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("knowledge reload failed; keeping the previous one", extra={"error": str(exc)[:200]})
            return False
        self._seen = seen
        self.on_reload(kb)
        self.reloads += 1
        log.info("knowledge reloaded", extra={"passages": len(kb.passages)})
        return True

    async def run(self) -> None:
        while True:
            forced = await self._poke.wait(self.every if self.every > 0 else None)
            await self.check(force=forced)
