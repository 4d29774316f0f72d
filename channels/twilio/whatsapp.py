"""WhatsApp's 24-hour customer-service window and the approved templates used outside it.

Meta's rule: a business may send free-form messages only within 24 hours of the person's last
message; outside it only an approved template (Twilio: ``ContentSid`` + ``ContentVariables``,
no ``Body``). A template sent as ``Body`` fails with error 63016, often reported late through the
status callback, so we decide before sending, from our own record of the last inbound message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from parley.core.kernel.clock import Clock
from parley.core.kernel.messages import Reply
from parley.core.storage.store import KeyValueStore

WINDOW = 24 * 3600.0


class WhatsAppWindow:
    """When each address last wrote to us, in the store (so every process agrees)."""

    def __init__(self, store: KeyValueStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def opened(self, chat: str) -> None:
        # Kept a little longer than the window: after that its absence means "closed" anyway.
        await self.store.put(f"whatsapp:last_in:{chat}", repr(self.clock()), ttl=WINDOW + 3600)

    async def is_open(self, chat: str) -> bool:
        last = await self.store.get(f"whatsapp:last_in:{chat}")
        return last is not None and self.clock() - float(last) < WINDOW


@dataclass(frozen=True)
class Template:
    content_sid: str
    variables: str  # JSON object, as Twilio wants it


def template_kind(reply: Reply) -> str:
    """A scheduled job may name its template kind ("reminder", "follow_up"); else the reply kind."""
    return reply.meta.get("template") or reply.kind


def template_for(templates: dict[str, str], reply: Reply, locale: str) -> Template | None:
    """The approved template for this reply: ``kind:locale`` first, then ``kind:base-language``,
    then ``kind`` for every locale. Variables come from ``reply.meta["template_vars"]`` (a JSON
    object) or, by default, the reply text as variable ``1``."""
    variables = reply.meta.get("template_vars") or json.dumps({"1": reply.text}, ensure_ascii=False)
    if reply.meta.get("template_sid"):  # a campaign names its approved template per locale itself
        return Template(reply.meta["template_sid"], variables)
    kind = template_kind(reply)
    base = locale.split("-")[0]
    for key in (f"{kind}:{locale}", f"{kind}:{base}", kind):
        sid = templates.get(key)
        if sid:
            return Template(sid, variables)
    return None
