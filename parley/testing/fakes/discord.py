"""A loopback fake of Discord's REST API and gateway, enough for the real discord.py 2.7.

REST under ``/api/v10``: users/@me, oauth2/applications/@me, channel messages (POST with
nonce + enforce_nonce, PATCH), typing, threads from a message, interaction callbacks.
Gateway at ``/gateway``: HELLO, heartbeat ACKs, IDENTIFY -> READY (with a loopback
``resume_gateway_url``), RESUME -> replay -> RESUMED, and ``reconnect()`` sends op 7.

Pitfalls of the real API that the fake keeps: the Content-Type is exactly ``application/json`` (with a charset
discord.py hands the body on as a str), and a 429 carries a ``Via`` header (without it
discord.py takes it for a Cloudflare ban and does not retry).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from parley.testing.fakes.loopback import start

BOT_ID = 1000
TOKEN = "fake-discord-token"


def user(uid: int, name: str = "", bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name or f"user{uid}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
    }


def message(mid: int, channel: int, author: int, content: str, *, guild: int | None = None, mentions=()) -> dict:
    data: dict[str, Any] = {
        "id": str(mid),
        "channel_id": str(channel),
        "author": user(author),
        "content": content,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [user(m, bot=m == BOT_ID) for m in mentions],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    if guild is not None:
        data["guild_id"] = str(guild)
    return data


def button_press(
    iid: int, channel: int, presser: int, custom_id: str, *, locale: str = "en-US", guild: int = 0, parent: int = 0
) -> dict:
    """A component interaction on a bot message (INTERACTION_CREATE, type 3): in a DM, or in
    a guild thread when ``guild`` and ``parent`` (the thread's channel) are given."""
    shown = message(iid - 1, channel, BOT_ID, "pick one")
    shown["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": custom_id.title(), "custom_id": custom_id}]}
    ]
    press: dict[str, Any] = {
        "id": str(iid),
        "application_id": str(BOT_ID),
        "type": 3,
        "token": f"itoken{iid}",
        "version": 1,
        "channel_id": str(channel),
        "channel": {"id": str(channel), "type": 1},
        "user": user(presser),
        "locale": locale,
        "attachment_size_limit": 10_000_000,
        "data": {"custom_id": custom_id, "component_type": 2},
        "message": shown,
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 1,
    }
    if guild:
        press["guild_id"] = str(guild)
        press["channel"] = {
            "id": str(channel),
            "type": 11,
            "guild_id": str(guild),
            "parent_id": str(parent),
            "owner_id": str(BOT_ID),
            "name": "Question",
            "message_count": 1,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2026-01-01T00:00:00+00:00",
                "locked": False,
            },
        }
        press["member"] = {
            "user": press.pop("user"),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "0",
        }
    return press


def as_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


class FakeDiscord:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []  # every POST channels/{id}/messages that created one
        self.attempts = 0  # every POST channels/{id}/messages, failures included
        self.edits: list[dict[str, Any]] = []
        self.typing: list[str] = []
        self.typing_held: asyncio.Event | None = None  # typing calls wait for it when set to one
        self.threads: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, Any], dict[str, str]]] = []  # next POST answers
        self.forbid_threads = False
        self.expire_interactions = False  # answer callbacks 404 "Unknown interaction"
        self.observer: Callable[[dict[str, Any]], None] | None = None  # told of each new message
        self.replay_overlap = 0  # on RESUME, replay this many events the client had already seen
        self.identified = asyncio.Event()
        self.resumed = asyncio.Event()
        self.identifies = 0
        self.paths: list[str] = []  # gateway connections, in order
        self.resumes = 0
        self._ids = itertools.count(5_000_000)
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        api = "/api/v10"
        app.add_routes(
            [
                web.get("/gateway", self.gateway),
                web.get("/resume", self.gateway),
                web.get(api + "/users/@me", self.me),
                web.get(api + "/oauth2/applications/@me", self.application),
                web.post(api + "/channels/{channel}/messages", self.post_message),
                web.patch(api + "/channels/{channel}/messages/{message}", self.edit_message),
                web.post(api + "/channels/{channel}/typing", self.post_typing),
                web.post(api + "/channels/{channel}/messages/{message}/threads", self.start_thread),
                web.post(api + "/interactions/{id}/{token}/callback", self.callback),
            ]
        )
        self._runner, self.port = await start(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    # -- gateway ----------------------------------------------------------------------------
    async def dispatch(self, kind: str, data: dict[str, Any]) -> None:
        event = {"op": 0, "t": kind, "s": len(self._events) + 1, "d": data}
        self._events.append(event)
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_str(json.dumps(event))

    async def send_raw(self, frame: str) -> None:
        """A gateway frame as is (garbage, a truncated payload): what a broken proxy may deliver."""
        assert self._ws is not None
        await self._ws.send_str(frame)

    async def reconnect(self) -> None:
        """Discord's op 7: the client should close and RESUME on resume_gateway_url."""
        self.resumed.clear()
        assert self._ws is not None
        await self._ws.send_str(json.dumps({"op": 7, "d": None}))

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.paths.append(request.path)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            op = payload["op"]
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                self._ws = ws
                self.identifies += 1
                await self.dispatch("READY", self._ready())
                self.identified.set()
            elif op == 6:
                self._ws = ws
                self.resumes += 1
                seen = int(payload["d"]["seq"] or 0)
                for event in self._events[max(0, seen - self.replay_overlap) :]:
                    if event["t"] != "READY":
                        await ws.send_str(json.dumps(event))
                await self.dispatch("RESUMED", {})
                self.resumed.set()
        return ws

    def _ready(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": user(BOT_ID, "parley", bot=True),
            "guilds": [],
            "session_id": "fake-session",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume",  # loopback, never discord.gg
            "application": {"id": str(BOT_ID), "flags": 0},
            "shard": [0, 1],
        }

    # -- REST -------------------------------------------------------------------------------
    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {TOKEN}"

    async def me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return as_json({"message": "401: Unauthorized", "code": 0}, 401)
        return as_json(user(BOT_ID, "parley", bot=True))

    async def application(self, request: web.Request) -> web.Response:
        return as_json(
            {
                "id": str(BOT_ID),
                "name": "parley",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": user(1, "owner"),
                "verify_key": "00" * 32,
                "flags": 0,
            }
        )

    async def post_message(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.json()
        channel = request.match_info["channel"]
        if self.failures:
            status, error, headers = self.failures.pop(0)
            return as_json(error, status, headers)
        key = (channel, str(body.get("nonce")))
        if body.get("enforce_nonce") and key in self._nonces:
            return as_json(self._nonces[key])  # Discord: the message created with that nonce
        mid = next(self._ids)
        sent = {**message(mid, int(channel), BOT_ID, ""), **body, "id": str(mid), "channel_id": channel}
        sent["author"]["bot"] = True
        self.posts.append(sent)
        if self.observer is not None:
            self.observer(sent)
        if body.get("enforce_nonce"):
            self._nonces[key] = sent
        return as_json(sent)

    async def edit_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        mid, channel = request.match_info["message"], request.match_info["channel"]
        edit = {**message(int(mid), int(channel), BOT_ID, ""), **body, "id": mid, "channel_id": channel}
        self.edits.append(edit)
        return as_json(edit)

    async def post_typing(self, request: web.Request) -> web.Response:
        self.typing.append(request.match_info["channel"])
        if self.typing_held is not None:
            await self.typing_held.wait()
        return web.Response(status=204)

    async def start_thread(self, request: web.Request) -> web.Response:
        if self.forbid_threads:
            return as_json({"message": "Missing Permissions", "code": 50013}, 403)
        body = await request.json()
        mid, parent = request.match_info["message"], request.match_info["channel"]
        if any(t["id"] == mid for t in self.threads):
            return as_json({"message": "A thread has already been created for this message", "code": 160004}, 400)
        thread = {"id": mid, "type": 11, "parent_id": parent, "name": body["name"], "owner_id": str(BOT_ID)}
        self.threads.append(thread)
        return as_json(thread, 201)

    async def callback(self, request: web.Request) -> web.Response:
        if self.expire_interactions:
            return as_json({"message": "Unknown interaction", "code": 10062}, 404)
        body = await request.json()
        self.callbacks.append({"id": request.match_info["id"], **body})
        # discord.py 2.7 asks ?with_response=1 and reads the interaction callback response.
        return as_json({"interaction": {"id": request.match_info["id"], "type": 3}, "resource": {"type": body["type"]}})
