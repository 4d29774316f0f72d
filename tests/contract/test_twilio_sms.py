"""SMS through the real twilio SDK against the fake REST API, webhooks signed like Twilio."""

from __future__ import annotations

import json

import pytest
from parley.core.kernel.messages import Address, Reply
from parley.core.storage.store import StoreUnavailable
from twilio.base.exceptions import TwilioException

from tests.conftest import eventually
from tests.contract.twilio_harness import CUSTOMER, PUBLIC_URL, SMS_FROM, twilio_parley


async def test_inbound_sms_is_acked_with_empty_twiml_and_answered_through_the_api(make_settings):
    async with twilio_parley(make_settings) as h:
        resp = await h.sms("What are your opening hours?", "SM0001")
        assert resp.status == 200 and resp.content_type == "text/xml"
        sent = await eventually(lambda: h.sent_to(CUSTOMER))
        assert sent[0]["From"] == SMS_FROM
        assert sent[0]["StatusCallback"] == PUBLIC_URL + "/webhooks/twilio/status"
        assert sent[0]["Body"]


async def test_duplicate_message_sid_is_answered_once(make_settings):
    async with twilio_parley(make_settings) as h:
        first = await h.sms("Do you ship abroad?", "SM0002")
        again = await h.sms("Do you ship abroad?", "SM0002")
        assert first.status == again.status == 200
        await eventually(lambda: h.sent_to(CUSTOMER))
        await eventually(lambda: "parley_duplicates_total" in h.metric("parley_duplicates_total{"))
        await h.app.outbox.flush(1.0)
        assert len(h.sent_to(CUSTOMER)) == 1


async def test_bad_or_missing_signature_is_refused_with_403(make_settings):
    async with twilio_parley(make_settings) as h:
        params = {"MessageSid": "SM0003", "From": CUSTOMER, "To": SMS_FROM, "Body": "hi"}
        assert (await h.post("/webhooks/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl")).status == 403
        assert (await h.post("/webhooks/twilio/sms", params, signature="")).status == 403
        # Signed for another URL (the app's own, not the public one Twilio called).
        from parley.testing.fakes.twilio import AUTH_TOKEN, sign

        wrong = sign(AUTH_TOKEN, f"http://127.0.0.1:{h.app.port}/webhooks/twilio/sms", params)
        assert (await h.post("/webhooks/twilio/sms", params, signature=wrong)).status == 403
        assert 'reason="bad_signature"' in h.metric("parley_rejected_total")
        assert not h.fake.messages


async def test_malformed_bodies_get_4xx(make_settings):
    async with twilio_parley(make_settings) as h:
        assert (await h.post("/webhooks/twilio/sms", {"Body": "no sid"})).status == 400
        bad_media = {"MessageSid": "SM9", "From": CUSTOMER, "NumMedia": "lots"}
        assert (await h.post("/webhooks/twilio/sms", bad_media)).status == 400
        url = f"http://127.0.0.1:{h.app.port}/webhooks/twilio/sms"
        async with h.http.post(url, data=b"\x00{not json", headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 415  # Twilio only ever posts forms
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        async with h.http.post(url, data=b"x" * (2 * 1024 * 1024), headers=form) as resp:
            assert resp.status == 413


async def test_stop_confirms_once_then_silence_start_resumes_help_answers(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.sms("STOP", "SM0010")
        await h.sms("STOP", "SM0010")  # Twilio retrying the same webhook
        stop = await eventually(lambda: h.sent_to(CUSTOMER))
        assert stop[0]["Body"] == h.app.locales.get("en").t("opted_out")
        record = json.loads(await h.app.store.get(f"consent:sms:{CUSTOMER}"))
        assert record["status"] == "opted_out" and record["source"] == "sms:STOP" and record["at"]

        # Neither a reply nor a proactive message reaches an opted-out number.
        await h.sms("Where is my parcel?", "SM0011")
        address = Address(channel="sms", chat=CUSTOMER, user=CUSTOMER)
        await h.app.engine.proactive(address, Reply(text="Sale today!", kind="proactive"), "c:sale:1")
        stats = await eventually(lambda: _failed(h, 2))
        assert all(error.startswith("unreachable") for error in stats.errors)
        assert len(h.sent_to(CUSTOMER)) == 1

        await h.sms("start", "SM0012")
        await eventually(lambda: len(h.sent_to(CUSTOMER)) == 2)
        assert h.sent_to(CUSTOMER)[1]["Body"] == h.app.locales.get("en").t("opted_in")
        assert json.loads(await h.app.store.get(f"consent:sms:{CUSTOMER}"))["source"] == "sms:START"
        assert await h.app.store.get(f"unreachable:sms:{CUSTOMER}") is None

        await h.sms("HELP", "SM0013")
        await eventually(lambda: len(h.sent_to(CUSTOMER)) == 3)
        assert h.sent_to(CUSTOMER)[2]["Body"] == h.app.locales.get("en").t("help", name=h.app.personas.get().name)


async def _failed(h, n):
    stats = await h.app.store.outbox_stats()
    return stats if stats.failed == n else None


async def test_numbered_choices_map_a_digit_back_to_the_button(make_settings):
    async with twilio_parley(make_settings) as h:
        await h.sms("zxqv plorb wibble", "SM0020")  # nothing in the knowledge base: fallback + button
        sent = await eventually(lambda: h.sent_to(CUSTOMER))
        human = h.app.locales.get("en").t("human_button")
        assert sent[0]["Body"].endswith(f"1. {human}")
        await h.sms("1", "SM0021")
        await eventually(lambda: len(h.sent_to(CUSTOMER)) >= 2)  # the desk may add an "away" note
        assert h.sent_to(CUSTOMER)[1]["Body"] == h.app.locales.get("en").t("handoff_unavailable")


async def test_long_answers_stay_within_the_segment_budget(make_settings):
    from parley.channels.twilio.segments import count

    async with twilio_parley(make_settings, max_segments=2) as h:
        address = Address(channel="sms", chat=CUSTOMER, user=CUSTOMER)
        await h.app.engine.proactive(address, Reply(text="Big news. " * 100, kind="proactive"), "c:long:1")
        sent = await eventually(lambda: h.sent_to(CUSTOMER))
        assert count(sent[0]["Body"]).count <= 2 and sent[0]["Body"].endswith("...")


async def test_store_down_answers_503_so_twilio_retries(make_settings):
    async with twilio_parley(make_settings) as h:
        db, h.app.store._db = h.app.store._db, None  # the store stops answering
        try:
            assert (await h.sms("Do you ship abroad?", "SM0030")).status == 503
            assert (await h.sms("STOP", "SM0031")).status == 503
        finally:
            h.app.store._db = db
        assert (await h.sms("Do you ship abroad?", "SM0030")).status == 200  # the retry is accepted
        await eventually(lambda: h.sent_to(CUSTOMER))


async def test_unsigned_junk_bodies_get_a_4xx_and_no_traceback(make_settings, caplog):
    """Anyone can post to the webhook: an invalid UTF-8 form, or a multipart body with a file,
    used to raise inside the form parser or the signature check (a 500 and a 20-line traceback)."""
    import aiohttp

    async with twilio_parley(make_settings) as h:
        url = f"http://127.0.0.1:{h.app.port}/webhooks/twilio/sms"
        form_type = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
        async with h.http.post(url, data=b"Body=\xff\xfe&From=%2B1555", headers=form_type) as resp:
            assert resp.status == 400
        files = aiohttp.FormData()
        files.add_field("Body", "hi")
        files.add_field("MediaUrl0", b"\x00binary", filename="evil.bin", content_type="application/octet-stream")
        async with h.http.post(url, data=files, headers={"X-Twilio-Signature": "x"}) as resp:
            assert resp.status == 400
        async with h.http.post(url + "/../status", data=b"\xc3\x28", headers=form_type) as resp:
            assert 400 <= resp.status < 500
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_sent_message_whose_sid_the_store_refuses_is_not_sent_again(make_settings, monkeypatch):
    # The sid is filed for status callbacks after Twilio accepted the message: a full disk
    # there must not fail the send (the outbox would send it again).
    async with twilio_parley(make_settings) as h:
        put = h.app.store.put

        async def full_disk(key, value, ttl=None):
            if key.startswith("twilio:sid:"):
                raise StoreUnavailable("database or disk is full")
            return await put(key, value, ttl)

        monkeypatch.setattr(h.app.store, "put", full_disk)
        assert (await h.sms("Do you ship abroad?", "SM0901")).status == 200
        await eventually(lambda: h.sent_to(CUSTOMER))
        await h.app.outbox.flush(2.0)
        assert len(h.sent_to(CUSTOMER)) == 1
        assert "StoreUnavailable" not in h.metric("parley_outbox_retries_total")  # no resend is due


# Twilio has no idempotency key for creating a message: a second attempt at an outbox item
# looks for the first among the number's recent messages before sending (channels/twilio/resend.py).
ADDRESS = Address(channel="sms", chat=CUSTOMER, user=CUSTOMER)


async def test_a_second_attempt_after_twilio_accepted_the_first_does_not_send_again(make_settings):
    async with twilio_parley(make_settings) as h:
        sms = h.app.channels["sms"]
        reply = Reply(text="Standard delivery takes 3-5 working days.", meta={"id": "out-crash-1"})
        first = await sms.send(ADDRESS, reply)  # accepted; then the process died before the record
        again = await sms.send(ADDRESS, reply)  # the outbox's next claim of the same item
        assert again == first and len(h.sent_to(CUSTOMER)) == 1 and h.fake.listed == 1


async def test_a_second_attempt_after_a_refused_first_sends(make_settings):
    async with twilio_parley(make_settings) as h:
        sms = h.app.channels["sms"]
        reply = Reply(text="Standard delivery takes 3-5 working days.", meta={"id": "out-refused-1"})
        h.fake.fail_next(500, 20500)
        with pytest.raises(TwilioException):  # a 500: the outbox retries it
            await sms.send(ADDRESS, reply)
        assert await sms.send(ADDRESS, reply)
        assert len(h.sent_to(CUSTOMER)) == 1 and h.fake.listed == 1


async def test_another_items_message_with_the_same_text_is_not_taken_for_this_one(make_settings):
    async with twilio_parley(make_settings) as h:
        sms = h.app.channels["sms"]
        text = "Standard delivery takes 3-5 working days."  # the same answer to the same question, twice
        await sms.send(ADDRESS, Reply(text=text, meta={"id": "out-a"}))
        h.fake.fail_next(500, 20500)
        with pytest.raises(TwilioException):
            await sms.send(ADDRESS, Reply(text=text, meta={"id": "out-b"}))
        await sms.send(ADDRESS, Reply(text=text, meta={"id": "out-b"}))
        assert len(h.sent_to(CUSTOMER)) == 2
