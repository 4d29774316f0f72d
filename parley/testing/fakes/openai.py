"""A loopback OpenAI-compatible server for the real ``openai`` client.

``POST /v1/chat/completions`` answers from a script of steps (or a ``responder`` callable when
the script is empty), with SSE streaming when asked (``stream: true``): text in small chunks,
tool-call arguments split across chunks as OpenAI does, a usage chunk when
``stream_options.include_usage`` is set. A step may also fail: a status (429 with Retry-After,
500), a delay longer than the client's timeout, or a connection cut after ``cut`` chunks. ``POST /v1/moderations`` flags any input
containing a word in ``flagged``. Every request body is kept in ``requests``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from parley.testing.fakes.loopback import start

Step = dict[str, Any]


class FakeOpenAI:
    def __init__(self, responder: Callable[[dict], Step] | None = None) -> None:
        self.script: deque[Step] = deque()
        self.responder = responder or (lambda body: {"text": "Happy to help."})
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.moderated: list[str] = []
        self.flagged: set[str] = set()
        self.refuse_stream_options = False  # as older vLLM / llama.cpp servers do
        self.first_token_at: list[float] = []  # perf_counter() when each stream's first token left
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    def push(self, *steps: Step) -> None:
        self.script.extend(steps)

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.completions)
        app.router.add_post("/v1/moderations", self.moderations)
        self.runner, port = await start(app)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # -- what the client sent ------------------------------------------------------------------
    def sent_text(self) -> str:
        """Everything every request carried, as one string (for "never sent" assertions)."""
        return "\n".join(json.dumps(body, ensure_ascii=False) for body in self.requests)

    def offered_tools(self, n: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[n].get("tools", [])]

    # -- routes ---------------------------------------------------------------------------------
    async def moderations(self, request: web.Request) -> web.Response:
        body = await request.json()
        text = body["input"] if isinstance(body["input"], str) else " ".join(body["input"])
        self.moderated.append(text)
        hit = any(word in text.lower() for word in self.flagged)
        result = {
            "flagged": hit,
            "categories": {"harassment": hit},
            "category_scores": {"harassment": 0.9 if hit else 0.0},
        }
        return web.json_response({"id": "modr-1", "model": "omni-moderation-latest", "results": [result]})

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.refuse_stream_options and "stream_options" in body:
            error = {"error": {"message": "Unrecognized request argument: stream_options", "type": "invalid_request"}}
            return web.json_response(error, status=400)
        step = self.script.popleft() if self.script else self.responder(body)
        if step.get("delay"):
            await asyncio.sleep(step["delay"])
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the client gave up waiting: nobody to answer
        if step.get("status"):
            headers = {"retry-after": str(step["retry_after"])} if "retry_after" in step else {}
            error = {"error": {"message": step.get("message", "fake failure"), "type": "fake", "code": None}}
            return web.json_response(error, status=step["status"], headers=headers)
        if body.get("stream"):
            return await self._stream(request, body, step)
        message: dict[str, Any] = {"role": "assistant", "content": step.get("text")}
        if step.get("tool_calls"):
            message["tool_calls"] = [
                {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": _args(c)}}
                for i, c in enumerate(step["tool_calls"])
            ]
        finish = "tool_calls" if step.get("tool_calls") else "stop"
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": _usage(body, step),
            }
        )

    async def _stream(self, request: web.Request, body: dict, step: Step) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        async def emit(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> None:
            chunk: dict[str, Any] = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if usage is not None:
                chunk["usage"] = usage
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

        size = step.get("chunk", 4)
        gap = step.get("gap", 0.0)
        text = step.get("text") or ""
        await emit({"role": "assistant", "content": ""})
        for n, i in enumerate(range(0, len(text), size)):
            if n == 0:
                self.first_token_at.append(time.perf_counter())
            await emit({"content": text[i : i + size]})
            if step.get("cut") == n + 1:  # the connection drops mid-answer
                assert request.transport is not None
                request.transport.abort()
                return resp
            if gap:
                await asyncio.sleep(gap)
        for index, call in enumerate(step.get("tool_calls", [])):
            args = _args(call)
            head = {
                "index": index,
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            await emit({"tool_calls": [head]})
            for i in range(0, len(args), 7):  # split mid-token, as real servers do
                await emit({"tool_calls": [{"index": index, "function": {"arguments": args[i : i + 7]}}]})
        await emit({}, "tool_calls" if step.get("tool_calls") else "stop")
        if body.get("stream_options", {}).get("include_usage"):
            await emit(None, usage=_usage(body, step))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def _args(call: dict) -> str:
    args = call.get("arguments", {})
    return args if isinstance(args, str) else json.dumps(args)


def _usage(body: dict, step: Step) -> dict[str, int]:
    prompt = len(json.dumps(body["messages"])) // 4
    completion = step.get("completion_tokens", max(1, len(step.get("text") or "") // 4))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
