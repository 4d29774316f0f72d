"""How the Twilio channels are built from settings: one, both or none, one status route."""

from __future__ import annotations

import pytest
from parley.channels import configured
from parley.channels.twilio.channel import from_settings
from parley.core.config.settings import Settings
from parley.core.http.metrics import Metrics
from parley.core.i18n.personas import Persona, PersonaCatalog
from parley.core.kernel.channel import ChannelContext
from parley.core.kernel.clock import ManualClock
from parley.core.storage.memory import MemoryStore


async def _deliver(inbound) -> bool:
    return True


def _ctx() -> ChannelContext:
    return ChannelContext(_deliver, MemoryStore(), Metrics(), ManualClock())


def _settings(**twilio) -> Settings:
    return Settings(_env_file=None, twilio={"account_sid": "AC1", "auth_token": "t", **twilio})


def _paths(channels) -> list[str]:
    return [route.path for channel in channels for route in channel.routes()]


@pytest.mark.parametrize(
    ("senders", "names"),
    [
        ({"sms_from": "+1500", "whatsapp_from": "whatsapp:+1415"}, ["sms", "whatsapp"]),
        ({"whatsapp_from": "+1415"}, ["whatsapp"]),
        ({"sms_from": "+1500"}, ["sms"]),
        ({}, []),
    ],
)
def test_channels_and_the_one_status_route(senders, names):
    channels = from_settings(_settings(**senders), _ctx())
    assert [c.name for c in channels] == names
    paths = _paths(channels)
    assert paths.count("/webhooks/twilio/status") == (1 if names else 0)
    for name in names:
        assert f"/webhooks/twilio/{name}" in paths


def test_registered_as_a_list_beside_the_web_chat():
    channels = configured(_settings(sms_from="+1500", whatsapp_from="+1415"), _ctx())
    assert [c.name for c in channels] == ["web", "sms", "whatsapp"]
    whatsapp = channels[2]
    assert whatsapp.sender == "+1415" and whatsapp.limits(None)[0].rate == 80.0  # type: ignore[arg-type]
    assert channels[1].limits(None)[0].rate == 1.0  # type: ignore[arg-type]


def test_templates_setting_parses_from_the_environment(monkeypatch):
    monkeypatch.setenv("PARLEY_TWILIO__WHATSAPP_TEMPLATES", '{"proactive:en": "HX1", "reminder": "HX2"}')
    assert Settings(_env_file=None).twilio.whatsapp_templates == {"proactive:en": "HX1", "reminder": "HX2"}


def test_the_voice_speaks_with_the_bots_own_persona_catalog():
    """The voice channel takes the persona from the catalog the bot was given (the context's),
    not from another read of the personas folder: its call voice is the one configured."""
    ada = Persona(id="demo", name="Ada", role="shop assistant", speech_voice={"en": "en-US-Ada"})
    ctx = ChannelContext(
        _deliver, MemoryStore(), Metrics(), ManualClock(), personas=PersonaCatalog({"demo": ada}, "demo")
    )
    (voice,) = from_settings(_settings(voice_from="+1500"), ctx)
    assert voice.setup.table(voice.setup.locales.get("en")).voice == "en-US-Ada"
    (shipped,) = from_settings(_settings(voice_from="+1500"), _ctx())
    assert shipped.setup.table(shipped.setup.locales.get("en")).voice != "en-US-Ada"
