"""The desk speaks to the customer's conversation only through the Proactive seam handed to
it, with typed events; and applies those events, typed, when they come back as proactive turns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from parley.core.config.settings import shipped
from parley.core.handoff import cases
from parley.core.handoff.desk import FOLLOWUP, Desk
from parley.core.handoff.events import AgentSaid, Claimed, Ended, Notice, Start, notice
from parley.core.handoff.hours import BusinessHours
from parley.core.http.metrics import Metrics
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.turn import Turn
from parley.core.schedule.sends import Scheduled
from parley.core.storage.memory import MemoryStore

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
NOW = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)  # a Tuesday morning: the desk is open
CUSTOMER = Address(channel="web", chat="c1", user="c1")
DESK = Address(channel="slack", chat="CDESK")


class Recorder:
    """A Proactive that records what the desk asked for instead of running turns."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def proactive(self, address, reply, send_id, control=None):
        self.calls.append((address, reply, send_id, control))
        return object()  # not busy


@pytest.fixture
async def desk():
    store = MemoryStore()
    await store.open()
    hours = BusinessHours.parse("mon-fri 09:00-18:00", "UTC")
    return Desk(store, Metrics(), hours, DESK, Recorder(), later=None)


def turn(address: Address = CUSTOMER, **fields) -> Turn:
    return Turn(address, NOW, PERSONAS.get(), LOCALES.get("en"), **fields)


async def nothing(t: Turn) -> None:
    raise AssertionError("the desk answers desk events itself")


async def opened_case(desk: Desk) -> cases.Case:
    t = turn()
    case = await desk.open(t, "asked")
    assert case is not None
    return case


async def test_a_claim_at_the_desk_becomes_a_typed_event_for_the_customer(desk):
    case = await opened_case(desk)
    click = Inbound(
        address=Address(channel="slack", chat="CDESK", user="UAGENT", thread="1.0"),
        event_id="e1",
        kind="button",
        payload=f"{case.ref}:claim",
        user_name="Ana",
        meta={"desk_ref": case.ref},
    )
    await desk(turn(click.address, inbound=click), nothing)
    assert desk.proactive.calls == [(CUSTOMER, None, f"{case.ref}:claimed", Claimed("Ana", waited=0.0))]


async def test_the_admin_api_starts_a_handoff_through_the_seam(desk):
    assert await desk.start("web:c1:")
    [(address, reply, send_id, event)] = desk.proactive.calls
    assert (address, reply, event) == (CUSTOMER, None, Start()) and send_id.startswith("ho:admin:")


async def test_events_are_applied_by_their_type(desk):
    case = await opened_case(desk)
    state = {"handoff": {"status": "queued", "case": case.id}}
    t = turn(state=state, control=AgentSaid("Ana", "Hello, I'm here"))
    await desk(t, nothing)
    assert state["handoff"]["status"] == "active" and t.replies[-1].text == "Ana: Hello, I'm here"
    t = turn(state=state, control=Ended(case.id))
    await desk(t, nothing)
    assert state["handoff"]["status"] == "ended" and state["csat"]["case"] == case.id


async def test_a_booked_timeout_comes_back_through_the_scheduler_typed(desk):
    case = await opened_case(desk)
    state = {"handoff": {"status": "queued", "case": case.id}}
    booked = Notice("timeout", case.id).booking()
    send = Scheduled("fu:web:c1::handoff:1", 1, NOW.timestamp(), "handoff", booked=booked)
    t = turn(state=state, control=send)
    await desk(t, nothing)
    assert [b.payload for r in t.replies for b in r.buttons] == [FOLLOWUP]
    stale = Scheduled("fu:web:c1::handoff:2", 1, NOW.timestamp(), "handoff", booked=Notice("timeout", "old").booking())
    t = turn(state=state, control=stale)
    await desk(t, nothing)
    assert t.replies == []  # an older case's notice says nothing


def test_bookings_stored_by_an_older_version_still_read():
    assert notice({"handoff": "followup", "case": "abc"}) == Notice("followup", "abc")
    assert notice({"event": "timeout", "case": "abc"}) == Notice("timeout", "abc")
    assert notice({"event": "something-new"}) is None


def test_a_reminder_booking_keeps_its_step():
    assert notice(Notice("remind", "abc", 3).booking()) == Notice("remind", "abc", 3)
    assert notice({"event": "remind", "case": "abc", "step": "x"}) == Notice("remind", "abc", 0)
