"""The pure Telegram translators: update -> Inbound, text -> HTML, button payload -> callback_data."""

from __future__ import annotations

import pytest
from parley.channels.telegram.translate import (
    BotIdentity,
    MalformedUpdate,
    callback_data,
    escape,
    is_long_payload,
    to_inbound,
)

from parley.testing.fakes.telegram import parse_html

ME = BotIdentity(id=99, username="ShopBot")
USER = {"id": 7, "is_bot": False, "first_name": "Ada", "last_name": "L", "language_code": "pt-BR"}
PRIVATE = {"id": 7, "type": "private"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Shop fans"}


def message(text: str = "hi", chat=PRIVATE, update_id: int = 1, **extra) -> dict:
    msg = {"message_id": 5, "date": 1767225600, "chat": chat, "from": USER, "text": text, **extra}
    return {"update_id": update_id, "message": msg}


def test_private_message_becomes_inbound_with_update_id_locale_and_name():
    inbound = to_inbound(message("where is my parcel?", update_id=42), ME)
    assert inbound is not None
    assert inbound.event_id == "42"
    assert inbound.text == "where is my parcel?"
    assert inbound.address.channel == "telegram"
    assert (inbound.address.chat, inbound.address.user) == ("7", "7")
    assert inbound.locale_hint == "pt-BR"
    assert inbound.user_name == "Ada L"


def test_start_deep_link_payload_passes_through_and_loses_the_bot_suffix():
    assert to_inbound(message("/start promo_42"), ME).text == "/start promo_42"
    group = message(
        "/start@ShopBot promo_42", chat=GROUP, entities=[{"type": "bot_command", "offset": 0, "length": 14}]
    )
    assert to_inbound(group, ME).text == "/start promo_42"


def test_group_chatter_is_ignored():
    assert to_inbound(message("anyone here?", chat=GROUP), ME) is None


def test_group_mention_is_answered_without_the_mention():
    inbound = to_inbound(message("@ShopBot do you ship to Peru?", chat=GROUP), ME)
    assert inbound is not None and inbound.text == "do you ship to Peru?"
    assert inbound.address.chat == "-100123" and inbound.address.user == "7"


def test_group_reply_to_the_bot_is_answered():
    replied = {"message_id": 4, "date": 1, "chat": GROUP, "from": {"id": 99, "is_bot": True, "first_name": "Shop"}}
    assert to_inbound(message("and to Chile?", chat=GROUP, reply_to_message=replied), ME) is not None


def test_command_for_another_bot_is_ignored_in_groups():
    update = message("/start@OtherBot", chat=GROUP, entities=[{"type": "bot_command", "offset": 0, "length": 15}])
    assert to_inbound(update, ME) is None


def test_group_message_before_getme_is_not_answered():
    assert to_inbound(message("@ShopBot hi", chat=GROUP), None) is None


def test_forum_topic_is_its_own_thread():
    update = message("@ShopBot hi", chat=GROUP, is_topic_message=True, message_thread_id=12)
    assert to_inbound(update, ME).address.thread == "12"


def test_callback_query_becomes_a_button_with_title_and_callback_id():
    markup = {"inline_keyboard": [[{"text": "Talk to a person", "callback_data": "/human"}]]}
    update = {
        "update_id": 9,
        "callback_query": {
            "id": "cb1",
            "from": USER,
            "chat_instance": "x",
            "data": "/human",
            "message": {"message_id": 5, "date": 1, "chat": PRIVATE, "reply_markup": markup},
        },
    }
    inbound = to_inbound(update, ME)
    assert inbound.kind == "button" and inbound.payload == "/human"
    assert inbound.meta["title"] == "Talk to a person" and inbound.meta["callback_id"] == "cb1"
    assert inbound.address.chat == "7"


@pytest.mark.parametrize(
    ("extra", "kind", "url"),
    [
        (
            {"photo": [{"file_id": "s", "width": 90, "height": 90}, {"file_id": "L", "width": 800, "height": 600}]},
            "image",
            "tg-file:L",
        ),
        ({"voice": {"file_id": "v1", "duration": 3, "mime_type": "audio/ogg"}}, "audio", "tg-file:v1"),
        ({"sticker": {"file_id": "st", "emoji": "😀"}}, "sticker", "tg-file:st"),
        ({"location": {"latitude": 52.5, "longitude": 13.4}}, "location", "geo:52.5,13.4"),
    ],
)
def test_media_become_attachments(extra, kind, url):
    update = {"update_id": 3, "message": {"message_id": 1, "date": 1, "chat": PRIVATE, "from": USER, **extra}}
    inbound = to_inbound(update, ME)
    assert inbound.text == ""
    assert [(a.kind, a.url) for a in inbound.attachments] == [(kind, url)]


def test_photo_caption_is_the_text():
    update = message(photo=[{"file_id": "p", "width": 1, "height": 1}], caption="is this in stock?")
    del update["message"]["text"]
    assert to_inbound(update, ME).text == "is this in stock?"


def test_edited_text_is_an_edit_and_live_location_updates_are_dropped():
    edit = {
        "update_id": 4,
        "edited_message": {
            "message_id": 5,
            "date": 1,
            "edit_date": 2,
            "chat": PRIVATE,
            "from": USER,
            "text": "fixed typo",
        },
    }
    inbound = to_inbound(edit, ME)
    assert inbound.kind == "edit" and inbound.text == "fixed typo"
    live = {
        "update_id": 5,
        "edited_message": {
            "message_id": 6,
            "date": 1,
            "chat": PRIVATE,
            "from": USER,
            "location": {"latitude": 1, "longitude": 2},
        },
    }
    assert to_inbound(live, ME) is None


def test_other_bots_and_unknown_updates_are_ignored():
    bot = {"id": 5, "is_bot": True, "first_name": "B"}
    assert (
        to_inbound(
            {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": PRIVATE, "from": bot, "text": "x"}}, ME
        )
        is None
    )
    assert to_inbound({"update_id": 2, "my_chat_member": {}}, ME) is None


@pytest.mark.parametrize("bad", [[], "x", {"message": {}}, {"update_id": "1"}, {"update_id": 1, "message": "nope"}])
def test_malformed_updates_raise(bad):
    with pytest.raises(MalformedUpdate):
        to_inbound(bad, ME)


@pytest.mark.parametrize("text", ["<b>bold</b>", "*_[`]~", "a & b &amp; c", "😀 שלום עולם مرحبا", "</pre><script>"])
def test_escape_round_trips_through_telegram_html(text):
    assert parse_html(escape(text)) == text


def test_long_payloads_get_a_digest_that_fits_64_bytes():
    assert callback_data("/human") == "/human"
    long = callback_data("order:" + "x" * 100)
    assert len(long.encode()) <= 64 and is_long_payload(long)
    assert not is_long_payload("/human")
