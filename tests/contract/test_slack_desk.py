"""The desk seam (PARLEY_SLACK__DESK_CHANNEL) and the webhook's failure answers, on a SlackChannel
served alone, with ``deliver`` recording what the pipeline would receive."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from parley.channels.slack.channel import SlackChannel
from parley.core.handoff import card
from parley.core.handoff.cases import Case
from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import ChannelContext, Rejected
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Button, Inbound, Reply
from parley.core.storage.memory import MemoryStore
from parley.core.storage.store import StoreUnavailable

from parley.testing.fakes.loopback import start
from parley.testing.fakes.slack import TEAM, event_body, fake_slack, signed

SECRET = "desk-secret"
DESK = "CDESK"


class Served:
    def __init__(self, channel: SlackChannel, url: str, http: aiohttp.ClientSession) -> None:
        self.channel, self.url, self.http = channel, url, http
        self.delivered: list[Inbound] = []
        self.down = False

    async def deliver(self, inbound: Inbound) -> bool:
        if self.down:
            raise StoreUnavailable("test: store down")
        self.delivered.append(inbound)
        return True

    async def post(self, body: dict, form: bool = False) -> int:
        raw = (urlencode({"payload": json.dumps(body)}) if form else json.dumps(body)).encode()
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        headers = {"Content-Type": kind, **signed(SECRET, self.channel.clock(), raw)}
        async with self.http.post(self.url, data=raw, headers=headers) as response:
            return response.status


@pytest.fixture
async def served():
    async with fake_slack() as fake, aiohttp.ClientSession() as http:
        clock = ManualClock()
        holder: list[Served] = []

        async def deliver(inbound: Inbound) -> bool:
            return await holder[0].deliver(inbound)

        ctx = ChannelContext(deliver, MemoryStore(clock=clock), Metrics(), clock)
        channel = SlackChannel(
            ctx, bot_token="xoxb", signing_secret=SECRET, api_base=fake.url + "/api/", desk_channel=DESK
        )
        app = web.Application()
        app.router.add_routes(channel.routes())
        runner, port = await start(app)
        holder.append(Served(channel, f"http://127.0.0.1:{port}/webhooks/slack", http))
        yield holder[0]
        await channel.close()
        await runner.cleanup()


def thread_message(ts: str, text: str, user: str = "UAGENT", thread: str = "") -> dict:
    event = {"type": "message", "channel_type": "channel", "channel": DESK, "user": user, "text": text, "ts": ts}
    return {**event, "thread_ts": thread} if thread else event


async def test_desk_card_thread_replies_and_buttons_come_back_tagged(served):
    channel = served.channel
    card = Reply(
        text="New lead: Ana, wants a demo",
        buttons=(Button(title="Claim", payload="claim:h1"),),
        meta={"id": "o1", "desk_ref": "handoff:h1"},
    )
    ts = await channel.send(channel.desk(), card)
    # A follow-up posted in the card's thread (no desk_ref of its own) keeps the card's link.
    await channel.send(channel.desk(thread=ts), Reply(text="Ana replied: tomorrow works", meta={"id": "o2"}))

    assert await served.post(event_body(thread_message("2.0", "I'll take it", thread=ts), "EvDesk1")) == 200
    assert await served.post(event_body(thread_message("3.0", "unrelated", thread="999.0"), "EvDesk2")) == 200
    click = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "UAGENT", "username": "rep"},
        "channel": {"id": DESK, "name": "sales-desk"},
        "container": {"type": "message", "message_ts": ts, "channel_id": DESK},
        "message": {"ts": ts, "text": "New lead"},
        "actions": [{"action_id": "parley:0", "value": "claim:h1", "text": {"type": "plain_text", "text": "Claim"}}],
    }
    assert await served.post(click, form=True) == 200

    reply, button = served.delivered
    assert reply.address.chat == DESK and reply.address.thread == ts and reply.text == "I'll take it"
    assert reply.meta["desk"] == "1" and reply.meta["desk_ref"] == "handoff:h1"
    assert reply.user_name == "name-UAGENT"  # users.info, looked up once with the locale
    assert button.kind == "button" and button.payload == "claim:h1" and button.address.thread == ts
    assert button.meta["desk_ref"] == "handoff:h1" and button.meta["title"] == "Claim"


async def test_store_down_answers_503_so_slack_retries(served):
    served.down = True
    event = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "hi", "ts": "1.0"}
    assert await served.post(event_body(event, "EvDown")) == 503
    served.down = False
    assert await served.post(event_body(event, "EvDown")) == 200  # Slack's retry is accepted
    assert [i.event_id for i in served.delivered] == ["EvDown"]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "event_callback", "event": "not an object"},
        {"type": "event_callback", "event": {"type": "message"}},
        {"type": "event_callback", "event": {"type": "message", "channel_type": "im", "user": 5, "channel": []}},
        {"type": "block_actions", "actions": "nope", "user": "x"},
        {"type": "block_actions", "actions": [{"action_id": "parley:0"}], "channel": {"id": "D1"}},
        {"type": "something_new"},
    ],
)
async def test_odd_shapes_are_never_a_500(served, body):
    assert await served.post(body, form=body["type"] == "block_actions") < 500
    assert served.delivered == []


async def test_a_card_is_posted_in_block_kit_and_redrawn_in_place():
    async with fake_slack() as fake:
        clock = ManualClock()

        async def deliver(inbound: Inbound) -> bool:
            return True

        ctx = ChannelContext(deliver, MemoryStore(clock=clock), Metrics(), clock)
        channel = SlackChannel(ctx, bot_token="xoxb", api_base=fake.url + "/api/", desk_channel=DESK)
        try:
            case = Case(id="c9", kind="handoff", address={"channel": "web", "chat": "w9"}, locale="ar", opened=1.0)
            case.said = [["Customer", "Fish & chips <3 " * 40]]
            ts = await channel.send(
                channel.desk(), card.handoff_card(case).model_copy(update={"meta": {"id": "o9", "desk_ref": case.ref}})
            )
            [posted] = fake.of("chat.postMessage")
            blocks = json.loads(posted["blocks"]) if isinstance(posted["blocks"], str) else posted["blocks"]
            assert blocks[0]["type"] == "header" and "&amp;amp;" not in json.dumps(blocks)
            case.agent, case.agent_name = "U1", "Ana"
            assert await channel.send(channel.desk(), card.redraw(case)) == ts
            [update] = fake.of("chat.update")
            assert update["ts"] == ts and "Claimed by Ana" in json.dumps(update["blocks"])
            with pytest.raises(Rejected):  # a card never posted cannot be redrawn: no retry loop
                await channel.send(
                    channel.desk(),
                    card.redraw(
                        Case(
                            id="gone", kind="handoff", address={"channel": "web", "chat": "w"}, locale="en", opened=1.0
                        )
                    ),
                )
        finally:
            await channel.close()


async def test_the_fake_refuses_blocks_over_slacks_limits_as_slack_does():
    async with fake_slack() as fake, aiohttp.ClientSession() as http:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}] + [{"type": "divider"}] * 50
        async with http.post(
            f"{fake.url}/api/chat.postMessage",
            json={"channel": DESK, "text": "t", "blocks": blocks},
            headers={"Authorization": "Bearer xoxb-t"},
        ) as r:
            answer = await r.json()
        assert answer["error"] == "invalid_blocks"
        assert answer["errors"] == ["blocks: 51 over 50", "blocks[0].text: 3001 characters over 3000"]
