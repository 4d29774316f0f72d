"""Arabic renders right-to-left in the web chat, in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.app import Bot
from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def page():
    require(HAVE_CHROMIUM, "Chromium at /usr/bin/chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(locale="en-US")
        yield await context.new_page()
        await browser.close()


async def send(page, text: str, count: int) -> None:
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    await page.wait_for_function(f"document.querySelectorAll('.msg.bot').length >= {count}")


async def test_arabic_replies_turn_the_page_right_to_left(parley: Bot, page):
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    await page.wait_for_selector('#status[data-state="online"]')
    assert await page.evaluate("document.documentElement.dir") in ("", "ltr")

    await send(page, "مرحبا", 1)
    root = await page.evaluate("[document.documentElement.dir, document.documentElement.lang]")
    assert root == ["rtl", "ar"]
    bubble = page.locator(".msg.bot").last
    assert await bubble.get_attribute("dir") == "rtl"
    assert await bubble.evaluate("el => getComputedStyle(el).direction") == "rtl"
    assert "مرحبًا" in await bubble.inner_text()
    # Laid out from the right: the bot's bubble hugs the right edge of the log, the user's the left.
    log = await page.locator("#log").bounding_box()
    box = await bubble.bounding_box()
    mine = await page.locator(".msg.user").last.bounding_box()
    assert log and box and mine
    assert abs((log["x"] + log["width"]) - (box["x"] + box["width"])) < 40
    assert mine["x"] - log["x"] < 40

    # Back to English: left-to-right again, and the choice survives a reload of the page.
    await send(page, "in English please", 2)
    assert await page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == ["ltr", "en"]
    await send(page, "هل تتحدث العربية؟", 3)
    await page.reload()
    await page.wait_for_selector(".msg.bot")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
