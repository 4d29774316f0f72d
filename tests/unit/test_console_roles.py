"""The role matrix pages and the admin API share, and the console's strings."""

from __future__ import annotations

from parley.core.config.settings import shipped
from parley.core.console.render import Strings
from parley.core.console.roles import GRANTS, Permission, Role, allows
from parley.core.i18n.locales import LocaleCatalog


def test_each_role_may_do_what_its_job_needs_and_no_more():
    assert GRANTS[Role.ADMIN] == frozenset(Permission)
    assert not allows(Role.VIEWER, Permission.MANAGE_CAMPAIGNS)  # a viewer cannot start a campaign
    assert not allows(Role.AGENT_LEAD, Permission.EXPORT_PEOPLE)  # an agent lead cannot export people
    assert allows(Role.AGENT_LEAD, Permission.READ_CONVERSATIONS) and allows(Role.AGENT_LEAD, Permission.HANDOFF)
    assert allows(Role.MARKETER, Permission.MANAGE_CAMPAIGNS) and allows(Role.MARKETER, Permission.EXPORT_PEOPLE)
    assert not allows(Role.MARKETER, Permission.ERASE_PEOPLE) and not allows(Role.MARKETER, Permission.MANAGE_USERS)
    # Leads: agent leads (and admins) decide outcomes; marketers read them; viewers neither.
    assert allows(Role.AGENT_LEAD, Permission.DECIDE_LEADS) and allows(Role.MARKETER, Permission.READ_LEADS)
    assert not allows(Role.MARKETER, Permission.DECIDE_LEADS) and not allows(Role.VIEWER, Permission.READ_LEADS)
    for role in Role:
        assert allows(role, Permission.VIEW_REPORTS)
        assert allows(role, Permission.READ_AUDIT) == (role is Role.ADMIN)


def test_console_strings_come_from_the_packs_and_fall_back_to_english():
    catalog = LocaleCatalog.load(shipped("locales"))
    english = Strings(catalog, catalog.get("en"))
    assert english("home_title", name="Ann") == "Hello, Ann"
    assert english("no_such_key") == "no_such_key"
    japanese = Strings(catalog, catalog.get("ja"))
    assert japanese("login") == "ログイン"
    assert japanese("home_title", name="Ann") == "こんにちは、Ann さん"
    assert Strings(catalog, catalog.get("ar")).direction == "rtl"
