"""Pub/sub between processes: the process holding a web chat socket gets the replies another
process's outbox sends.

A process subscribes to a topic while it can serve it (a web chat client's socket); ``publish``
returns how many processes got the message, so 0 means "nobody holds that socket right now" and
the outbox retries later.

Most topics are held by one process only (the page's one socket), usually the very process whose
outbox sends the reply: a PUBLISH per reply would be a Redis command and a round trip for
nothing. So each topic has a set of its holders (``relay:holders:<topic>``): a process joining a
topic adds itself and reads who else holds it in one script, and tells the others on the control
topic (``+``/``-``); ``publish`` hands a message straight to the local handler while no other
process is known to hold the topic. Until the join is answered, and while the listener is
disconnected (a notice may be missed), ``publish`` goes through Redis as before. A process that
dies keeps its name in the sets it held until they expire: a PUBLISH too many, never a frame lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.kernel.outage import Outage
from parley.core.storage.redis_client import AnyRedis
from parley.core.storage.redis_pubsub import flavor_for
from parley.core.storage.redis_shared import Up
from redis.exceptions import RedisError

log = logging.getLogger("parley.redis")

Handler = Callable[[str, str], Awaitable[None]]

HOLDERS_TTL_MS = 86_400_000  # a day after the last join: the names of processes that died go

# KEYS: holders set. ARGV: node, control channel, notice, TTL, PUBLISH or SPUBLISH (a cluster's
# relay is sharded: redis_pubsub.py). Joins and says so; returns every holder.
JOIN = """
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call(ARGV[5], ARGV[2], ARGV[3])
return redis.call('SMEMBERS', KEYS[1])
"""

# KEYS: holders set. ARGV: node, control channel, notice, PUBLISH or SPUBLISH.
LEAVE = """
redis.call('SREM', KEYS[1], ARGV[1])
redis.call(ARGV[4], ARGV[2], ARGV[3])
return 1
"""


class RedisRelay:
    def __init__(self, r: AnyRedis, prefix: str, up: Up) -> None:
        self.r = r
        self.flavor = flavor_for(r)  # sharded on a cluster (redis_pubsub.py)
        self.p = prefix + "relay:"
        self._up = up
        self._node = secrets.token_hex(6)  # this process in the holder sets and notices
        self._join = r.register_script(JOIN)
        self._leave = r.register_script(LEAVE)
        self._handlers: dict[str, Handler] = {}
        # Topic held here -> the other processes holding it; absent until our join is answered.
        self._remote: dict[str, set[str]] = {}
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self.outage = Outage(log, "relay")  # one line when Redis goes away, one when it is back

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def alone(self, topic: str) -> bool:
        """True when this process holds ``topic`` and, as far as it can know, no other does."""
        return topic in self._handlers and self._pubsub is not None and self._remote.get(topic) == set()

    async def publish(self, topic: str, data: str) -> int:
        if self.alone(topic):
            await self._handlers[topic](topic, data)
            return 1
        return int(await self._up(self.flavor.publish(self.r, self.p + topic, data)))

    async def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):  # the listener joins again on reconnect
                await self.flavor.subscribe(self._pubsub, self.p + topic)
                await self._joined(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._handlers.pop(topic, None)
        self._remote.pop(topic, None)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.flavor.unsubscribe(self._pubsub, self.p + topic)
                args = [self._node, self.p + "_", self._notice("-", topic), self.flavor.PUBLISH]
                await self._leave(keys=[self._holders(topic)], args=args)

    def _holders(self, topic: str) -> str:
        return self.p + "holders:" + topic

    def _notice(self, kind: str, topic: str) -> str:
        return f"{kind}{self._node} {topic}"

    async def _joined(self, topic: str, known: frozenset[str] = frozenset()) -> None:
        args = [self._node, self.p + "_", self._notice("+", topic), HOLDERS_TTL_MS, self.flavor.PUBLISH]
        holders = await self._join(keys=[self._holders(topic)], args=args)
        if topic in self._handlers:  # not dropped meanwhile
            # Keep whom we heard of while joining (a notice may beat the answer) and, after an
            # outage, whom we knew before (a holder that left meanwhile costs a PUBLISH, no more).
            self._remote[topic] = self._remote.get(topic, set()) | known | (set(holders) - {self._node})

    def _heard(self, notice: str) -> None:
        """A notice on the control topic: another process took (+) or dropped (-) a topic."""
        kind = notice[:1]
        node, _, topic = notice[1:].partition(" ")
        if node == self._node or topic not in self._handlers:
            return  # our own, or a topic we do not hold (publish goes through Redis for it anyway)
        remote = self._remote.setdefault(topic, set())
        if kind == "-":
            remote.discard(node)
        else:
            remote.add(node)

    async def _listen(self) -> None:
        pause = 0.1
        while True:
            pubsub = self.flavor.open(self.r)
            try:
                # A control topic keeps the connection up (and its failures visible) when idle.
                first = list(self._handlers)
                await self.flavor.subscribe(pubsub, self.p + "_", *(self.p + t for t in first))
                known, self._remote = self._remote, {}  # unknown again until joined anew
                self._pubsub = pubsub
                # Topics added while we were connecting saw no pubsub to subscribe on: catch up.
                late = [t for t in self._handlers if t not in first]
                if late:
                    await self.flavor.subscribe(pubsub, *(self.p + t for t in late))
                # Who else holds our topics may have changed while we were away: join again.
                for topic in list(self._handlers):
                    await self._joined(topic, frozenset(known.get(topic, ())))
                pause = 0.1
                self.outage.ok()
                while True:
                    msg = await self.flavor.next(pubsub, 1.0)
                    if msg is None or msg.get("type") != self.flavor.MESSAGE:
                        continue
                    topic = msg["channel"][len(self.p) :]
                    if topic == "_":
                        self._heard(msg["data"])
                        continue
                    handler = self._handlers.get(topic)
                    if handler is not None:
                        try:
                            await handler(topic, msg["data"])  # in order: one topic's frames stay ordered
                        except Exception:
                            log.exception("relay handler failed", extra={"topic": topic})
            except (RedisError, OSError) as exc:
                self.outage.failed(exc)
                self._pubsub = None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
