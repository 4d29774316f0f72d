"""Data written in the layout before the conversation hash (one key per structure: ``lock:``,
``state:``, ``inbox:`` with bodies in ``items``, ``lockowner``, ``pin:``) keeps working: a real
Redis is loaded with it, key by key as the old scripts wrote it, and a store opened on it finds
every waiting message, state, lock and queued reply (core/storage/redis_migrate.py)."""

from __future__ import annotations

import json
import uuid

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.redis import RedisStore
from parley.core.storage.redis_migrate import migrate
from parley.core.storage.store import OutboxItem, Sent

from tests.redis_servers import forget

pytestmark = pytest.mark.redis
A = Address(channel="web", chat="c1", user="u1")
B = Address(channel="web", chat="c2", user="u2")
DEAD = "gone-host:999:0a0a0a"  # a process that is no more: its lock was taken before the upgrade


def old_item(address: Address, event: str, at: float, text: str) -> tuple[str, str]:
    inbound = Inbound(address=address, event_id=event, text=text)
    body = {"c": address.conversation, "p": address.person, "a": at, "b": inbound.model_dump_json()}
    return f"web:{event}", json.dumps(body)


async def load_old_layout(store: RedisStore, now: float) -> None:
    """What the old scripts left: A with two waiting messages, a state and a lock a dead process
    held; B with a state only; a reply queued for A; Ann's profile and links."""
    r, p = store.r, store.p
    async with r.pipeline(transaction=False) as pipe:
        for seq, (event, text) in enumerate([("e1", "first"), ("e2", "second")], 1):
            item_id, body = old_item(A, event, now + seq, text)
            pipe.hset(f"{p}items", item_id, body)
            pipe.zadd(f"{p}inbox:{A.conversation}", {item_id: seq})
            pipe.sadd(f"{p}pin:{A.person}", item_id)
        pipe.zadd(f"{p}pending", {A.conversation: now + 1})
        pipe.set(f"{p}state:{A.conversation}", json.dumps({"n": 1}))
        pipe.set(f"{p}state:{B.conversation}", json.dumps({"n": 2}))
        pipe.hset(f"{p}lock:{A.conversation}", mapping={"t": 7, "u": str(now + 100), "o": DEAD})
        pipe.hset(f"{p}lockowner", A.conversation, DEAD)
        pipe.set(f"{p}tokens", 7).set(f"{p}seq", 3)
        reply = json.dumps({"a": A.model_dump_json(), "r": Reply(text="queued before").model_dump_json()})
        fields = {"body": reply, "akey": A.conversation, "person": A.person, "seq": 3, "status": "pending"}
        fields |= {"due": now, "attempts": 0, "max": 8, "token": 0, "lease": 0, "error": "", "pid": ""}
        pipe.hset(f"{p}o:old-r0", mapping=fields | {"updated": now, "owner": ""})
        pipe.zadd(f"{p}oq:{A.conversation}", {"old-r0": 3}).zadd(f"{p}ready", {A.conversation: now})
        pipe.hincrby(f"{p}ostat", "pending", 1).sadd(f"{p}pout:{A.person}", "old-r0")
        pipe.set(f"{p}profile:{A.person}", json.dumps({"name": "Ann"})).set(f"{p}pver:{A.person}", 1)
        pipe.sadd(f"{p}links:{A.person}", A.conversation).sadd(f"{p}links:{B.person}", B.conversation)
        await pipe.execute()


@pytest.fixture
async def old(redis_or_cluster_url):
    """A store opened on a prefix loaded with old-layout data first."""
    prefix = f"m{uuid.uuid4().hex[:8]}"
    clock = ManualClock()
    writer = RedisStore(f"{redis_or_cluster_url}?prefix={prefix}", clock=clock)
    await load_old_layout(writer, clock())  # no open(): the old data goes in as it was
    await writer.r.aclose()
    store = RedisStore(f"{redis_or_cluster_url}?prefix={prefix}", clock=clock, owner="new-host:1:0b0b0b")
    await store.open()
    yield store
    await forget(store)


async def test_waiting_messages_state_and_a_dead_processes_lock_carry_over(old):
    now = old.clock()
    assert await old.stale(now + 10, 10) == [A.conversation]  # the sweeper still finds A
    assert await old.begin(A.conversation, 30, 10, now) is None  # the old lock still holds...
    assert await old.release_dead(lambda who: who == DEAD, now) == 1  # ...until its dead owner's is freed
    batch = await old.begin(A.conversation, 30, 10, now)
    assert [i.inbound.text for i in batch.items] == ["first", "second"]  # in their order
    assert batch.token > 7 and batch.state == {"n": 1} and batch.profiles == {A.person: {"name": "Ann"}}
    assert batch.versions == {A.person: 1}
    await old.commit(A.conversation, batch.token, "web:e1", {"n": 3}, {A.person: {"name": "Ann"}}, [])
    await old.commit(A.conversation, batch.token, "web:e2", {"n": 4}, {}, [], release=True)
    assert await old.state(A.conversation) == {"n": 4} and await old.state(B.conversation) == {"n": 2}
    assert await old.stale(now + 10, 10) == []
    again = await old.begin(B.conversation, 30, 10, now)
    assert again.state == {"n": 2} and again.items == []
    # Nothing of the old layout is left beside the new one.
    left = [k async for k in old.r.scan_iter(match=old.p.replace("{", "[{]") + "*")]
    gone = ("lock:", "state:", "inbox:", "pin:", "lockowner", "items", "seq")
    assert not [k for k in left if k.removeprefix(old.p).startswith(gone)], left


async def test_a_reply_queued_before_is_sent_after_and_fenced(old):
    now = old.clock()
    [item] = await old.claim(now, 10, 30)
    assert item.id == "old-r0" and item.reply.text == "queued before" and item.token == 1
    assert await old.settle("old-r0", item.token, Sent("m1"), now)
    assert (await old.outbox_stats()).sent == 1
    # A reply the new layout queues for A comes after it (the conversation's counter starts above).
    await old.enqueue([OutboxItem("new-r0", A, Reply(text="after"), now)])
    assert [i.id for i in await old.claim(now, 10, 30)] == ["new-r0"]


async def test_erasure_finds_what_the_old_layout_held(old):
    exported = await old.export_person(A.person)
    assert exported["conversations"] == {A.conversation: {"n": 1}} and exported["profile"] == {"name": "Ann"}
    assert [o["text"] for o in exported["outbox"]] == ["queued before"]
    assert await old.release_dead(lambda who: who == DEAD, old.clock()) == 1
    assert await old.erase_person(A.person) >= 4  # profile, state, two waiting messages, the reply
    left = [k async for k in old.r.scan_iter(match=old.p.replace("{", "[{]") + "*")]
    named = [k for k in left if A.chat in k.removeprefix(old.p) or A.user in k.removeprefix(old.p)]
    assert named == [], named  # no key is named after them; and their messages are gone:
    assert await old.begin(A.conversation, 30, 10, old.clock()) is not None
    assert (await old.begin(B.conversation, 30, 10, old.clock())).state == {"n": 2}


async def test_a_second_start_finds_nothing_to_move(old):
    assert await old.r.get(f"{old.p}layout") == "2"
    assert await migrate(old) == 0  # a later start reads ``layout`` and goes on
    # Two processes starting at once both move: the second finds nothing left, and no harm done.
    await old.r.delete(f"{old.p}layout")
    assert await migrate(old) == 0 and await old.r.get(f"{old.p}layout") == "2"
    assert (await old.begin(B.conversation, 30, 10, old.clock())).state == {"n": 2}
