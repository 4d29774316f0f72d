"""The desk as a rep sees it, for docs/handoff.md: a complaint and a hot lead go through the real
pipeline, slack-bolt and the Slack fake; a rep claims, notes and answers in the thread; then the
Block Kit the fake received is drawn by the test kit's renderer (parley.testing.blockkit_html)
and screenshotted in Debian's Chromium at laptop and phone width. The page says it is a rendering
of the payloads, not Slack."""

from __future__ import annotations

import time

import aiohttp
import pytest

from parley.app import Bot
from parley.testing.blockkit_html import page
from parley.testing.fakes.slack import TEAM, desk_settings, event_body, fake_slack
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually
from tests.integration.test_desk_thread import blocks_of, post

SECRET = "render-signing-secret"
DESK = "CDESK"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}


def latest(slack, ts: str, first: dict) -> list[dict]:
    """A card as it stands: its last chat.update, else as posted."""
    updates = [u for u in slack.of("chat.update") if u.get("ts") == ts and "blocks" in u]
    return blocks_of(updates[-1] if updates else first)


@pytest.fixture
async def desk(make_settings):
    async with fake_slack() as slack:
        slack.groups["S0SALES"] = ["U0ALE", "U0BEA"]
        settings = make_settings(
            persona="sales",
            public_url="https://bot.example.com",
            console={"enabled": True},
            slack=desk_settings(slack, SECRET),
            handoff={"hours": "mon-sun 00:00-23:59", "lead_routes": [{"group": "S0SALES"}]},
        )
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            yield app, slack, http


async def test_the_desk_rendered_from_the_payloads_at_laptop_and_phone_width(desk, browser, output_dir):
    app, slack, http = desk
    jana = await ChatClient(http, app.port).connect("en-GB")
    await jana.say("Hi, I'm Jana Novak. Order 4471: the linen arrived damaged & it's the third time <3")
    await jana.next("reply")
    [posted] = await eventually(lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == DESK])
    ts = "1767225600.000001"
    claim = next(e for b in blocks_of(posted) if b["type"] == "actions" for e in b["elements"])
    click = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U0ANA", "username": "ana"},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "message_ts": ts, "channel_id": DESK},
        "channel": {"id": DESK},
        "message": {"ts": ts, "text": posted["text"]},
        "actions": [{**claim, "block_id": "b", "action_ts": "2.2"}],
    }
    assert await post(app, http, click, form=True, secret=SECRET) == 200
    await jana.next("reply")  # ana has joined
    said = []
    for n, text in enumerate(
        ("note: third damaged delivery from the same courier", "So sorry, Jana. A new set ships today.")
    ):
        event = {"type": "message", "channel": DESK, "channel_type": "channel", "user": "U0ANA", "text": text}
        body = event_body({**event, "ts": f"{time.time():.6f}", "thread_ts": ts}, f"EvR{n}")
        assert await post(app, http, body, secret=SECRET) == 200
        said.append(text)
    await jana.next("reply")  # the answer, not the note
    await eventually(lambda: len([p for p in slack.of("chat.postMessage") if p.get("thread_ts") == ts]) >= 2)

    leo = await ChatClient(http, app.port).connect("en-US")
    for text in (
        "hello",
        "Uniforms for 40 hotel staff",
        "around $12k",
        "in 2 weeks",
        "ana@hotel.example, Ana Ruiz from Hotel Sol",
    ):
        await leo.say(text)
        await leo.next("reply")
    lead = await eventually(
        lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == DESK and "Lead" in p["text"]]
    )

    parley = [p["text"] for p in slack.of("chat.postMessage") if p.get("thread_ts") == ts]
    thread = [{"who": "Parley", "when": "app", "text": t} for t in parley if "Claimed" in t]
    thread += [{"who": "ana", "when": "", "text": said[0], "rep": True}]
    thread += [{"who": "Parley", "when": "app", "text": t} for t in parley if "internal note" in t]
    thread += [{"who": "ana", "when": "", "text": said[1], "rep": True}]
    messages = [
        {"who": "Parley", "when": "app · 10:04", "blocks": latest(slack, ts, posted), "thread": thread},
        {"who": "Parley", "when": "app · 10:11", "blocks": blocks_of(lead[0])},
    ]
    html = page("#desk", messages, names={"U0ALE": "alejandro", "U0ANA": "ana"})
    shown = html
    assert "Complaint · urgent" in shown and "Claimed by ana" in shown and "@alejandro" in shown
    assert "Lead · hot" in shown and "12,000 USD" in shown
    assert "&amp;amp;" not in shown  # escaped once for Slack, once for the page: "&" shows as "&"

    for size, (width, height) in SIZES.items():
        tab = await browser.new_page(viewport={"width": width, "height": height})
        await tab.set_content(html)
        assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        assert "third time <3" in await tab.inner_text("body")
        await tab.screenshot(path=str(output_dir / f"desk-{size}.png"), full_page=True)
        await tab.close()
