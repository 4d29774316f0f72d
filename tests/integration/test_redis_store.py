"""RedisStore beyond the shared contract: outages, leases, shared rate limits, the relay (on one
Redis and on a Redis Cluster)."""

from __future__ import annotations

import uuid

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.ratelimit import Limit
from parley.core.storage.redis import RedisStore
from parley.core.storage.store import InboxItem, OutboxItem, Sent, StoreUnavailable

from parley.app import Bot
from tests.conftest import eventually
from tests.integration.processes import RedisServer, free_port
from tests.redis_servers import forget

pytestmark = pytest.mark.redis
A = Address(channel="web", chat="c1", user="u1")
B = Address(channel="web", chat="c2", user="u2")


@pytest.fixture
async def store(redis_or_cluster_url):
    s = RedisStore(f"{redis_or_cluster_url}?prefix=t{uuid.uuid4().hex[:8]}", clock=ManualClock())
    await s.open()
    yield s
    await forget(s)


async def test_every_call_raises_store_unavailable_when_redis_is_down():
    down = RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    await down.open()
    inbound = Inbound(address=A, event_id="e1", text="hi")
    calls = [
        down.ping(),
        down.accept(InboxItem("web:e1", A.conversation, inbound, 0.0), 60),
        down.begin(A.conversation, 30, 10, 0.0),
        down.commit(A.conversation, 1, "", {}, {}, []),
        down.release(A.conversation, 1),
        down.stale(0.0, 10),
        down.enqueue([OutboxItem("x", A, inbound_reply(), 0.0)]),
        down.claim(0.0, 10, 30),
        down.settle("x", 1, Sent(), 0.0),
        down.outbox_stats(),
        down.get("k"),
        down.put("k", "v"),
        down.add("k", "v"),
        down.delete("k"),
        down.profile("p"),
        down.state("c"),
        down.export_person("p"),
        down.erase_person("p"),
        down.limiter.acquire([Limit("k", 1.0)], 0.0),
        down.lease.hold("x", "me", 5),
        down.relay.publish("t", "m"),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable):
            await call
    await down.close()


def inbound_reply():
    from parley.core.kernel.messages import Reply

    return Reply(text="ok")


async def test_app_on_a_down_redis_is_not_ready_and_refuses_politely(make_settings, tmp_path):
    # Start-up waits for Redis (tests/integration/test_store_startup.py): it goes away after.
    server = RedisServer(tmp_path / "redis")
    server.start()
    settings = make_settings(store_url=server.url)
    async with Bot(settings) as app, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{app.port}"
        server.stop()
        async with http.get(base + "/readyz") as r:
            assert r.status == 503
        async with http.ws_connect(base.replace("http", "ws") + "/chat/ws") as ws:
            # The page's identity needs the store's key: "unavailable", and the page tries again later.
            await ws.send_json({"type": "hello"})
            frame = await ws.receive_json()
            assert frame["type"] == "error" and frame["code"] == "unavailable"


async def test_shared_rate_limit_counts_every_process(store):
    other = RedisStore(store.url, prefix=store.p[1:-2])  # a second process's view of the same buckets
    limits = [Limit("web:bot", 100.0, 100), Limit("web:chat:1", 1.0, 2)]
    now = 1000.0
    assert await store.limiter.acquire(limits, now) == 0
    assert await other.limiter.acquire(limits, now) == 0
    wait = await store.limiter.acquire(limits, now)  # burst of 2 per chat used up by both together
    assert wait == pytest.approx(1.0)
    assert await other.limiter.acquire([Limit("web:chat:2", 1.0, 2)], now) == 0  # other chats are free
    await other.limiter.penalise("web:chat:2", now + 30)
    assert await store.limiter.acquire([Limit("web:chat:2", 1.0, 2)], now) > 28
    await other.r.aclose()


async def test_lease_has_one_holder_at_a_time(store):
    assert await store.lease.hold("planner", "a", 5)
    assert not await store.lease.hold("planner", "b", 5)
    assert await store.lease.hold("planner", "a", 5)  # renewal
    await store.lease.release("planner", "b")  # not b's to release
    assert not await store.lease.hold("planner", "b", 5)
    await store.lease.release("planner", "a")
    assert await store.lease.hold("planner", "b", 5)


async def test_relay_reaches_subscribed_processes_only(store):
    got: list[str] = []

    async def handler(topic: str, data: str) -> None:
        got.append(f"{topic}={data}")

    assert await store.relay.publish("web:x", "1") == 0  # nobody holds it: offline
    await eventually(lambda: store.relay._pubsub is not None)
    await store.relay.subscribe("web:x", handler)
    await eventually(lambda: store.relay.publish("web:x", "2"))
    await eventually(lambda: got)
    assert got[0] == "web:x=2"
    await store.relay.unsubscribe("web:x")
    await eventually(lambda: _published_to_none(store))


async def _published_to_none(store: RedisStore) -> bool:
    return await store.relay.publish("web:x", "3") == 0


async def test_relay_delivers_in_process_while_no_other_process_holds_the_topic(store):
    """A topic held here only never costs a PUBLISH; once another process announces it holds
    the topic too, every message goes through Redis and reaches both."""
    here: list[str] = []
    there: list[str] = []
    other = RedisStore(store.url, clock=store.clock, prefix=store.p[1:-2])  # a second process
    await other.open()
    flavor = store.relay.flavor  # sharded pub/sub on a cluster
    snoop = flavor.open(store.r)  # a plain subscriber (not a relay): sees only what went through Redis
    try:
        await flavor.subscribe(snoop, store.relay.p + "web:x")

        async def mine(topic: str, data: str) -> None:
            here.append(data)

        async def theirs(topic: str, data: str) -> None:
            there.append(data)

        await eventually(lambda: store.relay._pubsub is not None and other.relay._pubsub is not None)
        await store.relay.subscribe("web:x", mine)
        await eventually(lambda: store.relay.alone("web:x"))  # joined: nobody else holds it
        assert await store.relay.publish("web:x", "local") == 1
        assert here == ["local"]
        await other.relay.subscribe("web:x", theirs)
        await eventually(lambda: not store.relay.alone("web:x"))  # it heard the other join
        assert await store.relay.publish("web:x", "both") == 3  # both relays, and the snoop
        await eventually(lambda: here[-1:] == ["both"] and there == ["both"])
        seen: list[str] = []

        async def snooped() -> bool:
            msg = await flavor.next(snoop, 0.1)
            if msg is not None and msg["type"] == flavor.MESSAGE:
                seen.append(msg["data"])
            return "both" in seen

        await eventually(snooped)
        assert seen == ["both"]  # "local", sent before, never went through Redis
        await other.relay.unsubscribe("web:x")
        await eventually(lambda: store.relay.alone("web:x"))  # and the other leave
    finally:
        await snoop.aclose()
        await other.close()


async def test_a_claim_whose_answer_was_lost_is_handed_back_by_the_next(store):
    now = store.clock()
    await store.enqueue([OutboxItem("a1", A, inbound_reply(), now), OutboxItem("b1", B, inbound_reply(), now)])
    # Redis runs a claim whose answer never reaches us (a timeout while Redis was paused).
    await store._claim(args=[store.p, now, 1, 30, store.owner, "lost-1"])
    assert [i.id for i in await store.claim(now, 10, 30)] == ["b1"]  # a1 is leased to nobody...
    store._lost_claims.append("lost-1")  # ...unless the store remembers the claim it lost
    await store.enqueue([OutboxItem("c1", A, inbound_reply(), now)])
    claimed = await store.claim(now, 10, 30)
    assert [i.id for i in claimed] == ["a1"]  # handed back, c1 still behind it
    assert await store.settle("a1", claimed[0].token, Sent("m"), now)


async def test_person_index_forgets_expired_sent_items(store):
    now = store.clock()
    for n in range(40):
        await store.enqueue([OutboxItem(f"old{n}", A, inbound_reply(), now)])
        [item] = await store.claim(now, 10, 30)
        await store.settle(item.id, item.token, Sent(), now)
    await store.r.delete(*(f"{store.p}o:old{n}" for n in range(40)))  # as if a week had passed
    for n in range(40):
        await store.enqueue([OutboxItem(f"new{n}", A, inbound_reply(), now)])
    assert await store.r.scard(f"{store.p}pout:{A.person}") < 70
    assert len((await store.export_person(A.person))["outbox"]) == 40
