"""The web chat: ``GET /chat`` serves one static page, ``GET /chat/ws`` is its websocket; the
embeddable widget (``GET /widget.js``, parley.channels.webchat.widget) speaks the same socket.

Frames are JSON. The page keeps a client id and its transcript in localStorage, gives every
message an id (the dedupe key, so a resend after a reconnect is answered once) and resends
unacknowledged messages when it reconnects. Replies to a page that is offline stay in the outbox
(RetryAfter, not a failure) and go out when it reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from parley.channels.webchat.branding import Branding
from parley.channels.webchat.identity import Identities, origin_allowed
from parley.channels.webchat.session import ID, Session, frame_id, link_command
from parley.channels.webchat.widget import Widget
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, RetryAfter
from parley.core.kernel.door import BadInput, clean, parse_json
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.ratelimit import Limit, Limiter
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.webchat")

MAX_FRAME = 64 * 1024  # a frame larger than this closes with 1009 (message too big)
MAX_THROTTLED = 200  # frames refused for speed before the socket is closed (1008)


class WebChatChannel(Channel):
    name = "web"
    capabilities = Capabilities(
        buttons=True,
        edits=True,
        typing=True,
        max_text=20000,
        per_chat_rate=50,
        per_chat_burst=50,
        global_rate=5000,
        dedupes_resends=True,  # the page shows a reply id once (static/client.js keeps the ids seen)
    )

    def __init__(
        self,
        ctx: ChannelContext,
        *,
        branding: Branding,
        allowed_origins: tuple[str, ...] = (),
        rate: float = 2.0,
        burst: int = 20,
    ) -> None:
        super().__init__(ctx)
        self.deliver = ctx.deliver
        self.metrics = ctx.metrics
        self.clock = ctx.clock
        self.identities = Identities(ctx.store)
        self.allowed_origins = allowed_origins
        self.frame_limit = Limit("frames", rate, burst)
        # Keyed by ``chat`` (a digest of the client id): the id itself is never kept or logged.
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        # Scale-out: the process whose outbox claims a reply may not hold the page's socket. With
        # a store that relays (Redis pub/sub), a process subscribes to a client while it holds one
        # of its sockets, and ``send`` publishes to whichever processes do.
        self.relay = getattr(ctx.store, "relay", None)
        self.personas = frozenset(branding.personas.personas)  # what a page may choose (data-persona)
        self.widget = Widget(branding, allowed_origins, self._refuse_origin)

    def limits(self, address: Address) -> list[Limit]:
        """None: the web chat writes to our own socket, no platform counts its messages (the
        outbox's one-in-flight per address already paces a chat). With Redis a shared bucket
        would cost a round trip per reply for nothing."""
        return []

    def routes(self) -> list[web.RouteDef]:
        return [*self.widget.routes(), web.get("/chat/ws", self.socket), web.get("/", self.root)]

    async def close(self) -> None:
        sockets = [ws for group in self._sockets.values() for ws in group]
        # 1001 "going away": the page reconnects with backoff and keeps its conversation.
        await asyncio.gather(*(ws.close(code=1001, message=b"server restarting") for ws in sockets))

    async def root(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/chat")

    async def socket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        if not origin_allowed(origin, request.host, self.allowed_origins):
            self._refuse_origin("origin", origin)
            return web.json_response({"error": "origin not allowed"}, status=403)
        # timeout: how long close() waits for the peer's close frame (a dead page must not stall shutdown).
        ws = web.WebSocketResponse(heartbeat=25, max_msg_size=MAX_FRAME, timeout=2.0)
        await ws.prepare(request)
        session = Session(ws, Limiter())
        try:
            async for msg in ws:
                await self._frame(session, msg)
        except ConnectionError:
            # The page went away while we answered it (a closed tab): nothing to tell anyone.
            log.debug("web chat socket closed mid-frame")
        finally:
            await self._forget(session)
        return ws

    async def _frame(self, session: Session, msg) -> None:
        ws = session.ws
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.BINARY:
                await self._error(session, "text_only", "Text frames only.")
            elif msg.type == WSMsgType.ERROR:  # aiohttp closes with 1009 (too big) or 1007 (bad UTF-8)
                self._refuse("too_big" if getattr(msg.data, "code", 0) == 1009 else "protocol_error")
            return
        if session.limiter.acquire([self.frame_limit], self.clock()) > 0:
            session.throttled += 1
            if session.throttled > MAX_THROTTLED:  # a script, not a person: stop reading it
                self._refuse("rate_limited")
                await ws.close(code=1008, message=b"too many frames")
                return
            return await self._error(session, "rate_limited", "Too fast, message dropped.", frame_id(msg.data))
        try:
            frame = parse_json(msg.data, max_bytes=MAX_FRAME, max_depth=4)
            if not isinstance(frame, dict):
                raise BadInput("malformed", "not an object")
        except BadInput as exc:
            return await self._error(session, "malformed", "Malformed frame.", frame_id(msg.data), exc.reason)
        kind = frame.get("type")
        if kind == "hello":
            try:
                await self._hello(session, frame)
            except StoreUnavailable:  # the identity key lives in the store: the page says hello again later
                await ws.send_json({"type": "error", "code": "unavailable", "message": "Busy, retrying."})
        elif kind in ("message", "button", "edit", "link") and session.identity is not None:
            await self._inbound(session, frame)
        else:
            await self._error(session, "unexpected", "Say hello first.", frame_id(frame))

    async def _hello(self, session: Session, frame: dict) -> None:
        cid, token = frame.get("cid"), frame.get("token")
        identity = None
        if isinstance(cid, str) and isinstance(token, str) and ID.match(cid) and len(token) <= 128:
            identity = await self.identities.verify(cid, token)
        if identity is None:
            if cid:  # a stale page, or someone presenting an id that is not theirs
                self._refuse("bad_client_token")
            identity = await self.identities.issue()
        await self._forget(session)
        session.identity = identity
        session.locale = str(frame.get("locale", ""))[:35]
        persona = frame.get("persona")
        # A page may choose one of the bot's personas (the widget's data-persona), nothing else.
        session.persona = persona if isinstance(persona, str) and persona in self.personas else ""
        sockets = self._sockets.setdefault(identity.chat, set())
        sockets.add(session.ws)
        if self.relay is not None and len(sockets) == 1:
            await self.relay.subscribe(f"web:{identity.chat}", self._relayed)
        await session.ws.send_json({"type": "welcome", "cid": identity.cid, "token": identity.token})
        self.ctx.wake()  # replies that waited for this page can go now

    async def _inbound(self, session: Session, frame: dict) -> None:
        assert session.identity is not None
        event_id = frame.get("id")
        if not isinstance(event_id, str) or not ID.match(event_id):
            # Echoed (to this socket only) so the page can drop the message it cannot fix.
            echo = clean(event_id)[:128] if isinstance(event_id, str) else ""
            return await self._error(session, "bad_id", "Bad message id.", echo)
        text = frame.get("text", "")
        if not isinstance(text, str):
            return await self._error(session, "malformed", "Text must be a string.", event_id)
        chat = session.identity.chat
        address = Address(channel=self.name, chat=chat, user=chat)
        # Dedupe per client: another page's message id is another event.
        key = f"{chat}:{event_id}"
        chosen = {"persona": session.persona} if session.persona else {}
        if frame["type"] == "button":
            inbound = Inbound(
                address=address,
                event_id=key,
                kind="button",
                payload=str(frame.get("payload", ""))[:256],
                meta={"title": str(frame.get("title", ""))[:256], **chosen},
                locale_hint=session.locale,
            )
        elif frame["type"] == "link":  # opened as /chat?link=<token>: the linking middleware checks it
            if (command := link_command(frame)) is None:
                return await self._error(session, "malformed", "Bad link.", event_id, "bad_link_token")
            inbound = Inbound(address=address, event_id=key, text=command, locale_hint=session.locale)
        elif frame["type"] == "edit":  # never answered: it corrects a message (parley.core.kernel.edits)
            edited = frame.get("of")
            if not isinstance(edited, str) or not ID.match(edited):
                return await self._error(session, "bad_id", "Bad id of the edited message.", event_id)
            inbound = Inbound(address=address, event_id=key, kind="edit", text=text, message_id=f"{chat}:{edited}")
        else:
            inbound = Inbound(
                address=address, event_id=key, text=text, locale_hint=session.locale, message_id=key, meta=chosen
            )
        try:
            await self.deliver(inbound)
        except StoreUnavailable:
            # Not acknowledged: the page keeps the message and resends it after a pause.
            await session.ws.send_json(
                {"type": "error", "code": "unavailable", "id": event_id, "message": "Busy, retrying."}
            )
            return
        await session.ws.send_json({"type": "ack", "id": event_id})

    async def _error(self, session: Session, code: str, message: str, frame_id: str = "", reason: str = "") -> None:
        """Refuse one frame: one log line, and an error frame naming the message id when there
        is one, so the page drops that message instead of sending it again."""
        self._refuse(reason or code)
        frame = {"type": "error", "code": code, "message": message}
        if frame_id:
            frame["id"] = frame_id
        await session.ws.send_json(frame)

    def _refuse(self, reason: str) -> None:
        self.metrics.rejected.labels(self.name, reason).inc()
        log.info("web chat frame refused", extra={"reason": reason})

    def _refuse_origin(self, reason: str, origin: str) -> None:
        """A page on a site not in PARLEY_WEBCHAT__ALLOWED_ORIGINS (the websocket or the widget's
        config): one line naming the origin, so whoever embeds the widget sees what to add."""
        self.metrics.rejected.labels(self.name, reason).inc()
        log.info("web chat refused an origin not allowed", extra={"reason": reason, "origin": clean(origin)[:200]})

    async def _forget(self, session: Session) -> None:
        if session.identity is None:
            return
        chat = session.identity.chat
        sockets = self._sockets.get(chat)
        if sockets is not None:
            sockets.discard(session.ws)
            if not sockets:
                del self._sockets[chat]
                if self.relay is not None:
                    await self.relay.unsubscribe(f"web:{chat}")

    def online(self, chat: str) -> bool:
        return bool(self._sockets.get(chat))

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
            "replaces": reply.replaces,  # the final form of a streamed bubble
        }
        if not await self._emit(address.chat, frame):
            raise RetryAfter(5.0, "offline")
        return frame["id"]

    async def _emit(self, chat: str, frame: dict) -> int:
        """Write a frame to the client's sockets, here or (through the relay) in any process;
        returns how many got it (0: the page is offline)."""
        if self.relay is not None:
            # PUBLISH answers how many processes hold a socket of this client: 0 = offline.
            return await self.relay.publish(f"web:{chat}", json.dumps(frame))
        return await self._write(chat, frame)

    async def _relayed(self, topic: str, data: str) -> None:
        await self._write(topic.removeprefix("web:"), json.loads(data))

    async def _write(self, chat: str, frame: dict) -> int:
        sockets = [ws for ws in self._sockets.get(chat, ()) if not ws.closed]
        sent = 0
        for ws in sockets:
            try:
                await ws.send_json(frame)
                sent += 1
            except ConnectionError:  # closed between the check and the write: the outbox retries
                log.debug("web chat socket closed before a reply")
        return sent


def from_settings(settings, ctx) -> WebChatChannel:
    web_settings = settings.webchat
    allowed = list(web_settings.allowed_origins)
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        allowed.append(f"{parts.scheme}://{parts.netloc}")
    # The bot's own catalogs (hot-reloaded in place); a context without them (a test kit's)
    # reads the configured folders.
    locales = ctx.locales or LocaleCatalog.load(settings.locales_dir, settings.default_locale)
    personas = ctx.personas or PersonaCatalog.load(settings.personas_dir, settings.persona)
    return WebChatChannel(
        ctx,
        branding=Branding(web_settings, locales, personas),
        allowed_origins=tuple(allowed),
        rate=web_settings.rate,
        burst=web_settings.burst,
    )
