"""What linking does to profiles (core/linking/profiles.py, channels.py), what the desk card
shows of a linked customer, and the words that start the /link flow in every pack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from parley.channels.slack.cards import card_post
from parley.core.config.settings import shipped
from parley.core.handoff.card import handoff_card
from parley.core.handoff.cases import Case
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import consent_of, reply_address
from parley.core.linking.flow import parse
from parley.core.linking.profiles import merge, split

from parley.testing.fakes.blockkit import problems

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
WA, WEB = "whatsapp:+4915100000001", "web:s-1"


def test_a_merge_keeps_consent_per_identity_and_the_more_recent_fields():
    wa = {"name": "Ana", "locale": "es", "tags": ["vip"], "last_inbound": 100.0,
          "consent": {"marketing": True, "source": "whatsapp:start"}, "marketing_sent": [50.0]}  # fmt: skip
    web = {"name": "Ana Silva", "locale": "pt-BR", "tags": ["newsletter"], "last_inbound": 200.0,
           "fields": {"plan": "gold"}}  # fmt: skip
    merged = merge(
        wa, WA, web, WEB, [{"role": "user", "text": "b", "at": "2"}, {"role": "user", "text": "a", "at": "1"}]
    )
    assert merged["name"] == "Ana Silva" and merged["locale"] == "pt-BR"  # the web chat wrote last
    assert merged["tags"] == ["newsletter", "vip"] and merged["fields"] == {"plan": "gold"}
    assert merged["marketing_sent"] == [50.0] and merged["last_inbound"] == 200.0
    assert "consent" not in merged
    assert consent_of(merged, WA)["marketing"] is True and consent_of(merged, WEB) == {}
    assert [e["text"] for e in merged["history"]] == ["a", "b"]

    kept, left = split({**merged, "identities": [WA, WEB]}, WEB, "web")
    assert left == {"name": "Ana Silva", "locale": "pt-BR", "last_inbound": 200.0}  # no tags, no WhatsApp consent
    assert consent_of(kept, WA)["marketing"] is True and WEB not in kept["channels"]
    assert kept["tags"] == ["newsletter", "vip"]


def test_replies_go_where_the_customer_wrote_last_unless_pinned():
    wa, web = (
        Address(channel="whatsapp", chat="+4915100000001", user="+4915100000001"),
        Address(channel="web", chat="s-1", user="s-1"),
    )
    profile = {
        "identities": [WA, WEB],
        "channels": {WA: {"seen": 10.0}, WEB: {"seen": 20.0, "address": web.model_dump()}},
    }
    assert reply_address(profile, wa) == web
    assert reply_address(profile, web) == web
    assert reply_address({**profile, "reply_on": WA}, web) == wa
    assert reply_address({"channels": {}}, wa) == wa  # one identity: its own address


def test_the_desk_card_lists_every_channel_last_used_first():
    case = Case(id="c1", kind="handoff", address={"channel": "web", "chat": "s-1", "user": "s-1"}, locale="en",
                opened=1.0, channels=[WA, WEB])  # fmt: skip
    post = card_post("CDESK", handoff_card(case))
    facts = [f["text"] for f in post["blocks"][1]["fields"]]
    assert "*All channels*\nwhatsapp (last used), web" in facts
    assert "All channels: whatsapp (last used), web" in post["text"]
    assert problems(post["blocks"]) == []


def turn(text: str, locale: str = "en") -> Turn:
    address = Address(channel="web", chat="s-1", user="s-1")
    t = Turn(address, datetime.now(UTC), PERSONAS.get(None), LOCALES.get(locale))
    t.inbound = Inbound(address=address, event_id="e", text=text)
    return t


@pytest.mark.parametrize(
    ("text", "locale", "asked"),
    [
        ("/link", "en", ("issue", "")),
        ("/link whatsapp", "en", ("issue", "whatsapp")),
        ("link my whatsapp", "en", ("issue", "whatsapp")),
        ("/link web chat", "en", ("issue", "web")),
        ("LINK 123456", "en", ("redeem", "123456")),
        ("/link 123 456", "en", ("redeem", "123 456")),
        ("/start link-" + "a" * 32, "en", ("redeem", "a" * 32)),
        ("/link here", "en", ("pin", "")),
        ("/unlink", "en", ("unlink", "")),
        ("vincular 123456", "es", ("redeem", "123456")),
        ("vincular mi WhatsApp", "es", ("issue", "whatsapp")),
        ("mein WhatsApp verknüpfen", "de", ("issue", "whatsapp")),
        ("how do I link my whatsapp and sms", "en", None),
        ("vincular mi cuenta", "es", ("issue", "")),
        ("relier mon compte", "fr", ("issue", "")),
        ("verknüpfen", "de", ("issue", "")),
        ("desvincular", "pt-BR", ("unlink", "")),
        ("連携", "ja", ("issue", "")),
        ("取消关联", "zh-CN", ("unlink", "")),
        ("ربط حسابي", "ar", ("issue", "")),
        ("link to your website?", "en", None),
        ("my order 123456 is late", "en", None),
    ],
)
def test_the_link_words_of_every_pack(text, locale, asked):
    assert parse(turn(text, locale)) == asked


def test_every_pack_says_every_linking_message():
    keys = [k for k in LOCALES.get("en").head.messages if k.startswith("link_")]
    assert len(keys) == 14
    for code in LOCALES.codes:
        pack = LOCALES.get(code)
        assert all(k in pack.head.messages for k in keys), code
        assert pack.words("link") and pack.words("unlink"), code
