"""One contract suite for every ScheduleStore: memory, SQLite and Redis."""

from __future__ import annotations

import uuid

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.sqlite import SQLiteScheduleStore
from parley.core.schedule.store import (
    MAX_CLAIM,
    CampaignRecord,
    PersonEntry,
    Send,
    campaign_send_id,
    followup_id,
    person_of_send,
)

T0 = ManualClock().now


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def sched(request, tmp_path):
    if request.param == "memory":
        store = MemoryScheduleStore(clock=ManualClock())
    elif request.param == "sqlite":
        store = SQLiteScheduleStore(tmp_path / "sched.db", clock=ManualClock())
    else:
        from parley.core.schedule.redis import RedisScheduleStore

        url = request.getfixturevalue("redis_url")
        store = RedisScheduleStore(url, namespace=f"test-{uuid.uuid4().hex[:8]}")
    await store.open()
    yield store
    if request.param == "redis":
        keys = [k async for k in store.redis.scan_iter(match=store.due.rsplit(":", 1)[0] + "*")]
        if keys:
            await store.redis.delete(*keys)
    await store.close()


def c(n: int, step: int = 0) -> str:
    return campaign_send_id("spring", f"web:p{n}", step)


class TestScheduleContract:
    async def test_add_is_insert_if_new_and_counts_planned(self, sched):
        assert await sched.add([Send(c(1), T0), Send(c(2), T0 + 5)]) == 2
        assert await sched.add([Send(c(1), T0 + 99), Send(c(3), T0)]) == 1
        assert (await sched.progress("spring"))["planned"] == 3
        assert await sched.status(c(1)) == "due"
        assert await sched.status("c:spring:web:nobody:0") is None

    async def test_claim_takes_due_in_order_with_a_fresh_token(self, sched):
        await sched.add([Send(c(1), T0 + 2), Send(c(2), T0 + 1), Send(c(3), T0 + 50)])
        first = await sched.claim(10, 30, now=T0 + 10)
        assert [x.id for x in first] == [c(2), c(1)]
        assert first[0].due == pytest.approx(T0 + 1)
        assert await sched.claim(10, 30, now=T0 + 10) == []  # leased, not due twice
        await sched.add([Send(c(4), T0)])
        again = await sched.claim(10, 30, now=T0 + 11)
        assert [x.id for x in again] == [c(4)] and again[0].token > first[0].token

    async def test_claim_is_bounded(self, sched):
        await sched.add([Send(c(n), T0) for n in range(150)])
        assert len(await sched.claim(500, 30, now=T0)) == MAX_CLAIM  # a bounded script per call

    async def test_expired_lease_is_claimed_again_and_the_old_token_is_fenced(self, sched):
        await sched.add([Send(c(1), T0)])
        [old] = await sched.claim(10, 30, now=T0)
        assert await sched.holds(c(1), old.token)
        [new] = await sched.claim(10, 30, now=T0 + 31)
        assert new.token > old.token
        assert not await sched.holds(c(1), old.token)
        assert not await sched.ack(c(1), old.token, "sent")
        assert await sched.ack(c(1), new.token, "sent")
        assert await sched.status(c(1)) == "sent"
        assert (await sched.progress("spring"))["sent"] == 1

    async def test_ack_many_acks_only_what_it_holds(self, sched):
        await sched.add([Send(c(n), T0) for n in range(3)])
        batch = await sched.claim(10, 30, now=T0)
        acks = [(x.id, x.token, "sent") for x in batch[:2]] + [(batch[2].id, batch[2].token + 99, "sent")]
        assert await sched.ack_many(acks) == 2
        assert await sched.ack_many([]) == 0
        assert (await sched.progress("spring"))["sent"] == 2
        assert await sched.status(c(2)) == "inflight" or await sched.status(batch[2].id) == "inflight"

    async def test_finished_sends_are_never_planned_again(self, sched):
        await sched.add([Send(c(1), T0)])
        [x] = await sched.claim(10, 30, now=T0)
        await sched.ack(c(1), x.token, "skipped:quiet")
        assert await sched.add([Send(c(1), T0)]) == 0
        assert await sched.claim(10, 30, now=T0 + 100) == []
        assert (await sched.progress("spring"))["skipped:quiet"] == 1

    async def test_reschedule_puts_it_back_for_later(self, sched):
        fu = followup_id("web:c1:", "reminder", 1000)
        await sched.add([Send(fu, T0, data='{"text":"hi"}')])
        [x] = await sched.claim(10, 30, now=T0)
        assert x.data == '{"text":"hi"}'
        assert await sched.reschedule(fu, x.token, T0 + 3600)
        assert not await sched.reschedule(fu, x.token, T0)  # the token was used up
        assert await sched.claim(10, 30, now=T0 + 3599) == []
        [y] = await sched.claim(10, 30, now=T0 + 3600)
        assert y.data == '{"text":"hi"}' and y.token > x.token

    async def test_cancel_leaves_a_tombstone(self, sched):
        await sched.add([Send(c(1), T0), Send(c(2), T0)])
        assert await sched.cancel(c(1))
        assert await sched.add([Send(c(1), T0)]) == 0
        assert [x.id for x in await sched.claim(10, 30, now=T0)] == [c(2)]
        assert await sched.status(c(1)) == "cancelled"
        assert not await sched.cancel("c:spring:web:never:0")
        assert await sched.add([Send("c:spring:web:never:0", T0)]) == 0  # cancelled before planning

    async def test_cancel_racing_a_claim_fences_the_claimer(self, sched):
        await sched.add([Send(c(1), T0)])
        [x] = await sched.claim(10, 30, now=T0)
        assert await sched.cancel(c(1))
        assert not await sched.holds(c(1), x.token)
        assert not await sched.ack(c(1), x.token, "sent")
        assert not await sched.reschedule(c(1), x.token, T0 + 5)
        assert await sched.claim(10, 30, now=T0 + 100) == []
        assert "sent" not in await sched.progress("spring")

    async def test_campaign_records_and_counters(self, sched):
        await sched.put_campaign(CampaignRecord("spring", {"kind": "marketing"}, created_at=1.0))
        await sched.put_campaign(CampaignRecord("autumn", {}, status="running"))
        record = await sched.campaign("spring")
        assert record.spec == {"kind": "marketing"} and record.status == "draft"
        assert [r.id for r in await sched.campaigns()] == ["autumn", "spring"]
        assert await sched.campaign("nope") is None
        await sched.count("spring", "delivered")
        await sched.count("spring", "delivered", 2)
        assert (await sched.progress("spring"))["delivered"] == 3

    async def test_people_index_pages_in_order(self, sched):
        for n in (3, 1, 2):
            address = Address(channel="web", chat=f"c{n}", user=f"p{n}")
            await sched.put_person(PersonEntry(address.person, address, "en", "Europe/Paris", ("vip",), 5.0, True))
        page = await sched.people("", 2)
        assert [p.person for p in page] == ["web:p1", "web:p2"]
        assert page[0].tags == ("vip",) and page[0].address.chat == "c1" and page[0].consent is True
        assert [p.person for p in await sched.people("web:p2", 10)] == ["web:p3"]
        assert await sched.forget_person("web:p1") == 1
        assert await sched.person("web:p1") is None
        assert (await sched.person("web:p2")).tz == "Europe/Paris"

    def test_send_ids_round_trip(self):
        assert person_of_send(campaign_send_id("k", "telegram:42", 3)) == "telegram:42"
