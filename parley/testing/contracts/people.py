"""The people search every ``ScheduleStore`` answers (``find_people``): words of a name or
handle by prefix, accents and case aside; a tag whatever its case; a locale; a channel; all
combined; kept current when an entry changes or is forgotten. ``ScheduleStoreContract`` includes
it, with the same ``schedule_store`` fixture."""

from __future__ import annotations

from parley.core.kernel.messages import Address
from parley.core.schedule.people_search import PeopleQuery
from parley.core.schedule.store import PersonEntry


def entry(n: int, channel: str, name: str, locale: str = "en", tags: tuple[str, ...] = ()) -> PersonEntry:
    address = Address(channel=channel, chat=f"chat{n}", user=f"+1555000{n:04d}")
    return PersonEntry(address.person, address, locale, "", tags, 1.0, True, name)


PEOPLE = [
    entry(1, "telegram", "Zoë Martin", "fr", ("VIP",)),
    entry(2, "sms", "Ann Lee", "en", ("vip", "wholesale")),
    entry(3, "sms", "Annabel Ortiz", "pt-BR"),
    entry(4, "web", "Bob Stone", "en", ("Wholesale",)),
]


def names(found: list[PersonEntry]) -> list[str]:
    return sorted(e.name for e in found)


class PeopleSearchContract:
    async def _seed(self, store) -> None:
        for person in PEOPLE:
            await store.put_person(person)

    async def test_search_by_words_of_the_name_or_handle(self, schedule_store):
        await self._seed(schedule_store)
        find = schedule_store.find_people
        assert names(await find(PeopleQuery(text="ann"), 10)) == ["Ann Lee", "Annabel Ortiz"]
        assert names(await find(PeopleQuery(text="ANN lee"), 10)) == ["Ann Lee"]  # every word
        assert names(await find(PeopleQuery(text="zoe"), 10)) == ["Zoë Martin"]  # accents aside
        assert names(await find(PeopleQuery(text="mart"), 10)) == ["Zoë Martin"]
        assert names(await find(PeopleQuery(text="+1 555 000 0003"), 10)) == ["Annabel Ortiz"]  # the handle
        assert await find(PeopleQuery(text="nobody"), 10) == []

    async def test_search_by_tag_locale_and_channel_combined(self, schedule_store):
        await self._seed(schedule_store)
        find = schedule_store.find_people
        assert names(await find(PeopleQuery(tag="Vip"), 10)) == ["Ann Lee", "Zoë Martin"]  # any case
        assert names(await find(PeopleQuery(tag="wholesale", channel="sms"), 10)) == ["Ann Lee"]
        assert names(await find(PeopleQuery(locale="pt-br"), 10)) == ["Annabel Ortiz"]
        assert names(await find(PeopleQuery(channel="sms", text="ann"), 1)) in (["Ann Lee"], ["Annabel Ortiz"])
        assert len(await find(PeopleQuery(), 3)) == 3  # no filter: people, bounded
        assert await find(PeopleQuery(tag="!!!"), 10) == []  # no word in it: nobody, not an error
        assert await find(PeopleQuery(text="ann", locale="--"), 10) == []

    async def test_the_index_follows_changes_and_forgetting(self, schedule_store):
        await self._seed(schedule_store)
        ann = PEOPLE[1]
        renamed = PersonEntry(ann.person, ann.address, "es", "", ("gold",), 2.0, True, "Hannah Lee")
        await schedule_store.put_person(renamed)
        find = schedule_store.find_people
        assert names(await find(PeopleQuery(tag="vip"), 10)) == ["Zoë Martin"]
        assert names(await find(PeopleQuery(text="hann"), 10)) == ["Hannah Lee"]
        assert names(await find(PeopleQuery(text="ann"), 10)) == ["Annabel Ortiz"]
        assert names(await find(PeopleQuery(locale="es"), 10)) == ["Hannah Lee"]
        await schedule_store.forget_person(ann.person)
        assert await find(PeopleQuery(tag="gold"), 10) == []
        assert await find(PeopleQuery(text="hannah"), 10) == []

    async def test_recent_people_come_newest_first_and_follow_changes(self, schedule_store):
        await self._seed(schedule_store)
        bob = PEOPLE[3]
        await schedule_store.put_person(PersonEntry(bob.person, bob.address, "en", "", (), 50.0, True, bob.name))
        recent = await schedule_store.recent_people(2)
        assert recent[0].name == "Bob Stone" and len(recent) == 2
        await schedule_store.forget_person(bob.person)
        assert "Bob Stone" not in names(await schedule_store.recent_people(10))
