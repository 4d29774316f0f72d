"""One rule for edited messages on every channel (docs/spec.md): an edit is never answered again.

People fix a typo a second after pressing send. Answering each edit would answer the same
question twice (and, while an answer streams, start a second one beside it), which is what
Telegram did while Slack and Discord ignored edits altogether. So, everywhere:

- an edit of a message still waiting in the inbox (not yet answered) replaces that message's
  text before its turn runs, so the answer is to what the person finally wrote (``fold``);
- an edit of a message already answered corrects the transcript's copy (``history`` in the
  conversation state, which the LLM and the desk's summary read) and says nothing (``edits``);
- an edit of a message Parley never kept (group chatter not meant for the bot) changes nothing;
- a caller who speaks over a spoken answer (a voice call's ``interrupt``) edits the bot's last
  answer down to what they heard (``meta["heard"]``): the LLM's context and the desk's summary
  must not assume the caller heard the rest.

Channels pass an edit on as ``Inbound(kind="edit", message_id=<the edited message's id>)``, with
the platform's id of the edit event as ``event_id`` (deduplicated like any event).
"""

from __future__ import annotations

from dataclasses import replace

from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.storage.store import InboxItem


def fold(items: list[InboxItem]) -> list[InboxItem]:
    """The batch a turn loop is about to run, with each edit applied to the message it edits
    when that message is earlier in the same batch (taken together, so not yet answered). The
    edit stays in the batch: it is committed (removed from the inbox) like any event."""
    waiting: dict[str, int] = {}
    out = list(items)
    for n, item in enumerate(items):
        inbound = item.inbound
        if inbound.kind == "message" and inbound.message_id:
            waiting[inbound.message_id] = n
        elif inbound.kind == "edit" and inbound.message_id in waiting:
            at = waiting[inbound.message_id]
            edited = out[at].inbound.model_copy(update={"text": inbound.text})
            out[at] = replace(out[at], inbound=edited)
    return out


async def edits(turn: Turn, call_next: Handler) -> None:
    """An edit corrects the transcript's copy of its message and is never answered; anything
    else passes on."""
    inbound = turn.inbound
    if inbound is None or inbound.kind != "edit":
        return await call_next(turn)
    turn.tags["edit"] = "unknown"
    if inbound.meta.get("heard"):
        return _heard(turn, inbound.text)
    for entry in reversed(turn.state.get("history", ())):
        if entry.get("role") == "user" and inbound.message_id and entry.get("id") == inbound.message_id:
            entry["text"] = inbound.text
            entry["edited"] = turn.now.isoformat(timespec="seconds")
            turn.tags["edit"] = "kept"
            return


def _heard(turn: Turn, heard: str) -> None:
    for entry in reversed(turn.state.get("history", ())):
        if entry.get("role") == "bot":
            entry["text"] = heard.strip()  # the spoken words (markdown and links were never said)
            entry["interrupted"] = turn.now.isoformat(timespec="seconds")
            turn.tags["edit"] = "heard"
            return
