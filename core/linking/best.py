"""The best channel for a campaign send to a person with several identities (issue 21, item 3).

At send time (not at planning: consent and the WhatsApp window change meanwhile) every identity
of the person is a candidate if the campaign's audience takes it (consent on that channel, the
channel filter, a Telegram chat that exists: audience.exclusion) and the platform lets us write
first: WhatsApp only inside the 24-hour window since the person last wrote there, or with an
approved template for their language. Among those, the campaign's ``channels`` order wins, then
the channel the person answered on most recently. The choice and its reason are recorded per
send (``send:route:<send id>``, shown by the admin API's send listing).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from parley.core.i18n.locales import LocaleCatalog
from parley.core.linking.channels import seen_on
from parley.core.schedule.audience import exclusion, locale_of
from parley.core.schedule.campaigns import WHATSAPP, CampaignSpec, pick
from parley.core.schedule.store import PersonEntry, ScheduleStore
from parley.core.storage.store import Store

WINDOW = 24 * 3600.0  # WhatsApp's customer service window
RECORD_TTL = 90 * 86400.0


class Why(enum.StrEnum):
    ONLY = "only_channel"  # one identity: nothing to choose
    PREFERRED = "campaign_preference"  # first allowed channel in the campaign's order
    RECENT = "answered_most_recently"  # the allowed channel the person last wrote on
    NONE = "no_allowed_channel"  # every identity excluded (consent, window, filter)


@dataclass(frozen=True)
class Choice:
    entry: PersonEntry | None
    why: Why
    window: str = ""  # WhatsApp: "open" (24-hour window) or "template"; "" elsewhere
    left_out: tuple[tuple[str, str], ...] = ()  # (channel, reason) of the identities not chosen

    @property
    def skipped(self) -> str:
        """The outcome of a send nobody can receive: the reason all share, else NONE's."""
        reasons = {reason for _, reason in self.left_out}
        return reasons.pop() if len(reasons) == 1 else self.why.value

    def as_json(self) -> str:
        chosen = self.entry.address.channel if self.entry else ""
        body = {"channel": chosen, "why": self.why.value, "window": self.window, "left_out": list(self.left_out)}
        return json.dumps(body, separators=(",", ":"))


def whatsapp_rule(spec: CampaignSpec, entry: PersonEntry, seen: float, now: float, catalog: LocaleCatalog) -> str:
    """ "open", "template" or "" (may not write first)."""
    if now - seen < WINDOW:
        return "open"
    return "template" if pick(spec.templates, catalog.get(locale_of(entry, catalog))) else ""


def choose(
    spec: CampaignSpec, entries: list[PersonEntry], profile: dict[str, Any], now: float, catalog: LocaleCatalog
) -> Choice:
    allowed: list[tuple[PersonEntry, float, str]] = []
    left_out: list[tuple[str, str]] = []
    for entry in entries:
        seen = max(entry.last_seen, seen_on(profile, entry.person) if "channels" in profile else 0.0)
        reason = exclusion(spec.audience, spec.kind, entry, catalog, now)
        window = ""
        if reason is None and entry.address.channel == WHATSAPP:
            window = whatsapp_rule(spec, entry, seen, now, catalog)
            reason = None if window else "whatsapp_window_closed"
        if reason is not None:
            left_out.append((entry.address.channel, str(reason)))
        else:
            allowed.append((entry, seen, window))
    if not allowed:
        return Choice(None, Why.NONE, left_out=tuple(left_out))
    order = {c: n for n, c in enumerate(spec.channels)}
    best = min(allowed, key=lambda a: (order.get(a[0].address.channel, len(order)), -a[1]))
    left_out += [(e.address.channel, "not_chosen") for e, _, _ in allowed if e is not best[0]]
    if len(entries) == 1:
        why = Why.ONLY
    elif spec.channels and best[0].address.channel in order:
        why = Why.PREFERRED
    else:
        why = Why.RECENT
    return Choice(best[0], why, best[2], tuple(left_out))


async def choose_for(
    store: Store, sched: ScheduleStore, spec: CampaignSpec, person: str, now: float, catalog: LocaleCatalog
) -> Choice | None:
    """The choice for ``person`` (a campaign send's person id); None when nothing of them is
    indexed (erased since planning). One extra read for a person with one identity."""
    identities = await store.identities(person)
    if len(identities) < 2:  # the send's own identity; the turn's gate checks it as before linking
        entry = await sched.person(person)
        return None if entry is None else Choice(entry, Why.ONLY)
    entries = [e for i in identities if (e := await sched.person(i)) is not None]
    if not entries:
        return None
    return choose(spec, entries, await store.profile(person), now, catalog)


async def record(store: Store, send_id: str, choice: Choice) -> None:
    await store.put(f"send:route:{send_id}", choice.as_json(), RECORD_TTL)


async def recorded(store: Store, send_id: str) -> dict[str, Any] | None:
    raw = await store.get(f"send:route:{send_id}")
    return json.loads(raw) if raw else None
