"""Wiring the console from the settings and the store: parley/app.py calls ``build_console``.
A new section goes here: its nav entries in ``nav`` and the section in ``sections``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web
from parley.core.console import conversations, home, leads, people, people_import, person_changes, users
from parley.core.console.accounts import Accounts
from parley.core.console.passwords import Passwords
from parley.core.console.render import Renderer
from parley.core.console.sessions import Sessions
from parley.core.console.shell import Console, NavItem, Section
from parley.core.handoff.outcome import LeadOutcomes
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock
from parley.core.linking.operator import OperatorLinks
from parley.core.privacy.consent import ConsentChanges
from parley.core.privacy.subject import Subject
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store


def build_console(
    store: Store,
    sched: ScheduleStore,
    catalog: LocaleCatalog,
    clock: Clock,
    accounts: Accounts,
    *,
    public_url: str,
    session_hours: float,
    persona: str,
    reports: Sequence[tuple[tuple[NavItem, ...], Callable[[Console], Section]]] = (),
    outcomes: LeadOutcomes | None = None,  # the leads page (none: no page)
    subject: Subject | None = None,
) -> tuple[Console, list[web.RouteDef]]:
    """``reports``: sections that need more than the store (campaigns, analytics), each as its nav
    entries and a factory taking the Console; app.py builds them with their collaborators."""
    console = Console(
        accounts,
        Sessions(store, store, clock, session_hours * 3600),
        Renderer(catalog),
        secure_cookies=public_url.startswith("https://"),
        public_origin=public_url,
        nav=(
            *home.NAV,
            *(item for nav, _ in reports for item in nav),
            *conversations.NAV,
            *(leads.NAV if outcomes is not None else ()),
            *people.NAV,
            *users.NAV,
            *home.AUDIT_NAV,
        ),
    )
    privacy = subject or Subject(store, sched, None, clock)
    person = people.PeopleSection(console, store, sched, privacy)
    sections: list[Section] = [
        home.HomeSection(console),
        *(build(console) for _, build in reports),
        conversations.ConversationsSection(console, store, sched, clock, persona),
        *([leads.LeadsSection(console, outcomes)] if outcomes is not None else []),
        people_import.PeopleImportSection(console, sched),  # before PeopleSection: /people/import
        person,
        person_changes.PersonChanges(
            console, person, OperatorLinks(store, privacy.audit), ConsentChanges(store, sched, privacy.audit, clock)
        ),
        users.UsersSection(console),
        home.AuditSection(console),
    ]
    return console, [*console.routes(), *(r for s in sections for r in s.routes())]


def accounts_for(store: Store, clock: Clock, passwords: Passwords | None = None) -> Accounts:
    return Accounts(store, passwords or Passwords(), clock)
