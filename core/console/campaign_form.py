"""The campaign editor's form, read into a campaign spec (then validated by
parley.core.schedule.campaigns like any other) and back into the form's values to show again.

"When" is either a date and a time in each recipient's own zone (``starts_on`` +
``local_time``) or one instant in one zone (``starts_at`` with that zone's offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parley.core.schedule.timing import TimingError, zone

CHANNELS = ("web", "telegram", "slack", "sms", "whatsapp", "discord")


@dataclass
class CampaignForm:
    id: str = ""
    name: str = ""
    kind: str = "marketing"
    when: str = "local"  # "local": each recipient's zone; "zone": one instant in one zone
    starts_on: str = ""
    local_time: str = "10:00"
    starts_at: str = ""  # a datetime-local value: 2026-03-10T10:00
    zone: str = "UTC"
    timezone: str = "UTC"  # for people whose zone is unknown
    tags: str = ""
    locales: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    seen_within_days: str = ""
    fields: str = ""  # key=value, one a line
    messages: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: Any, codes: list[str]) -> CampaignForm:
        text = lambda name, default="": str(form.get(name, default)).strip()  # noqa: E731
        return cls(
            id=text("id"),
            name=text("name"),
            kind=text("kind", "marketing"),
            when=text("when", "local"),
            starts_on=text("starts_on"),
            local_time=text("local_time", "10:00"),
            starts_at=text("starts_at"),
            zone=text("zone", "UTC") or "UTC",
            timezone=text("timezone", "UTC") or "UTC",
            tags=text("tags"),
            locales=[c for c in form.getall("locales", []) if c in codes],
            channels=[c for c in form.getall("channels", []) if c in CHANNELS],
            seen_within_days=text("seen_within_days"),
            fields=str(form.get("fields", "")),
            messages={
                c: str(form.get(f"message_{c}", "")).strip() for c in codes if str(form.get(f"message_{c}", "")).strip()
            },
            templates={c: text(f"template_{c}") for c in codes if text(f"template_{c}")},
        )

    def spec(self) -> dict[str, Any]:
        """The campaign as the admin API takes it; a value that cannot be read raises ValueError."""
        audience: dict[str, Any] = {
            "tags": [t.strip() for t in self.tags.split(",") if t.strip()],
            "locales": self.locales,
            "channels": self.channels,
        }
        if self.seen_within_days:
            audience["seen_within_days"] = float(self.seen_within_days)
        pairs = [line.split("=", 1) for line in self.fields.splitlines() if "=" in line]
        audience["fields"] = {k.strip(): v.strip() for k, v in pairs if k.strip()}
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "audience": audience,
            "messages": self.messages,
            "templates": self.templates,
            "timezone": self.timezone,
        }
        if self.when == "local":
            body["starts_on"] = self.starts_on or None
            body["local_time"] = self.local_time or None
        else:
            body["starts_at"] = self.instant()
            body["window"] = {"days": ["any"], "start": "00:00", "end": "23:59"}
        return body

    def instant(self) -> str:
        try:
            local = datetime.fromisoformat(self.starts_at)
            return local.replace(tzinfo=zone(self.zone)).isoformat()
        except (ValueError, TimingError) as exc:
            raise ValueError(f"starts_at: {exc}") from None
