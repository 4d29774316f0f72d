"""Roles and what each may do: the one check pages and the admin API share.

A route names the ``Permission`` it needs; a ``Principal`` (a signed-in user, an API token's
owner, or ``PARLEY_ADMIN_TOKEN``) holds a ``Role``; ``allows`` answers from ``GRANTS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    AGENT_LEAD = "agent_lead"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW_REPORTS = "view_reports"  # dashboards, analytics, campaign lists and results
    MANAGE_CAMPAIGNS = "manage_campaigns"  # create, preview, start, pause, resume, cancel, test sends
    READ_PEOPLE = "read_people"  # search people, read a profile
    EDIT_PEOPLE = "edit_people"  # tags, consent, CSV import
    EXPORT_PEOPLE = "export_people"  # everything held about a person, as a download
    ERASE_PEOPLE = "erase_people"
    RECORD_CONVERSIONS = "record_conversions"  # the shop reports an order against a campaign
    READ_LEADS = "read_leads"  # the leads list and each lead's outcome
    DECIDE_LEADS = "decide_leads"  # record a lead's outcome: won (with its value) or lost
    READ_CONVERSATIONS = "read_conversations"  # live list, transcripts
    HANDOFF = "handoff"  # hand a conversation to the desk
    MANAGE_USERS = "manage_users"  # users, roles, everyone's API tokens
    READ_AUDIT = "read_audit"


_ALL = frozenset(Permission)
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _ALL,
    # Marketers run outreach: campaigns and the people they reach, but not erasure, the desk or
    # other users.
    Role.MARKETER: frozenset(
        {
            Permission.VIEW_REPORTS,
            Permission.MANAGE_CAMPAIGNS,
            Permission.READ_PEOPLE,
            Permission.EDIT_PEOPLE,
            Permission.EXPORT_PEOPLE,
            Permission.RECORD_CONVERSIONS,
            Permission.READ_LEADS,
        }
    ),
    # Agent leads answer for the desk: conversations and handoffs; people they may look up,
    # never export in bulk or change; they close the desk's leads as won or lost.
    Role.AGENT_LEAD: frozenset(
        {
            Permission.VIEW_REPORTS,
            Permission.READ_PEOPLE,
            Permission.READ_CONVERSATIONS,
            Permission.HANDOFF,
            Permission.READ_LEADS,
            Permission.DECIDE_LEADS,
        }
    ),
    Role.VIEWER: frozenset({Permission.VIEW_REPORTS}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in GRANTS[role]


@dataclass(frozen=True)
class Principal:
    """Who is asking: ``name`` is what the audit log records."""

    name: str
    role: Role
    via: str  # "session", "token" or "admin_token"

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)


# PARLEY_ADMIN_TOKEN: the single token from before users existed, an admin.
ADMIN_TOKEN = Principal("admin-token", Role.ADMIN, "admin_token")
