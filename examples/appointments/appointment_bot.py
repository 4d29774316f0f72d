"""An appointment bot: ``/book`` offers tomorrow's free times as buttons; pressing one books it
and a reminder goes out an hour before, through Parley's scheduler (it survives a restart, and
respects the person's consent like every scheduled message).

    python examples/appointments/appointment_bot.py

Times are in UTC to keep the example short; a real bot would keep the person's time zone on
their profile (``turn.profile``) and offer its own calendar's free slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parley import Bot, Button, Router, Settings, Turn

LOCALES = Path(__file__).parent / "locales"
HOURS = (10, 14, 16)  # the times offered each day (UTC)
REMIND_BEFORE = timedelta(hours=1)

router = Router("appointments")


@router.command("/book")
async def offer(turn: Turn) -> None:
    day = (turn.now + timedelta(days=1)).date()
    slots = [datetime(day.year, day.month, day.day, hour, tzinfo=UTC) for hour in HOURS]
    buttons = tuple(Button(title=f"{s:%H:%M}", payload=f"book:{int(s.timestamp())}") for s in slots)
    turn.say(turn.t("pick_a_time", day=f"{day:%A %d %B}"), buttons=buttons)


@router.button("book:*")
async def book(turn: Turn, at: int) -> None:
    slot = datetime.fromtimestamp(at, UTC)
    if slot <= turn.now + REMIND_BEFORE:  # an old button pressed too late
        turn.say(turn.t("too_late"))
        return
    turn.state["appointment"] = slot.isoformat()
    turn.followup(slot - REMIND_BEFORE, turn.t("reminder", time=f"{slot:%H:%M}"), kind="reminder")
    turn.say(turn.t("booked", when=f"{slot:%A %d %B at %H:%M}"))


@router.command("/appointment")
async def show(turn: Turn) -> None:
    booked = turn.state.get("appointment")
    when = f"{datetime.fromisoformat(booked):%A %d %B at %H:%M}" if booked else ""
    turn.say(turn.t("your_appointment", when=when) if booked else turn.t("no_appointment"))


def build(settings: Settings, clock=time.time) -> Bot:
    return Bot(settings, clock=clock, routers=[router], locales=LOCALES)


async def main() -> None:
    async with build(Settings()) as bot:
        print(f"appointment bot: web chat at http://127.0.0.1:{bot.port}/chat", flush=True)
        await asyncio.Event().wait()  # until Ctrl-C


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the bot has shut down cleanly
        asyncio.run(main())
