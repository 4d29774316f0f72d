"""Builds the voice channel from settings (called by parley.channels.twilio.channel)."""

from __future__ import annotations

from parley.channels.twilio.account import TwilioAccount
from parley.channels.twilio.voice.channel import VoiceChannel
from parley.channels.twilio.voice.setup import VoiceSetup
from parley.core.config.settings import Settings
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.channel import ChannelContext


def voice_channel(settings: Settings, ctx: ChannelContext, account: TwilioAccount) -> VoiceChannel:
    cfg = settings.twilio
    # The bot's own persona catalog, as configured (PARLEY_PERSONA, Bot(personas_dir=...)); a
    # context without one (a test kit's) reads the configured folder, as the web chat does.
    personas = ctx.personas or PersonaCatalog.load(settings.personas_dir, settings.persona)
    persona = personas.get()
    setup = VoiceSetup(
        store=ctx.store,
        locales=account.locales,
        public_url=settings.public_url,
        transfer=cfg.voice_transfer,
        max_words=cfg.voice_max_words,
        transcription_provider=cfg.voice_transcription_provider,
        persona_voices=dict(persona.speech_voice),
        caller_id=cfg.voice_from,
        mode=cfg.voice_mode,
        gather_wait=cfg.voice_gather_wait,
        timezone=settings.scheduler.default_timezone,
    )
    return VoiceChannel(ctx, account=account, setup=setup)
