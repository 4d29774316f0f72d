"""Baseline: a bare aiohttp websocket handler doing the web chat's I/O (parse a frame, ack,
answer) with no store, no pipeline, no brain. ``python bench/bare_ws.py PORT``"""

import sys

from aiohttp import WSMsgType, web


async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        frame = msg.json()
        if frame["type"] == "hello":
            await ws.send_json({"type": "welcome"})
        elif frame["type"] == "message":
            await ws.send_json({"type": "ack", "id": frame["id"]})
            await ws.send_json({"type": "reply", "id": frame["id"], "text": "echo: " + frame["text"]})
    return ws


app = web.Application()
app.router.add_get("/chat/ws", socket)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
