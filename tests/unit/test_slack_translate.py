"""Slack's pure rules: the published signature vector, event routing, escaping, splitting."""

from __future__ import annotations

import pytest
from parley.channels.slack.send import as_outbox_error
from parley.channels.slack.translate import (
    action_inbound,
    action_thread,
    chunks,
    command_inbound,
    edited,
    escape,
    home_inbound,
    ignore_reason,
    message_inbound,
    post_arguments,
    route,
    thread_of,
    well_formed,
)
from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable
from parley.core.kernel.messages import Address, Button, Reply
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from parley.testing.fakes.slack import signature

# The example in Slack's docs, "Verifying requests from Slack": pinned so a change in either our
# signer or slack_sdk's verifier cannot go unnoticed.
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TS = "1531420618"
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FixedClock:
    def __init__(self, now: float) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


def test_published_slack_signature_vector():
    assert signature(VECTOR_SECRET, VECTOR_TS, VECTOR_BODY.encode()) == VECTOR_SIGNATURE
    verifier = SignatureVerifier(VECTOR_SECRET, clock=FixedClock(int(VECTOR_TS) + 10))
    assert verifier.is_valid(VECTOR_BODY, VECTOR_TS, VECTOR_SIGNATURE)
    assert not verifier.is_valid(VECTOR_BODY + "x", VECTOR_TS, VECTOR_SIGNATURE)
    stale = SignatureVerifier(VECTOR_SECRET, clock=FixedClock(int(VECTOR_TS) + 301))
    assert not stale.is_valid(VECTOR_BODY, VECTOR_TS, VECTOR_SIGNATURE)


def msg(**more) -> dict:
    return {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "10.1", **more}


@pytest.mark.parametrize(
    "event, reason",
    [
        (msg(), None),
        (msg(subtype="thread_broadcast"), None),
        (msg(subtype="file_share"), None),
        (msg(bot_id="B1"), "bot"),
        (msg(subtype="bot_message"), "subtype"),
        (msg(subtype="message_changed"), "subtype"),
        (msg(subtype="message_deleted"), "subtype"),
        (msg(user="UBOT"), "self"),
        (msg(user=None), "no_user"),
    ],
)
def test_ignore_reason(event, reason):
    assert ignore_reason(event, "UBOT") == reason


@pytest.mark.parametrize(
    "event, expected",
    [
        (msg(channel_type="im"), "dm"),
        ({**msg(), "type": "app_mention"}, "mention"),
        (msg(channel_type="channel"), None),  # channel chatter is not for us
        (msg(channel_type="channel", thread_ts="9.0"), "thread"),
        (msg(channel_type="channel", thread_ts="10.1"), None),  # a thread's root is not a reply
        (msg(channel_type="channel", thread_ts="9.0", text="<@UBOT> again"), None),  # app_mention answers it
        ({"type": "reaction_added"}, None),
    ],
)
def test_route(event, expected):
    assert route(event, "UBOT") == expected


def test_message_inbound_cleans_mentions_links_and_entities():
    body = {"event_id": "Ev9", "team_id": "T1", "event": {**msg(), "type": "app_mention"}}
    body["event"]["text"] = "<@UBOT> see <https://x.io|the site> &amp; &lt;tag&gt; <mailto:a@b.c>"
    inbound = message_inbound(body, "mention", "UBOT", "pt-BR")
    assert inbound.text == "see the site & <tag> a@b.c"
    assert inbound.address == Address(channel="slack", chat="C1", user="U1", thread="10.1")
    assert inbound.event_id == "Ev9" and inbound.locale_hint == "pt-BR" and inbound.meta["team"] == "T1"


def test_dm_inbound_is_unthreaded_and_keeps_files():
    event = {**msg(channel="D1", channel_type="im"), "files": [{"mimetype": "image/png", "name": "a.png"}]}
    inbound = message_inbound({"event_id": "Ev1", "event": event}, "dm", "UBOT")
    assert inbound.address.thread == "" and inbound.attachments[0].kind == "image"


def test_action_inbound_only_for_our_buttons():
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "message": {"ts": "5.0", "thread_ts": "4.0"},
        "actions": [{"action_id": "parley:1", "value": "/human", "action_ts": "6.0", "text": {"text": "Human"}}],
    }
    inbound = action_inbound(body)
    assert inbound is not None and inbound.kind == "button" and inbound.payload == "/human"
    assert inbound.address.thread == "4.0" and inbound.meta["title"] == "Human"
    assert action_inbound({**body, "actions": [{"action_id": "someone_else"}]}) is None


@pytest.mark.parametrize("body", [[], {}, {"event": "x"}, {"actions": [1]}, {"message": []}, {"event": {"type": 1}}])
def test_malformed_shapes(body):
    assert not well_formed(body)


def test_escape_only_the_three_control_characters():
    assert escape("a & b < c > d *bold* `code`") == "a &amp; b &lt; c &gt; d *bold* `code`"


def test_chunks_fit_after_escaping():
    text = "&" * 5000
    pieces = chunks(text, 3000)
    assert all(len(p) <= 3000 for p in pieces) and "".join(pieces) == "&amp;" * 5000


def test_post_arguments_put_buttons_on_the_last_piece():
    reply = Reply(text="word " * 1000, buttons=(Button(title="T" * 100, payload="p"),))
    posts = post_arguments(Address(channel="slack", chat="C1", thread="1.0"), reply)
    assert len(posts) == 2 and "blocks" not in posts[0] and all(p["thread_ts"] == "1.0" for p in posts)
    button = posts[1]["blocks"][-1]["elements"][0]
    assert len(button["text"]["text"]) == 75 and button["action_id"] == "parley:0"


def response(status: int, error: str, headers: dict | None = None) -> AsyncSlackResponse:
    return AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="x",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )


@pytest.mark.parametrize(
    "status, error, headers, expected",
    [
        (429, "ratelimited", {"Retry-After": "12"}, RetryAfter),
        (200, "channel_not_found", {}, Unreachable),
        (200, "msg_too_long", {}, Rejected),
        (500, "internal_error", {}, SlackApiError),
    ],
)
def test_errors_for_the_outbox(status, error, headers, expected):
    mapped = as_outbox_error(SlackApiError("x", response(status, error, headers)))
    assert isinstance(mapped, expected)
    if isinstance(mapped, RetryAfter):
        assert mapped.seconds == 12


@pytest.mark.parametrize("name", ["slack-manifest.yaml", "slack-manifest-socket.yaml"])
def test_manifests_ask_for_what_the_channel_uses(name):
    import yaml

    from tests.paths import ROOT

    manifest = yaml.safe_load((ROOT / "docs" / name).read_text())
    settings = manifest["settings"]
    assert {"app_mention", "message.im", "message.channels"} <= set(settings["event_subscriptions"]["bot_events"])
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write",
        "im:history",
        "app_mentions:read",
        "users:read",
        "channels:history",
        "usergroups:read",
    } <= scopes
    assert settings["interactivity"]["is_enabled"] is True
    # The Ask Parley message shortcut (parley.channels.slack.interactive) needs the commands scope.
    shortcuts = {(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]}
    assert ("message", "ask_parley") in shortcuts and "commands" in scopes
    # The desk: /parley (mentions escaped as <@U..|name>), the Home tab and its event.
    [parley] = [c for c in manifest["features"]["slash_commands"] if c["command"] == "/parley"]
    assert parley["should_escape"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    if settings["socket_mode_enabled"]:
        assert "request_url" not in settings["event_subscriptions"]
    else:
        assert settings["event_subscriptions"]["request_url"].endswith("/webhooks/slack")
        assert settings["interactivity"]["request_url"].endswith("/webhooks/slack")


def test_a_dm_thread_is_where_the_answer_goes():
    top = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "2.0"}
    assert thread_of(top, "dm") == ""
    assert thread_of({**top, "thread_ts": "1.0"}, "dm") == "1.0"  # an assistant thread, or a reply in one
    press = {"channel": {"id": "D1"}, "message": {"ts": "3.0", "thread_ts": "1.0"}, "container": {}}
    assert action_thread(press) == "1.0"
    assert action_thread({**press, "message": {"ts": "3.0"}}) == ""


def test_message_changed_is_the_edited_message_unless_a_bot_wrote_it():
    original = {"type": "message", "user": "U1", "text": "fixed", "ts": "5.0", "edited": {"user": "U1", "ts": "6.0"}}
    change = {"type": "message", "subtype": "message_changed", "channel": "C1", "channel_type": "channel"}
    inner, kind = edited({**change, "message": original}, "UBOT")
    assert (inner["channel"], inner["ts"], kind) == ("C1", "5.0", "mention")
    assert edited({**change, "channel_type": "im", "message": original}, "UBOT")[1] == "dm"
    assert edited({**change, "message": {**original, "bot_id": "B1"}}, "UBOT") is None
    assert edited({**change, "message": {**original, "user": "UBOT"}}, "UBOT") is None
    assert edited({**change, "message": "nope"}, "UBOT") is None


def test_a_slash_command_is_a_desk_command_for_the_pipeline():
    body = {
        "command": "/parley",
        "text": "assign abc <@U2|bob>",
        "user_id": "U1",
        "channel_id": "C1",
        "trigger_id": "t1",
    }
    inbound = command_inbound(body)
    assert inbound.meta["desk_command"] == "assign" and inbound.text == "assign abc <@U2|bob>"
    assert inbound.address.chat == "C1" and inbound.address.user == "U1" and inbound.event_id == "command:t1"
    assert command_inbound({**body, "text": "   "}).meta["desk_command"] == "help"
    assert command_inbound({**body, "text": "rm -rf"}).meta["desk_command"] == "help"
    assert command_inbound({**body, "trigger_id": ""}) is None


def test_only_the_home_tab_opening_asks_for_the_home_view():
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    assert home_inbound({"event": event, "event_id": "Ev1"}).meta["desk_command"] == "home"
    assert home_inbound({"event": {**event, "tab": "messages"}, "event_id": "Ev2"}) is None
    assert home_inbound({"event": {**event, "user": 5}}) is None
