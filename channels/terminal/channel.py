"""``python bot.py chat``: talk to the bot in the terminal, through the same pipeline."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable

from parley.core.kernel.channel import Capabilities, Channel, ChannelContext
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.render import as_text


class TerminalChannel(Channel):
    name = "terminal"
    capabilities = Capabilities(
        buttons=False, max_text=100_000, per_chat_rate=1000, per_chat_burst=1000, global_rate=1000
    )

    def __init__(self, ctx: ChannelContext, *, out=sys.stdout, on_quit: Callable[[], None] = lambda: None) -> None:
        super().__init__(ctx)
        self.deliver = ctx.deliver
        self.out = out
        self.on_quit = on_quit  # the person left (quit, Ctrl-D): `parley chat` ends then
        self.session = f"{int(time.time())}"
        self.address = Address(channel=self.name, chat=self.session, user="local")
        self.replied = asyncio.Event()
        self._ids = itertools.count(1)

    async def run(self) -> None:
        try:
            await self._converse()
        finally:
            self.on_quit()

    async def _converse(self) -> None:
        loop = asyncio.get_running_loop()
        self.out.write("Talk to Parley. Type 'quit' or press Ctrl-D to leave.\n")
        while True:
            self.out.write("you> ")
            self.out.flush()
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip().lower() in ("quit", "exit"):
                return
            if not line.strip():
                continue
            self.replied.clear()
            await self.deliver(
                Inbound(address=self.address, event_id=f"{self.session}-{next(self._ids)}", text=line.rstrip("\n"))
            )
            try:
                async with asyncio.timeout(30):
                    await self.replied.wait()
            except TimeoutError:
                self.out.write("(no answer yet)\n")

    async def send(self, address: Address, reply: Reply) -> str:
        self.out.write(f"bot> {as_text(reply, buttons=False)}\n")
        self.out.flush()
        self.replied.set()
        return reply.meta.get("id", "")
