"""The model client: ``openai.AsyncOpenAI`` against any OpenAI-compatible base URL.

The SDK's own retries are off (``max_retries=0``): Parley retries timeouts, 429 and 5xx itself,
with exponential backoff and jitter, honouring ``Retry-After``, never past one deadline per
answer and never more than ``fail_fast`` seconds after a call failed, so a failing provider costs
the customer about two seconds and then the offline answer (it used to be the whole 45-second
deadline of retries behind "typing..."), never silence.
A stream is retried only before its first token: once text is visible it cannot be taken back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from parley.core.brains.llm import sse

log = logging.getLogger("parley.llm")

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 409, 429})


class ModelUnavailable(RuntimeError):
    """Every attempt failed within the deadline, or the endpoint refused for good (4xx)."""


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str = ""


@dataclass
class Completion:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tokens: int = 0  # prompt + completion, as the endpoint reported (0: unknown)


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, (TimeoutError, openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUS or exc.status_code >= 500
    return False


def retry_after(exc: BaseException) -> float:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after", "") if response is not None else ""
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0  # an HTTP date: rare from model servers; plain backoff is fine


class ModelClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float,
        deadline: float,
        backoff: float,
        temperature: float,
        max_tokens: int,
        fail_fast: float = 2.0,
    ) -> None:
        # The SDK's aiohttp transport (its ``aiohttp`` extra: aiohttp is ours already) rather than
        # httpx's own connection pool: 0.7-1.1 ms less CPU per streamed answer of 15 chunks from
        # bench/voice.py's fake model (2.9-3.6 ms before); proxy variables (HTTPS_PROXY,
        # NO_PROXY) are honoured as before.
        self.openai = openai.AsyncOpenAI(
            base_url=base_url or None,
            api_key=api_key,
            max_retries=0,
            timeout=timeout,
            http_client=openai.DefaultAioHttpClient(timeout=timeout),
        )
        self.model = model
        self.timeout = timeout
        self.deadline = deadline
        self.fail_fast = fail_fast
        self.backoff = backoff
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.usage_in_stream = True

    async def close(self) -> None:
        await self.openai.close()

    def _request(self, messages: list[dict], tools: list[dict]) -> dict[str, Any]:
        # Messages and tools ride in ``extra_body``, which the SDK sends as it is: its typed
        # transform walks every message and tool schema recursively (~40 ms for our prompt and
        # tool list, on every answer: measured by bench/voice.py) to return the same plain JSON.
        body: dict[str, Any] = {"messages": messages}
        if tools:
            body["tools"] = tools
        return {
            "model": self.model,
            "messages": [],  # required by the SDK's signature; extra_body's list replaces it
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "extra_body": body,
        }

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]], until: float) -> T:
        loop = asyncio.get_running_loop()
        tries = 0
        while True:
            remaining = until - loop.time()
            if remaining <= 0:
                raise ModelUnavailable("deadline passed")
            try:
                async with asyncio.timeout(min(self.timeout, remaining)):
                    return await attempt()
            except Exception as exc:
                if not retryable(exc):
                    raise ModelUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
                if not tries:  # from the first failure on, retries only for ``fail_fast`` seconds
                    until = min(until, loop.time() + self.fail_fast)
                wait = max(retry_after(exc), random.uniform(self.backoff / 2, self.backoff * 2**tries))
                if loop.time() + wait >= until:
                    raise ModelUnavailable(f"gave up after {tries + 1} attempts: {type(exc).__name__}") from exc
                log.warning(
                    "model call failed, retrying", extra={"error": type(exc).__name__, "wait_s": round(wait, 2)}
                )
                tries += 1
                await asyncio.sleep(wait)

    def until(self) -> float:
        return asyncio.get_running_loop().time() + self.deadline

    async def complete(self, messages: list[dict], tools: list[dict], until: float) -> Completion:
        async def once() -> Completion:
            response = await self.openai.chat.completions.create(**self._request(messages, tools))
            message = response.choices[0].message
            calls = [ToolCall(c.id, c.function.name, c.function.arguments or "") for c in message.tool_calls or []]
            tokens = response.usage.total_tokens if response.usage else 0
            return Completion(message.content or "", calls, tokens)

        return await self._with_retries(once, until)

    async def stream(self, messages: list[dict], tools: list[dict], until: float) -> AsyncIterator[str | Completion]:
        """Yield text deltas as they come, then one ``Completion`` (tool calls assembled from
        their fragments: arguments arrive split across chunks)."""

        async def opened() -> tuple[Any, AsyncIterator[sse.Delta], sse.Delta | None]:
            request = self._request(messages, tools) | {"stream": True}
            if self.usage_in_stream:
                request["stream_options"] = {"include_usage": True}
            try:
                # The raw response (status errors raised as usual), read as JSON lines (sse.py).
                response = await self.openai.chat.completions.with_streaming_response.create(**request).__aenter__()
            except openai.BadRequestError as exc:
                if not self.usage_in_stream or "stream_options" not in str(exc):
                    raise
                # Some OpenAI-compatible servers (older vLLM, llama.cpp) refuse stream_options:
                # stop asking for usage in streams (tokens are then estimated) and try again.
                self.usage_in_stream = False
                raise TimeoutError("retry without stream_options") from exc
            try:
                it = sse.deltas(response.iter_lines())
                first = await anext(it, None)  # the first chunk proves the stream is alive
            except BaseException:
                await response.close()
                raise
            return response, it, first

        response, it, first = await self._with_retries(opened, until)
        done = Completion()
        calls: dict[int, ToolCall] = {}
        delta = first
        try:
            while delta is not None:
                done.tokens = delta.tokens or done.tokens
                if delta.text:
                    done.text += delta.text
                    yield delta.text
                for index, call_id, name, arguments in delta.tool_parts:
                    call = calls.setdefault(index, ToolCall("", ""))
                    call.id = call_id or call.id
                    call.name += name
                    call.arguments += arguments
                delta = await anext(it, None)
        except Exception as exc:  # a cut connection surfaces as the SDK's or the transport's error
            raise ModelUnavailable(f"stream broke: {type(exc).__name__}") from exc
        finally:
            await response.close()
        for index, call in calls.items():
            call.id = call.id or f"call_{index}"  # some servers (older vLLM, Ollama) omit ids
        done.tool_calls = [calls[i] for i in sorted(calls)]
        yield done

    async def flagged(self, text: str) -> bool:
        """The endpoint's moderation check (optional): True when the text is flagged."""
        try:
            async with asyncio.timeout(self.timeout):
                result = await self.openai.moderations.create(input=text)
        except Exception as exc:  # a moderation outage must not block every answer
            log.warning("moderation check failed", extra={"error": type(exc).__name__})
            return False
        return any(r.flagged for r in result.results)
