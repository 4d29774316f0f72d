"""Slack interactivity beyond our own buttons: shortcuts, modals and select-menu options.

Slack shows the person an error when an interaction request is not answered with a 200 within
3 s, and bolt answers 404 ("unhandled request") to anything no listener matches. So every kind
Slack may send to the interactivity URL gets a listener that acknowledges it:

- the message shortcut ``desk_note`` ("Internal note") and its modal: a note in a case card's
  thread for the team (parley.channels.slack.notes);
- the message shortcut ``ask_parley`` ("Ask Parley" in a message's menu, docs/slack.md) asks the
  bot about that message, answered in its thread;
- any other shortcut (global or message), a modal submitted or closed (``view_submission``,
  ``view_closed``): acknowledged with an empty 200 (a submitted modal closes) and left alone;
- ``block_suggestion`` (an external select asking for options): an empty option list.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from parley.channels.slack.notes import NOTE, DeskNotes
from parley.channels.slack.people import PeopleCache
from parley.channels.slack.send import THREAD_TTL, thread_key
from parley.channels.slack.translate import CHANNEL, plain
from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.store import KeyValueStore
from slack_bolt.async_app import AsyncApp

log = logging.getLogger("parley.slack")

ASK = "ask_parley"  # the message shortcut's callback_id (docs/slack-manifest.yaml)
ANY = re.compile(".*")


def shortcut_inbound(body: dict[str, Any], bot_user_id: str = "") -> Inbound | None:
    """A ``message_action`` payload of the Ask Parley shortcut -> the question it asks: the
    message's text, from the person who used the shortcut, in the message's thread (a new one
    under it when it had none). None when the message has no text or the shape is wrong."""
    message, channel, user = (body.get(k) for k in ("message", "channel", "user"))
    if not (isinstance(message, dict) and isinstance(channel, dict) and isinstance(user, dict)):
        return None
    text = plain(str(message.get("text") or ""), bot_user_id)
    ts = str(message.get("ts") or body.get("message_ts") or "")
    if not text or not channel.get("id") or not user.get("id") or not ts:
        return None
    thread = str(message.get("thread_ts") or ts)
    address = Address(channel=CHANNEL, chat=str(channel["id"]), user=str(user["id"]), thread=thread)
    stamp = str(body.get("action_ts") or body.get("trigger_id") or ts)
    return Inbound(
        address=address,
        event_id=f"shortcut:{channel['id']}:{stamp}:{user['id']}",
        text=text,
        message_id=ts,
        user_name=str(user.get("username") or user.get("name") or ""),
        meta={"team": str((body.get("team") or {}).get("id", "")), "route": "shortcut"},
    )


class AskParley:
    """The Ask Parley message shortcut: the message is asked in its thread, which Parley then
    follows like a mention's (later replies there need no mention)."""

    def __init__(
        self, deliver: Callable[[Inbound], Awaitable[bool]], store: KeyValueStore, people: PeopleCache
    ) -> None:
        self.deliver = deliver
        self.store = store
        self.people = people

    async def __call__(self, body: dict[str, Any], context: Any) -> None:
        inbound = shortcut_inbound(body, getattr(context, "bot_user_id", "") or "")
        if inbound is None:
            return
        address = inbound.address
        if not address.chat.startswith("D"):
            await self.store.add(thread_key(address.chat, address.thread), json.dumps({"desk_ref": ""}), THREAD_TTL)
        person = await self.people.get(address.user)
        update = {"locale_hint": person.locale, "user_name": inbound.user_name or person.name}
        await self.deliver(inbound.model_copy(update=update))


def register(app: AsyncApp, ask: Callable[[dict[str, Any], Any], Awaitable[None]], notes: DeskNotes) -> None:
    """Add the listeners to ``app``; ``ask(body, context)`` takes an Ask Parley shortcut, ``notes``
    the Internal note shortcut and its modal. The order matters: bolt runs the first listener
    that matches."""
    app.message_shortcut(ASK)(_acked(ask))
    app.message_shortcut(NOTE)(notes.shortcut)
    app.view_submission(NOTE)(notes.submitted)
    app.shortcut(ANY)(_ignored("shortcut"))  # global and other message shortcuts
    app.view_submission(ANY)(_ignored("view_submission"))
    app.view_closed(ANY)(_ignored("view_closed"))
    app.options(ANY)(_no_options)


def _acked(ask: Callable[[dict[str, Any], Any], Awaitable[None]]):
    async def listener(ack: Any, body: dict[str, Any], context: Any) -> None:
        await ask(body, context)  # stored first: a store outage leaves it unacked (bolt -> 503)
        await ack()

    return listener


def _ignored(kind: str):
    async def listener(ack: Any) -> None:
        log.debug("slack %s acknowledged and ignored", kind)
        await ack()  # an empty 200: a submitted modal closes, a shortcut shows no error

    return listener


async def _no_options(ack: Any) -> None:
    await ack(options=[])
