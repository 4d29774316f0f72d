"""A conversation's persona chosen where it started: a page embedding the web widget with
``data-persona="sales"`` sends it as ``Inbound.meta["persona"]``. The first choice sticks for the
conversation (kept in its state, where the engine looks for it on every later turn); a name the
bot has no persona for is ignored, and the default persona answers."""

from __future__ import annotations

from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn


def chosen_persona(personas: PersonaCatalog) -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        wanted = turn.inbound.meta.get("persona", "") if turn.inbound is not None else ""
        if wanted and "persona" not in turn.state and wanted in personas.personas:
            turn.state["persona"] = wanted
            turn.persona = personas.get(wanted)
        await call_next(turn)

    return mw
