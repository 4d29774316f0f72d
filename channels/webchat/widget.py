"""The widget's and the page's files and their configuration, over HTTP.

- ``GET /widget.js``: the one file the snippet loads (client.js + widget.js + the CSS, joined in
  one closure when the channel starts: no build step, nothing for a deployer to run).
- ``GET /chat/client.js``, ``GET /chat/chat.css``: the same panel for the standalone /chat page.
- ``GET /widget/config?locale=..&persona=..``: branding, words and greetings (parley.channels.
  webchat.branding), for pages on an allowed origin only; others get a 403 and one log line.

The files are public (a script tag sends no Origin to check); what they talk to is not: the
config and the websocket refuse an origin that PARLEY_WEBCHAT__ALLOWED_ORIGINS does not name.
Each file is gzipped once, here, and served gzipped to browsers that accept it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from aiohttp import web
from parley.channels.webchat.branding import Branding
from parley.channels.webchat.identity import origin_allowed

STATIC = Path(__file__).parent / "static"
MAX_HINT = 35  # a BCP 47 tag is short; anything longer is not a language


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Asset:
        # mtime=0: the same bytes on every start and every process (an ETag that holds).
        return cls(
            body, gzip.compress(body, 9, mtime=0), content_type, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        )


def widget_source(folder: Path = STATIC) -> bytes:
    """widget.js as served: the shared panel and the launcher in one closure, with the CSS."""
    css = (folder / "chat.css").read_text(encoding="utf-8") + (folder / "widget.css").read_text(encoding="utf-8")
    parts = [
        "(() => {",
        "const CSS = " + json.dumps(css) + ";",
        (folder / "client.js").read_text(encoding="utf-8"),
        (folder / "widget.js").read_text(encoding="utf-8"),
        "})();",
    ]
    return "\n".join(parts).encode()


def assets(folder: Path = STATIC) -> dict[str, Asset]:
    js, css = "application/javascript; charset=utf-8", "text/css; charset=utf-8"
    return {
        "/widget.js": Asset.of(widget_source(folder), js),
        "/chat/client.js": Asset.of((folder / "client.js").read_bytes(), js),
        "/chat/chat.css": Asset.of((folder / "chat.css").read_bytes(), css),
    }


class Widget:
    def __init__(
        self,
        branding: Branding,
        allowed_origins: tuple[str, ...],
        refuse: Callable[[str, str], None],
    ) -> None:
        self.branding = branding
        self.allowed_origins = allowed_origins
        self.refuse = refuse  # (reason, origin): the channel's one log line and metric
        self.assets = assets()
        self.page_html = (STATIC / "chat.html").read_text(encoding="utf-8")

    def routes(self) -> list[web.RouteDef]:
        files = [web.get(path, self.file) for path in self.assets]
        return [*files, web.get("/chat", self.page), web.get("/widget/config", self.config)]

    async def page(self, request: web.Request) -> web.Response:
        """The /chat page with its title, language and direction already right for the browser's
        first language (the panel's script then follows the conversation's)."""
        first = request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()[:MAX_HINT]
        config = self.branding.config(first)
        html = self.page_html.replace("<title>Chat</title>", f"<title>{escape(config.title)}</title>", 1).replace(
            '<html lang="en">', f'<html lang="{escape(config.lang)}" dir="{escape(config.dir)}">', 1
        )
        response = web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-cache"})
        response.enable_compression()
        return response

    async def file(self, request: web.Request) -> web.Response:
        asset = self.assets[request.path]
        headers = {"ETag": asset.etag, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
        # Revalidated on each load (a cheap 304), so a deploy's new widget reaches every site at once.
        headers["Cache-Control"] = "no-cache"
        if request.headers.get("If-None-Match") == asset.etag:
            return web.Response(status=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = asset.gzipped, "gzip"
        # Set as a header, not content_type=: aiohttp would otherwise compress the body again.
        headers["Content-Type"] = asset.content_type
        return web.Response(body=body, headers=headers)

    def allowed(self, request: web.Request) -> bool:
        return origin_allowed(request.headers.get("Origin", ""), request.host, self.allowed_origins)

    async def config(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin", "")
        # The refusal is readable by the refused page (it names no secret), so the widget can
        # tell the site's developer why it stays hidden instead of failing without a word.
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {"Vary": "Origin"}
        if not self.allowed(request):
            self.refuse("origin", origin)
            return web.json_response({"error": "origin not allowed"}, status=403, headers=cors)
        locale = request.query.get("locale", "")[:MAX_HINT]
        persona = request.query.get("persona", "")[:64]
        config = self.branding.config(locale, persona)
        response = web.json_response(config.as_json(), headers={**cors, "Cache-Control": "no-cache"})
        response.enable_compression()  # gzip when the browser accepts it (Arabic words are many bytes)
        return response
