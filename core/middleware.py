"""The standard middlewares. Each is ``async def mw(turn, call_next)``; order is set in core.app.

guard -> history -> locale -> commands -> handoff gate -> disclosure -> brain (the endpoint)
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from core.brain import Brain
from core.channel import Streaming
from core.locales import LocaleCatalog
from core.messages import Address, Button, Reply
from core.metrics import Metrics
from core.pipeline import Handler, Middleware
from core.render import choice
from core.retrieval import human_button
from core.streaming import think
from core.turn import Turn

HISTORY = 40  # turns kept in state: enough for an LLM window and a handoff summary


def guard(max_chars: int, per_minute: int, clock: Callable[[], float] = time.time) -> Middleware:
    """Empty, oversized and flooding input gets a polite answer and never reaches the brain."""
    recent: dict[str, deque[float]] = {}

    async def mw(turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        if inbound is None:
            return await call_next(turn)
        now = clock()
        window = recent.setdefault(inbound.address.person, deque())
        while window and window[0] < now - 60:
            window.popleft()
        window.append(now)
        if len(window) > per_minute:
            turn.tags["refused"] = "flood"
            if len(window) == per_minute + 1:  # say it once, then stay quiet
                turn.system("slow_down")
            return
        if inbound.kind != "button" and not inbound.text.strip() and not inbound.attachments:
            turn.tags["refused"] = "empty"
            turn.system("empty")
        elif len(inbound.text) > max_chars:
            turn.tags["refused"] = "too_long"
            turn.system("too_long", limit=max_chars)
        elif inbound.attachments and not inbound.text.strip():
            turn.system("unsupported_media")
        else:
            await call_next(turn)

    return mw


async def history(turn: Turn, call_next: Handler) -> None:
    """Keep a bounded transcript in conversation state (LLM context, handoff summaries)."""
    log = turn.state.setdefault("history", [])
    at = turn.now.isoformat(timespec="seconds")
    if turn.inbound is not None:
        said = turn.inbound.text or turn.inbound.meta.get("title", turn.inbound.payload)
        log.append({"role": "user", "text": said, "at": at})
    await call_next(turn)
    for reply in turn.replies:
        log.append({"role": "bot" if reply.kind != "agent" else "agent", "text": reply.text, "at": at})
    if turn.replies and turn.replies[-1].buttons:
        turn.state["last_buttons"] = [[b.title, b.payload] for b in turn.replies[-1].buttons]
    elif turn.replies:
        turn.state.pop("last_buttons", None)
    del log[:-HISTORY]


def locale(catalog: LocaleCatalog) -> Middleware:
    """Choose the pack: the person's explicit choice, else the platform's hint, else the default.
    (Offline language detection slots in here, between the two.)"""

    async def mw(turn: Turn, call_next: Handler) -> None:
        chosen = turn.profile.get("locale")
        hint = turn.inbound.locale_hint if turn.inbound else ""
        code = chosen or catalog.match(hint) or catalog.default
        if hint and not chosen and catalog.match(hint):
            turn.profile["locale"] = code
        turn.pack = catalog.get(code)
        await call_next(turn)

    return mw


async def commands(turn: Turn, call_next: Handler) -> None:
    """Platform-neutral commands: /start (with a deep-link payload), /human, numbered choices."""
    inbound = turn.inbound
    if inbound is None:
        return await call_next(turn)
    text = inbound.text.strip()
    if inbound.kind == "message" and "last_buttons" in turn.state:
        last = Reply(text="", buttons=tuple(Button(title=t, payload=p) for t, p in turn.state["last_buttons"]))
        payload = choice(text, last)
        if payload:
            turn.inbound = inbound = inbound.model_copy(update={"kind": "button", "payload": payload})
    if inbound.kind == "button" and inbound.payload.startswith("/"):
        text = inbound.payload
    if text.startswith("/start"):
        payload = text[len("/start") :].strip()
        if payload:
            turn.profile.setdefault("attribution", payload)  # first touch wins
        turn.system("greeting", name=turn.persona.name)
        return
    if text == "/human":
        turn.state["handoff"] = {"status": "requested", "at": turn.now.isoformat(), "reason": "asked"}
        turn.system("handoff_started")
        return
    await call_next(turn)


async def handoff_gate(turn: Turn, call_next: Handler) -> None:
    """While a person owns the conversation the bot stays silent: never two answers."""
    if turn.inbound is not None and turn.state.get("handoff", {}).get("status") == "active":
        turn.tags["handoff"] = "relay"
        return
    await call_next(turn)


async def disclosure(turn: Turn, call_next: Handler) -> None:
    """Say it is an AI, per the persona's policy, and never pretend otherwise."""
    await call_next(turn)
    policy = turn.persona.disclosure
    if turn.inbound is None or not turn.replies:
        return
    first = not turn.state.get("disclosed")
    if (policy == "first" and first) or policy == "always":
        note = turn.pack.t("ai_disclosure", name=turn.persona.name)
        head = turn.replies[0]
        turn.replies[0] = head.model_copy(update={"text": f"{note}\n\n{head.text}"})
        turn.state["disclosed"] = True


def respond(brain: Brain, metrics: Metrics, streaming: Callable[[Address], Streaming | None] | None = None) -> Handler:
    """The endpoint: a proactive message is said as is; anything else goes to the brain (streamed
    to the channel when both can: core.streaming)."""

    async def endpoint(turn: Turn) -> None:
        if turn.proactive is not None:
            turn.replies.append(turn.proactive)
            return
        answer, streamed = await think(brain, turn, streaming(turn.address) if streaming else None)
        metrics.answers.labels(turn.address.channel, answer.intent).inc()
        turn.tags["intent"] = answer.intent
        turn.tags["brain"] = answer.meta.get("brain", "")
        buttons = answer.buttons
        if answer.handoff:
            turn.state["handoff"] = {"status": "requested", "at": turn.now.isoformat(), "reason": answer.intent}
            metrics.handoffs.labels(turn.address.channel, answer.intent).inc()
        elif answer.intent == "fallback" and not buttons:
            buttons = (human_button(turn.pack),)
        reply = turn.say(answer.text, buttons=buttons, sources=answer.sources)
        if streamed:  # already on screen: the outbox send becomes the final edit, not a 2nd message
            turn.replies[-1] = reply.model_copy(update={"meta": {**reply.meta, "streamed": streamed}})
        if answer.sources:
            turn.state["last_sources"] = list(answer.sources)

    return endpoint
