"""Which client a Redis store URL opens (core/storage/redis_client.py); no server is needed: a
client connects on its first call."""

from __future__ import annotations

import pytest
from parley.core.config.settings import Settings
from parley.core.storage import StoreURLError, open_store
from parley.core.storage.redis import RedisStore
from parley.core.storage.redis_client import SlotCluster, client_for, split_url
from redis.asyncio import Redis


def test_split_url_keeps_the_cluster_scheme_and_takes_the_prefix_out():
    assert split_url("redis+cluster://a:7001,b:7002?prefix=shop") == ("redis+cluster://a:7001,b:7002", "shop")
    assert split_url("valkey+cluster://a:7001/") == ("redis+cluster://a:7001/", "parley")
    assert split_url("valkey://h:6379/2?prefix=x&ssl_cert_reqs=none") == ("redis://h:6379/2?ssl_cert_reqs=none", "x")


async def test_a_cluster_url_opens_a_cluster_client_on_every_node_it_names():
    r = client_for("rediss+cluster://bot:s%3Acret@10.0.0.1:7001,[::1]:7002", "{shop}:")
    try:
        assert isinstance(r, SlotCluster)
        assert sorted(r.nodes_manager.startup_nodes) == ["10.0.0.1:7001", "::1:7002"]
        node = r.nodes_manager.startup_nodes["10.0.0.1:7001"]
        kwargs = node.connection_kwargs
        assert (kwargs["username"], kwargs["password"]) == ("bot", "s:cret")
        assert r.anchor == "{shop}:"  # key-less scripts and scans go to this tag's slot
    finally:
        await r.aclose()


async def test_a_server_url_opens_a_plain_client():
    r = client_for("redis://127.0.0.1:6379/3")
    try:
        assert type(r) is Redis
    finally:
        await r.aclose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis+cluster:///", "at least one node"),
        ("redis+cluster://h1,h2:7001", "host:port"),
        ("redis+cluster://h1:7001/2", "database 0 only"),
    ],
)
def test_a_bad_cluster_url_is_a_clear_error(url, says):
    with pytest.raises(StoreURLError, match=says):
        client_for(url)


async def test_the_store_url_setting_and_open_store_accept_a_cluster():
    url = "redis+cluster://127.0.0.1:7001,127.0.0.1:7002?prefix=shop"
    assert Settings(_env_file=None, store_url=url).store_url == url
    store = open_store(url)
    try:
        assert isinstance(store, RedisStore) and isinstance(store.r, SlotCluster)
        assert store.p == "{shop}:" and store.r.anchor == store.p
    finally:
        await store.r.aclose()
