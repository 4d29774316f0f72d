"""SMS consent: the carrier keywords (CTIA, and what Twilio's own opt-out handling recognises),
and the record of each person's choice, with time and source, in the store.

The record lives under ``consent:{person}`` in the key-value store rather than in the profile:
a turn commits the profile it loaded, so a STOP written beside a running turn could be
overwritten by it; a key of its own is never raced. It is checked at every send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from parley.core.kernel.clock import Clock, as_datetime
from parley.core.storage.store import KeyValueStore

Keyword = Literal["opt_out", "opt_in", "help"]

# Twilio's default opt-out keywords; matched on the whole message, case-insensitively.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

# The locale-pack message that confirms each keyword.
CONFIRMATION: dict[Keyword, str] = {"opt_out": "opted_out", "opt_in": "opted_in", "help": "help"}
# Reply.meta marker of the one message allowed to reach an opted-out number.
STOP_CONFIRMATION = "stop_confirmation"


def keyword(body: str) -> Keyword | None:
    """The consent keyword a message is, if it is one ("stop", " Stop. " count; "stop it" does not)."""
    word = body.strip().rstrip(".!").strip().upper()
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    if word in HELP:
        return "help"
    return None


@dataclass(frozen=True)
class Consent:
    status: Literal["opted_in", "opted_out"]
    at: str  # ISO 8601, UTC
    source: str  # "sms:STOP", "twilio:21610", ...


class ConsentBook:
    def __init__(self, store: KeyValueStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def get(self, person: str) -> Consent | None:
        raw = await self.store.get(f"consent:{person}")
        if not raw:
            return None
        data = json.loads(raw)
        return Consent(data["status"], data["at"], data["source"])

    async def opted_out(self, person: str) -> bool:
        record = await self.get(person)
        return record is not None and record.status == "opted_out"

    async def record(self, person: str, status: Literal["opted_in", "opted_out"], source: str) -> Consent:
        consent = Consent(status, as_datetime(self.clock()).isoformat(timespec="seconds"), source)
        await self.store.put(f"consent:{person}", json.dumps(consent.__dict__))
        if status == "opted_in":
            # The outbox remembers unreachable people to skip proactive sends; START lifts it.
            await self.store.delete(f"unreachable:{person}")
        return consent
