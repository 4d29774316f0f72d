"""docs/tutorial.md works as written: its files (each code block that starts with a ``# <file>``
line) are written to an empty folder, their tests pass there, and the bot they make answers the
custom command in the web chat."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from parley.testing.fakes.webchat import ChatClient
from tests.paths import ROOT

BLOCK = re.compile(r"```\w*\n# ([\w./-]+)\n(.*?)```", re.DOTALL)
READY = re.compile(rb"Web chat: http://127\.0\.0\.1:(\d+)/chat")


def tutorial_files(folder: Path) -> list[str]:
    names = []
    for name, body in BLOCK.findall((ROOT / "docs" / "tutorial.md").read_text()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        names.append(name)
    return names


def clean_env(**extra: str) -> dict[str, str]:
    # The developer's own PARLEY_* variables must not change what the tutorial's reader sees.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    return {**env, **extra}


def test_the_tutorial_holds_a_bot_its_packs_and_its_tests(tmp_path):
    assert sorted(tutorial_files(tmp_path)) == [
        "bot.py",
        "locales/en.toml",
        "locales/es.toml",
        "pytest.ini",
        "test_bot.py",
    ]


async def test_the_tutorials_tests_pass_in_an_empty_folder(tmp_path):
    tutorial_files(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        cwd=tmp_path,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, out.decode()
    assert b"3 passed" in out


async def test_the_tutorials_bot_answers_its_command_in_the_web_chat(tmp_path):
    tutorial_files(tmp_path)
    env = clean_env(PARLEY_HTTP__PORT="0", PARLEY_STORE_URL="memory://")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "bot.py", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        ready = READY.search(line)
        assert ready, line
        async with aiohttp.ClientSession() as http:
            chat = await ChatClient(http, int(ready.group(1))).connect()
            await chat.say("/track 12345")
            reply = await chat.next("reply", timeout=30)
            assert reply["text"] == "Parcel 12345 is out for delivery."
            await chat.close()
        proc.send_signal(signal.SIGINT)  # Ctrl-C, as the tutorial says
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
