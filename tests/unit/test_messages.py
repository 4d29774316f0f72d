"""Replies stored by an older Parley still read right: the streamed message id moved from
``meta["streamed"]`` to the typed ``Reply.replaces``."""

from __future__ import annotations

from parley.core.kernel.messages import Reply


def test_an_outbox_item_stored_with_meta_streamed_still_edits_its_message():
    stored = {"text": "Done.", "kind": "answer", "meta": {"streamed": "m-7", "lang": "en"}}
    reply = Reply.model_validate(stored)
    assert reply.replaces == "m-7" and reply.meta == {"lang": "en"}


def test_replaces_round_trips_through_the_stored_form():
    reply = Reply(text="Done.", replaces="m-7", meta={"id": "o1"})
    again = Reply.model_validate_json(reply.model_dump_json())
    assert again == reply and again.replaces == "m-7"
    assert Reply(text="plain").replaces == ""
