"""A bot's own Python functions as LLM tools (Bot(tools=...)), through the real ``openai``
client against the loopback fake: the schema offered comes from the type hints, the model's
arguments are validated and arrive typed, the result goes back to the model."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import pytest
from parley.core.brains.llm import build_llm
from parley.core.brains.llm.py_tools import python_tool, python_tools
from parley.core.brains.llm.tools import builtin
from parley.core.brains.retrieval import RetrievalBrain
from pydantic import Field

from parley import Turn
from parley.testing.fakes.openai import FakeOpenAI
from tests.contract.llm_support import KB, llm_settings, make_turn

CALLS: list[tuple] = []


async def order_status(
    turn: Turn,
    number: Annotated[str, Field(pattern=r"^[0-9]{4,12}$", description="The order number")],
    since: date | None = None,
    detail: Literal["short", "full"] = "short",
) -> dict:
    """Look up an order by its number.

    This second paragraph is for people reading the code, not for the model."""
    CALLS.append((turn.address.chat, number, since, detail))
    return {"number": number, "status": "shipped"}


@pytest.fixture
async def fake():
    async with FakeOpenAI() as server:
        yield server


def brain_with(make_settings, base_url: str, *functions):
    settings = make_settings(**llm_settings(base_url))
    tools = python_tools(functions, 5.0, builtin(5.0))
    brain = build_llm(settings, KB, RetrievalBrain(KB), python_tools=tools)
    assert brain is not None
    return brain


async def test_a_python_function_is_offered_called_with_typed_arguments_and_answered(fake, make_settings):
    CALLS.clear()
    brain = brain_with(make_settings, fake.base_url, order_status)
    arguments = {"number": "12345", "since": "2026-01-02", "detail": "full"}
    fake.push({"tool_calls": [{"name": "order_status", "arguments": arguments}]}, {"text": "It has shipped."})
    turn = make_turn("Where is order 12345?", tools=["order_status"])
    answer = await brain.answer(turn)
    assert answer.text == "It has shipped."
    assert CALLS == [("c1", "12345", date(2026, 1, 2), "full")]
    offered = {t["function"]["name"]: t["function"] for t in fake.requests[0]["tools"]}
    schema = offered["order_status"]
    assert schema["description"] == "Look up an order by its number."
    assert schema["parameters"]["required"] == ["number"]
    assert schema["parameters"]["properties"]["number"]["pattern"] == "^[0-9]{4,12}$"
    assert "turn" not in schema["parameters"]["properties"]
    assert fake.requests[1]["messages"][-1]["content"] == '{"number": "12345", "status": "shipped"}'
    await brain.close()


async def test_arguments_the_type_hints_refuse_never_reach_the_function(fake, make_settings):
    CALLS.clear()
    brain = brain_with(make_settings, fake.base_url, order_status)
    fake.push({"tool_calls": [{"name": "order_status", "arguments": {"number": "../admin"}}]}, {"text": "Sorry."})
    await brain.answer(make_turn("order ../admin", tools=["order_status"]))
    assert CALLS == []
    assert "invalid arguments" in fake.requests[1]["messages"][-1]["content"]
    await brain.close()


def test_what_cannot_be_a_tool_is_refused_at_start_up_naming_it():
    def not_async(number: str) -> str:
        """Doc."""
        return number

    async def undocumented(number: str) -> str:
        return number

    async def handoff(reason: str) -> str:
        """Shadows the built-in."""
        return reason

    async def Shout(text: str) -> str:  # noqa: N802 - the point: not a tool name
        """Doc."""
        return text

    async def many(*numbers: str) -> str:
        """Doc."""
        return ""

    for fn, message in (
        (not_async, "must be an async function"),
        (undocumented, "needs a docstring"),
        (Shout, "is not a tool name"),
        (many, r"\*args"),
    ):
        with pytest.raises(TypeError, match=message):
            python_tool(fn, 5.0)
    with pytest.raises(TypeError, match="'handoff' exists already"):
        python_tools([handoff], 5.0, builtin(5.0))
    with pytest.raises(TypeError, match="'order_status' exists already"):
        python_tools([order_status, order_status], 5.0, {})


def test_without_a_model_the_tools_are_still_checked(make_settings):
    from parley import Bot

    async def lookup(number: str) -> str:
        return number

    with pytest.raises(ValueError, match="^tools: lookup needs a docstring"):
        Bot(make_settings(), tools=[lookup])
