"""A loopback fake of Twilio's REST API (Messages.json, Calls.json) and a signer that acts as Twilio.

It checks Basic auth like Twilio, records every message form, answers a MessageInstance with
status ``queued``, lists messages filtered by To and From (newest first), and can be told to
fail the next sends (status + Twilio error code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import web

from parley.testing.fakes.loopback import start

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)  # Calls.json forms (outbound calls)
    failures: list[tuple[int, int]] = field(default_factory=list)  # (http status, twilio code)
    url: str = ""
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media sid -> (type, body)
    storage_auth: list[str] = field(default_factory=list)  # Authorization headers storage was sent
    listed: int = 0  # GET Messages.json calls (a re-attempt looking for what it already sent)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add_media(self, message_sid: str, media_sid: str, mime: str, body: bytes) -> str:
        """Keep a media item (a vCard...) the way Twilio does; its MediaUrl for a webhook."""
        self.media[media_sid] = (mime, body)
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_sid}"

    def fail_next(self, status: int, code: int) -> None:
        self.failures.append((status, code))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", self.create_call)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages.json", self.list_messages)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{message}/Media/{media}", self.get_media)
        app.router.add_get("/storage/{media}", self.storage)
        return app

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == expected and request.match_info["sid"] == self.account_sid

    async def get_media(self, request: web.Request) -> web.Response:
        """Like Twilio: basic auth, then a redirect to where the file is stored."""
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if request.match_info["media"] not in self.media:
            return web.json_response({"code": 20404, "message": "Not found", "status": 404}, status=404)
        raise web.HTTPFound(f"/storage/{request.match_info['media']}")

    async def storage(self, request: web.Request) -> web.Response:
        self.storage_auth.append(request.headers.get("Authorization", ""))
        mime, body = self.media[request.match_info["media"]]
        return web.Response(body=body, content_type=mime.split(";")[0])

    def _refusal(self, request: web.Request) -> web.Response | None:
        """What Twilio answers before reading a create request: 401 unauthenticated, or the next
        injected failure (each create route consumes one)."""
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        if self.failures:
            status, code = self.failures.pop(0)
            return web.json_response({"code": code, "message": f"fake error {code}", "status": status}, status=status)
        return None

    async def create_message(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        form = dict(await request.post())
        if "To" not in form or not ("Body" in form or "ContentSid" in form):
            return web.json_response({"code": 21602, "message": "Message body is required", "status": 400}, status=400)
        sid = f"SM{next(self._ids):032x}"
        self.messages.append({**form, "Sid": sid, "DateCreated": formatdate(usegmt=True)})
        return web.json_response(self._instance(self.messages[-1]), status=201)

    def _instance(self, message: dict[str, str]) -> dict[str, str]:
        sid = message["Sid"]
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": message["To"],
            "from": message.get("From", ""),
            "body": message.get("Body", ""),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": message["DateCreated"],  # RFC 2822, whole seconds, as Twilio's
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    async def list_messages(self, request: web.Request) -> web.Response:
        """Messages newest first, filtered by ``To`` and ``From`` as Twilio's list is (one page)."""
        if not self._authorised(request):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        self.listed += 1
        query = request.query
        found = [
            self._instance(m)
            for m in reversed(self.messages)
            if query.get("To", m["To"]) == m["To"] and query.get("From", m.get("From")) == m.get("From")
        ]
        size = int(query.get("PageSize", "50"))
        return web.json_response(
            {
                "messages": found[:size],
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": max(0, min(size, len(found)) - 1),
                "first_page_uri": request.path_qs,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": request.path_qs,
            }
        )

    async def create_call(self, request: web.Request) -> web.Response:
        """Like Twilio's Calls API: To, From and one of Url / Twiml / ApplicationSid required."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        form = dict(await request.post())
        if "To" not in form or "From" not in form or not ({"Url", "Twiml", "ApplicationSid"} & form.keys()):
            return web.json_response(
                {"code": 21205, "message": "Url, Twiml or ApplicationSid required", "status": 400}, status=400
            )
        sid = f"CA{next(self._ids):032x}"
        self.calls.append({**form, "Sid": sid})
        return web.json_response(
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "to": form["To"],
                "from": form["From"],
                "status": "queued",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
            },
            status=201,
        )

    def bodies(self, to: str) -> list[str]:
        return [m.get("Body", "") for m in self.messages if m["To"] == to]


@asynccontextmanager
async def serve_fake_twilio(fake: FakeTwilio | None = None) -> AsyncIterator[FakeTwilio]:
    fake = fake or FakeTwilio()
    runner, port = await start(fake.app())
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio's security docs define it, written out independently of the
    SDK's validator so the two check each other: base64(HMAC-SHA1(token, url + k1v1k2v2...))."""
    signed = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
