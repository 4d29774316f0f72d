"""How the relay (redis_shared.RedisRelay) speaks pub/sub: plain on one server, sharded on a cluster.

On a Redis Cluster a plain PUBLISH is broadcast over the cluster bus to every node, and its answer
counts only the subscribers of the node it was sent to, so "0 received" would not mean "nobody
holds that socket". Sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7) keeps a channel on the node of
its slot: the relay's channels share the deployment's hash tag, so publisher and subscribers meet
on one node and the count is exact.
"""

from __future__ import annotations

from typing import Any, Protocol

from parley.core.storage.redis_client import AnyRedis
from redis.asyncio.cluster import RedisCluster


class PubSubFlavor(Protocol):
    MESSAGE: str  # the type of a data message
    PUBLISH: str  # the command a Lua script publishes with

    def open(self, r: AnyRedis) -> Any: ...
    async def publish(self, r: AnyRedis, channel: str, data: str) -> int: ...
    async def subscribe(self, pubsub: Any, *channels: str) -> None: ...
    async def unsubscribe(self, pubsub: Any, *channels: str) -> None: ...
    async def next(self, pubsub: Any, timeout: float) -> dict[str, Any] | None: ...


class Plain:
    MESSAGE = "message"
    PUBLISH = "PUBLISH"  # the command a Lua script publishes with

    def open(self, r: AnyRedis) -> Any:
        return r.pubsub(ignore_subscribe_messages=True)

    async def publish(self, r: AnyRedis, channel: str, data: str) -> int:
        return await r.publish(channel, data)

    async def subscribe(self, pubsub: Any, *channels: str) -> None:
        await pubsub.subscribe(*channels)

    async def unsubscribe(self, pubsub: Any, *channels: str) -> None:
        await pubsub.unsubscribe(*channels)

    async def next(self, pubsub: Any, timeout: float) -> dict[str, Any] | None:
        return await pubsub.get_message(timeout=timeout)


class Sharded(Plain):
    MESSAGE = "smessage"
    PUBLISH = "SPUBLISH"

    async def publish(self, r: AnyRedis, channel: str, data: str) -> int:
        return await r.spublish(channel, data)

    async def subscribe(self, pubsub: Any, *channels: str) -> None:
        await pubsub.cluster.initialize()  # the slot map tells which node holds the channels
        await pubsub.ssubscribe(*channels)

    async def unsubscribe(self, pubsub: Any, *channels: str) -> None:
        await pubsub.sunsubscribe(*channels)

    async def next(self, pubsub: Any, timeout: float) -> dict[str, Any] | None:
        return await pubsub.get_sharded_message(timeout=timeout)


def flavor_for(r: AnyRedis) -> PubSubFlavor:
    return Sharded() if isinstance(r, RedisCluster) else Plain()
