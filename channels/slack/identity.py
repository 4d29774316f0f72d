"""Who the bot is in its workspace (``auth.test``), asked once and kept, for the Events API's
hot path (parley.channels.slack.channel): it needs the bot's user id to drop its own messages
and to strip its mention, the two things bolt's authorization middleware gave its listeners.
"""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


class BotIdentity:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._user: str | None = None
        self._asking: asyncio.Task[str | None] | None = None

    async def user_id(self) -> str | None:
        """The bot's user id; None when Slack refuses the token (bolt then answers the request
        with its own install message). A network failure raises: the event is deferred (503)."""
        if self._user is not None:
            return self._user
        if self._asking is None or self._asking.done():
            # One auth.test however many events arrive before it answers.
            self._asking = asyncio.create_task(self._ask())
        return await asyncio.shield(self._asking)

    async def _ask(self) -> str | None:
        try:
            answer = await self.client.auth_test()
        except SlackApiError:
            return None
        user = answer.get("user_id")
        self._user = user if isinstance(user, str) else ""
        return self._user
