"""Pure Discord translators, with plain stand-ins for discord.py objects."""

from __future__ import annotations

from types import SimpleNamespace as NS

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route
from parley.channels.discord.endpoints import point_sdk_at
from parley.channels.discord.translate import (
    components,
    inbound_from_interaction,
    inbound_from_message,
    nonce,
)
from parley.core.kernel.messages import Button, Reply

BOT = 1000
DM = NS(id=70)  # a DMChannel has no guild
TEXT = NS(id=80, guild_id=5)  # an uncached guild channel (PartialMessageable)
THREAD = NS(id=81, guild=NS(id=5), parent_id=80)  # a cached Thread


def msg(content="hi", channel=DM, author=42, bot=False, mentions=(), attachments=(), mid=900):
    return NS(
        id=mid,
        content=content,
        channel=channel,
        author=NS(id=author, bot=bot, global_name=None, name=f"user{author}"),
        mentions=[NS(id=m) for m in mentions],
        attachments=list(attachments),
    )


def test_a_dm_is_addressed_to_its_dm_channel():
    inbound = inbound_from_message(msg("hello"), BOT)
    assert inbound is not None
    assert (inbound.address.chat, inbound.address.user, inbound.address.thread) == ("70", "42", "")
    assert inbound.event_id == "900" and inbound.text == "hello" and inbound.user_name == "user42"


def test_bots_and_our_own_messages_are_ignored():
    assert inbound_from_message(msg(bot=True), BOT) is None
    assert inbound_from_message(msg(author=BOT), BOT) is None


def test_guild_messages_count_only_when_they_mention_the_bot():
    assert inbound_from_message(msg("hello all", channel=TEXT), BOT) is None
    inbound = inbound_from_message(msg(f"<@{BOT}> where is <@!{BOT}> my order?", channel=TEXT, mentions=[BOT]), BOT)
    assert inbound is not None and inbound.text == "where is  my order?"
    # answered in a thread started from the message: Discord gives it the message's id
    assert (inbound.address.chat, inbound.address.thread) == ("80", "900")


def test_a_message_in_a_thread_belongs_to_that_thread():
    inbound = inbound_from_message(msg(f"<@{BOT}> thanks", channel=THREAD, mentions=[BOT], mid=901), BOT)
    assert inbound is not None and (inbound.address.chat, inbound.address.thread) == ("80", "81")


def test_attachments_keep_their_kind():
    files = [NS(content_type="image/png", url="https://cdn/x.png"), NS(content_type=None, url="https://cdn/y")]
    inbound = inbound_from_message(msg("", attachments=files), BOT)
    assert inbound is not None and [a.kind for a in inbound.attachments] == ["image", "file"]


def press(custom_id="/human", locale=NS(value="pt-BR"), kind=3, channel=DM, message=None):
    return NS(
        id=55,
        type=NS(value=kind),
        data={"custom_id": custom_id, "component_type": 2},
        channel=channel,
        user=NS(id=42, global_name="Ana", name="ana"),
        locale=locale,
        message=message,
    )


def test_a_button_press_carries_payload_title_and_locale():
    shown = NS(components=[NS(children=[NS(custom_id="/human", label="Talk to a person")])], reference=None)
    inbound = inbound_from_interaction(press(message=shown))
    assert inbound is not None
    assert (inbound.kind, inbound.payload, inbound.meta["title"]) == ("button", "/human", "Talk to a person")
    assert inbound.locale_hint == "pt-BR" and inbound.event_id == "i55" and inbound.user_name == "Ana"


def test_other_interactions_and_odd_data_are_safe():
    assert inbound_from_interaction(press(kind=2)) is None  # a slash command, not a button
    odd = press(custom_id="x" * 500, locale=None)
    odd.data = {"component_type": 2} | {"custom_id": "x" * 500}
    inbound = inbound_from_interaction(odd)
    assert inbound is not None and len(inbound.payload) == 100 and inbound.locale_hint == ""


def test_a_press_on_a_reply_fallback_keeps_the_mention_conversation():
    shown = NS(components=[], reference=NS(message_id=900))
    inbound = inbound_from_interaction(press(channel=TEXT, message=shown))
    assert inbound is not None and (inbound.address.chat, inbound.address.thread) == ("80", "900")


def test_nonce_is_stable_short_and_distinct_per_part():
    reply = Reply(text="x", meta={"id": "discord:900:r0"})
    assert nonce(reply, 0) == nonce(reply, 0) and nonce(reply, 0) != nonce(reply, 1)
    assert len(nonce(reply, 0) or "") == 25
    assert nonce(Reply(text="x"), 0) is None  # a streamed answer has no outbox id


def test_buttons_go_in_rows_of_five_within_discord_limits():
    buttons = tuple(Button(title=f"b{n}" * 50, payload=f"p{n}" * 60) for n in range(30))
    rows = components(Reply(text="x", buttons=buttons))
    assert [(r["type"], len(r["components"])) for r in rows] == [(1, 5)] * 5
    assert all(len(b["label"]) <= 80 and len(b["custom_id"]) <= 100 for r in rows for b in r["components"])


def test_endpoints_are_set_and_restored():
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    restore = point_sdk_at("http://127.0.0.1:9/api/v10/", "ws://127.0.0.1:9/gateway")
    assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:9/gateway")
    restore()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before
    point_sdk_at("", "")()  # nothing configured: Discord's own endpoints stay
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before


def test_malformed_endpoints_stop_start_up_naming_the_variable():
    import pytest
    from parley.core.config.settings import Settings, describe_error
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, discord={"token": "t", "gateway_url": "https://gateway.discord.gg"})
    assert describe_error(caught.value).startswith("PARLEY_DISCORD__GATEWAY_URL: must be an absolute ws(s) URL")


def test_refused_sends_map_to_outbox_outcomes():
    from parley.channels.discord.translate import send_failure
    from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable

    limited = send_failure(429, 0, "", "7", dm=True)
    assert isinstance(limited, RetryAfter) and limited.seconds == 7.0
    assert isinstance(send_failure(429, 0, "", "soon", dm=True), RetryAfter)
    assert isinstance(send_failure(403, 50007, "Cannot send messages to this user", "", dm=True), Unreachable)
    assert isinstance(send_failure(403, 50013, "Missing Permissions", "", dm=False), Rejected)
    assert isinstance(send_failure(404, 10003, "Unknown Channel", "", dm=False), Rejected)
    assert send_failure(502, 0, "Bad Gateway", "", dm=True) is None
