"""The web chat page in a real headless Chromium: type, read, click, reconnect, phone size."""

from __future__ import annotations

from parley.app import Bot


async def test_ask_a_question_read_the_answer_and_click_a_button(parley, browser):
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    await page.get_by_text("Online").wait_for()
    await page.get_by_label("Your message").fill("How long does delivery take?")
    await page.keyboard.press("Enter")
    answer = page.locator(".msg.bot").last
    await answer.get_by_text("3 to 5 business days").wait_for()
    assert "Source: Shipping: Delivery times" in await answer.inner_text()
    # A question the shop can't answer offers a person; the button works.
    await page.get_by_label("Your message").fill("Can you fix my bicycle chain?")
    await page.get_by_role("button", name="Send").click()
    button = page.get_by_role("button", name="Talk to a person")
    await button.wait_for()
    await button.click()
    await page.get_by_text("no one from our team can join").wait_for()
    assert await page.locator(".msg.user").count() == 3


async def test_page_reconnects_after_a_restart_and_keeps_its_conversation(make_settings, browser):
    settings = make_settings()
    page = await browser.new_page()
    async with Bot(settings) as app:
        port = app.port
        await page.goto(f"http://127.0.0.1:{port}/chat")
        await page.get_by_label("Your message").fill("do you take paypal")
        await page.keyboard.press("Enter")
        await page.locator(".msg.bot", has_text="PayPal").wait_for()
    await page.get_by_text("Reconnecting").wait_for()
    # The same port again, as a restarted server would have.
    settings = settings.model_copy(update={"http": settings.http.model_copy(update={"port": port})})
    async with Bot(settings):
        await page.get_by_text("Online").wait_for(timeout=15000)
        await page.get_by_label("Your message").fill("how much is shipping")
        await page.keyboard.press("Enter")
        await page.locator(".msg.bot", has_text="4.95").wait_for()
        # the earlier exchange is still on the page, shown once
        assert await page.locator(".msg.bot", has_text="PayPal").count() == 1
        await page.reload()
        await page.locator(".msg.bot", has_text="4.95").wait_for()
        assert await page.locator(".msg.user").count() == 2  # kept across a reload too


async def test_works_on_a_phone_sized_screen(parley, browser):
    context = await browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    await page.get_by_text("Online").wait_for()
    box = await page.get_by_label("Your message").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 667
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375  # no sideways scrolling
    await page.get_by_label("Your message").fill("hello")
    await page.get_by_role("button", name="Send").tap()
    await page.locator(".msg.bot", has_text="I'm Mia").wait_for()
    await context.close()


async def test_a_first_visit_says_what_to_do_and_the_hint_goes_once_talking(parley, browser):
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{parley.port}/chat")
    hint = page.locator("#empty")
    await hint.get_by_text("Type below to start").wait_for()
    await page.get_by_label("Your message").fill("hello")
    await page.keyboard.press("Enter")
    await page.locator(".msg.bot").first.wait_for()
    assert await hint.count() == 0
