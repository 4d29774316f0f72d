"""Who a campaign reaches, and why each person it does not reach is left out.

The audience builder's filters (channel, tags, locale, last seen, custom profile fields, consent)
are one pydantic model; ``exclusion`` returns the first reason a person is out, or None. Tags and
field values compare case-insensitively ("VIP" and "vip" are one tag): marketers type them, and a
filter that silently selects nobody because of a capital letter is the worst kind of wrong.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from parley.core.i18n.locales import LocaleCatalog
from parley.core.schedule.store import PersonEntry
from pydantic import BaseModel, ConfigDict, Field

DAY = 86400.0


class Out(StrEnum):
    """Why a person is not in the audience (the preview counts each)."""

    NOT_LISTED = "not_listed"  # an imported list names others
    CHANNEL = "channel"
    TAGS = "tags"
    LOCALE = "locale"
    LAST_SEEN = "last_seen"
    FIELDS = "fields"
    OPTED_OUT = "opted_out"  # said STOP: nothing proactive reaches them
    NO_CONSENT = "no_consent"  # marketing needs an explicit opt-in
    NEVER_WROTE = "never_wrote"  # a Telegram bot cannot speak first
    NO_WINDOW = "no_window"  # the window never opens in their zone and locale


# Reasons that are the marketer's filters (the person was never targeted) and reasons that
# exclude someone the filters chose: the preview lists the second kind by person.
TARGETING = frozenset({Out.NOT_LISTED, Out.CHANNEL, Out.TAGS, Out.LOCALE, Out.LAST_SEEN, Out.FIELDS})


class Audience(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    channels: list[str] = []  # empty: every channel
    tags: list[str] = []  # all of them must be on the person (case-insensitive)
    locales: list[str] = []
    seen_within_days: float | None = Field(None, gt=0, le=36500)
    not_seen_within_days: float | None = Field(None, gt=0, le=36500)  # win-back: quiet this long
    fields: dict[str, str] = {}  # custom profile fields that must equal these (case-insensitive)
    # None: the kind's rule (marketing: opted in; transactional: not opted out).
    consent: Literal["opted_in", "not_opted_out"] | None = None
    persons: list[str] = []  # an explicit list (a CSV import), on top of the filters


def fold(values: object) -> set[str]:
    return {str(v).strip().casefold() for v in values or ()}  # type: ignore[union-attr]


def locale_of(entry: PersonEntry, catalog: LocaleCatalog) -> str:
    return catalog.match(entry.locale) or catalog.default


def exclusion(aud: Audience, kind: str, entry: PersonEntry, catalog: LocaleCatalog, now: float) -> Out | None:
    """The first reason ``entry`` is left out of ``aud``, or None when it is in."""
    if aud.persons and entry.person not in aud.persons:
        return Out.NOT_LISTED
    if aud.channels and entry.address.channel not in aud.channels:
        return Out.CHANNEL
    if aud.tags and not fold(aud.tags) <= fold(entry.tags):
        return Out.TAGS
    if aud.locales and locale_of(entry, catalog) not in aud.locales:
        return Out.LOCALE
    if aud.seen_within_days and entry.last_seen < now - aud.seen_within_days * DAY:
        return Out.LAST_SEEN
    if aud.not_seen_within_days and entry.last_seen >= now - aud.not_seen_within_days * DAY:
        return Out.LAST_SEEN
    have = {k.casefold(): str(v).strip().casefold() for k, v in entry.fields.items()}
    if any(have.get(k.casefold()) != str(v).strip().casefold() for k, v in aud.fields.items()):
        return Out.FIELDS
    if entry.consent is False:
        return Out.OPTED_OUT
    rule = aud.consent or ("opted_in" if kind == "marketing" else "not_opted_out")
    if rule == "opted_in" and entry.consent is not True:
        return Out.NO_CONSENT
    if entry.address.channel == "telegram" and not entry.last_seen:
        return Out.NEVER_WROTE
    return None
