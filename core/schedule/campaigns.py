"""A campaign is one record (docs/campaigns.md): audience, message per locale, local-time window, quiet
hours and frequency policy, status. Not a million jobs: the planner materialises its sends.

Everything a marketer can get wrong is refused at creation with a message that says what to fix:
an unknown locale, a window that never opens, a time zone that does not exist, an empty audience,
a WhatsApp template missing for a locale of the audience.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from parley.core.i18n.locales import LocaleCatalog, LocalePack
from parley.core.kernel.clock import as_datetime
from parley.core.kernel.messages import Reply
from parley.core.schedule.audience import Audience, locale_of
from parley.core.schedule.store import PersonEntry
from parley.core.schedule.template import TemplateError, fill, validate
from parley.core.schedule.timing import DAYS, TimingError, Window, hhmm, next_opening, resolve, zone
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

WHATSAPP = "whatsapp"  # WhatsApp outside the 24 h window accepts only approved templates
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last instant a datetime can hold


class CampaignError(ValueError):
    """Bad input, refused at creation; the message names the field and what to fix."""


class Strict(BaseModel):
    # No inf or NaN: every number here ends up in date arithmetic, where they raise or never end.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class WindowSpec(Strict):
    days: list[str] = ["weekdays"]
    start: str = "10:00"
    end: str = "18:00"

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        known = (*DAYS, "weekdays", "any")
        bad = [d for d in value if d.lower()[:3] not in known and d.lower() not in known]
        if bad:
            raise ValueError(f"unknown day(s) {', '.join(bad)}: use mon..sun, weekdays or any")
        return [d.lower() if d.lower() in known else d.lower()[:3] for d in value]

    def window(self) -> Window:
        return Window(tuple(self.days), hhmm(self.start), hhmm(self.end))


class Frequency(Strict):
    max: int = Field(1, ge=1, le=1000)  # at most this many marketing messages per person...
    per_days: float = Field(7, gt=0, le=3650)  # ...in this many days, across all campaigns


class CampaignSpec(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    name: str = ""
    kind: Literal["marketing", "transactional"] = "marketing"
    audience: Audience = Audience()
    messages: dict[str, str] = {}  # locale -> text, may use {name}
    templates: dict[str, str] = {}  # locale -> WhatsApp Content SID
    # None: weekdays 10:00-18:00, or with ``starts_on`` any day from ``local_time`` (see ``effective_window``).
    window: WindowSpec | None = None
    timezone: str = "UTC"  # for people whose time zone is unknown
    frequency: Frequency = Frequency()
    attribution_hours: float = Field(72, ge=0, le=24 * 3650)
    rate: float = Field(0, ge=0, le=10_000)  # sends per second to spread over; 0: the channel's own rate
    # Not before this instant: an ISO 8601 date-time with an offset ("2026-12-03T10:00:00+01:00")
    # or epoch seconds; kept as epoch seconds.
    starts_at: float = Field(0, ge=0, le=MAX_EPOCH)
    # Or a local wall time in each recipient's own zone: "tomorrow 10:00 local" is
    # ``starts_on: <tomorrow's date>, local_time: "10:00"``.
    starts_on: date | None = None
    local_time: str | None = Field(None, pattern=r"^\d{1,2}:\d{2}$")
    # For a person with linked identities (core/linking/best.py): the channels to prefer, in
    # order, among those consent and the platform's rules allow; then the one they last wrote on.
    channels: list[str] = Field(default_factory=list, max_length=16)

    @field_validator("starts_at", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO date-time like 2026-12-03T10:00:00+01:00") from None
        if moment.tzinfo is None:
            raise ValueError("give an offset (+01:00 or Z), or starts_on + local_time for each recipient's own zone")
        return moment.timestamp()

    def effective_window(self) -> WindowSpec:
        """The window as given; else, with ``starts_on``, any day from ``local_time`` for up to 8
        hours (quiet hours still apply), so "tomorrow 10:00" is not pushed past a weekend."""
        if self.window is not None:
            return self.window
        if self.starts_on is None:
            return WindowSpec()
        start = hhmm(self.local_time or "10:00")
        end_minutes = min(start.hour * 60 + start.minute + 8 * 60, 23 * 60 + 59)
        return WindowSpec(days=["any"], start=f"{start:%H:%M}", end=f"{end_minutes // 60:02d}:{end_minutes % 60:02d}")

    def start_for(self, tz: Any) -> float:
        """The first instant a recipient in zone ``tz`` may get it."""
        if self.starts_on is None:
            return self.starts_at
        return max(self.starts_at, resolve(self.starts_on, hhmm(self.local_time or "00:00"), tz))


def parse_spec(body: Any) -> CampaignSpec:
    try:
        return CampaignSpec.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "campaign"
        raise CampaignError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None


def pick(table: dict[str, str], pack: LocalePack) -> str | None:
    """The text (or template) for a pack, along its fallback chain (pt-BR -> pt -> en)."""
    for link in pack.chain:
        if link.code in table:
            return table[link.code]
    return None


def render(spec: CampaignSpec, entry: PersonEntry, catalog: LocaleCatalog) -> Reply:
    pack = catalog.get(locale_of(entry, catalog))
    # Marketing is at-most-once in the ambiguous window (a crash mid-send): better one missed
    # than one sent twice. Transactional messages are at-least-once.
    delivery = "at_most_once" if spec.kind == "marketing" else "at_least_once"
    meta = {"campaign": spec.id, "kind": spec.kind, "lang": pack.code, "delivery": delivery}
    template = pick(spec.templates, pack) if entry.address.channel == WHATSAPP else None
    if template:
        # channels/twilio/whatsapp.py sends it as ContentSid outside the 24-hour window.
        meta["template_sid"] = template
        meta["template_vars"] = json.dumps({"1": entry.name or ""}, ensure_ascii=False)
    text = pick(spec.messages, pack) or ""
    values = {"name": entry.name or "", "first_name": (entry.name or "").split(" ")[0]}
    return Reply(text=fill(text, values), kind="proactive", meta=meta)


def check_spec(spec: CampaignSpec, catalog: LocaleCatalog, now: float) -> None:
    """Refuse what can be known wrong without looking at the audience."""
    for field, table in (("messages", spec.messages), ("templates", spec.templates)):
        unknown = sorted(code for code in table if code not in catalog.files)
        if unknown:
            raise CampaignError(f"{field}: unknown locale(s) {', '.join(unknown)} (known: {', '.join(catalog.codes)})")
    unknown = sorted(code for code in spec.audience.locales if code not in catalog.files)
    if unknown:
        raise CampaignError(f"audience.locales: unknown locale(s) {', '.join(unknown)}")
    if not spec.messages and not spec.templates:
        raise CampaignError("messages: give a text for at least one locale")
    for code, text in spec.messages.items():
        try:
            validate(text)
        except TemplateError as exc:
            raise CampaignError(f"messages.{code}: {exc}") from None
    try:
        tz = zone(spec.timezone)
        window = spec.effective_window().window()
    except TimingError as exc:
        raise CampaignError(f"timezone/window: {exc}") from None
    shown = spec.effective_window()
    if window.start >= window.end:
        raise CampaignError(f"window: end {shown.end} must be after start {shown.start}")
    if spec.starts_on is not None and spec.local_time is None:
        raise CampaignError("local_time: give the local time of day to send on starts_on, e.g. 10:00")
    # A day of slack: "today" in UTC is already tomorrow east of it.
    if spec.starts_on is not None and (as_datetime(now).date() - spec.starts_on).days > 1:
        raise CampaignError(f"starts_on: {spec.starts_on} is in the past")
    if spec.local_time is not None:
        try:
            hhmm(spec.local_time)
        except TimingError as exc:
            raise CampaignError(f"local_time: {exc}") from None
    if spec.audience.consent == "not_opted_out" and spec.kind == "marketing":
        raise CampaignError("audience.consent: marketing reaches only people who opted in")
    codes = spec.audience.locales or list(spec.messages) or [catalog.default]
    for code in codes:
        head = catalog.get(code).head
        quiet = (hhmm(head.quiet_hours[0]), hhmm(head.quiet_hours[1]))
        if next_opening(max(now, spec.start_for(tz)), tz, window, quiet, head.weekend) is None:
            raise CampaignError(
                f"window: {','.join(shown.days)} {shown.start}-{shown.end} never opens "
                f"for locale {code} (quiet hours {head.quiet_hours[0]}-{head.quiet_hours[1]}, weekend {list(head.weekend)})"
            )


def check_audience(spec: CampaignSpec, by_locale: dict[str, int], whatsapp_locales: set[str], catalog) -> None:
    """Refuse an empty audience, and locales of the audience with nothing to say."""
    if not sum(by_locale.values()):
        raise CampaignError("audience: no one matches (check channels, tags, locales, consent)")
    silent = sorted(code for code in by_locale if not pick(spec.messages, catalog.get(code)))
    if silent and not spec.templates:
        raise CampaignError(f"messages: no text for locale(s) {', '.join(silent)} in the audience")
    missing = sorted(code for code in whatsapp_locales if not pick(spec.templates, catalog.get(code)))
    if missing:
        raise CampaignError(f"templates: WhatsApp template missing for locale(s) {', '.join(missing)}")
