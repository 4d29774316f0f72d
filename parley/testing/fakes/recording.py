"""A channel that records what it is asked to send (in memory, and optionally one line per send
in a file, so a test can count sends across processes killed with SIGKILL)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext
from parley.core.kernel.clock import Clock, system_clock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.memory import MemoryStore

# Rate limits far above any test's pace: a test's clock may stand still, and a throttled reply
# would wait for a time that never comes.
UNLIMITED = Capabilities(per_chat_rate=1000, per_chat_burst=1000, global_rate=100_000)


class RecordingChannel(Channel):
    """Pass it to a bot as ``channels=[functools.partial(RecordingChannel, name="rec")]``."""

    capabilities = UNLIMITED

    def __init__(
        self,
        ctx: ChannelContext,
        *,
        name: str = "rec",
        path: Path | None = None,
        capabilities: Capabilities = UNLIMITED,
    ) -> None:
        super().__init__(ctx)
        self.name = name
        self.capabilities = capabilities
        self.sent: list[tuple[Address, Reply]] = []
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if path else None

    async def send(self, address: Address, reply: Reply) -> str:
        self.sent.append((address, reply))
        if self._fd is not None:  # one write(2) per line: whole lines even if the process dies
            line = json.dumps({"id": reply.meta.get("id", ""), "chat": address.chat, "text": reply.text})
            os.write(self._fd, (line + "\n").encode())
        return reply.meta.get("id", "")

    def texts(self, chat: str | None = None) -> list[str]:
        return [r.text for a, r in self.sent if chat is None or a.chat == chat]

    async def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def context(deliver=None, clock: Clock = system_clock, store=None) -> ChannelContext:
    """A ChannelContext for a channel tested on its own, without a bot."""

    async def accept(inbound: Inbound) -> bool:
        return True

    return ChannelContext(deliver or accept, store or MemoryStore(clock=clock), Metrics(), clock)
