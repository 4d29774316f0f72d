"""The Discord channel through the real discord.py against a loopback fake REST API + gateway."""

from __future__ import annotations

import asyncio

import pytest
from parley.channels.discord.channel import TYPING_AT_ONCE, DiscordChannel
from parley.core.kernel.channel import RetryAfter, Unreachable
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Button, Reply

from parley.app import Bot
from parley.testing.fakes.discord import BOT_ID, TOKEN, FakeDiscord, button_press, message
from parley.testing.fakes.recording import context
from tests.conftest import eventually

DM = 700  # a DM channel id
GUILD, TEXT = 800, 801


@pytest.fixture
async def fake():
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def app(fake, make_settings):
    settings = make_settings(discord={"token": TOKEN, "api_base": fake.api_base, "gateway_url": fake.gateway_url})
    async with Bot(settings) as app:
        await eventually(fake.identified.is_set)
        yield app


async def test_ready_then_a_dm_is_answered(app, fake):
    assert fake.identifies == 1
    await fake.dispatch("MESSAGE_CREATE", message(9001, DM, 42, "what are your opening hours?"))
    await eventually(lambda: fake.posts)
    post = fake.posts[0]
    assert post["channel_id"] == str(DM)
    assert post["content"]
    assert post["enforce_nonce"] is True and len(post["nonce"]) <= 25
    assert post["allowed_mentions"]["parse"] == []  # no @everyone, roles or users pinged
    assert "message_reference" not in post


async def test_a_guild_mention_is_answered_in_a_thread(app, fake):
    mention = message(9100, TEXT, 43, f"<@{BOT_ID}> do you ship abroad?", guild=GUILD, mentions=[BOT_ID])
    await fake.dispatch("MESSAGE_CREATE", mention)
    await eventually(lambda: fake.posts)
    assert fake.threads[0]["id"] == "9100" and fake.threads[0]["parent_id"] == str(TEXT)
    assert "ship abroad" in fake.threads[0]["name"] and "<@" not in fake.threads[0]["name"]
    assert fake.posts[0]["channel_id"] == "9100"  # the thread started from the mention


async def test_guild_chatter_without_a_mention_is_ignored(app, fake):
    await fake.dispatch("MESSAGE_CREATE", message(9200, TEXT, 43, "hello all", guild=GUILD))
    await fake.dispatch("MESSAGE_CREATE", message(9201, DM, 43, "hi"))
    await eventually(lambda: fake.posts)
    assert [p["channel_id"] for p in fake.posts] == [str(DM)]


async def test_a_button_round_trip(app, fake):
    await fake.dispatch("INTERACTION_CREATE", button_press(9301, DM, 44, "/human", locale="en-GB"))
    await eventually(lambda: fake.posts)
    assert fake.callbacks[0]["type"] == 6  # acknowledged (deferred update) within Discord's 3 s
    assert fake.posts[0]["channel_id"] == str(DM)
    assert "no one from our team" in fake.posts[0]["content"]  # the payload "/human" reached the pipeline
    profile = await app.store.profile("discord:44")
    assert profile.get("locale") == "en"  # from interaction.locale, the user's client language


async def test_a_button_in_a_mention_thread_stays_in_that_conversation(app, fake):
    mention = message(9350, TEXT, 43, f"<@{BOT_ID}> hello", guild=GUILD, mentions=[BOT_ID])
    await fake.dispatch("MESSAGE_CREATE", mention)
    await eventually(lambda: len(fake.posts) == 1)
    await fake.dispatch("INTERACTION_CREATE", button_press(9351, 9350, 43, "/human", guild=GUILD, parent=TEXT))
    await eventually(lambda: len(fake.posts) >= 2)
    assert "no one from our team" in fake.posts[1]["content"]
    assert {p["channel_id"] for p in fake.posts} == {"9350"} and len(fake.threads) == 1
    state = await app.store.state(f"discord:{TEXT}:9350")
    assert [h["role"] for h in state["history"]][:3] == ["user", "bot", "user"]


async def test_reconnect_resume_replay_is_answered_once(app, fake):
    await fake.dispatch("MESSAGE_CREATE", message(9401, DM, 45, "where is my order?"))
    await eventually(lambda: len(fake.posts) == 1)
    fake.replay_overlap = 2  # Discord replays the last events, one the bot already answered
    await fake.reconnect()
    await eventually(fake.resumed.is_set)
    await fake.dispatch("MESSAGE_CREATE", message(9402, DM, 45, "and the returns policy?"))
    await eventually(lambda: len(fake.posts) == 2)
    assert fake.paths[-1] == "/resume"  # the resume_gateway_url READY gave, not the default
    assert fake.resumes == 1 and fake.identifies == 1  # resumed the session, no new IDENTIFY
    assert app.metrics.duplicates.labels("discord")._value.get() == 1
    assert len(fake.posts) == 2


@pytest.fixture
async def channel(fake):
    async def deliver(inbound):
        return True

    channel = DiscordChannel(
        context(deliver, ManualClock()), token=TOKEN, api_base=fake.api_base, gateway_url=fake.gateway_url
    )
    yield channel
    await channel.close()


DM_ADDRESS = Address(channel="discord", chat=str(DM), user="46")


def reply(text: str, **extra) -> Reply:
    return Reply(text=text, meta={"id": "discord:9500:r0"}, **extra)


async def test_typing_hints_past_a_few_in_flight_are_dropped(channel, fake):
    fake.typing_held = asyncio.Event()  # Discord slow to answer: the first hints stay in flight
    hints = [asyncio.create_task(channel.typing(Address(channel="discord", chat=str(DM + n)))) for n in range(12)]
    await eventually(lambda: len(fake.typing) == TYPING_AT_ONCE)
    await asyncio.sleep(0.05)
    assert sum(task.done() for task in hints) == 12 - TYPING_AT_ONCE  # dropped at once, never queued
    fake.typing_held.set()
    await asyncio.gather(*hints)
    assert len(fake.typing) == TYPING_AT_ONCE
    await channel.typing(DM_ADDRESS)  # room again once the calls answered
    assert len(fake.typing) == TYPING_AT_ONCE + 1


async def test_typing_shows_in_the_dm_or_the_parent_until_the_thread_exists(channel, fake):
    await channel.typing(DM_ADDRESS)
    await channel.typing(Address(channel="discord", chat=str(TEXT), user="46", thread="9999"))
    assert fake.typing == [str(DM), str(TEXT)]


async def test_a_429_with_via_is_retried_by_discord_py(channel, fake):
    fake.failures.append(
        (429, {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}, {"Via": "1.1 google"})
    )
    await channel.send(DM_ADDRESS, reply("hello"))
    assert fake.attempts == 2 and len(fake.posts) == 1


async def test_a_long_429_becomes_retry_after(channel, fake):
    fake.failures.append((429, {"message": "slow down", "retry_after": 120.0, "global": False}, {"Via": "1.1 google"}))
    with pytest.raises(RetryAfter) as caught:
        await channel.send(DM_ADDRESS, reply("hello"))
    assert caught.value.seconds == 120.0 and not fake.posts


async def test_a_403_on_a_dm_is_unreachable(channel, fake):
    fake.failures.append((403, {"message": "Cannot send messages to this user", "code": 50007}, {}))
    with pytest.raises(Unreachable):
        await channel.send(DM_ADDRESS, reply("hello"))


async def test_a_403_on_a_dm_marks_the_person_unreachable(app, fake):
    fake.failures.append((403, {"message": "Cannot send messages to this user", "code": 50007}, {}))
    await fake.dispatch("MESSAGE_CREATE", message(9601, DM, 47, "hi"))
    assert await eventually(lambda: app.store.get("unreachable:discord:47"))


async def test_long_replies_split_buttons_ride_on_the_last_part(channel, fake):
    text = ("Sentence number one is here. " * 150).strip()
    buttons = (Button(title="Talk to a person", payload="/human"), Button(title="Shipping", payload="shipping"))
    await channel.send(DM_ADDRESS, reply(text, buttons=buttons))
    assert len(fake.posts) == 3 and all(len(p["content"]) <= 2000 for p in fake.posts)
    assert "components" not in fake.posts[0]
    row = fake.posts[-1]["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in row] == [("Talk to a person", "/human"), ("Shipping", "shipping")]
    assert len({p["nonce"] for p in fake.posts}) == 3


async def test_an_outbox_retry_posts_nothing_twice(channel, fake):
    first = await channel.send(DM_ADDRESS, reply("hello"))
    again = await channel.send(DM_ADDRESS, reply("hello"))  # same outbox id: same nonce
    assert first == again and len(fake.posts) == 1
    assert fake.identifies == 0  # REST only: a process without the gateway sends too
    # What lets the outbox record a Discord send with the store's next group commit.
    assert channel.capabilities.dedupes_resends


async def test_a_long_reply_sent_again_after_a_crash_posts_no_part_twice(channel, fake):
    text = ("Sentence number one is here. " * 150).strip()
    first = await channel.send(DM_ADDRESS, reply(text))
    again = await channel.send(DM_ADDRESS, reply(text))  # the lease ran out before the record
    assert first == again and len(fake.posts) == 3


async def test_everyone_in_user_text_pings_nobody(channel, fake):
    await channel.send(DM_ADDRESS, reply("you wrote: @everyone <@&5> <@6>"))
    assert fake.posts[0]["allowed_mentions"]["parse"] == []


async def test_a_reply_where_threads_are_not_allowed(channel, fake):
    fake.forbid_threads = True
    address = Address(channel="discord", chat=str(TEXT), user="48", thread="9700")
    await channel.send(address, reply("hello"))
    assert fake.posts[0]["channel_id"] == str(TEXT)
    assert fake.posts[0]["message_reference"]["message_id"] == "9700"


async def test_a_streamed_answer_is_edited_in_place(channel, fake):
    clock = channel.clock

    async def chunks():
        for word in ["Our ", "shop ", "opens ", "at ", "nine."]:
            clock.advance(0.6)
            yield word

    message_id = await channel.stream(DM_ADDRESS, chunks())
    assert len(fake.posts) == 1 and fake.posts[0]["content"] == "Our "
    assert fake.edits[-1]["content"] == "Our shop opens at nine." and fake.edits[-1]["id"] == message_id
    assert len(fake.edits) < 4  # throttled: not one edit per chunk
    # the final reply (parley.core.kernel.streaming) becomes a last edit with its buttons, not a second post
    final = reply("Our shop opens at nine.", buttons=(Button(title="Hours", payload="hours"),))
    final = final.model_copy(update={"replaces": message_id})
    assert await channel.send(DM_ADDRESS, final) == message_id
    assert len(fake.posts) == 1 and fake.edits[-1]["components"][0]["components"][0]["custom_id"] == "hours"


async def test_a_stream_past_2000_characters_continues_in_a_new_message(channel, fake):
    async def chunks():
        for _ in range(60):
            channel.clock.advance(2)
            yield "A sentence of about fifty characters, more or less. "

    await channel.stream(DM_ADDRESS, chunks())
    finals = {p["id"]: p["content"] for p in fake.posts} | {e["id"]: e["content"] for e in fake.edits}
    assert len(fake.posts) == 2 and all(len(t) <= 2000 for t in finals.values())
    assert sum(len(t) for t in finals.values()) >= 60 * 50


async def test_a_press_whose_ack_expired_still_reaches_the_pipeline(app, fake):
    fake.expire_interactions = True
    await fake.dispatch("INTERACTION_CREATE", button_press(9801, DM, 49, "/human"))
    await eventually(lambda: fake.posts)
    assert not fake.callbacks and "no one from our team" in fake.posts[0]["content"]


async def test_an_event_is_kept_while_the_store_is_down(fake):
    from types import SimpleNamespace as NS

    from parley.core.storage.store import StoreUnavailable

    delivered = []

    async def deliver(inbound):
        if not delivered:
            delivered.append(None)
            raise StoreUnavailable("down")
        delivered.append(inbound)
        return True

    channel = DiscordChannel(context(deliver, ManualClock()), token=TOKEN, api_base=fake.api_base)
    channel.redeliver_delay = 0.01
    author = NS(id=50, bot=False, global_name=None, name="u50")
    await channel.on_message(NS(id=9901, content="hi", channel=NS(id=DM), author=author, mentions=[], attachments=[]))
    await eventually(lambda: len(delivered) == 2)
    assert delivered[1].event_id == "9901"
    await channel.close()


async def test_a_sticker_alone_in_a_dm_is_small_talk_not_an_empty_message(app, fake):
    waved = message(9801, DM, 48, "")
    waved["sticker_items"] = [{"id": "749054660769218631", "name": "Wave", "format_type": 1}]
    await fake.dispatch("MESSAGE_CREATE", waved)
    await eventually(lambda: fake.posts)
    said = fake.posts[0]["content"]
    assert "didn't catch" not in said and "only read text" not in said
    assert "Ask me about" in said  # the persona's greeting: a sticker first is a wave


@pytest.mark.parametrize("kind", [3, 6, 7, 18], ids=["call", "pins_add", "new_member", "thread_created"])
async def test_system_messages_are_ignored(app, fake, kind):
    system = message(9810 + kind, DM, 49, "")
    system["type"] = kind
    await fake.dispatch("MESSAGE_CREATE", system)
    await fake.dispatch("MESSAGE_CREATE", message(9830 + kind, DM, 49, "what are your opening hours?"))
    await eventually(lambda: fake.posts)
    await app.outbox.flush(timeout=2)
    assert len(fake.posts) == 1 and "didn't catch" not in fake.posts[0]["content"]


async def test_an_unreadable_dispatch_is_dropped_and_the_session_goes_on(app, fake, caplog):
    await fake.dispatch("MESSAGE_CREATE", message(9901, DM, 50, "what are your opening hours?"))
    broken = message(9902, DM, 50, "lost")
    del broken["channel_id"]  # discord.py's parser indexes it
    await fake.dispatch("MESSAGE_CREATE", broken)
    await fake.dispatch("MESSAGE_CREATE", message(9903, 701, 51, "do you ship abroad?"))
    await eventually(lambda: {p["channel_id"] for p in fake.posts} == {str(DM), "701"})
    assert fake.identifies == 1 and fake.resumes == 0  # no reconnect, no fresh IDENTIFY
    dropped = [r for r in caplog.records if "gateway event dropped" in r.getMessage()]
    assert len(dropped) == 1 and not dropped[0].exc_info


async def test_an_unparsable_frame_is_dropped_and_the_session_goes_on(app, fake, caplog):
    await fake.dispatch("MESSAGE_CREATE", message(9911, DM, 53, "what are your opening hours?"))
    await fake.send_raw('{"op": 0, "t": "MESSAGE_CREATE", "s": 99, "d": {"id": "99')  # cut mid-frame
    await fake.send_raw("[1, 2, 3]")  # JSON, but not a gateway payload
    await fake.send_raw("<html>502 Bad Gateway</html>")  # a proxy's page, not JSON
    await fake.dispatch("MESSAGE_CREATE", message(9912, 702, 54, "do you ship abroad?"))
    await eventually(lambda: {p["channel_id"] for p in fake.posts} == {str(DM), "702"})
    assert fake.identifies == 1 and fake.resumes == 0 and fake.paths == ["/gateway"]  # the same connection
    dropped = [r for r in caplog.records if "gateway frame dropped" in r.getMessage()]
    assert len(dropped) == 3 and not any(r.exc_info for r in dropped)


async def test_an_edit_is_not_answered_again_and_corrects_the_transcript(app, fake):
    first = message(9951, DM, 52, "how long does shiping take?")
    await fake.dispatch("MESSAGE_CREATE", first)
    await eventually(lambda: fake.posts)
    edited = {
        **first,
        "content": "how long does shipping take to Peru?",
        "edited_timestamp": "2026-01-01T00:01:00+00:00",
    }
    await fake.dispatch("MESSAGE_UPDATE", edited)
    unfurled = {**edited, "edited_timestamp": None, "embeds": [{"type": "link", "url": "https://example.com"}]}
    await fake.dispatch("MESSAGE_UPDATE", unfurled)  # Discord adding a link preview: not an edit

    async def corrected():
        history = (await app.store.state(f"discord:{DM}:")).get("history", [])
        return [e["text"] for e in history if e["role"] == "user"] == ["how long does shipping take to Peru?"]

    await eventually(corrected)
    await app.outbox.flush(timeout=2)
    assert len(fake.posts) == 1
