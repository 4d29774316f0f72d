"""The JSON the SQLite store writes on every turn: the conversation's state and the person's
profile. A web chat conversation's state is about 10 KB (40 transcript entries), and json's encoder
on it was about 6% of a turn's CPU; orjson writes the same in a twentieth of the time.

Reading stays json's: orjson reads an integer past 64 bits as a float, json keeps it exact.
Writing keeps json's rules where orjson's differ: keys that are not strings are written as
strings, a value json refuses (a datetime, a dataclass, a set) is refused here too, and what
orjson cannot write (an integer past 64 bits) goes through json. Two differences remain in the
text: non-ASCII as UTF-8 rather than \\u escapes (it reads back the same), and NaN or Infinity
as null (json wrote them, though JSON has neither).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(value: object) -> None:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)  # json writes it, or raises what it always raised


decode = json.loads
