"""One-time link codes and signed tokens (core/linking/codes.py): expiring, single-use, refused on
the identity that asked and off the channel named, brute force throttled per identity and across
the code space, forged tokens refused before any lookup; every refusal looks the same."""

from __future__ import annotations

import asyncio

from parley.core.kernel.clock import ManualClock
from parley.core.linking.codes import FAILS_PER_IDENTITY, FAILS_PER_MINUTE, ISSUE_PER_HOUR, Codes, Verdict
from parley.core.storage.memory import MemoryStore

WEB, WA, TG, SMS = "web:s-1", "whatsapp:+4915100000001", "telegram:42", "sms:+4915100000001"


async def codes(ttl: float = 600.0) -> tuple[Codes, MemoryStore, ManualClock]:
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    await store.open()
    return Codes(store, clock, ttl=ttl), store, clock


async def test_a_code_links_once_on_another_identity_and_never_again():
    c, store, _ = await codes()
    issued = await c.issue(WEB)
    assert len(issued.code) == 6 and issued.code.isdigit() and len(issued.token) == 32
    assert not [k for k in store._kv if issued.code in k or issued.code in store._kv[k][0]]  # only HMACs kept
    assert (await c.redeem(WEB, code=issued.code)).verdict is Verdict.INVALID  # where it was shown
    assert await c.redeem(WA, code=f"{issued.code[:3]} {issued.code[3:]}") == (await _ok(WEB))
    assert (await c.redeem(TG, code=issued.code)).verdict is Verdict.INVALID  # replayed by a third identity
    assert (await c.redeem(WA, token=issued.token)).verdict is Verdict.INVALID  # its link is spent too


async def _ok(identity: str):
    from parley.core.linking.codes import Redeemed

    return Redeemed(Verdict.OK, identity)


async def test_an_expired_code_and_a_code_for_another_channel_are_refused_alike():
    c, _, clock = await codes(ttl=60)
    late = await c.issue(WEB)
    clock.advance(61)
    assert (await c.redeem(WA, code=late.code)).verdict is Verdict.INVALID
    bound = await c.issue(WEB, channel="whatsapp")
    assert (await c.redeem(SMS, code=bound.code)).verdict is Verdict.INVALID  # typed on SMS
    assert (await c.redeem(WA, code=bound.code)).verdict is Verdict.OK


async def test_a_forged_or_damaged_token_is_refused():
    c, _, _ = await codes()
    issued = await c.issue(WEB)
    forged = issued.token[:16] + ("A" * 16 if issued.token[16:] != "A" * 16 else "B" * 16)
    for n, token in enumerate((forged, issued.token[:-1], "x" * 32, "=" * 32, "ä" * 32, "")):
        assert (await c.redeem(f"telegram:{n}", token=token)).verdict is Verdict.INVALID
    assert (await c.redeem(WA, token=issued.token)).verdict is Verdict.OK


async def test_guessing_is_throttled_per_identity_then_across_the_code_space():
    c, _, clock = await codes(ttl=3600)
    issued = await c.issue(WEB)
    for n in range(FAILS_PER_IDENTITY):
        assert (await c.redeem(WA, code=f"{n:06d}" if f"{n:06d}" != issued.code else "999999")).verdict is (
            Verdict.INVALID
        )
    assert (await c.redeem(WA, code=issued.code)).verdict is Verdict.THROTTLED  # even the right one, now
    clock.advance(15 * 60 + 1)
    assert (await c.redeem(WA, code=issued.code)).verdict is Verdict.OK
    # Many identities guessing together: the whole code space closes for the minute.
    spread = await c.issue(WEB)
    for n in range(FAILS_PER_MINUTE):
        await c.redeem(f"telegram:{n}", code="000000" if spread.code != "000000" else "000001")
    assert (await c.redeem(SMS, code=spread.code)).verdict is Verdict.THROTTLED
    clock.advance(61)
    assert (await c.redeem(SMS, code=spread.code)).verdict is Verdict.OK


async def test_issuing_is_limited_and_a_code_redeemed_twice_at_once_links_once():
    c, _, _ = await codes()
    issued = [await c.issue(WEB) for _ in range(ISSUE_PER_HOUR + 1)]
    assert all(issued[:ISSUE_PER_HOUR]) and issued[-1] is None
    results = await asyncio.gather(c.redeem(WA, code=issued[0].code), c.redeem(TG, code=issued[0].code))
    assert sorted(r.verdict.value for r in results) == ["invalid", "ok"]


async def test_odd_input_is_an_invalid_code_not_an_error():
    c, _, _ = await codes()
    for n, typed in enumerate(("", "12345", "1234567", "١٢٣٤٥٦", "12a456", "\u0000" * 6, "9" * 10_000)):
        assert (await c.redeem(f"telegram:{n}", code=typed)).verdict is Verdict.INVALID
