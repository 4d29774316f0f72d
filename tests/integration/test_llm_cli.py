"""bot.py with the LLM configured: a broken tools file is one readable line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.paths import ROOT


def test_a_broken_tools_file_stops_start_up_with_one_line(tmp_path):
    tools = tmp_path / "tools.toml"
    tools.write_text("[[tools]]\nname = 'x'\n")  # no description, no url
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "OPENAI_"))}
    env.update(PARLEY_LLM__API_KEY="sk-x", PARLEY_LLM__TOOLS_FILE=str(tools), PARLEY_HTTP__PORT="0")
    env["PARLEY_STORE_URL"] = "memory://"
    result = subprocess.run(
        [sys.executable, "bot.py", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "PARLEY_LLM__TOOLS_FILE" in result.stderr
