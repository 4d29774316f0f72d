"""What a profile keeps per channel identity, read and written the same way whether the person
has one identity (the record is the profile's own ``consent`` and ``last_inbound``, as before
linking existed) or several (``profile["channels"][identity]``, core/linking/profiles.py).

Marketing consent is per identity: an opt-in on SMS is not one on WhatsApp, and a STOP on one
channel stops that channel. Replies that nobody is waiting for on a given channel (a follow-up,
an agent's answer) go where the person last wrote, unless they pinned a channel (``/link here``).
"""

from __future__ import annotations

import json
from typing import Any

from parley.core.kernel.messages import Address


def linked(profile: dict[str, Any]) -> bool:
    return len(profile.get("identities", ())) > 1


def consent_of(profile: dict[str, Any], identity: str) -> dict[str, Any]:
    if "channels" in profile:
        return dict(profile["channels"].get(identity, {}).get("consent") or {})
    return dict(profile.get("consent") or {})


def set_consent(profile: dict[str, Any], identity: str, record: dict[str, Any]) -> None:
    if "channels" in profile:
        profile["channels"].setdefault(identity, {})["consent"] = record
    else:
        profile["consent"] = record


CONSENT_HISTORY = 20  # consent changes kept per identity


def record_consent(profile: dict[str, Any], identity: str, marketing: bool, at: str, source: str) -> dict[str, Any]:
    """Set ``identity``'s marketing consent, keeping the last changes before it (the console
    shows the history); returns the change. The customer's STOP/START and an operator's change
    (core/privacy/consent.py) write it the same way."""
    change = {"marketing": marketing, "at": at, "source": source}
    history = [*consent_of(profile, identity).get("history", []), change][-CONSENT_HISTORY:]
    set_consent(profile, identity, {**change, "history": history})
    return change


def consent_record(marketing: bool, at: str, source: str) -> str:
    """The channel's own record (``consent:<identity>``, as channels/twilio/consent.py keeps
    it), which every send checks: written beside the profile's."""
    return json.dumps({"status": "opted_in" if marketing else "opted_out", "at": at, "source": source})


def note_seen(profile: dict[str, Any], address: Address, now: float) -> None:
    """The person wrote on ``address`` now (the WhatsApp window, the best channel, replies)."""
    profile["last_inbound"] = now
    if "channels" in profile:
        record = profile["channels"].setdefault(address.person, {})
        record["seen"] = now
        record["address"] = address.model_dump(exclude_defaults=True)


def seen_on(profile: dict[str, Any], identity: str) -> float:
    if "channels" in profile:
        return float(profile["channels"].get(identity, {}).get("seen", 0.0))
    return float(profile.get("last_inbound", 0.0))


def address_of(profile: dict[str, Any], identity: str) -> Address:
    """Where to write to ``identity``: the address it last wrote from, else its own chat (a
    WhatsApp or SMS number, a web chat, a Telegram private chat)."""
    known = profile.get("channels", {}).get(identity, {}).get("address")
    if known:
        return Address.model_validate(known)
    channel, _, chat = identity.partition(":")
    return Address(channel=channel, chat=chat, user=chat)


def reply_address(profile: dict[str, Any], address: Address) -> Address:
    """Where a message to this conversation's person goes: the pinned identity, else the one
    they last wrote on, else ``address`` itself (a person with one identity)."""
    if not linked(profile):
        return address
    pinned = profile.get("reply_on", "")
    if pinned in profile["identities"]:
        return address_of(profile, pinned)
    latest = max(profile["identities"], key=lambda i: seen_on(profile, i))
    if latest == address.person or seen_on(profile, latest) <= seen_on(profile, address.person):
        return address
    return address_of(profile, latest)
