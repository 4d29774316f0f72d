"""Routers: what matches, how arguments are bound from type hints, the order handlers are
tried in, and that a handler which says nothing passes the turn on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.turn import Turn

from parley import Router

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
ADDRESS = Address(channel="web", chat="c", user="u")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def turn(text: str = "", *, button: str = "", locale: str = "en") -> Turn:
    t = Turn(ADDRESS, NOW, PERSONAS.get(), LOCALES.get(locale))
    kind = "button" if button else "message"
    t.inbound = Inbound(address=ADDRESS, event_id="1", text=text, kind=kind, payload=button)
    return t


def said(t: Turn) -> list[str]:
    return [r.text for r in t.replies]


async def test_a_command_binds_its_words_to_the_handlers_type_hints():
    router = Router()
    seen = []

    @router.command("/order")
    async def order(turn: Turn, number: int, express: bool = False) -> None:
        seen.append((number, express))
        turn.say(f"order {number}")

    t = turn("/order 12345 yes")
    assert await router.dispatch(t)
    assert seen == [(12345, True)] and said(t) == ["order 12345"]
    assert t.tags["route"] == "/order"
    seen.clear()
    assert await router.dispatch(turn("/ORDER 7"))  # command names are case-insensitive
    assert seen == [(7, False)]


async def test_a_command_pressed_as_a_button_runs_the_same_handler():
    router = Router()

    @router.command("order")  # the slash is optional when registering
    async def order(turn: Turn, number: int) -> None:
        turn.say(str(number * 2))

    t = turn(button="/order 21")
    assert await router.dispatch(t) and said(t) == ["42"]


@pytest.mark.parametrize(
    ("text", "why"),
    [("/order", "missing"), ("/order twelve", "not a number"), ("/order 1 2 3", "too many words")],
)
async def test_arguments_that_do_not_fit_are_answered_with_the_usage_line(text, why):
    router = Router()

    @router.command("/order")
    async def order(turn: Turn, number: int, note: str = "") -> None:
        raise AssertionError("must not run")

    for code in ("en", "es"):
        t = turn(text, locale=code)
        assert await router.dispatch(t), why
        expected = LOCALES.get(code).t("command_usage", usage="/order <number> [note]")
        assert said(t) == [expected]
        assert t.replies[0].kind == "system"


async def test_keyword_only_takes_the_rest_of_the_line_and_star_args_the_words_left():
    router = Router()
    seen = []

    @router.command("/note")
    async def note(turn: Turn, *, text: str) -> None:
        seen.append(text)
        turn.say("noted")

    @router.command("/sum")
    async def total(turn: Turn, *amounts: Decimal) -> None:
        seen.append(sum(amounts))
        turn.say("summed")

    await router.dispatch(turn("/note  buy milk,   and bread "))
    await router.dispatch(turn("/sum 1.10 2.20 3"))
    assert seen == ["buy milk,   and bread", Decimal("6.30")]


async def test_text_patterns_fill_parameters_from_named_and_unnamed_groups():
    router = Router()
    seen = []

    @router.text(r"where is my order (?P<number>\d+)")
    async def where(turn: Turn, number: int) -> None:
        seen.append(number)
        turn.say("on its way")

    @router.text(re.compile(r"(\w+) to (\w+)"))
    async def route(turn: Turn, origin: str, to: str, match: re.Match) -> None:
        seen.append((origin, to, match.group(0)))
        turn.say("ok")

    assert await router.dispatch(turn("Hi, WHERE IS MY ORDER 12345 please?"))  # str patterns ignore case
    assert await router.dispatch(turn("Lisbon to Porto"))
    assert seen == [12345, ("Lisbon", "Porto", "Lisbon to Porto")]


async def test_a_group_that_does_not_convert_is_not_that_handlers_message():
    router = Router()

    @router.text(r"order (\w+)")
    async def by_number(turn: Turn, number: int) -> None:
        turn.say("by number")

    @router.text(r"order (\w+)")
    async def by_name(turn: Turn, name: str) -> None:
        turn.say(f"by name {name}")

    t = turn("order shoes")
    assert await router.dispatch(t)
    assert said(t) == ["by name shoes"]


async def test_predicates_and_button_globs():
    router = Router()

    @router.text(lambda t: t.text.endswith("?"))
    async def question(turn: Turn) -> None:
        turn.say("a question")

    @router.button("reorder:*:*")
    async def reorder(turn: Turn, number: int, size: str) -> None:
        turn.say(f"{number} in {size}")

    t = turn("is it open?")
    assert await router.dispatch(t) and said(t) == ["a question"]
    t = turn(button="reorder:42:M")
    assert await router.dispatch(t) and said(t) == ["42 in M"]
    assert not await router.dispatch(turn(button="reorder-42"))
    assert not await router.dispatch(turn("reorder:42:M"))  # text is not a button press


async def test_a_handler_that_says_nothing_passes_on_in_order():
    root, first, second = Router("root"), Router("first"), Router("second")
    ran: list[str] = []

    def handler(name: str, answer: bool):
        async def h(turn: Turn) -> None:
            ran.append(name)
            if answer:
                turn.say(name)

        return h

    root.text(r"hello")(handler("root-silent", False))
    second.text(r"hello")(handler("second", True))
    first.text(r"hello")(handler("first", True))
    root.include(first)
    root.include(second)
    t = turn("hello")
    assert await root.dispatch(t)
    assert ran == ["root-silent", "first"] and said(t) == ["first"]

    ran.clear()
    silent = Router()
    silent.text(r"hello")(handler("only", False))
    t = turn("hello")
    assert not await silent.dispatch(t)  # nobody answered: the brain will
    assert ran == ["only"] and t.replies == []


async def test_forwarding_counts_as_an_answer_and_proactive_turns_are_not_routed():
    router = Router()

    @router.text(r".*")
    async def forward(turn: Turn) -> None:
        turn.forward(Address(channel="slack", chat="desk"), Reply(text="fyi"))

    assert await router.dispatch(turn("anything"))
    proactive = turn("anything")
    proactive.inbound, proactive.proactive = None, Reply(text="later")
    assert not await router.dispatch(proactive)


def test_registration_refuses_what_could_never_work():
    router = Router()
    with pytest.raises(TypeError, match="async"):
        router.text(r"x")(lambda turn: None)
    with pytest.raises(TypeError, match="number"):

        @router.text(r"order")
        async def no_group(turn: Turn, number: int) -> None: ...

    with pytest.raises(ValueError, match="command name"):
        router.command("/two words")
    with pytest.raises(ValueError, match="regular expression"):
        router.text("(unclosed")
    child = router.include(Router("child"))
    with pytest.raises(ValueError, match="cycle"):
        child.include(router)


def test_turn_records_handoff_lead_and_followup_requests():
    t = turn("hi")
    t.handoff("order_problem")
    assert t.state["handoff"]["status"] == "requested" and t.state["handoff"]["reason"] == "order_problem"
    assert said(t) == [LOCALES.get("en").t("handoff_started")]

    t.lead(name="Ana", need="50 chairs")
    lead = t.lead(contact="ana@example.com", name="")  # completes, never erases
    assert (lead["name"], lead["need"], lead["contact"]) == ("Ana", "50 chairs", "ana@example.com")
    with pytest.raises(ValueError, match="unknown lead fields"):
        t.lead(shoe_size="42")

    request = t.followup(NOW + timedelta(days=1), "Your appointment is tomorrow", kind="reminder")
    assert t.followups == [request]
    for at, text, kind in (
        (NOW - timedelta(minutes=1), "late", "followup"),
        (NOW + timedelta(days=91), "far", "followup"),
        (datetime(2026, 3, 3, 12, 0), "naive", "followup"),
        (NOW + timedelta(hours=1), " ", "followup"),
        (NOW + timedelta(hours=1), "bad kind", "Follow:up"),
    ):
        with pytest.raises(ValueError):
            t.followup(at, text, kind)
    assert len(t.followups) == 1
