"""The web chat page with the LLM brain: a streamed draft grows, then one final bubble."""

from __future__ import annotations

from parley.app import Bot
from parley.testing.fakes.openai import FakeOpenAI
from tests.contract.llm_support import llm_settings

ANSWER = "Standard delivery takes 3-5 working days, express 1-2 working days [1]."


async def test_streamed_answer_becomes_one_bubble_with_feedback(make_settings, browser):
    async with FakeOpenAI(lambda body: {"text": ANSWER, "chunk": 4, "gap": 0.03}) as fake:
        async with Bot(make_settings(**llm_settings(fake.base_url))) as app:
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{app.port}/chat")
            await page.get_by_text("Online").wait_for()
            await page.get_by_label("Your message").fill("How long does shipping take?")
            await page.keyboard.press("Enter")
            await page.locator("[data-stream]").first.wait_for()  # the draft, while it grows
            final = page.locator(".msg.bot", has_text="Source [1]")
            await final.wait_for()
            assert await page.locator("[data-stream]").count() == 0  # the draft was replaced
            assert await page.locator(".msg.bot", has_text="3-5 working days").count() == 1
            await page.get_by_role("button", name="👎").click()
            await page.get_by_text("bring in a person").wait_for()
            await page.get_by_role("button", name="Talk to a person").wait_for()
