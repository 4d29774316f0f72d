"""End to end: the web chat websocket, the whole pipeline and the LLM brain on the fake model.

A streamed answer shows as a growing draft, then exactly one final reply replaces it (with the
AI disclosure, sources and feedback buttons); the history records it once; thumbs down offers
a person. Without a key, the retrieval brain answers as before."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from parley.app import Bot
from parley.testing.fakes.openai import FakeOpenAI
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually, redis_up, require
from tests.contract.llm_support import llm_settings


@pytest.fixture
async def fake():
    async with FakeOpenAI() as server:
        yield server


async def chat(app: Bot, session: aiohttp.ClientSession) -> ChatClient:
    return await ChatClient(session, app.port).connect("en-GB")


async def test_streamed_answer_through_the_web_chat(fake, make_settings):
    fake.push({"text": "Standard delivery takes 3-5 working days [1].", "chunk": 3})
    async with Bot(make_settings(**llm_settings(fake.base_url))) as app, aiohttp.ClientSession() as session:
        client = await chat(app, session)
        await client.say("How long does shipping take?", "msg-00000001")
        reply = await client.next("reply")
        drafts = [f for f in client.frames if f["type"] == "stream"]
        assert len(drafts) > 3 and len({f["id"] for f in drafts}) == 1
        assert reply["replaces"] == drafts[0]["id"]
        shown = "".join(f["text"] for f in drafts)
        assert reply["text"].endswith(shown) and reply["text"].startswith("I'm Mia, an AI assistant")
        assert reply["sources"] and reply["sources"][0].startswith("shipping.md")
        payloads = [b["payload"] for b in reply["buttons"]]
        event = f"{client.chat}:msg-00000001"  # message ids are scoped per client
        assert payloads == [f"/feedback up {event}", f"/feedback down {event}"]
        state = await app.store.state(f"web:{client.chat}:")
        assert [h["role"] for h in state["history"]] == ["user", "bot"]  # recorded once
        assert state["history"][1]["text"] == reply["text"]

        await client.press(payloads[1], "👎")
        offer = await client.next("reply")
        assert offer["text"] == "Would you like me to bring in a person from our team?"
        assert offer["buttons"][0]["payload"] == "/human"
        state = await app.store.state(f"web:{client.chat}:")
        assert state["feedback"][event]["vote"] == "down"
        assert len(fake.requests) == 1  # the vote never reached the model

        with pytest.raises(TimeoutError):  # and nothing else was sent: no second copy
            await client.next("reply", timeout=0.3)
        await client.close()


async def test_model_down_still_answers_through_the_web_chat(fake, make_settings):
    fake.responder = lambda body: {"status": 500}
    settings = make_settings(**llm_settings(fake.base_url, deadline=0.2, backoff=0.02))
    async with Bot(settings) as app, aiohttp.ClientSession() as session:
        client = await chat(app, session)
        await client.say("How long does shipping take?")
        reply = await client.next("reply")
        assert reply["sources"] and "Source" in reply["text"]  # the retrieval brain's answer
        async with session.get(f"http://127.0.0.1:{app.port}/metrics") as resp:
            assert 'parley_llm_fallbacks_total{reason="model_unavailable"} 1.0' in await resp.text()
        await client.close()


async def test_without_a_key_the_retrieval_brain_serves(make_settings):
    async with Bot(make_settings()) as app, aiohttp.ClientSession() as session:
        assert app.llm is None
        client = await chat(app, session)
        await client.say("How long does shipping take?")
        reply = await client.next("reply")
        assert not [f for f in client.frames if f["type"] == "stream"] and reply["sources"]
        await client.close()


async def test_knowledge_reloads_without_a_restart(fake, make_settings, tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# Hours\nWe open at nine.\n")
    async with Bot(make_settings(knowledge_dir=str(folder), knowledge_poll=0.05)) as app:
        (folder / "b.md").write_text("# Parking\nFree parking behind the shop.\n")
        await eventually(lambda: len(app.knowledge.passages) == 2)
        assert app.brain.kb is app.knowledge


async def test_reload_picks_up_knowledge_without_polling(make_settings, tmp_path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# Hours\nWe open at nine.\n")
    async with Bot(make_settings(knowledge_dir=str(folder), knowledge_poll=0)) as app:
        (folder / "b.md").write_text("# Parking\nFree parking behind the shop.\n")
        app.reload()  # what bot.py's SIGHUP handler calls
        await eventually(lambda: len(app.knowledge.passages) == 2)


@pytest.fixture
async def redis10():
    """This branch's Redis database (10), under a prefix of its own, emptied of it after."""
    from redis.asyncio import Redis

    require(redis_up(), "Redis at 127.0.0.1:6379")
    prefix = f"llm{uuid.uuid4().hex[:8]}"
    yield f"redis://127.0.0.1:6379/10?prefix={prefix}"
    async with Redis(db=10) as r:
        async for key in r.scan_iter(match=f"*{prefix}*"):
            await r.delete(key)


async def test_streamed_answer_on_the_redis_store(fake, make_settings, redis10):
    fake.push({"text": "Standard delivery takes 3-5 working days [1].", "chunk": 3})
    settings = make_settings(store_url=redis10, **llm_settings(fake.base_url))
    async with Bot(settings) as app, aiohttp.ClientSession() as session:
        # RedisRelay drops a subscribe made while its listener is still connecting: wait for it.
        await eventually(lambda: app.store.relay._pubsub is not None)
        client = await chat(app, session)
        await client.say("How long does shipping take?", "msg-00000005")
        reply = await client.next("reply")
        drafts = [f for f in client.frames if f["type"] == "stream"]
        assert drafts and reply["replaces"] == drafts[0]["id"] and reply["sources"]
        state = await app.store.state(f"web:{client.chat}:")
        assert [h["role"] for h in state["history"]] == ["user", "bot"]
        await client.close()
