"""The privacy contract: a person seeded into every place Parley keeps something about someone
(profile, conversations and their locks, inbox, outbox, key/value records, dedupe ids, cases and
leads, the desk's card, the people index and its search rows, campaign sends and audiences,
follow-ups, the knowledge-gap questions), then erased; afterwards a scan of *everything* the
stores hold (every table, every Redis key and value) finds no id, handle, phone, email or name of
theirs, while a neighbour whose id merely starts the same is untouched.

Subclass ``PrivacyContract`` and provide ``stores`` (an opened ``Stores``, closed after) and
``scan`` (an async function returning every stored key and value as text). Parley's memory,
SQLite and Redis stores run it in tests/contract/test_privacy_contract.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

import pytest

from parley.core.analytics.store import AnalyticsStore
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.privacy.audit import Operator, Via
from parley.core.privacy.subject import Busy, Subject
from parley.core.schedule.store import CampaignRecord, PersonEntry, ScheduleStore, Send
from parley.core.storage.accounts import AuditEntry
from parley.core.storage.leads import LeadRecord
from parley.core.storage.privacy import Expiring
from parley.core.storage.store import InboxItem, OutboxItem, Sent, Store

PHONE, EMAIL, NAME = "+15550142", "ana.ruiz@example.com", "Ana Ruiz"
ANA = Address(channel="sms", chat=PHONE, user=PHONE)
ANA_THREAD = Address(channel="sms", chat=PHONE, user=PHONE, thread="t2")
NEIGHBOUR = Address(channel="sms", chat=PHONE + "9", user=PHONE + "9")  # "sms:+155501429"
DESK = Address(channel="slack", chat="CDESK")
DPO = Operator("dpo", Via.API, "request 2026-118")


@dataclass
class Stores:
    store: Store
    sched: ScheduleStore
    analytics: AnalyticsStore
    clock: ManualClock


def traces(text: str) -> list[str]:
    """Ana's identifiers found in ``text`` as whole tokens (the neighbour's longer number is not hers)."""
    needles = [re.escape(PHONE.lstrip("+")), re.escape(EMAIL), re.escape(NAME)]
    return re.findall(rf"(?<![\w.])(?:{'|'.join(needles)})(?![\w@])", text, re.IGNORECASE)


def item(address: Address, event: str, at: float, text: str) -> InboxItem:
    inbound = Inbound(address=address, event_id=event, text=text, user_name=NAME if address != NEIGHBOUR else "")
    return InboxItem(f"{address.channel}:{event}", address.conversation, inbound, at)


async def turn(s: Stores, address: Address, event: str, state: dict, profile: dict, replies: list[OutboxItem]) -> None:
    await s.store.accept(item(address, event, s.clock(), "hello, I'm " + NAME), 86400)
    batch = await s.store.begin(address.conversation, 30, 10, s.clock())
    assert batch is not None
    await s.store.commit(
        address.conversation, batch.token, batch.items[0].id, state, {address.person: profile}, replies, release=True
    )


async def seed(s: Stores) -> None:
    st, now = s.store, s.clock()
    lead = {"name": NAME, "contact": EMAIL, "need": "a refund", "case": "ld1"}
    state = {
        "history": [{"who": "user", "text": f"I'm {NAME}, mail me at {EMAIL}", "at": "2025-12-01T10:00:00"}],
        "lead": lead,
        "handoff": {"status": "ended", "case": "ho1"},
        "csat_scores": [{"case": "ho1", "score": 5}],
    }
    profile = {"name": NAME, "email": EMAIL, "cases": ["lead:ld1", "handoff:ho1"], "consent": {"marketing": True}}
    reply = OutboxItem("sms:e1:r0", ANA, Reply(text=f"Thanks {NAME}!"), now)
    await turn(s, ANA, "e1", state, profile, [reply])
    await turn(s, ANA_THREAD, "e2", {"history": [{"who": "user", "text": "thread"}]}, profile, [])
    await st.accept(item(ANA, "e3", now, "a message not answered yet"), 86400)  # still in the inbox
    await st.accept(item(ANA, f"status:{PHONE}:1", now, "receipt"), 86400)  # a dedupe id with her number
    # The desk's lead card: to the desk, about her (the reply's meta names the case).
    card = Reply(text=f"New lead: {NAME} <{EMAIL}>", kind="system", meta={"desk_ref": "lead:ld1"})
    await st.enqueue([OutboxItem("sms:e1:r1", DESK, card, now)])
    for claimed in await st.claim(now, 10, 30):
        if claimed.address == DESK:
            await st.settle(claimed.id, claimed.token, Sent("m1"), now)
    for key, value in {
        f"consent:{ANA.person}": json.dumps({"status": "opted_in", "at": now, "source": "sms:start"}),
        f"unreachable:{ANA.person}": "blocked",
        f"attempt:c:spring:{ANA.person}:0": "1",
        "case:lead:ld1": json.dumps(
            {"id": "ld1", "kind": "lead", "address": ANA.model_dump(), "opened": now, "contact": EMAIL, "name": NAME}
        ),
        "case:handoff:ho1": json.dumps(
            {"id": "ho1", "kind": "handoff", "address": ANA.model_dump(), "opened": now, "csat": 5}
        ),
        "slack:deskcard:handoff:ho1": "1733050000.000100",
    }.items():
        await st.put(key, value)
    await st.put_lead(LeadRecord("ld1", ANA.person, ANA.conversation, "sms", "sms", "en", "sales", NAME, now))
    await s.sched.put_person(PersonEntry(ANA.person, ANA, "en", "", ("vip",), now, True, NAME, {"email": EMAIL}))
    await s.sched.put_campaign(
        CampaignRecord(
            "spring", {"audience": {"persons": [ANA.person, NEIGHBOUR.person]}}, "running", cursor=ANA.person
        )
    )
    await s.sched.put_campaign(CampaignRecord("autumn", {}))
    await s.sched.add(
        [
            Send(f"c:spring:{ANA.person}:0", now + 3600),
            Send(f"c:spring:{ANA.person}:1", now + 7200),
            Send(f"fu:{ANA.conversation}:followup:1", now + 60, json.dumps({"text": f"Hi {NAME}"})),
        ]
    )
    await s.sched.add([Send(f"c:autumn:{ANA.person}:0", now - 1)])
    for claimed in await s.sched.claim(10, 30, now):
        await s.sched.ack(claimed.id, claimed.token, "sent")  # a finished send
    await s.sched.cancel(f"c:spring:{ANA.person}:1")  # a tombstone
    await s.analytics.add_questions(
        "2025-12-01", {("en", f"{NAME} here, where is my refund?"): 1, ("en", "do you ship to Canada?"): 3}
    )


async def seed_neighbour(s: Stores) -> None:
    now = s.clock()
    reply = OutboxItem("sms:n1:r0", NEIGHBOUR, Reply(text="Hello"), now)
    await turn(s, NEIGHBOUR, "n1", {"history": [{"who": "user", "text": "hi"}]}, {"name": "Bo"}, [reply])
    await s.store.put(f"consent:{NEIGHBOUR.person}", json.dumps({"status": "opted_in"}))
    await s.sched.put_person(PersonEntry(NEIGHBOUR.person, NEIGHBOUR, "en", last_seen=now, name="Bo Lind"))
    await s.sched.add([Send(f"c:spring:{NEIGHBOUR.person}:0", now + 3600)])


class PrivacyContract:
    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(1_764_583_200.0)  # 2025-12-01

    def subject(self, s: Stores, wait: float = 5.0) -> Subject:
        return Subject(s.store, s.sched, s.analytics, s.clock, wait=wait)

    async def test_the_scan_sees_a_seeded_person(self, stores, scan):
        await seed(stores)
        found = " ".join(traces(await scan()))
        assert PHONE.lstrip("+") in found and EMAIL in found and NAME in found

    async def test_erase_leaves_nothing_that_names_them(self, stores, scan):
        await seed(stores)
        await seed_neighbour(stores)
        erased = await self.subject(stores).erase(ANA.person, DPO)
        assert erased is not None and erased.conversations == 2 and erased.removed >= 15
        assert traces(await scan()) == []
        # The neighbour, whose id starts with hers, keeps everything.
        s = stores
        assert (await s.store.profile(NEIGHBOUR.person))["name"] == "Bo"
        assert await s.store.get(f"consent:{NEIGHBOUR.person}") and await s.sched.person(NEIGHBOUR.person)
        assert await s.sched.status(f"c:spring:{NEIGHBOUR.person}:0") == "due"
        spring = await s.sched.campaign("spring")
        assert spring.spec["audience"]["persons"] == [NEIGHBOUR.person] and ANA.person not in spring.cursor
        assert (await s.sched.progress("spring")).get("skipped:erased") == 1  # the waiting send, counted
        assert [q.text for q in await s.analytics.questions("2025-12-01", "2025-12-01", 10)] == [
            "do you ship to Canada?"
        ]
        # Idempotent: a second erasure finds nothing and says so.
        assert await self.subject(stores).erase(ANA.person, DPO) is None

    async def test_export_holds_everything_about_them(self, stores):
        await seed(stores)
        body = await self.subject(stores).export(ANA.person, DPO)
        assert body["identities"] == [ANA.person]
        assert body["profiles"][ANA.person]["email"] == EMAIL
        assert set(body["conversations"]) == {ANA.conversation, ANA_THREAD.conversation}
        assert set(body["cases"]) == {"lead:ld1", "handoff:ho1"} and body["cases"]["lead:ld1"]["contact"] == EMAIL
        assert [(lead["id"], lead["name"]) for lead in body["leads"]] == [("ld1", NAME)]
        assert body["feedback"] == [{"conversation": ANA.conversation, "case": "ho1", "score": 5}]
        assert body["consent"][ANA.person]["channel"]["status"] == "opted_in"
        statuses = {w.id: w.status for w in await stores.sched.person_sends([ANA.person], [ANA.conversation])}
        assert {s["id"]: s["status"] for s in body["sends"]} == statuses and len(statuses) == 4
        assert body["unanswered_questions"][0]["text"].startswith(NAME)
        assert json.loads(json.dumps(body)) == body  # one JSON document

    async def test_erase_waits_for_a_turn_in_flight_and_no_turn_writes_them_back(self, stores, scan):
        await seed(stores)
        s = stores
        await s.store.accept(item(ANA, "e9", s.clock(), f"{NAME} again"), 86400)
        batch = await s.store.begin(ANA.conversation, 30, 10, s.clock())  # a turn holds the lock
        erasing = asyncio.ensure_future(self.subject(stores).erase(ANA.person, DPO))
        await asyncio.sleep(0.2)
        assert not erasing.done()  # waiting for the turn
        state = {"history": [{"who": "user", "text": f"{NAME} again"}]}
        await s.store.commit(
            ANA.conversation, batch.token, batch.items[0].id, state, {ANA.person: {"name": NAME}}, [], release=True
        )
        assert (await erasing) is not None
        assert traces(await scan()) == []

    async def test_a_conversation_locked_too_long_is_busy_and_nothing_is_erased(self, stores):
        await seed(stores)
        s = stores
        assert await s.store.begin(ANA.conversation, 30, 10, s.clock()) is not None  # never released
        with pytest.raises(Busy):
            await self.subject(stores, wait=0.2).erase(ANA.person, DPO)
        assert (await s.store.profile(ANA.person))["email"] == EMAIL
        assert await s.store.begin(ANA_THREAD.conversation, 30, 10, s.clock()) is not None  # the other lock was freed

    async def test_an_unknown_person_is_none_and_recorded(self, stores):
        subject = self.subject(stores)
        assert await subject.erase("sms:+10000000", DPO) is None
        assert await subject.export("sms:+10000000", DPO) is None
        entries = await stores.store.audit_log(5)
        assert [(e.action, e.detail, e.reason) for e in entries] == [
            ("person.export", "nothing held", DPO.reason),
            ("person.erase", "nothing held", DPO.reason),
        ]
        pseudonym = await subject.audit.pseudonyms.of("sms:+10000000")
        assert all(e.target == pseudonym for e in entries) and "10000000" not in repr(entries)

    async def test_retention_expires_the_oldest_in_batches(self, stores):
        st, now, day = stores.store, stores.clock(), 86400.0
        for n in range(5):
            await st.audit(AuditEntry(now - (5 - n) * day, "ann", "person.tag", str(n)))
        assert await st.expire(Expiring.AUDIT, now - 2.5 * day, 2) == 2
        assert await st.expire(Expiring.AUDIT, now - 2.5 * day, 2) == 1
        assert [e.target for e in await st.audit_log(10)] == ["4", "3"]
        for n, opened in enumerate([now - 10 * day, now - 9 * day, now]):
            await st.put(f"case:lead:l{n}", json.dumps({"id": f"l{n}", "kind": "lead", "opened": opened}))
        assert await st.expire(Expiring.LEAD_CASES, now - day, 10) == 2
        assert await st.get("case:lead:l2") and await st.get("case:lead:l0") is None
        # The sales pipeline's records (LeadStore), oldest first, by when they were created.
        for n, created in enumerate([now - 10 * day, now - 9 * day, now]):
            await st.put_lead(LeadRecord(f"r{n}", ANA.person, ANA.conversation, "sms", "sms", "en", "x", "", created))
        assert await st.expire_leads(now - day, 1) == 1
        assert await st.expire_leads(now - day, 10) == 1
        assert await st.expire_leads(now - day, 10) == 0
        assert [x.id for x in await st.leads(None, 0, 10)] == ["r2"]
        assert [x.id for x in await st.person_leads(ANA.person)] == ["r2"]
        assert await st.forget_leads(ANA.person) == 1  # the person's own list forgot the expired ones
        await st.enqueue([OutboxItem("old", DESK, Reply(text="card"), now)])
        for claimed in await st.claim(now, 10, 30):
            await st.settle(claimed.id, claimed.token, Sent(), now - 10 * day)
        await st.enqueue([OutboxItem("new", DESK, Reply(text="card"), now)])  # pending: never expired
        assert await st.expire(Expiring.OUTBOX, now - day, 10) == 1
        assert (await st.outbox_stats()).pending == 1
        for address, seen in [(ANA, now - 10 * day), (NEIGHBOUR, now), (ANA_THREAD, 0.0)]:
            await stores.sched.put_person(PersonEntry(address.person + str(seen), address, last_seen=seen))
        assert await stores.sched.inactive(now - day, 10) == [ANA.person + str(now - 10 * day)]
