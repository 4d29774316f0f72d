"""One open web chat socket, the message id of a frame refused before it is understood, and the
command a link frame stands for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiohttp import web
from parley.channels.webchat.identity import Identity
from parley.core.kernel.ratelimit import Limiter
from parley.core.linking.flow import TOKEN

ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_FRAME_ID = re.compile(r'"id"\s*:\s*"([A-Za-z0-9_-]{8,64})"')


@dataclass
class Session:
    """One open socket: who it is (after hello), its language and its frame budget."""

    ws: web.WebSocketResponse
    limiter: Limiter
    identity: Identity | None = None
    locale: str = ""
    persona: str = ""  # the persona the page chose, when the bot has it
    throttled: int = 0


def frame_id(data: object) -> str:
    """The message id of a frame we refuse before (or without) parsing it, when it has a usable
    one: the page then drops that message instead of resending it."""
    if isinstance(data, dict):
        value = data.get("id")
        return value if isinstance(value, str) and ID.match(value) else ""
    found = _FRAME_ID.search(data) if isinstance(data, str) else None
    return found.group(1) if found else ""


def link_command(frame: dict) -> str | None:
    """A ``link`` frame (the page opened as ``/chat?link=<token>``) as the command a customer
    would type, ``/link <token>``, which the linking middleware checks and spends (docs/privacy.md);
    None for a token that cannot be one."""
    token = frame.get("token")
    return f"/link {token}" if isinstance(token, str) and TOKEN.fullmatch(token) else None
