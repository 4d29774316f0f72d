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
from parley.core.kernel.messages import Address, Attachment, Inbound

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
    place = msg.get("venue", {}).get("location") or msg.get("location")
    if place:
        title = msg.get("venue", {}).get("title", "")
        found.append(Attachment(kind="location", url=f"geo:{place['latitude']},{place['longitude']}", caption=title))
    if contact := msg.get("contact"):
        found.append(Attachment(kind="other", mime="text/vcard", caption=contact.get("phone_number", "")))
    return tuple(found)


def _addressed(msg: dict[str, Any], text: str, me: BotIdentity | None) -> tuple[bool, str]:
    """In a group, answer only when mentioned (@name or a text_mention of us), replied to, or
    given a command: with privacy mode on (the default) those are the only messages bots get
    anyway, and with it off we must not answer every line of a busy group.
    Returns (addressed, text without our @mention)."""
    if me is None:
        return False, text
    replied = msg.get("reply_to_message", {}).get("from", {}).get("id")
    hit = replied == me.id
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


def _message(update_id: str, msg: dict[str, Any], me: BotIdentity | None, edit: bool) -> Inbound | None:
    chat = msg.get("chat") or {}
    user = msg.get("from") or {}
    if "id" not in chat or user.get("is_bot"):
        return None  # channel posts without a sender, or another bot talking: not a customer
    text = msg.get("text") or msg.get("caption") or ""
    if chat.get("type") != "private":
        addressed, text = _addressed(msg, text, me)
        if not addressed:
            return None
    text = _command(text, me)
    attachments = _attachments(msg)
    if edit and not text:
        # Live locations arrive as a stream of edited_message updates: not something to answer.
        return None
    meta = {"message_id": str(msg.get("message_id", "")), "chat_type": str(chat.get("type", ""))}
    return Inbound(
        address=_address(chat, user, msg),
        event_id=update_id,
        text=text,
        kind="edit" if edit else "message",
        attachments=() if edit else attachments,
        locale_hint=user.get("language_code", ""),
        user_name=_name(user),
        received_at=_when(msg.get("edit_date") or msg.get("date")),
        meta=meta,
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
        if "message" in update:
            return _message(update_id, update["message"], me, edit=False)
        if "edited_message" in update:
            return _message(update_id, update["edited_message"], me, edit=True)
        if "callback_query" in update:
            return _callback(update_id, update["callback_query"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedUpdate(f"unexpected shape: {type(exc).__name__}") from None
    return None
