""" "Why did you say that?": the sources and the reasoning behind the last answer, from what the
brain recorded when it answered (``state["last_explain"]``), not a new guess by the model."""

from __future__ import annotations

import re
from typing import Any

from parley.core.brains.brain import Answer
from parley.core.brains.knowledge import Passage
from parley.core.brains.phrases import has_phrase
from parley.core.i18n.locales import LocalePack
from parley.core.kernel.turn import Turn

# Always understood (English is the fallback language); a pack adds its own: [intents] why = [...].
_WHY = re.compile(
    r"\b(why (did|do|would) you (say|think|answer|suggest)|what('s| is| are) your sources?|"
    r"where (did|do) you get (that|this)|how do you know)\b",
    re.IGNORECASE,
)


def asks_why(text: str, pack: LocalePack) -> bool:
    return bool(_WHY.search(text)) or has_phrase(text, pack.phrases("why"))


def record(turn: Turn, passages: list[Passage], cited: list[int], tools: list[str], intent: str) -> None:
    turn.state["last_explain"] = {
        "sources": [{"id": p.source, "title": p.title} for p in passages],
        "cited": [passages[n - 1].source for n in cited],
        "tools": tools,
        "intent": intent,
    }


def explain(turn: Turn) -> Answer:
    last: dict[str, Any] = turn.state.get("last_explain") or {}
    sources = [s for s in last.get("sources", []) if s["id"] in (last.get("cited") or [])] or last.get("sources", [])
    ids = tuple(s["id"] for s in sources) or tuple(turn.state.get("last_sources", []))
    pack = turn.pack
    if not ids:
        text = pack.t("explain_none")
        if last.get("intent") == "fallback":
            text += " " + pack.t("explain_unknown")
        return Answer(text, intent="explain")
    lines = [f"- {s['title']} ({s['id']})" for s in sources] or [f"- {i}" for i in ids]
    text = pack.t("explain_sources") + "\n" + "\n".join(lines)
    if last.get("tools"):
        text += "\n" + pack.t("explain_tools", tools=", ".join(last["tools"]))
    return Answer(text, sources=ids, intent="explain")
