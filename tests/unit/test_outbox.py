"""The outbox against a real store and a channel that behaves like a flaky platform."""

from __future__ import annotations

from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import Capabilities, Channel, Rejected, RetryAfter, Unreachable
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.outbox import Outbox
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import OutboxItem, Sent

from parley.testing.fakes.recording import context

A = Address(channel="flaky", chat="c1", user="u1")


class FlakyPlatform(Channel):
    """Plays a platform's answers in order: an exception to raise, or a message id."""

    name = "flaky"
    capabilities = Capabilities(per_chat_rate=100, per_chat_burst=100, global_rate=100)

    def __init__(self, *script) -> None:
        super().__init__(context())
        self.script = list(script)
        self.sent: list[str] = []

    async def send(self, address, reply) -> str:
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, Exception):
            raise step
        self.sent.append(reply.text)
        return step


async def run(outbox: Outbox) -> None:
    await outbox.pump()
    if outbox._inflight:
        import asyncio

        await asyncio.wait(outbox._inflight)


async def make(tmp_path, *script):
    clock = ManualClock()
    store = SQLiteStore(tmp_path / "o.db", clock=clock)
    await store.open()
    platform = FlakyPlatform(*script)
    return store, platform, Outbox(store, {"flaky": platform}, Metrics(), clock), clock


async def test_5xx_is_retried_with_backoff_then_sent_once(tmp_path):
    store, platform, outbox, clock = await make(tmp_path, ConnectionError("503"), ConnectionError("503"), "m-1")
    await store.enqueue([OutboxItem("r1", A, Reply(text="hello"), clock())])
    await run(outbox)
    assert platform.sent == []
    await run(outbox)  # not due yet: backoff
    assert len(platform.script) == 2
    for _ in range(2):
        clock.advance(600)
        await run(outbox)
    assert platform.sent == ["hello"]
    clock.advance(600)
    await run(outbox)
    assert platform.sent == ["hello"]
    assert (await store.outbox_stats()).sent == 1


async def test_retry_after_is_honoured_and_not_counted_as_a_failure(tmp_path):
    store, platform, outbox, clock = await make(tmp_path, RetryAfter(30), "m-1")
    await store.enqueue([OutboxItem("r1", A, Reply(text="hi"), clock(), max_attempts=1)])
    await run(outbox)
    clock.advance(29)
    await run(outbox)
    assert platform.sent == []
    clock.advance(2)
    await run(outbox)
    assert platform.sent == ["hi"]


async def test_unreachable_stops_and_is_remembered(tmp_path):
    store, platform, outbox, clock = await make(tmp_path, Unreachable("blocked"))
    await store.enqueue([OutboxItem("r1", A, Reply(text="hi"), clock())])
    await run(outbox)
    assert (await store.outbox_stats()).failed == 1
    assert await store.get(f"unreachable:{A.person}") == "blocked"
    # a proactive message to that person is not even tried
    await store.enqueue([OutboxItem("p1", A, Reply(text="promo", kind="proactive"), clock())])
    await run(outbox)
    assert platform.sent == [] and (await store.outbox_stats()).failed == 2


async def test_rejected_and_exhausted_sends_fail_with_a_reason(tmp_path):
    store, platform, outbox, clock = await make(tmp_path, Rejected("400 bad"), ValueError("x"), ValueError("y"))
    await store.enqueue(
        [
            OutboxItem("r1", A, Reply(text="a"), clock()),
            OutboxItem("r2", Address(channel="flaky", chat="c2"), Reply(text="b"), clock(), max_attempts=2),
        ]
    )
    for _ in range(3):
        await run(outbox)
        clock.advance(600)
    stats = await store.outbox_stats()
    assert stats.failed == 2
    assert set(stats.errors) == {"rejected:400 bad", "ValueError"}


async def test_per_chat_rate_limit_reschedules_instead_of_sleeping(tmp_path):
    store, platform, outbox, clock = await make(tmp_path)
    platform.capabilities = Capabilities(per_chat_rate=1, per_chat_burst=1, global_rate=100)
    await store.enqueue([OutboxItem(f"r{n}", A, Reply(text=str(n)), clock()) for n in range(3)])
    for _ in range(3):
        await run(outbox)
    assert platform.sent == ["0"]  # the next one waits for its slot, in order
    clock.advance(1)
    await run(outbox)
    await run(outbox)
    assert platform.sent == ["0", "1"]
    clock.advance(1)
    await run(outbox)
    assert platform.sent == ["0", "1", "2"]


class DedupingPlatform(FlakyPlatform):
    """A platform that drops a second send of one id (the web chat's page)."""

    capabilities = Capabilities(per_chat_rate=100, per_chat_burst=100, global_rate=100, dedupes_resends=True)


async def test_a_send_on_a_channel_that_dedupes_resends_is_settled_as_deduped(tmp_path):
    """Sent.deduped comes from the channel's capabilities: the store may then group its record."""
    clock = ManualClock()
    store = SQLiteStore(tmp_path / "o.db", clock=clock)
    await store.open()
    settled: list[tuple[str, object]] = []

    async def told(item, outcome) -> None:
        settled.append((item.id, outcome))

    channels = {"flaky": FlakyPlatform("m-1"), "web": DedupingPlatform("m-2")}
    outbox = Outbox(store, channels, Metrics(), clock, on_settled=told)
    web = Address(channel="web", chat="c1", user="u1")
    await store.enqueue(
        [OutboxItem("r1", A, Reply(text="one"), clock()), OutboxItem("r2", web, Reply(text="two"), clock())]
    )
    await run(outbox)
    assert sorted(settled) == [("r1", Sent("m-1")), ("r2", Sent("m-2", deduped=True))]
    assert (await store.outbox_stats()).sent == 2
    await store.close()
