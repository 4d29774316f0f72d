"""The two commands: ``python3 dev.py run`` and ``python3 dev.py test`` (standard library only).

Both create ./.venv when it is missing or a lock changed, so a fresh clone with only Python 3.11+
needs nothing else. ``run`` (and ``chat``, ``check`` ...) installs only what running needs, from
requirements.lock; ``test`` installs requirements-dev.lock (the runtime lock plus pytest,
Playwright and ruff) and makes sure the test suite's real parts are there: Debian's chromium
(installed with apt-get when running as root) and a Redis server on 127.0.0.1:6379 (started when
it is installed but down).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"  # includes the runtime lock with -r
# pip's line for each package it resolves: from an index, from a local wheel, or found installed
STEP = re.compile(
    r"^(?:Collecting |Requirement already satisfied: |Processing \S*/)(?P<name>[A-Za-z0-9._-]+?(?:==\S+)?)(?:[-\s]|$)"
)


def ensure_venv(lock: Path) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on the system Python
        sys.exit("Parley needs Python 3.11 or newer")
    if PY.exists() and stamp(lock).exists() and stamp(lock).read_text() == digest(lock):
        return
    if not PY.exists():
        print("dev.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    total = sum(pinned(f) for f in lock_files(lock))
    print(f"dev.py: installing {total} pinned packages from {lock.name}", flush=True)
    pip_install(["-r", str(lock)], total)
    # The checkout itself, editable: ``import parley`` maps onto core/, channels/ and the data folders.
    print("dev.py: installing this checkout (editable)", flush=True)
    pip_install(["--no-deps", "-e", str(ROOT)], 0)
    for installed in lock_files(lock):  # after ``test``, ``run`` finds its runtime lock installed
        stamp(installed).write_text(digest(installed))


def lock_files(lock: Path) -> list[Path]:
    """The lock and the locks it includes with ``-r``."""
    found = [lock]
    for line in lock.read_text().splitlines():
        if line.startswith("-r "):
            found += lock_files(lock.parent / line[3:].strip())
    return found


def pinned(lock: Path) -> int:
    return sum(1 for line in lock.read_text().splitlines() if "==" in line and not line.startswith((" ", "#")))


def stamp(lock: Path) -> Path:
    return VENV / f".{lock.name}.sha256"


def digest(lock: Path) -> str:
    """What a venv installed from ``lock`` is made of: its locks and pyproject.toml."""
    files = [ROOT / "pyproject.toml", *lock_files(lock)]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def pip_install(args: list[str], total: int) -> None:
    """pip install with one line of progress (the step, package n of total, seconds so far):
    ``pip -q`` prints nothing for minutes, plain pip a screenful per package. All of pip's
    output is printed if it fails."""
    command = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # pip's lines through the pipe as they come
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    output: list[str] = []
    done = 0
    with Status() as status:
        for line in proc.stdout:
            output.append(line)
            if found := STEP.match(line):
                done += 1
                status.show(f"[{done}/{total}] {found['name']}" if total else found["name"])
            elif line.startswith("Installing collected packages"):
                status.show(f"unpacking {line.count(',') + 1} packages")
            elif line[:1].isalpha() and not line.startswith(("WARNING", "DEPRECATION", "Looking in")):
                status.show(line.strip()[:70])  # building the editable install, ...
    if proc.wait() != 0:
        sys.stdout.write("".join(output))
        sys.exit(f"dev.py: pip install failed (exit {proc.returncode})")


class Status:
    """One progress line: redrawn in place on a terminal; in a log (CI), a line per step and one
    every 20 s of a long step, so a slow unpack never looks like a hang. Every line starts with
    ``dev.py:``, so a reader of ``dev.py run``'s output can skip the set-up to the bot's own."""

    def __init__(self) -> None:
        self.tty = sys.stdout.isatty()
        self.text = ""
        self.started = self.changed = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self) -> Status:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.tty:
            print(f"\r\033[Kdev.py:   done in {time.monotonic() - self.started:.0f} s", flush=True)

    def show(self, text: str) -> None:
        with self._lock:
            self.text, self.changed = text, time.monotonic()
            if not self.tty:
                print(f"dev.py:   {text}", flush=True)
        self._draw()

    def _draw(self) -> None:
        if self.tty:
            with self._lock:
                sys.stdout.write(f"\r\033[Kdev.py:   {self.text} ({time.monotonic() - self.started:.0f} s)")
                sys.stdout.flush()

    def _tick(self) -> None:
        while not self._stop.wait(1.0 if self.tty else 20.0):
            if self.tty:
                self._draw()
            elif time.monotonic() - self.changed >= 20.0:
                print(f"dev.py:   still: {self.text} ({time.monotonic() - self.started:.0f} s)", flush=True)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_services() -> None:
    if not Path("/usr/bin/chromium").exists() and shutil.which("apt-get") and os.geteuid() == 0:
        print("dev.py: installing chromium (Debian package) for the browser tests", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env)
            subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env)
    if not port_open(6379) and shutil.which("redis-server"):
        print("dev.py: starting redis-server on 127.0.0.1:6379", flush=True)
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=False,
        )


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    ensure_venv(DEV_LOCK if command == "test" else RUNTIME_LOCK)
    os.chdir(ROOT)
    if command == "test":
        ensure_services()
        return hand_over([str(PY), "-m", "pytest", *argv[1:]])
    if command == "run":
        return hand_over([str(PY), "bot.py", "run", *argv[1:]])
    # Anything else goes to bot.py: python3 dev.py chat, python3 dev.py check ...
    return hand_over([str(PY), "bot.py", *argv])


def hand_over(command: list[str]) -> int:
    """Become the command (exec) so SIGTERM from a supervisor, docker or ``kill`` reaches bot.py
    itself: with a child process, dev.py died and left bot.py running, orphaned, on the port."""
    sys.stdout.flush()
    if os.name == "posix":
        os.execv(command[0], command)
    return subprocess.call(command)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
