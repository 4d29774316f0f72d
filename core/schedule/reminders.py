""" "Remind me ..." parsed simply (English; a locale pack may add its own trigger phrases under the
``remind`` intent). Enough for "remind me tomorrow at 10", "remind me in 2 hours to call",
"remind me at 9:30pm"; anything fancier is a job for the LLM brain's tools.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from parley.core.schedule.timing import resolve

_WHEN = re.compile(
    r"^(?:in\s+(?P<n>\d+)\s*(?P<unit>min(?:ute)?s?|h(?:ou)?rs?|hours?|days?)"
    r"|(?P<day>today|tomorrow)?\s*(?:at\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>am|pm)?)?)"
    r"\s*(?:to\s+|about\s+|that\s+)?(?P<what>.*)$",
    re.IGNORECASE,
)
DEFAULT_HOUR = 10  # "remind me tomorrow" with no time


def parse_reminder(text: str, now: float, tz: ZoneInfo, triggers: list[str]) -> tuple[float, str] | None:
    """(when, what) for a reminder request, or None if ``text`` is not one."""
    lowered = text.strip().lower()
    trigger = next((t for t in triggers if lowered.startswith(t.lower())), None)
    if trigger is None:
        return None
    rest = text.strip()[len(trigger) :].strip().rstrip(".!")
    found = _WHEN.match(rest)
    if not found or not (found["n"] or found["day"] or found["h"]):
        return None
    what = found["what"].strip()
    if found["n"]:
        unit = found["unit"].lower()
        seconds = 60 if unit.startswith("m") else 86400 if unit.startswith("d") else 3600
        return now + int(found["n"]) * seconds, what
    local = datetime.fromtimestamp(now, tz)
    hour = int(found["h"]) if found["h"] else DEFAULT_HOUR
    if found["ampm"] and found["ampm"].lower() == "pm" and hour < 12:
        hour += 12
    if found["ampm"] and found["ampm"].lower() == "am" and hour == 12:
        hour = 0
    if hour > 23 or int(found["m"] or 0) > 59:
        return None
    day = local.date() + timedelta(days=1 if (found["day"] or "").lower() == "tomorrow" else 0)
    at = resolve(day, time(hour, int(found["m"] or 0)), tz)
    if at <= now:
        at = resolve(day + timedelta(days=1), time(hour, int(found["m"] or 0)), tz)
    return at, what
