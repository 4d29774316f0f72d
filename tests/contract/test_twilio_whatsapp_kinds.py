"""WhatsApp messages beyond text, as Twilio posts them (form fields from Twilio's incoming message
webhook), through the real SDK against the fake: a location pin, a contact card, a reply to an
earlier message, and a Click-to-WhatsApp ad's referral."""

from __future__ import annotations

from parley.core.kernel.messages import Address

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, WHATSAPP_FROM, twilio_parley

WA = f"whatsapp:{CUSTOMER}"
CONVERSATION = Address(channel="whatsapp", chat=CUSTOMER, user=CUSTOMER).conversation


def form(sid: str, body: str = "", **more: str) -> dict[str, str]:
    base = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": WA}
    return {**base, "To": f"whatsapp:{WHATSAPP_FROM}", "Body": body, "NumMedia": "0", "ProfileName": "Ana", **more}


async def last_user_turn(h) -> dict:
    state = await h.app.store.state(CONVERSATION)
    return [e for e in state["history"] if e["role"] == "user"][-1]


async def test_a_location_pin_is_answered_with_the_nearest_place_in_the_knowledge(make_settings):
    async with twilio_parley(make_settings) as h:
        # Dam Square, Amsterdam: the demo shop's flagship store (knowledge/demo/hours.md) is ~1 km away.
        pin = form("SMloc1", MessageType="location", Latitude="52.373169", Longitude="4.892453", Label="Dam")
        assert (await h.post("/webhooks/twilio/whatsapp", pin)).status == 200
        [reply] = await eventually(lambda: h.sent_to(WA))
        assert "Keizersgracht 123" in reply["Body"] and "km" in reply["Body"]
        assert "geo:" not in reply["Body"]
        assert "only read text" not in reply["Body"]


async def test_a_location_pin_without_places_in_the_knowledge_is_acknowledged(make_settings, tmp_path):
    (tmp_path / "faq.md").write_text("# Returns\n\n## Window\nReturns are free within 30 days.\n")
    async with twilio_parley(make_settings, knowledge_dir=str(tmp_path)) as h:
        pin = form("SMloc2", MessageType="location", Latitude="-33.8688", Longitude="151.2093")
        assert (await h.post("/webhooks/twilio/whatsapp", pin)).status == 200
        [reply] = await eventually(lambda: h.sent_to(WA))
        assert "location" in reply["Body"].lower()


async def test_a_pin_off_the_globe_is_a_400(make_settings):
    async with twilio_parley(make_settings) as h:
        bad = form("SMloc3", MessageType="location", Latitude="95.0", Longitude="nan")
        assert (await h.post("/webhooks/twilio/whatsapp", bad)).status == 400


async def test_a_contact_card_becomes_a_typed_contact_fetched_without_leaking_credentials(make_settings):
    async with twilio_parley(make_settings) as h:
        card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada Lovelace\r\nTEL;TYPE=CELL:+44 20 7946 0958\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n"  # fmt: skip
        url = h.fake.add_media("MMcard1", "ME0001", "text/vcard", card)
        shared = form("MMcard1", NumMedia="1", MediaUrl0=url, MediaContentType0="text/vcard")
        assert (await h.post("/webhooks/twilio/whatsapp", shared)).status == 200
        item = await eventually(lambda: h.inbound("MMcard1"))
        [contact] = item.contacts
        assert (contact.name, contact.phones, contact.emails) == (
            "Ada Lovelace",
            ("+44 20 7946 0958",),
            ("ada@example.com",),
        )
        assert h.fake.storage_auth == [""]  # the redirect to storage got no credentials
        [reply] = await eventually(lambda: h.sent_to(WA))
        assert "contact" in reply["Body"].lower() and "only read text" not in reply["Body"]


async def test_a_card_on_another_host_is_never_fetched_with_the_credentials(make_settings):
    async with twilio_parley(make_settings) as h:
        shared = form("MMcard2", NumMedia="1", MediaUrl0="http://127.0.0.1:9/card.vcf", MediaContentType0="text/vcard")
        assert (await h.post("/webhooks/twilio/whatsapp", shared)).status == 200
        # No contact read: the card stays an attachment, answered as media the bot cannot read.
        [reply] = await eventually(lambda: h.sent_to(WA))
        assert "only read text" in reply["Body"] and h.fake.storage_auth == []


async def test_the_replied_to_message_and_an_ad_referral_are_kept(make_settings):
    async with twilio_parley(make_settings) as h:
        referred = form(
            "SMref1",
            "Hi! Is the summer dress still available?",
            OriginalRepliedMessageSid="SMearlier000000000000000000000001",
            ReferralBody="Summer dresses, 20% off this week",
            ReferralHeadline="Summer sale",
            ReferralSourceId="120208711111111111",
            ReferralSourceType="ad",
            ReferralSourceUrl="https://fb.me/abc123",
            ReferralCtwaClid="ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv",
        )
        assert (await h.post("/webhooks/twilio/whatsapp", referred)).status == 200
        await eventually(lambda: h.sent_to(WA))
        item = await eventually(lambda: h.inbound("SMref1"))
        assert item.reply_to == "SMearlier000000000000000000000001"
        profile = await h.app.store.profile(f"whatsapp:{CUSTOMER}")
        assert profile["attribution"] == "ad:120208711111111111"
        referral = (await h.app.store.state(CONVERSATION))["referral"]
        assert referral["headline"] == "Summer sale" and referral["click_id"].startswith("ARAkLkA8")
