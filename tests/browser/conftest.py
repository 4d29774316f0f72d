"""A real headless Chromium (Debian's), driven by Playwright without downloading a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser():
    require(CHROMIUM.exists(), "Chromium at /usr/bin/chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        await browser.close()
