"""Replies stored by an older Parley still read right: the streamed message id moved from
``meta["streamed"]`` to the typed ``Reply.replaces``, the desk's ``meta["desk_card"]`` and
``meta["handoff"]`` (with ``when``) to ``Reply.desk_card`` and ``Reply.handoff``."""

from __future__ import annotations

from parley.core.kernel.messages import HandoffMark, Reply


def test_an_outbox_item_stored_with_meta_streamed_still_edits_its_message():
    stored = {"text": "Done.", "kind": "answer", "meta": {"streamed": "m-7", "lang": "en"}}
    reply = Reply.model_validate(stored)
    assert reply.replaces == "m-7" and reply.meta == {"lang": "en"}


def test_replaces_round_trips_through_the_stored_form():
    reply = Reply(text="Done.", replaces="m-7", meta={"id": "o1"})
    again = Reply.model_validate_json(reply.model_dump_json())
    assert again == reply and again.replaces == "m-7"
    assert Reply(text="plain").replaces == ""


def test_an_outbox_item_stored_with_the_desk_in_meta_still_redraws_and_transfers():
    card = Reply.model_validate_json('{"text": "Case c1", "kind": "system", "meta": {"desk_card": "handoff:c1"}}')
    assert card.desk_card == "handoff:c1" and card.meta == {} and card.handoff is None
    closed = {"text": "We're back Monday.", "meta": {"handoff": "closed", "when": "Monday 09:00", "lang": "de"}}
    reply = Reply.model_validate(closed)
    assert reply.handoff == HandoffMark(status="closed", when="Monday 09:00") and reply.meta == {"lang": "de"}
    assert Reply.model_validate({"text": "One moment.", "meta": {"handoff": "wait"}}).handoff == HandoffMark(
        status="wait"
    )


def test_the_desk_fields_round_trip_through_the_stored_form():
    reply = Reply(text="x", desk_card="lead:l2", handoff=HandoffMark(status="closed", when="9:00"), meta={"id": "o1"})
    assert Reply.model_validate_json(reply.model_dump_json()) == reply
    plain = Reply(text="plain")
    assert plain.desk_card == "" and plain.handoff is None
