"""The two commands: ``python3 dev.py run`` and ``python3 dev.py test`` (standard library only).

Both create ./.venv from requirements.lock when it is missing or the lock changed, so a fresh
clone with only Python 3.11+ needs nothing else. ``test`` also makes sure the test suite's real
parts are there: Debian's chromium (installed with apt-get when running as root) and a Redis
server on 127.0.0.1:6379 (started when it is installed but down).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".lock-sha256"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on the system Python
        sys.exit("Parley needs Python 3.11 or newer")
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == digest:
        return
    if not PY.exists():
        print("dev.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing pinned dependencies from requirements.lock", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(LOCK)], check=True)
    # The checkout itself, editable: ``import parley`` maps onto core/, channels/ and the data folders.
    print("dev.py: installing this checkout (editable)", flush=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "-e", str(ROOT)], check=True
    )
    STAMP.write_text(digest)


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
    ensure_venv()
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
