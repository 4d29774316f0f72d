"""The web chat: ``GET /chat`` serves one static page, ``GET /chat/ws`` is its websocket.

Frames are JSON. The page keeps a client id and its transcript in localStorage, gives every
message an id (the dedupe key, so a resend after a reconnect is answered once) and resends
unacknowledged messages when it reconnects. Replies to a page that is offline stay in the outbox
(RetryAfter, not a failure) and go out when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import WSMsgType, web
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, RetryAfter
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.webchat")

PAGE = Path(__file__).parent / "static" / "chat.html"
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_FRAME = 64 * 1024  # a frame larger than this closes with 1009 (message too big)


class WebChatChannel(Channel):
    name = "web"
    capabilities = Capabilities(
        buttons=True, edits=True, typing=True, max_text=20000, per_chat_rate=50, per_chat_burst=50, global_rate=5000
    )

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        self.deliver = ctx.deliver
        self.metrics = ctx.metrics
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        # Scale-out: the process whose outbox claims a reply may not hold the page's socket. With
        # a store that relays (Redis pub/sub), a process subscribes to a client while it holds one
        # of its sockets, and ``send`` publishes to whichever processes do.
        self.relay = getattr(ctx.store, "relay", None)
        self._page = PAGE.read_bytes()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/chat", self.page), web.get("/chat/ws", self.socket), web.get("/", self.root)]

    async def close(self) -> None:
        sockets = [ws for group in self._sockets.values() for ws in group]
        # 1001 "going away": the page reconnects with backoff and keeps its conversation.
        await asyncio.gather(*(ws.close(code=1001, message=b"server restarting") for ws in sockets))

    async def root(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/chat")

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._page, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"}
        )

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        # timeout: how long close() waits for the peer's close frame (a dead page must not stall shutdown).
        ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_FRAME, timeout=2.0)
        await ws.prepare(request)
        client = ""
        locale = ""
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        self._refuse("binary")
                        await ws.send_json({"type": "error", "code": "text_only", "message": "Text frames only."})
                    elif msg.type == WSMsgType.ERROR:  # aiohttp closes with 1009 (too big) or 1007 (bad UTF-8)
                        self._refuse("too_big" if getattr(msg.data, "code", 0) == 1009 else "protocol_error")
                    continue
                try:
                    frame = json.loads(msg.data)
                    if not isinstance(frame, dict):
                        raise ValueError("not an object")
                except ValueError:
                    self._refuse("malformed")
                    await ws.send_json({"type": "error", "code": "malformed", "message": "Malformed frame."})
                    continue
                kind = frame.get("type")
                if kind == "hello":
                    cid = str(frame.get("cid", ""))
                    if not _ID.match(cid):
                        self._refuse("bad_client_id")
                        await ws.send_json({"type": "error", "code": "bad_id", "message": "Bad client id."})
                        continue
                    await self._forget(client, ws)
                    client, locale = cid, str(frame.get("locale", ""))[:35]
                    self._sockets.setdefault(client, set()).add(ws)
                    if self.relay is not None and len(self._sockets[client]) == 1:
                        await self.relay.subscribe(f"web:{client}", self._relayed)
                    await ws.send_json({"type": "welcome"})
                    self.ctx.wake()  # replies that waited for this page can go now
                elif kind in ("message", "button") and client:
                    await self._inbound(ws, client, locale, frame)
                else:
                    self._refuse("unexpected")
                    await ws.send_json({"type": "error", "code": "unexpected", "message": "Say hello first."})
        finally:
            await self._forget(client, ws)
        return ws

    async def _inbound(self, ws: web.WebSocketResponse, client: str, locale: str, frame: dict) -> None:
        event_id = str(frame.get("id", ""))
        if not _ID.match(event_id):
            self._refuse("bad_message_id")
            await ws.send_json({"type": "error", "code": "bad_id", "message": "Bad message id."})
            return
        text = frame.get("text", "")
        if not isinstance(text, str):
            text = ""
        address = Address(channel=self.name, chat=client, user=client)
        if frame["type"] == "button":
            inbound = Inbound(
                address=address,
                event_id=event_id,
                kind="button",
                payload=str(frame.get("payload", ""))[:256],
                meta={"title": str(frame.get("title", ""))[:256]},
                locale_hint=locale,
            )
        else:
            inbound = Inbound(address=address, event_id=event_id, text=text, locale_hint=locale)
        try:
            await self.deliver(inbound)
        except StoreUnavailable:
            # Not acknowledged: the page keeps the message and resends it after a pause.
            await ws.send_json({"type": "error", "code": "unavailable", "id": event_id, "message": "Busy, retrying."})
            return
        await ws.send_json({"type": "ack", "id": event_id})

    def _refuse(self, reason: str) -> None:
        self.metrics.rejected.labels(self.name, reason).inc()
        log.info("web chat frame refused", extra={"reason": reason})

    async def _forget(self, client: str, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(client)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[client]
                if self.relay is not None:
                    await self.relay.unsubscribe(f"web:{client}")

    def online(self, client: str) -> bool:
        return bool(self._sockets.get(client))

    async def typing(self, address: Address) -> None:
        for ws in list(self._sockets.get(address.chat, ())):
            await ws.send_json({"type": "typing"})

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        """Grow one bubble as the brain streams (parley.core.kernel.channel.Streaming). The page keeps it as
        a draft: the final reply, sent by the outbox with ``replaces``, takes its place."""
        stream_id = f"s-{uuid.uuid4().hex}"
        async for chunk in chunks:
            if not await self._emit(address.chat, {"type": "stream", "id": stream_id, "text": chunk}):
                raise RetryAfter(5.0, "offline")  # nobody to stream to: the outbox delivers later
        return stream_id

    async def send(self, address: Address, reply: Reply) -> str:
        frame = {
            "type": "reply",
            "id": reply.meta.get("id", ""),
            "text": reply.text,
            "kind": reply.kind,
            "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
            "sources": list(reply.sources),
            "dir": reply.meta.get("dir", ""),
            "lang": reply.meta.get("lang", ""),
            "replaces": reply.meta.get("streamed", ""),  # the final form of a streamed bubble
        }
        if not await self._emit(address.chat, frame):
            raise RetryAfter(5.0, "offline")
        return frame["id"]

    async def _emit(self, client: str, frame: dict) -> int:
        """Write a frame to the client's sockets, here or (through the relay) in any process;
        returns how many got it (0: the page is offline)."""
        if self.relay is not None:
            # PUBLISH answers how many processes hold a socket of this client: 0 = offline.
            return await self.relay.publish(f"web:{client}", json.dumps(frame))
        return await self._write(client, frame)

    async def _relayed(self, topic: str, data: str) -> None:
        await self._write(topic.removeprefix("web:"), json.loads(data))

    async def _write(self, client: str, frame: dict) -> int:
        sockets = [ws for ws in self._sockets.get(client, ()) if not ws.closed]
        for ws in sockets:
            await ws.send_json(frame)
        return len(sockets)
