"""``python bot.py campaigns create|preview|list|start|pause|resume|cancel|sends|status`` (``campaign``
is the same command): campaigns from a YAML (or JSON) file, recipients optionally from a CSV
file, progress shown as a bar.

CSV columns: ``channel,chat[,user,locale,tz,tags,consent,name]``; ``tags`` separated by ``;``,
``consent`` yes/no. Imported rows join the people index, and the campaign's audience is limited
to them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from parley.core.config.settings import Settings
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import system_clock
from parley.core.schedule import people_csv
from parley.core.schedule.campaigns import CampaignError, parse_spec
from parley.core.schedule.lifecycle import MOVES, MoveRefused, move, results
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.planner import create, iso, preview
from parley.core.schedule.service import open_schedule
from parley.core.schedule.store import PersonEntry, ScheduleStore
from parley.core.storage import open_store

BAR = 30


def load_spec(path: Path) -> dict[str, Any]:
    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CampaignError(f"{path}: {exc}") from None
    if not isinstance(body, dict):
        raise CampaignError(f"{path}: expected a mapping of campaign fields")
    return body


def load_people(path: Path) -> list[PersonEntry]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            parsed = people_csv.parse(handle, str(path))
    except OSError as exc:
        raise CampaignError(f"{path}: {exc.strerror}") from None
    if parsed.problems:
        raise CampaignError(parsed.problems[0])
    return parsed.people


def bar(done: int, total: int, label: str = "") -> str:
    filled = BAR * done // total if total else BAR
    pct = 100 * done // total if total else 100
    return f"\r[{'#' * filled}{'.' * (BAR - filled)}] {pct:3d}% {done}/{total} {label}"


async def import_people(sched: ScheduleStore, people: list[PersonEntry]) -> None:
    for n, entry in enumerate(people, start=1):
        await sched.put_person(entry)
        if n % 500 == 0 or n == len(people):
            print(bar(n, len(people), "people imported"), end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


async def campaign_cli(settings: Settings, action: str, target: str, people: str | None, watch: bool) -> int:
    catalog = LocaleCatalog.load(settings.locales_dir, settings.default_locale)
    store = open_store(settings.store_url)
    await store.open()
    sched = open_schedule(settings.store_url, store, system_clock)
    await sched.open()
    try:
        return await _run(sched, catalog, action, target, people, watch)
    except CampaignError as exc:
        print(f"parley: campaign refused: {exc}", file=sys.stderr)
        return 2
    finally:
        await sched.close()
        await store.close()


async def _run(sched, catalog, action: str, target: str, people: str | None, watch: bool) -> int:
    now = system_clock()
    if action != "list" and not target:
        raise CampaignError(f"{action}: name the campaign (or its file)")
    if action in ("create", "preview"):
        body = load_spec(Path(target))
        rows = load_people(Path(people)) if people else []
        if rows:
            body.setdefault("audience", {})["persons"] = [r.person for r in rows]
        if action == "preview":
            scratch = MemoryScheduleStore() if rows else sched  # a preview writes nothing
            if rows:
                await import_people(scratch, rows)
            seen = await preview(scratch, parse_spec(body), catalog, now)
            print(json.dumps(seen.as_json(), indent=2, ensure_ascii=False))
            return 0
        if rows:
            await import_people(sched, rows)
        record, seen = await create(sched, body, catalog, now)
        print(f"created campaign {record.id} (draft) for {seen.count} people: {dict(seen.by_locale)}")
        return 0
    if action == "list":
        for record in await sched.campaigns():
            shown = results(await sched.progress(record.id), record.status)
            name = record.spec.get("name", "")
            print(
                f"{record.id}\t{record.status}\tplanned {shown['planned']} sent {shown['sent']} "
                f"pending {shown['pending']} replied {shown['replied']} converted {shown['converted']}\t{name}"
            )
        return 0
    if action in MOVES:
        try:
            moved = await move(sched, target, action)
        except MoveRefused as exc:
            raise CampaignError(str(exc)) from None
        extra = f" ({moved.cancelled_sends} waiting sends cancelled)" if action == "cancel" else ""
        print(f"campaign {target} {moved.record.status}{extra}: a running Parley plans and sends it")
        return 0
    record = await sched.campaign(target)
    if record is None:
        raise CampaignError(f"no campaign {target!r}")
    if action == "sends":
        after = ""
        while page := await sched.waiting(target, after, 500):
            for w in page:
                print(f"{w.id}\t{w.status}\t{iso(w.due) or 'now'}")
            after = page[-1].id
        return 0
    while True:  # status
        record = await sched.campaign(target) or record
        shown = results(await sched.progress(target), record.status)
        finished = shown["planned"] - shown["pending"]
        label = f"{record.status}: sent {shown['sent']} delivered {shown['delivered']} skipped {sum(shown['skipped'].values())} failed {sum(shown['failed'].values())}"
        print(bar(finished, shown["planned"], label), end="", flush=True)
        done = record.status in ("cancelled", "done") or (record.planned_all and not shown["pending"])
        if not watch or done:
            print()
            print(json.dumps(shown, indent=2, ensure_ascii=False))
            return 0
        await asyncio.sleep(1.0)
