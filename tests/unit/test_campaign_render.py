"""A campaign message as each recipient gets it: locale fallback, WhatsApp template, delivery policy."""

from __future__ import annotations

from parley.channels.twilio.whatsapp import template_for
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.messages import Address
from parley.core.schedule.campaigns import parse_spec, render
from parley.core.schedule.store import PersonEntry

CATALOG = LocaleCatalog.load(shipped("locales"))


def entry(channel: str, locale: str) -> PersonEntry:
    address = Address(channel=channel, chat="+15550001", user="+15550001")
    return PersonEntry(address.person, address, locale, "", (), 1.0, True, "Ana Silva")


def test_whatsapp_recipients_get_the_template_the_twilio_channel_sends():
    spec = parse_spec({"id": "k", "messages": {"en": "Hi {first_name}"}, "templates": {"en": "HX1"}})
    reply = render(spec, entry("whatsapp", "en"), CATALOG)
    assert reply.text == "Hi Ana" and reply.meta["delivery"] == "at_most_once"
    template = template_for({}, reply, "en")
    assert template.content_sid == "HX1" and '"Ana Silva"' in template.variables


def test_locale_falls_back_along_the_pack_chain_and_transactional_is_at_least_once():
    spec = parse_spec({"id": "k", "kind": "transactional", "messages": {"en": "Your order shipped"}})
    reply = render(spec, entry("web", "xx-unknown"), CATALOG)
    assert reply.text == "Your order shipped" and reply.meta["delivery"] == "at_least_once"
    assert "template_sid" not in reply.meta
