"""bot.py as users run it: real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bot(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "bot.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, **kw
    )


def test_help_lists_the_subcommands():
    out = bot("--help").stdout
    for command in ("run", "chat", "check"):
        assert command in out


def test_check_passes_on_the_shipped_data():
    result = bot("check")
    assert result.returncode == 0, result.stderr
    assert "locale packs" in result.stdout


def test_invalid_configuration_is_one_line_naming_the_variable(tmp_path):
    cases = {
        "PARLEY_HTTP__PORT": ("not-a-port", "PARLEY_HTTP__PORT"),
        "PARLEY_STORE_URL": ("ftp://x", "PARLEY_STORE_URL"),
        "PARLEY_PERSONA": ("nobody", "PARLEY_PERSONA"),
        "PARLEY_PUBLIC_URL": ("bot.example.com", "PARLEY_PUBLIC_URL"),
        "PARLEY_KNOWLEDGE_DIR": (str(tmp_path / "missing"), "PARLEY_KNOWLEDGE_DIR"),
        # check refuses what run refuses (these were "ok" from check, then stopped run)
        "PARLEY_HANDOFF__HOURS": ("whenever", "PARLEY_HANDOFF__HOURS"),
        "PARLEY_HANDOFF__TIMEZONE": ("Mars/Base", "PARLEY_HANDOFF__TIMEZONE"),
    }
    for variable, (value, named) in cases.items():
        result = bot("check", env={variable: value})
        assert result.returncode == 2, (variable, result.stderr)
        assert named in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_check_refuses_a_missing_llm_tools_file(tmp_path):
    env = {"PARLEY_LLM__API_KEY": "sk-test", "PARLEY_LLM__TOOLS_FILE": str(tmp_path / "tools.toml")}
    result = bot("check", env=env)
    assert result.returncode == 2 and "PARLEY_LLM__TOOLS_FILE" in result.stderr
    assert "Traceback" not in result.stderr and "sk-test" not in result.stderr


def test_a_configured_channel_missing_its_secret_is_refused():
    result = bot("check", env={"PARLEY_SLACK__BOT_TOKEN": "xoxb-secret-value"})
    assert result.returncode == 2
    assert "PARLEY_SLACK__SIGNING_SECRET" in result.stderr
    assert "xoxb-secret-value" not in result.stderr  # secrets never printed


def test_broken_pack_is_refused_with_the_file_named(tmp_path):
    (tmp_path / "en.toml").write_text('code = "en"\nname = "English"\n[messages]\ngreeting = "hi"\n')
    result = bot("check", env={"PARLEY_LOCALES_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "en.toml" in result.stderr and "missing" in result.stderr


# The README's run command too: dev.py must hand the signal to bot.py, not die and orphan it.
@pytest.mark.parametrize("command", [["bot.py"], ["dev.py", "run"]], ids=["bot.py", "dev.py"])
def test_run_serves_the_web_chat_and_stops_gracefully_on_sigterm(tmp_path, command):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        {"PARLEY_HTTP__PORT": "0", "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PARLEY_LOG_FORMAT": "json"}
    )
    proc = subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        while line.startswith("dev.py:"):  # dev.py may first (re)install the pinned packages
            line = proc.stdout.readline()
        assert "web chat at http://127.0.0.1:" in line
        url = line.strip().rsplit(" ", 1)[1]
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"<title>Chat with Mia</title>" in page.read()  # the persona's name, not a fixed title
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        logs = proc.stderr.read()
        assert '"msg": "parley stopped"' in logs
        with pytest.raises(OSError):  # nothing left listening (an orphaned bot.py would answer)
            urllib.request.urlopen(url, timeout=5)
        assert "Traceback" not in logs
    finally:
        proc.kill()


def test_channel_sdks_are_imported_only_when_configured(tmp_path):
    script = (
        "import asyncio, sys\n"
        "from parley.app import Bot\n"
        "from parley.core.config.settings import Settings\n"
        f"s = Settings(_env_file=None, store_url='sqlite:///{tmp_path}/p.db', http={{'port': 0}})\n"
        "async def main():\n"
        "    async with Bot(s):\n"
        "        pass\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('aiogram', 'slack_bolt', 'twilio', 'discord', 'openai') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "OPENAI_"))}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
