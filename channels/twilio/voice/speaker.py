"""Writes one streamed answer's ``text`` frames to the call's socket.

Every frame is a websocket write, a system call that on loopback or a LAN also does much of the
receiver's work; a model's tokens often arrive in bursts (several in one network read), and a
frame each made them a tenth of the server's profile samples in bench/voice.py. The first words
go out at once: they are what the caller waits for. Words that arrive after them in the same
pass of the event loop, or while a write is pending, go out together in the next frame, so a
burst costs one write, and a model that writes slowly still has each word sent as it comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from parley.channels.twilio.voice import protocol
from parley.channels.twilio.voice.relay import Call


class Speaker:
    def __init__(self, call: Call, heard: Callable[[], bool]) -> None:
        self.call = call
        self.heard = heard  # False once the caller interrupted (or the call ended): say nothing more
        self.pending: list[str] = []
        self.sender: asyncio.Task[None] | None = None
        self.started = False

    async def say(self, words: str) -> None:
        """Queue words; the first ones are written before this returns."""
        if not self.started:
            self.started = True
            await self._write(words)
            return
        self.pending.append(words)
        if self.sender is None or self.sender.done():
            if self.sender is not None:
                self.sender.result()  # a write that failed (the socket dropped) ends the stream here
            # Runs once this pass of the loop is over: what else arrives meanwhile joins the frame.
            self.sender = asyncio.create_task(self._send())

    async def finish(self) -> None:
        """Wait until everything queued is written (or dropped, if the caller cut in)."""
        if self.sender is not None:
            await self.sender

    async def _send(self) -> None:
        while self.pending and self.heard():
            words = "".join(self.pending)
            self.pending.clear()
            await self._write(words)
        self.pending.clear()

    async def _write(self, words: str) -> None:
        await self.call.ws.send_str(protocol.text(words, last=False, lang=self.call.lang))
