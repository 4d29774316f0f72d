"""A ``Card`` (parley.core.kernel.messages) laid out in Block Kit, within Slack's documented limits:
50 blocks a message, 3,000 characters of section text, 10 fields of 2,000 each, a header's 150
characters of plain text, a button's 75 and a context's 10 elements (Block Kit reference).

Text is escaped here, once, where it becomes mrkdwn (& < > only: Slack's "Escaping text");
plain_text (the header, buttons) is never escaped. Cuts fall at word breaks with an ellipsis,
measured after escaping, so "&" near a limit cannot push a block over it.
"""

from __future__ import annotations

import re
from typing import Any

from parley.channels.slack.translate import ACTION_PREFIX, BUTTON_TITLE_MAX, BUTTON_VALUE_MAX, chunks, escape
from parley.core.kernel.messages import Card, Fact, Reply
from parley.core.kernel.render import clip

_USER = re.compile(r"[UW][A-Z0-9]{2,20}")  # a Slack user id: the only thing written as a mention
BLOCKS_MAX = 50
VIEW_BLOCKS = 100  # a Home tab or a modal
TEXT_MAX = 3000  # a section's text; also what we keep of the fallback ``text``
FIELDS_MAX = 10
FIELD_MAX = 2000
HEADER_MAX = 150
CONTEXT_MAX = 10
URL_MAX = 3000
SAID_MAX = 300  # one quoted message, before escaping
OPTIONS_MAX, OPTION_MAX, OPTION_VALUE, PLACEHOLDER_MAX = 100, 75, 150, 150  # a static_select's


def fitted(text: str, limit: int) -> str:
    """``text`` escaped for mrkdwn and cut (at a word) so the escaped form fits ``limit``."""
    room = limit
    while True:
        escaped = escape(clip(text, room))
        grown = len(escaped) - limit
        if grown <= 0:
            return escaped
        room = max(1, room - grown)  # escaping grew it: cut the raw text tighter


def _fact(fact: Fact) -> dict[str, str]:
    value = fitted(fact.value, FIELD_MAX - len(fact.label) - 8)
    if fact.at:  # each reader's own time zone; the fallback is the UTC text
        value = f"<!date^{int(fact.at)}^{{date_short_pretty}} {{time}}|{value}>"
    return {"type": "mrkdwn", "text": f"*{escape(fact.label)}*\n{value}"}


def _said(card: Card) -> str:
    """The last messages, newest last, the oldest dropped first if they overflow the section."""
    lines = [f"*{escape(s.who)}:* {fitted(s.text, SAID_MAX)}" for s in card.said]
    head = "*Last messages*"
    while lines and len(head) + sum(len(line) + 1 for line in lines) > TEXT_MAX:
        lines.pop(0)
    return "\n".join([head, *lines]) if lines else ""


def blocks(card: Card, reply: Reply) -> list[dict[str, Any]]:
    """The card's blocks, ``reply.buttons`` as its actions (values as the desk reads them)."""
    level = card.level or ("urgent" if card.urgent else "normal")
    title = f"{'🔴 ' if card.urgent else '🔥 ' if level.startswith('hot') else ''}{card.title} · {level}"
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_MAX), "emoji": True}}
    ]
    if card.mention and _USER.fullmatch(
        card.mention
    ):  # the routed rep, notified (a mention is the one mrkdwn we write unescaped)
        why = f" ({fitted(card.mention_why, 200)})" if card.mention_why else ""
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"For <@{card.mention}>{why}"}})
    if card.trigger:
        trigger = fitted(card.trigger, TEXT_MAX - 40)
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Why it is urgent*\n> {trigger}"}})
    facts = [_fact(f) for f in card.facts]
    for i in range(0, len(facts), FIELDS_MAX):  # more than ten facts: another section
        out.append({"type": "section", "fields": facts[i : i + FIELDS_MAX]})
    if card.summary:
        summary = fitted(card.summary, TEXT_MAX - 20)
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Summary*\n{summary}"}})
    said = _said(card)
    if said:
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": said}})
    if card.status:
        elements = [{"type": "mrkdwn", "text": fitted(s, TEXT_MAX)} for s in card.status[-CONTEXT_MAX:]]
        out.append({"type": "context", "elements": elements})
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": clip(b.title, BUTTON_TITLE_MAX) or "?", "emoji": True},
            "value": b.payload[:BUTTON_VALUE_MAX],
            "action_id": f"{ACTION_PREFIX}{n}",
            **({"style": "primary"} if n == 0 else {}),
        }
        for n, b in enumerate(reply.buttons)
    ]
    if card.link and len(card.link) <= URL_MAX:
        # A link button still sends block_actions; its action_id is not ours, so it is only acked.
        title = clip(card.link_title, BUTTON_TITLE_MAX)
        link = {"type": "plain_text", "text": title}
        buttons.append({"type": "button", "text": link, "url": card.link, "action_id": "open_conversation"})
    if card.menu:  # a select: the choice comes back as a click on that option's payload
        options = [
            {
                "text": {"type": "plain_text", "text": clip(b.title, OPTION_MAX) or "?"},
                "value": b.payload[:OPTION_VALUE],
            }
            for b in card.menu[:OPTIONS_MAX]
        ]
        placeholder = {"type": "plain_text", "text": clip(card.menu_title or "More", PLACEHOLDER_MAX)}
        buttons.append(
            {
                "type": "static_select",
                "action_id": f"{ACTION_PREFIX}menu",
                "placeholder": placeholder,
                "options": options,
            }
        )
    if buttons:
        out.append({"type": "actions", "elements": buttons[:25]})  # no block_id: Slack asks a new one per edit
    return out[:BLOCKS_MAX]


def card_post(channel: str, reply: Reply, thread: str = "") -> dict[str, Any]:
    """chat.postMessage (or chat.update) arguments for a card: blocks, and ``text`` as the
    notification and screen-reader fallback Slack asks for."""
    assert reply.card is not None
    fallback = escape(reply.text) if len(escape(reply.text)) <= TEXT_MAX - 20 else fitted(reply.text, TEXT_MAX - 20)
    if reply.card.mention and _USER.fullmatch(reply.card.mention):  # in the notification text too, so the rep is pinged
        fallback = f"<@{reply.card.mention}> {fallback}"
    post: dict[str, Any] = {"channel": channel, "text": fallback, "blocks": blocks(reply.card, reply)}
    if thread:
        post["thread_ts"] = thread
    return post


def home_blocks(text: str) -> list[dict[str, Any]]:
    """An App Home view of the desk's text: a header, then one section per paragraph (split to
    fit a section), within a view's 100 blocks."""
    out: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Parley desk"}}]
    for paragraph in filter(None, (p.strip() for p in text.split("\n\n"))):
        out += [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks(paragraph, TEXT_MAX)]
    return out[:VIEW_BLOCKS]
