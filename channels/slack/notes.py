"""Internal notes through Slack's "Internal note" message shortcut: used on a desk card or any
message in its thread, it opens a modal (views.open, while the shortcut's trigger_id is fresh);
the note submitted there goes to the desk as an Inbound tagged ``desk_note``, which posts it in
the card's thread and never relays it to the customer (parley.core.handoff.desk).

Typing "note:" or "//" at the start of a thread reply does the same without a modal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from parley.channels.slack.send import thread_key
from parley.channels.slack.translate import CHANNEL
from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.store import KeyValueStore
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("parley.slack")

NOTE = "desk_note"  # the shortcut's and the modal's callback_id (docs/slack-manifest.yaml)
BLOCK, FIELD = "note", "text"
NOTE_MAX = 2900  # the input's max_length: the note fits one section when posted


def modal(ref: str, channel: str, thread: str) -> dict[str, Any]:
    """The note's modal; where it goes rides in private_metadata (Slack hands it back)."""
    return {
        "type": "modal",
        "callback_id": NOTE,
        "private_metadata": json.dumps({"ref": ref, "channel": channel, "thread": thread}),
        "title": {"type": "plain_text", "text": "Internal note"},
        "submit": {"type": "plain_text", "text": "Add note"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": BLOCK,
                "label": {"type": "plain_text", "text": "Note for the team (the customer never sees it)"},
                "element": {"type": "plain_text_input", "action_id": FIELD, "multiline": True, "max_length": NOTE_MAX},
            }
        ],
    }


class DeskNotes:
    def __init__(
        self, client: AsyncWebClient, store: KeyValueStore, deliver: Callable[[Inbound], Awaitable[bool]]
    ) -> None:
        self.client = client
        self.store = store
        self.deliver = deliver

    async def shortcut(self, ack: Any, body: dict[str, Any]) -> None:
        """The shortcut on a message: a case's thread opens the modal, anything else says why not."""
        await ack()
        channel = str((body.get("channel") or {}).get("id", ""))
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        user = str((body.get("user") or {}).get("id", ""))
        root = str(message.get("thread_ts") or message.get("ts") or "")
        known = await self.store.get(thread_key(channel, root)) if channel and root else None
        ref = _ref(known)
        try:
            if ref:
                await self.client.views_open(trigger_id=str(body.get("trigger_id", "")), view=modal(ref, channel, root))
            elif channel and user:
                text = "Internal notes belong to a case: use the shortcut on a desk card or a message in its thread."
                await self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:  # an expired trigger, a channel we left: nothing to save
            log.info("slack note shortcut not shown: %s", exc.response.get("error", "error"))

    async def submitted(self, ack: Any, body: dict[str, Any]) -> None:
        """The modal sent: the note goes to the desk (stored first, then the modal closes)."""
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        user = body.get("user") if isinstance(body.get("user"), dict) else {}
        try:
            where = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            where = {}
        values = ((view.get("state") or {}).get("values") or {}).get(BLOCK) or {}
        text = str((values.get(FIELD) or {}).get("value") or "").strip()
        if not text:
            return await ack(response_action="errors", errors={BLOCK: "Write the note first."})
        if not (isinstance(where, dict) and where.get("ref") and where.get("channel") and user.get("id")):
            return await ack()  # not a modal of ours any more: close it
        address = Address(
            channel=CHANNEL, chat=str(where["channel"]), user=str(user["id"]), thread=str(where["thread"])
        )
        inbound = Inbound(
            address=address,
            event_id=f"note:{view.get('id', '')}:{view.get('hash', '')}"[:200],
            text=text[:NOTE_MAX],
            user_name=str(user.get("username") or user.get("name") or ""),
            meta={"desk": "1", "desk_ref": str(where["ref"]), "desk_note": "1"},
        )
        await self.deliver(inbound)
        await ack()


def _ref(known: str | None) -> str:
    try:
        return str(json.loads(known or "{}").get("desk_ref", ""))
    except (ValueError, AttributeError):
        return ""
