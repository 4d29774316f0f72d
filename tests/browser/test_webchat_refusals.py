"""The page against a server that refuses: a refused message is dropped, never resent in a loop,
and ids come from the browser's CSPRNG even where ``crypto.randomUUID`` is missing."""

from __future__ import annotations

import json

from parley.app import Bot

# A message the server will refuse for good (its text is not a string), waiting in the outbox
# as a page left it: the page used to resend such a frame on every reconnect, forever.
POISON = {"type": "message", "id": "poison-00000001", "text": {"not": "text"}}


def _refused(app: Bot) -> float:
    return sum(
        sample.value
        for metric in app.metrics.rejected.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["channel"] == "web"
    )


async def test_a_refused_message_is_dropped_and_not_resent_after_reconnects(make_settings, browser):
    async with Bot(make_settings()) as app:
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{app.port}/chat")
        await page.get_by_text("Online").wait_for()
        transcript = [{"role": "user", "text": "poison", "id": "u-" + POISON["id"], "pending": True}]
        await page.evaluate(
            "([o, t]) => { localStorage.setItem('parley.outbox', o); localStorage.setItem('parley.transcript', t); }",
            [json.dumps([POISON]), json.dumps(transcript)],
        )
        for _ in range(3):  # reload = reconnect: the old page resent the outbox each time
            await page.reload()
            await page.get_by_text("Online").wait_for()
            await page.locator(".msg.user.failed").wait_for()
        assert _refused(app) == 1  # refused once, then never sent again
        assert json.loads(await page.evaluate("localStorage.getItem('parley.outbox')")) == []
        assert await page.locator(".msg.user.failed").get_attribute("title") == "Not sent"
        # The page goes on working.
        await page.get_by_label("Your message").fill("how much is shipping")
        await page.keyboard.press("Enter")
        await page.locator(".msg.bot", has_text="4.95").wait_for()


async def test_ids_come_from_get_random_values_without_random_uuid(parley, browser):
    page = await browser.new_page()
    # A plain-HTTP page on a public host has no crypto.randomUUID; Math.random must never be used.
    await page.add_init_script("delete Crypto.prototype.randomUUID; Math.random = () => { throw new Error('no'); };")
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    await page.get_by_text("Online").wait_for()
    await page.get_by_label("Your message").fill("do you take paypal")
    await page.keyboard.press("Enter")
    await page.locator(".msg.bot", has_text="PayPal").wait_for()
    sent = await page.locator(".msg.user").get_attribute("data-id")
    assert sent.startswith("u-") and len(sent) == 2 + 32 and int(sent[2:], 16) >= 0


async def test_the_page_keeps_its_issued_identity_across_reloads(parley, browser):
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    await page.get_by_text("Online").wait_for()
    first = await page.evaluate("[localStorage.getItem('parley.cid'), localStorage.getItem('parley.token')]")
    assert all(first)
    await page.reload()
    await page.get_by_text("Online").wait_for()
    assert await page.evaluate("[localStorage.getItem('parley.cid'), localStorage.getItem('parley.token')]") == first
