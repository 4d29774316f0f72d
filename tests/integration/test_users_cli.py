"""``bot.py users``: add, list, token, passwd and remove on the configured store, audited as
``cli``; bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import pytest
from parley.core.console.accounts import digest
from parley.core.console.cli import ask_password, users_cli
from parley.core.console.passwords import PasswordError
from parley.core.storage.memory import MemoryStore
from parley.core.storage.sqlite import SQLiteStore

from tests.integration.console_support import CHEAP
from tests.integration.test_cli import bot


def test_users_commands_on_the_configured_store(tmp_path):
    env = {"PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    added = bot("users", "add", "Ann", "--role", "admin", "--password-stdin", env=env, input="a long passphrase\n")
    assert added.returncode == 0, added.stderr
    assert "added ann (admin)" in added.stdout
    token = bot("users", "token", "ann", "--label", "ci", env=env)
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip().splitlines()[-1]
    assert secret.startswith("pt_")
    listed = bot("users", "list", env=env)
    assert "ann\tadmin" in listed.stdout and "1 API token(s)" in listed.stdout
    refused = bot("users", "remove", "ann", env=env)
    assert refused.returncode == 2 and "last admin" in refused.stderr and "Traceback" not in refused.stderr
    short = bot("users", "add", "bob", "--password-stdin", env=env, input="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr

    async def check() -> None:
        store = SQLiteStore(tmp_path / "p.db")
        await store.open()
        try:
            assert (await store.api_token(digest(secret))).account == "ann"
            assert [e.actor for e in await store.audit_log(10)] == ["cli", "cli"]
        finally:
            await store.close()

    import asyncio

    asyncio.run(check())


async def test_users_cli_actions_and_refusals(capsys):
    store = MemoryStore()
    password = lambda: "another long passphrase"  # noqa: E731
    assert await users_cli(store, "add", "lee", "agent_lead", "", password, CHEAP) == 0
    first = (await store.account("lee")).generation
    assert await users_cli(store, "passwd", "lee", "", "", password, CHEAP) == 0
    assert (await store.account("lee")).generation == first + 1  # older sessions end
    assert await users_cli(store, "add", "lee", "viewer", "", password, CHEAP) == 2
    assert "exists already" in capsys.readouterr().err
    assert await users_cli(store, "passwd", "nobody", "", "", password, CHEAP) == 2
    assert await users_cli(store, "remove", "", "", "", password, CHEAP) == 2
    assert await users_cli(store, "remove", "lee", "", "", password, CHEAP) == 0
    assert await store.account("lee") is None


def test_a_password_is_asked_twice():
    answers = iter(["one passphrase here", "another one"])
    with pytest.raises(PasswordError, match="differ"):
        ask_password(False, prompt=lambda _: next(answers))
