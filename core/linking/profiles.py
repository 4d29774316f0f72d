"""How two profiles become one when identities are linked, and how one splits when an identity
leaves. Pure functions over the profile dicts (the store writes the result atomically).

Per person: name, locale, time zone, tags, custom fields, the frequency cap's sends, the
transcript. Per identity (``channels``): marketing consent (consent on SMS is not consent on
WhatsApp) and when the customer last wrote there (the best channel, the WhatsApp window).
"""

from __future__ import annotations

import copy
from typing import Any

HISTORY = 40  # entries kept in a linked person's transcript (as core/kernel/middleware.py)
# The customer themselves: an identity that leaves keeps a copy (it is still the same human).
PERSONAL = ("name", "locale", "locale_source", "tz")


def channels(profile: dict[str, Any], identity: str) -> dict[str, dict[str, Any]]:
    """The per-identity records; a profile that was never linked belongs to ``identity`` alone,
    and its top-level ``consent`` and ``last_inbound`` are that identity's."""
    if "channels" in profile:
        return profile["channels"]
    own: dict[str, Any] = {}
    if profile.get("consent"):
        own["consent"] = profile["consent"]
    if profile.get("last_inbound"):
        own["seen"] = profile["last_inbound"]
    return {identity: own} if own else {}


def merge(
    keep: dict[str, Any],
    keep_identity: str,
    join: dict[str, Any],
    join_identity: str,
    transcript: list[dict[str, Any]],
) -> dict[str, Any]:
    """The profile of a person after ``join_identity`` (with its own profile ``join``) joined
    the person whose profile is ``keep``. The more recently active side wins a field both
    have; tags are united; per-identity records are kept apart."""
    keep_first = keep.get("last_inbound", 0) >= join.get("last_inbound", 0)
    newer, older = (keep, join) if keep_first else (join, keep)
    out = copy.deepcopy(older)
    out.update(copy.deepcopy(newer))
    out["tags"] = sorted({*keep.get("tags", ()), *join.get("tags", ())})
    if not out["tags"]:
        del out["tags"]
    out["fields"] = {**(older.get("fields") or {}), **(newer.get("fields") or {})}
    if not out["fields"]:
        del out["fields"]
    sent = sorted({*keep.get("marketing_sent", ()), *join.get("marketing_sent", ())})
    if sent:
        out["marketing_sent"] = sent
    out["channels"] = {**channels(keep, keep_identity), **channels(join, join_identity)}
    out.pop("consent", None)  # per identity now (``channels``)
    out.pop("indexed", None)  # the people index is rewritten on the next turn
    out["last_inbound"] = max(keep.get("last_inbound", 0), join.get("last_inbound", 0))
    out["history"] = sorted(transcript, key=lambda e: e.get("at", ""))[-HISTORY:]
    return out


def split(profile: dict[str, Any], identity: str, channel: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the person keeps, the leaving identity's own profile). The identity takes its own
    consent and last-seen record, a copy of the personal fields (its conversation keeps its
    own part of the transcript, core/linking/thread.py); tags, custom fields, caps and the rest of the transcript stay with the person."""
    kept = copy.deepcopy(profile)
    records = kept.get("channels", {})
    own = records.pop(identity, {})
    history = kept.get("history", [])
    kept["history"] = [e for e in history if e.get("via") != channel]
    left: dict[str, Any] = {k: copy.deepcopy(profile[k]) for k in PERSONAL if k in profile}
    if own.get("consent"):
        left["consent"] = own["consent"]
    if own.get("seen"):
        left["last_inbound"] = own["seen"]
    kept.pop("indexed", None)
    return kept, left
