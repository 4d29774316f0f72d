"""``python bot.py campaign ...`` as a user runs it: a YAML campaign, a CSV of recipients."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.paths import ROOT

SPEC = """id: cli
messages: {en: "Hi {first_name}"}
window: {days: [any], start: "09:00", end: "18:00"}
"""
PEOPLE = (
    "channel,chat,user,locale,tz,tags,consent,name\nweb,c1,u1,en,Europe/Paris,vip,yes,Ann Lee\nweb,c2,u2,en,,,no,Bob\n"
)


def bot(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "campaign", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_campaign_cli_create_preview_start_status(tmp_path):
    (tmp_path / "cli.yaml").write_text(SPEC)
    (tmp_path / "people.csv").write_text(PEOPLE)
    preview = bot(tmp_path, "preview", "cli.yaml", "--people", "people.csv")
    assert preview.returncode == 0 and '"count": 1' in preview.stdout and "Hi Ann" in preview.stdout
    created = bot(tmp_path, "create", "cli.yaml", "--people", "people.csv")
    assert created.returncode == 0 and "for 1 people" in created.stdout
    assert "100%" in created.stderr  # the import progress bar
    again = bot(tmp_path, "create", "cli.yaml")
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert bot(tmp_path, "start", "cli").returncode == 0
    status = bot(tmp_path, "status", "cli")
    assert status.returncode == 0 and "running" in status.stdout and '"planned"' in status.stdout


def test_bad_campaign_file_is_refused_without_a_traceback(tmp_path):
    (tmp_path / "bad.yaml").write_text(SPEC.replace("id: cli", "id: bad\ntimezone: Mars/Olympus"))
    refused = bot(tmp_path, "create", "bad.yaml")
    assert refused.returncode == 2 and "Mars/Olympus" in refused.stderr and "Traceback" not in refused.stderr
    missing = bot(tmp_path, "create", "nope.yaml")
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
