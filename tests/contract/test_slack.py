"""The Slack channel through the real slack-bolt/slack-sdk against a loopback fake Web API, with
requests signed the way Slack signs them."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.slack import BOT_ID, BOT_USER, TEAM, event_body, fake_slack, signed
from tests.conftest import eventually

SECRET = "test-signing-secret"


@pytest.fixture
async def fake():
    async with fake_slack() as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(make_settings, fake, clock, tmp_path):
    settings = make_settings(slack={"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base": fake.url + "/api/"})
    async with Bot(settings, clock=clock, store=SQLiteStore(tmp_path / "slack.db", clock=clock)) as parley:
        yield parley


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http, app, clock, body, *, secret=SECRET, at=None, form=False, **headers):
    raw = (urlencode({"payload": json.dumps(body)}) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    sign = signed(secret, clock() if at is None else at, raw, **headers)
    url = f"http://127.0.0.1:{app.port}/webhooks/slack"
    async with http.post(url, data=raw, headers={"Content-Type": kind, **sign}) as response:
        return response.status, await response.text()


def dm(text: str, user: str = "U1", channel: str = "D1", ts: str = "1767225600.000001", **more) -> dict:
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user, "text": text, "ts": ts, **more}


async def test_url_verification_is_answered(app, http, clock):
    status, text = await post(http, app, clock, {"type": "url_verification", "challenge": "c-123", "token": "t"})
    assert status == 200 and "c-123" in text


async def test_direct_message_gets_a_reply_with_the_slack_locale_as_hint(app, fake, http, clock):
    fake.locales["U1"] = "en-GB"  # Slack's locale format; the shipped "en" pack matches it
    status, _ = await post(http, app, clock, event_body(dm("bonjour <3 & co"), "Ev1"))
    assert status == 200
    posts = await eventually(lambda: fake.of("chat.postMessage"))
    assert posts[0]["channel"] == "D1" and "thread_ts" not in posts[0]
    assert fake.of("users.info")[0]["include_locale"] in (True, "true", "1")
    profile = await app.store.profile("slack:U1")
    assert profile.get("locale") == "en"


async def test_the_ack_does_not_wait_for_the_answer(app, fake, http, clock):
    release = fake.hold("chat.postMessage")  # Slack's API hangs: the answer cannot go out
    status, _ = await post(http, app, clock, event_body(dm("hello"), "EvAckFirst"))
    assert status == 200 and received(app) == 1  # acknowledged, stored, answer still pending
    await eventually(lambda: fake.of("chat.postMessage"))
    release.set()
    await eventually(lambda: app.metrics.messages_out.labels("slack")._value.get() == 1)


async def test_a_slow_users_info_does_not_hold_the_ack(app, fake, http, clock):
    release = fake.hold("users.info")
    status, _ = await post(http, app, clock, event_body(dm("hello"), "EvSlowInfo"))
    assert status == 200 and received(app) == 1  # acked after the lookup's budget, without a hint
    release.set()


def received(app) -> float:
    return app.metrics.messages_in.labels("slack")._value.get()


@pytest.mark.parametrize(
    "tamper",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "not-a-number"},
        {"X-Slack-Signature": "v0=ünïcode"},
        {"X-Slack-Request-Timestamp": "9" * 400},
        {"X-Slack-Request-Timestamp": "17²"},
    ],
    ids=["wrong", "missing", "bad-timestamp", "non-ascii", "huge-timestamp", "unicode-digit-timestamp"],
)
async def test_bad_signature_is_refused_with_401(app, http, clock, tamper):
    raw = json.dumps(event_body(dm("hi"), "EvBad")).encode()
    headers = {**signed(SECRET, clock(), raw), **tamper, "Content-Type": "application/json"}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as response:
        assert response.status == 401
    assert received(app) == 0


async def test_signature_with_another_secret_is_refused(app, http, clock):
    status, _ = await post(http, app, clock, event_body(dm("hi"), "EvOther"), secret="not-the-secret")
    assert status == 401


@pytest.mark.parametrize("age", [301, -301, 3600])
async def test_stale_timestamp_is_refused_even_when_correctly_signed(app, http, clock, age):
    status, _ = await post(http, app, clock, event_body(dm("hi"), "EvOld"), at=clock() - age)
    assert status == 401
    assert received(app) == 0


async def test_timestamp_inside_the_window_is_accepted(app, http, clock):
    status, _ = await post(http, app, clock, event_body(dm("hi"), "EvRecent"), at=clock() - 299)
    assert status == 200


@pytest.mark.parametrize(
    "raw, kind",
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"", "application/json"),
    ],
    ids=["broken-json", "broken-payload", "not-utf8", "not-an-object", "empty"],
)
async def test_malformed_signed_body_gets_400_not_500(app, http, clock, raw, kind, caplog):
    headers = {**signed(SECRET, clock(), raw), "Content-Type": kind}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as response:
        assert response.status == 400
    assert "Traceback" not in caplog.text


async def test_an_oversized_body_gets_413_and_one_log_line(app, http, clock, caplog):
    caplog.set_level("INFO", logger="parley.http")
    raw = b'{"type": "event_callback", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {**signed(SECRET, clock(), raw), "Content-Type": "application/json"}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as response:
        assert response.status == 413
    assert "body too large" in caplog.text and "Traceback" not in caplog.text
    assert received(app) == 0


async def test_retried_event_is_answered_once(app, fake, http, clock):
    body = event_body(dm("what are your opening hours?"), "EvRetry")
    assert (await post(http, app, clock, body))[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await post(http, app, clock, body, **retry))[0] == 200
    assert (await post(http, app, clock, body, **{**retry, "X-Slack-Retry-Num": "2"}))[0] == 200
    await eventually(lambda: fake.of("chat.postMessage"))
    await eventually(lambda: app.metrics.duplicates.labels("slack")._value.get() == 2)
    await app.outbox.flush(timeout=2)
    assert len(fake.of("chat.postMessage")) == 1


async def test_a_burst_of_events_asks_who_the_bot_is_once(app, fake, http, clock):
    bodies = [event_body(dm(f"hi {n}", channel=f"D{n}", user=f"U{n}"), f"EvBurst{n}") for n in range(12)]
    answers = await asyncio.gather(*(post(http, app, clock, body) for body in bodies))
    assert [status for status, _ in answers] == [200] * 12 and received(app) == 12
    assert len(fake.of("auth.test")) == 1


async def test_the_bots_own_message_is_known_by_its_user_id_alone(app, fake, http, clock):
    # No bot_id on the event: only auth.test's user_id tells it is ours (no reply loop).
    assert (await post(http, app, clock, event_body(dm("echo", user=BOT_USER), "EvSelf")))[0] == 200
    assert received(app) == 0


async def test_a_refused_token_stores_nothing_and_says_so(app, fake, http, clock):
    fake.fail("auth.test", status=200, error="invalid_auth", times=5)
    status, text = await post(http, app, clock, event_body(dm("hello"), "EvNoAuth"))
    assert status == 200 and "install" in text.lower()  # bolt's own answer to a refused token
    assert received(app) == 0 and not fake.of("chat.postMessage")


@pytest.mark.parametrize(
    "event",
    [
        dm("beep", bot_id="B0OTHER"),  # another bot: answering it starts a reply loop
        dm("beep", user=BOT_USER, bot_id=BOT_ID),  # our own message echoed back
        dm("beep", subtype="bot_message", bot_id="B0OTHER"),
        dm("", subtype="message_changed", message={"text": "edited"}),
        dm("", subtype="message_deleted", deleted_ts="1"),
        dm("joined", subtype="channel_join"),
    ],
    ids=["other-bot", "self", "bot_message", "message_changed", "message_deleted", "channel_join"],
)
async def test_bot_and_housekeeping_messages_are_ignored(app, fake, http, clock, event):
    assert (await post(http, app, clock, event_body(event, "EvIgnored")))[0] == 200
    assert (await post(http, app, clock, event_body(dm("hello", channel="D2", user="U2"), "EvReal")))[0] == 200
    await eventually(lambda: fake.of("chat.postMessage"))
    assert received(app) == 1
    assert [p["channel"] for p in fake.of("chat.postMessage")] == ["D2"]


async def test_button_round_trip(app, fake, http, clock):
    await post(http, app, clock, event_body(dm("qwzx blorf frobnicate"), "EvFallback"))
    first = (await eventually(lambda: fake.of("chat.postMessage")))[0]
    blocks = first["blocks"]
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    assert button["value"] == "/human" and button["action_id"].startswith("parley:")
    click = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U1", "username": "ana"},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "message_ts": "1767225600.000001", "channel_id": "D1"},
        "channel": {"id": "D1", "name": "directmessage"},
        "message": {"ts": "1767225600.000001", "text": first["text"]},
        "actions": [{**button, "block_id": "parley_actions_0", "action_ts": "1767225601.000001"}],
    }
    status, _ = await post(http, app, clock, click, form=True)
    assert status == 200
    # No desk channel configured here: the customer is told honestly that no one can join.
    posts = await eventually(lambda: len(fake.of("chat.postMessage")) == 2 and fake.of("chat.postMessage"))
    assert posts[1]["channel"] == "D1" and "no one from our team" in posts[1]["text"]
    state = await app.store.state("slack:D1:")
    assert state["handoff"]["status"] == "unstaffed"


async def test_mention_is_answered_in_a_thread_that_continues_the_conversation(app, fake, http, clock):
    mention = {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "ts": "100.000001",
        "text": f"<@{BOT_USER}> hours?",
    }
    await post(http, app, clock, event_body(mention, "EvMention"))
    # Slack also sends the message.channels copy of a mention: it must not be answered twice.
    copy = {**mention, "type": "message", "channel_type": "channel"}
    await post(http, app, clock, event_body(copy, "EvMentionCopy"))
    first = (await eventually(lambda: fake.of("chat.postMessage")))[0]
    assert first["channel"] == "C1" and first["thread_ts"] == "100.000001"
    reply = {"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1", "ts": "100.000002"}
    await post(http, app, clock, event_body({**reply, "thread_ts": "100.000001", "text": "and sundays?"}, "EvThread"))
    # A thread the bot is not part of stays private to the people in it.
    other = {**reply, "ts": "200.000002", "thread_ts": "200.000001", "text": "lunch?"}
    await post(http, app, clock, event_body(other, "EvOtherThread"))
    posts = await eventually(lambda: len(fake.of("chat.postMessage")) == 2 and fake.of("chat.postMessage"))
    assert posts[1]["thread_ts"] == "100.000001"
    history = (await app.store.state("slack:C1:100.000001"))["history"]
    assert [h["role"] for h in history] == ["user", "bot", "user", "bot"]
    assert received(app) == 2


async def test_slack_api_unreachable_defers_the_event_with_503(make_settings, clock, tmp_path, http):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = make_settings(
        slack={"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base": f"http://127.0.0.1:{dead}/api/"}
    )
    async with Bot(settings, clock=clock, store=SQLiteStore(tmp_path / "dead.db", clock=clock)) as parley:
        status, body = await post(http, parley, clock, event_body(dm("hello"), "EvDead"))
        assert status == 503, body  # Slack retries later; never a 500 with a traceback
        assert "Traceback" not in body
