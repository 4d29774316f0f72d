"""Who exported, erased, linked, unlinked or changed the consent of a person, when, how and why:
entries in the store's append-only audit log (``AccountStore.audit``), readable through
``GET /api/audit`` and the console's audit page.

An entry never holds a person's id: it names them by a pseudonym (a keyed hash of the id, the
key a random secret kept in the store), so erasing someone leaves the record that they were
erased without the log identifying them, and a data-protection officer can still find every
entry about a person by asking with their id (the pseudonym is computed the same way).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from parley.core.storage.accounts import AuditEntry
from parley.core.storage.privacy import SALT_KEY
from parley.core.storage.store import Store

MAX_REASON = 500
PAGE = 500  # entries read per step when filtering


class Via(StrEnum):
    API = "api"
    CONSOLE = "console"
    CLI = "cli"
    RETENTION = "retention"


class Action(StrEnum):
    EXPORT = "person.export"
    ERASE = "person.erase"
    LINK = "person.link"
    UNLINK = "person.unlink"
    CONSENT = "person.consent"
    TAG = "person.tag"
    UNTAG = "person.untag"


class BadReason(ValueError):
    """A reason that cannot be recorded as given (too long, control characters)."""


def clean_reason(raw: object) -> str:
    """The reason as recorded: trimmed; refused when it is not text, over ``MAX_REASON``
    characters or carries control characters (a log line must read as one line)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BadReason("reason must be text")
    reason = raw.strip()
    if len(reason) > MAX_REASON:
        raise BadReason(f"reason is longer than {MAX_REASON} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in reason):
        raise BadReason("reason holds control or unassigned characters")
    return reason


@dataclass(frozen=True)
class Operator:
    """Who acts on a person's data, through what, and why."""

    actor: str
    via: Via
    reason: str = ""


class Pseudonyms:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            await self.store.add(SALT_KEY, secrets.token_hex(32))  # the first process to ask makes it
            self._key = bytes.fromhex(await self.store.get(SALT_KEY) or "")
        return self._key

    async def of(self, person: str) -> str:
        return pseudonym(await self.key(), person)

    async def around(self, identity: str) -> frozenset[str]:
        """The pseudonyms entries about ``identity`` may carry: its own and those of every
        identity linked to it now (an entry names the person by the id of the link's first)."""
        group = await self.store.identities(await self.store.person_of(identity))
        return frozenset([pseudonym(await self.key(), i) for i in {identity, *group}])


def pseudonym(key: bytes, person: str) -> str:
    """How the audit log names ``person``: a keyed hash, the same for the same key."""
    return "person#" + hmac.new(key, person.encode(), hashlib.sha256).hexdigest()[:20]


class Audit:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock
        self.pseudonyms = Pseudonyms(store)

    async def record(self, by: Operator, action: Action, person: str, detail: str = "") -> None:
        target = await self.pseudonyms.of(person)
        await self.store.audit(AuditEntry(self.clock(), by.actor, action.value, target, detail, by.reason, by.via))


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""  # an action, or its prefix ending in "." ("person.")
    target: str = ""  # a pseudonym or any other target, exactly
    since: float = 0.0
    until: float = float("inf")
    # A person's pseudonyms (Pseudonyms.around): entries about them, as the person acted on or
    # as the identity linked to or unlinked from someone (its pseudonym is such an entry's detail).
    about: frozenset[str] = frozenset()

    def matches(self, entry: AuditEntry) -> bool:
        action = entry.action == self.action or (self.action.endswith(".") and entry.action.startswith(self.action))
        return (
            (not self.actor or entry.actor == self.actor)
            and (not self.action or action)
            and (not self.target or entry.target == self.target)
            and (not self.about or entry.target in self.about or entry.detail in self.about)
            and self.since <= entry.at < self.until
        )


async def search(store: Store, where: AuditFilter, limit: int, offset: int = 0) -> list[AuditEntry]:
    """Entries matching ``where``, newest first, skipping ``offset`` matches. Reads the log page by
    page from the newest and stops at the first entry older than ``since`` (entries are
    appended in time order), so a recent window costs only its own pages."""
    out: list[AuditEntry] = []
    skipped, start = 0, 0
    while len(out) < limit:
        page = await store.audit_log(PAGE, start)
        for entry in page:
            if entry.at < where.since:
                return out
            if not where.matches(entry):
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(entry)
            if len(out) >= limit:
                return out
        if len(page) < PAGE:
            return out
        start += PAGE
    return out
