"""What a Slack-only user would pick instead: slack-bolt's AsyncApp answering each DM with say().

python bench/baselines/bolt_alone.py PORT [API]   (signing secret: bench-secret)
"""

import sys

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

API = (sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:18081") + "/api/"
app = AsyncApp(client=AsyncWebClient(token="xoxb-bench", base_url=API), signing_secret="bench-secret")


@app.event("message")
async def echo(event, say):
    await say("echo: " + event["text"])


web.run_app(app.web_app(path="/webhook"), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
