"""Start-up proves the store can be opened and written before it says "running": a read-only
data directory is one line and exit code 2 (and ``check`` says so too); an unreachable Redis is
waited for up to PARLEY_STORE_WAIT seconds, then one line, not "running" and a flood of warnings."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.integration.processes import Bot, RedisServer, free_port
from tests.integration.test_cli import ROOT


def as_unprivileged() -> list[str]:
    """Root writes into a read-only directory anyway: run the bot without that capability."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's DAC override for this test"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def run(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return subprocess.run(
        [*as_unprivileged(), sys.executable, "bot.py", command],
        cwd=ROOT,
        env={**clean, "PARLEY_HTTP__PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def the_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Parley is running" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("parley:") and "warning" not in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def read_only_data(tmp_path: Path, existing: bool) -> str:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "parley.db"
    if existing:  # a store made earlier, then the volume went read-only
        sqlite3.connect(path).close()
        path.chmod(0o444)
    data.chmod(0o555)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("existing", [True, False], ids=["existing-file", "no-file-yet"])
def test_a_read_only_data_directory_stops_run_and_check_with_one_line(tmp_path, existing):
    url = read_only_data(tmp_path, existing)
    try:
        for command in ("run", "check"):
            line = the_line(run(command, {"PARLEY_STORE_URL": url}))
            assert "PARLEY_STORE_URL" in line, line
            assert "readonly" in line or "Permission denied" in line or "unable to open" in line, line
    finally:
        (tmp_path / "data").chmod(0o755)


def test_an_unreachable_redis_is_waited_for_then_one_line(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run("run", {"PARLEY_STORE_URL": url, "PARLEY_STORE_WAIT": "1.5"})
    line = the_line(result)
    assert "PARLEY_STORE_URL" in line and "PARLEY_STORE_WAIT" in line, line
    warnings = [w for w in result.stderr.splitlines() if " WARNING " in w]
    assert len(warnings) <= 2, result.stderr  # "waiting for the store", the relay's one line
    assert "PARLEY_STORE_URL" in the_line(run("check", {"PARLEY_STORE_URL": url}))


async def test_a_redis_that_comes_up_during_the_wait_is_used(tmp_path):
    server = RedisServer(tmp_path / "redis")
    bot = Bot(server.url, tmp_path, PARLEY_STORE_WAIT="60")
    try:
        await eventually(lambda: "waiting up to 60 s for the store" in bot.log.read_text(), timeout=60)
        assert bot.proc.poll() is None and "Parley is running" not in bot.log.read_text()
        server.start()
        await bot.ready(timeout=60)
        assert "Traceback" not in bot.log.read_text()
    finally:
        bot.kill()
        server.stop()
