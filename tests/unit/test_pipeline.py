from datetime import UTC, datetime

from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.pipeline import fold
from parley.core.kernel.turn import Turn

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")


def turn(text: str = "hi") -> Turn:
    address = Address(channel="web", chat="c", user="u")
    t = Turn(address, datetime.now(UTC), PERSONAS.get(), LOCALES.get("en"))
    t.inbound = Inbound(address=address, event_id="1", text=text)
    return t


async def test_fold_runs_middlewares_in_order_around_the_endpoint():
    calls: list[str] = []

    def mw(name):
        async def m(t, call_next):
            calls.append(f"{name}>")
            await call_next(t)
            calls.append(f"<{name}")

        return m

    async def endpoint(t):
        calls.append("end")

    await fold([mw("a"), mw("b")], endpoint)(turn())
    assert calls == ["a>", "b>", "end", "<b", "<a"]


async def test_a_middleware_that_answers_stops_the_fold():
    async def stop(t, call_next):
        t.say("stopped")

    async def endpoint(t):
        raise AssertionError("must not run")

    t = turn()
    await fold([stop], endpoint)(t)
    assert [r.text for r in t.replies] == ["stopped"]


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(100.0)
    assert clock() == 100.0
    clock.advance(5)
    assert clock() == 105.0


async def test_the_flood_guard_forgets_people_quiet_for_a_minute():
    from parley.core.kernel.middleware import guard

    clock = ManualClock(1000.0)
    mw = guard(4000, 30, clock)

    async def endpoint(t):
        t.say("ok")

    for n in range(500):  # 500 different people (or made-up ids), once each
        t = turn()
        t.inbound = t.inbound.model_copy(update={"address": Address(channel="web", chat=f"c{n}", user=f"u{n}")})
        await mw(t, endpoint)
    assert mw.tracked == 500
    clock.advance(61)
    await mw(turn(), endpoint)
    assert mw.tracked == 1  # only the one who just wrote


def person_turn(n: int) -> Turn:
    t = turn()
    t.inbound = t.inbound.model_copy(update={"address": Address(channel="web", chat=f"c{n}", user=f"u{n}")})
    return t


async def test_the_flood_guard_holds_at_most_its_cap_and_still_stops_a_flooder_among_made_up_ids():
    from parley.core.kernel.middleware import guard

    clock = ManualClock(1000.0)
    mw = guard(4000, 5, clock, max_tracked=100)
    answered: list[int] = []

    async def endpoint(t):
        answered.append(int(t.inbound.address.chat[1:]))

    for n in range(1, 2001):  # 2,000 made-up ids within one minute, and person 0 writing every 10th
        if n % 10 == 0:
            await mw(person_turn(0), endpoint)
        await mw(person_turn(n), endpoint)
        assert mw.tracked <= 100
    assert mw.tracked == 100
    assert answered.count(0) == 5  # the flooder stayed tracked (heard from often): refused after 5
    assert len(mw._recent["web:u0"]) == 5 + 2  # their 200 messages' window: only the newest kept
    assert len(answered) == 2000 + 5  # nobody else was refused


async def test_the_flood_guard_forgets_the_longest_quiet_first():
    from parley.core.kernel.middleware import guard

    clock = ManualClock(1000.0)
    mw = guard(4000, 30, clock, max_tracked=3)

    async def endpoint(t):
        t.say("ok")

    for n in (1, 2, 3, 1, 4):  # 1 wrote again: 2 is now the longest quiet, and goes
        await mw(person_turn(n), endpoint)
        clock.advance(1)
    assert list(mw._recent) == ["web:u3", "web:u1", "web:u4"]
    await mw(person_turn(2), endpoint)  # 2 is back, with a fresh window: 3 goes
    assert list(mw._recent) == ["web:u1", "web:u4", "web:u2"]


def test_the_rate_limiter_drops_chats_whose_time_has_passed():
    from parley.core.kernel.ratelimit import Limit, Limiter

    limiter = Limiter()
    for n in range(1000):  # a reply to each of 1,000 chats, one per second allowed per chat
        assert limiter.acquire([Limit(f"web:chat:{n}", 1.0)], 1000.0) == 0.0
    assert limiter.tracked == 1000
    assert limiter.acquire([Limit("web:chat:0", 1.0)], 1000.5) > 0  # still limited within its second
    assert limiter.acquire([Limit("web:chat:new", 1.0)], 1011.0) == 0.0  # ten seconds on: the sweep
    assert limiter.tracked == 1
    assert limiter.acquire([Limit("web:chat:new", 1.0)], 1011.5) > 0  # the one kept still counts
