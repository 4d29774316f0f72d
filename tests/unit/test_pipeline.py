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
