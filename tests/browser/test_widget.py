"""The embeddable widget on a shop's own page, served from another origin (a second loopback port),
in a real headless Chromium: launcher, keyboard, chat in English and Arabic, a proactive greeting,
a used button disabled, the unread badge; and the same page refused from an origin not allowed."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp import web
from parley.core.config.settings import shipped

from parley.app import Bot

LAPTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
GREETING = {
    "id": "pricing",
    "url": "/pricing*",
    "after": 20,
    "text": {"en": "Ordering for a team? Ask me about bulk prices."},
}

# A shop page with rules that would wreck a widget living in the page's own DOM.
HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Northwind Goods</title>
<style>
  body {{ margin: 0; font: 18px/3 Georgia, serif; color: #333; background: #faf7f2; }}
  header {{ background: #263238; color: #fff; padding: 1rem 2rem; font-size: 1.4rem; line-height: 1.5; }}
  main {{ padding: 1rem 2rem; max-width: 46rem; }}
  button {{ background: red !important; border: 5px dashed lime; font-size: 30px; }}
  div {{ padding: 40px; }}
  textarea {{ display: none; }}
</style></head><body>
<header>Northwind Goods</header>
<main><h1>Linen for hotels and homes</h1><p>Free delivery over 50 EUR. Returns within 30 days.</p>
<button type="button">Add to basket</button></main>
<script src="{bot}/widget.js" data-parley {attrs} async></script>
</body></html>"""


# The shop's own images: its logo and the persona's face, served from the shop's site.
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="28"><rect width="96" height="28" rx="6" fill="#fff"/>'
    '<text x="48" y="19" font-family="sans-serif" font-size="13" font-weight="700" fill="#263238" '
    'text-anchor="middle">NORTHWIND</text></svg>'
)
FACE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80"><rect width="80" height="80" fill="#ffe0b2"/>'
    '<circle cx="40" cy="32" r="16" fill="#8d5524"/><rect x="16" y="52" width="48" height="40" rx="20" fill="#00897b"/>'
    "</svg>"
)


@dataclass
class Site:
    """A shop's site on its own loopback port: its origin is another than the bot's."""

    origin: str


@asynccontextmanager
async def site(bot_url: list[str]) -> AsyncIterator[Site]:
    found = Site("")

    async def page(request: web.Request) -> web.Response:
        extra = " ".join(
            f'data-{k}="{v}"'
            for k, v in request.query.items()
            if k in ("locale", "persona", "color", "position", "open")
        )
        html = HOST_PAGE.format(bot=bot_url[0], attrs=extra)
        return web.Response(text=html, content_type="text/html")

    async def image(request: web.Request) -> web.Response:
        return web.Response(text=LOGO if request.path == "/logo.svg" else FACE, content_type="image/svg+xml")

    app = web.Application()
    app.router.add_get("/logo.svg", image)
    app.router.add_get("/mia.svg", image)
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    listener = web.TCPSite(runner, "127.0.0.1", 0)
    await listener.start()
    found.origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield found
    finally:
        await runner.cleanup()


@pytest.fixture
async def shops(make_settings, tmp_path) -> AsyncIterator[tuple[Bot, Site, Site]]:
    """The bot, a shop allowed to embed it, and one that is not. Mia has a face (an image on
    the shop's site); Leo has none (his initials); the shop's logo is in the settings."""
    bot_url: list[str] = [""]
    async with site(bot_url) as allowed, site(bot_url) as other:
        personas = tmp_path / "personas"
        shutil.copytree(shipped("personas"), personas, ignore=shutil.ignore_patterns("__*"))
        demo = personas / "demo.toml"  # a top-level key: first, before any [table] of the file
        demo.write_text(f'avatar = "{allowed.origin}/mia.svg"\n' + demo.read_text())
        webchat = {"allowed_origins": [allowed.origin], "greetings": [GREETING], "logo": allowed.origin + "/logo.svg"}
        settings = make_settings(webchat=webchat, personas_dir=personas)
        async with Bot(settings) as app:
            bot_url[0] = f"http://127.0.0.1:{app.port}"
            yield app, allowed, other


def shadow(page):
    """The widget's parts (Playwright's CSS locators pierce open shadow roots)."""
    return page.locator("parley-chat")


async def shot(page, name: str, output_dir) -> None:
    # Looked at by people (docs/img/widget/ holds the ones docs/widget.md shows).
    await page.screenshot(path=str(output_dir / f"widget-{name}.png"))


async def ask(page, text: str, count: int) -> None:
    await page.locator("parley-chat #input").fill(text)
    await page.keyboard.press("Enter")
    await page.wait_for_function(
        f"document.querySelector('parley-chat').shadowRoot.querySelectorAll('.msg.bot').length >= {count}"
    )


# WCAG contrast of each kind of text in the panel against what it is drawn on (the first
# ancestor with a background, out through the shadow root).
CONTRAST = """panel => {
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const lum = (c) => c.slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const under = (el) => {
    for (let e = el; e; e = e.parentElement || e.getRootNode().host) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const ratio = (el) => { const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(under(el))];
                          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const found = {};
  for (const s of [".title", ".sub", ".status", ".msg.bot", ".msg.user", ".send", ".buttons button:enabled", ".typing"]) {
    const el = panel.querySelector(s);
    if (el) found[s] = Math.round(ratio(el) * 10) / 10;
  }
  return found;
}"""


def readable(ratios: dict[str, float]) -> list[str]:
    """The texts under WCAG AA's 4.5:1 (an empty list: all readable)."""
    return [f"{what} {ratio}" for what, ratio in ratios.items() if ratio < 4.5]


# Where a message's full stop lands against the letter before it: in an Arabic sentence it is
# drawn to the left of that letter (the sentence's end), in an English one to the right.
STOP_SIDE = """el => {
  const node = el.firstChild, i = node.textContent.lastIndexOf(".");
  const at = (k) => { const r = document.createRange(); r.setStart(node, k); r.setEnd(node, k + 1);
                      return r.getBoundingClientRect(); };
  const stop = at(i), before = at(i - 1);
  return stop.right <= before.left + 1 ? "left" : stop.left >= before.right - 1 ? "right" : "overlap";
}"""


async def test_a_shop_page_on_another_origin_gets_a_working_localised_widget(shops, browser, output_dir):
    app, shop, _ = shops
    context = await browser.new_context(viewport=LAPTOP, locale="en-US")
    page = await context.new_page()
    await page.goto(shop.origin + "/")
    launcher = page.locator("parley-chat .launcher")
    await launcher.wait_for()
    await shot(page, "laptop-en-closed", output_dir)
    # The host page's CSS does not reach inside: brand colour, our own size, no lime border.
    style = await launcher.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).borderTopStyle]")
    assert style == ["rgb(47, 91, 234)", "none"]
    assert await launcher.get_attribute("aria-label") == "Open the chat"
    assert await launcher.get_attribute("aria-expanded") == "false"

    # Keyboard: Enter on the launcher opens the panel with the cursor in the message box.
    await launcher.focus()
    await page.keyboard.press("Enter")
    panel = page.locator("parley-chat [role=dialog]")
    await panel.wait_for()
    assert await launcher.get_attribute("aria-expanded") == "true"
    assert await page.evaluate("document.querySelector('parley-chat').shadowRoot.activeElement.id") == "input"
    assert await panel.locator(".title").inner_text() == "Chat with Mia"
    # Mia's face and the shop's logo, loaded from the shop's site.
    face, logo = panel.locator(".avatar img"), panel.locator(".logo")
    assert await face.get_attribute("src") == shop.origin + "/mia.svg"
    await page.wait_for_function(
        "() => [...document.querySelector('parley-chat').shadowRoot.querySelectorAll('.avatar img, .logo')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert await logo.is_visible() and await logo.get_attribute("src") == shop.origin + "/logo.svg"
    await panel.get_by_text("Online").wait_for()
    send = panel.get_by_role("button", name="Send")
    assert await send.evaluate("b => getComputedStyle(b).fontSize") == "16px"  # not the page's 30px
    await ask(page, "How long does delivery take?", 1)
    await panel.locator(".msg.bot", has_text="3 to 5 business days").wait_for()
    ratios = await panel.evaluate(CONTRAST)
    assert {".title", ".sub", ".status", ".msg.bot", ".msg.user", ".send"} <= set(ratios)
    assert readable(ratios) == [], ratios

    # A button is used once: the row is disabled after the click, and stays so after a reload.
    await ask(page, "Can you fix my bicycle chain?", 2)
    person = panel.get_by_role("button", name="Talk to a person")
    await person.click()
    await panel.get_by_text("no one from our team can join").wait_for()
    assert await person.is_disabled()
    assert await person.get_attribute("aria-pressed") == "true"
    await shot(page, "laptop-en-open", output_dir)

    # Escape closes and gives the focus back to the launcher.
    await page.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await page.evaluate("document.querySelector('parley-chat').shadowRoot.activeElement.className") == "launcher"

    # A reply that arrives while the panel is closed lights the badge, and the launcher says so:
    # sent, then closed at once (in one task, before any reply can arrive).
    await launcher.click()
    await page.evaluate(
        """() => { const s = document.querySelector('parley-chat').shadowRoot;
                   s.querySelector('#input').value = 'do you take paypal';
                   s.querySelector('form').requestSubmit(); s.querySelector('.launcher').click(); }"""
    )
    badge = page.locator("parley-chat .badge")
    await badge.wait_for()
    assert await badge.inner_text() == "1"
    assert await launcher.get_attribute("aria-label") == "Open the chat (Unread messages: 1)"
    await launcher.click()
    await badge.wait_for(state="hidden")
    await panel.locator(".msg.bot", has_text="PayPal").wait_for()

    await page.reload()
    await launcher.click()
    assert await panel.get_by_role("button", name="Talk to a person").is_disabled()

    # Arabic: the replies and then the panel's own words turn right-to-left.
    await ask(page, "مرحبا", 5)
    await panel.locator(".send", has_text="إرسال").wait_for()
    assert await panel.evaluate("p => [p.dir, p.lang]") == ["rtl", "ar"]
    assert await panel.locator(".title").inner_text() == "تحدّث مع Mia"
    assert await panel.locator("#input").get_attribute("placeholder") == "اكتب رسالتك…"
    arabic = panel.locator(".msg.bot", has_text="مرحبًا").last
    assert await arabic.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert await arabic.evaluate(STOP_SIDE) == "left"
    # An English answer kept in the Arabic panel keeps its full stop at its own end.
    english = panel.locator(".msg.bot", has_text="business days").first
    assert await english.evaluate(STOP_SIDE) == "right"
    # Laid out from the right: the bot's bubble hugs the right edge of the log.
    log, bubble = await panel.locator(".log").bounding_box(), await arabic.bounding_box()
    assert abs((log["x"] + log["width"]) - (bubble["x"] + bubble["width"])) < 40
    await shot(page, "laptop-ar-open", output_dir)
    await page.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await launcher.get_attribute("aria-label") == "فتح المحادثة"
    await shot(page, "laptop-ar-closed", output_dir)
    await context.close()


async def test_an_arabic_visitor_on_a_phone_gets_a_greeting_in_arabic_once(shops, browser, output_dir):
    _, shop, _ = shops
    context = await browser.new_context(viewport=PHONE, locale="ar-SA", is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.clock.install()  # the greeting's 20 seconds pass when the test says so
    await page.goto(shop.origin + "/pricing/linen")
    launcher = page.locator("parley-chat .launcher")
    await launcher.wait_for()
    assert await launcher.get_attribute("aria-label") == "فتح المحادثة"
    await page.clock.run_for(21_000)
    teaser = page.locator("parley-chat .teaser")
    await teaser.wait_for()
    # No Arabic text configured for this greeting: the persona's own greeting, in Arabic.
    assert (await teaser.inner_text()).startswith("مرحبًا! أنا Mia.")
    assert await page.locator("parley-chat .badge").inner_text() == "1"
    await shot(page, "phone-ar-closed", output_dir)

    await teaser.click()
    panel = page.locator("parley-chat [role=dialog]")
    await panel.wait_for()
    assert await panel.evaluate("p => getComputedStyle(p).direction") == "rtl"
    box = await panel.bounding_box()
    assert box["width"] == PHONE["width"] and box["height"] == PHONE["height"]  # the whole screen
    assert await panel.locator(".msg.bot").count() == 1
    await panel.locator(".status[data-state=online]").wait_for()
    await ask(page, "هل تقبلون الدفع عبر باي بال؟", 2)
    await shot(page, "phone-ar-open", output_dir)
    # Closed with the header's button (the launcher is under the full-screen panel).
    await panel.get_by_role("button", name="إغلاق المحادثة").click()
    await panel.wait_for(state="hidden")

    # Once per visitor: another page view of the same path greets no more.
    await page.reload()
    await launcher.wait_for()
    await page.clock.run_for(60_000)
    await launcher.click()
    assert await panel.locator(".msg.bot", has_text="مرحبًا! أنا Mia.").count() == 1
    assert await page.locator("parley-chat .teaser").is_hidden()
    await context.close()


async def test_english_on_a_phone_and_the_page_options(shops, browser, output_dir):
    _, shop, _ = shops
    context = await browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(shop.origin + "/?persona=sales&color=%23ffd400")
    launcher = page.locator("parley-chat .launcher")
    await launcher.wait_for()
    # A light brand colour gets dark ink, so the launcher's icon stays readable.
    assert await launcher.evaluate("b => getComputedStyle(b).color") == "rgb(17, 19, 24)"
    await shot(page, "phone-en-closed", output_dir)
    await launcher.tap()
    panel = page.locator("parley-chat [role=dialog]")
    assert await panel.locator(".title").inner_text() == "Chat with Leo"
    assert await panel.locator(".avatar").inner_text() == "L"  # no image: his initials
    await panel.get_by_text("Online").wait_for()
    await ask(page, "hello", 1)
    await panel.locator(".msg.bot", has_text="Leo").first.wait_for()  # the chosen persona answers
    assert readable(await panel.evaluate(CONTRAST)) == []  # a light brand colour stays readable
    await shot(page, "phone-en-open", output_dir)
    await context.close()


async def test_the_same_page_on_an_origin_not_allowed_is_refused(shops, browser, caplog):
    app, _, other = shops
    page = await browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with caplog.at_level(logging.INFO, logger="parley.webchat"):
        await page.goto(other.origin + "/")
        await page.wait_for_function("!document.querySelector('parley-chat')")  # mounted, refused, removed
        assert any(f"{other.origin} may not embed this chat" in e for e in errors)
        # The websocket refuses that origin too, whatever the page's script tries.
        closed = await page.evaluate(
            """url => new Promise(done => { const ws = new WebSocket(url);
                 ws.onopen = () => done("open"); ws.onclose = (e) => done("closed " + e.code); })""",
            f"ws://127.0.0.1:{app.port}/chat/ws",
        )
    assert closed == "closed 1006"  # the handshake got a 403, never an upgrade
    refused = [r for r in caplog.records if r.getMessage() == "web chat refused an origin not allowed"]
    assert [(r.reason, r.origin) for r in refused] == [("origin", other.origin)] * 2


async def test_left_side_and_open_on_load(shops, browser):
    _, shop, _ = shops
    page = await browser.new_page(viewport=LAPTOP)
    await page.goto(shop.origin + "/?position=left&open=true")
    panel = page.locator("parley-chat [role=dialog]")
    await panel.wait_for()
    launcher, box = page.locator("parley-chat .launcher"), await panel.bounding_box()
    assert box["x"] == 20 and (await launcher.bounding_box())["x"] == 20
    assert await launcher.get_attribute("aria-expanded") == "true"
    # Opened by the page, not by the visitor: the page keeps its own focus.
    assert await page.evaluate("document.activeElement === document.body")
