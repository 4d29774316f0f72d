"""Which Redis client a store URL opens: one server (``redis://``, ``rediss://``, ``valkey://``) or a
Redis Cluster (``redis+cluster://host:port,host:port``, ``rediss+cluster://``, ``valkey+cluster://``).

Every key of one deployment carries one hash tag (``{prefix}:``), so on a cluster the whole
deployment lives in one slot. ``SlotCluster`` leans on that: a script called without keys, and a
SCAN for the deployment's keys, go to the node that holds that slot.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from parley.core.storage import CLUSTER_SCHEMES, StoreURLError
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as RedisRetry

MAX_CONNECTIONS = 200  # per process: webhooks in flight, outbox sends, the relay
SPARE = 16  # a cluster node's connections beyond the gated commands: pipelines and pub/sub take their own

AnyRedis = Redis | RedisCluster  # what the Redis stores talk to


def split_url(url: str) -> tuple[str, str]:
    """``redis://host:port/db?prefix=name`` -> (URL for the client, key prefix). A prefix lets several
    deployments (or tests) share one database; valkey:// is our alias for redis://."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), "") or "parley"
    scheme = parts.scheme.replace("valkey", "redis", 1) if parts.scheme.startswith("valkey") else parts.scheme
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), prefix


def client_for(url: str, tag: str = "", max_connections: int = MAX_CONNECTIONS, timeout: float = 5.0) -> AnyRedis:
    """The client for a URL from ``split_url``. ``tag`` is the deployment's hash-tagged key prefix
    (``{parley}:``): on a cluster it names the slot key-less scripts and scans go to."""
    if urlsplit(url).scheme in CLUSTER_SCHEMES:
        return cluster_for(url, tag, max_connections, timeout)
    # A blocking pool: past its connections a call waits (up to ``timeout``) for one to be free.
    # redis-py's default pool raised "Too many connections" at the 101st concurrent call, and a
    # burst of webhooks and sends after a restart turned that into a store outage.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        decode_responses=True,
        socket_timeout=5.0,  # a hung server must not hang a webhook past the platform's timeout
        socket_connect_timeout=2.0,
        health_check_interval=10,
        retry=RedisRetry(NoBackoff(), 1),  # one immediate retry: a pooled socket from before a restart
    )
    return Redis.from_pool(pool)  # closing the client closes its pool


def cluster_for(url: str, tag: str, max_connections: int, timeout: float) -> SlotCluster:
    """``redis+cluster://[user:password@]host:port[,host:port...]``: any reachable node is enough to
    start; the client learns the others and the slot map from it and follows MOVED/ASK after."""
    parts = urlsplit(url)
    auth, _, hosts = parts.netloc.rpartition("@")
    user, _, password = auth.partition(":")
    nodes = []
    for spec in filter(None, hosts.split(",")):
        host, _, port = spec.rpartition(":")
        if not host or not port.isdigit():
            raise StoreURLError(f"PARLEY_STORE_URL: cluster nodes are host:port, got {spec!r}")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    if not nodes:
        raise StoreURLError("PARLEY_STORE_URL: a cluster URL names at least one node (host:port)")
    if parts.path.strip("/") not in ("", "0"):
        raise StoreURLError("PARLEY_STORE_URL: a Redis Cluster has database 0 only (drop the /db)")
    options: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return SlotCluster(
        anchor=tag or "{parley}:",
        calls=max_connections,
        wait=timeout,
        startup_nodes=nodes,
        username=unquote(user) or options.get("username"),
        password=unquote(password) or options.get("password"),
        ssl=parts.scheme.startswith("rediss"),
        max_connections=max_connections + SPARE,
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=10,
    )


class SlotCluster(RedisCluster):
    """A cluster client for one deployment, whose keys all share the hash tag of ``anchor``.

    redis-py sends a script called with no keys to a random node, where the keys it touches are
    not local ("Script attempted to access a non local key"); here it names ``anchor`` as its one
    key, so it runs where the deployment's slot lives (scripts without keys never read KEYS). A
    SCAN goes to that node only: the deployment has no keys anywhere else.

    redis-py's cluster pools do not wait: past ``max_connections`` a call fails at once. As with
    the blocking pool of one server, at most ``calls`` commands run at a time and the next one waits
    (up to ``wait`` seconds) for a turn, so a burst of webhooks queues instead of failing.
    """

    def __init__(self, *, anchor: str, calls: int, wait: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.anchor = anchor
        self.wait = wait
        self._calls = asyncio.Semaphore(calls)

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self.wait):
                await self._calls.acquire()
        except TimeoutError:
            raise RedisConnectionError(f"no free connection to the cluster in {self.wait} s") from None
        try:
            return await super().execute_command(*args, **kwargs)
        finally:
            self._calls.release()

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any:
        if int(numkeys) == 0:
            return super().evalsha(sha, 1, self.anchor, *keys_and_args)
        return super().evalsha(sha, numkeys, *keys_and_args)

    def eval(self, script: str, numkeys: int, *keys_and_args: Any) -> Any:
        if int(numkeys) == 0:
            return super().eval(script, 1, self.anchor, *keys_and_args)
        return super().eval(script, numkeys, *keys_and_args)

    async def scan_iter(self, match: Any = None, count: int | None = None, _type: str | None = None, **kwargs: Any):
        await self.initialize()  # the slot map, to find the node (a no-op once known)
        kwargs.setdefault("target_nodes", self.get_node_from_key(self.anchor))
        async for key in super().scan_iter(match=match, count=count, _type=_type, **kwargs):
            yield key
