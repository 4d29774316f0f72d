"""The door: bounded, valid-Unicode JSON or one typed refusal, whatever arrives."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parley.core.kernel.door import MAX_INT, BadInput, clean, parse_json, strict_int
from parley.core.kernel.messages import Address, Inbound


def test_lone_surrogates_become_replacement_characters_everywhere():
    value = parse_json(b'{"text": "a\\ud800b", "\\udfff": ["\\ud83d\\ude00 ok"]}')
    assert value == {"text": "a\ufffdb", "\ufffd": ["\U0001f600 ok"]}  # a real pair stays an emoji
    json.dumps(value).encode()  # and the store's encoder takes it


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100 + b"]" * 100, "too_deep"),
        (b"[" * 100_000, "too_deep"),  # deeper than Python's own recursion limit
        (b'{"date": 1e400}', "number_range"),
        (b'{"id": 123456789012345678901234567890}', "number_range"),
        (b"[NaN]", "malformed"),
        (b"{", "malformed"),
        (b"\xff\xfe{}", "bad_encoding"),
        (b" " * (1024 * 1024 + 1), "too_big"),
    ],
)
def test_what_the_door_refuses(raw, reason):
    with pytest.raises(BadInput) as refused:
        parse_json(raw)
    assert refused.value.reason == reason


def test_depth_at_the_limit_passes():
    assert parse_json("[" * 64 + "]" * 64, max_depth=64) is not None
    with pytest.raises(BadInput):
        parse_json("[" * 65 + "]" * 65, max_depth=64)


def test_strict_int_refuses_booleans_floats_and_out_of_range():
    assert strict_int(5) == 5
    assert strict_int(True) is None and strict_int(1.0) is None and strict_int("5") is None
    assert strict_int(MAX_INT + 1) is None and strict_int(-1, 0) is None


def test_messages_hold_valid_unicode_whatever_a_channel_gives_them():
    address = Address(channel="web", chat="c\ud800", user="u")
    inbound = Inbound(address=address, event_id="e\udfff", text="x\ud800", meta={"k\ud800": "v\udc00"})
    dumped = inbound.model_dump_json().encode()
    assert b"\\ud8" not in dumped and inbound.text == "x\ufffd" and inbound.meta == {"k\ufffd": "v\ufffd"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_are_refused_with_a_reason(raw):
    try:
        value = parse_json(raw)
    except BadInput as exc:
        assert exc.reason in ("too_big", "bad_encoding", "malformed", "too_deep", "number_range")
        return
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # always valid Unicode out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, categories=None), max_size=60))
def test_clean_always_gives_encodable_text(text):
    cleaned = clean(text)
    cleaned.encode("utf-8")
    assert len(cleaned) <= len(text)  # one U+FFFD per lone half; a split pair joins
