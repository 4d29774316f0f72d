"""Retention (PARLEY_RETENTION__*): nonsense and 0 are refused at start and by ``check`` with
one line naming the variable; the job removes what is older than each setting, in batches,
erasing silent people whole (audited, counted in /metrics) and leaving analytics counters."""

from __future__ import annotations

import json

import pytest
from parley.core.analytics.memory import MemoryAnalyticsStore
from parley.core.analytics.store import Cell
from parley.core.config.settings import Retention
from parley.core.http.metrics import Metrics
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Reply
from parley.core.privacy.retention import Removed, RetentionJob
from parley.core.privacy.subject import Subject
from parley.core.schedule.sqlite import SQLiteScheduleStore
from parley.core.schedule.store import PersonEntry, Send
from parley.core.storage.accounts import AuditEntry
from parley.core.storage.leads import LeadRecord
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import OutboxItem, Sent

from tests.integration.test_cli import bot
from tests.integration.test_startup_errors import one_line

DAY = 86400.0


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PARLEY_RETENTION__CONVERSATIONS_DAYS", "0", "1 or more"),
        ("PARLEY_RETENTION__LEADS_DAYS", "-5", "1 or more"),
        ("PARLEY_RETENTION__SENDS_DAYS", "a week", "valid integer"),
        ("PARLEY_RETENTION__AUDIT_DAYS", "99999", "less than or equal to 36500"),
    ],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_nonsense_is_refused_at_start_and_by_check(command, variable, value, says):
    line = one_line(bot(command, env={variable: value, "PARLEY_STORE_URL": "memory://"}))
    assert variable in line and says in line


@pytest.fixture
async def stores(tmp_path):
    clock = ManualClock(1_764_583_200.0)
    store = SQLiteStore(tmp_path / "r.db", clock)
    sched = SQLiteScheduleStore(store.path, clock, share=store)
    analytics = MemoryAnalyticsStore()
    for part in (store, sched, analytics):
        await part.open()
    yield store, sched, analytics, clock
    for part in (analytics, sched, store):
        await part.close()


async def test_the_job_removes_what_is_older_than_each_setting_and_nothing_else(stores):
    store, sched, analytics, clock = stores
    now = clock()
    old, fresh = Address(channel="sms", chat="+15550001"), Address(channel="sms", chat="+15550002")
    for n, (address, seen) in enumerate([(old, now - 40 * DAY), (fresh, now - 2 * DAY)]):
        await sched.put_person(PersonEntry(address.person, address, "en", last_seen=seen))
        await store.save_profile(address.person, {"name": f"P{n}"})
        await store.put(f"case:lead:l{n}", json.dumps({"id": f"l{n}", "kind": "lead", "opened": seen}))
        await store.audit(AuditEntry(seen, "ann", "person.tag", f"person#{n}"))
        await sched.add([Send(f"c:spring:{address.person}:0", seen)])
        desk = Address(channel="slack", chat=f"D{n}")  # not a person the sweep erases
        await store.enqueue([OutboxItem(f"o{n}", desk, Reply(text="card"), seen)])
    for claimed in await sched.claim(10, 30, now):
        await sched.ack(claimed.id, claimed.token, "sent")
    for item in await store.claim(now, 10, 30):
        await store.settle(item.id, item.token, Sent(), now - (40 * DAY if item.id == "o0" else 0))
    await analytics.add({Cell("2025-10-01", "sms", "en", "demo", "conversations"): (1.0, 1)})
    # The sales pipeline's records of someone who stays: the old lead goes, the recent one stays.
    for lead, created in (("ld-old", now - 40 * DAY), ("ld-new", now - 2 * DAY)):
        await store.put_lead(
            LeadRecord(lead, fresh.person, fresh.conversation, "sms", "sms", "en", "sales", "", created)
        )

    metrics = Metrics()
    config = Retention(conversations_days=30, leads_days=30, sends_days=30, audit_days=30, batch=1)
    job = RetentionJob(config, Subject(store, sched, analytics, clock), clock, metrics)
    sweep = await job.sweep()

    assert sweep.removed == {
        Removed.PEOPLE: 1,
        Removed.LEAD_CASES: 1,
        Removed.LEADS: 1,
        Removed.SENDS: 1,
        Removed.OUTBOX: 1,
        Removed.AUDIT: 1,
    }
    assert await sched.person(old.person) is None and await store.profile(old.person) == {}
    assert await sched.person(fresh.person) and await store.profile(fresh.person) == {"name": "P1"}
    assert await store.get("case:lead:l0") is None and await store.get("case:lead:l1")
    assert await sched.status(f"c:spring:{fresh.person}:0") == "sent"
    assert (await store.outbox_stats()).sent == 1  # o1, sent today
    entries = await store.audit_log(10)
    # The old tag entry went; the erasure is recorded under "retention" with its reason.
    assert [(e.actor, e.action, e.reason) for e in entries if e.actor != "ann"] == [
        ("retention", "person.erase", "silent over 30 days")
    ]
    assert [e.target for e in entries if e.actor == "ann"] == ["person#1"]
    assert (await analytics.rows("2025-10-01", "2025-10-01", "sms", "en", "demo"))[0].value == 1.0  # aggregates stay
    assert metrics.retention_removed.labels("people")._value.get() == 1
    assert [x.id for x in await store.person_leads(fresh.person)] == ["ld-new"]
    assert metrics.retention_removed.labels("leads")._value.get() == 1
    assert (await job.sweep()).total == 0  # nothing older left: the next run removes nothing


async def test_unset_keeps_everything(stores):
    store, sched, analytics, clock = stores
    address = Address(channel="sms", chat="+15550001")
    await sched.put_person(PersonEntry(address.person, address, "en", last_seen=clock() - 3650 * DAY))
    await store.audit(AuditEntry(0.0, "ann", "person.tag"))
    job = RetentionJob(Retention(), Subject(store, sched, analytics, clock), clock)
    assert not Retention().configured and (await job.sweep()).total == 0
    assert await sched.person(address.person) and len(await store.audit_log(5)) == 1
