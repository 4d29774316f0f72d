"""The sampled operations gauges: outbox and schedule depth and lag, campaigns by status."""

from __future__ import annotations

from parley.core.http.metrics import Metrics
from parley.core.http.ops import OpsSampler
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Reply
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.store import CampaignRecord, Send, campaign_send_id
from parley.core.storage.memory import MemoryStore
from parley.core.storage.store import OutboxItem


async def test_the_sampler_reports_depth_lag_and_campaigns():
    clock = ManualClock()
    now = clock()
    store, sched, metrics = MemoryStore(clock=clock), MemoryScheduleStore(clock), Metrics()
    await store.open()
    a = Address(channel="web", chat="c1", user="u1")
    await store.enqueue([OutboxItem("o1", a, Reply(text="late"), now - 120), OutboxItem("o2", a, Reply(text="x"), now)])
    await sched.add([Send(campaign_send_id("k", f"web:p{n}"), now - 40 + 30 * n) for n in range(3)])
    await sched.claim(1, 30, now=now)
    await sched.put_campaign(CampaignRecord("k", {}, "running"))
    await sched.put_campaign(CampaignRecord("j", {}, "paused"))
    await OpsSampler(metrics, store, sched, clock).sample()
    value = metrics.registry.get_sample_value
    assert value("parley_outbox_items", {"status": "pending"}) == 2
    assert value("parley_outbox_oldest_due_seconds") == 120
    assert value("parley_schedule_sends", {"state": "due_now"}) == 1  # p1, due 10 s ago
    assert value("parley_schedule_sends", {"state": "scheduled"}) == 1
    assert value("parley_schedule_sends", {"state": "inflight"}) == 1
    assert value("parley_schedule_oldest_due_seconds") == 10
    assert value("parley_campaigns", {"status": "running"}) == 1 and value("parley_campaigns", {"status": "done"}) == 0
