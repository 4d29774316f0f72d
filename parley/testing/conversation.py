"""Talk to a running bot as its customers do, and move its clock.

``Harness`` wraps a started bot (the real pipeline, store and scheduler) built on a
``ManualClock``. ``await harness.customer("telegram", locale="es")`` is a person on that channel
whose app speaks Spanish; each of their actions waits until the bot has finished everything it
caused (turns committed, replies sent, due scheduled sends run) and returns what they received
meanwhile. ``advance`` moves the clock and runs what fell due: reminders, follow-ups.

A turn that raises fails the test with that exception, instead of the polite error message the
customer would see.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import aiohttp

from parley.app import Bot
from parley.core.kernel.channel import ChannelContext
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Button
from parley.testing.fakes.recording import RecordingChannel
from parley.testing.lines import DEFAULT_PROFILE, PROFILES, Line, Message, StandInLine, WebLine

SETTLE_TIMEOUT = 10.0  # seconds of real time the bot gets to finish what one action caused
POLL = 0.005  # seconds between looks at the stores while waiting


class TurnFailed(AssertionError):
    """A turn raised while the test talked to the bot; the cause is chained."""


class _Errors(logging.Handler):
    """Keeps the exceptions the engine and the outbox log (they never let one escape a task)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


class Customer:
    """One person on one channel. Every action returns the messages that arrived since the last."""

    def __init__(self, harness: Harness, line: Line) -> None:
        self.harness = harness
        self.line = line
        self._read = 0

    @property
    def address(self) -> Address:
        """Where this person talks to the bot (channel, chat, user)."""
        return self.line.address

    @property
    def transcript(self) -> list[Message]:
        """Every message received so far."""
        return self.line.received()

    async def say(self, text: str) -> list[Message]:
        """Write ``text`` to the bot; the messages it answered with."""
        await self.line.say(text)
        return await self._new()

    async def press(self, button: str) -> list[Message]:
        """Press the button with this title or payload among the latest offered. On a channel
        without buttons the customer answers with its number, as they would by text."""
        offered = next((m.buttons for m in reversed(self.transcript) if m.buttons), ())
        for number, choice in enumerate(offered, 1):
            if button in (choice.title, choice.payload):
                return await self._press(choice, number)
        raise AssertionError(f"no button {button!r}; offered: {[b.title for b in offered]}")

    async def _press(self, choice: Button, number: int) -> list[Message]:
        if self.line.native_buttons:
            await self.line.press(choice)
        else:
            await self.line.say(str(number))
        return await self._new()

    async def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> list[Message]:
        """Move the bot's clock forward and return what this customer received as a result."""
        await self.harness.advance(seconds + 60 * minutes + 3600 * hours + 86400 * days)
        return await self._new()

    async def _new(self) -> list[Message]:
        await self.harness.settle()
        received = self.line.received()
        new, self._read = received[self._read :], len(received)
        return new


class Harness:
    """A started bot, its clock, and the customers talking to it."""

    def __init__(self, app: Bot, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self._customers: list[Customer] = []
        self._numbers = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self._errors = _Errors()

    async def __aenter__(self) -> Harness:
        logging.getLogger("parley").addHandler(self._errors)
        await self.app.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for customer in self._customers:
            await customer.line.close()
        if self._http is not None:
            await self._http.close()
        await self.app.__aexit__(*exc)
        logging.getLogger("parley").removeHandler(self._errors)

    async def customer(self, channel: str = "web", locale: str = "en", name: str = "") -> Customer:
        """A new person on ``channel`` whose app or browser speaks ``locale`` (what they write can
        switch it, as in production)."""
        if channel == "web":
            if self._http is None:
                self._http = aiohttp.ClientSession()
            line: Line = await WebLine.open(self._http, self.app.port, locale)
        else:
            stand_in = self.app.channels.get(channel)
            if not isinstance(stand_in, RecordingChannel):
                ctx = ChannelContext(self.app.engine.deliver, self.app.store, self.app.metrics, self.clock)
                stand_in = RecordingChannel(ctx, name=channel, capabilities=PROFILES.get(channel, DEFAULT_PROFILE))
                self.app.channels[channel] = stand_in
            chat = f"customer-{next(self._numbers)}"
            address = Address(channel=channel, chat=chat, user=chat)
            line = StandInLine(stand_in, self.app.engine.deliver, address, locale, name)
        customer = Customer(self, line)
        self._customers.append(customer)
        return customer

    async def advance(self, seconds: float) -> None:
        """Move the clock; what fell due runs before this returns."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.clock.advance(seconds)
        await self.settle()

    async def settle(self) -> None:
        """Wait until the bot has nothing left to do now: no event waiting for its turn, no reply
        due or being sent, no scheduled send due, and every web chat reply read off its socket."""
        # Quiet twice in a row: a scheduled send claimed by the dispatcher's own loop right
        # after one look is busy (or has queued its reply) at the next.
        quiet = 0
        try:
            async with asyncio.timeout(SETTLE_TIMEOUT):
                while quiet < 2:
                    quiet = quiet + 1 if await self._quiet() else 0
                    await asyncio.sleep(POLL)
        except TimeoutError:
            raise AssertionError(f"the bot was still busy after {SETTLE_TIMEOUT:.0f} s") from None
        if self._errors.records:
            record = self._errors.records.pop(0)
            assert record.exc_info is not None
            raise TurnFailed(f"{record.getMessage()}: {record.exc_info[1]!r}") from record.exc_info[1]

    async def _quiet(self) -> bool:
        app = self.app
        # Pumping here rather than waiting for the workers' polls: quicker, and the same claims.
        dispatcher = app.scheduler.dispatcher
        if dispatcher is not None and (await dispatcher.pump() or dispatcher.busy):
            return False
        if await app.store.stale(self.clock() + 1, 1):  # accepted, not yet committed
            return False
        if await app.outbox.pump() or (await app.store.outbox_stats()).sending:
            return False
        sent = app.metrics.registry.get_sample_value("parley_messages_out_total", {"channel": "web"}) or 0
        read = sum(len(c.line.received()) for c in self._customers if isinstance(c.line, WebLine))
        return read >= sent
