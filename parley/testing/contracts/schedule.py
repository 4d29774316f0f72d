"""The contract every ``ScheduleStore`` keeps: insert-if-new planning, claims in due order with
fencing tokens, acks, reschedules, cancellation tombstones, campaign records and the people index.

Run it against your own by subclassing ``ScheduleStoreContract`` and providing a
``schedule_store`` fixture:

    class TestMyScheduleStore(ScheduleStoreContract):
        @pytest.fixture
        async def schedule_store(self):
            store = MyScheduleStore()
            await store.open()
            yield store
            await store.close()
"""

from __future__ import annotations

import pytest

from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address
from parley.core.schedule.store import (
    MAX_CLAIM,
    CampaignRecord,
    PersonEntry,
    Send,
    campaign_send_id,
    followup_id,
    person_of_send,
)
from parley.testing.contracts.people import PeopleSearchContract

T0 = ManualClock().now


def c(n: int, step: int = 0) -> str:
    return campaign_send_id("spring", f"web:p{n}", step)


class ScheduleStoreContract(PeopleSearchContract):
    """Subclass and provide ``schedule_store``: an opened store, closed after the test. The suite
    passes times explicitly (``now=``), so the store's own clock does not matter."""

    async def test_add_is_insert_if_new_and_counts_planned(self, schedule_store):
        assert await schedule_store.add([Send(c(1), T0), Send(c(2), T0 + 5)]) == 2
        assert await schedule_store.add([Send(c(1), T0 + 99), Send(c(3), T0)]) == 1
        assert (await schedule_store.progress("spring"))["planned"] == 3
        assert await schedule_store.status(c(1)) == "due"
        assert await schedule_store.status("c:spring:web:nobody:0") is None

    async def test_claim_takes_due_in_order_with_a_fresh_token(self, schedule_store):
        await schedule_store.add([Send(c(1), T0 + 2), Send(c(2), T0 + 1), Send(c(3), T0 + 50)])
        first = await schedule_store.claim(10, 30, now=T0 + 10)
        assert [x.id for x in first] == [c(2), c(1)]
        assert first[0].due == pytest.approx(T0 + 1)
        assert await schedule_store.claim(10, 30, now=T0 + 10) == []  # leased, not due twice
        await schedule_store.add([Send(c(4), T0)])
        again = await schedule_store.claim(10, 30, now=T0 + 11)
        assert [x.id for x in again] == [c(4)] and again[0].token > first[0].token

    async def test_claim_is_bounded(self, schedule_store):
        await schedule_store.add([Send(c(n), T0) for n in range(150)])
        assert len(await schedule_store.claim(500, 30, now=T0)) == MAX_CLAIM  # a bounded script per call

    async def test_expired_lease_is_claimed_again_and_the_old_token_is_fenced(self, schedule_store):
        await schedule_store.add([Send(c(1), T0)])
        [old] = await schedule_store.claim(10, 30, now=T0)
        assert await schedule_store.holds(c(1), old.token)
        [new] = await schedule_store.claim(10, 30, now=T0 + 31)
        assert new.token > old.token
        assert not await schedule_store.holds(c(1), old.token)
        assert not await schedule_store.ack(c(1), old.token, "sent")
        assert await schedule_store.ack(c(1), new.token, "sent")
        assert await schedule_store.status(c(1)) == "sent"
        assert (await schedule_store.progress("spring"))["sent"] == 1

    async def test_ack_many_acks_only_what_it_holds(self, schedule_store):
        await schedule_store.add([Send(c(n), T0) for n in range(3)])
        batch = await schedule_store.claim(10, 30, now=T0)
        acks = [(x.id, x.token, "sent") for x in batch[:2]] + [(batch[2].id, batch[2].token + 99, "sent")]
        assert await schedule_store.ack_many(acks) == 2
        assert await schedule_store.ack_many([]) == 0
        assert (await schedule_store.progress("spring"))["sent"] == 2
        assert await schedule_store.status(c(2)) == "inflight" or await schedule_store.status(batch[2].id) == "inflight"

    async def test_finished_sends_are_never_planned_again(self, schedule_store):
        await schedule_store.add([Send(c(1), T0)])
        [x] = await schedule_store.claim(10, 30, now=T0)
        await schedule_store.ack(c(1), x.token, "skipped:quiet")
        assert await schedule_store.add([Send(c(1), T0)]) == 0
        assert await schedule_store.claim(10, 30, now=T0 + 100) == []
        assert (await schedule_store.progress("spring"))["skipped:quiet"] == 1

    async def test_reschedule_puts_it_back_for_later(self, schedule_store):
        fu = followup_id("web:c1:", "reminder", 1000)
        await schedule_store.add([Send(fu, T0, data='{"text":"hi"}')])
        [x] = await schedule_store.claim(10, 30, now=T0)
        assert x.data == '{"text":"hi"}'
        assert await schedule_store.reschedule(fu, x.token, T0 + 3600)
        assert not await schedule_store.reschedule(fu, x.token, T0)  # the token was used up
        assert await schedule_store.claim(10, 30, now=T0 + 3599) == []
        [y] = await schedule_store.claim(10, 30, now=T0 + 3600)
        assert y.data == '{"text":"hi"}' and y.token > x.token

    async def test_cancel_leaves_a_tombstone(self, schedule_store):
        await schedule_store.add([Send(c(1), T0), Send(c(2), T0)])
        assert await schedule_store.cancel(c(1))
        assert await schedule_store.add([Send(c(1), T0)]) == 0
        assert [x.id for x in await schedule_store.claim(10, 30, now=T0)] == [c(2)]
        assert await schedule_store.status(c(1)) == "cancelled"
        assert not await schedule_store.cancel("c:spring:web:never:0")
        assert await schedule_store.add([Send("c:spring:web:never:0", T0)]) == 0  # cancelled before planning

    async def test_cancel_racing_a_claim_fences_the_claimer(self, schedule_store):
        await schedule_store.add([Send(c(1), T0)])
        [x] = await schedule_store.claim(10, 30, now=T0)
        assert await schedule_store.cancel(c(1))
        assert not await schedule_store.holds(c(1), x.token)
        assert not await schedule_store.ack(c(1), x.token, "sent")
        assert not await schedule_store.reschedule(c(1), x.token, T0 + 5)
        assert await schedule_store.claim(10, 30, now=T0 + 100) == []
        assert "sent" not in await schedule_store.progress("spring")

    async def test_campaign_records_and_counters(self, schedule_store):
        await schedule_store.put_campaign(CampaignRecord("spring", {"kind": "marketing"}, created_at=1.0))
        await schedule_store.put_campaign(CampaignRecord("autumn", {}, status="running"))
        record = await schedule_store.campaign("spring")
        assert record.spec == {"kind": "marketing"} and record.status == "draft"
        assert [r.id for r in await schedule_store.campaigns()] == ["autumn", "spring"]
        assert await schedule_store.campaign("nope") is None
        await schedule_store.count("spring", "delivered")
        await schedule_store.count("spring", "delivered", 2)
        assert (await schedule_store.progress("spring"))["delivered"] == 3

    async def test_people_index_pages_in_order(self, schedule_store):
        for n in (3, 1, 2):
            address = Address(channel="web", chat=f"c{n}", user=f"p{n}")
            await schedule_store.put_person(
                PersonEntry(address.person, address, "en", "Europe/Paris", ("vip",), 5.0, True)
            )
        page = await schedule_store.people("", 2)
        assert [p.person for p in page] == ["web:p1", "web:p2"]
        assert page[0].tags == ("vip",) and page[0].address.chat == "c1" and page[0].consent is True
        assert [p.person for p in await schedule_store.people("web:p2", 10)] == ["web:p3"]
        assert await schedule_store.forget_person("web:p1") == 1
        assert await schedule_store.person("web:p1") is None
        assert (await schedule_store.person("web:p2")).tz == "Europe/Paris"

    async def test_due_at_says_when_a_waiting_send_goes(self, schedule_store):
        await schedule_store.add([Send(c(1), T0 + 60), Send(c(2), T0)])
        assert await schedule_store.due_at(c(1)) == pytest.approx(T0 + 60)
        [x] = await schedule_store.claim(10, 30, now=T0)
        assert await schedule_store.due_at(c(2)) is None  # in flight: a dispatcher has it now
        await schedule_store.ack(c(2), x.token, "sent")
        assert await schedule_store.due_at(c(2)) is None
        assert await schedule_store.due_at("c:spring:web:nobody:0") is None

    async def test_waiting_lists_one_campaigns_unfinished_sends_in_id_order(self, schedule_store):
        await schedule_store.add([Send(c(n), T0 + n) for n in range(5)])
        await schedule_store.add([Send(campaign_send_id("springtime", "web:p1"), T0 + 100)])  # a longer id
        await schedule_store.add([Send(followup_id("web:c1:", "followup", 1), T0 + 100)])
        [first] = await schedule_store.claim(1, 30, now=T0)
        await schedule_store.ack(first.id, first.token, "sent")  # finished: no longer waiting
        [held] = await schedule_store.claim(1, 30, now=T0 + 1)
        rows = await schedule_store.waiting("spring", "", 10)
        assert [w.id for w in rows] == sorted(c(n) for n in range(5) if c(n) != first.id)
        assert {w.id: w.status for w in rows}[held.id] == "inflight"
        assert {w.id: w.due for w in rows}[c(4)] == pytest.approx(T0 + 4)
        page = await schedule_store.waiting("spring", rows[0].id, 2)
        assert [w.id for w in page] == [w.id for w in rows[1:3]]

    async def test_cancel_campaign_leaves_nothing_pending(self, schedule_store):
        await schedule_store.add([Send(c(n), T0) for n in range(120)])
        [x] = await schedule_store.claim(1, 30, now=T0)
        await schedule_store.ack(x.id, x.token, "sent")
        await schedule_store.add([Send(campaign_send_id("other", "web:p1"), T0)])
        assert await schedule_store.cancel_campaign("spring") == 119
        assert await schedule_store.waiting("spring", "", 500) == []
        counts = await schedule_store.progress("spring")
        assert counts["planned"] == 120 and counts["sent"] == 1 and counts["skipped:cancelled"] == 119
        assert await schedule_store.add([Send(c(7), T0)]) == 0  # tombstones: no re-plan
        assert [s.id for s in await schedule_store.claim(10, 30, now=T0)] == [campaign_send_id("other", "web:p1")]
        assert await schedule_store.cancel_campaign("spring") == 0

    async def test_stats_count_waiting_and_in_flight_sends_and_the_oldest_due(self, schedule_store):
        empty = await schedule_store.stats(T0)
        assert (empty.due_now, empty.scheduled, empty.inflight, empty.oldest_due) == (0, 0, 0, None)
        await schedule_store.add([Send(c(1), T0 - 60), Send(c(2), T0 - 10), Send(c(3), T0 + 60), Send(c(4), T0 - 5)])
        await schedule_store.claim(1, 30, now=T0)  # the oldest (c1) is now in flight
        stats = await schedule_store.stats(T0)
        assert (stats.due_now, stats.scheduled, stats.inflight) == (2, 1, 1)
        assert stats.oldest_due == pytest.approx(T0 - 10)

    async def test_people_keep_their_custom_fields(self, schedule_store):
        address = Address(channel="web", chat="c1", user="p1")
        await schedule_store.put_person(PersonEntry(address.person, address, fields={"plan": "Gold"}))
        assert (await schedule_store.person("web:p1")).fields == {"plan": "Gold"}

    def test_send_ids_round_trip(self):
        assert person_of_send(campaign_send_id("k", "telegram:42", 3)) == "telegram:42"
