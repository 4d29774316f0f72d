"""The pure Telegram translators: update -> Inbound, text -> HTML, button payload -> callback_data."""

from __future__ import annotations

import pytest
from parley.channels.telegram.translate import (
    BotIdentity,
    MalformedUpdate,
    callback_data,
    escape,
    is_long_payload,
    membership,
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
    assert inbound.message_id == "5"  # the edited message: what the edit rule finds it by
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


# Real update shapes (Bot API docs: Message, forum topics, automatic forwards, anonymous admins).
BOT = {"id": 99, "is_bot": True, "first_name": "Shop", "username": "ShopBot"}
FORUM = {"id": -100555, "type": "supergroup", "title": "Support", "is_forum": True}


def _topic_created(thread: int) -> dict:
    """The service message that opens a forum topic (here created by the bot itself)."""
    return {
        "message_id": thread,
        "date": 1767225000,
        "chat": FORUM,
        "from": BOT,
        "message_thread_id": thread,
        "forum_topic_created": {"name": "Orders", "icon_color": 7322096},
        "is_topic_message": True,
    }


def test_a_message_in_a_topic_the_bot_created_is_not_a_reply_to_the_bot():
    plain = message("anyone know the return window?", chat=FORUM, is_topic_message=True, message_thread_id=77)
    plain["message"]["reply_to_message"] = _topic_created(77)
    assert to_inbound(plain, ME) is None
    mentioned = message("@ShopBot return window?", chat=FORUM, is_topic_message=True, message_thread_id=77)
    mentioned["message"]["reply_to_message"] = _topic_created(77)
    inbound = to_inbound(mentioned, ME)
    assert inbound.address.thread == "77" and inbound.reply_to == ""


def test_a_real_reply_to_the_bot_inside_a_topic_is_answered():
    answer = {**_topic_created(77), "message_id": 80, "text": "30 days"}
    del answer["forum_topic_created"]
    reply = message("and for sale items?", chat=FORUM, is_topic_message=True, message_thread_id=77)
    reply["message"]["reply_to_message"] = answer
    inbound = to_inbound(reply, ME)
    assert inbound is not None and inbound.reply_to == "80" and inbound.address.thread == "77"


def test_a_channel_post_forwarded_automatically_into_its_discussion_group_is_ignored():
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    channel = {"id": -100999, "type": "channel", "title": "Shop news"}
    update = message("New arrivals! Ask @ShopBot about sizes", chat=GROUP, is_automatic_forward=True)
    update["message"].update({"from": telegram, "sender_chat": channel, "forward_origin": {"type": "channel"}})
    assert to_inbound(update, ME) is None


def test_an_anonymous_group_admin_who_mentions_the_bot_is_answered():
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    update = message("@ShopBot what are your opening hours?", chat=GROUP, sender_chat=GROUP)
    update["message"]["from"] = anonymous
    inbound = to_inbound(update, ME)
    assert inbound is not None and inbound.text == "what are your opening hours?"
    assert inbound.address.user == "-100123" and inbound.user_name == "Shop fans"


def test_a_post_on_behalf_of_another_channel_is_not_answered():
    channel_bot = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
    update = message("@ShopBot hi", chat=GROUP, sender_chat={"id": -100999, "type": "channel", "title": "News"})
    update["message"]["from"] = channel_bot
    assert to_inbound(update, ME) is None


def _member(status: str, chat=PRIVATE) -> dict:
    change = {
        "chat": chat,
        "from": USER,
        "date": 1767225600,
        "old_chat_member": {"user": BOT, "status": "member"},
        "new_chat_member": {"user": BOT, "status": status, "until_date": 0},
    }
    return {"update_id": 70, "my_chat_member": change}


def test_my_chat_member_in_a_private_chat_says_blocked_or_unblocked():
    blocked = membership(_member("kicked"))
    assert blocked.person == "telegram:7" and not blocked.reachable
    assert membership(_member("member")).reachable
    assert membership(_member("kicked", chat=GROUP)) is None  # a group learns it per send
    assert membership(message("hi")) is None
    for broken in ({"chat": [], "new_chat_member": {}}, {"chat": PRIVATE, "new_chat_member": []}, []):
        assert membership({"update_id": 9, "my_chat_member": broken}) is None  # never raises
    assert to_inbound(_member("kicked"), ME) is None


def test_business_messages_from_the_customer_are_answered_through_the_connection():
    update = message("do you have this in blue?", business_connection_id="bc-1")
    update["business_message"] = update.pop("message")
    inbound = to_inbound(update, ME)
    assert inbound.address.thread == "business:bc-1" and inbound.address.chat == "7"
    owner = message("yes we do", business_connection_id="bc-1")
    owner["message"]["from"] = {"id": 555, "is_bot": False, "first_name": "Owner"}
    owner["business_message"] = owner.pop("message")
    assert to_inbound(owner, ME) is None  # the business owner answering their customer


def test_join_requests_and_reactions_are_received_and_left_alone():
    join = {"chat": GROUP, "from": USER, "user_chat_id": 7, "date": 1767225600}
    reaction = {"chat": PRIVATE, "message_id": 5, "date": 1, "old_reaction": [], "new_reaction": []}
    assert to_inbound({"update_id": 71, "chat_join_request": join}, ME) is None
    assert to_inbound({"update_id": 72, "message_reaction": reaction}, ME) is None


def test_venues_and_contacts_are_typed():
    venue = {"location": {"latitude": 52.52, "longitude": 13.40}, "title": "Shop", "address": "Main St 1"}
    inbound = to_inbound(message(venue=venue), ME)
    assert (inbound.location.latitude, inbound.location.name, inbound.location.address) == (52.52, "Shop", "Main St 1")
    card = {"phone_number": "+4915112345678", "first_name": "Ada", "last_name": "L"}
    [contact] = to_inbound(message(contact=card), ME).contacts
    assert contact.name == "Ada L" and contact.phones == ("+4915112345678",)
