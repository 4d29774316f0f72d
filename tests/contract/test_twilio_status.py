"""Status callbacks, Twilio errors on send, and per-sender rate limits."""

from __future__ import annotations

import json

from parley.core.kernel.messages import Address, Reply

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, SMS_FROM, twilio_parley

ADDRESS = Address(channel="sms", chat=CUSTOMER, user=CUSTOMER)
STATUS = "/webhooks/twilio/status"


def callback(sid: str, status: str, error: str = "") -> dict[str, str]:
    params = {"MessageSid": sid, "MessageStatus": status, "To": CUSTOMER, "From": SMS_FROM, "AccountSid": "AC"}
    if error:
        params["ErrorCode"] = error
    return params


async def test_status_callbacks_are_recorded_against_the_outbox_entry(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.sms("Do you ship abroad?", "SM0100")
        sid = await h.delivered(CUSTOMER)
        for status in ("sent", "delivered", "sent"):  # the late "sent" must not undo "delivered"
            assert (await h.post(STATUS, callback(sid, status))).status == 200
        record = json.loads(await h.app.store.get("twilio:status:sms:SM0100:r0"))
        assert record["status"] == "delivered" and record["sid"] == sid and record["outbox_id"] == "sms:SM0100:r0"
        assert 'status="delivered"' in h.metric("parley_twilio_status_total")


async def test_undelivered_with_21610_marks_the_number_opted_out(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.app.engine.proactive(ADDRESS, Reply(text="Hello", kind="proactive"), "c:1")
        sid = await h.delivered(CUSTOMER)
        assert (await h.post(STATUS, callback(sid, "undelivered", "21610"))).status == 200
        record = json.loads(await h.app.store.get("twilio:status:c:1"))
        assert record["error_code"] == "21610"
        consent = json.loads(await h.app.store.get(f"consent:sms:{CUSTOMER}"))
        assert consent["status"] == "opted_out" and consent["source"] == "twilio:21610"
        assert 'error_code="21610"' in h.metric("parley_twilio_status_total")


async def test_status_callback_needs_a_signature_and_the_fields(make_settings):
    async with twilio_parley(make_settings) as h:
        assert (await h.post(STATUS, callback("SM1", "delivered"), signature="forged")).status == 403
        assert (await h.post(STATUS, {"MessageStatus": "delivered"})).status == 400


async def test_429_is_retried_later_without_counting_as_a_failure(make_settings):
    async with twilio_parley(make_settings) as h:
        h.fake.fail_next(429, 20429)
        await h.app.engine.proactive(ADDRESS, Reply(text="Hello", kind="proactive"), "c:2")
        await eventually(lambda: 'reason="rate_limited"' in h.metric("parley_outbox_retries_total"))
        assert not h.fake.messages
        h.clock.advance(61)  # past the longest backoff
        h.app.outbox.wake()
        await eventually(lambda: h.sent_to(CUSTOMER))
        assert (await h.app.store.outbox_stats()).failed == 0


async def test_send_errors_map_to_unreachable_and_rejected(make_settings):
    async with twilio_parley(make_settings) as h:
        h.fake.fail_next(400, 21211)  # invalid To number: never retried
        await h.app.engine.proactive(Address(channel="sms", chat="+1999"), Reply(text="x", kind="proactive"), "c:3")
        stats = await eventually(lambda: _failed(h, 1))
        assert any(e.startswith("rejected:twilio 21211") for e in stats.errors)

        h.fake.fail_next(400, 21610)  # the carrier says this person replied STOP
        await h.app.engine.proactive(ADDRESS, Reply(text="y", kind="proactive"), "c:4")
        stats = await eventually(lambda: _failed(h, 2))
        assert "unreachable:opted_out" in stats.errors
        consent = json.loads(await h.app.store.get(f"consent:sms:{CUSTOMER}"))
        assert consent["source"] == "twilio:21610"


async def _settled(h):
    stats = await h.app.store.outbox_stats()
    return stats.sent == 1 and stats.pending == 1 and not h.app.outbox._inflight


async def _failed(h, n):
    stats = await h.app.store.outbox_stats()
    return stats if stats.failed == n else None


async def test_long_code_sends_one_per_second(make_settings):
    async with twilio_parley(make_settings, sms_rate=1.0) as h:
        for n in range(2):
            other = Address(channel="sms", chat=f"+1555000000{n}")
            await h.app.engine.proactive(other, Reply(text="Hi", kind="proactive"), f"c:rate:{n}")
        await eventually(lambda: _settled(h))
        assert len(h.fake.messages) == 1  # the second waits for the sender's next second
        h.clock.advance(1.0)
        h.app.outbox.wake()
        await eventually(lambda: len(h.fake.messages) == 2)
