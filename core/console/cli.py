"""``python bot.py users add|list|remove|passwd|token``: console users from the command line, on
the store ``PARLEY_STORE_URL`` names (the running bot sees them at once). Changes are audited
as made by ``cli``. Passwords are asked for twice without echo, or read from stdin with
``--password-stdin`` (scripts), never taken as an argument (it would stay in the shell history)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from parley.core.console.accounts import AccountError, Accounts
from parley.core.console.passwords import PasswordError, Passwords
from parley.core.console.render import isotime
from parley.core.console.roles import Role
from parley.core.kernel.clock import system_clock
from parley.core.storage.store import Store

ACTOR = "cli"


def ask_password(from_stdin: bool, prompt: Callable[[str], str] = getpass.getpass) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = prompt("Password: ")
    if prompt("Again: ") != first:
        raise PasswordError("the two passwords differ")
    return first


async def users_cli(
    store: Store,
    action: str,
    name: str,
    role: str,
    label: str,
    password: Callable[[], str],
    passwords: Passwords | None = None,
) -> int:
    """Run one action on an opened ``store``; 0 on success, 2 with a message on stderr."""
    accounts = Accounts(store, passwords or Passwords(), system_clock)
    try:
        if action == "list":
            for account in await store.accounts():
                tokens = len(await store.api_tokens(account.name))
                print(f"{account.name}\t{account.role}\tcreated {isotime(account.created)}\t{tokens} API token(s)")
            return 0
        if not name:
            raise AccountError(f"users {action} needs a user name")
        if action == "add":
            await accounts.add(ACTOR, name, Role(role), password())
            print(f"added {name.strip().lower()} ({role})")
        elif action == "remove":
            await accounts.remove(ACTOR, name)
            print(f"removed {name}")
        elif action == "passwd":
            await accounts.set_password(ACTOR, name, password())
            print(f"password changed for {name}; their sessions have ended")
        elif action == "token":
            secret, token = await accounts.create_token(ACTOR, name, label)
            print(f"API token {token.id} for {name} (shown once; send it as Authorization: Bearer ...):")
            print(secret)
    except (AccountError, PasswordError) as exc:
        print(f"parley: users {action}: {exc}", file=sys.stderr)
        return 2
    return 0
