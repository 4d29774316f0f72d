"""Helpers for the LLM brain tests: a brain built from settings against the fake, and turns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.llm import build_llm
from parley.core.brains.llm.brain import LLMBrain
from parley.core.brains.retrieval import RetrievalBrain
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.turn import Turn

KEY = "sk-test-0123456789abcdef"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ADDRESS = Address(channel="web", chat="c1", user="c1")
KB = KnowledgeBase.load(shipped("knowledge") / "demo")


def llm_settings(base_url: str, **llm: Any) -> dict[str, Any]:
    values = {"api_key": KEY, "base_url": base_url, "timeout": 1.0, "deadline": 3.0, "backoff": 0.01, **llm}
    return {"llm": values}


def make_brain(make_settings, base_url: str, **llm: Any) -> LLMBrain:
    brain = build_llm(make_settings(**llm_settings(base_url, **llm)), KB, RetrievalBrain(KB))
    assert brain is not None
    return brain


def make_turn(
    text: str,
    *,
    tools: list[str] | None = None,
    state: dict | None = None,
    profile: dict | None = None,
    locale: str = "en",
) -> Turn:
    persona = PersonaCatalog.load(shipped("personas"), "demo").get()
    if tools is not None:
        persona = persona.model_copy(update={"allowed_tools": tools})
    pack = LocaleCatalog.load(shipped("locales")).get(locale)
    inbound = Inbound(address=ADDRESS, event_id="e1", text=text)
    return Turn(ADDRESS, NOW, persona, pack, inbound=inbound, state=state or {}, profile=profile or {})
