""" "Why did you say that?": the sources and the reasoning behind the last answer, from what the
brain recorded when it answered (``state["last_explain"]``), not a new guess by the model."""

from __future__ import annotations

import re
from typing import Any

from core.brain import Answer
from core.knowledge import Passage
from core.locales import LocalePack
from core.retrieval import has_phrase
from core.turn import Turn

# English defaults; a pack adds its own under [intents] why = [...].
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
    if not ids:
        text = "My last answer was not based on any document from our knowledge base."
        if last.get("intent") == "fallback":
            text += " I didn't find the answer there, so I said so rather than guess."
        return Answer(text, intent="explain")
    lines = [f"- {s['title']} ({s['id']})" for s in sources] or [f"- {i}" for i in ids]
    text = "I based my last answer on these documents from our knowledge base:\n" + "\n".join(lines)
    if last.get("tools"):
        text += "\nI also used: " + ", ".join(last["tools"]) + "."
    return Answer(text, sources=ids, intent="explain")
