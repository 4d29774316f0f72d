"""A second attempt at a message looks for the first before sending: Twilio has no idempotency
key for creating a message, so a process killed after Twilio accepted a message and before the
outbox recorded it used to send it again (8 to 16 of 150 SMS conversations per SIGKILL in the
chaos benchmark).

Each attempt at an outbox item is noted first (``twilio:attempt:<outbox id>``, the wall-clock
time of the first). The first attempt sends at once; a later one (after a crash, a timeout, a
429) lists the recent messages to that number from our sender and, if one with the same body
was created since the first attempt (Twilio stamps whole seconds; a little earlier is allowed
for the two clocks) and is not filed as another outbox item's, takes its sid instead of
sending. A list Twilio refuses or a store that cannot answer leaves the old behaviour: send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from parley.core.storage.store import StoreUnavailable
from twilio.base.exceptions import TwilioException
from twilio.rest.api.v2010.account.message import MessageList

log = logging.getLogger("parley.twilio")

ATTEMPT_TTL = 2 * 86400.0  # longer than any outbox retry schedule
SKEW = 2.0  # seconds Twilio's clock may be behind ours, plus its whole-second stamps
RECENT = 20  # the messages to that number looked at


class Resends:
    def __init__(self, store, messages: Callable[[], MessageList], wall: Callable[[], float] = time.time) -> None:
        self.store = store
        self.messages = messages
        self.wall = wall  # Twilio's date_created is wall-clock time, whatever clock the bot runs on

    async def earlier(self, outbox_id: str, to: str, sender: str, body: str) -> str:
        """The sid of the message an earlier attempt at ``outbox_id`` created, or "" to send."""
        if not outbox_id or not body:
            return ""
        key = f"twilio:attempt:{outbox_id}"
        if await self.store.add(key, repr(self.wall()), ATTEMPT_TTL):
            return ""  # the first attempt: nothing can be out yet
        try:
            since = float(await self.store.get(key) or 0) - SKEW
            listed = await self.messages().list_async(to=to, from_=sender, limit=RECENT)
        except (StoreUnavailable, TwilioException, OSError, TimeoutError, ValueError) as exc:
            log.info("twilio: could not check for an earlier send, sending (%s)", type(exc).__name__)
            return ""
        after = datetime.fromtimestamp(since, UTC)
        for message in listed:
            if message.body != body or message.date_created is None or message.date_created < after:
                continue
            try:
                filed = await self.store.get(f"twilio:sid:{message.sid}")
            except StoreUnavailable:
                filed = None
            if filed in (None, outbox_id):  # not another item's message
                log.info("twilio: an earlier attempt was accepted, not sending again")
                return message.sid or ""
        return ""
