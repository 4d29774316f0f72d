"""Answers for a call whose socket another process holds (scale-out on Redis).

A ConversationRelay call is one websocket in one process, and that process answers its turns.
But the outbox may hand a reply to any process: a retry after a failed send, a reply the
committing process did not lease, a proactive message while the caller is on the line. With a
store that relays between processes (Redis pub/sub, core/storage/redis_shared.RedisRelay), the
process holding a call's socket subscribes to ``voice:<CallSid>`` for as long as it holds it,
and a process without the socket publishes the reply there; PUBLISH answers how many processes
took it, so 0 means no process holds the call: it has ended. Without such a store (SQLite, one
process) every call is local and nothing crosses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.kernel.messages import Reply

log = logging.getLogger("parley.voice")

Speak = Callable[[str, Reply, str], Awaitable[None]]  # (CallSid, reply, said id) -> said on the local call


class Crossing:
    def __init__(self, relay: Any | None, speak: Speak) -> None:
        self.relay = relay  # the store's relay (publish/subscribe/unsubscribe), or None
        self.speak = speak

    @staticmethod
    def topic(call_sid: str) -> str:
        return f"voice:{call_sid}"

    async def held(self, call_sid: str) -> None:
        """This process holds the call's socket from now on."""
        if self.relay is not None:
            await self.relay.subscribe(self.topic(call_sid), self._arrived)

    async def released(self, call_sid: str) -> None:
        if self.relay is not None:
            await self.relay.unsubscribe(self.topic(call_sid))

    async def cross(self, call_sid: str, reply: Reply, said_id: str) -> bool:
        """Hand the reply to the process holding the call; False if none does (or no relay)."""
        if self.relay is None:
            return False
        frame = json.dumps({"id": said_id, "reply": reply.model_dump_json()})
        return await self.relay.publish(self.topic(call_sid), frame) > 0

    async def _arrived(self, topic: str, data: str) -> None:
        frame = json.loads(data)
        await self.speak(topic.removeprefix("voice:"), Reply.model_validate_json(frame["reply"]), frame["id"])
