"""Jinja2 for the console's pages: autoescaped HTML, strings from the locale packs' ``[console]``
tables (English when a pack has none), and the headers every page carries."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from parley.core.console.roles import Permission
from parley.core.i18n.locales import LocaleCatalog, LocalePack

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK = "en"

# Everything a page loads comes from /console/static: no inline script, no other site.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages hold people's data: never in a shared cache
}


def isotime(epoch: float) -> str:
    """Seconds since the epoch as "2026-05-01 09:30:00Z" (readable, and valid in <time datetime>)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def when(epoch: float) -> Markup:
    """A time in a page: a <time> element, which reads left to right in a right-to-left page
    (console.css), so "2026-05-01 09:30:00Z" is not reordered by the bidi algorithm."""
    text = isotime(epoch)
    return Markup('<time datetime="{0}">{0}</time>').format(text)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


class Strings:
    """``t("key", name=...)`` for one request's language."""

    def __init__(self, catalog: LocaleCatalog, pack: LocalePack) -> None:
        self.chain = (*pack.chain, *catalog.get(FALLBACK).chain)
        self.code = pack.code
        self.direction = pack.direction

    def __call__(self, key: str, **values: Any) -> str:
        for pack in self.chain:
            if key in pack.console:
                return string.Formatter().vformat(pack.console[key], (), _Blank(values))
        return key


class Renderer:
    def __init__(self, catalog: LocaleCatalog, folders: tuple[Path, ...] = ()) -> None:
        self.catalog = catalog
        self.env = Environment(
            loader=FileSystemLoader([*folders, TEMPLATES]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,  # a misspelt variable fails the page's test, not silently
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["isotime"] = isotime
        self.env.filters["when"] = when
        self.env.globals["Permission"] = Permission  # templates ask viewer.can(Permission.X)

    def languages(self) -> list[tuple[str, str]]:
        """(code, the language's own name) of every pack the console can be shown in."""
        packs = (self.catalog.get(code) for code in self.catalog.codes)
        return [(p.code, p.name) for p in packs if self._speaks(p)]

    @staticmethod
    def _speaks(pack: LocalePack) -> bool:
        # A pack with no console strings of its own (or of a pack it falls back to before
        # English) would label English text as its language.
        return pack.code == FALLBACK or any(p.console for p in pack.chain if p.code != FALLBACK)

    def strings(self, request: web.Request, chosen: str = "") -> Strings:
        """The user's chosen language (My account), else the first language of Accept-Language
        that has a pack, else the default pack; any of them only if it has console strings."""
        hints = [part.split(";")[0].strip() for part in request.headers.get("Accept-Language", "").split(",")[:8]]
        for code in [chosen, *hints, self.catalog.default]:
            pack = self.catalog.get(code) if self.catalog.match(code) else None
            if pack is not None and self._speaks(pack):
                return Strings(self.catalog, pack)
        return Strings(self.catalog, self.catalog.get(FALLBACK))

    def page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        viewer = context.get("viewer")
        t = self.strings(request, viewer.account.language if viewer is not None else "")
        html = self.env.get_template(template).render(t=t, lang=t.code, dir=t.direction, **context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)
