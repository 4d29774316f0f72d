"""The schedule gate ends a send that must not go now with a typed outcome (Skip, Defer, Lost),
and lets one that may go through to the pipeline's end."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.turn import Turn
from parley.core.schedule.gate import gate
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.sends import Defer, Lost, Scheduled, Skip
from parley.core.schedule.store import Send
from parley.core.storage.memory import MemoryStore

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
NOON = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)  # a Tuesday: outside every pack's quiet hours
NIGHT = datetime(2026, 1, 6, 23, 30, tzinfo=UTC)
ADDRESS = Address(channel="web", chat="c1", user="u1")


@pytest.fixture
async def world():
    clock = ManualClock(NOON.timestamp())
    sched, kv = MemoryScheduleStore(clock), MemoryStore(clock=clock)
    await sched.open()
    await kv.open()
    await sched.add([Send("fu:web:c1::followup:1", NOON.timestamp(), "{}")])
    [claimed] = await sched.claim(10, 60.0)
    return sched, kv, claimed


def scheduled(claimed, kind: str = "followup", **fields) -> Scheduled:
    return Scheduled(claimed.id, claimed.token, claimed.due, kind, **fields)


async def run(world, send: Scheduled, now: datetime = NOON, **profile) -> Turn:
    sched, kv, _ = world
    turn = Turn(ADDRESS, now, PERSONAS.get(), LOCALES.get("en"), profile=dict(profile))
    turn.proactive, turn.control = Reply(text="checking in", kind="proactive"), send

    async def endpoint(t: Turn) -> None:
        t.replies.append(t.proactive)

    await gate(sched, kv)(turn, endpoint)
    return turn


async def test_a_send_that_may_go_is_said_and_remembered(world):
    turn = await run(world, scheduled(world[2], anchor=NOON.timestamp()), last_inbound=1.0)
    assert [r.text for r in turn.replies] == ["checking in"]
    assert turn.state["proactive_sent"] == [world[2].id]


async def test_a_send_already_in_the_ledger_is_not_said_again(world):
    sched, kv, claimed = world
    turn = Turn(ADDRESS, NOON, PERSONAS.get(), LOCALES.get("en"), state={"proactive_sent": [claimed.id]})
    turn.control = scheduled(claimed)
    said = []
    await gate(sched, kv)(turn, lambda t: said.append(t))
    assert said == []


async def test_opted_out_is_a_skip_with_its_reason(world):
    with pytest.raises(Skip) as skipped:
        await run(world, scheduled(world[2]), consent={"marketing": False})
    assert skipped.value.reason == "opted_out"


async def test_a_reply_after_the_follow_up_was_planned_skips_it(world):
    with pytest.raises(Skip) as skipped:
        await run(world, scheduled(world[2], anchor=100.0), last_inbound=200.0)
    assert skipped.value.reason == "replied"


async def test_marketing_over_the_frequency_cap_skips(world):
    sent = [NOON.timestamp() - 3600]
    consent = {"marketing": True}
    with pytest.raises(Skip) as skipped:
        await run(world, scheduled(world[2], "marketing", cap=1), consent=consent, marketing_sent=sent)
    assert skipped.value.reason == "frequency_cap"
    turn = await run(world, scheduled(world[2], "marketing", cap=2), consent=consent, marketing_sent=sent)
    assert len(turn.profile["marketing_sent"]) == 2


async def test_quiet_hours_defer_to_the_next_allowed_moment(world):
    with pytest.raises(Defer) as deferred:
        await run(world, scheduled(world[2], tz="UTC"), now=NIGHT)
    quiet_end = LOCALES.get("en").head.quiet_hours[1]
    hour, minute = (int(x) for x in quiet_end.split(":"))
    assert deferred.value.until == datetime(2026, 1, 7, hour, minute, tzinfo=UTC).timestamp()


async def test_a_reminder_is_not_held_by_quiet_hours(world):
    turn = await run(world, scheduled(world[2], "reminder", tz="UTC"), now=NIGHT)
    assert [r.text for r in turn.replies] == ["checking in"]


async def test_a_send_no_longer_held_is_lost(world):
    sched, _, claimed = world
    await sched.cancel(claimed.id)
    with pytest.raises(Lost):
        await run(world, scheduled(claimed))


async def test_the_sms_consent_record_counts_too(world):
    _, kv, claimed = world
    await kv.put(f"consent:{ADDRESS.person}", json.dumps({"status": "opted_out"}))
    with pytest.raises(Skip) as skipped:
        await run(world, scheduled(claimed))
    assert skipped.value.reason == "opted_out"


async def test_an_ordinary_proactive_turn_passes_the_gate(world):
    sched, kv, _ = world
    turn = Turn(ADDRESS, NIGHT, PERSONAS.get(), LOCALES.get("en"))
    said = []

    async def endpoint(t: Turn) -> None:
        said.append(t)

    await gate(sched, kv)(turn, endpoint)
    assert said == [turn]
