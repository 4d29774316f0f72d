"""Slack traffic beyond plain messages, as Slack sends it, through the real bolt against the
loopback fake: shortcuts, modals and option requests are acknowledged (never bolt's 404), the
Ask Parley shortcut is answered in the message's thread, DM threads (assistant threads, replies
in a thread) are answered in that thread, and edits follow the one rule (docs/spec.md)."""

from __future__ import annotations

import json

import pytest

from parley.testing.fakes.slack import TEAM, event_body
from tests.conftest import eventually
from tests.contract import test_slack as base
from tests.contract.test_slack import dm, post

# The fixtures of the Slack contract tests: a Bot on SQLite against the fake, a signing clock.
app, clock, fake, http = base.app, base.clock, base.fake, base.http

USER = {"id": "U1", "username": "ana", "name": "ana", "team_id": TEAM}
TEAM_INFO = {"id": TEAM, "domain": "shop"}


def shortcut(kind: str, callback_id: str, **more) -> dict:
    return {"type": kind, "token": "t", "callback_id": callback_id, "trigger_id": "13345224609.8534564800.6f8ab1f53e13d0cd15f96106292d5536", "user": USER, "team": TEAM_INFO, "action_ts": "1767225601.000100", **more}  # fmt: skip


def view(kind: str) -> dict:
    modal = {"id": "V1", "type": "modal", "callback_id": "feedback", "state": {"values": {}}, "hash": "h", "title": {"type": "plain_text", "text": "Feedback"}}  # fmt: skip
    return {"type": kind, "team": TEAM_INFO, "user": USER, "api_app_id": "A0TEST", "token": "t", "trigger_id": "1.2.3", "view": modal}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (shortcut("shortcut", "open_settings"), ""),  # a global shortcut we do not use
        (
            shortcut(
                "message_action",
                "other_tool",
                message={"type": "message", "user": "U2", "ts": "1.1", "text": "x"},
                channel={"id": "C1", "name": "general"},
                message_ts="1.1",
                response_url="https://hooks.slack.com/x",
            ),
            "",
        ),  # fmt: skip
        (view("view_submission"), ""),  # an empty 200 closes the modal
        (view("view_closed"), ""),
        (
            {
                "type": "block_suggestion",
                "user": USER,
                "team": TEAM_INFO,
                "action_id": "pick_store",
                "block_id": "b1",
                "value": "ber",
                "api_app_id": "A0TEST",
                "token": "t",
                "container": {"type": "view", "view_id": "V1"},
            },
            {"options": []},
        ),  # fmt: skip
    ],
    ids=["global-shortcut", "message-shortcut", "view_submission", "view_closed", "block_suggestion"],
)
async def test_interactions_are_acknowledged_never_404(app, fake, http, clock, body, answer):
    status, text = await post(http, app, clock, body, form=True)
    assert status == 200
    assert (json.loads(text) if text else "") == answer
    assert fake.of("chat.postMessage") == []


async def test_the_ask_parley_shortcut_answers_in_the_message_thread(app, fake, http, clock):
    message = {"type": "message", "user": "U2", "ts": "1767225500.000200", "text": "How long does shipping take?"}
    body = shortcut("message_action", "ask_parley", message=message, channel={"id": "C1", "name": "general"})
    body |= {"message_ts": message["ts"], "response_url": "https://hooks.slack.com/app/x"}
    status, _ = await post(http, app, clock, body, form=True)
    assert status == 200
    [answer] = await eventually(lambda: fake.of("chat.postMessage"))
    assert answer["channel"] == "C1" and answer["thread_ts"] == message["ts"]
    assert "deliver" in answer["text"].lower() or "shipping" in answer["text"].lower()


@pytest.mark.parametrize("thread", ["1767225500.000300"], ids=["dm-thread"])
async def test_a_message_in_a_dm_thread_is_answered_in_that_thread(app, fake, http, clock, thread):
    # An assistant thread's messages and a reply in a DM thread both carry the thread's thread_ts.
    event = dm("How long does shipping take?", ts="1767225600.000400", thread_ts=thread)
    assert (await post(http, app, clock, event_body(event, "EvDmThread")))[0] == 200
    [answer] = await eventually(lambda: fake.of("chat.postMessage"))
    assert answer["channel"] == "D1" and answer["thread_ts"] == thread


async def test_an_assistant_thread_started_event_is_acknowledged(app, fake, http, clock):
    started = {"type": "assistant_thread_started", "assistant_thread": {"user_id": "U1", "channel_id": "D1", "thread_ts": "1767225500.000500", "context": {}}, "event_ts": "1767225500.000600"}  # fmt: skip
    assert (await post(http, app, clock, event_body(started, "EvStarted")))[0] == 200


async def test_an_edit_in_a_dm_is_not_answered_and_corrects_the_transcript(app, fake, http, clock):
    first = dm("how long does shiping take?", ts="1767225600.000700")
    await post(http, app, clock, event_body(first, "EvFirst"))
    await eventually(lambda: fake.of("chat.postMessage"))
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": "D1",
        "channel_type": "im",
        "ts": "1767225660.000800",
        "event_ts": "1767225660.000800",
        "message": {
            **first,
            "text": "how long does shipping take to Peru?",
            "edited": {"user": "U1", "ts": "1767225660.000800"},
        },  # fmt: skip
        "previous_message": first,
    }
    assert (await post(http, app, clock, event_body(changed, "EvEdit")))[0] == 200
    await eventually(lambda: base.received(app) == 2)

    async def corrected():
        history = (await app.store.state("slack:D1:")).get("history", [])
        return [e["text"] for e in history if e["role"] == "user"] == ["how long does shipping take to Peru?"]

    await eventually(corrected)
    await app.outbox.flush(timeout=2)
    assert len(fake.of("chat.postMessage")) == 1
