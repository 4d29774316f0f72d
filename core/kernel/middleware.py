"""The standard middlewares. Each is ``async def mw(turn, call_next)``; order is set in parley.app.

locale_meta -> edits -> guard -> history -> locale -> desk (handoff) -> commands -> disclosure -> brain (the endpoint)
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from parley.core.brains.brain import Brain
from parley.core.brains.phrases import human_button
from parley.core.http.metrics import Metrics
from parley.core.i18n.language import LanguageDetector
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.channel import Streaming
from parley.core.kernel.messages import Address, Button, Inbound, Reply
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.render import choice
from parley.core.kernel.streaming import think
from parley.core.kernel.turn import Turn

HISTORY = 40  # turns kept in state: enough for an LLM window and a handoff summary


class Guard:
    """Empty, oversized and flooding input gets a polite answer and never reaches the brain."""

    def __init__(
        self, max_chars: int, per_minute: int, clock: Callable[[], float] = time.time, max_tracked: int = 4096
    ) -> None:
        self.max_chars = max_chars
        self.per_minute = per_minute
        self.clock = clock
        if max_tracked < 1:
            raise ValueError("the flood guard must hold at least the person writing now (max_tracked >= 1)")
        self.max_tracked = max_tracked
        # Person -> times of their last minute's messages, least recently heard from first.
        self._recent: OrderedDict[str, list[float]] = OrderedDict()

    @property
    def tracked(self) -> int:
        """How many people the flood window holds now."""
        return len(self._recent)

    def _heard(self, person: str, now: float) -> list[float]:
        """Note a message from ``person``; their window of the last minute, this one included."""
        window = self._recent.get(person)
        if window is None:
            window = self._recent[person] = []
        else:
            self._recent.move_to_end(person)
            # Only "more than per_minute?" and "just past it?" are asked of the window: its
            # newest per_minute + 2 times answer both, so a flooder's window stays that short.
            window[:] = [t for t in window[-(self.per_minute + 1) :] if t >= now - 60]
        window.append(now)
        # The map is ordered by who was heard from last: forgetting people quiet for a minute
        # looks only at the front, and past ``max_tracked`` (a flood of made-up ids within one
        # minute) the longest quiet go first. A flooder writes often, so stays at the back. The
        # map holds the last minute's talkers, never everyone who ever wrote.
        while len(self._recent) > self.max_tracked or self._recent[next(iter(self._recent))][-1] < now - 60:
            self._recent.popitem(last=False)
        return window

    async def __call__(self, turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        if inbound is None:
            return await call_next(turn)
        window = self._heard(inbound.address.person, self.clock())
        if len(window) > self.per_minute:
            turn.tags["refused"] = "flood"
            if len(window) == self.per_minute + 1:  # say it once, then stay quiet
                turn.system("slow_down")
            return
        if inbound.kind != "button" and not inbound.text.strip() and not inbound.attachments:
            turn.tags["refused"] = "empty"
            turn.system("empty")
        elif len(inbound.text) > self.max_chars:
            turn.tags["refused"] = "too_long"
            turn.system("too_long", limit=self.max_chars)
        elif inbound.attachments and not inbound.text.strip() and not (inbound.location or inbound.contacts):
            # A pin or a contact card is typed (turn.inbound.location, .contacts): it goes on.
            if all(a.kind == "sticker" for a in inbound.attachments):
                sticker(turn)
            else:
                turn.system("unsupported_media")
        else:
            await call_next(turn)


def sticker(turn: Turn) -> None:
    """A sticker alone is small talk, like a wave or a thumbs-up: a greeting when the bot has not
    spoken yet in this conversation, else "you're welcome, anything else?". Never "I can only
    read text" (nothing to describe) nor "I didn't catch anything"."""
    turn.tags["intent"] = "sticker"
    if any(entry.get("role") == "bot" for entry in turn.state.get("history", ())):
        turn.system("thanks_reply")
    else:
        turn.say(turn.persona.greet(turn.pack), kind="system")


def guard(max_chars: int, per_minute: int, clock: Callable[[], float] = time.time, max_tracked: int = 4096) -> Guard:
    return Guard(max_chars, per_minute, clock, max_tracked)


def transcript(turn: Turn) -> list[dict]:
    """The transcript this turn adds to. A person with linked identities has one, on their
    profile (core/linking): the conversation shows it too, so the brain and the desk see what
    was said on every channel. After an unlink, a conversation drops what other channels said."""
    channel = turn.address.channel
    if len(turn.profile.get("identities", ())) > 1:
        log = turn.profile.setdefault("history", [])
        turn.state["history"] = log
        return log
    log = turn.state.setdefault("history", [])
    if any(e.get("via", channel) != channel for e in log):
        log[:] = [e for e in log if e.get("via", channel) == channel]
    return log


async def history(turn: Turn, call_next: Handler) -> None:
    """Keep a bounded transcript in conversation state (LLM context, handoff summaries)."""
    log = transcript(turn)
    linked = "history" in turn.profile and turn.state.get("history") is turn.profile["history"]
    via = {"via": turn.address.channel} if linked else {}
    at = turn.now.isoformat(timespec="seconds")
    if turn.inbound is not None:
        said = turn.inbound.text or turn.inbound.meta.get("title", turn.inbound.payload)
        entry = {"role": "user", "text": said, "at": at, **via}
        if turn.inbound.message_id:  # what a later edit of this message finds (parley.core.kernel.edits)
            entry["id"] = turn.inbound.message_id
        log.append(entry)
    await call_next(turn)
    for reply in turn.replies:
        said = {"role": "bot" if reply.kind != "agent" else "agent", "text": reply.text, "at": at, **via}
        if reply.sources:  # what the bot cited: the console's transcript shows it
            said["sources"] = list(reply.sources)
        log.append(said)
    if turn.replies and turn.replies[-1].buttons:
        turn.state["last_buttons"] = [[b.title, b.payload] for b in turn.replies[-1].buttons]
    elif turn.replies:
        turn.state.pop("last_buttons", None)
    del log[:-HISTORY]


async def attribution(turn: Turn, call_next: Handler) -> None:
    """Where the person came from when the platform says so (a Click-to-WhatsApp ad): kept on the
    conversation (``state["referral"]``, the ad's fields) and, first touch wins, on the profile
    as ``attribution`` (``ad:<source id>``), which leads and campaigns report."""
    inbound = turn.inbound
    if inbound is not None and inbound.referral is not None:
        referral = inbound.referral
        turn.state.setdefault("referral", referral.model_dump())
        turn.profile.setdefault("attribution", f"{referral.source_type or 'ad'}:{referral.source_id}")
    await call_next(turn)


def locale(catalog: LocaleCatalog) -> Middleware:
    """Choose the pack, per person: an explicit choice ("/language es", "¿hablas español?") over
    the language detected in the text, over the platform's hint, over the default (parley.core.i18n.language).
    Kept on the profile as ``locale`` and ``locale_source``; a person who switches is followed."""
    detector = LanguageDetector(catalog)

    async def mw(turn: Turn, call_next: Handler) -> None:
        inbound, profile = turn.inbound, turn.profile
        if inbound is None:  # proactive: the person's stored language
            turn.pack = catalog.get(profile.get("locale") or catalog.default)
            return await call_next(turn)
        said = inbound.payload if inbound.kind == "button" else inbound.text
        answer = pressed(turn, inbound)  # "3" to the /language list on SMS
        if answer and answer.startswith("/language"):
            said = answer
        requested = detector.requested(said) if said else None
        if requested is not None:
            return _switch(turn, catalog, requested)
        code, source = profile.get("locale"), profile.get("locale_source", "hint" if profile.get("locale") else "")
        if source != "explicit":
            found = detector.detect(inbound.text) if inbound.kind == "message" else None
            if found is not None and not found.strong and found.code != code:
                # One word of another language ("ok merci", "bonjour <3 & co") moves neither a
                # conversation settled in a language nor the platform's hint; a whole greeting
                # ("merci", "hola") still beats a hint.
                if source == "detected" or (found.how == "words" and _hinted(detector, inbound)):
                    found = None
            # A detected language sticks until the person writes confidently in another one;
            # hints may change (the person's app language) and are re-read each turn.
            hinted = _hinted(detector, inbound) if found is None and source != "detected" else None
            if found is not None:
                code, source = found.code, "detected"
            elif hinted:
                code, source = hinted, "hint"
            elif not code:
                code, source = catalog.default, "default"
        turn.pack = catalog.get(code or catalog.default)
        profile["locale"], profile["locale_source"] = turn.pack.code, source
        region = region_of(inbound.locale_hint)
        if region:  # "ar-AE": the scheduler's quiet hours and weekend follow the region
            profile["region"] = region
        turn.tags["locale"] = turn.pack.code
        await call_next(turn)

    return mw


def pressed(turn: Turn, inbound: Inbound) -> str | None:
    """The payload of the last buttons a text answer names ("2", or a title): channels without
    buttons show them as numbered choices (parley.core.kernel.render)."""
    if inbound.kind != "message" or "last_buttons" not in turn.state:
        return None
    last = Reply(text="", buttons=tuple(Button(title=t, payload=p) for t, p in turn.state["last_buttons"]))
    return choice(inbound.text.strip(), last)


def region_of(hint: str) -> str:
    """The region subtag of a BCP 47 hint: "ar-AE" -> "AE", "zh_Hans_CN" -> "CN", "fr" -> ""."""
    parts = hint.replace("_", "-").split("-")
    last = parts[-1] if len(parts) > 1 else ""
    return last.upper() if len(last) == 2 and last.isalpha() else ""


def _hinted(detector: LanguageDetector, inbound: Inbound) -> str | None:
    hint = inbound.locale_hint
    if hint.startswith(("+", "whatsapp:+")):
        return detector.from_phone(hint)
    if hint:
        return detector.catalog.match(hint)
    # SMS and WhatsApp give no language, but the number's country code is a fair guess.
    return detector.from_phone(inbound.address.user)


def _switch(turn: Turn, catalog: LocaleCatalog, requested: str) -> None:
    if not requested:  # "/language" alone, or a language we do not ship: offer what we have
        turn.pack = catalog.get(turn.profile.get("locale") or catalog.default)
        buttons = tuple(Button(title=catalog.get(c).name, payload=f"/language {c}") for c in catalog.codes)
        turn.system("language_prompt", buttons=buttons)
        return
    turn.pack = catalog.get(requested)
    turn.profile["locale"], turn.profile["locale_source"] = turn.pack.code, "explicit"
    turn.tags["locale"] = turn.pack.code
    turn.system("language_set", language=turn.pack.name)


async def locale_meta(turn: Turn, call_next: Handler) -> None:
    """Stamp every reply with the pack's language and direction: the web chat renders Arabic
    right-to-left from ``dir`` and lets screen readers pick a voice from ``lang``."""
    await call_next(turn)
    pack = turn.pack
    turn.replies[:] = [
        r if "lang" in r.meta else r.model_copy(update={"meta": {**r.meta, "dir": pack.direction, "lang": pack.code}})
        for r in turn.replies
    ]


async def commands(turn: Turn, call_next: Handler) -> None:
    """Platform-neutral commands: /start (with a deep-link payload), /human, numbered choices."""
    inbound = turn.inbound
    if inbound is None:
        return await call_next(turn)
    text = inbound.text.strip()
    payload = pressed(turn, inbound)
    if payload:
        turn.inbound = inbound = inbound.model_copy(update={"kind": "button", "payload": payload})
    if inbound.kind == "button" and inbound.payload.startswith("/"):
        text = inbound.payload
    if text.startswith("/start"):
        payload = text[len("/start") :].strip()
        if payload:
            turn.profile.setdefault("attribution", payload)  # first touch wins
        turn.say(turn.persona.greet(turn.pack), kind="system")
        return
    if text == "/human":
        turn.handoff("asked")
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
    to the channel when both can: parley.core.kernel.streaming)."""

    async def endpoint(turn: Turn) -> None:
        if turn.inbound is None:  # proactive: nobody asked the brain anything
            if turn.proactive is not None:
                turn.replies.append(turn.proactive)
            return
        answer, streamed = await think(brain, turn, streaming(turn.address) if streaming else None)
        metrics.answers.labels(turn.address.channel, answer.intent).inc()
        turn.answer = answer
        turn.tags["intent"] = answer.intent
        turn.tags["brain"] = answer.brain
        buttons = answer.buttons
        if answer.handoff:
            # parley.core.handoff.Desk opens the case (and counts it) once the turn is answered.
            turn.handoff(answer.intent, announce=False)  # the brain's answer says so itself
        elif answer.intent == "fallback" and not buttons:
            buttons = (human_button(turn.pack),)
        reply = turn.say(answer.text, buttons=buttons, sources=answer.sources)
        if streamed:  # already on screen: the outbox send becomes the final edit, not a 2nd message
            turn.replies[-1] = reply.model_copy(update={"replaces": streamed})
        if answer.sources:
            turn.state["last_sources"] = list(answer.sources)

    return endpoint
