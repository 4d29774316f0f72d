"""RedisStore's fused calls, one round trip where the Store seam has two: accept + begin
(AcceptsAndBegins, used by the engine) and settle + claim (SettlesWithClaim, used by the outbox)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter

import aiohttp
import pytest
from parley.core.http.metrics import Metrics
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.outbox import Outbox
from parley.core.storage import redis_lua as lua
from parley.core.storage import redis_lua_outbox as outbox_lua
from parley.core.storage.redis import RedisStore
from parley.core.storage.redis_shared import GCRA
from parley.core.storage.store import InboxItem, OutboxItem, Sent, Settlement
from redis.asyncio import Redis

from tests.conftest import eventually
from tests.integration.processes import Bot, ChatClient, RedisServer
from tests.integration.test_redis_store import store  # noqa: F401 (the fixture)
from tests.unit.test_outbox import A as FLAKY
from tests.unit.test_outbox import FlakyPlatform

pytestmark = pytest.mark.redis
A = Address(channel="web", chat="c1", user="u1")


def inbox(event: str, at: float) -> InboxItem:
    return InboxItem(f"web:{event}", A.conversation, Inbound(address=A, event_id=event, text="hi"), at)


async def test_accept_begin_accepts_while_another_holds_the_lock(store):  # noqa: F811
    now = store.clock()
    held = await store.begin(A.conversation, 30, 10, now)
    assert await store.accept_begin(inbox("e2", now), 60, 30, 10) == (True, None)
    await store.release(A.conversation, held.token)
    after = await store.begin(A.conversation, 30, 10, now)
    assert [i.id for i in after.items] == ["web:e2"]  # accepted all the same


async def test_settle_and_claim_records_first_then_offers_the_next_item_of_that_address(store):  # noqa: F811
    now = store.clock()
    await store.enqueue([OutboxItem("a1", A, Reply(text="1"), now), OutboxItem("a2", A, Reply(text="2"), now)])
    [first] = await store.claim(now, 10, 30)
    done = [Settlement("a1", first.token, Sent("m1"), now), Settlement("a1", first.token + 99, Sent("x"), now)]
    flags, claimed = await store.settle_and_claim(done, now, 10, 30)
    assert flags == [True, False]  # the second names no lease: refused, as settle refuses it
    assert [i.id for i in claimed] == ["a2"]  # a1's successor, in the same call
    stats = await store.outbox_stats()
    assert stats.sent == 1 and stats.sending == 1 and stats.pending == 0


class Counting(RedisStore):
    """Counts how the outbox records outcomes: alone (settle) or with a claim."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.alone = 0
        self.with_claim = 0

    async def settle(self, item_id, token, outcome, now):
        self.alone += 1
        return await super().settle(item_id, token, outcome, now)

    async def settle_and_claim(self, settlements, now, limit, lease):
        self.with_claim += len(settlements)
        return await super().settle_and_claim(settlements, now, limit, lease)


async def test_the_running_outbox_records_outcomes_in_its_claims(store):  # noqa: F811
    counting = Counting(store.url, clock=store.clock, prefix=store.p[1:-2])
    await counting.open()
    platform = FlakyPlatform()
    outbox = Outbox(counting, {"flaky": platform}, Metrics(), counting.clock, lease=30.0)
    loop = asyncio.create_task(outbox.run())
    try:
        now = counting.clock()
        await counting.enqueue([OutboxItem(f"r{n}", FLAKY, Reply(text=f"m{n}"), now) for n in range(3)])
        outbox.wake()
        await eventually(lambda: len(platform.sent) == 3 and not outbox._inflight)
        assert platform.sent == ["m0", "m1", "m2"]  # in order, one in flight at a time
        assert (counting.alone, counting.with_claim) == (0, 3)
        stats = await counting.outbox_stats()
        assert stats.sent == 3 and stats.sending == 0
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await counting.close()


def sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


async def test_an_ordinary_web_chat_turn_costs_three_round_trips(tmp_path):
    """Through a real bot process: per turn one accept + begin, one commit (its reply leased to
    the committer) and at most one settle + claim; no separate begin, claim, settle or
    rate-limit call, and no PUBLISH (the page's only holder writes the frame itself); and the
    commands those scripts run, 26 a turn."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    bot = Bot(server.url, tmp_path)
    # accept and accept + begin are one script (a flag says whether to begin): a turn that
    # accepted without beginning would show a "begin" beside it.
    names = {
        sha(lua.ACCEPT): "accept_begin",
        sha(lua.COMMIT): "commit",
        sha(outbox_lua.SETTLE_CLAIM): "settle_claim",
    }
    names |= {sha(lua.BEGIN): "begin", sha(outbox_lua.CLAIM): "claim"}
    names |= {sha(outbox_lua.SETTLE): "settle", sha(GCRA): "rate_limit"}
    sent: Counter[str] = Counter()
    inner: Counter[str] = Counter()  # commands the scripts ran, by script
    monitor = Redis.from_url(server.url, decode_responses=True)
    watching = asyncio.Event()

    async def watch() -> None:
        last = ""
        async with monitor.monitor() as m:
            watching.set()
            async for line in m.listen():
                if line.get("client_type") == "lua":
                    inner[last] += 1  # MONITOR shows a script's commands right after its EVALSHA
                    continue
                words = line["command"].split()
                last = names.get(words[1], words[1]) if words[0] == "EVALSHA" else words[0]
                sent[last] += 1

    try:
        await bot.ready()
        async with aiohttp.ClientSession() as session:
            chat = ChatClient()
            await chat.connect(session, [bot.base])
            await chat.say(0, "warm-000", "do you ship abroad?")  # first turn: the people index, etc.
            await eventually(lambda: len(chat.replies[0]) == 1, 30)
            task = asyncio.create_task(watch())
            await watching.wait()
            turns, started = 10, asyncio.get_running_loop().time()
            for n in range(turns):
                await chat.say(0, f"turn-{n:04d}", f"do you ship abroad? {n}")
                await eventually(lambda n=n: len(chat.replies[0]) == n + 2, 30)
            await eventually(lambda: sent["settle_claim"] >= turns, 10)  # the last outcome recorded
            task.cancel()
            polls = (asyncio.get_running_loop().time() - started) / 0.5 + 2  # the idle outbox's claims
            await chat.close()
        assert sent["accept_begin"] == turns and sent["commit"] == turns
        assert sent["settle_claim"] <= turns + 1  # a poll of the idle outbox may land in the window
        assert sent["claim"] <= polls, sent  # time-driven, never one per turn
        for call in ("begin", "settle", "rate_limit", "PUBLISH"):
            assert sent[call] == 0, (call, sent)
        # Inside the three scripts, 26 commands a turn (docs/scale-out.md, "The conversation
        # hash"): 5 + 12 + 9; room for one more settle + claim, and for the person's outbox
        # index, pruned now and then (an SCARD every 32 replies, its SMEMBERS when it is long).
        assert inner["accept_begin"] <= 5 * turns and inner["commit"] <= 12 * turns + 2, inner
        assert inner["settle_claim"] <= 9 * (turns + 1), inner
    finally:
        await monitor.aclose()
        bot.kill()
        server.stop()
