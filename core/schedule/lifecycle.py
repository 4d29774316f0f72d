"""A campaign's life cycle and results, shared by the admin API, the CLI and the console.

``move`` is the one place a status changes (draft -> running <-> paused -> done; cancelled from
any of them); cancelling also tombstones every waiting send, so a cancelled campaign shows no
pending sends. ``results`` turns the store's counters into what a marketer reads: planned, sent,
delivered, failed and skipped by reason, pending, replied, converted, opted out, and the same
per hour (counters named ``t:{hour}:{what}``, bumped by ``bump``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.core.kernel.clock import as_datetime
from parley.core.schedule.store import FINAL, CampaignRecord, ScheduleStore

MOVES = {  # action -> (statuses it applies to, status after)
    "start": (("draft", "paused"), "running"),
    "pause": (("running",), "paused"),
    "resume": (("paused",), "running"),
    "cancel": (("draft", "running", "paused"), "cancelled"),
}
HOUR = 3600
TIMED = ("delivered", "failed", "replied", "converted", "opted_out")  # what the chart shows per hour


class MoveRefused(ValueError):
    """The campaign does not exist, or the action does not apply to its status."""

    def __init__(self, message: str, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Moved:
    record: CampaignRecord
    cancelled_sends: int = 0


async def move(sched: ScheduleStore, campaign: str, action: str) -> Moved:
    record = await sched.campaign(campaign)
    if record is None:
        raise MoveRefused(f"no campaign {campaign!r}", missing=True)
    allowed, after = MOVES[action]
    if record.status not in allowed:
        raise MoveRefused(f"cannot {action} a campaign that is {record.status}")
    record.status = after
    # The status first: a planner or dispatcher reading it from now on stops, then the sends
    # already waiting are tombstoned (one still in flight finds its lease gone and sends nothing).
    await sched.put_campaign(record)
    cancelled = await sched.cancel_campaign(campaign) if after == "cancelled" else 0
    return Moved(record, cancelled)


async def bump(sched: ScheduleStore, campaign: str, what: str, at: float, n: int = 1) -> None:
    """Count ``what`` for the campaign, in total and in the hour ``at`` falls in."""
    await sched.count(campaign, what, n)
    head = what.split(":", 1)[0]
    if head in TIMED:
        await sched.count(campaign, f"t:{int(at // HOUR) * HOUR}:{head}", n)


def results(counts: dict[str, int], status: str = "") -> dict[str, Any]:
    """planned, sent, delivered, skipped and failed by reason, pending, replied, converted,
    opted out, value, and a timeline (one row per hour with anything in it)."""
    out: dict[str, Any] = {
        "planned": 0,
        "sent": 0,
        "delivered": 0,
        "skipped": {},
        "failed": {},
        "pending": 0,
        "replied": 0,
        "converted": 0,
        "opted_out": 0,
        "value_cents": 0,
    }
    hours: dict[int, dict[str, int]] = {}
    finished = 0
    for key, n in counts.items():
        head, _, reason = key.partition(":")
        if head == "t":
            at, _, what = reason.partition(":")
            hours.setdefault(int(at), {})[what] = n
            continue
        if head in ("skipped", "failed"):
            out[head][reason] = out[head].get(reason, 0) + n
        else:
            out[key] = out.get(key, 0) + n
        # An outbox failure follows a send already counted as sent: not a second ending.
        if head in FINAL and not (head == "failed" and reason.startswith("outbox")):
            finished += n
    out["pending"] = 0 if status == "cancelled" else max(0, out["planned"] - finished)
    out["timeline"] = [
        {"at": as_datetime(at).isoformat(timespec="seconds"), **{w: row.get(w, 0) for w in TIMED}}
        for at, row in sorted(hours.items())
    ]
    return out
