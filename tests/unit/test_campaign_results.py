"""A campaign's results from its counters: totals, reasons, pending (none once cancelled), and
the hourly timeline that ``bump`` keeps beside each total."""

from __future__ import annotations

from parley.core.schedule.lifecycle import bump, results
from parley.core.schedule.memory import MemoryScheduleStore

T = 1_767_225_600.0  # 2026-01-01T00:00Z


async def test_bump_counts_the_total_and_its_hour():
    sched = MemoryScheduleStore()
    await bump(sched, "c", "delivered", T + 10)
    await bump(sched, "c", "delivered", T + 3599)
    await bump(sched, "c", "failed:outbox:rejected", T + 3600)
    await bump(sched, "c", "value_cents", T, 500)  # not a timed figure: a total only
    shown = results(await sched.progress("c"))
    assert shown["delivered"] == 2 and shown["failed"] == {"outbox:rejected": 1} and shown["value_cents"] == 500
    assert shown["timeline"] == [
        {"at": "2026-01-01T00:00:00+00:00", "delivered": 2, "failed": 0, "replied": 0, "converted": 0, "opted_out": 0},
        {"at": "2026-01-01T01:00:00+00:00", "delivered": 0, "failed": 1, "replied": 0, "converted": 0, "opted_out": 0},
    ]


def test_pending_is_what_planned_has_not_finished_and_nothing_once_cancelled():
    counts = {"planned": 10, "sent": 4, "skipped:no_consent": 1, "failed:outbox:x": 1, "replied": 2}
    shown = results(counts, "running")
    assert shown["pending"] == 5 and shown["skipped"] == {"no_consent": 1} and shown["replied"] == 2
    assert results(counts, "cancelled")["pending"] == 0
