"""WhatsApp through the real twilio SDK: the 24-hour window with an injected clock, templates."""

from __future__ import annotations

import json

from parley.core.kernel.messages import Address, Reply

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, WHATSAPP_FROM, twilio_parley

WA = f"whatsapp:{CUSTOMER}"
ADDRESS = Address(channel="whatsapp", chat=CUSTOMER, user=CUSTOMER)
DAY = 24 * 3600


async def test_inside_the_window_free_text_outside_it_the_template(make_settings):
    templates = {"proactive:en": "HX0000000000000000000000000000en"}
    async with twilio_parley(make_settings, whatsapp_templates=templates) as h:
        resp = await h.whatsapp("Do you ship abroad?", "SMwa01")
        assert resp.status == 200
        reply = (await eventually(lambda: h.sent_to(WA)))[0]
        assert reply["From"] == f"whatsapp:{WHATSAPP_FROM}" and reply["Body"] and "ContentSid" not in reply

        h.clock.advance(DAY - 60)  # still inside: free text
        await h.app.engine.proactive(ADDRESS, Reply(text="Your parcel left.", kind="proactive"), "fu:1")
        await eventually(lambda: len(h.sent_to(WA)) == 2)
        assert h.sent_to(WA)[1]["Body"] == "Your parcel left."

        h.clock.advance(120)  # 24 h and a minute after the last inbound: template only
        await h.app.engine.proactive(ADDRESS, Reply(text="Your parcel arrived.", kind="proactive"), "fu:2")
        await eventually(lambda: len(h.sent_to(WA)) == 3)
        third = h.sent_to(WA)[2]
        assert "Body" not in third and third["ContentSid"] == templates["proactive:en"]
        assert json.loads(third["ContentVariables"]) == {"1": "Your parcel arrived."}

        await h.whatsapp("thanks", "SMwa02")  # writing again reopens the window
        await eventually(lambda: len(h.sent_to(WA)) == 4)
        assert "Body" in h.sent_to(WA)[3]


async def test_outside_the_window_without_a_template_the_send_is_skipped_with_a_reason(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.app.engine.proactive(ADDRESS, Reply(text="Come back!", kind="proactive"), "c:winback:1")
        stats = await eventually(lambda: _failed(h))
        assert list(stats.errors) == ["rejected:whatsapp_window_closed: no template for proactive:en"]
        assert not h.fake.messages
        assert 'reason="window_closed"' in h.metric("parley_twilio_skipped_total")


async def _failed(h):
    stats = await h.app.store.outbox_stats()
    return stats if stats.failed else None


async def test_inbound_media_arrives_as_attachments(make_settings):
    async with twilio_parley(make_settings) as h:
        params = {
            "MessageSid": "MMwa03",
            "From": WA,
            "To": f"whatsapp:{WHATSAPP_FROM}",
            "Body": "",
            "NumMedia": "1",
            "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
            "MediaContentType0": "image/jpeg",
        }
        assert (await h.post("/webhooks/twilio/whatsapp", params)).status == 200
        reply = (await eventually(lambda: h.sent_to(WA)))[0]
        # The guard saw the attachment (a media-only message gets the "text only" answer).
        assert reply["Body"] == h.app.locales.get("en").t("unsupported_media")
