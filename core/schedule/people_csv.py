"""People from CSV, for ``bot.py campaigns ... --people`` and the console's import: columns
``channel,chat[,user,locale,tz,tags,consent,name]`` (``tags`` separated by ``;``, ``consent``
yes/no); any other column is a custom profile field the audience builder can filter on.

Every row is checked and every problem reported with its line, so a dry run can list them all."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from parley.core.kernel.messages import Address
from parley.core.schedule.people_search import with_tag
from parley.core.schedule.store import PersonEntry
from parley.core.schedule.timing import TimingError, zone

COLUMNS = ("channel", "chat", "user", "locale", "tz", "tags", "consent", "name")
CONSENT = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


@dataclass
class Parsed:
    people: list[PersonEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "source:line: what"


def parse(lines: Iterable[str], source: str) -> Parsed:
    out = Parsed()
    for n, row in enumerate(csv.DictReader(lines), start=2):
        if not row.get("channel") or not row.get("chat"):
            out.problems.append(f"{source}:{n}: channel and chat are required")
            continue
        if row.get("tz"):
            try:
                zone(row["tz"])
            except TimingError as exc:
                out.problems.append(f"{source}:{n}: {exc}")
                continue
        address = Address(
            channel=row["channel"].strip(), chat=row["chat"].strip(), user=(row.get("user") or row["chat"]).strip()
        )
        out.people.append(
            PersonEntry(
                address.person,
                address,
                locale=(row.get("locale") or "").strip(),
                tz=(row.get("tz") or "").strip(),
                tags=tuple(t.strip() for t in (row.get("tags") or "").split(";") if t.strip()),
                consent=CONSENT.get((row.get("consent") or "").strip().lower()),
                name=(row.get("name") or "").strip(),
                fields={k: v for k, v in row.items() if k and k not in COLUMNS and v},
            )
        )
    return out


def merged(old: PersonEntry | None, new: PersonEntry) -> PersonEntry:
    """An imported row over what the index knows: what the row says wins, tags are added (in
    any case, once), and what only turns know (last seen) is kept."""
    if old is None:
        return new
    tags = old.tags
    for tag in new.tags:
        tags = with_tag(tags, tag)
    return replace(
        old,
        locale=new.locale or old.locale,
        tz=new.tz or old.tz,
        tags=tags,
        consent=new.consent if new.consent is not None else old.consent,
        name=new.name or old.name,
        fields={**old.fields, **new.fields},
    )
