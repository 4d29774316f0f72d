"""A channel that records what it is asked to send (in memory, and optionally one line per send
in a file, so a test can count sends across processes killed with SIGKILL)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from aiohttp import web
from parley.core.kernel.channel import Capabilities
from parley.core.kernel.messages import Address, Reply


class RecordingChannel:
    capabilities = Capabilities(per_chat_rate=1000, per_chat_burst=1000, global_rate=100_000)

    def __init__(self, name: str = "rec", path: Path | None = None) -> None:
        self.name = name
        self.sent: list[tuple[Address, Reply]] = []
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if path else None

    def routes(self) -> list[web.RouteDef]:
        return []

    async def run(self) -> None:
        return None

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
