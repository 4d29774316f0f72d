"""The Twilio channels on the Redis store: consent, the WhatsApp window and delivery records live
in the shared store, so every process agrees on them."""

from __future__ import annotations

import json

import pytest
from parley.core.kernel.messages import Address, Reply

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, twilio_parley

pytestmark = pytest.mark.redis

WA = f"whatsapp:{CUSTOMER}"


async def test_stop_start_and_status_on_redis(make_settings, redis_url):
    async with twilio_parley(make_settings, redis_url=redis_url) as h:
        await h.sms("STOP", "SMr001")
        await h.sms("STOP", "SMr001")  # a retry: one confirmation
        sent = await eventually(lambda: h.sent_to(CUSTOMER))
        assert json.loads(await h.app.store.get(f"consent:sms:{CUSTOMER}"))["status"] == "opted_out"
        await h.sms("Do you ship abroad?", "SMr002")
        stats = await eventually(lambda: _failed(h))
        assert "unreachable:opted_out" in stats.errors and len(h.sent_to(CUSTOMER)) == 1

        await h.sms("START", "SMr003")
        await eventually(lambda: len(h.sent_to(CUSTOMER)) == 2)
        sid = h.sent_to(CUSTOMER)[1]["Sid"]
        params = {"MessageSid": sid, "MessageStatus": "delivered", "To": CUSTOMER}
        assert (await h.post("/webhooks/twilio/status", params)).status == 200
        record = json.loads(await h.app.store.get("twilio:status:sms:SMr003:consent"))
        assert record["status"] == "delivered" and sent[0]["Sid"] != sid


async def test_whatsapp_window_on_redis(make_settings, redis_url):
    address = Address(channel="whatsapp", chat=CUSTOMER, user=CUSTOMER)
    async with twilio_parley(make_settings, redis_url=redis_url, whatsapp_templates={"proactive": "HXany"}) as h:
        await h.whatsapp("hello", "SMr010")
        await eventually(lambda: h.sent_to(WA))
        h.clock.advance(25 * 3600)
        await h.app.engine.proactive(address, Reply(text="We miss you", kind="proactive"), "c:r:1")
        await eventually(lambda: len(h.sent_to(WA)) == 2)
        assert h.sent_to(WA)[1]["ContentSid"] == "HXany" and "Body" not in h.sent_to(WA)[1]


async def _failed(h):
    stats = await h.app.store.outbox_stats()
    return stats if stats.failed else None
