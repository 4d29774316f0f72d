"""The contract every store keeps for the console (``AccountStore``): accounts, API tokens by
digest, the append-only audit log and windowed counters. ``StoreContract`` includes it, so a
store of your own runs it with the rest; it needs the same ``store`` and ``clock`` fixtures."""

from __future__ import annotations

from parley.core.storage.accounts import Account, ApiToken, AuditEntry


def account(name: str, role: str = "viewer", generation: int = 1) -> Account:
    return Account(name, role, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", 1000.0, generation)


class AccountStoreContract:
    async def test_accounts_are_saved_replaced_listed_by_name_and_removed(self, store):
        assert await store.account("zoe") is None
        await store.save_account(account("zoe"))
        await store.save_account(account("ann", "admin"))
        await store.save_account(account("zoe", "marketer", generation=2))  # replaces
        assert await store.account("zoe") == account("zoe", "marketer", generation=2)
        assert [a.name for a in await store.accounts()] == ["ann", "zoe"]
        assert await store.remove_account("zoe")
        assert not await store.remove_account("zoe")
        assert [a.name for a in await store.accounts()] == ["ann"]

    async def test_api_tokens_are_found_by_digest_listed_per_account_and_go_with_it(self, store):
        await store.save_account(account("ann"))
        first, second = ApiToken("d1" * 32, "ann", "ci", 10.0), ApiToken("d2" * 32, "ann", "grafana", 20.0)
        other = ApiToken("d3" * 32, "bob", "", 15.0)
        for token in (second, other, first):
            await store.save_api_token(token)
        assert await store.api_token("d1" * 32) == first
        assert await store.api_token("nope") is None
        assert await store.api_tokens("ann") == [first, second]  # oldest first
        assert await store.remove_api_token("d2" * 32)
        assert not await store.remove_api_token("d2" * 32)
        await store.remove_account("ann")
        assert await store.api_token("d1" * 32) is None  # a removed user's tokens stop working
        assert await store.api_tokens("bob") == [other]

    async def test_audit_log_is_newest_first_and_pages(self, store):
        entries = [AuditEntry(float(n), "ann", "user.add", f"u{n}", "é") for n in range(5)]
        for entry in entries:
            await store.audit(entry)
        assert await store.audit_log(3) == entries[::-1][:3]
        assert await store.audit_log(3, offset=3) == entries[::-1][3:]
        assert await store.audit_log(0) == []

    async def test_hits_count_in_a_fixed_window(self, store, clock):
        assert await store.hits("login:ip:1", 60, add=0) == 0
        assert await store.hits("login:ip:1", 60) == 1
        assert await store.hits("login:ip:1", 60) == 2
        assert await store.hits("login:ip:2", 60) == 1  # keys are apart
        clock.advance(30)
        assert await store.hits("login:ip:1", 60, add=0) == 2  # reading does not count
        clock.advance(31)
        assert await store.hits("login:ip:1", 60, add=0) == 0  # the window ended
        assert await store.hits("login:ip:1", 60) == 1
