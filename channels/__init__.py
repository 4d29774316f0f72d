"""Channel adapters. Each SDK is imported only when its channel is configured (fast start-up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from parley.core.config.settings import Settings
from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import Channel, Deliver
from parley.core.kernel.clock import Clock
from parley.core.storage.store import Store

log = logging.getLogger("parley.channels")


@dataclass(frozen=True)
class ChannelContext:
    """What every channel may use: nothing global, all passed in."""

    deliver: Deliver
    store: Store
    metrics: Metrics
    clock: Clock


def configured(settings: Settings, ctx: ChannelContext) -> list[Channel]:
    """The channels whose credentials are set; one log line for each one skipped."""
    channels: list[Channel] = []
    from parley.channels.webchat.channel import WebChatChannel

    channels.append(WebChatChannel(ctx))
    plans = [
        ("telegram", settings.telegram.token, "parley.channels.telegram.channel", "PARLEY_TELEGRAM__TOKEN"),
        ("slack", settings.slack.bot_token, "parley.channels.slack.channel", "PARLEY_SLACK__BOT_TOKEN"),
        ("twilio", settings.twilio.account_sid, "parley.channels.twilio.channel", "PARLEY_TWILIO__ACCOUNT_SID"),
        ("discord", settings.discord.token, "parley.channels.discord.channel", "PARLEY_DISCORD__TOKEN"),
        (
            "webhook",
            settings.handoff.lead_webhook_url,
            "parley.channels.crm_webhook.channel",
            "PARLEY_HANDOFF__LEAD_WEBHOOK_URL",
        ),
    ]
    for name, credential, module, variable in plans:
        if not credential:
            log.info("channel %s skipped: %s not set", name, variable)
            continue
        import importlib

        factory = importlib.import_module(module).from_settings
        built = factory(settings, ctx)
        channels.extend(built if isinstance(built, list) else [built])
    return channels
