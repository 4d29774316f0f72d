"""Generic HTTP tools declared in a TOML or YAML file, so a business connects its order system
or CRM without code::

    [[tools]]
    name = "order_status"
    description = "Look up an order by its number"
    method = "GET"
    url = "https://shop.example.com/api/orders/{order_id}"
    auth_header = "Authorization"
    auth_secret = "shop_api"          # PARLEY_LLM__SECRETS__SHOP_API
    auth_format = "Bearer {secret}"
    [tools.parameters]
    type = "object"
    required = ["order_id"]
    properties.order_id = { type = "string", pattern = "^[0-9]{4,12}$" }

Arguments are validated against the JSON schema (a pydantic model built from it), URL
placeholders are percent-encoded (no path traversal through an argument), the other arguments
go in the query (GET, DELETE) or a JSON body. The secret is read from settings when the request
is made: it never appears in the prompt, the schema or a log line.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import yaml
import yarl
from parley.core.brains.llm.tools import RESULT_CHARS, Tool, ToolContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


class ToolsFileError(ValueError):
    """A tools file that cannot be used; the message names the file and the tool."""


class HttpToolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    parameters: dict[str, Any] = {"type": "object", "properties": {}}
    auth_header: str = ""
    auth_secret: str = ""
    auth_format: str = "{secret}"
    timeout: float | None = None

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an absolute http(s) URL")
        return value


def model_from_schema(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model for a flat JSON-schema object: types, required, enum, pattern, lengths."""
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for key, prop in schema.get("properties", {}).items():
        kind: Any = _TYPES.get(prop.get("type", "string"), str)
        if "enum" in prop:
            kind = Literal[tuple(prop["enum"])]  # type: ignore[valid-type]
        limits = {k: prop[k] for k in ("pattern", "minLength", "maxLength", "minimum", "maximum") if k in prop}
        constraints = {
            "pattern": limits.get("pattern"),
            "min_length": limits.get("minLength"),
            "max_length": limits.get("maxLength", 1000 if kind is str else None),
            "ge": limits.get("minimum"),
            "le": limits.get("maximum"),
        }
        constraints = {k: v for k, v in constraints.items() if v is not None}
        default = ... if key in required else prop.get("default")
        fields[key] = (kind if key in required else kind | None, Field(default, **constraints))
    return create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)


def http_tool(
    spec: HttpToolSpec, secret: Callable[[str], str], session: Callable[[], aiohttp.ClientSession], timeout: float
) -> Tool:
    placeholders = set(re.findall(r"{(\w+)}", spec.url))

    async def run(args: BaseModel, ctx: ToolContext) -> str:
        values = {k: v for k, v in args.model_dump().items() if v is not None}
        url = spec.url.format_map({k: quote(str(values.get(k, "")), safe="") for k in placeholders})
        rest = {k: v for k, v in values.items() if k not in placeholders}
        headers = {}
        if spec.auth_header:
            headers[spec.auth_header] = spec.auth_format.format(secret=secret(spec.auth_secret))
        # Query strings carry text: booleans as JSON spells them, lists as JSON.
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in rest.items()}
        query = query if spec.method in ("GET", "DELETE") else None
        body = rest if spec.method not in ("GET", "DELETE") else None
        async with session().request(
            spec.method, yarl.URL(url, encoded=True), params=query, json=body, headers=headers
        ) as resp:
            # Read no more than the prompt can hold: a runaway response must not fill memory.
            body_bytes = await resp.content.read(RESULT_CHARS * 4)
            text = body_bytes.decode(resp.charset or "utf-8", errors="replace")
        if resp.status >= 400:
            return f"error: HTTP {resp.status}: {text[:500]}"
        return text

    return Tool(
        spec.name,
        spec.description,
        model_from_schema(spec.name, spec.parameters),
        run,
        parameters=spec.parameters,
        timeout=spec.timeout or timeout,
    )


def load_specs(path: Path) -> list[HttpToolSpec]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ToolsFileError(f"PARLEY_LLM__TOOLS_FILE: {path}: {exc}") from None
    specs = []
    for n, entry in enumerate((data or {}).get("tools", [])):
        try:
            specs.append(HttpToolSpec.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ToolsFileError(f"PARLEY_LLM__TOOLS_FILE: {path}: tools[{n}].{where}: {first['msg']}") from None
    return specs


def load_http_tools(
    path: Path, secrets: dict[str, str], session: Callable[[], aiohttp.ClientSession], timeout: float
) -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    secrets = {k.lower(): v for k, v in secrets.items()}  # env names arrive lower-cased
    for spec in load_specs(path):
        spec = spec.model_copy(update={"auth_secret": spec.auth_secret.lower()})
        if spec.auth_header and spec.auth_secret not in secrets:
            name = f"PARLEY_LLM__SECRETS__{spec.auth_secret.upper()}"
            raise ToolsFileError(f"{path}: tool {spec.name!r} needs the secret {name}")
        tools[spec.name] = http_tool(spec, secrets.__getitem__, session, timeout)
    return tools
