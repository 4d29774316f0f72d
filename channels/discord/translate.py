"""Pure translators between discord.py objects and Parley's messages (no I/O, unit-tested).

They read discord.py objects by attribute only, so tests pass plain stand-ins.

Addresses: a DM is ``chat`` = the DM channel id. A mention in a guild channel is answered in a
thread started from the mentioning message; Discord gives such a thread the id of the message
it starts from, so ``thread`` = the message id is known before the thread exists. A message in a
thread is ``chat`` = the parent channel, ``thread`` = the thread id: the same conversation.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable
from parley.core.kernel.messages import Address, Attachment, Inbound, Reply

CHANNEL = "discord"
MAX_TEXT = 2000  # Discord's limit on message content
MAX_CUSTOM_ID = 100  # Discord's limit on a component's custom_id
MAX_LABEL = 80  # Discord's limit on a button label
BUTTONS_PER_ROW = 5  # Discord: at most 5 buttons per action row, 5 rows per message
MAX_BUTTONS = 25
NONCE_LENGTH = 25  # Discord rejects a nonce longer than 25 characters
COMPONENT = 3  # InteractionType.component
CANNOT_DM = 50007  # "Cannot send messages to this user": DMs closed or the bot blocked

_KINDS = {"image": "image", "audio": "audio", "video": "video"}
SPOKEN_TYPES = {0, 19}  # MessageType.default and .reply; every other type is a system message


def mention_pattern(bot_id: int) -> re.Pattern[str]:
    # <@id> is a user mention, <@!id> the legacy nickname form still sent by some clients.
    return re.compile(rf"<@!?{bot_id}>")


def guild_id_of(channel: Any) -> int | None:
    """A guild channel's guild id; None for a DM. Uncached guild channels arrive as
    PartialMessageable (guild_id set), cached ones as TextChannel/Thread (guild set)."""
    guild_id = getattr(channel, "guild_id", None)
    if guild_id is not None:
        return guild_id
    guild = getattr(channel, "guild", None)
    return getattr(guild, "id", None)


def address_of(channel: Any, user_id: int, message_id: int | None) -> Address:
    user = str(user_id)
    if guild_id_of(channel) is None:
        return Address(channel=CHANNEL, chat=str(channel.id), user=user)
    parent = getattr(channel, "parent_id", None)
    if parent is not None:  # already in a thread: answer there
        return Address(channel=CHANNEL, chat=str(parent), user=user, thread=str(channel.id))
    thread = str(message_id) if message_id is not None else ""
    return Address(channel=CHANNEL, chat=str(channel.id), user=user, thread=thread)


def attachment_of(item: Any) -> Attachment:
    mime = getattr(item, "content_type", None) or ""
    kind = _KINDS.get(mime.split("/", 1)[0], "file")
    return Attachment(kind=kind, url=str(getattr(item, "url", "")), mime=mime)  # type: ignore[arg-type]


def sticker_of(item: Any) -> Attachment:
    return Attachment(kind="sticker", url=str(getattr(item, "url", "")), caption=str(getattr(item, "name", "")))


def spoken(message: Any) -> bool:
    """A person's message (a plain one or a reply), not a system message: a pin, a call, a
    member joining, a thread created, a boost... Those arrive as MESSAGE_CREATE too."""
    kind = getattr(message, "type", None)
    return kind is None or int(getattr(kind, "value", kind)) in SPOKEN_TYPES


def inbound_from_message(message: Any, bot_id: int) -> Inbound | None:
    """A DM, or a guild message that mentions the bot; None for anything else (other bots,
    our own messages, system messages, guild chatter not addressed to us)."""
    author = message.author
    if getattr(author, "bot", False) or author.id == bot_id or not spoken(message):
        return None
    text = message.content or ""
    if guild_id_of(message.channel) is not None:
        mentioned = any(user.id == bot_id for user in message.mentions)
        if not mentioned:
            return None
        text = mention_pattern(bot_id).sub("", text).strip()
    return Inbound(
        address=address_of(message.channel, author.id, message.id),
        event_id=str(message.id),  # dedupe: a MESSAGE_CREATE replayed after RESUME has the same id
        text=text,
        attachments=tuple(attachment_of(a) for a in message.attachments)
        + tuple(sticker_of(s) for s in getattr(message, "stickers", None) or ()),
        user_name=getattr(author, "global_name", None) or getattr(author, "name", "") or "",
        message_id=str(message.id),
        reply_to=str(getattr(getattr(message, "reference", None), "message_id", None) or ""),
    )


def edit_from_message(message: Any, bot_id: int, edited_at: str) -> Inbound | None:
    """An edited message (MESSAGE_UPDATE) -> ``Inbound(kind="edit")`` of the conversation the
    message belongs to; never answered (parley.core.kernel.edits). Each edit is its own event."""
    inbound = inbound_from_message(message, bot_id)
    if inbound is None:
        return None
    stamp = hashlib.sha256(edited_at.encode()).hexdigest()[:12]
    return inbound.model_copy(update={"kind": "edit", "event_id": f"edit:{message.id}:{stamp}", "attachments": ()})


def button_title(message: Any, custom_id: str) -> str:
    """The label of the pressed button, read from the message it sits on (best effort)."""
    for row in getattr(message, "components", None) or ():
        for child in getattr(row, "children", ()):
            if getattr(child, "custom_id", None) == custom_id:
                return getattr(child, "label", "") or ""
    return ""


def inbound_from_interaction(interaction: Any) -> Inbound | None:
    """A button press (component interaction) -> Inbound(kind="button"); None otherwise."""
    if int(getattr(interaction.type, "value", interaction.type)) != COMPONENT:
        return None
    data = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))[:MAX_CUSTOM_ID]
    channel = interaction.channel
    message = interaction.message
    if guild_id_of(channel) is not None and getattr(channel, "parent_id", None) is None:
        # A button under our answer in a plain guild channel: the answer lives in the thread,
        # but a reply fallback sits in the channel; keep the conversation of that message.
        reference = getattr(message, "reference", None)
        origin = getattr(reference, "message_id", None)
        address = address_of(channel, interaction.user.id, origin)
    else:
        address = address_of(channel, interaction.user.id, None)
    locale = getattr(interaction, "locale", None)
    return Inbound(
        address=address,
        event_id=f"i{interaction.id}",
        kind="button",
        payload=custom_id,
        meta={"title": button_title(message, custom_id)[:MAX_LABEL]},
        # Discord gives the user's client language only on interactions (e.g. "pt-BR").
        locale_hint=str(getattr(locale, "value", locale or "")),
        user_name=getattr(interaction.user, "global_name", None) or getattr(interaction.user, "name", "") or "",
    )


def nonce(reply: Reply, part: int) -> str | None:
    """A nonce stable across outbox retries (the outbox item id), one per split part, so
    ``enforce_nonce`` makes Discord return the first message instead of posting a second."""
    item = reply.meta.get("id")
    if not item:
        return None
    return hashlib.sha256(f"{item}#{part}".encode()).hexdigest()[:NONCE_LENGTH]


def components(reply: Reply) -> list[dict[str, Any]]:
    """Buttons as action rows of five secondary buttons; labels and payloads cut to Discord's
    limits (it refuses the whole message otherwise)."""
    buttons = [
        {"type": 2, "style": 2, "label": b.title[:MAX_LABEL] or "-", "custom_id": b.payload[:MAX_CUSTOM_ID]}
        for b in reply.buttons[:MAX_BUTTONS]
    ]
    return [
        {"type": 1, "components": buttons[i : i + BUTTONS_PER_ROW]} for i in range(0, len(buttons), BUTTONS_PER_ROW)
    ]


def send_failure(status: int, code: int, text: str, retry_after: str, *, dm: bool) -> Exception | None:
    """What the outbox should do with a refused send; None: an error worth retrying."""
    if status == 429:  # a 429 without Discord's Via header: discord.py does not retry it
        try:
            return RetryAfter(float(retry_after or 5.0))
        except ValueError:
            return RetryAfter(5.0)
    if code == CANNOT_DM or (status == 403 and dm):
        return Unreachable("dm_closed")
    if 400 <= status < 500:
        return Rejected(f"discord {status} code {code}: {text[:120]}")
    return None
