"""``OutboxStore`` on Redis: RedisStore mixes it in. Each call is one script
(core/storage/redis_lua_outbox.py); ``settle_and_claim`` records what the sends returned and
claims the next items in one round trip (``SettlesWithClaim``)."""

from __future__ import annotations

import json
import secrets
from collections import deque
from typing import Any

from parley.core.kernel.messages import Address, Reply
from parley.core.storage import redis_lua_outbox as lua
from parley.core.storage.redis_shared import Up
from parley.core.storage.store import (
    Failed,
    OutboxItem,
    OutboxStats,
    Outcome,
    Retry,
    Sent,
    Settlement,
    StoreUnavailable,
)
from redis.asyncio import Redis


def outcome_args(outcome: Outcome) -> list[Any]:
    """An outcome as the settle function's (kind, value, error, counts)."""
    if isinstance(outcome, Sent):
        return ["sent", outcome.platform_id, "", 0]
    if isinstance(outcome, Retry):
        return ["retry", outcome.at, outcome.error, 1 if outcome.counts else 0]
    assert isinstance(outcome, Failed)
    return ["failed", "", outcome.error, 0]


class RedisOutbox:
    r: Redis
    p: str
    owner: str
    clock: Any
    _up: Up

    def _init_outbox(self) -> None:
        s = self.r.register_script
        self._enqueue, self._claim = s(lua.ENQUEUE), s(lua.CLAIM)
        self._settle, self._settle_claim = s(lua.SETTLE), s(lua.SETTLE_CLAIM)
        # Claims whose answer never came (CLAIM); older than a lease they hold nothing any more.
        self._lost_claims: deque[str] = deque(maxlen=64)

    def _outbox_args(self, items: list[OutboxItem]) -> list[Any]:
        args: list[Any] = [len(items)]
        for item in items:
            body = json.dumps({"a": item.address.model_dump_json(), "r": item.reply.model_dump_json()})
            args += [item.id, item.address.conversation, item.address.person, item.due_at, body]
            args += [item.attempts, item.max_attempts]
        return args

    async def enqueue(self, items: list[OutboxItem]) -> int:
        if not items:
            return 0
        return int(await self._up(self._enqueue(args=[self.p, self.clock(), *self._outbox_args(items)])))

    async def claim(self, now: float, limit: int, lease: float) -> list[OutboxItem]:
        return (await self.settle_and_claim([], now, limit, lease))[1]

    async def settle_and_claim(
        self, settlements: list[Settlement], now: float, limit: int, lease: float
    ) -> tuple[list[bool], list[OutboxItem]]:
        name = secrets.token_hex(6)
        args: list[Any] = [self.p, now, limit, lease, self.owner, name]
        if settlements:
            args.append(len(settlements))
            for s in settlements:
                kind, value, error, counts = outcome_args(s.outcome)
                args += [s.item_id, str(s.token), kind, s.at, value, error, counts]
            args += self._lost_claims
            call = self._settle_claim(args=args)
        else:
            call = self._claim(args=[*args, *self._lost_claims])
        try:
            got = await self._up(call)
        except StoreUnavailable:
            # Redis may have run it and the answer been lost: the next claim asks for its items.
            self._lost_claims.append(name)
            raise
        self._lost_claims.clear()
        flags, rows = got if settlements else ([], got)
        out = []
        for item_id, body, due, attempts, token, seq, max_attempts in rows:
            parts = json.loads(body)
            address = Address.model_validate_json(parts["a"])
            reply = Reply.model_validate_json(parts["r"])
            out.append(
                OutboxItem(item_id, address, reply, float(due), int(attempts), int(token), int(seq), int(max_attempts))
            )
        return [bool(f) for f in flags], sorted(out, key=lambda i: i.seq)

    async def settle(self, item_id: str, token: int, outcome: Outcome, now: float) -> bool:
        kind, value, error, counts = outcome_args(outcome)
        # A refused settle is kept and retried by the outbox (core/kernel/outbox.py).
        args = [self.p, item_id, str(token), kind, now, value, error, counts]
        return bool(await self._up(self._settle(args=args)))

    async def outbox_stats(self) -> OutboxStats:
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hgetall(f"{self.p}ostat").hgetall(f"{self.p}oerr")
            # Each address waits in "ready" scored by its head's due time: the first is the oldest.
            pipe.zrange(f"{self.p}ready", 0, 0, withscores=True)
            pipe.hlen(f"{self.p}oleased")  # every item in flight is there: no counter per lease
            counts, errors, first, sending = await self._up(pipe.execute())
        stats = OutboxStats(**{k: int(v) for k, v in counts.items() if k in ("pending", "sent", "failed")})
        stats.sending = sending
        stats.errors = {k: int(v) for k, v in errors.items() if int(v) > 0}
        stats.oldest_due = float(first[0][1]) if first and stats.pending else None
        return stats
