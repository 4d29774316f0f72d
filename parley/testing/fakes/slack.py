"""A loopback fake of Slack's Web API and Socket Mode websocket, for the real slack-sdk/bolt.

Tests act as Slack: they sign requests the way Slack does (``signed``), push Socket Mode
envelopes (``push``), and make a method fail (``fail``: 429 with Retry-After, or an error string).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from parley.testing.fakes.blockkit import MESSAGE_BLOCKS, VIEW_BLOCKS, problems, view_problems
from parley.testing.fakes.loopback import start

BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T0TEST"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: v0=HMAC_SHA256(secret, "v0:" + timestamp + ":" + body)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(secret: str, timestamp: float, body: bytes | str, **extra: str) -> dict[str, str]:
    raw = body.encode() if isinstance(body, str) else body
    stamp = str(int(timestamp))
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(secret, stamp, raw), **extra}


def event_body(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1767225600,
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True, "is_enterprise_install": False}],
        "event": event,
    }


def desk_settings(fake: FakeSlack, secret: str, desk: str = "CDESK") -> dict[str, str]:
    """PARLEY_SLACK__* for a Parley whose Slack is ``fake``, with a desk channel."""
    return {"bot_token": "xoxb-desk", "signing_secret": secret, "api_base": fake.url + "/api/", "desk_channel": desk}


@dataclass
class Failure:
    status: int
    error: str
    headers: dict[str, str]
    times: int
    after: int = 0  # let this many calls succeed first (fail piece 2 of a split reply)


@dataclass
class FakeSlack:
    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    locales: dict[str, str] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)  # user group id -> member ids
    acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    held: dict[str, asyncio.Event] = field(default_factory=dict)  # method -> answered once set
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def of(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    def fail(
        self, method: str, status: int = 429, error: str = "ratelimited", times: int = 1, after: int = 0, **headers: str
    ) -> None:
        self.failures[method] = Failure(
            status, error, {k.replace("_", "-"): v for k, v in headers.items()}, times, after
        )

    def hold(self, method: str) -> asyncio.Event:
        """Leave calls to ``method`` unanswered until the returned event is set."""
        return self.held.setdefault(method, asyncio.Event())

    async def push(self, payload: dict[str, Any], envelope_id: str, kind: str = "events_api") -> None:
        frame = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": False}
        for ws in self.sockets:
            await ws.send_str(json.dumps(frame))

    # -- the Web API ---------------------------------------------------------------------------
    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        self.calls.append((method, args))
        if not request.headers.get("Authorization", "").startswith("Bearer x") and "token" not in args:
            return web.json_response({"ok": False, "error": "not_authed"})  # as Slack answers a call without a token
        if method in self.held:
            await self.held[method].wait()
        failure = self.failures.get(method)
        if failure is not None and failure.after > 0:
            failure.after -= 1
        elif failure is not None and failure.times > 0:
            failure.times -= 1
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=failure.headers
            )
        return web.json_response(self.answer(method, args, request))

    def answer(self, method: str, args: dict[str, Any], request: web.Request) -> dict[str, Any]:
        invalid = self.invalid(method, args)
        if invalid:
            return {"ok": False, "error": "invalid_blocks", "errors": invalid}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "parley", "team": "T"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": args.get("channel"), "ts": f"1767225600.{next(self._ts):06d}"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1767225600.{next(self._ts):06d}"}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", "type": "home"}}
        if method == "views.open":
            return {"ok": True, "view": {"id": f"VM{next(self._ts)}", "type": "modal", "hash": "h1"}}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "users.info":
            user = str(args.get("user"))
            profile = {"display_name": f"name-{user}", "real_name": f"Real {user}"}
            return {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "en-US"), "profile": profile}}
        if method == "usergroups.users.list":
            group = str(args.get("usergroup", ""))
            if group not in self.groups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.groups[group]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "x"))}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{request.host}/socket"}
        return {"ok": False, "error": "unknown_method"}

    @staticmethod
    def invalid(method: str, args: dict[str, Any]) -> list[str]:
        """What Slack would refuse in the blocks of a message or a view (its documented limits)."""
        if method in ("chat.postMessage", "chat.update") and "blocks" in args:
            blocks = args["blocks"]
            return problems(json.loads(blocks) if isinstance(blocks, str) else blocks, MESSAGE_BLOCKS)
        if method in ("views.publish", "views.open"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return problems((view or {}).get("blocks"), VIEW_BLOCKS) + view_problems(view or {})
        return []

    # -- Socket Mode ---------------------------------------------------------------------------
    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}}))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(msg.data))
        finally:
            self.sockets.remove(ws)
        return ws


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_get("/socket", fake.socket)
    runner, port = await start(app)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        for ws in list(fake.sockets):
            await ws.close()
        await asyncio.wait_for(runner.cleanup(), 5)
