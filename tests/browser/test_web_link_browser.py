"""The web chat's link in a real headless Chromium: a customer on WhatsApp (Twilio's signed
webhooks, the fake Twilio REST API) asks to link the web chat, opens the link /link offers
(``/chat?link=<token>``) and continues the same conversation in the browser. The link links once:
the address bar loses it, a reload does not replay it, and another browser opening it links
nothing."""

from __future__ import annotations

import re

from parley.core.kernel.messages import Address

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, PUBLIC_URL, twilio_parley

WA = f"whatsapp:{CUSTOMER}"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/chat\?link=([A-Za-z0-9_-]{32})")


async def test_a_whatsapp_customer_opens_the_web_link_and_continues_there(make_settings, browser, output_dir):
    async with twilio_parley(make_settings) as h:
        await h.whatsapp("Do you ship to Canada?", "SMw1")
        await eventually(lambda: h.sent_to(WA), timeout=10)
        await h.whatsapp("link my web chat", "SMw2")
        await eventually(lambda: len(h.sent_to(WA)) >= 2, timeout=10)
        offered = h.sent_to(WA)[-1]["Body"]
        assert LINK.search(offered), offered
        token = LINK.search(offered).group(1)  # the web chat's link, carrying a signed token

        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(f"http://127.0.0.1:{h.app.port}/chat?link={token}&utm=x")
        await page.locator(".msg.bot", has_text="linked with WhatsApp").wait_for()
        assert page.url.endswith("/chat?utm=x")  # the token left the address bar, the rest stayed
        await eventually(lambda: "linked with web chat" in h.sent_to(WA)[-1]["Body"], timeout=10)
        person = await h.app.store.person_of(WA)
        group = await h.app.store.identities(person)
        web = next(i for i in group if i.startswith("web:"))
        assert group == sorted([WA, web]) or set(group) == {WA, web}

        # One conversation: what the brain reads on the web includes the WhatsApp question.
        await page.get_by_label("Your message").fill("And what about returns?")
        await page.keyboard.press("Enter")
        await page.locator(".msg.bot").nth(1).wait_for()
        state = await h.app.store.state(f"{web}:")
        asked = [(e.get("via"), e["text"]) for e in state["history"] if e["role"] == "user"]
        assert ("whatsapp", "Do you ship to Canada?") in asked and ("web", "And what about returns?") in asked
        assert not any("/link" in text for _, text in asked if text != "link my web chat")
        await page.screenshot(path=output_dir / "web-link-phone.png", full_page=True)

        # A reload sends nothing again; another browser with the same (spent) link links nothing.
        bots = await page.locator(".msg.bot").count()
        await page.reload()
        await page.get_by_text("Online").wait_for()
        await page.get_by_label("Your message").fill("thanks")
        await page.keyboard.press("Enter")
        await page.locator(".msg.bot").nth(bots).wait_for()
        assert await page.locator(".msg.bot", has_text="isn't valid").count() == 0
        other = await browser.new_page()
        await other.goto(f"http://127.0.0.1:{h.app.port}/chat?link={token}")
        await other.locator(".msg.bot", has_text="isn't valid").wait_for()
        assert set(await h.app.store.identities(person)) == {WA, web}  # no third identity joined
        stranger = Address(channel="web", chat="x", user="x")  # nothing of theirs named the person
        assert await h.app.store.person_of(stranger.person) == stranger.person
