"""A disk that can be filled and freed, made by the test itself: a small tmpfs where mounting is
allowed, else the file-size limit of the bot process (RLIMIT_FSIZE, set from outside with
prlimit): its writes past the limit fail as a full disk's do."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import subprocess
from pathlib import Path

SIZE_MB = 24


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.how = ""
        self._filler = path / "filler"

    async def __aenter__(self) -> SmallDisk:
        self.path.mkdir(parents=True, exist_ok=True)
        mount = ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(self.path)]
        done = subprocess.run(mount, capture_output=True, text=True)
        self.how = f"a {SIZE_MB} MB tmpfs" if done.returncode == 0 else "RLIMIT_FSIZE (no mount allowed here)"
        return self

    async def __aexit__(self, *exc) -> None:
        if self.how.startswith("a "):
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)

    def fill(self, pid: int) -> None:
        if not self.how.startswith("a "):
            size = max(p.stat().st_size for p in self.path.iterdir())
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))
            return
        with self._filler.open("wb") as out:
            chunk = b"\0" * (1 << 20)
            try:
                while True:
                    out.write(chunk)
                    out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
            with contextlib.suppress(OSError):  # the last bytes, smaller than a chunk
                while True:
                    os.write(out.fileno(), b"\0" * 4096)

    def free(self, pid: int) -> None:
        if not self.how.startswith("a "):
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            return
        self._filler.unlink(missing_ok=True)
