"""Pure translators for Slack: events and block actions -> ``Inbound``, ``Reply`` -> chat.postMessage
arguments. No I/O here, so every rule below is unit-tested on plain dicts."""

from __future__ import annotations

import re
from typing import Any, Literal

from parley.core.kernel.messages import Address, Attachment, Inbound, Reply
from parley.core.kernel.render import split

CHANNEL = "slack"
ACTION_PREFIX = "parley:"  # action_id of every button we post: the bolt listener matches on it
SECTION_MAX = 3000  # Block Kit: a section's text is at most 3,000 characters
BUTTON_TITLE_MAX = 75  # Block Kit: a button's plain_text is at most 75 characters
BUTTON_VALUE_MAX = 2000
ACTIONS_MAX = 25  # Block Kit: at most 25 elements in one actions block

# Subtypes that still carry something a person said. Everything else (message_changed,
# message_deleted, channel_join, bot_message...) is Slack telling us about the channel, not a person
# talking to us: answering those is how reply loops start.
_SPOKEN_SUBTYPES = {None, "", "thread_broadcast", "file_share"}

Route = Literal["dm", "mention", "thread"]


def well_formed(body: object) -> bool:
    """The shape bolt's middleware assumes before any listener runs (it calls .get on these);
    anything else is not a Slack request and gets a 400 instead of a crash inside bolt."""
    if not isinstance(body, dict) or not body:
        return False
    for key in ("event", "user", "channel", "container", "team", "message", "authorizations"):
        value = body.get(key)
        if key == "authorizations":
            if value is not None and not (isinstance(value, list) and all(isinstance(a, dict) for a in value)):
                return False
        elif (
            value is not None
            and not isinstance(value, dict)
            and not (key in ("user", "channel") and isinstance(value, str))
        ):
            return False  # user and channel may be plain ids (slash commands, some events)
    actions = body.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)):
        return False
    event = body.get("event")
    return event is None or isinstance(event.get("type", ""), str)


def escape(text: str) -> str:
    """Slack mrkdwn control characters (docs: "Escaping text"): only &, < and > are escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain(text: str, bot_user_id: str = "") -> str:
    """Slack's escaped mrkdwn as the person typed it: the bot's mention dropped, links and other
    mentions as their label, then &amp; &lt; &gt; unescaped (last, so "&lt;@U1&gt;" stays text)."""
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", "")

    def label(match: re.Match[str]) -> str:
        target, shown = match.group(1), match.group(2)
        if shown:
            return shown
        return target.removeprefix("mailto:") if not target.startswith(("@", "#", "!")) else target

    text = _LINK.sub(label, text)
    return unescape(text).strip()


def ignore_reason(event: dict[str, Any], bot_user_id: str) -> str | None:
    """Why an event must not reach the pipeline, or None. Bolt already drops the bot's own events
    (IgnoringSelfEvents); other bots are dropped here too, or two bots answer each other forever."""
    if event.get("bot_id") or event.get("bot_profile"):
        return "bot"
    if event.get("subtype") not in _SPOKEN_SUBTYPES:
        return "subtype"
    user = event.get("user")
    if not isinstance(user, str) or not user:
        return "no_user"
    if bot_user_id and user == bot_user_id:
        return "self"
    if not isinstance(event.get("channel"), str):
        return "no_channel"
    return None


def route(event: dict[str, Any], bot_user_id: str) -> Route | None:
    """Which kind of conversation an event belongs to, or None if it is not for us.

    A mention in a channel arrives twice (app_mention and message.channels): the message copy is
    dropped, so one mention gets one answer.
    """
    kind = event.get("type")
    if kind == "app_mention":
        return "mention"
    if kind != "message":
        return None
    if event.get("channel_type") == "im":
        return "dm"
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        if bot_user_id and f"<@{bot_user_id}>" in str(event.get("text", "")):
            return None  # the app_mention copy answers it
        return "thread"
    return None


def thread_of(event: dict[str, Any], kind: Route) -> str:
    """A DM is one conversation, except its threads (an assistant thread, or a reply in a
    thread), where the answer belongs too; a mention opens (or continues) a thread in its channel."""
    if kind == "dm":
        return str(event.get("thread_ts") or "")
    return str(event.get("thread_ts") or event.get("ts") or "")


def edited(event: dict[str, Any], bot_user_id: str) -> tuple[dict[str, Any], Route] | None:
    """A ``message_changed`` event -> the edited message (as a message event of its channel)
    and the conversation it belongs to: a DM, else the thread it is in (or opened, for a
    mention). None for a bot's message, ours included, or a shape that is not a person's."""
    message = event.get("message")
    if event.get("subtype") != "message_changed" or not isinstance(message, dict):
        return None
    inner = {**message, "type": "message", "channel": event.get("channel"), "channel_type": event.get("channel_type")}
    inner.pop("subtype", None)  # the edited message's own subtype is not the change's
    if ignore_reason(inner, bot_user_id) is not None:
        return None
    return inner, "dm" if inner["channel_type"] == "im" else "mention"


def edit_inbound(body: dict[str, Any], inner: dict[str, Any], kind: Route, bot_user_id: str) -> Inbound:
    """The edit of ``inner`` (from ``edited``) as ``Inbound(kind="edit")``: never answered, it
    corrects the copy Parley kept (parley.core.kernel.edits)."""
    address = Address(channel=CHANNEL, chat=inner["channel"], user=inner["user"], thread=thread_of(inner, kind))
    return Inbound(
        address=address,
        event_id=str(body.get("event_id") or f"{inner['channel']}:edit:{inner.get('ts', '')}"),
        text=plain(str(inner.get("text") or ""), bot_user_id),
        kind="edit",
        message_id=str(inner.get("ts", "")),
        meta={"team": str(body.get("team_id", "")), "route": kind},
    )


def _attachments(event: dict[str, Any]) -> tuple[Attachment, ...]:
    files = event.get("files")
    if not isinstance(files, list):
        return ()
    out = []
    for f in files[:10]:
        if not isinstance(f, dict):
            continue
        mime = str(f.get("mimetype", ""))
        major = mime.split("/", 1)[0]
        kind = major if major in ("image", "audio", "video") else "file"
        out.append(Attachment(kind=kind, url=str(f.get("url_private", "")), mime=mime, caption=str(f.get("name", ""))))
    return tuple(out)


def message_inbound(
    body: dict[str, Any],
    kind: Route,
    bot_user_id: str,
    locale: str = "",
    meta: dict[str, str] | None = None,
    name: str = "",
) -> Inbound:
    """An event_callback (a message or app_mention) -> Inbound, deduplicated on Slack's event_id."""
    event = body["event"]
    address = Address(channel=CHANNEL, chat=event["channel"], user=event["user"], thread=thread_of(event, kind))
    return Inbound(
        address=address,
        event_id=str(body.get("event_id") or f"{event['channel']}:{event.get('ts', '')}"),
        text=plain(str(event.get("text") or ""), bot_user_id),
        attachments=_attachments(event),
        locale_hint=locale,
        user_name=name,
        message_id=str(event.get("ts", "")),
        meta={"team": str(body.get("team_id", "")), "ts": str(event.get("ts", "")), "route": kind, **(meta or {})},
    )


def action_thread(body: dict[str, Any]) -> str:
    """The thread a button lives in: its message's thread, or the message itself when it is a
    top-level card (a desk card's replies thread under it). DMs are unthreaded."""
    channel = action_channel(body)
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    if channel.startswith("D"):  # a DM's buttons answer where they are: its thread, if any
        return str(message.get("thread_ts") or container.get("thread_ts") or "")
    return str(message.get("thread_ts") or message.get("ts") or container.get("message_ts") or "")


def action_channel(body: dict[str, Any]) -> str:
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    return str(channel.get("id") or container.get("channel_id") or "")


def action_inbound(body: dict[str, Any], locale: str = "", meta: dict[str, str] | None = None) -> Inbound | None:
    """A block_actions payload (one of our buttons) -> a button Inbound; None if it is not ours or
    not well formed. Slack gives clicks no event_id; action_ts is unique per click."""
    actions = body.get("actions")
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    channel = action_channel(body)
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict) or not channel:
        return None
    action = actions[0]
    if not str(action.get("action_id", "")).startswith(ACTION_PREFIX) or not user.get("id"):
        return None
    # A button carries its value; a select, the option chosen (the card's saved-reply menu).
    chosen = action.get("selected_option") if isinstance(action.get("selected_option"), dict) else {}
    shown = action.get("text") if isinstance(action.get("text"), dict) else chosen.get("text")
    title = shown.get("text", "") if isinstance(shown, dict) else ""
    return Inbound(
        address=Address(channel=CHANNEL, chat=channel, user=str(user["id"]), thread=action_thread(body)),
        event_id=f"action:{channel}:{action.get('action_ts', '')}:{user['id']}",
        kind="button",
        payload=str(action.get("value") or chosen.get("value") or "")[:BUTTON_VALUE_MAX],
        locale_hint=locale,
        user_name=str(user.get("username") or user.get("name") or ""),
        meta={"title": str(title)[:256], "team": str((body.get("team") or {}).get("id", "")), **(meta or {})},
    )


DESK_COMMANDS = ("queue", "mine", "assign", "reply")


def command_inbound(body: dict[str, Any]) -> Inbound | None:
    """A ``/parley`` slash command -> an Inbound for the desk: its first word names the command
    (``meta["desk_command"]``; anything else asks for help), the rest is its text. Commands have
    no event id; trigger_id is unique per invocation."""
    user, channel, trigger = (str(body.get(k) or "") for k in ("user_id", "channel_id", "trigger_id"))
    if not (user and channel and trigger):
        return None
    words = str(body.get("text") or "").split()
    command = words[0].lower() if words else ""
    return Inbound(
        address=Address(channel=CHANNEL, chat=channel, user=user),
        event_id=f"command:{trigger}"[:200],
        text=" ".join(words)[:1000] or "help",  # the whole command: an empty text is no message
        user_name=str(body.get("user_name") or ""),
        meta={"desk": "1", "desk_command": command if command in DESK_COMMANDS else "help"},
    )


def home_inbound(body: dict[str, Any]) -> Inbound | None:
    """app_home_opened on the Home tab -> an Inbound asking the desk for the rep's home view."""
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    user = event.get("user")
    if event.get("tab") != "home" or not isinstance(user, str) or not user:
        return None
    return Inbound(
        address=Address(channel=CHANNEL, chat=str(event.get("channel") or user), user=user),
        event_id=str(body.get("event_id") or f"home:{user}:{event.get('event_ts', '')}"),
        text="home",  # an empty text is no message (the guard would answer it)
        meta={"desk": "1", "desk_command": "home"},
    )


def chunks(text: str, limit: int = SECTION_MAX, cut: int = 0) -> list[str]:
    """Split ``text`` so every piece still fits ``limit`` once escaped (& becomes 5 characters):
    split at ``cut`` raw characters (``limit`` at first), and again, tighter, where escaping grew a piece."""
    out: list[str] = []
    for piece in split(text, cut or limit):
        escaped = escape(piece)
        if len(escaped) <= limit:
            out.append(escaped)
        else:  # rare: a piece dense with & < >; every character escapes to at most 5
            out.extend(chunks(piece, limit, max(1, len(piece) * limit // len(escaped))))
    return out


def button_blocks(reply: Reply) -> list[dict[str, Any]]:
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": b.title[:BUTTON_TITLE_MAX] or "?", "emoji": True},
            "value": b.payload[:BUTTON_VALUE_MAX],
            "action_id": f"{ACTION_PREFIX}{n}",
        }
        for n, b in enumerate(reply.buttons)
    ]
    return [
        {"type": "actions", "block_id": f"parley_actions_{i // ACTIONS_MAX}", "elements": buttons[i : i + ACTIONS_MAX]}
        for i in range(0, len(buttons), ACTIONS_MAX)
    ]


def post_arguments(address: Address, reply: Reply, limit: int = SECTION_MAX) -> list[dict[str, Any]]:
    """chat.postMessage arguments for a reply: long text split, escaped, the buttons as Block Kit
    on the last message (``text`` stays as the notification fallback Slack asks for)."""
    texts = chunks(reply.text, limit) if reply.text else [""]
    posts: list[dict[str, Any]] = []
    for n, text in enumerate(texts):
        post: dict[str, Any] = {"channel": address.chat, "text": text or " "}
        if address.thread:
            post["thread_ts"] = address.thread
        if n == len(texts) - 1 and reply.buttons:
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}] if text else []
            post["blocks"] = blocks + button_blocks(reply)
            post["text"] = text or escape(", ".join(b.title for b in reply.buttons))
        posts.append(post)
    return posts
