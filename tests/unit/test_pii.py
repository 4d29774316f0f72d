"""PII redaction before text leaves for a model, and restoration in the reply."""

from __future__ import annotations

import pytest
from parley.core.privacy.pii import Redactor, StreamRestorer, luhn, redact


@pytest.mark.parametrize(
    "text",
    [
        "write to jo.doe+shop@example.co.uk",
        "call +44 20 7946 0958",
        "call (555) 123-4567",
        "my number is 555-123-4567",
        "local 555-1234",
        "card 4111 1111 1111 1111",
        "card 5500-0000-0000-0004",
        "IBAN GB82 WEST 1234 5698 7654 32",
        "IBAN DE89370400440532013000",
    ],
)
def test_pii_is_redacted(text):
    out = redact(text)
    assert out != text and "[" in out
    assert not any(ch.isdigit() for ch in out.split("[")[0][-3:])


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567 arrived",  # a 7-digit order number is not a phone
        "on 2026-01-02 at 10:30",  # nor is a date
        "card 4111 1111 1111 1112",  # fails Luhn: not a card
        "sizes 38 40 42",
    ],
)
def test_look_alikes_are_kept(text):
    assert redact(text) == text


def test_iban_needs_its_checksum():
    # The digits of a mistyped IBAN may still be held back (as a number), never as an IBAN.
    assert "[IBAN" not in redact("IBAN GB00 WEST 1234 5698 7654 32")


def test_luhn():
    assert luhn("4111111111111111") and not luhn("4111111111111112")


def test_restore_round_trip_and_stable_numbering():
    r = Redactor()
    out = r.redact("a@b.example and again a@b.example, card 4111111111111111")
    assert out == "[EMAIL_1] and again [EMAIL_1], card [CARD_2]"
    assert r.restore("Sent to [EMAIL_1]; card [CARD_2]") == "Sent to a@b.example; card 4111111111111111"
    assert r.restore("unknown [EMAIL_9] stays") == "unknown [EMAIL_9] stays"


def test_stream_restorer_waits_for_a_split_placeholder():
    r = Redactor()
    r.redact("mail me: jo@example.com")
    s = StreamRestorer(r)
    parts = [s.feed(c) for c in ["Sure, ", "I'll mail [EM", "AIL_", "1] today", " [see 2"]]
    parts.append(s.flush())
    assert parts[:2] == ["Sure, ", "I'll mail "]
    assert "".join(parts) == "Sure, I'll mail jo@example.com today [see 2"


@pytest.mark.parametrize(
    "key",
    [
        "sk-live-4eC39HqLyjWDarjtT1zdp7dc",
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
        "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t",
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_pasted_api_keys_are_redacted_and_restored(key):
    redactor = Redactor()
    out = redactor.redact(f"my key is {key}, can you check it?")
    assert key not in out and "[SECRET_1]" in out
    assert redactor.restore(out) == f"my key is {key}, can you check it?"


def test_a_private_key_block_is_redacted_whole():
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----"
    assert redact(f"here: {pem} thanks") == "here: [SECRET_1] thanks"


@pytest.mark.parametrize("text", ["chat=-1001234567890", "conversation=telegram:-1001987654321:", "sk-8 is a model"])
def test_negative_telegram_chat_ids_and_short_words_are_not_redacted(text):
    assert redact(text) == text
