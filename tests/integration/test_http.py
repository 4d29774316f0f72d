"""The one server's own routes, and the promise across a restart (real SQLite file)."""

from __future__ import annotations

import aiohttp
import pytest
from parley.channels.webchat.identity import Identities
from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import InboxItem

from parley.app import Bot
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_health_readiness_and_metrics(parley, http):
    base = f"http://127.0.0.1:{parley.port}"
    async with http.get(f"{base}/healthz") as r:
        assert r.status == 200
    async with http.get(f"{base}/readyz") as r:
        assert r.status == 200
    chat = await ChatClient(http, parley.port).connect()
    await chat.say("how much is shipping")
    await chat.next("reply")
    async with http.get(f"{base}/metrics") as r:
        body = await r.text()
    assert 'parley_messages_in_total{channel="web"} 1.0' in body
    assert 'parley_messages_out_total{channel="web"} 1.0' in body
    assert 'parley_turn_seconds_count{channel="web"} 1.0' in body
    async with http.get(f"{base}/nope") as r:
        assert r.status == 404


async def test_readyz_is_503_when_the_store_is_down(parley, http):
    await parley.store.close()
    async with http.get(f"http://127.0.0.1:{parley.port}/readyz") as r:
        assert r.status == 503
        assert "store" in (await r.json())["status"]
    await parley.store.open()  # so teardown closes cleanly


async def test_an_accepted_event_survives_a_crash_before_its_turn(make_settings, tmp_path, http):
    # Accept an event the way a webhook does, then "crash" before the turn runs.
    settings = make_settings()
    store = SQLiteStore(tmp_path / "parley.db")
    await store.open()
    page = await Identities(store).issue()  # the identity a page was given earlier
    address = Address(channel="web", chat=page.chat, user=page.chat)
    inbound = Inbound(address=address, event_id="evt-1", text="how much is shipping")
    assert await store.accept(InboxItem("web:evt-1", address.conversation, inbound, 0.0), 3600)
    await store.close()
    # A new process starts: the sweeper finds the event, answers it; the page gets the answer.
    async with Bot(settings) as app:
        chat = await ChatClient(http, app.port, page.cid, page.token).connect()
        reply = await chat.next("reply")
        assert "4.95" in reply["text"]
        # and the same event delivered again by the platform is still a duplicate
        assert not await app.engine.deliver(inbound)


async def test_queued_replies_survive_a_restart(make_settings, http):
    settings = make_settings()
    async with Bot(settings) as app:
        chat = await ChatClient(http, app.port).connect()
        await chat.close()
        await eventually(lambda: not app.channels["web"].online(chat.chat))
        address = Address(channel="web", chat=chat.chat, user=chat.chat)
        await app.engine.deliver(Inbound(address=address, event_id="e-9", text="do you take paypal"))
        await eventually(lambda: app.store.outbox_stats())
        stats = await app.store.outbox_stats()
        assert stats.sent == 0  # nobody is listening: the reply waits
    async with Bot(settings) as app:
        chat = await ChatClient(http, app.port, chat.cid, chat.token).connect()
        reply = await chat.next("reply")
        assert "PayPal" in reply["text"]
        await eventually(lambda: _sent(app))


async def _sent(app) -> bool:
    return (await app.store.outbox_stats()).sent == 1
