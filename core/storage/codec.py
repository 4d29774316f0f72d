"""The JSON the SQLite store writes and reads on every turn: the conversation's state and the
person's profile. A web chat conversation's state is about 10 KB (40 transcript entries), and
json's encoder and decoder on it were about 8% of a turn's CPU; orjson writes it in a twentieth
of the time and reads it in about a third.

json's rules are kept where orjson's differ. Writing: keys that are not strings are written as
strings, a value json refuses (a datetime, a dataclass, a set) is refused here too, and what
orjson cannot write (an integer past 64 bits) goes through json. Reading: orjson reads an integer
past 64 bits as a float, so only text orjson wrote here is read with orjson. It is told apart by
its first key: orjson writes ``{"key":value`` with no space, json ``{"key": value``, so text json
wrote (before this module, the integers past 64 bits, or another writer) is read by json. Two
differences remain in what is written: non-ASCII as UTF-8 rather than \\u escapes (it reads back
the same), and NaN or Infinity as null (json wrote them, though JSON has neither).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # a virtualenv made before orjson joined requirements.lock: json alone, as before
    orjson = None

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS if orjson else 0


def _refuse(value: object) -> None:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(value: Any) -> str:
    if orjson is None:
        return json.dumps(value)
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)  # json writes it, or raises what it always raised


def decode(text: str) -> Any:
    if orjson is not None and text.startswith('{"'):
        end = text.find('":', 2)
        if end > 0 and text[end + 2 : end + 3] not in (" ", "") and "\\" not in text[2:end]:
            return orjson.loads(text)
    return json.loads(text)
