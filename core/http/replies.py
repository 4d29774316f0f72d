"""The admin API's two helpers: a bounded JSON body, and an error as ``{"error": message}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from parley.core.kernel.door import parse_json


async def json_body(request: web.Request) -> Any:
    # parse_json raises BadInput (bounded, valid Unicode): the server answers 400 with one line.
    return parse_json(await request.read())


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
