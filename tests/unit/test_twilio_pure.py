"""Pure parts of the Twilio channels: signatures, translation, consent words, segments, templates."""

from __future__ import annotations

import json

import pytest
from multidict import MultiDict, MultiDictProxy
from parley.channels.twilio.consent import keyword
from parley.channels.twilio.inbound import MalformedWebhook, to_inbound, verify
from parley.channels.twilio.rest import BaseUrlHttpClient
from parley.channels.twilio.segments import count, fit, fold
from parley.channels.twilio.whatsapp import template_for
from parley.core.kernel.messages import Reply
from twilio.request_validator import RequestValidator

from parley.testing.fakes.twilio import sign

# The example published in Twilio's webhook security docs.
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_published_signature_vector_with_our_signer_and_the_sdk_validator():
    assert sign("12345", VECTOR_URL, VECTOR_PARAMS) == VECTOR_SIGNATURE
    params = MultiDictProxy(MultiDict(VECTOR_PARAMS))
    assert verify(RequestValidator("12345"), VECTOR_URL, params, VECTOR_SIGNATURE)


def test_signature_covers_every_parameter_and_the_url():
    validator = RequestValidator("12345")
    extra = MultiDictProxy(MultiDict({**VECTOR_PARAMS, "Injected": "1"}))
    assert not verify(validator, VECTOR_URL, extra, VECTOR_SIGNATURE)
    params = MultiDictProxy(MultiDict(VECTOR_PARAMS))
    assert not verify(validator, "https://mycompany.com/other.php?foo=1&bar=2", params, VECTOR_SIGNATURE)
    assert not verify(validator, VECTOR_URL, params, "")


def test_sms_form_to_inbound():
    inbound = to_inbound("sms", {"MessageSid": "SM1", "From": "+15550001", "To": "+15559999", "Body": "hi"})
    assert inbound.address.chat == "+15550001" and inbound.address.person == "sms:+15550001"
    assert inbound.event_id == "SM1" and inbound.text == "hi"


def test_whatsapp_form_strips_prefix_and_carries_media():
    form = {
        "MessageSid": "MM1",
        "From": "whatsapp:+15550001",
        "To": "whatsapp:+14155238886",
        "Body": "",
        "ProfileName": "Ana",
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/m/0",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/m/1",
        "MediaContentType1": "application/pdf",
    }
    inbound = to_inbound("whatsapp", form)
    assert inbound.address.person == "whatsapp:+15550001" and inbound.user_name == "Ana"
    assert [(a.kind, a.mime) for a in inbound.attachments] == [("image", "image/jpeg"), ("file", "application/pdf")]


def test_whatsapp_template_button_is_a_button():
    form = {"MessageSid": "MM2", "From": "whatsapp:+1555", "ButtonPayload": "/human", "ButtonText": "Talk"}
    inbound = to_inbound("whatsapp", form)
    assert inbound.kind == "button" and inbound.payload == "/human"


@pytest.mark.parametrize(
    "form", [{}, {"MessageSid": "SM1"}, {"From": "+1555"}, {"MessageSid": "S", "From": "+1", "NumMedia": "x"}]
)
def test_malformed_forms(form):
    with pytest.raises(MalformedWebhook):
        to_inbound("sms", form)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", "opt_out"),
        (" stop ", "opt_out"),
        ("Unsubscribe.", "opt_out"),
        ("stopall", "opt_out"),
        ("cancel", "opt_out"),
        ("end", "opt_out"),
        ("quit", "opt_out"),
        ("START", "opt_in"),
        ("yes", "opt_in"),
        ("unstop", "opt_in"),
        ("HELP", "help"),
        ("info", "help"),
        ("stop sending me that", None),
        ("where is my order", None),
    ],
)
def test_consent_keywords(body, expected):
    assert keyword(body) == expected


def test_segment_counting_gsm7_and_ucs2():
    assert count("a" * 160) == count("a" * 160) and count("a" * 160).count == 1
    assert count("a" * 161).count == 2 and count("a" * 306).count == 2 and count("a" * 307).count == 3
    assert count("€" * 80).units == 160 and count("€" * 80).encoding == "GSM-7"  # extension: 2 septets each
    assert count("é" * 160).count == 1  # é is in the GSM-7 basic table
    assert count("ç" * 70).encoding == "UCS-2" and count("ç" * 70).count == 1 and count("ç" * 71).count == 2
    assert count("😀" * 35).units == 70  # outside the BMP: two UTF-16 units each


def test_smart_punctuation_folds_to_gsm7():
    assert fold("It’s “fine” – really…") == 'It\'s "fine" - really...'
    assert count(fold("It’s fine")).encoding == "GSM-7"


def test_fit_keeps_choices_and_stays_within_the_budget():
    text = "Our shop is open every day. " * 40
    choices = "1. Shipping\n2. Talk to a person"
    body = fit(text, choices, 3)
    assert count(body).count <= 3
    assert body.endswith("...\n\n" + choices)
    assert fit("short", choices, 3) == "short\n\n" + choices
    emoji = "Thanks 😀 " * 60
    assert count(fit(emoji, "", 2)).count <= 2


def test_base_url_rewrite_keeps_path_and_query():
    client = BaseUrlHttpClient.__new__(BaseUrlHttpClient)
    from urllib.parse import urlsplit

    client.base = urlsplit("http://127.0.0.1:9999/proxy")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1"
    assert client.rewrite(url) == "http://127.0.0.1:9999/proxy/2010-04-01/Accounts/AC1/Messages.json?PageSize=1"


def test_template_lookup_by_kind_and_locale():
    templates = {"proactive:pt-BR": "HXpt", "reminder:es": "HXes", "proactive": "HXany"}
    reply = Reply(text="Your order shipped", kind="proactive")
    assert template_for(templates, reply, "pt-BR").content_sid == "HXpt"
    assert template_for(templates, reply, "fr").content_sid == "HXany"
    assert json.loads(template_for(templates, reply, "fr").variables) == {"1": "Your order shipped"}
    reminder = Reply(text="x", kind="proactive", meta={"template": "reminder", "template_vars": '{"1": "Ana"}'})
    assert template_for(templates, reminder, "es-MX").variables == '{"1": "Ana"}'
    assert template_for(templates, reminder, "de") is None
