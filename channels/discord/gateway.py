"""discord.py's client, with the gateway's events handed to the channel and a bad frame or
dispatch dropped instead of ending the connection.

discord.py parses each dispatch (``MESSAGE_CREATE`` ...) inside its websocket's read loop; a
parser that raises (a payload missing a field it indexes) escapes ``Client.connect``, which
only reconnects on network errors: the gateway task ended, the singleton restarted it about 5 s
later with a fresh IDENTIFY, and the events in between were lost. Each parser is wrapped so the
one event is dropped with one log line and the session goes on (no reconnect, no IDENTIFY).

A frame that is not a JSON object at all (garbage, a truncated frame, a JSON list) fails
earlier, in the websocket's ``received_message``, with the same outcome; discord.py builds a new
websocket per connection and hands each to its state's ``_update_references``, the one place a
client can reach it, so the state below wraps that reader for each new websocket.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord.state import ConnectionState
from parley.channels.discord.buckets import AmortisedHTTPClient

log = logging.getLogger("parley.discord")


class Listener(Protocol):
    async def on_message(self, message: discord.Message) -> None: ...

    async def on_interaction(self, interaction: discord.Interaction) -> None: ...

    async def on_edit(self, message: discord.Message, edited_at: str) -> None: ...


def tolerant(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def parse_or_drop(data: Any) -> None:
        try:
            parse(data)
        except Exception as exc:  # one unreadable event must not end the gateway session
            log.warning("discord gateway event dropped: %s could not be read (%s)", event, type(exc).__name__)

    return parse_or_drop


# What reading a frame that is not a JSON object raises: a decode error (ValueError, of which
# UnicodeDecodeError is one), or a JSON value without ``.get`` (AttributeError, TypeError), or a
# HELLO or READY missing a field (KeyError). Reconnect requests and closes pass through.
UNREADABLE = (ValueError, AttributeError, TypeError, KeyError)


def tolerant_frames(read: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    async def read_or_drop(msg: Any) -> None:
        try:
            await read(msg)
        except UNREADABLE as exc:
            size = len(msg) if isinstance(msg, (str, bytes)) else 0
            log.warning(
                "discord gateway frame dropped: not a readable gateway payload (%s, %d bytes)", type(exc).__name__, size
            )

    return read_or_drop


class TolerantState(ConnectionState):
    def _update_references(self, ws: Any) -> None:
        super()._update_references(ws)
        ws.received_message = tolerant_frames(ws.received_message)


class GatewayClient(discord.Client):
    """discord.py calls ``on_<event>`` methods; these hand the events to the channel."""

    def __init__(self, listener: Listener, **options: Any) -> None:
        super().__init__(**options)
        self.listener = listener

    def _get_state(self, **options: Any) -> Any:
        # The hook discord.py builds its parser table in (Client.__init__); the websocket reads
        # the table from the state at each connect. The HTTP client, built just before with no
        # way to pass one in, is swapped here for one whose bucket sweep is amortised (buckets.py).
        self.http = AmortisedHTTPClient.like(self.http)
        state = TolerantState(
            dispatch=self.dispatch, handlers=self._handlers, hooks=self._hooks, http=self.http, **options
        )
        state.parsers = {event: tolerant(event, parse) for event, parse in state.parsers.items()}
        return state

    async def on_message(self, message: discord.Message) -> None:
        await self.listener.on_message(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.listener.on_interaction(interaction)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        # Raw: fired whether or not the message is in discord.py's cache. An update without an
        # edited_timestamp is Discord adding an embed (a link preview), not the person editing.
        edited_at = payload.data.get("edited_timestamp")
        if edited_at:
            await self.listener.on_edit(payload.message, str(edited_at))
