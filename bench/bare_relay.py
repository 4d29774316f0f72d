"""Baselines for bench/voice.py: a bare aiohttp websocket doing ConversationRelay's I/O with no
store, no pipeline. ``python bench/bare_relay.py PORT`` answers a final prompt at once (echo);
``python bench/bare_relay.py PORT LLM_BASE_URL`` streams the same fake LLM with the openai
client and forwards its tokens (what any relay server must do at the least). Both greet a call
on ``setup`` with a fixed line, as Parley does with its disclosure."""

import json
import sys

import openai
from aiohttp import WSMsgType, web

GREETING = "Hello, I'm an AI assistant. How can I help?"
LLM = sys.argv[2] if len(sys.argv) > 2 else ""
client: openai.AsyncOpenAI | None = None


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
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": frame["voicePrompt"]}], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                await ws.send_str(json.dumps({"type": "text", "token": chunk.choices[0].delta.content, "last": False}))
        await ws.send_str(json.dumps({"type": "text", "token": "", "last": True}))
    return ws


async def open_client(app: web.Application) -> None:
    global client
    if LLM:  # created inside the running loop, like Parley's model client
        client = openai.AsyncOpenAI(base_url=LLM, api_key="sk-bench", max_retries=0)


app = web.Application()
app.on_startup.append(open_client)
app.router.add_get("/webhooks/twilio/relay", socket)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
