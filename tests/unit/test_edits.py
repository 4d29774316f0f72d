"""The one rule for edited messages (parley.core.kernel.edits, docs/spec.md): an edit is never
answered; it corrects a message still waiting to be answered, or else the transcript's copy."""

from __future__ import annotations

import asyncio

from parley.core.kernel.edits import edits, fold
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.middleware import history
from parley.core.kernel.pipeline import fold as fold_pipeline
from parley.core.kernel.turn import Turn
from parley.core.storage.store import InboxItem

from tests.conftest import eventually
from tests.unit.test_turn_faults import engine_with

ADDRESS = Address(channel="rec", chat="c1", user="u1")


def message(event: str, text: str, message_id: str = "", kind: str = "message") -> Inbound:
    return Inbound(address=ADDRESS, event_id=event, text=text, kind=kind, message_id=message_id)  # type: ignore[arg-type]


def item(inbound: Inbound) -> InboxItem:
    return InboxItem(f"rec:{inbound.event_id}", ADDRESS.conversation, inbound, 0.0)


def test_fold_applies_an_edit_to_its_message_earlier_in_the_batch_only():
    batch = [
        item(message("e1", "shiping to Peru?", "m1")),
        item(message("e2", "other", "m2")),
        item(message("e3", "shipping to Peru?", "m1", kind="edit")),
        item(message("e4", "edit of a message answered before", "m0", kind="edit")),
    ]
    folded = fold(batch)
    assert [i.inbound.text for i in folded] == [
        "shipping to Peru?",
        "other",
        "shipping to Peru?",
        "edit of a message answered before",
    ]
    assert [i.id for i in folded] == [i.id for i in batch]  # every event is still committed


async def test_an_edit_of_a_queued_message_is_answered_once_in_its_edited_form():
    gate = asyncio.Event()

    async def answer(turn: Turn) -> None:
        if turn.text == "first":
            await gate.wait()  # the conversation is busy while the typo and its fix arrive
        turn.say(f"answer to {turn.text}")

    engine, rec, _store = await engine_with(fold_pipeline([edits, history], answer))
    await engine.deliver(message("e1", "first", "m1"))
    await eventually(lambda: engine._local)
    await engine.deliver(message("e2", "how long does shiping take?", "m2"))
    await engine.deliver(message("e3", "how long does shipping take?", "m2", kind="edit"))
    gate.set()
    await eventually(lambda: len(rec.sent) == 2)
    await engine.stop()
    assert [r.text for _, r in rec.sent] == ["answer to first", "answer to how long does shipping take?"]


async def test_an_edit_of_an_answered_message_corrects_the_transcript_and_says_nothing():
    async def answer(turn: Turn) -> None:
        turn.say(f"answer to {turn.text}")

    engine, rec, store = await engine_with(fold_pipeline([edits, history], answer))
    await engine.deliver(message("e1", "do you ship to Peru", "m1"))
    await eventually(lambda: rec.sent)
    await engine.deliver(message("e2", "do you ship to Chile?", "m1", kind="edit"))
    await engine.deliver(message("e3", "an edit of something never kept", "m9", kind="edit"))
    await engine.stop()
    assert [r.text for _, r in rec.sent] == ["answer to do you ship to Peru"]
    said = [e["text"] for e in (await store.state(ADDRESS.conversation))["history"] if e["role"] == "user"]
    assert said == ["do you ship to Chile?"]
