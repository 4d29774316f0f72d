"""Voice on two processes of one deployment (a Redis store): a call's socket lives in one, and a
reply another process's outbox sends is said on that call through the store's relay."""

from __future__ import annotations

import uuid

import pytest
from parley.core.kernel.channel import Rejected
from parley.core.kernel.messages import Address, Reply

from parley.testing.fakes.conversationrelay import FakeRelay
from tests.conftest import eventually
from tests.contract.twilio_harness import PUBLIC_URL, forget, twilio_parley

pytestmark = pytest.mark.redis

VOICE_FROM = "+15005550010"
CALLER = "+15551230099"
CALL = "CA" + "7" * 32


@pytest.fixture
async def two(make_settings, redis_url):
    prefix = f"voice-{uuid.uuid4().hex[:8]}"
    try:
        async with (
            twilio_parley(make_settings, redis_url=redis_url, prefix=prefix, voice_from=VOICE_FROM) as a,
            twilio_parley(make_settings, redis_url=redis_url, prefix=prefix, voice_from=VOICE_FROM) as b,
        ):
            yield a, b
    finally:
        await forget(redis_url, prefix)


async def test_a_reply_sent_by_another_process_is_said_on_the_call_where_its_socket_is(two):
    a, b = two
    call = await FakeRelay(a.http, f"http://127.0.0.1:{a.app.port}", PUBLIC_URL).connect(CALL, CALLER, VOICE_FROM)
    await call.answer()  # the greeting, from the process holding the socket
    address = Address(channel="voice", chat=CALL, user=CALLER)
    other = b.app.channels["voice"]
    assert CALL not in other.calls  # b has no socket for this call
    said_id = await other.send(address, Reply(text="Your parcel ships **today**.", meta={"id": "r-late"}))
    assert said_id == "r-late"
    assert await call.answer() == "Your parcel ships today."  # spoken for the ear, by a
    await call.hang_up()
    await eventually(lambda: CALL not in a.app.channels["voice"].calls)
    with pytest.raises(Rejected, match="call_ended"):  # no process holds the call now: it ended
        await other.send(address, Reply(text="Anything else?"))
