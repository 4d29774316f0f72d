"""What the embeddable widget costs a shop's page, beside the standalone /chat page, in one run.

    .venv/bin/python -m bench.widget

Starts a real Parley (SQLite in a temporary folder) and fetches, over HTTP as a browser would
(Accept-Encoding: gzip, an Origin on the config), everything the one-line snippet loads:
widget.js and its configuration, in English and in Arabic (the longest words). The baseline is
the /chat page loading the same panel: its HTML, client.js, chat.css and the same configuration.
Prints bytes on the wire (gzipped where the server gzips) and the uncompressed size, and the
issue's budget (30 KB gzipped for what the snippet loads).
"""

from __future__ import annotations

import asyncio
import gzip
import tempfile
from pathlib import Path

import aiohttp
from parley.core.config.settings import Settings

from parley.app import Bot

BUDGET = 30 * 1024
SHOP = "https://shop.example.com"


async def fetch(http: aiohttp.ClientSession, url: str, origin: str = "") -> tuple[int, int]:
    """(bytes on the wire, bytes after gunzip) of one response."""
    headers = {"Accept-Encoding": "gzip", **({"Origin": origin} if origin else {})}
    async with http.get(url, headers=headers, auto_decompress=False) as response:
        wire = await response.read()
        assert response.status == 200, (url, response.status)
        gzipped = response.headers.get("Content-Encoding") == "gzip"
    return len(wire), len(gzip.decompress(wire)) if gzipped else len(wire)


async def total(http: aiohttp.ClientSession, base: str, paths: list[str], origin: str) -> tuple[int, int]:
    sizes = [await fetch(http, base + path, origin if "config" in path else "") for path in paths]
    return sum(s[0] for s in sizes), sum(s[1] for s in sizes)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            store_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            http={"host": "127.0.0.1", "port": 0},
            webchat={"allowed_origins": [SHOP]},
        )
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{app.port}"
            print(f"{'what loads':<44} {'on the wire':>12} {'unzipped':>10}  vs /chat")
            for lang in ("en", "ar"):
                config = f"/widget/config?locale={lang}"
                page_wire, page_plain = await total(
                    http, base, ["/chat", "/chat/client.js", "/chat/chat.css", config], base
                )
                wire, plain = await total(http, base, ["/widget.js", config], SHOP)
                print(f"{'/chat page (baseline), ' + lang:<44} {page_wire:>10} B {page_plain:>8} B  1.00x")
                print(
                    f"{'snippet: widget.js + config, ' + lang:<44} {wire:>10} B {plain:>8} B  {wire / page_wire:.2f}x"
                )
            verdict = "met" if wire <= BUDGET else "MISSED"
            print(f"budget: {BUDGET} B gzipped for what the snippet loads: {verdict} ({wire / BUDGET:.0%} of it)")


if __name__ == "__main__":
    asyncio.run(main())
