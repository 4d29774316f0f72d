"""A store that fails inside a turn defers the turn (issue 18, item 1): nothing is committed, the
event stays in the inbox, and the customer gets one real answer once the store is back, never the
"something went wrong" text. A bug in a middleware still gets the error text (and only that)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from parley.core.config.settings import shipped
from parley.core.http.metrics import Metrics
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.engine import Engine
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.outbox import Outbox
from parley.core.kernel.turn import Turn
from parley.core.schedule.conversation import people_index
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.redis import RedisScheduleStore
from parley.core.schedule.store import PersonEntry
from parley.core.storage.memory import MemoryStore
from parley.core.storage.store import StoreUnavailable

from parley.testing.fakes.recording import RecordingChannel, context
from tests.conftest import eventually
from tests.integration.processes import free_port

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
ERROR = LOCALES.get("en").t("error")


def inbound(n: int) -> Inbound:
    address = Address(channel="rec", chat="c1", user="u1")
    return Inbound(address=address, event_id=f"e{n}", text=f"question {n}")


async def engine_with(handler) -> tuple[Engine, RecordingChannel, MemoryStore]:
    store = MemoryStore()
    await store.open()
    rec = RecordingChannel(context(), name="rec")
    metrics = Metrics()
    outbox = Outbox(store, {"rec": rec}, metrics)
    return Engine(store, handler, PERSONAS, LOCALES, outbox, metrics), rec, store


async def test_store_failure_mid_turn_defers_it_and_the_answer_comes_once(caplog):
    tries: list[str] = []

    async def handler(turn: Turn) -> None:
        tries.append(turn.text)
        if len(tries) <= 3:  # the store refuses a write inside the turn, three times running
            raise StoreUnavailable("sqlite: database or disk is full")
        turn.say(f"answer to {turn.text}")

    engine, rec, store = await engine_with(handler)
    caplog.set_level(logging.WARNING, "parley.turn")
    assert await engine.deliver(inbound(1))
    await eventually(lambda: len(tries) == 4, timeout=10)
    await eventually(rec.texts, timeout=5)
    assert rec.texts() == ["answer to question 1"]
    assert ERROR not in rec.texts()
    assert await store.stale(float("inf"), 10) == []  # the event left the inbox with its answer
    outage_lines = [r.getMessage() for r in caplog.records if r.name == "parley.turn"]
    assert len(outage_lines) == 2  # "paused" once and "resumed" once, not a line per try
    assert "paused" in outage_lines[0] and "resumed" in outage_lines[1]
    await engine.stop()


async def test_a_bug_in_a_middleware_still_gets_the_error_text_once():
    async def handler(turn: Turn) -> None:
        raise KeyError("a bug")

    engine, rec, store = await engine_with(handler)
    assert await engine.deliver(inbound(2))
    await eventually(lambda: rec.texts(), timeout=5)
    assert rec.texts() == [ERROR]
    await engine.stop()


class RefusingIndex(MemoryScheduleStore):
    """The schedule store whose people-index write fails (disk full, Redis paused)."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = True
        self.written: list[PersonEntry] = []

    async def put_person(self, entry: PersonEntry) -> None:
        if self.refuse:
            raise StoreUnavailable("redis: Timeout reading from socket")
        self.written.append(entry)


def turn() -> Turn:
    address = Address(channel="web", chat="c", user="u")
    t = Turn(address, datetime.now(UTC), PERSONAS.get(), LOCALES.get("en"))
    t.inbound = Inbound(address=address, event_id="1", text="hello")
    return t


async def test_people_index_write_is_best_effort_and_retried_next_turn():
    sched = RefusingIndex()
    mw = people_index(sched, MemoryStore())

    async def answer(t: Turn) -> None:
        t.say("hi there")

    first = turn()
    await mw(first, answer)  # must not raise: the answer is what matters
    assert [r.text for r in first.replies] == ["hi there"]
    assert "indexed" not in first.profile  # not marked: the next turn writes it
    sched.refuse = False
    second = turn()
    second.profile = first.profile
    await mw(second, answer)
    assert [e.person for e in sched.written] == [second.address.person]
    assert second.profile["indexed"]["as"][0] == "en"


async def test_schedule_store_on_an_unreachable_redis_raises_store_unavailable():
    """Not redis.exceptions.ConnectionError: the planner and the turns handle one failure type."""
    sched = RedisScheduleStore(f"redis://127.0.0.1:{free_port()}/0")
    await sched.open()
    try:
        with pytest.raises(StoreUnavailable):
            await sched.put_person(PersonEntry("web:p", Address(channel="web", chat="p")))
        with pytest.raises(StoreUnavailable):
            await sched.campaigns()
    finally:
        await sched.close()
