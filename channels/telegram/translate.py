"""Pure translators for Telegram: a Bot API update (the JSON dict) -> ``Inbound``, and text ->
what ``sendMessage`` accepts. No I/O here, so every rule is unit-tested without a network.

We parse the webhook JSON ourselves instead of validating it into aiogram's ``Update`` model:
the dict is all we need, and skipping the model is most of the per-update cost (bench/telegram.py).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from parley.core.kernel.door import strict_int
from parley.core.kernel.messages import Address, Attachment, Contact, Inbound, Location

CHANNEL = "telegram"
MAX_TEXT = 4096  # Bot API: sendMessage text is 1-4096 characters after entities parsing
MAX_CALLBACK_DATA = 64  # Bot API: callback_data is 1-64 bytes
LONG_PAYLOAD = "p:"  # prefix of a callback_data that stands for a longer payload kept in the store


@dataclass(frozen=True)
class BotIdentity:
    """Who we are (getMe): needed to tell whether a group message is meant for us."""

    id: int
    username: str


def escape(text: str) -> str:
    """Escape for parse_mode=HTML. Telegram's HTML parser only treats ``<``, ``>`` and ``&`` as
    markup, so escaping those three makes any user-supplied text ("<b>", "*_[", "&amp") safe:
    never "Bad Request: can't parse entities". MarkdownV2 would need 18 characters escaped,
    differently inside code and links: HTML is the robust choice."""
    return html.escape(text, quote=False)


def callback_data(payload: str) -> str:
    """The callback_data for a button: the payload itself when it fits in 64 bytes, else a short
    digest the channel maps back through the store (see ``is_long_payload``)."""
    if len(payload.encode()) <= MAX_CALLBACK_DATA:
        return payload
    return LONG_PAYLOAD + hashlib.sha256(payload.encode()).hexdigest()[:32]


def is_long_payload(data: str) -> bool:
    return data.startswith(LONG_PAYLOAD) and len(data) == len(LONG_PAYLOAD) + 32


ANONYMOUS_ADMIN = 1087968824  # @GroupAnonymousBot: the ``from`` of a group admin writing as the group
BUSINESS = "business:"  # Address.thread prefix of a chat answered through a Telegram Business connection


@dataclass(frozen=True)
class Membership:
    """A ``my_chat_member`` update for a private chat: the person blocked the bot (``kicked``)
    or unblocked it (``member``). Not a message: the channel marks or clears the person's
    ``unreachable`` flag, which the outbox and the campaign gate read."""

    person: str
    reachable: bool
    status: str


def business_thread(connection_id: str) -> str:
    """The Address.thread of a business chat: a conversation of its own (the same customer may
    also write to the bot directly), and what a reply needs to go out through the connection."""
    return BUSINESS + connection_id


def business_connection(thread: str) -> str:
    return thread[len(BUSINESS) :] if thread.startswith(BUSINESS) else ""


def _name(user: dict[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name", ""), user.get("last_name", "")) if p)


def _attachments(msg: dict[str, Any]) -> tuple[Attachment, ...]:
    """Media become attachments; ``url`` is ``tg-file:<file_id>`` (fetch it with getFile) or a
    ``geo:`` URI (RFC 5870) for places."""
    found: list[Attachment] = []
    caption = msg.get("caption", "")
    if photos := msg.get("photo"):
        biggest = max(photos, key=lambda p: p.get("width", 0) * p.get("height", 0))
        found.append(Attachment(kind="image", url=f"tg-file:{biggest['file_id']}", mime="image/jpeg", caption=caption))
    for key, kind in (("voice", "audio"), ("audio", "audio"), ("video", "video"), ("video_note", "video")):
        if media := msg.get(key):
            found.append(Attachment(kind=kind, url=f"tg-file:{media['file_id']}", mime=media.get("mime_type", "")))
    if doc := msg.get("document"):
        found.append(Attachment(kind="file", url=f"tg-file:{doc['file_id']}", mime=doc.get("mime_type", "")))
    if sticker := msg.get("sticker"):
        found.append(Attachment(kind="sticker", url=f"tg-file:{sticker['file_id']}", caption=sticker.get("emoji", "")))
    if place := _location(msg):
        url = f"geo:{place.latitude},{place.longitude}"
        found.append(Attachment(kind="location", url=url, caption=place.name))
    if contact := msg.get("contact"):
        found.append(Attachment(kind="other", mime="text/vcard", caption=contact.get("phone_number", "")))
    return tuple(found)


def _location(msg: dict[str, Any]) -> Location | None:
    venue = msg.get("venue") or {}
    place = venue.get("location") or msg.get("location")
    if not place:
        return None
    return Location(
        latitude=place["latitude"],
        longitude=place["longitude"],
        name=str(venue.get("title", "")),
        address=str(venue.get("address", "")),
    )


def _contacts(msg: dict[str, Any]) -> tuple[Contact, ...]:
    contact = msg.get("contact")
    if not contact:
        return ()
    name = " ".join(str(contact.get(k, "")) for k in ("first_name", "last_name") if contact.get(k))
    phone = str(contact.get("phone_number", ""))
    return (Contact(name=name, phones=(phone,) if phone else ()),)


def _addressed(msg: dict[str, Any], text: str, me: BotIdentity | None) -> tuple[bool, str]:
    """In a group, answer only when mentioned (@name or a text_mention of us), replied to, or
    given a command: with privacy mode on (the default) those are the only messages bots get
    anyway, and with it off we must not answer every line of a busy group.
    Returns (addressed, text without our @mention)."""
    if me is None:
        return False, text
    replied = msg.get("reply_to_message") or {}
    # In a forum, every message of a topic that is not an explicit reply carries the topic's
    # creation (a forum_topic_created service message) as its reply_to_message: when the bot
    # created the topic, that is not someone replying to the bot.
    hit = (replied.get("from") or {}).get("id") == me.id and "forum_topic_created" not in replied
    mention = f"@{me.username}".lower() if me.username else ""
    entities = msg.get("entities") or msg.get("caption_entities") or ()
    for entity in entities:
        kind = entity.get("type")
        # Entity offsets count UTF-16 code units; compare on the text itself instead.
        if kind == "text_mention" and entity.get("user", {}).get("id") == me.id:
            hit = True
        elif kind == "bot_command":
            word = text.split(maxsplit=1)[0] if text else ""
            hit = hit or "@" not in word or word.lower().endswith(mention)
    if mention and mention in text.lower():
        hit = True
        start = text.lower().index(mention)
        text = (text[:start] + text[start + len(mention) :]).strip()
    return hit, text


def _command(text: str, me: BotIdentity | None) -> str:
    """``/start@OurBot promo`` -> ``/start promo`` (Telegram adds the suffix in groups)."""
    if me is None or not text.startswith("/"):
        return text
    head, _, rest = text.partition(" ")
    suffix = f"@{me.username}"
    if me.username and head.lower().endswith(suffix.lower()):
        head = head[: -len(suffix)]
    return f"{head} {rest}".strip()


def _address(chat: dict[str, Any], user: dict[str, Any], msg: dict[str, Any]) -> Address:
    # Forum topics are separate conversations (message_thread_id); plain reply threads are not.
    thread = str(msg["message_thread_id"]) if msg.get("is_topic_message") else ""
    return Address(channel=CHANNEL, chat=str(chat["id"]), user=str(user.get("id", chat["id"])), thread=thread)


def _sender(msg: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any] | None:
    """Who wrote, as a Bot API ``User``; None when it is not a customer: another bot, a channel
    post (no sender), or a channel's post forwarded automatically into its discussion group."""
    user = msg.get("from") or {}
    sender_chat = msg.get("sender_chat") or {}
    if msg.get("is_automatic_forward"):
        return None  # the linked channel's own post, copied into the group by Telegram
    if sender_chat and sender_chat.get("id") == chat.get("id"):
        # An anonymous group admin: ``from`` is @GroupAnonymousBot, the group is the sender.
        return {"id": chat["id"], "first_name": str(sender_chat.get("title", ""))}
    if user.get("is_bot"):
        return None
    return user


def _message(update_id: str, msg: dict[str, Any], me: BotIdentity | None, edit: bool) -> Inbound | None:
    chat = msg.get("chat") or {}
    if "id" not in chat:
        return None
    user = _sender(msg, chat)
    if user is None:
        return None
    text = msg.get("text") or msg.get("caption") or ""
    business = str(msg.get("business_connection_id") or "")
    if business and (msg.get("sender_business_bot") or user.get("id") != chat["id"]):
        return None  # the business owner (or a bot for them) writing to the customer: not ours to answer
    if chat.get("type") != "private":
        addressed, text = _addressed(msg, text, me)
        if not addressed:
            return None
    text = _command(text, me)
    attachments = _attachments(msg)
    if edit and not text:
        # Live locations arrive as a stream of edited_message updates: not something to answer.
        return None
    message_id = str(msg.get("message_id", ""))
    replied = msg.get("reply_to_message") or {}
    address = _address(chat, user, msg)
    if business:
        address = address.model_copy(update={"thread": business_thread(business)})
    return Inbound(
        address=address,
        event_id=update_id,
        text=text,
        kind="edit" if edit else "message",
        attachments=() if edit else attachments,
        locale_hint=user.get("language_code", ""),
        user_name=_name(user),
        received_at=_when(msg.get("edit_date") or msg.get("date")),
        message_id=message_id,
        reply_to="" if "forum_topic_created" in replied else str(replied.get("message_id", "")),
        location=None if edit else _location(msg),
        contacts=() if edit else _contacts(msg),
        meta={"message_id": message_id, "chat_type": str(chat.get("type", ""))},
    )


MAX_DATE = 2**32 - 1  # Bot API dates are Unix times in 32 bits (until 2106)


def _when(value: object) -> datetime | None:
    """A Bot API date, or None when it is not one (a float, a bool, 1e20: never an overflow)."""
    stamp = strict_int(value, 0, MAX_DATE)
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)


def _button_title(markup: dict[str, Any] | None, data: str) -> str:
    for row in (markup or {}).get("inline_keyboard", ()):
        for button in row:
            if button.get("callback_data") == data:
                return str(button.get("text", ""))
    return ""


def _callback(update_id: str, query: dict[str, Any]) -> Inbound | None:
    user = query.get("from") or {}
    msg = query.get("message") or {}
    chat = msg.get("chat") or {"id": user.get("id")}
    if chat.get("id") is None or "data" not in query:
        return None  # a game button, or a malformed query: nothing to pass on
    data = str(query["data"])
    return Inbound(
        address=_address(chat, user, msg),
        event_id=update_id,
        kind="button",
        payload=data,
        locale_hint=user.get("language_code", ""),
        user_name=_name(user),
        meta={
            "title": _button_title(msg.get("reply_markup"), data),
            "callback_id": str(query.get("id", "")),
            "message_id": str(msg.get("message_id", "")),
        },
    )


class MalformedUpdate(ValueError):
    """Not a Bot API update: a 400 for the webhook, a log line for polling."""


def to_inbound(update: Any, me: BotIdentity | None) -> Inbound | None:
    """One update -> one ``Inbound``, or None for updates Parley does not answer (channel posts,
    group chatter not meant for us, member changes, polls...). ``event_id`` is ``update_id``."""
    if not isinstance(update, dict) or strict_int(update.get("update_id"), 0) is None:
        raise MalformedUpdate("an update is a JSON object with an integer update_id")
    update_id = str(update["update_id"])
    try:
        for key, edit in MESSAGES.items():
            if key in update:
                return _message(update_id, update[key], me, edit=edit)
        if "callback_query" in update:
            return _callback(update_id, update["callback_query"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedUpdate(f"unexpected shape: {type(exc).__name__}") from None
    # chat_join_request and message_reaction are received (allowed_updates) and deliberately
    # left alone: admitting members is the group admins' call, and a reaction is not a question.
    return None


# The update fields that carry a message, and whether it is an edit.
MESSAGES = {"message": False, "edited_message": True, "business_message": False, "edited_business_message": True}


def membership(update: Any) -> Membership | None:
    """A private chat's ``my_chat_member`` update as a ``Membership`` (None for anything else,
    and for groups: a removed bot learns it per send, from Telegram's 403)."""
    change = update.get("my_chat_member") if isinstance(update, dict) else None
    if not isinstance(change, dict):
        return None
    chat, member = change.get("chat"), change.get("new_chat_member")
    if not isinstance(chat, dict) or not isinstance(member, dict):
        return None  # not the Bot API's shape: to_inbound passes it over like any unknown update
    status = member.get("status")
    if chat.get("type") != "private" or strict_int(chat.get("id")) is None:
        return None
    if status not in ("kicked", "member"):
        return None
    person = Address(channel=CHANNEL, chat=str(chat["id"]), user=str(chat["id"])).person
    return Membership(person=person, reachable=status == "member", status=status)
