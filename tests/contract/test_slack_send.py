"""Slack outbound and Socket Mode through the real slack-sdk/bolt against the loopback fake."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from parley.channels.slack.channel import SlackChannel, SlackSocketChannel
from parley.channels.slack.post import MessagePoster
from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import ChannelContext, Rejected, RetryAfter, Unreachable
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Button, Inbound, Reply
from parley.core.storage.memory import MemoryStore
from parley.core.storage.sqlite import SQLiteStore
from slack_sdk.errors import SlackApiError

from parley.app import Bot
from parley.testing.fakes.slack import event_body, fake_slack
from tests.conftest import eventually

DM = Address(channel="slack", chat="D1", user="U1")
THREAD = Address(channel="slack", chat="C1", user="U1", thread="100.000001")


@pytest.fixture
async def fake():
    async with fake_slack() as fake:
        yield fake


@pytest.fixture
async def slack(fake):
    clock = ManualClock()
    delivered: list[Inbound] = []

    async def deliver(inbound: Inbound) -> bool:
        delivered.append(inbound)
        return True

    store = MemoryStore(clock=clock)
    channel = SlackChannel(
        ChannelContext(deliver, store, Metrics(), clock), bot_token="xoxb-t", api_base=fake.url + "/api"
    )
    channel.delivered = delivered  # type: ignore[attr-defined]
    yield channel
    await channel.close()


async def test_text_is_escaped_and_thread_replies_stay_in_the_thread(slack, fake):
    ts = await slack.send(THREAD, Reply(text="a <b> & c", meta={"id": "o1"}))
    post = fake.of("chat.postMessage")[0]
    assert post["text"] == "a &lt;b&gt; &amp; c" and post["thread_ts"] == "100.000001"
    assert ts.startswith("1767225600.")


async def test_a_person_is_reached_through_conversations_open_once(slack, fake):
    person = Address(channel="slack", chat="U42", user="U42")
    await slack.send(person, Reply(text="Your order shipped", kind="proactive"))
    await slack.send(person, Reply(text="It arrives tomorrow", kind="proactive"))
    assert [c["users"] for c in fake.of("conversations.open")] == ["U42"]
    assert [p["channel"] for p in fake.of("chat.postMessage")] == ["DU42", "DU42"]


async def test_buttons_become_block_kit_actions(slack, fake):
    reply = Reply(text="Pick one", buttons=(Button(title="Yes", payload="yes"), Button(title="No", payload="no")))
    await slack.send(DM, reply)
    blocks = fake.of("chat.postMessage")[0]["blocks"]
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": "Pick one"}}
    assert [(e["text"]["text"], e["value"]) for e in blocks[1]["elements"]] == [("Yes", "yes"), ("No", "no")]


async def test_long_reply_is_split_within_slacks_limits(slack, fake):
    text = " ".join(f"Sentence number {n} is here & there." for n in range(400))  # ~14k characters
    await slack.send(DM, Reply(text=text, meta={"id": "long"}))
    sent = [p["text"] for p in fake.of("chat.postMessage")]
    assert len(sent) >= 5 and all(len(p) <= 3000 for p in sent)
    assert " ".join(sent).replace("&amp;", "&").split() == text.split()


async def test_429_raises_retry_after_and_the_retry_skips_what_was_posted(slack, fake):
    text = "word " * 1000  # two pieces
    fake.fail("chat.postMessage", status=429, error="ratelimited", after=1, Retry_After="7")
    with pytest.raises(RetryAfter) as caught:
        await slack.send(DM, Reply(text=text, meta={"id": "r1"}))
    assert caught.value.seconds == 7
    await slack.send(DM, Reply(text=text, meta={"id": "r1"}))  # the outbox's retry of the same item
    posted = [p["text"] for p in fake.of("chat.postMessage")]
    assert len(posted) == 3 and posted[1] == posted[2]  # piece 1, piece 2 refused (429), piece 2 again
    assert " ".join(posted[:2]).split() == text.split()


async def test_429_through_the_outbox_is_rescheduled_after_retry_after(make_settings, fake, tmp_path):
    clock = ManualClock()
    settings = make_settings(slack={"bot_token": "xoxb-t", "signing_secret": "s", "api_base": fake.url + "/api/"})
    async with Bot(settings, clock=clock, store=SQLiteStore(tmp_path / "o.db", clock=clock)) as app:
        fake.fail("chat.postMessage", status=429, error="ratelimited", Retry_After="30")
        await app.engine.proactive(DM, Reply(text="reminder", kind="proactive"), "job-1")
        await eventually(lambda: len(fake.of("chat.postMessage")) == 1)
        await eventually(lambda: app.metrics.retries.labels("slack", "rate_limited")._value.get() == 1)
        assert await app.outbox.pump() == 0  # not due before Retry-After has passed
        clock.advance(31)
        app.outbox.wake()
        await eventually(lambda: len(fake.of("chat.postMessage")) == 2)


@pytest.mark.parametrize(
    "error, expected",
    [("channel_not_found", Unreachable), ("is_archived", Unreachable), ("invalid_blocks", Rejected)],
)
async def test_slack_errors_map_to_outbox_outcomes(slack, fake, error, expected):
    fake.fail("chat.postMessage", status=200, error=error)
    with pytest.raises(expected):
        await slack.send(DM, Reply(text="hi"))


async def test_stream_posts_once_then_throttles_chat_update(slack, fake):
    clock = slack.clock

    async def pieces():
        for n in range(10):
            yield f"part {n}. "
            clock.advance(0.3)  # ~3 pieces per edit interval (1 s)

    ts = await slack.stream(THREAD, pieces())
    posts, updates = fake.of("chat.postMessage"), fake.of("chat.update")
    assert len(posts) == 1 and posts[0]["thread_ts"] == "100.000001"
    assert 2 <= len(updates) <= 4 and all(u["ts"] == ts for u in updates)
    assert updates[-1]["text"] == "".join(f"part {n}. " for n in range(10))


async def test_the_final_reply_after_a_stream_edits_it_instead_of_posting_again(slack, fake):
    async def pieces():
        yield "Shipping is 4.95"

    ts = await slack.stream(THREAD, pieces())
    final = Reply(
        text="Shipping is 4.95.\n\nSource: Shipping",
        buttons=(Button(title="Thanks", payload="/t"),),
        replaces=ts,
        meta={"id": "o9"},
    )
    assert await slack.send(THREAD, final) == ts
    assert len(fake.of("chat.postMessage")) == 1  # only the stream's own post
    last = fake.of("chat.update")[-1]
    assert last["ts"] == ts and "Source: Shipping" in last["text"]
    assert any(b["type"] == "actions" for b in last["blocks"])


async def test_stream_past_the_section_limit_starts_a_new_message(slack, fake):
    async def pieces():
        for _ in range(8):
            yield "lorem ipsum dolor " * 30  # 540 characters
            slack.clock.advance(2)

    await slack.stream(DM, pieces())
    texts = {p["ts"]: p["text"] for p in fake.of("chat.update")}
    assert len(fake.of("chat.postMessage")) == 2
    assert all(len(t) <= 3000 for t in texts.values())


async def test_limits_follow_slacks_one_message_per_second_per_channel(slack):
    limits = {limit.key: limit for limit in slack.limits(DM)}
    assert limits["slack:chat:D1"].rate == 1.0


async def test_socket_mode_event_is_acked_and_answered(make_settings, fake, tmp_path):
    clock = ManualClock()
    settings = make_settings(
        slack={"bot_token": "xoxb-t", "app_token": "xapp-t", "api_base": fake.url + "/api/", "signing_secret": None}
    )
    async with Bot(settings, clock=clock, store=SQLiteStore(tmp_path / "s.db", clock=clock)) as app:
        channel = app.channels["slack"]
        assert isinstance(channel, SlackSocketChannel) and channel.singleton and channel.routes() == []
        await eventually(lambda: fake.sockets)
        assert fake.of("apps.connections.open")
        event = {"type": "message", "channel_type": "im", "channel": "D9", "user": "U9", "text": "hi", "ts": "1.000001"}
        await fake.push(event_body(event, "EvSocket"), envelope_id="env-1")
        await eventually(lambda: any(a.get("envelope_id") == "env-1" for a in fake.acks))
        post = (await eventually(lambda: fake.of("chat.postMessage")))[0]
        assert post["channel"] == "D9"
        # Socket Mode redelivers an envelope that was not acked in time: still one answer.
        await fake.push(event_body(event, "EvSocket"), envelope_id="env-2")
        await eventually(lambda: any(a.get("envelope_id") == "env-2" for a in fake.acks))
        await app.outbox.flush(timeout=2)
        assert len(fake.of("chat.postMessage")) == 1


async def test_an_answer_that_is_not_the_web_apis_json_is_retried_with_backoff():
    """A proxy's error page in front of Slack: not a send, not an outcome the outbox skips."""

    async def gateway_error(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", gateway_error)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        post = MessagePoster(session, str(server.make_url("/api/")), "xoxb-t")
        with pytest.raises(SlackApiError, match="HTTP 502"):
            await post(channel="D1", text="hi")


async def test_a_post_carries_the_bot_token_and_leaves_out_empty_arguments(fake):
    async with aiohttp.ClientSession() as session:
        answer = await MessagePoster(session, fake.url + "/api/", "xoxb-t")(channel="D1", text="hi", thread_ts=None)
        assert answer["ok"] and answer["ts"]
        assert fake.of("chat.postMessage") == [{"channel": "D1", "text": "hi"}]
        with pytest.raises(SlackApiError, match="not_authed"):  # what Slack answers a post without a token
            await MessagePoster(session, fake.url + "/api/", "")(channel="D1", text="hi")
