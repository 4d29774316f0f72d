"""Slack outbound: chat.postMessage (split, Block Kit buttons, threads), streamed answers by
throttled chat.update, and Slack's errors mapped to what the outbox understands."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from parley.channels.slack.cards import card_post, home_blocks
from parley.channels.slack.translate import SECTION_MAX, chunks, escape, post_arguments, unescape
from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable
from parley.core.kernel.clock import Clock
from parley.core.kernel.messages import Address, Reply
from parley.core.storage.store import KeyValueStore
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

# Slack "error" strings (Web API method docs) that mean the address is gone for good.
UNREACHABLE = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "user_disabled",
    "user_not_found",
    "cannot_dm_bot",
    "restricted_action",
}
# A request Slack will never accept as it is: retrying only repeats the error.
REJECTED = {
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "too_many_attachments",
    "invalid_arguments",
}
LEDGER_TTL = 86400.0  # long enough to outlive every outbox retry of one item
THREAD_TTL = 30 * 86400.0  # how long a thread we answered in stays "ours"


def thread_key(chat: str, ts: str) -> str:
    return f"slack:thread:{chat}:{ts}"


def as_outbox_error(exc: SlackApiError) -> Exception:
    """A failed SDK call -> what the outbox understands (``outbox_error``)."""
    response = exc.response
    status = getattr(response, "status_code", 0)
    error = str(response.get("error", "")) if hasattr(response, "get") else ""
    headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    value = headers.get("retry-after", "1")
    return outbox_error(status, error, value[0] if isinstance(value, list) else value, exc)


def outbox_error(status: int, error: str, retry_after: str, original: Exception) -> Exception:
    """429 -> RetryAfter(Retry-After); gone -> Unreachable; bad request -> Rejected; else the
    original error (the outbox retries it with backoff: 5xx, internal_error, invalid_auth)."""
    if status == 429 or error == "ratelimited":
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = 1.0
        return RetryAfter(max(seconds, 1.0))
    if error in UNREACHABLE:
        return Unreachable(error)
    if error in REJECTED:
        return Rejected(error)
    return original


# chat.postMessage: arguments in, Slack's answer out, failures as the outbox's exceptions (post.py).
Post = Callable[..., Awaitable[dict[str, Any]]]


class SlackSender:
    def __init__(
        self, client: AsyncWebClient, post: Post, kv: KeyValueStore, clock: Clock, edit_interval: float = 1.0
    ) -> None:
        self.client = client
        self.post = post  # the hot path's one call, without the SDK's generic machinery
        self.kv = kv
        self.clock = clock
        self.edit_interval = edit_interval  # chat.update is Tier 3 (~50/min): one edit a second is polite

    async def _call(self, method: Callable[..., Awaitable[Any]], **arguments: Any) -> dict[str, Any]:
        """One Web API call through the SDK's own method (each knows its body encoding)."""
        try:
            response = await method(**arguments)
        except SlackApiError as exc:
            raise as_outbox_error(exc) from exc
        return response.data if isinstance(response.data, dict) else {}

    async def send(self, address: Address, reply: Reply) -> str:
        """Post every piece; a piece already posted by an earlier attempt of the same outbox item
        (a 429 on piece 2) is skipped, so a retry never repeats piece 1. Slack has no idempotency
        key for chat.postMessage, so the ledger lives in our store."""
        item = reply.meta.get("id", "")
        ts = ""
        if reply.meta.get("desk_thread"):
            # parley.core.handoff posts into a card's thread by the card's ref; the outbox orders the
            # card before its thread messages (same address), so its ts is known by now.
            card = await self.kv.get(f"slack:deskcard:{reply.meta['desk_thread']}")
            if not card:
                raise LookupError(f"desk card {reply.meta['desk_thread']} not posted (yet)")
            address = address.model_copy(update={"thread": card})
        if reply.desk_card:
            return await self._redraw(address, reply)
        if reply.meta.get("desk_home"):  # the rep's App Home tab: replaced whole each time
            view = {"type": "home", "blocks": home_blocks(reply.text)}
            await self._call(self.client.views_publish, user_id=reply.meta["desk_home"], view=view)
            return ""
        if reply.meta.get("desk_private"):  # the desk's answer to one rep: only they see it
            post = post_arguments(address.model_copy(update={"thread": ""}), reply)[0]
            answer = await self._call(self.client.chat_postEphemeral, user=reply.meta["desk_private"], **post)
            return str(answer.get("message_ts", ""))
        if address.chat[:1] in ("U", "W"):  # a person, not a conversation: a proactive DM
            address = address.model_copy(update={"chat": await self.direct_channel(address.chat)})
        if reply.replaces:
            # The answer is on screen already (stream): its final form edits the last streamed
            # message (text, sources, buttons) instead of posting it again (parley.core.kernel.channel.Streaming).
            last = post_arguments(address, reply)[-1]
            last.pop("thread_ts", None)
            await self._call(self.client.chat_update, ts=reply.replaces, **last)
            return reply.replaces
        posts = [card_post(address.chat, reply, address.thread)] if reply.card else post_arguments(address, reply)
        # The ledger only matters when a later piece can fail after an earlier one was posted: a
        # reply of one piece (nearly all) skips its read and write, two store calls per reply.
        ledger = bool(item) and len(posts) > 1
        for n, post in enumerate(posts):
            key = f"slack:sent:{item}:{n}"
            done = await self.kv.get(key) if ledger else None
            if done:
                ts = done
                continue
            ts = str((await self.post(**post)).get("ts", ""))
            if ledger:
                await self.kv.put(key, ts, ttl=LEDGER_TTL)
        await self._remember_thread(address, reply, ts)
        return ts

    async def _redraw(self, address: Address, reply: Reply) -> str:
        """A desk card redrawn in place (claimed, resolved, CSAT): chat.update of the card's
        message, found by its ref; a card never posted has nothing to redraw."""
        ts = await self.kv.get(f"slack:deskcard:{reply.desk_card}")
        if not ts:
            raise Rejected(f"desk card {reply.desk_card} was never posted")
        post = card_post(address.chat, reply) if reply.card else post_arguments(address, reply)[-1]
        await self._call(self.client.chat_update, ts=ts, **post)
        return ts

    async def direct_channel(self, user: str) -> str:
        """The DM channel with a person (Slack's way to DM a user: conversations.open)."""
        key = f"slack:dm:{user}"
        known = await self.kv.get(key)
        if known:
            return known
        channel = (await self._call(self.client.conversations_open, users=user)).get("channel") or {}
        dm = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        if not dm:
            raise Rejected(f"conversations.open gave no channel for {user}")
        await self.kv.put(key, dm)
        return dm

    async def _remember_thread(self, address: Address, reply: Reply, ts: str) -> None:
        """Replies in a thread we spoke in continue its conversation; a desk card's thread maps
        back to whatever the desk feature named in ``reply.meta["desk_ref"]``."""
        ref = reply.meta.get("desk_ref", "")
        root = address.thread or (ts if ref else "")
        if not root:
            return
        key, value = thread_key(address.chat, root), json.dumps({"desk_ref": ref})
        if ref:
            await self.kv.put(key, value, ttl=THREAD_TTL)
            if not address.thread:  # a new card: its ref finds its thread (desk_thread above)
                await self.kv.put(f"slack:deskcard:{ref}", root, ttl=THREAD_TTL)
        else:  # a plain reply inside a desk card's thread must not erase the card's desk_ref
            await self.kv.add(key, value, ttl=THREAD_TTL)

    async def stream(self, address: Address, pieces: AsyncIterator[str]) -> str:
        """Post the first text, then chat.update the same message at most once per
        ``edit_interval``; past Slack's section limit, finish that message and start the next."""
        text, shown, ts, final, last = "", "", "", "", 0.0
        async for piece in pieces:
            text += piece
            while len(escape(text)) > SECTION_MAX:
                head = chunks(text)[0]
                final = await self._show(address, ts, head)
                raw = unescape(head)
                text = text[text.find(raw) + len(raw) :].lstrip()
                ts, shown = "", ""
            if text.strip() and (not ts or self.clock() - last >= self.edit_interval):
                ts = final = await self._show(address, ts, escape(text))
                shown, last = text, self.clock()
        if text.strip() and text != shown:
            final = await self._show(address, ts, escape(text))
        if address.thread:
            await self._remember_thread(address, Reply(text=""), final)
        return final

    async def _show(self, address: Address, ts: str, escaped: str) -> str:
        if ts:
            await self._call(self.client.chat_update, channel=address.chat, ts=ts, text=escaped)
            return ts
        post: dict[str, Any] = {"channel": address.chat, "text": escaped}
        if address.thread:
            post["thread_ts"] = address.thread
        return str((await self.post(**post)).get("ts", ""))
