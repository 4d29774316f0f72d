"""The SQLite store's JSON (core/storage/codec.py): orjson's speed, json's rules."""

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parley.core.storage import codec
from parley.core.storage.codec import decode, encode

# What a state or profile holds: JSON values, keys that json turns into strings, any text.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(-5, 5), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_what_is_written_reads_back_as_json_would_read_back_its_own(value):
    assert decode(encode(value)) == json.loads(json.dumps(value))
    assert json.loads(encode(value)) == json.loads(json.dumps(value))  # plain JSON for every other reader


def test_text_json_wrote_reads_back_nan_and_escapes_included():
    old = json.dumps({"t": "café ☕", "score": float("nan"), "big": 2**80})
    read = decode(old)
    assert read["t"] == "café ☕" and read["big"] == 2**80 and read["score"] != read["score"]


def test_integers_past_64_bits_stay_exact_both_ways():
    for big in (2**64, -(2**63) - 1, 10**30):
        assert decode(encode({"n": big})) == {"n": big}


def test_nan_and_infinity_are_written_as_null_which_json_reads():
    read = decode(encode({"a": float("nan"), "b": float("inf")}))
    if codec.orjson is not None:
        assert read == {"a": None, "b": None}
    else:  # without orjson, json as before: NaN and Infinity, read back as such
        assert read["a"] != read["a"] and read["b"] == float("inf")


def test_keys_become_strings_as_json_makes_them():
    assert decode(encode({2: "a", True: "b", None: "c", 1.5: "d"})) == {"2": "a", "true": "b", "null": "c", "1.5": "d"}


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, tzinfo=UTC), Point(1), {1, 2}, object()])
def test_what_json_refuses_is_refused_as_json_refuses_it(value):
    with pytest.raises(TypeError):
        json.dumps({"v": value})
    with pytest.raises(TypeError):
        encode({"v": value})


def test_a_first_key_that_looks_like_json_text_still_reads_back():
    for value in ({'a": b': 2**70}, {"a\\": 1, "b": 2**70}, {"": 2**70}, {"k": ""}):
        assert decode(encode(value)) == value
