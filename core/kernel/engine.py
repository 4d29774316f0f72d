"""The promise for inbound messages (docs/architecture.md): accept once, process in order, reply durably.

``deliver`` stores the event in the inbox under its platform id (dedupe) and returns: the
webhook can ack at once. A drain task then takes the conversation's lock, loads state *after*
the lock, runs the pipeline and commits state + replies + inbox removal in one write. A crash
anywhere leaves the event in the inbox; the sweeper picks it up again. A store that fails
during a turn (disk full, Redis away) defers the turn: nothing is committed, the event stays in
the inbox, and the conversation is tried again after a short pause (``RETRY``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from parley.core.http.metrics import Metrics
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel import edits
from parley.core.kernel.clock import Clock, as_datetime, system_clock
from parley.core.kernel.control import Control
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.outage import Outage
from parley.core.kernel.outbox import Outbox
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.storage.identities import ProfileConflict
from parley.core.storage.store import AcceptsAndBegins, Batch, InboxItem, LockLost, OutboxItem, Store, StoreUnavailable

log = logging.getLogger("parley.turn")

RETRY = (0.5, 1.0, 2.0, 4.0)  # seconds before a deferred conversation is tried again, then every last one


class Engine:
    def __init__(
        self,
        store: Store,
        handler: Handler,
        personas: PersonaCatalog,
        locales: LocaleCatalog,
        outbox: Outbox,
        metrics: Metrics,
        clock: Clock = system_clock,
        *,
        dedupe_ttl: float = 7 * 86400,
        lease: float = 120.0,
        batch: int = 20,
        max_inflight: int = 128,
        on_commit: Callable[[Turn], None] | None = None,
        route: Callable[[Turn], Address] | None = None,
    ) -> None:
        self.store = store
        self.handler = handler
        self.personas = personas
        self.locales = locales
        self.outbox = outbox
        self.metrics = metrics
        self.clock = clock
        self.dedupe_ttl = dedupe_ttl
        self.lease = lease
        self.batch = batch
        # Told of each turn once its commit succeeded (the analytics recorder): a turn that
        # never committed, or ran again after a lost lock, is not counted twice.
        self.on_commit = on_commit
        # Where a proactive turn's messages go (a linked person's last-used channel,
        # core/linking/channels.py); None: the conversation's own address.
        self.route = route
        self.max_inflight = max_inflight
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._local: dict[str, asyncio.Lock] = {}
        self._accepting = True
        self._deferred: dict[str, tuple[int, asyncio.TimerHandle]] = {}  # conversation -> (tries, timer)
        # A store that accepts and begins in one call (Redis: one round trip instead of two).
        self._accept_begin = store if isinstance(store, AcceptsAndBegins) else None
        self.outage = Outage(log, "turns")
        self.sweeping = Outage(log, "crash recovery sweeper")

    # -- inbound -----------------------------------------------------------------------------
    async def deliver(self, inbound: Inbound) -> bool:
        """Accept an event; True if new, False if a duplicate. Raises StoreUnavailable."""
        if not self._accepting:
            raise StoreUnavailable("shutting down")
        while len(self._tasks) >= self.max_inflight:
            # Backpressure: past this many turns in progress a spike waits here, before its ack,
            # instead of piling up in memory; the platform keeps (or re-sends) what is not acked.
            self._room.clear()
            await self._room.wait()
        channel = inbound.address.channel
        item = InboxItem(f"{channel}:{inbound.event_id}", inbound.address.conversation, inbound, self.clock())
        lock = self._local.get(item.conversation)
        if self._accept_begin is not None and lock is None:
            return await self._accept_and_begin(item)
        if not await self.store.accept(item, self.dedupe_ttl):
            self.metrics.duplicates.labels(channel).inc()
            return False
        self.metrics.messages_in.labels(channel).inc()
        self.kick(item.conversation)
        return True

    async def _accept_and_begin(self, item: InboxItem) -> bool:
        """No turn of this conversation runs here: take its in-process lock, then accept and
        begin in one store call; the drain starts on the batch it returned."""
        lock = self._local[item.conversation] = asyncio.Lock()
        await lock.acquire()  # a fresh lock: taken at once, no other task can hold it
        try:
            new, batch = await self._accept_begin.accept_begin(item, self.dedupe_ttl, self.lease, self.batch)
        except BaseException:
            self._let_go(item.conversation, lock)
            raise
        channel = item.inbound.address.channel
        if not new:
            self._let_go(item.conversation, lock)
            self.metrics.duplicates.labels(channel).inc()
            return False
        self.metrics.messages_in.labels(channel).inc()
        self._spawn(self.drain(item.conversation, begun=(lock, batch)))
        return True

    def kick(self, conversation: str) -> None:
        self._spawn(self.drain(conversation))

    def _spawn(self, work) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if len(self._tasks) < self.max_inflight:
            self._room.set()

    async def drain(self, conversation: str, begun: tuple[asyncio.Lock, Batch | None] | None = None) -> None:
        """Run the conversation's pending turns. ``begun``: the caller already holds its
        in-process lock and began it (the batch; None if the store lock was held elsewhere)."""
        lock = self._local.setdefault(conversation, asyncio.Lock()) if begun is None else begun[0]
        try:
            if begun is None:
                await lock.acquire()  # one turn at a time in this process; the store lock covers others
            try:
                await self._drain_locked(conversation, begun[1] if begun else None)
            finally:
                lock.release()
        except StoreUnavailable as exc:
            # Nothing was committed: the event stays in the inbox and is answered once the store
            # is back, never with an error text (the customer would get both).
            self.outage.failed(exc)
            self._retry_later(conversation)
        except Exception:
            log.exception("drain failed", extra={"conversation": conversation})
        finally:
            self._forget(conversation, lock)

    def _let_go(self, conversation: str, lock: asyncio.Lock) -> None:
        lock.release()
        self._forget(conversation, lock)

    def _forget(self, conversation: str, lock: asyncio.Lock) -> None:
        idle = not lock.locked() and not getattr(lock, "_waiters", None)
        if idle and self._local.get(conversation) is lock:
            del self._local[conversation]

    async def _drain_locked(self, conversation: str, batch: Batch | None = None) -> None:
        if batch is None:
            batch = await self._lock(conversation, limit=self.batch)
        if batch is None:
            return  # the holder will drain it, or its lease expires and the sweeper will
        released = again = False
        versions = dict(batch.versions)
        try:
            state = batch.state
            # An edit of a message in the same batch is applied to it before it is answered.
            for n, item in enumerate(edits.fold(batch.items), 1):
                last = n == len(batch.items)
                # Linked identities share their person's profile (core/storage/identities.py).
                person = batch.person(item.inbound.address.person)
                profile = batch.profiles.setdefault(person, {})
                turn = await self._run(item.inbound, state, profile, person)
                state = turn.state
                replies = self._outgoing(item.id, turn)
                leased = await self.store.commit(
                    conversation,
                    batch.token,
                    item.id,
                    state,
                    {} if turn.relinked else {person: turn.profile},
                    replies,
                    release=last,
                    lease=self.outbox.lease_for_commit(),
                    versions={} if turn.relinked else {person: versions.get(person, 0)},
                )
                versions[person] = versions.get(person, 0) + 1
                released = last
                self._hand_over(replies, leased)
                self._observe(item, turn)
                if self.on_commit is not None:
                    self.on_commit(turn)
                if turn.relinked and not last:
                    again = True  # who is who changed: the rest of the batch starts afresh
                    break
            self._recovered(conversation)
        except LockLost:
            log.warning("lock lost mid-batch; another process continues", extra={"conversation": conversation})
        except ProfileConflict:
            # Another conversation of the same person committed its profile first: this turn wrote
            # nothing; run it again on the fresh profile (its event is still in the inbox).
            self.metrics.errors.labels("store", "profile_conflict").inc()
            again = True
        finally:
            if not released:
                try:
                    await self.store.release(conversation, batch.token)
                except StoreUnavailable:
                    pass  # the lease expires by itself
        if again or len(batch.items) == self.batch:
            self.kick(conversation)  # more may be waiting

    def _retry_later(self, conversation: str) -> None:
        """Try the conversation again after a pause that grows with each failed try (one timer
        per conversation, however many drains failed)."""
        tries, timer = self._deferred.get(conversation, (0, None))
        if timer is not None and not timer.cancelled():
            timer.cancel()
        delay = RETRY[min(tries, len(RETRY) - 1)]
        handle = asyncio.get_running_loop().call_later(delay, self._retry, conversation)
        self._deferred[conversation] = (tries + 1, handle)

    def _retry(self, conversation: str) -> None:
        if self._accepting:
            self.kick(conversation)

    def _recovered(self, conversation: str) -> None:
        self.outage.ok()
        if self._deferred:
            self._deferred.pop(conversation, None)

    async def _lock(self, conversation: str, limit: int):
        """Take the conversation's store lock, backing off while another process holds it (up
        to one lease); None if it never came free."""
        delay = 0.02
        deadline = self.clock() + self.lease
        while True:
            # reclaim: we hold this conversation's local lock, so a store lock under our own name
            # is an orphan of an outage (a begin whose answer was lost), not a turn in progress.
            batch = await self.store.begin(conversation, self.lease, limit, self.clock(), reclaim=True)
            if batch is not None or self.clock() > deadline:
                return batch
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _outgoing(self, base: str, turn: Turn, first_plain: bool = False) -> list[OutboxItem]:
        """Deterministic outbox ids (re-running a turn after a crash queues nothing twice)."""
        now = self.clock()
        items = [
            OutboxItem(base if first_plain and n == 0 else f"{base}:r{n}", turn.address, reply, now)
            for n, reply in enumerate(turn.replies)
        ]
        items += [OutboxItem(f"{base}:f{n}", address, reply, now) for n, (address, reply) in enumerate(turn.forwards)]
        return items

    def _hand_over(self, replies: list[OutboxItem], leased: list[OutboxItem]) -> None:
        """Send what the commit leased to us now; wake the outbox for the rest (no claim, no
        extra write for the common case of one reply to an idle address)."""
        self.outbox.start(leased)
        if len(leased) < len(replies):
            self.outbox.wake()

    def _new_turn(self, address: Address, state: dict, profile: dict, person: str) -> Turn:
        persona = self.personas.get(state.get("persona"))
        pack = self.locales.get(profile.get("locale") or self.locales.default)
        return Turn(address, as_datetime(self.clock()), persona, pack, state=state, profile=profile, person=person)

    async def _run(self, inbound: Inbound, state: dict, profile: dict, person: str) -> Turn:
        turn = self._new_turn(inbound.address, state, profile, person)
        turn.inbound = inbound
        try:
            await self.handler(turn)
        except StoreUnavailable:
            raise  # not the turn's fault: defer it (``drain``), commit nothing
        except Exception:
            # A bug in one middleware must not loop this event forever nor leave silence.
            log.exception("turn failed", extra={"channel": inbound.address.channel})
            self.metrics.errors.labels(inbound.address.channel, "turn").inc()
            turn.replies[:] = [Reply(text=turn.pack.t("error"), kind="system")]
        return turn

    def _observe(self, item: InboxItem, turn: Turn) -> None:
        channel = item.inbound.address.channel
        latency = max(0.0, self.clock() - item.accepted_at)
        self.metrics.turns.labels(channel).observe(latency)
        log.info(
            "turn",
            extra={
                "channel": channel,
                "conversation": item.conversation,
                "latency_ms": round(latency * 1000, 1),
                "replies": len(turn.replies),
                **turn.tags,
            },
        )

    # -- proactive ---------------------------------------------------------------------------
    async def proactive(
        self, address: Address, reply: Reply | None, send_id: str, control: Control | None = None
    ) -> Turn | None:
        """Run a proactive turn through the pipeline under the conversation's lock (like a
        reply: botbuilder's continue_conversation): ``reply`` is said, ``control`` is for the
        middleware that owns it (parley.core.kernel.control). Returns None if the lock is busy.
        An exception from the pipeline (the schedule gate's Defer or Skip) commits nothing and
        reaches the caller."""
        conversation = address.conversation
        lock = self._local.setdefault(conversation, asyncio.Lock())
        async with lock:
            batch = await self._lock(conversation, limit=0)
            if batch is None:
                return None
            try:
                person = await self.store.person_of(address.person)
                profile, version = await self.store.versioned_profile(person)
                turn = self._new_turn(address, batch.state, profile, person)
                turn.proactive, turn.control = reply, control
                await self.handler(turn)
                items = self._outgoing(send_id, turn, first_plain=True)
                target = self.route(turn) if self.route is not None else address
                if target != address:
                    items = [dataclasses.replace(i, address=target) if i.address == address else i for i in items]
                try:
                    leased = await self.store.commit(
                        conversation,
                        batch.token,
                        "",
                        turn.state,
                        {person: turn.profile},
                        items,
                        lease=self.outbox.lease_for_commit(),
                        versions={person: version},
                    )
                except ProfileConflict:
                    return None  # the person's profile moved meanwhile: like a busy lock, try again
                self._hand_over(items, leased)
                if self.on_commit is not None:
                    self.on_commit(turn)
                return turn
            finally:
                await self.store.release(conversation, batch.token)

    # -- recovery and shutdown ---------------------------------------------------------------
    async def sweep(self, older_than: float = 10.0) -> int:
        """Re-drive conversations whose events were accepted but never committed (a crash)."""
        convs = await self.store.stale(self.clock() - older_than, 100)
        for conversation in convs:
            if conversation not in self._local:
                self.kick(conversation)
        return len(convs)

    async def sweeper(self, every: float = 5.0) -> None:
        # At start everything pending is fair game (a previous process died with it); the lock
        # and the commit's inbox removal make a second drain of the same event a no-op.
        older_than = 0.0
        while True:
            try:
                await self.sweep(older_than)
                older_than = 10.0
                self.sweeping.ok()
            except StoreUnavailable as exc:
                self.sweeping.failed(exc)
            await asyncio.sleep(every)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting; let in-flight turns finish."""
        self._accepting = False
        for _, timer in self._deferred.values():
            timer.cancel()
        self._deferred.clear()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
