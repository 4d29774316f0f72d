"""Valid payloads, as each platform sends them, for the fuzzer to start from."""

from __future__ import annotations

_USER = {"id": 7, "is_bot": False, "first_name": "Ada", "language_code": "en"}
_PRIVATE = {"id": 7, "type": "private", "first_name": "Ada"}
_GROUP = {"id": -1001234567890, "type": "supergroup", "title": "Shop", "is_forum": True}
_BOT = {"id": 123456, "is_bot": True, "first_name": "Parley", "username": "ParleyTestBot"}

TELEGRAM = [
    {"update_id": 1, "message": {"message_id": 1, "date": 1767225600, "chat": _PRIVATE, "from": _USER, "text": "hi"}},
    {
        "update_id": 2,
        "edited_message": {
            "message_id": 1,
            "date": 1767225600,
            "edit_date": 1767225660,
            "chat": _PRIVATE,
            "from": _USER,
            "text": "how much is shipping",
        },
    },
    {
        "update_id": 3,
        "callback_query": {
            "id": "cb1",
            "from": _USER,
            "data": "/human",
            "message": {"message_id": 9, "date": 1767225600, "chat": _PRIVATE, "reply_markup": {"inline_keyboard": []}},
        },
    },
    {
        "update_id": 4,
        "message": {
            "message_id": 5,
            "message_thread_id": 4,
            "is_topic_message": True,
            "date": 1767225600,
            "chat": _GROUP,
            "from": _USER,
            "text": "@ParleyTestBot hours?",
            "entities": [{"type": "mention", "offset": 0, "length": 14}],
            "reply_to_message": {
                "message_id": 4,
                "date": 1767225500,
                "chat": _GROUP,
                "from": _BOT,
                "forum_topic_created": {"name": "Help", "icon_color": 1},
            },
        },
    },
    {
        "update_id": 5,
        "message": {
            "message_id": 6,
            "date": 1767225600,
            "chat": _GROUP,
            "sender_chat": _GROUP,
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
            "text": "@ParleyTestBot anyone?",
        },
    },
    {
        "update_id": 6,
        "my_chat_member": {
            "chat": _PRIVATE,
            "from": _USER,
            "date": 1767225600,
            "old_chat_member": {"status": "member", "user": _BOT},
            "new_chat_member": {"status": "kicked", "user": _BOT, "until_date": 0},
        },
    },
    {
        "update_id": 7,
        "message": {
            "message_id": 7,
            "date": 1767225600,
            "chat": _PRIVATE,
            "from": _USER,
            "location": {"latitude": 48.85, "longitude": 2.35},
        },
    },
]

SLACK_JSON = [
    {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "hello",
        "ts": "1767225600.000001",
    },
    {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT> hours?", "ts": "1767225600.000002"},
    {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": "in a thread",
        "ts": "1767225600.000003",
        "thread_ts": "1767225600.000001",
    },
    {
        "type": "message",
        "subtype": "message_changed",
        "channel": "D1",
        "channel_type": "im",
        "message": {"user": "U1", "text": "edited", "ts": "1"},
        "ts": "2",
    },
]

SLACK_FORMS = [
    {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ada"},
        "channel": {"id": "D1"},
        "container": {"type": "message", "message_ts": "1767225600.000001", "channel_id": "D1"},
        "team": {"id": "T0TEST"},
        "actions": [
            {
                "action_id": "parley:0",
                "value": "/human",
                "text": {"type": "plain_text", "text": "Human"},
                "action_ts": "1767225601.1",
            }
        ],
    },
    {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T0TEST"},
        "view": {"id": "V1", "callback_id": "x", "state": {"values": {}}},
    },
    {"type": "shortcut", "callback_id": "ask", "user": {"id": "U1"}, "team": {"id": "T0TEST"}, "trigger_id": "t"},
    {
        "type": "block_suggestion",
        "action_id": "pick",
        "block_id": "b",
        "value": "ab",
        "user": {"id": "U1"},
        "team": {"id": "T0TEST"},
    },
]

_SMS = {
    "MessageSid": "SM1",
    "AccountSid": "AC" + "0" * 32,
    "From": "+15551230001",
    "To": "+15005550006",
    "Body": "hi",
    "NumMedia": "0",
}
TWILIO = {
    "sms": _SMS,
    "whatsapp": {
        **_SMS,
        "From": "whatsapp:+15551230001",
        "To": "whatsapp:+14155238886",
        "ProfileName": "Ana",
        "MessageType": "location",
        "Latitude": "48.85",
        "Longitude": "2.35",
        "ReferralSourceUrl": "https://fb.me/ad",
        "ReferralHeadline": "Spring",
        "OriginalRepliedMessageSid": "SM0",
    },
    "status": {"MessageSid": "SM2", "MessageStatus": "delivered", "To": "+15551230001", "ErrorCode": ""},
}

CAMPAIGNS = [
    {
        "id": "spring",
        "kind": "marketing",
        "messages": {"en": "Hi {{ first_name }}, spring sale!"},
        "audience": {"channels": ["web"], "tags": [], "seen_within_days": 30},
        "window": {"days": ["any"], "start": "09:00", "end": "18:00"},
        "timezone": "Europe/Paris",
        "frequency": {"max": 1, "per_days": 7},
        "starts_at": 1767225600,
        "attribution_hours": 72,
    },
    {"value": 12.5},
]

WEB_FRAMES = [
    {"type": "hello", "cid": "abcdefgh12345678", "token": "0" * 64, "locale": "en-US"},
    {"type": "message", "id": "msg-00000001", "text": "how much is shipping"},
    {"type": "button", "id": "btn-00000001", "payload": "/human", "title": "Talk to a person"},
]
