"""Two conversations of one linked person (WhatsApp and the web chat) answered at once, by two
engines on one store: each turn's profile write survives (the loser of a race runs again on the
winner's profile, core/storage/identities.py), and each conversation keeps its own lock."""

from __future__ import annotations

import asyncio

from parley.core.config.settings import shipped
from parley.core.http.metrics import Metrics
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.engine import Engine
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.outbox import Outbox
from parley.core.kernel.turn import Turn
from parley.core.linking.links import link
from parley.core.storage.memory import MemoryStore

from parley.testing.fakes.recording import RecordingChannel, context
from tests.conftest import eventually

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
WA = Address(channel="whatsapp", chat="+4915100000001", user="+4915100000001")
WEB = Address(channel="webchat", chat="s-1", user="s-1")


async def test_racing_turns_of_one_person_on_two_channels_lose_no_profile_write():
    store = MemoryStore()
    await store.open()
    await link(store, WA.person, WEB.person)
    persons: list[str] = []

    async def handler(turn: Turn) -> None:
        persons.append(turn.person)
        seen = list(turn.profile.get("said", []))
        await asyncio.sleep(0.01)  # both turns hold the profile they read at once
        turn.profile["said"] = [*seen, turn.text]
        turn.say("ok")

    engines, channels = [], {}
    for name in ("whatsapp", "webchat"):
        channels[name] = RecordingChannel(context(), name=name)
    for _ in range(2):
        metrics = Metrics()
        engines.append(Engine(store, handler, PERSONAS, LOCALES, Outbox(store, channels, metrics), metrics))
    for n in range(5):
        await asyncio.gather(
            engines[0].deliver(Inbound(address=WA, event_id=f"a{n}", text=f"wa{n}")),
            engines[1].deliver(Inbound(address=WEB, event_id=f"w{n}", text=f"web{n}")),
        )
    await eventually(lambda: len((store._profiles.get(WA.person) or {}).get("said", [])) == 10, timeout=10)
    said = (await store.profile(WA.person))["said"]
    assert sorted(said) == sorted([f"wa{n}" for n in range(5)] + [f"web{n}" for n in range(5)])
    assert [s for s in said if s.startswith("wa")] == [f"wa{n}" for n in range(5)]  # order per conversation
    assert set(persons) == {WA.person}  # both identities ran as the one person
    assert len(persons) > 10  # some turn lost a race and ran again on the fresh profile
    assert await store.profile(WEB.person) == {}
    for engine in engines:
        await engine.stop()
