"""Complaints and frustration, recognised per locale and honoured through ``escalate_on``.

Each pack lists the words of a complaint ("arrived damaged", "wrong item", "third time I ask")
and of frustration ("this is useless") under ``intents.complaint`` and ``intents.frustration``.
A persona whose ``escalate_on`` names "complaint" (or "frustration") hands such a message to a
person at once, with an apology in the customer's language; otherwise the customer still gets
the apology and the person button rather than a passage about something else.
"""

from __future__ import annotations

from typing import Literal

from parley.core.brains.brain import Answer
from parley.core.brains.phrases import has_phrase, human_button
from parley.core.i18n.locales import LocalePack
from parley.core.kernel.turn import Turn

Kind = Literal["complaint", "frustration"]


def upset(text: str, pack: LocalePack) -> Kind | None:
    if has_phrase(text, pack.phrases("frustration")):
        return "frustration"
    if has_phrase(text, pack.phrases("complaint")):
        return "complaint"
    return None


def escalation(turn: Turn) -> Answer | None:
    kind = upset(turn.text, turn.pack)
    if kind is None:
        return None
    pack, persona = turn.pack, turn.persona
    apology = pack.t(f"{kind}_reply")
    if kind in persona.escalate_on or (kind == "frustration" and "complaint" in persona.escalate_on):
        return Answer(f"{apology} {pack.t('handoff_started')}", handoff=True, intent=kind)
    return Answer(f"{apology} {pack.t('handoff_offer')}", buttons=(human_button(pack),), intent=kind)
