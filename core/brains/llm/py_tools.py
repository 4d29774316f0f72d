"""Plain Python async functions as LLM tools (``Bot(tools=[...])``), beside the HTTP tools file.

    async def order_status(number: Annotated[str, Field(pattern=r"^[0-9]{4,12}$")]) -> dict:
        \"\"\"Look up an order by its number.\"\"\"
        return await shop.status(number)

The function's name is the tool's name, its docstring the description the model reads, and its
parameters' type hints the JSON schema offered (a pydantic model built from the signature, so
the model's arguments are validated before the function runs, as for every tool). A parameter
annotated ``Turn`` gets the turn (the person's state, profile and locale) and is not offered to
the model. The result goes back to the model as text: a str as is, anything else as JSON.
Like every tool, it is offered only to personas that list it in ``allowed_tools``.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.brains.llm.tools import Args, Tool, ToolContext
from parley.core.i18n.personas import TOOL_NAME
from parley.core.kernel.turn import Turn
from pydantic import BaseModel, PydanticSchemaGenerationError, create_model

PythonTool = Callable[..., Awaitable[Any]]


def python_tool(fn: PythonTool, timeout: float) -> Tool:
    """The Tool for ``fn``; TypeError naming the function when it cannot be one."""
    name = getattr(fn, "__name__", "")
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{name or fn!r} must be an async function")
    if not re.match(TOOL_NAME, name):
        raise TypeError(f"{name!r} is not a tool name (lowercase letters, digits and _)")
    description = inspect.getdoc(fn) or ""
    if not description:
        raise TypeError(f"{name} needs a docstring: it is the description the model reads")
    hints = typing.get_type_hints(fn, include_extras=True)
    turn_param = ""
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        hint = hints.get(param.name, Any)
        if hint is Turn:
            turn_param = param.name
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{name}: *args and **kwargs cannot be offered to a model")
        fields[param.name] = (hint, ... if param.default is param.empty else param.default)
    try:
        model = create_model(f"{name}_args", __base__=Args, **fields)
    except PydanticSchemaGenerationError as exc:
        raise TypeError(f"{name}: a parameter's type has no JSON schema ({exc.args[0][:120]})") from None

    async def run(args: BaseModel, ctx: ToolContext) -> str:
        values = {field: getattr(args, field) for field in fields}  # typed values, not dumped dicts
        if turn_param:
            values[turn_param] = ctx.turn
        result = await fn(**values)
        return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)

    return Tool(name, description.split("\n\n")[0], model, run, timeout=timeout)


def python_tools(
    functions: typing.Sequence[PythonTool], timeout: float, taken: typing.Iterable[str]
) -> dict[str, Tool]:
    """Tools for ``functions``, refusing a name another tool (built in, HTTP) already has."""
    tools: dict[str, Tool] = {}
    taken = set(taken)
    for fn in functions:
        tool = python_tool(fn, timeout)
        if tool.name in taken or tool.name in tools:
            raise TypeError(f"a tool named {tool.name!r} exists already")
        tools[tool.name] = tool
    return tools
