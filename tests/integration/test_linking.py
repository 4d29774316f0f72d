"""A customer links WhatsApp and the web chat and continues one conversation across them: the web
chat through its real websocket protocol, WhatsApp through Twilio's signed webhooks and the fake
Twilio REST API (the real twilio SDK sends the replies). On SQLite and on Redis."""

from __future__ import annotations

import re

import aiohttp
import pytest

from parley.testing.lines import WebLine
from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, twilio_parley

WA = f"whatsapp:{CUSTOMER}"
CODE = re.compile(r"(\d{3}) (\d{3})")


async def said(line: WebLine, count: int) -> list[str]:
    await eventually(lambda: len(line.received()) >= count, timeout=10)
    return [m.text for m in line.received()]


async def link_web_to_whatsapp(h, http: aiohttp.ClientSession) -> WebLine:
    web = await WebLine.open(http, h.app.port, "en")
    await web.say("Do you ship to Canada?")
    await said(web, 1)
    await web.say("/link whatsapp")
    shown = (await said(web, 2))[-1]
    code = "".join(CODE.search(shown).groups())
    assert "wa.me/14155238886?text=LINK%20" + code in shown  # the click-to-chat link carries it
    await h.whatsapp(f"LINK {code}", "SMlink1")
    done = await eventually(lambda: h.sent_to(WA), timeout=10)
    assert "linked with web chat" in done[-1]["Body"]
    assert "linked with WhatsApp" in (await said(web, 3))[-1]  # the side that asked hears it too
    return web


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_one_conversation_across_whatsapp_and_the_web_chat(make_settings, redis_url, backend):
    async with twilio_parley(make_settings, redis_url=redis_url if backend == "redis" else "") as h:
        web = await link_web_to_whatsapp(h, h.http)
        store = h.app.store
        person = await store.person_of(WA)
        group = await store.identities(person)
        assert len(group) == 2 and WA in group  # the web chat's identity is the server's own id
        web_identity = next(i for i in group if i.startswith("web:"))
        web_conversation = f"{web_identity}:"
        assert await store.person_of(web_identity) == person

        await h.whatsapp("And what about returns?", "SMlink2")
        await eventually(lambda: len(h.sent_to(WA)) >= 2, timeout=10)
        # What the brain read for the WhatsApp question: the web chat's question is in it.
        wa_state = await store.state(f"whatsapp:{CUSTOMER}:")
        texts = [(e.get("via"), e["text"]) for e in wa_state["history"] if e["role"] == "user"]
        assert ("web", "Do you ship to Canada?") in texts
        assert ("whatsapp", "And what about returns?") in texts

        await web.say("Thanks, and opening hours?")
        await said(web, 4)
        web_state = await store.state(web_conversation)
        theirs = [e["text"] for e in web_state["history"] if e["role"] == "user"]
        assert theirs.index("Do you ship to Canada?") < theirs.index("And what about returns?")
        assert theirs[-1] == "Thanks, and opening hours?"
        profile = await store.profile(person)
        assert profile["identities"] == sorted([WA, web_identity])
        assert await store.profile(web_identity) == {} or person == web_identity

        # Unlinking splits: the web chat keeps its own part of the transcript, nothing of WhatsApp's.
        await web.say("/unlink")
        assert "no longer linked" in (await said(web, 5))[-1]
        assert await store.person_of(web_identity) == web_identity
        assert await store.person_of(WA) == WA
        await web.say("hello again")
        await said(web, 6)
        web_state = await store.state(web_conversation)
        assert all(e.get("via", "web") == "web" for e in web_state["history"])
        assert "And what about returns?" not in [e["text"] for e in web_state["history"]]
        await web.close()


async def test_a_code_typed_where_it_was_shown_or_guessed_links_nothing(make_settings):
    async with twilio_parley(make_settings) as h:
        web = await WebLine.open(h.http, h.app.port, "en")
        await web.say("/link")
        code = "".join(CODE.search((await said(web, 1))[-1]).groups())
        await web.say(f"/link {code}")  # on the identity that asked: refused
        assert "isn't valid" in (await said(web, 2))[-1]
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        await h.whatsapp(f"LINK {wrong}", "SMg1")
        await eventually(lambda: h.sent_to(WA), timeout=10)
        assert "isn't valid" in h.sent_to(WA)[-1]["Body"]
        assert await h.app.store.person_of(WA) == WA
        # The right code still works once, then never again (a replay from a third identity).
        await h.whatsapp(f"LINK {code}", "SMg2")
        await eventually(lambda: len(h.sent_to(WA)) == 2, timeout=10)
        assert "linked with web chat" in h.sent_to(WA)[-1]["Body"]
        await h.sms(f"LINK {code}", "SMg3")
        await eventually(lambda: h.sent_to(CUSTOMER), timeout=10)
        assert "isn't valid" in h.sent_to(CUSTOMER)[-1]["Body"]
        assert await h.app.store.person_of(f"sms:{CUSTOMER}") == f"sms:{CUSTOMER}"
        await web.close()


async def test_a_code_sent_to_a_number_the_customer_gives_links_only_the_chat_that_asked(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.whatsapp("hello", "SMn1")  # this number chats with us on WhatsApp
        await eventually(lambda: h.sent_to(WA), timeout=10)
        web = await WebLine.open(h.http, h.app.port, "en")
        await web.say("my number is +1 555 123 0001")
        await eventually(lambda: any("Send /link" in m.text for m in web.received()), timeout=10)
        offered = next(m.text for m in web.received() if "Send /link" in m.text)
        assert f"Send /link {CUSTOMER}" in offered  # a suggestion, never a link
        seen = len(web.received())
        await web.say(f"/link {CUSTOMER}")
        answer = (await said(web, seen + 1))[-1]
        sent = await eventually(lambda: len(h.sent_to(WA)) >= 2 and h.sent_to(WA), timeout=10)
        code = "".join(CODE.search(sent[-1]["Body"]).groups())
        assert "If you didn't ask for it, ignore this message." in sent[-1]["Body"]

        # The same answer for a number nobody knows, and nothing sent anywhere for it.
        await web.say("/link +15559999999")
        assert (await said(web, seen + 2))[-1] == answer.replace(CUSTOMER, "+15559999999")
        assert not h.sent_to("+15559999999") and not h.sent_to("whatsapp:+15559999999")

        intruder = await WebLine.open(h.http, h.app.port, "en")  # someone else types the code
        await intruder.say(f"LINK {code}")
        assert "isn't valid" in (await said(intruder, 1))[-1]
        await web.say(f"LINK {code}")
        assert "linked with WhatsApp" in (await said(web, seen + 3))[-1]
        group = await h.app.store.identities(await h.app.store.person_of(WA))
        assert len(group) == 2 and WA in group
        await intruder.close()
        await web.close()
