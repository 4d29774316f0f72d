"""Baselines for bench/voice.py: a bare aiohttp websocket doing ConversationRelay's I/O with no
store, no pipeline. ``python bench/bare_relay.py PORT`` answers a final prompt at once (echo);
``python bench/bare_relay.py PORT LLM_BASE_URL`` streams the same fake LLM and forwards its
tokens as they come (what any relay server must do at the least). It streams with Parley's own
model client (the openai SDK, its chunks read as JSON lines), so the model I/O is the same work
as Parley's and the difference is Parley's pipeline, store and speech. Both greet a call on
``setup`` with a fixed line, as Parley does with its disclosure."""

import json
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the checkout, not bench/

from aiohttp import WSMsgType, web  # noqa: E402
from parley.core.brains.llm.client import Completion, ModelClient  # noqa: E402

GREETING = "Hello, I'm an AI assistant. How can I help?"
LLM = sys.argv[2] if len(sys.argv) > 2 else ""
client: ModelClient | None = None


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        frame = json.loads(msg.data)
        if frame["type"] == "setup":
            await ws.send_str(json.dumps({"type": "text", "token": GREETING, "last": True}))
            continue
        if frame["type"] != "prompt" or not frame.get("last"):
            continue
        if client is None:
            await ws.send_str(json.dumps({"type": "text", "token": frame["voicePrompt"], "last": True}))
            continue
        messages = [{"role": "user", "content": frame["voicePrompt"]}]
        async for token in client.stream(messages, [], client.until()):
            if not isinstance(token, Completion) and token:
                await ws.send_str(json.dumps({"type": "text", "token": token, "last": False}))
        await ws.send_str(json.dumps({"type": "text", "token": "", "last": True}))
    return ws


async def open_client(app: web.Application) -> None:
    global client
    if LLM:  # created inside the running loop, like Parley's
        client = ModelClient(
            base_url=LLM,
            api_key="sk-bench",
            model="m",
            timeout=30,
            deadline=30,
            backoff=0.1,
            temperature=0.3,
            max_tokens=300,
        )


app = web.Application()
app.on_startup.append(open_client)
app.router.add_get("/webhooks/twilio/relay", socket)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
