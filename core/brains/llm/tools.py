"""Tools the model may call (function calling), each with validated arguments and a timeout.

Built in: ``handoff`` (a person takes over), ``capture_lead`` (a plain dict on ``state["lead"]``
that the sales desk picks up) and ``schedule_followup`` (``Turn.followup``: the scheduler books
it after the turn): the same ``Turn`` calls a bot author's handlers make. Generic HTTP tools come
from a config file (parley.core.brains.llm.http_tools).
Only the persona's ``allowed_tools`` are offered, and a call to anything not offered is refused
whatever the model (or a prompt injection) asks for.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parley.core.kernel.turn import Turn
from parley.core.privacy.pii import Redactor
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:  # the openai SDK loads only with a model configured (fast start-up)
    from parley.core.brains.llm.client import ToolCall

log = logging.getLogger("parley.llm.tools")

RESULT_CHARS = 4000  # what a tool may put back into the prompt


@dataclass
class ToolContext:
    turn: Turn
    redactor: Redactor
    handoff: bool = False
    used: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    model: type[BaseModel]  # validates the arguments
    run: Callable[[BaseModel, ToolContext], Awaitable[str]]
    parameters: dict[str, Any] | None = None  # the JSON schema offered; default: the model's
    timeout: float = 10.0

    def schema(self) -> dict[str, Any]:
        params = self.parameters or self.model.model_json_schema()
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class HandoffArgs(Args):
    reason: str = Field("", max_length=300, description="Why a person should take over")


class LeadArgs(Args):
    name: str = Field("", max_length=120)
    company: str = Field("", max_length=120)
    need: str = Field("", max_length=600, description="What the customer wants")
    budget: str = Field("", max_length=120)
    timeline: str = Field("", max_length=120)
    contact: str = Field("", max_length=200, description="Email or phone, as the customer gave it")


class FollowupArgs(Args):
    at: AwareDatetime = Field(description="When, ISO 8601 with a UTC offset")
    kind: str = Field("reminder", pattern=r"^[a-z_]{1,32}$")
    text: str = Field(min_length=1, max_length=500, description="What to tell the customer then")


async def handoff(args: BaseModel, ctx: ToolContext) -> str:
    ctx.handoff = True
    ctx.turn.state["handoff_reason"] = getattr(args, "reason", "")
    return "A person from the team has been asked to take over. Tell the customer so, briefly."


async def capture_lead(args: BaseModel, ctx: ToolContext) -> str:
    ctx.turn.lead(**args.model_dump())  # the same call a bot author's handler makes
    return "Lead saved. Thank the customer; the team will be in touch."


async def schedule_followup(args: BaseModel, ctx: ToolContext) -> str:
    assert isinstance(args, FollowupArgs)
    try:
        ctx.turn.followup(args.at, args.text, args.kind)
    except ValueError as exc:
        return f"error: {exc}"
    return f"Follow-up scheduled for {args.at.isoformat()}."


def builtin(timeout: float) -> dict[str, Tool]:
    return {
        t.name: t
        for t in (
            Tool("handoff", "Hand the conversation to a person from the team.", HandoffArgs, handoff, timeout=timeout),
            Tool(
                "capture_lead",
                "Save a sales lead: who the customer is and what they need.",
                LeadArgs,
                capture_lead,
                timeout=timeout,
            ),
            Tool(
                "schedule_followup",
                "Schedule a message to the customer later (e.g. a reminder they asked for).",
                FollowupArgs,
                schedule_followup,
                timeout=timeout,
            ),
        )
    }


class Toolbox:
    def __init__(self, tools: dict[str, Tool]) -> None:
        self.tools = tools
        # Built once: pydantic's JSON-schema generation costs milliseconds per tool per call.
        self.schemas = {name: tool.schema() for name, tool in tools.items()}

    def offered(self, allowed: list[str]) -> list[Tool]:
        return [self.tools[name] for name in allowed if name in self.tools]

    async def call(self, call: ToolCall, offered: set[str], ctx: ToolContext) -> str:
        """Run one call; the result (or the error) goes back to the model as text, redacted."""
        tool = self.tools.get(call.name)
        if tool is None or call.name not in offered:
            log.warning("tool refused: not offered", extra={"tool": call.name[:64]})
            return f"error: no tool named {call.name[:64]!r} is available"
        try:
            # Placeholders are restored only here, on the way to the tool, never in the prompt.
            raw = json.loads(ctx.redactor.restore(call.arguments) or "{}")
            args = tool.model.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            return f"error: invalid arguments: {str(exc)[:300]}"
        try:
            async with asyncio.timeout(tool.timeout):
                result = await tool.run(args, ctx)
        except TimeoutError:
            log.warning("tool timed out", extra={"tool": tool.name})
            return "error: the tool timed out"
        except Exception as exc:
            log.warning("tool failed", extra={"tool": tool.name, "error": type(exc).__name__})
            return "error: the tool failed"
        ctx.used.append(tool.name)
        return ctx.redactor.redact(result)[:RESULT_CHARS]
