"""What a Telegram-only user would pick instead: aiogram's own webhook handler replying to each message.

python bench/baselines/aiogram_alone.py PORT [API]
"""

import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

API = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:18081"
bot = Bot("123:abc", session=AiohttpSession(api=TelegramAPIServer.from_base(API)))
dp = Dispatcher()


@dp.message()
async def echo(message):
    await message.answer("echo: " + message.text)


app = web.Application()
SimpleRequestHandler(dispatcher=dp, bot=bot, handle_in_background=False).register(app, path="/webhook")
setup_application(app, dp, bot=bot)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
