"""The typed ``Turn``: everything one pass through the pipeline reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parley.core.i18n.locales import LocalePack
from parley.core.i18n.personas import Persona
from parley.core.kernel.messages import Address, Button, Inbound, Reply


@dataclass
class Turn:
    address: Address
    now: datetime
    persona: Persona
    pack: LocalePack
    inbound: Inbound | None = None  # None for a proactive turn
    proactive: Reply | None = None  # what a scheduled job wants to say
    state: dict[str, Any] = field(default_factory=dict)  # per conversation, saved after the turn
    profile: dict[str, Any] = field(default_factory=dict)  # per person, saved after the turn
    replies: list[Reply] = field(default_factory=list)
    # Messages for other addresses (a desk thread, a rep's DM), sent through the same durable
    # outbox and committed with the turn.
    forwards: list[tuple[Address, Reply]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # metrics labels, log fields

    @property
    def text(self) -> str:
        return self.inbound.text if self.inbound else ""

    @property
    def locale(self) -> str:
        return self.pack.code

    def say(
        self,
        text: str,
        buttons: tuple[Button, ...] = (),
        sources: tuple[str, ...] = (),
        kind: str = "answer",
    ) -> Reply:
        reply = Reply(text=text, buttons=buttons, sources=sources, kind=kind)  # type: ignore[arg-type]
        self.replies.append(reply)
        return reply

    def forward(self, address: Address, reply: Reply) -> None:
        self.forwards.append((address, reply))

    def system(self, key: str, buttons: tuple[Button, ...] = (), **values: Any) -> Reply:
        """Say one of the locale pack's system messages."""
        return self.say(self.pack.t(key, **values), buttons=buttons, kind="system")
