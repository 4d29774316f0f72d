"""Hot reload of locale packs and personas: edit a file, or send SIGHUP, no restart.

The reloader polls the folders' modification times every few seconds (no inotify dependency,
works on every file system and in containers) and swaps the catalogs in place, so the engine and
middlewares holding them see the new data on their next turn. A broken file is refused with the
same message ``bot.py check`` prints, and the previous packs stay in service.
"""

from __future__ import annotations

import logging
from pathlib import Path

from parley.core.i18n.locales import LocaleCatalog, PackError
from parley.core.i18n.personas import PersonaCatalog, PersonaError
from parley.core.kernel.wakeup import Wakeup

log = logging.getLogger("parley.reload")

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(*folders: Path) -> Fingerprint:
    entries = []
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed between glob and stat
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class Reloader:
    def __init__(
        self,
        locales: LocaleCatalog,
        personas: PersonaCatalog,
        locales_dir: Path,
        personas_dir: Path,
        every: float = 3.0,
    ) -> None:
        self.locales = locales
        self.personas = personas
        self.locales_dir = locales_dir
        self.personas_dir = personas_dir
        self.every = every
        self.last_error = ""
        self.reloads = 0
        self._seen = fingerprint(locales_dir, personas_dir, *locales.overlays)
        self._wake = Wakeup()

    def request(self) -> None:
        """Reload now (the SIGHUP handler calls this)."""
        self._seen = ()
        self._wake.set()

    def reload(self) -> bool:
        """Load both folders; swap them in only if both are valid. True when swapped."""
        try:
            locales = LocaleCatalog.load(self.locales_dir, self.locales.default, self.locales.overlays)
            personas = PersonaCatalog.load(self.personas_dir, self.personas.default)
        except (PackError, PersonaError) as exc:
            self.last_error = str(exc)
            log.error("reload refused, keeping the previous packs and personas: %s", exc)
            return False
        self.locales.replace(locales)
        self.personas.replace(personas)
        self.last_error = ""
        self.reloads += 1
        log.info("locale packs and personas reloaded", extra={"locales": ",".join(locales.codes)})
        return True

    def poll(self) -> bool:
        """One look at the folders; reload if anything changed since the last look."""
        now = fingerprint(self.locales_dir, self.personas_dir, *self.locales.overlays)
        if now == self._seen:
            return False
        self._seen = now
        return self.reload()

    async def run(self) -> None:
        while True:
            await self._wake.wait(self.every)
            self.poll()
