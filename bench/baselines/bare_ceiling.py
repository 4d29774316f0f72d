"""The ceiling for any Python webhook bot in one process: take a Telegram update, post one reply.

python bench/baselines/bare_ceiling.py PORT [API]
"""

import sys

from aiohttp import ClientSession, web

API = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:18081"


async def on_startup(app):
    app["http"] = ClientSession()


async def webhook(request):
    update = await request.json()
    msg = update["message"]
    reply = {"chat_id": msg["chat"]["id"], "text": "echo: " + msg["text"]}
    async with request.app["http"].post(f"{API}/bot123:abc/sendMessage", json=reply) as r:
        await r.json()
    return web.Response(text="ok")


app = web.Application()
app.on_startup.append(on_startup)
app.router.add_post("/webhook", webhook)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
