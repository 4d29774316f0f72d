"""The admin API's helpers: a bounded JSON body, an error as ``{"error": message}``, and a
person's export as a download (the API's and the console's)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from parley.core.kernel.door import parse_json


async def json_body(request: web.Request) -> Any:
    # parse_json raises BadInput (bounded, valid Unicode): the server answers 400 with one line.
    return parse_json(await request.read())


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def export_download(person: str, body: dict[str, Any]) -> web.Response:
    """A person's export (core/privacy/subject.py) as a JSON file to save, never cached; the file
    is named by the person's id with anything but letters and digits made a dash."""
    name = "person-" + "".join(c if c.isalnum() else "-" for c in person)[:80] + ".json"
    return web.Response(
        body=json.dumps(body, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
