"""``bot.py people export PERSON`` and ``bot.py people erase PERSON``: privacy requests from the
command line, against the stores ``PARLEY_STORE_URL`` names (the running bot sees the result at
once), audited like the admin API's under the operating-system user who ran them."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from parley.core.analytics.service import open_analytics
from parley.core.config.settings import Settings
from parley.core.privacy.audit import Operator, Via, clean_reason
from parley.core.privacy.subject import Busy, Subject
from parley.core.schedule.service import open_schedule
from parley.core.storage import open_store
from parley.core.storage.startup import open_when_ready


@asynccontextmanager
async def opened_subject(settings: Settings) -> AsyncIterator[Subject]:
    """A Subject over the stores the settings name, opened for a command and closed after."""
    store = open_store(settings.store_url)
    await open_when_ready(store, settings.store_wait)
    sched = open_schedule(settings.scheduler.store_url or settings.store_url, store, time.time)
    analytics = open_analytics(settings.store_url, store)
    await sched.open()
    await analytics.open()
    try:
        yield Subject(store, sched, analytics, time.time)
    finally:
        await analytics.close()
        await sched.close()
        await store.close()


async def people_cli(settings: Settings, action: str, person: str, reason: str, out: str) -> int:
    by = Operator(f"cli:{getpass.getuser()}", Via.CLI, clean_reason(reason))
    async with opened_subject(settings) as subject:
        if action == "export":
            body = await subject.export(person, by)
            if body is None:
                print(f"parley: no data held about {person}", file=sys.stderr)
                return 1
            text = json.dumps(body, ensure_ascii=False, indent=2)
            if out:
                await asyncio.to_thread(Path(out).write_text, text, encoding="utf-8")
                print(f"export: {out}")
            else:
                print(text)
            return 0
        try:
            erased = await subject.erase(person, by)
        except Busy:
            print("parley: a conversation of this person is busy; try again", file=sys.stderr)
            return 1
        if erased is None:
            print(f"parley: no data held about {person}", file=sys.stderr)
            return 1
        print(f"erase: {erased.removed} records, {erased.identities} identities, {erased.conversations} conversations")
        return 0
