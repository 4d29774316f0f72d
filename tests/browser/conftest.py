"""A real headless Chromium (Debian's), driven by Playwright without downloading a browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require
from tests.paths import ROOT

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


# Screenshots and other artefacts for people to look at: build/test-output/ (PARLEY_TEST_OUTPUT
# elsewhere), one folder per test module, kept after the run.
OUTPUT = Path(os.environ.get("PARLEY_TEST_OUTPUT") or ROOT / "build" / "test-output")


@pytest.fixture
def output_dir(request) -> Path:
    folder = OUTPUT / request.module.__name__.rsplit(".", 1)[-1]
    folder.mkdir(parents=True, exist_ok=True)
    return folder
