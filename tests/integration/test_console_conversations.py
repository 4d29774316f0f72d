"""Conversations in the console: the live list with open handoffs and their wait, a transcript
with who answered and the sources the bot cited, and the Slack desk card's link to it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from parley.core.console.roles import Role
from parley.core.handoff.card import handoff_card
from parley.core.handoff.cases import Case
from parley.core.kernel.messages import Address, Inbound

from parley.app import Bot
from tests.conftest import eventually
from tests.integration.console_support import add_user, client, sign_in

ASKS = Address(channel="web", chat="c1", user="u1")
CHATS = Address(channel="web", chat="c2", user="u2")


async def said(app: Bot, address: Address, event: str, text: str) -> None:
    await app.engine.deliver(Inbound(address=address, event_id=event, text=text, user_name="Ana"))

    async def answered() -> bool:
        history = (await app.store.state(address.conversation)).get("history", [])
        return any(h["text"] == text for h in history) and history[-1]["role"] != "user"

    await eventually(answered)


async def queued(app: Bot, address: Address, minutes: int) -> None:
    """The desk's record of a handoff waiting for an agent (no Slack desk in this test), written
    through the store's own lock and commit as a turn would."""
    conversation = address.conversation
    batch = await app.store.begin(conversation, 30, 10, app.clock())
    state = dict(batch.state)
    at = datetime.fromtimestamp(app.clock() - minutes * 60, UTC).isoformat()
    state["handoff"] = {"status": "queued", "case": "c1", "at": at, "reason": "asked"}
    await app.store.commit(conversation, batch.token, "", state, {}, [], release=True)


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://")) as parley:
        await add_user(parley, "lee", Role.AGENT_LEAD)
        await add_user(parley, "mo", Role.MARKETER)
        await said(parley, CHATS, "e1", "How long does delivery take?")
        await said(parley, ASKS, "e2", "I want to talk to a human")
        await eventually(lambda: parley.scheduler.sched.person(ASKS.person))
        await queued(parley, ASKS, minutes=12)
        await eventually(lambda: parley.scheduler.sched.person(CHATS.person))
        yield parley


async def test_the_live_list_puts_open_handoffs_first(app):
    async with client() as http:
        assert await sign_in(http, f"http://127.0.0.1:{app.port}", "lee") == 303
        async with http.get(f"http://127.0.0.1:{app.port}/console/conversations") as resp:
            html = await resp.text()
        assert resp.status == 200
        asks, chats = quote(ASKS.conversation), quote(CHATS.conversation)  # as the links have them
        assert html.index(asks) < html.index(chats)  # the one waiting for a person first
        assert "demo" in html and "waiting for an agent" in html and "12 min" in html
        async with http.get(f"http://127.0.0.1:{app.port}/console/conversations?handoff=open") as resp:
            html = await resp.text()
        assert asks in html and chats not in html


async def test_a_transcript_shows_who_said_what_and_the_sources(app):
    async with client() as http:
        assert await sign_in(http, f"http://127.0.0.1:{app.port}", "lee") == 303
        async with http.get(f"http://127.0.0.1:{app.port}/console/conversations/{CHATS.conversation}") as resp:
            html = await resp.text()
        assert resp.status == 200
        assert "How long does delivery take?" in html and "Customer" in html and "Bot" in html
        assert "Sources" in html and "<cite>" in html  # the retrieval brain names its passage
        async with http.get(f"http://127.0.0.1:{app.port}/console/conversations/web:nobody:") as resp:
            assert resp.status == 404
    async with client() as http:
        assert await sign_in(http, f"http://127.0.0.1:{app.port}", "mo") == 303
        async with http.get(f"http://127.0.0.1:{app.port}/console/conversations") as resp:
            assert resp.status == 403  # marketers run campaigns, not the desk


def test_the_desk_card_links_to_the_transcript():
    case = Case("abc", "handoff", ASKS.model_dump(), "en", 0.0, "asked")
    assert handoff_card(case).card.link == "" and "console" not in handoff_card(case).text
    case.link = "https://bot.example.com/console/conversations/web%3Ac1%3A"
    card = handoff_card(case)
    assert card.card.link == case.link and card.card.link_title == "Open conversation"  # a link button
    assert f"Conversation: {case.link}" in card.text  # and in the plain-text fallback


def test_the_desk_links_only_when_the_console_is_on_and_public(make_settings):
    public = "https://bot.example.com"
    assert Bot(make_settings(public_url=public)).desk.transcripts == f"{public}/console/conversations/"
    assert Bot(make_settings()).desk.transcripts == ""  # no public URL: nothing a desk could open
    assert Bot(make_settings(public_url=public, console={"enabled": False})).desk.transcripts == ""
