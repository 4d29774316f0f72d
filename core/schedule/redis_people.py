"""People search on Redis: a sorted set of ``word NUL person`` members (every word of each
name and handle) for prefix searches by range, and one set per tag, locale and channel. A search
reads a bounded number of candidates (the longest word's range, else the smallest set) and keeps
those ``people_search.matches`` accepts: never a scan of everyone."""

from __future__ import annotations

from dataclasses import dataclass

from parley.core.schedule.people_search import PeopleQuery, matches, name_words, normal_tag, token
from parley.core.schedule.store import PersonEntry
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

CANDIDATES = 2000  # entries read per search at most
TOP = "\U0010ffff"  # above every UTF-8 character: the end of a prefix's range


@dataclass(frozen=True)
class Keys:
    seen: str  # a sorted set: person by last seen
    words: str
    tag: str  # prefixes: + the folded tag, locale or channel
    locale: str
    channel: str

    @classmethod
    def under(cls, tag: str) -> Keys:
        return cls(f"{tag}:pseen", f"{tag}:pw", f"{tag}:pt:", f"{tag}:pl:", f"{tag}:pc:")

    def sets(self, entry: PersonEntry) -> list[str]:
        out = [self.tag + normal_tag(t) for t in entry.tags]
        if token(entry.locale):
            out.append(self.locale + token(entry.locale))
        return [*out, self.channel + token(entry.address.channel)]

    def members(self, entry: PersonEntry) -> list[str]:
        return [f"{word}\0{entry.person}" for word in set(name_words(entry))]


def unindex(pipe: Pipeline, keys: Keys, entry: PersonEntry) -> None:
    pipe.zrem(keys.seen, entry.person)
    for key in keys.sets(entry):
        pipe.srem(key, entry.person)
    if members := keys.members(entry):
        pipe.zrem(keys.words, *members)


def index(pipe: Pipeline, keys: Keys, entry: PersonEntry) -> None:
    pipe.zadd(keys.seen, {entry.person: entry.last_seen})
    for key in keys.sets(entry):
        pipe.sadd(key, entry.person)
    if members := keys.members(entry):
        pipe.zadd(keys.words, dict.fromkeys(members, 0))


def wanted(keys: Keys, query: PeopleQuery) -> list[str]:
    """The sets a match must be in: its tag, locale and channel (those the query names)."""
    return [
        prefix + value
        for prefix, value in (
            (keys.tag, normal_tag(query.tag)),
            (keys.locale, token(query.locale)),
            (keys.channel, token(query.channel)),
        )
        if value
    ]


async def candidates(r: Redis, keys: Keys, query: PeopleQuery) -> list[str]:
    if query.terms:
        longest = max(query.terms, key=len)  # the narrowest range
        found = await r.zrangebylex(keys.words, f"[{longest}", f"[{longest}{TOP}", start=0, num=CANDIDATES)
        return list(dict.fromkeys(member.split("\0", 1)[1] for member in found))
    sets = wanted(keys, query)
    if not sets:  # a tag or language of punctuation alone: no word of it can match
        return []
    async with r.pipeline(transaction=False) as pipe:
        for key in sets:
            pipe.scard(key)
        sizes = await pipe.execute()
    smallest = min(zip(sizes, sets, strict=True))[1]
    out: list[str] = []
    async for person in r.sscan_iter(smallest, count=500):
        out.append(person)
        if len(out) >= CANDIDATES:
            break
    return out


async def recent(r: Redis, keys: Keys, person_key: str, limit: int) -> list[PersonEntry]:
    persons = await r.zrevrange(keys.seen, 0, limit - 1)
    raws = await r.mget([person_key + p for p in persons]) if persons else []
    return [PersonEntry.from_json(raw) for raw in raws if raw]


async def find(r: Redis, keys: Keys, person_key: str, query: PeopleQuery, limit: int) -> list[PersonEntry]:
    persons = await candidates(r, keys, query)
    sets = wanted(keys, query)
    found: list[PersonEntry] = []
    for start in range(0, len(persons), 500):
        chunk = persons[start : start + 500]
        if sets:  # in every set the query names, asked of Redis before any entry is read
            async with r.pipeline(transaction=False) as pipe:
                for key in sets:
                    pipe.smismember(key, chunk)
                inside = await pipe.execute()
            chunk = [p for p, *flags in zip(chunk, *inside, strict=True) if all(flags)]
        if not chunk:
            continue
        raws = await r.mget([person_key + p for p in chunk])
        found += [e for e in (PersonEntry.from_json(raw) for raw in raws if raw) if matches(e, query)]
        if len(found) >= limit:
            break
    return sorted(found[:limit], key=lambda e: e.person)
