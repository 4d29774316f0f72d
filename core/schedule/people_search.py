"""Finding people in the index: by words of their name or handle (prefixes), a tag, a locale, a
channel. Every schedule store answers ``find_people`` from an index (SQLite FTS5, Redis sets and
a sorted set of words), never by reading every entry; this module holds what they share: the
query, the words an entry is found by, and the one normal form (lowercase, no accents) that makes
"VIP", "vip" and "Vip" one tag."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from parley.core.schedule.audience import fold as fold_values
from parley.core.schedule.store import PersonEntry

MAX_WORDS = 8  # words of a query that count; more is not a search, it is a paste
MAX_RESULTS = 200
PHONE = re.compile(r"\+?[\d\s().-]*\d[\d\s().-]*")


def fold(text: str) -> str:
    """Lowercase without accents: "Zoë" and "zoe" are found by each other."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def token(value: str) -> str:
    """A tag, locale or channel as one word: "VIP customers" -> "vip_customers", "pt-BR" -> "pt_br"."""
    return "_".join(words(value))


def normal_tag(tag: str) -> str:
    """A tag as the index keeps it (one word); equality is the audience builder's: case-insensitive."""
    return token(tag)


def has_tag(tags: tuple[str, ...] | list[str], tag: str) -> bool:
    return tag.strip().casefold() in fold_values(tags)


def with_tag(tags: tuple[str, ...], tag: str) -> tuple[str, ...]:
    """Tag: "VIP" on someone tagged "vip" changes nothing (one tag, whatever its case)."""
    return tags if has_tag(tags, tag) else (*tags, tag.strip())


def without_tag(tags: tuple[str, ...], tag: str) -> tuple[str, ...]:
    folded = tag.strip().casefold()
    return tuple(t for t in tags if t.strip().casefold() != folded)


@dataclass(frozen=True)
class PeopleQuery:
    text: str = ""  # words, each the start of a word of the person's name or handle
    tag: str = ""
    locale: str = ""
    channel: str = ""

    @property
    def terms(self) -> list[str]:
        if PHONE.fullmatch(self.text.strip()):  # "+1 555 000 0003" is one number, not four words
            return [re.sub(r"\D", "", self.text)]
        return words(self.text)[:MAX_WORDS]

    @property
    def empty(self) -> bool:
        return not (self.terms or self.tag.strip() or self.locale.strip() or self.channel.strip())


def name_words(entry: PersonEntry) -> list[str]:
    """What a text search finds a person by: their name, and their handle on the channel (the
    user and chat ids: a phone number, a Telegram or Slack id)."""
    return words(" ".join((entry.name, entry.address.user, entry.address.chat)))


def matches(entry: PersonEntry, query: PeopleQuery) -> bool:
    """The reference semantics every store's index implements (the memory store uses it as is)."""
    if query.tag.strip() and not has_tag(entry.tags, query.tag):
        return False
    if query.locale.strip() and token(query.locale) != token(entry.locale):
        return False
    if query.channel.strip() and token(query.channel) != token(entry.address.channel):
        return False
    have = name_words(entry)
    return all(any(word.startswith(term) for word in have) for term in query.terms)
