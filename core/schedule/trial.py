"""A test send to yourself: the campaign rendered for one person and sent now, marked as a test.

It goes through the normal pipeline and outbox (so it looks exactly as it will on the channel)
but carries no ``Scheduled`` control: no send-time checks, no counters, no campaign state.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.control import Proactive
from parley.core.kernel.messages import Address
from parley.core.schedule.campaigns import CampaignSpec, render
from parley.core.schedule.store import CampaignRecord, PersonEntry, ScheduleStore


@dataclass(frozen=True)
class TestSent:
    send_id: str
    text: str
    locale: str


class Busy(Exception):
    """The conversation is mid-turn: try again."""


async def recipient(
    sched: ScheduleStore, person: str = "", address: Address | None = None, locale: str = "", name: str = ""
) -> PersonEntry | None:
    """A person the bot knows, by id or address; an address it does not know yet is sent to as is."""
    if person:
        return await sched.person(person)
    if address is None:
        return None
    known = await sched.person(address.person)
    return known or PersonEntry(address.person, address, locale=locale, name=name)


async def send_test(
    proactive: Proactive, catalog: LocaleCatalog, record: CampaignRecord, entry: PersonEntry, now: float
) -> TestSent:
    reply = render(CampaignSpec.model_validate(record.spec), entry, catalog)
    reply = reply.model_copy(update={"text": f"[test] {reply.text}", "meta": {**reply.meta, "test": "1"}})
    send_id = f"test:{record.id}:{entry.person}:{int(now * 1000)}"
    if await proactive.proactive(entry.address, reply, send_id) is None:
        raise Busy(entry.address.conversation)
    return TestSent(send_id, reply.text, reply.meta.get("lang", ""))
