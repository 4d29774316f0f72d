"""The Telegram channel through real aiogram against the loopback fake Bot API (parley.testing.fakes.telegram).

The tests act as Telegram: they post updates to the webhook with (or without) the secret header,
queue updates for getUpdates, and answer 429/403 from the fake.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

import aiohttp
import pytest
from parley.channels.telegram.channel import SECRET_HEADER, SECRET_KEY
from parley.core.kernel.channel import RetryAfter, Unreachable
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Button, Reply
from parley.core.storage.store import StoreUnavailable

from parley.app import Bot
from parley.testing.fakes.telegram import FakeTelegram
from tests.conftest import eventually

PUBLIC = "https://bot.example.com"
_ids = itertools.count(1000)


def update(text: str, chat: int = 7, update_id: int | None = None) -> dict:
    uid = next(_ids) if update_id is None else update_id
    user = {"id": chat, "is_bot": False, "first_name": "Ada", "language_code": "en"}
    msg = {"message_id": uid, "date": 1767225600, "chat": {"id": chat, "type": "private"}, "from": user, "text": text}
    return {"update_id": uid, "message": msg}


@pytest.fixture
async def fake():
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def telegram_settings(make_settings, fake):
    def make(**telegram):
        conf = {"token": fake.token, "api_base": fake.url, "mode": "webhook", **telegram}
        return make_settings(telegram=conf, public_url=PUBLIC)

    return make


@pytest.fixture
async def app(telegram_settings, fake):
    async with Bot(telegram_settings()) as parley:
        await eventually(lambda: fake.webhook)
        yield parley


async def post(app: Bot, body, secret: str | None, raw: bytes | None = None) -> aiohttp.ClientResponse:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}/webhooks/telegram"
        async with http.post(url, json=body if raw is None else None, data=raw, headers=headers) as resp:
            await resp.read()
            return resp


async def secret_of(app: Bot) -> str:
    return await app.store.get(SECRET_KEY) or ""


async def test_start_sets_the_webhook_with_a_generated_secret_kept_in_the_store(app, fake):
    secret = await secret_of(app)
    assert len(secret) >= 32
    assert fake.webhook["url"] == f"{PUBLIC}/webhooks/telegram"
    assert fake.webhook["secret_token"] == secret


async def test_a_configured_secret_is_used_as_is(telegram_settings, fake):
    async with Bot(telegram_settings(webhook_secret="configured-secret_1")) as parley:
        await eventually(lambda: fake.webhook)
        assert fake.webhook["secret_token"] == "configured-secret_1"
        assert (await post(parley, update("hi"), "configured-secret_1")).status == 200


@pytest.mark.parametrize("secret", [None, "", "wrong"])
async def test_webhook_without_the_right_secret_is_refused(app, fake, secret):
    resp = await post(app, update("hello"), secret)
    assert resp.status == 401
    assert await app.store.stale(app.clock() + 60, 10) == []  # nothing was accepted


async def test_webhook_with_the_secret_is_answered(app, fake):
    resp = await post(app, update("How long does shipping take?", chat=11), await secret_of(app))
    assert resp.status == 200
    texts = await eventually(lambda: fake.texts(11))
    assert "shipping" in texts[0].lower() or "deliver" in texts[0].lower()
    assert fake.sent[0]["parse_mode"] == "HTML"


async def test_the_same_update_id_twice_is_answered_once(app, fake):
    secret = await secret_of(app)
    first = update("What are your opening hours?", chat=12)
    assert (await post(app, first, secret)).status == 200
    assert (await post(app, first, secret)).status == 200  # Telegram retrying: still 200
    assert (await post(app, update("thanks", chat=12), secret)).status == 200
    await eventually(lambda: len(fake.texts(12)) == 2)  # the later update is answered too...
    assert len(fake.texts(12)) == 2  # ...and the duplicate never was


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[]", b'"text"', b'{"message": {}}', b'{"update_id": 1, "message": []}', b"\xff\xfe"]
)
async def test_malformed_bodies_get_400(app, raw):
    assert (await post(app, None, await secret_of(app), raw=raw)).status == 400


async def test_start_payload_is_kept_on_the_profile(app, fake):
    await post(app, update("/start spring_promo", chat=13), await secret_of(app))
    await eventually(lambda: fake.texts(13))
    assert (await app.store.profile("telegram:13"))["attribution"] == "spring_promo"


async def test_button_round_trip(app, fake):
    secret = await secret_of(app)
    await post(app, update("qwzx plorf?", chat=14), secret)  # the brain can't answer: offers a person
    await eventually(lambda: fake.texts(14))
    keyboard = fake.sent[-1]["reply_markup"]["inline_keyboard"]
    pressed = keyboard[0][0]
    assert pressed["callback_data"] == "/human"
    user = {"id": 14, "is_bot": False, "first_name": "Ada"}
    message = {"message_id": fake.sent[-1]["message_id"], "date": 1, "chat": {"id": 14, "type": "private"}}
    message["reply_markup"] = {"inline_keyboard": keyboard}
    query = {"id": "cbq-1", "from": user, "chat_instance": "ci", "data": pressed["callback_data"], "message": message}
    headers = {SECRET_HEADER: secret}
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}/webhooks/telegram"
        async with http.post(url, json={"update_id": next(_ids), "callback_query": query}, headers=headers) as resp:
            # The spinner stops through the webhook answer itself (a Bot API call in the body).
            assert await resp.json() == {"method": "answerCallbackQuery", "callback_query_id": "cbq-1"}
    await eventually(lambda: len(fake.texts(14)) >= 2)  # the handoff's confirmation (and hours)
    assert "no one from our team" in fake.texts(14)[1]  # no desk configured: said honestly


async def test_polling_confirms_updates_with_offsets(telegram_settings, fake):
    async with Bot(telegram_settings(mode="polling")) as parley:
        channel = parley.channels["telegram"]
        channel.poll_timeout = 1
        fake.push(update("hi", chat=21, update_id=500))
        fake.push(update("opening hours?", chat=22, update_id=501))
        await eventually(lambda: fake.texts(21) and fake.texts(22))
        fake.push(update("returns?", chat=21, update_id=502))
        await eventually(lambda: len(fake.texts(21)) == 2)
        assert channel.offset == 503
        assert fake.offsets[0] == 0 and 502 in fake.offsets and fake.offsets[-1] in (502, 503)
        assert fake.called("deleteWebhook")
        assert len(fake.texts(22)) == 1  # confirmed updates are never handed out twice


async def test_429_then_sent_when_the_retry_after_has_passed(telegram_settings, fake):
    # Start at the wall time: the SQLite store stamps leases with its own clock.
    clock = ManualClock(start=time.time())
    async with Bot(telegram_settings(), clock=clock) as parley:
        await eventually(lambda: fake.webhook)
        fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        await post(parley, update("returns?", chat=31), await secret_of(parley))
        await eventually(lambda: fake.called("sendMessage"))
        assert fake.texts(31) == []
        # Wait for the 429 to be settled (the send is "sending" until then), then look.
        stats = await eventually(lambda: _settled(parley))
        assert stats.pending == 1
        clock.advance(8)
        parley.outbox.wake()
        await eventually(lambda: fake.texts(31))


async def test_send_maps_429_and_403(app, fake):
    channel = app.channels["telegram"]
    address = Address(channel="telegram", chat="41", user="41")
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as slow:
        await channel.send(address, Reply(text="hi"))
    assert slow.value.seconds == 3
    fake.blocked.add("41")
    with pytest.raises(Unreachable) as gone:
        await channel.send(address, Reply(text="hi"))
    assert gone.value.reason == "blocked"


async def test_403_marks_the_person_unreachable(app, fake):
    fake.blocked.add("42")
    await post(app, update("hello?", chat=42), await secret_of(app))
    assert await eventually(lambda: app.store.get("unreachable:telegram:42")) == "blocked"


async def test_a_long_reply_is_split_at_sentence_ends(app, fake):
    sentence = "Our parcels travel by bike, boat and train to reach you. "
    text = sentence * 200  # ~11,400 characters
    buttons = (Button(title="More", payload="/more"),)
    await app.channels["telegram"].send(Address(channel="telegram", chat="51"), Reply(text=text, buttons=buttons))
    parts = fake.texts(51)
    assert len(parts) == 3
    assert all(len(p) <= 4096 and p.rstrip().endswith("you.") for p in parts)
    assert " ".join(p.strip() for p in parts) == text.strip()
    assert [m["reply_markup"] is not None for m in fake.sent] == [False, False, True]  # buttons on the last


async def test_a_retried_split_reply_does_not_repeat_parts(app, fake):
    channel = app.channels["telegram"]
    reply = Reply(text="One sentence here. " * 400, meta={"id": "out-1"})  # two parts
    address = Address(channel="telegram", chat="52")
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, after=1)
    with pytest.raises(RetryAfter):
        await channel.send(address, reply)
    assert len(fake.texts(52)) == 1
    await channel.send(address, reply)  # the outbox retrying the same item
    assert len(fake.texts(52)) == 2


async def test_a_split_reply_whose_progress_the_store_refuses_repeats_no_part(app, fake, monkeypatch):
    # Part 1 went out, the disk is full when it is to be noted, part 2 meets a 429: the outbox's
    # retry must still not send part 1 again (this process remembers it).
    channel = app.channels["telegram"]
    reply = Reply(text="One sentence here. " * 400, meta={"id": "out-2"})  # two parts
    address = Address(channel="telegram", chat="53")
    put = app.store.put

    async def full_disk(key, value, ttl=None):
        if key.startswith("telegram:part:"):
            raise StoreUnavailable("database or disk is full")
        return await put(key, value, ttl)

    monkeypatch.setattr(app.store, "put", full_disk)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, after=1)
    with pytest.raises(RetryAfter):
        await channel.send(address, reply)
    await channel.send(address, reply)
    assert len(fake.texts(53)) == 2


@pytest.mark.parametrize(
    "text",
    ["<b>not bold</b> & <i>", "*_[`]~ unclosed markdown ((", "😀👍🏽 emoji", "שלום, مرحبا בעולם", "a &amp; b </pre>"],
)
async def test_hostile_text_is_delivered_intact(app, fake, text):
    await app.channels["telegram"].send(Address(channel="telegram", chat="61"), Reply(text=text))
    assert fake.texts(61) == [text]


async def test_long_button_payloads_survive_the_64_byte_limit(app, fake):
    payload = "order:" + "x" * 120
    await app.channels["telegram"].send(
        Address(channel="telegram", chat="62"), Reply(text="pick", buttons=(Button(title="It", payload=payload),))
    )
    data = fake.sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    assert await app.store.get(f"telegram:cb:{data}") == payload


async def test_stream_edits_one_message_as_text_grows(app, fake):
    channel = app.channels["telegram"]
    channel.edit_interval = 0.0

    async def chunks():
        for word in ["Parcels ", "leave ", "within ", "two ", "days."]:
            yield word

    platform_id = await channel.stream(Address(channel="telegram", chat="71"), chunks())
    assert fake.texts(71) == ["Parcels leave within two days."]
    assert platform_id == str(fake.sent[-1]["message_id"])
    assert len(fake.edits) >= 1


async def test_the_final_reply_after_a_stream_edits_the_streamed_message(app, fake):
    channel = app.channels["telegram"]
    channel.edit_interval = 0.0

    async def chunks():
        yield "Parcels leave "
        yield "within two days."

    address = Address(channel="telegram", chat="72")
    streamed = await channel.stream(address, chunks())
    final = Reply(text="Parcels leave within two days [1].", buttons=(Button(title="More", payload="/more"),))
    final = final.model_copy(update={"replaces": streamed, "meta": {"id": "out-72"}})
    assert await channel.send(address, final) == streamed
    assert fake.texts(72) == ["Parcels leave within two days [1]."]  # one message, in its final form
    assert fake.called("editMessageText")[-1]["reply_markup"]
    fake.sent.clear()  # the person deleted it: the final reply is posted instead
    await channel.send(address, final)
    assert fake.texts(72) == ["Parcels leave within two days [1]."]


async def test_typing_lasts_until_the_answer_is_sent(app, fake):
    channel = app.channels["telegram"]
    address = Address(channel="telegram", chat="81")
    await channel.typing(address)
    await eventually(lambda: fake.called("sendChatAction"))
    assert fake.called("sendChatAction")[0]["action"] == "typing"
    await channel.send(address, Reply(text="done"))
    assert "81" not in channel._typing


async def test_limits_per_chat_group_and_bot(app):
    channel = app.channels["telegram"]
    private = {lim.key: lim.rate for lim in channel.limits(Address(channel="telegram", chat="7"))}
    assert private == {"telegram:bot": 30.0, "telegram:chat:7": 1.0}
    group = {lim.key: lim.rate for lim in channel.limits(Address(channel="telegram", chat="-1001"))}
    assert group["telegram:group:-1001"] == pytest.approx(20 / 60)


async def test_restart_after_unblocking_clears_the_unreachable_mark(app, fake):
    fake.blocked.add("43")
    secret = await secret_of(app)
    await post(app, update("hello?", chat=43), secret)
    await eventually(lambda: app.store.get("unreachable:telegram:43"))
    fake.blocked.discard("43")
    await post(app, update("/start", chat=43), secret)  # what Telegram's "Restart" button sends
    await eventually(lambda: fake.texts(43))
    assert await app.store.get("unreachable:telegram:43") is None


async def test_group_messages_are_answered_only_when_mentioned(app, fake):
    secret = await secret_of(app)
    group = {"id": -100777, "type": "supergroup", "title": "Fans"}

    def in_group(text: str) -> dict:
        body = update(text, chat=44)
        body["message"]["chat"] = group
        return body

    assert (await post(app, in_group("what are your opening hours?"), secret)).status == 200
    assert (await post(app, in_group(f"@{fake.username} what are your opening hours?"), secret)).status == 200
    await eventually(lambda: fake.texts(-100777))
    assert len(fake.texts(-100777)) == 1


async def test_store_down_answers_503_so_telegram_retries(app, fake):
    secret = await secret_of(app)
    await app.store.close()
    assert (await post(app, update("hello"), secret)).status == 503


async def test_a_rejected_token_is_said_once_and_the_app_keeps_running(telegram_settings, fake, caplog):
    fake.fail("getMe", 401, "Unauthorized")
    async with Bot(telegram_settings()) as parley:
        await eventually(lambda: "PARLEY_TELEGRAM__TOKEN is not valid" in caplog.text)
        assert fake.webhook == {}
        assert "telegram" in parley.channels


def test_configuration_errors_name_the_variable(make_settings):
    from parley.channels.telegram.channel import from_settings

    bad = make_settings(telegram={"token": "not-a-token"}, public_url=PUBLIC)
    with pytest.raises(ValueError, match="PARLEY_TELEGRAM__TOKEN"):
        from_settings(bad, None)
    spaced = make_settings(telegram={"token": "123:abc", "webhook_secret": "has spaces"}, public_url=PUBLIC)
    with pytest.raises(ValueError, match="PARLEY_TELEGRAM__WEBHOOK_SECRET"):
        from_settings(spaced, None)
    no_url = make_settings(telegram={"token": "123:abc", "mode": "webhook"})
    with pytest.raises(ValueError, match="PARLEY_PUBLIC_URL"):
        from_settings(no_url, None)


async def test_webhook_on_the_redis_store(telegram_settings, fake, redis_url):
    """Scale-out: the generated secret and the dedupe live in Redis, shared by every process."""
    prefix = f"tg{uuid.uuid4().hex[:8]}"
    settings = telegram_settings().model_copy(update={"store_url": f"{redis_url}?prefix={prefix}"})
    async with Bot(settings) as parley:
        try:
            await eventually(lambda: fake.webhook)
            secret = await secret_of(parley)
            assert fake.webhook["secret_token"] == secret
            first = update("What are your opening hours?", chat=91)
            assert (await post(parley, first, secret)).status == 200
            assert (await post(parley, first, secret)).status == 200
            assert (await post(parley, update("thanks", chat=91), secret)).status == 200
            await eventually(lambda: len(fake.texts(91)) == 2)
        finally:
            store = parley.store
            keys = [k async for k in store.r.scan_iter(match=store.p.replace("{", "[{]") + "*")]
            if keys:
                await store.r.delete(*keys)


async def _settled(parley: Bot):
    stats = await parley.store.outbox_stats()
    return stats if not stats.sending else None


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda u: u["message"].update(date=1e20), 200),  # answered; the bad date is ignored
        (lambda u: u.update(update_id=True), 400),
        (lambda u: u.update(update_id=2**80), 400),
        (lambda u: u["message"].update(text="hi \ud800 there"), 200),
    ],
)
async def test_hostile_updates_get_a_4xx_or_an_answer_never_a_500(app, fake, mutate, status, caplog):
    body = update("how much is shipping", chat=61)
    mutate(body)
    raw = json.dumps(body).encode()  # json.dumps writes a lone surrogate as "\ud800"
    resp = await post(app, None, await secret_of(app), raw=raw)
    assert resp.status == status
    if status == 200:
        await eventually(lambda: fake.texts(61))
    assert not [r for r in caplog.records if r.exc_info]


async def test_deeply_nested_json_is_a_400(app):
    resp = await post(app, None, await secret_of(app), raw=b'{"update_id": 1, "message": ' + b"[" * 20_000 + b"}")
    assert resp.status == 400


async def settled(app: Bot) -> None:
    """Every accepted turn has run and every reply it queued went out (or failed)."""
    await app.engine.stop()

    async def idle():
        stats = await app.store.outbox_stats()
        return not stats.pending and not stats.sending

    await eventually(idle)


async def test_in_a_forum_topic_only_mentions_are_answered_and_the_answer_stays_in_the_topic(app, fake):
    secret = await secret_of(app)
    forum = {"id": -100555, "type": "supergroup", "title": "Support", "is_forum": True}
    bot = {"id": fake.bot_id, "is_bot": True, "first_name": "Parley", "username": fake.username}
    created = {"message_id": 77, "date": 1, "chat": forum, "from": bot, "message_thread_id": 77}
    created |= {"forum_topic_created": {"name": "Orders", "icon_color": 7322096}, "is_topic_message": True}

    def in_topic(text: str) -> dict:
        body = update(text, chat=45)
        body["message"] |= {"chat": forum, "message_thread_id": 77, "is_topic_message": True}
        body["message"]["reply_to_message"] = created  # what Telegram sets on every topic message
        return body

    assert (await post(app, in_topic("anyone know the return window?"), secret)).status == 200
    assert (await post(app, in_topic(f"@{fake.username} what is the return window?"), secret)).status == 200
    await eventually(lambda: fake.texts(-100555))
    await settled(app)
    assert len(fake.texts(-100555)) == 1
    assert int(fake.sent[-1]["message_thread_id"]) == 77


async def test_my_chat_member_marks_a_blocked_person_and_an_unblock_clears_it(app, fake):
    secret = await secret_of(app)
    bot = {"id": fake.bot_id, "is_bot": True, "first_name": "Parley", "username": fake.username}
    person = {"id": 46, "is_bot": False, "first_name": "Ada"}

    def change(status: str) -> dict:
        member = {"chat": {"id": 46, "type": "private", "first_name": "Ada"}, "from": person, "date": 1767225600}
        member |= {
            "old_chat_member": {"user": bot, "status": "member"},
            "new_chat_member": {"user": bot, "status": status},
        }
        return {"update_id": next(_ids), "my_chat_member": member}

    assert (await post(app, change("kicked"), secret)).status == 200
    assert await app.store.get("unreachable:telegram:46") == "blocked"  # before any 403
    address = Address(channel="telegram", chat="46", user="46")
    await app.engine.proactive(address, Reply(text="Your parcel left.", kind="proactive"), "fu:46a")
    await settled(app)
    assert fake.called("sendMessage") == []  # the outbox did not even try
    assert (await post(app, change("member"), secret)).status == 200
    assert await app.store.get("unreachable:telegram:46") is None


async def test_allowed_updates_name_membership_business_joins_and_reactions(app, fake):
    allowed = fake.webhook["allowed_updates"]
    allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
    for kind in ("my_chat_member", "business_message", "chat_join_request", "message_reaction", "edited_message"):
        assert kind in allowed


async def test_a_business_customer_is_answered_through_the_business_connection(app, fake):
    body = update("How long does shipping take?", chat=47)
    body["business_message"] = body.pop("message") | {"business_connection_id": "bc-7"}
    assert (await post(app, body, await secret_of(app))).status == 200
    await eventually(lambda: fake.texts(47))
    assert fake.sent[-1]["business_connection_id"] == "bc-7"


async def test_an_edit_is_not_answered_again_and_corrects_the_transcript(app, fake):
    secret = await secret_of(app)
    first = update("how long does shiping take?", chat=48)
    await post(app, first, secret)
    await eventually(lambda: fake.texts(48))
    edited = {**first["message"], "text": "how long does shipping take to Peru?", "edit_date": 1767225660}
    assert (await post(app, {"update_id": next(_ids), "edited_message": edited}, secret)).status == 200
    await settled(app)
    assert len(fake.texts(48)) == 1
    address = Address(channel="telegram", chat="48", user="48")
    [said] = [e for e in (await app.store.state(address.conversation))["history"] if e["role"] == "user"]
    assert said["text"] == "how long does shipping take to Peru?" and said["edited"]
