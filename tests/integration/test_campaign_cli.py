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
        [sys.executable, str(ROOT / "bot.py"), "campaigns", *args],
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


def test_campaigns_list_pause_resume_cancel_and_sends(tmp_path):
    import asyncio

    from parley.core.schedule.sqlite import SQLiteScheduleStore
    from parley.core.schedule.store import Send, campaign_send_id

    (tmp_path / "cli.yaml").write_text(SPEC)
    (tmp_path / "people.csv").write_text(PEOPLE)
    assert bot(tmp_path, "create", "cli.yaml", "--people", "people.csv").returncode == 0

    async def plan() -> None:  # what a running Parley's planner would have written
        sched = SQLiteScheduleStore(tmp_path / "cli.db")
        await sched.open()
        await sched.add([Send(campaign_send_id("cli", f"web:u{n}"), 4_000_000_000.0 + n) for n in (1, 2)])
        await sched.close()

    asyncio.run(plan())
    assert "cli\tdraft" in bot(tmp_path, "list").stdout
    assert bot(tmp_path, "pause", "cli").returncode == 2  # a draft cannot be paused
    assert bot(tmp_path, "start", "cli").returncode == 0
    assert "paused" in bot(tmp_path, "pause", "cli").stdout
    assert "running" in bot(tmp_path, "resume", "cli").stdout
    sends = bot(tmp_path, "sends", "cli").stdout.splitlines()
    assert sends == [
        "c:cli:web:u1:0\tdue\t2096-10-02T07:06:41+00:00",
        "c:cli:web:u2:0\tdue\t2096-10-02T07:06:42+00:00",
    ]
    cancelled = bot(tmp_path, "cancel", "cli")
    assert cancelled.returncode == 0 and "2 waiting sends cancelled" in cancelled.stdout
    listed = bot(tmp_path, "list").stdout
    assert "cli\tcancelled" in listed and "pending 0" in listed
    assert bot(tmp_path, "sends", "cli").stdout == ""
    assert bot(tmp_path, "resume", "nope").returncode == 2
