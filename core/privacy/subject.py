"""A data subject's rights, in one place for the admin API and the console: everything held
about a person (export), and erasing it (the conversation store and the people index)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from parley.core.schedule.people_search import with_tag, without_tag
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store


async def export(store: Store, sched: ScheduleStore, person: str) -> dict[str, Any] | None:
    """Profile, conversations, queued messages and index entry; None when nothing is held."""
    body = await store.export_person(person)
    entry = await sched.person(person)
    body["index"] = json.loads(entry.to_json()) if entry else None
    body["leads"] = [json.loads(x.to_json()) for x in await store.person_leads(person)]
    if not body.get("profile") and not body.get("conversations") and entry is None:
        return None
    return body


async def erase(store: Store, sched: ScheduleStore, person: str) -> int:
    """Records removed."""
    return await store.erase_person(person) + await sched.forget_person(person) + await store.forget_leads(person)


async def retag(store: Store, sched: ScheduleStore, person: str, tag: str, on: bool) -> tuple[str, ...]:
    """Tag or untag a person, case-insensitively, in their profile (what the next turn indexes)
    and in the index (what audiences and searches read now). Returns the tags after."""
    profile = await store.profile(person)
    entry = await sched.person(person)
    # Someone imported who never wrote has tags in the index only.
    before = tuple(str(t) for t in profile["tags"]) if "tags" in profile else (entry.tags if entry else ())
    after = with_tag(before, tag) if on else without_tag(before, tag)
    if profile:
        profile["tags"] = list(after)
        await store.save_profile(person, profile)
    if entry is not None:
        await sched.put_person(replace(entry, tags=after))
    return after
