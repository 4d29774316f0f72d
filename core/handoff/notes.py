"""Internal notes: what a rep writes in a case card's thread for the team, never relayed to the
customer. A thread reply starting with "note:", "//" or "📝" is one; so is what the Slack
"Internal note" shortcut's modal sends (``meta["desk_note"]``, parley.channels.slack.notes)."""

from __future__ import annotations

import re

from parley.core.handoff import cases
from parley.core.handoff.cases import Case
from parley.core.kernel.turn import Turn
from parley.core.storage.store import KeyValueStore

_NOTE = re.compile(r"^\s*(?:note\s*:|//|📝)", re.IGNORECASE)


def is_note(text: str) -> bool:
    return bool(_NOTE.match(text))


async def add_note(kv: KeyValueStore, turn: Turn, case: Case, rep: str, text: str, typed_here: bool) -> None:
    """Count the note on the case (its card says how many) and say in the thread that it stayed
    internal; a note from the modal is posted there, since nobody has seen it yet."""
    case.notes += 1
    await cases.save(kv, case)
    if typed_here:
        turn.say("📝 Kept as an internal note: the customer did not see it.", kind="system")
    else:
        turn.say(f"📝 Internal note from {rep} (the customer did not see it):\n{text}", kind="system")
