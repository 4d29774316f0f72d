"""Channel adapters. Each SDK is imported only when its channel is configured (fast start-up).

Third-party channels register through the entry-point group ``parley.channels``: the entry
point names a function ``(settings, ctx) -> Channel | list[Channel] | None`` (None when that
channel is not configured), called at start-up after the shipped ones (docs/api.md).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from parley.core.config.settings import Settings
from parley.core.kernel.channel import Channel, ChannelContext

log = logging.getLogger("parley.channels")

GROUP = "parley.channels"
Plugin = Callable[[Settings, ChannelContext], Channel | list[Channel] | None]


class PluginError(ValueError):
    """A channel plugin that cannot be used; the message names its entry point."""


def configured(settings: Settings, ctx: ChannelContext) -> list[Channel]:
    """The channels whose credentials are set, then the plugins'; one log line for each one
    skipped."""
    from parley.channels.webchat.channel import from_settings as web_chat

    channels: list[Channel] = [web_chat(settings, ctx)]
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
        channels += _built(name, importlib.import_module(module).from_settings(settings, ctx))
    for point in plugins():
        channels += _built(point.name, _load(point)(settings, ctx))
    return channels


def plugins() -> list[EntryPoint]:
    """The installed channel plugins, by name (a name installed twice is one plugin)."""
    return sorted({point.name: point for point in entry_points(group=GROUP)}.values(), key=lambda p: p.name)


def _load(point: EntryPoint) -> Plugin:
    try:
        plugin = point.load()
    except Exception as exc:  # an installed plugin that does not import: say which, and why
        raise PluginError(f"channel plugin {point.name!r} ({point.value}): cannot load ({exc})") from None
    if not callable(plugin):
        raise PluginError(f"channel plugin {point.name!r} ({point.value}): not a function (settings, ctx) -> Channel")
    return plugin


def _built(name: str, built: Channel | list[Channel] | None) -> list[Channel]:
    if built is None:
        log.info("channel %s skipped: not configured", name)
        return []
    channels = built if isinstance(built, list) else [built]
    for channel in channels:
        if not isinstance(channel, Channel):
            raise PluginError(f"channel {name!r}: built a {type(channel).__name__}, not a parley Channel")
    return channels
