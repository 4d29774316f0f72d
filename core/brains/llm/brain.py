"""``LLMBrain``: grounded answers in the persona's voice through any OpenAI-compatible model.

One answer: retrieve passages -> compose the prompt (PII redacted, secrets scrubbed) -> call the
model, run the tools it asks for (at most ``ROUNDS`` rounds) -> restore PII, check the output,
map the "[n]" citations to source ids. ``stream`` yields the visible text as it comes; its final
``Answer`` is on the stream object once exhausted. Any model failure ends in the retrieval
brain's answer or an apology with a human offered: never silence. A model that keeps failing is
skipped by a circuit breaker (breaker.py) until a probe finds it answering again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

from parley.core.brains.brain import Answer, Brain
from parley.core.brains.escalation import escalation
from parley.core.brains.knowledge import KnowledgeBase, Passage
from parley.core.brains.llm import explain
from parley.core.brains.llm.breaker import Breaker, Circuit
from parley.core.brains.llm.client import Completion, ModelClient, ModelUnavailable
from parley.core.brains.llm.guardrails import DailyBudget, OutputCheck, scrub_secrets
from parley.core.brains.llm.metrics import LLMMetrics
from parley.core.brains.llm.prompt import UNKNOWN, compose, estimate_tokens, summary_request
from parley.core.brains.llm.tools import Toolbox, ToolContext
from parley.core.brains.phrases import intent_of
from parley.core.config.settings import LLM
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.turn import Turn
from parley.core.privacy.pii import Redactor, StreamRestorer

log = logging.getLogger("parley.llm")

ROUNDS = 3  # model calls per answer: tool rounds are bounded, a looping model is cut off
SUMMARY_DEADLINE = 8.0  # the desk posts its card without a summary after this
CALLS = 4  # tool calls run per round; more are refused (each has its own timeout: bounded)
_CITE = re.compile(r"\[(\d{1,2})\]")


class AnswerStream:
    """An async iterator of visible text; ``answer`` holds the final Answer once it ends."""

    def __init__(self, brain: LLMBrain, turn: Turn) -> None:
        self.answer: Answer | None = None
        self._gen = brain._generate(turn, self)

    def __aiter__(self) -> AnswerStream:
        return self

    async def __anext__(self) -> str:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        await self._gen.aclose()


class Visible:
    """Turns the model's raw text into what the customer may see, chunk by chunk: the unknown
    marker is held back until it is ruled out, placeholders are restored once complete, and a
    blocklisted word stops the stream (the final answer then replaces what was shown)."""

    def __init__(self, redactor: Redactor, check: OutputCheck) -> None:
        self.restorer = StreamRestorer(redactor)
        self.check = check
        self.head = ""  # the first characters, until we know they are not the marker
        self.decided = False
        self.unknown = False
        self.shown = ""
        self.stopped = False

    def feed(self, chunk: str) -> str:
        if not self.decided:
            self.head += chunk
            probe = self.head.lstrip()
            if len(probe) < len(UNKNOWN) and UNKNOWN.startswith(probe):
                return ""  # may still become the marker
            self.decided = True
            if probe.startswith(UNKNOWN):
                self.unknown = True
                chunk = probe[len(UNKNOWN) :].lstrip()
            else:
                chunk = self.head
        return self._show(self.restorer.feed(chunk))

    def flush(self) -> str:
        held = "" if self.decided else self.head
        self.decided = True
        return self._show(self.restorer.feed(held) + self.restorer.flush())

    def _show(self, text: str) -> str:
        if self.stopped or not text:
            return ""
        if self.check.blocked(self.shown + text):
            self.stopped = True
            return ""
        self.shown += text
        return text


class LLMBrain:
    def __init__(
        self,
        client: ModelClient,
        knowledge: KnowledgeBase,
        fallback: Brain,
        toolbox: Toolbox,
        check: OutputCheck,
        config: LLM,
        secrets: list[str],
        metrics: LLMMetrics | None = None,
        breaker: Breaker | None = None,
    ) -> None:
        self.client = client
        self.kb = knowledge  # swapped in place when the knowledge folder changes
        self.fallback = fallback
        self.toolbox = toolbox
        self.check = check
        self.config = config
        self.budget = DailyBudget(config.daily_tokens)
        self.secrets = secrets
        self.metrics = metrics or LLMMetrics()
        self.breaker = breaker or Breaker()
        self.breaker.on_change = self._circuit
        self.closers: list[Callable[[], Awaitable[None]]] = []  # the SDK client, the tools' session

    async def close(self) -> None:
        for close in self.closers:
            await close()

    async def answer(self, turn: Turn) -> Answer:
        stream = self.stream(turn)
        async for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    def stream(self, turn: Turn) -> AnswerStream:
        return AnswerStream(self, turn)

    async def summarise(self, history: list[dict]) -> str:
        """A short summary for the handoff card (parley.core.handoff.desk); raises ModelUnavailable."""
        redactor = Redactor()
        messages = scrub_secrets(summary_request(history, redactor), self.secrets)
        done = await self.client.complete(messages, [], asyncio.get_running_loop().time() + SUMMARY_DEADLINE)
        self.metrics.tokens.inc(done.tokens)
        return redactor.restore(done.text).strip()

    def passages(self, question: str, locale: str = "") -> list[Passage]:
        """The customer's language's best passages, then the default language's for what theirs
        lacks: the model answers in the customer's language from whatever matched."""
        if not self.config.passages:
            return []
        chosen: list[Passage] = []
        own = self.kb.locale_of(locale or self.kb.default)
        for code in dict.fromkeys((own, self.kb.default)):
            hits = self.kb.search(question, limit=self.config.passages, locale=code, foreign=code != own)
            # Weak tail hits only add noise the model may "ground" an answer in.
            known = {p.source for p in chosen}
            chosen += [h.passage for h in hits if h.score >= hits[0].score * 0.3 and h.passage.source not in known]
        return chosen[: self.config.passages]

    async def _generate(self, turn: Turn, out: AnswerStream) -> AsyncIterator[str]:
        inbound = turn.inbound
        # A button press carries no text: its title is what the person "said".
        question = turn.text or (inbound.meta.get("title") or inbound.payload if inbound else "")
        if explain.asks_why(question, turn.pack):
            out.answer = explain.explain(turn)
            yield out.answer.text
            return
        upset = escalation(turn)
        if upset is not None:  # a complaint goes to a person the same way whichever brain answers
            out.answer = replace(upset, brain="llm")
            yield out.answer.text
            return
        reason = ""
        if intent_of(question, turn.pack) == "human":
            reason = "asked_human"  # deterministic: a person asked for is never up to the model
        elif self.budget.exhausted(turn.profile, turn.now):
            reason = "budget"
        elif not self.breaker.allow():
            reason = "circuit_open"  # the model keeps failing: the offline answer, at once
        if reason:
            out.answer = await self._fallback(turn, reason)
            yield out.answer.text
            return
        redactor = Redactor()
        passages = self.passages(question, turn.pack.code)
        history = list(turn.state.get("history", []))
        if history and history[-1].get("role") == "user":
            history.pop()  # the history middleware already logged this very message
        prompt = compose(
            persona=turn.persona,
            pack=turn.pack,
            profile=turn.profile,
            profile_fields=self.config.profile_fields,
            history=history,
            history_tokens=self.config.history_tokens,
            question=question,
            passages=passages,
            redactor=redactor,
        )
        offered = self.toolbox.offered(turn.persona.allowed_tools)
        ctx = ToolContext(turn, redactor)
        visible = Visible(redactor, self.check)
        messages = prompt.messages
        raw = ""
        tokens = 0
        until = self.client.until()
        # A failing, hanging or slowly failing model costs the customer at most this before the
        # offline answer: the first round must show life within it (later rounds follow a reply
        # the model did give, and have the whole deadline).
        first = min(until, asyncio.get_running_loop().time() + self.config.first_answer)
        try:
            for round_no in range(ROUNDS):
                by = first if round_no == 0 else until
                tools = [self.toolbox.schemas[t.name] for t in offered] if round_no < ROUNDS - 1 else []
                messages = scrub_secrets(messages, self.secrets)
                done = Completion()
                # Text from a round before a tool call ("Let me check...") and the next round's
                # text are two paragraphs, not one run-on sentence.
                sep = "\n\n" if raw.strip() else ""
                gap = sep
                if self.config.stream:
                    async for part in self.client.stream(messages, tools, by):
                        if isinstance(part, Completion):
                            done = part
                        elif shown := visible.feed(gap + part):
                            gap = ""
                            yield shown
                else:
                    done = await self.client.complete(messages, tools, by)
                    if shown := visible.feed(gap + done.text if done.text else ""):
                        yield shown
                raw += (sep if done.text else "") + done.text
                tokens += done.tokens or estimate_tokens(json.dumps(messages)) + estimate_tokens(done.text)
                if not done.tool_calls:
                    break
                messages = [*messages, _assistant(done)]
                for n, call in enumerate(done.tool_calls):
                    if n < CALLS:
                        result = await self.toolbox.call(call, {t.name for t in offered}, ctx)
                        outcome = "error" if result.startswith("error:") else "ok"
                        self.metrics.tools.labels(call.name if call.name in self.toolbox.tools else "?", outcome).inc()
                    else:
                        result = f"error: at most {CALLS} tool calls at a time"
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
        except ModelUnavailable as exc:
            self.breaker.failure()
            log.warning("model unavailable, falling back", extra={"error": str(exc)[:200]})
            self._spend(turn, tokens)
            out.answer = await self._fallback(turn, "model_unavailable")
            if not visible.shown:
                yield out.answer.text
            return
        except BaseException:
            self.breaker.abandon()  # cancelled or closed mid-answer: no verdict; free the probe
            raise
        self.breaker.success()
        self._spend(turn, tokens)
        if tail := visible.flush():
            yield tail
        out.answer, suffix = await self._finish(turn, redactor, raw, visible, passages, ctx)
        self.metrics.answers.labels(out.answer.intent).inc()
        if suffix:  # the sources line, shown after the streamed text
            yield suffix

    async def _finish(
        self, turn: Turn, redactor: Redactor, raw: str, visible: Visible, passages: list[Passage], ctx: ToolContext
    ) -> tuple[Answer, str]:
        """The final answer, and the sources line it ends with (still to be streamed)."""
        text = redactor.restore(raw).strip()
        unknown = visible.unknown or text.startswith(UNKNOWN)
        text = text.removeprefix(UNKNOWN).strip()
        if visible.stopped or not await self.check.allowed(text):
            log.warning("answer withheld by the output check")
            explain.record(turn, [], [], ctx.used, "withheld")
            return Answer(turn.pack.t("fallback"), intent="fallback", brain="llm", meta={"withheld": "1"}), ""
        if not text:
            text = turn.pack.t("handoff_started") if ctx.handoff else turn.pack.t("fallback")
            unknown = unknown or not ctx.handoff
        cited = [int(n) for n in dict.fromkeys(_CITE.findall(text)) if 1 <= int(n) <= len(passages)]
        sources = tuple(dict.fromkeys(passages[n - 1].source for n in cited))
        suffix = ""
        if cited and not unknown:
            label = turn.pack.t("source_label")
            suffix = "\n\n" + "\n".join(f"{label} [{n}]: {passages[n - 1].title}" for n in cited)
        intent = "handoff" if ctx.handoff else "fallback" if unknown else "answer"
        explain.record(turn, passages, cited, ctx.used, intent)
        answer = Answer(
            text + suffix, sources=sources if not unknown else (), handoff=ctx.handoff, intent=intent, brain="llm"
        )
        return answer, suffix

    def _circuit(self, state: Circuit) -> None:
        self.metrics.circuit.set(int(state))
        if state == Circuit.OPEN:
            self.metrics.circuit_opened.inc()
            log.warning("model circuit open: answering offline for %.0f s, then probing", self.breaker.cooldown)
        else:
            log.warning("model circuit %s", state.name.lower().replace("_", "-"))

    def _spend(self, turn: Turn, tokens: int) -> None:
        self.budget.spend(turn.profile, turn.now, tokens)
        self.metrics.tokens.inc(tokens)
        turn.facts.append(Fact(Metric.LLM_TOKENS, tokens))

    async def _fallback(self, turn: Turn, reason: str) -> Answer:
        answer = await self.fallback.answer(turn)
        turn.tags["llm_fallback"] = reason
        self.metrics.fallbacks.labels(reason).inc()
        if reason == "model_unavailable" and answer.intent == "fallback":
            # The retrieval brain does not know either: apologise and offer a person.
            answer = Answer(turn.pack.t("error"), intent="fallback")
        # "Why did you say that?" must explain this answer, not an older one from the model.
        used = self.kb.cited(answer.sources, turn.pack.code)
        explain.record(turn, used, list(range(1, len(used) + 1)), [], answer.intent)
        return replace(answer, brain="retrieval", meta={**answer.meta, "reason": reason})


def _assistant(done: Completion) -> dict:
    return {
        "role": "assistant",
        "content": done.text or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in done.tool_calls
        ],
    }
