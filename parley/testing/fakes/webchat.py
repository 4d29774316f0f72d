"""A fake of the web chat page: a client speaking its websocket protocol (what chat.html does)."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from parley.channels.webchat.identity import chat_of


class ChatClient:
    def __init__(self, session: aiohttp.ClientSession, port: int, cid: str = "", token: str = "") -> None:
        self.session = session
        self.url = f"http://127.0.0.1:{port}/chat/ws"
        # Issued by the server in the first welcome, presented again on every reconnect.
        self.cid, self.token = cid, token
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.frames: list[dict] = []

    @property
    def chat(self) -> str:
        """The conversation's chat key inside Parley (a digest of the client id)."""
        return chat_of(self.cid)

    async def connect(self, locale: str = "en-US") -> ChatClient:
        self.ws = await self.session.ws_connect(self.url)
        await self.ws.send_json({"type": "hello", "cid": self.cid, "token": self.token, "locale": locale})
        welcome = await self.next("welcome")
        self.cid, self.token = welcome["cid"], welcome["token"]
        return self

    async def say(self, text: str, event_id: str | None = None) -> str:
        event_id = event_id or uuid.uuid4().hex
        await self.ws.send_json({"type": "message", "id": event_id, "text": text})
        return event_id

    async def edit(self, of: str, text: str) -> str:
        """Correct the message ``of`` (the page has no edit box; a custom client may)."""
        event_id = uuid.uuid4().hex
        await self.ws.send_json({"type": "edit", "id": event_id, "of": of, "text": text})
        return event_id

    async def press(self, payload: str, title: str = "") -> str:
        event_id = uuid.uuid4().hex
        await self.ws.send_json({"type": "button", "id": event_id, "payload": payload, "title": title})
        return event_id

    async def open_link(self, token: str) -> str:
        """What the page sends when opened as ``/chat?link=<token>``."""
        event_id = uuid.uuid4().hex
        await self.ws.send_json({"type": "link", "id": event_id, "token": token})
        return event_id

    async def next(self, kind: str, timeout: float = 10.0) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"socket closed: {msg.type} {msg.data} {msg.extra}")
                frame = msg.json()
                self.frames.append(frame)
                if frame["type"] == kind:
                    return frame

    async def replies(self, n: int, timeout: float = 10.0) -> list[dict]:
        return [await self.next("reply", timeout) for _ in range(n)]

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
