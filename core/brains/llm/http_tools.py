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
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import yarl
from parley.core.brains.llm.egress import Egress, Refused, literal_host
from parley.core.brains.llm.tools import RESULT_CHARS, Tool, ToolContext
from parley.core.config.datafile import DataFileError, load
from parley.core.config.urls import url_field
from pydantic import BaseModel, ConfigDict, Field, create_model

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


class ToolsFileError(DataFileError):
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

    _url = url_field("url", optional=False)


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


REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 3


def path_value(value: object) -> str:
    """A URL placeholder's value, percent-encoded as one path segment: ``/`` and every ``.``
    encoded, and a value that is only dots refused, so an argument can never walk the path."""
    text = str(value)
    if text and not text.strip("."):
        raise Refused("error: invalid arguments: a path value cannot be '.' or '..'")
    return quote(text, safe="").replace(".", "%2E")


def http_tool(
    spec: HttpToolSpec,
    secret: Callable[[str], str],
    session: Callable[[], aiohttp.ClientSession],
    timeout: float,
    egress: Egress,
) -> Tool:
    placeholders = set(re.findall(r"{(\w+)}", spec.url))

    async def run(args: BaseModel, ctx: ToolContext) -> str:
        values = {k: v for k, v in args.model_dump().items() if v is not None}
        try:
            url = yarl.URL(spec.url.format_map({k: path_value(values.get(k, "")) for k in placeholders}), encoded=True)
            egress.check_host(url.host or "")
        except Refused as exc:
            return str(exc)
        rest = {k: v for k, v in values.items() if k not in placeholders}
        headers = {}
        if spec.auth_header:
            headers[spec.auth_header] = spec.auth_format.format(secret=secret(spec.auth_secret))
        # Query strings carry text: booleans as JSON spells them, lists as JSON.
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in rest.items()}
        query = query if spec.method in ("GET", "DELETE") else None
        body = rest if spec.method not in ("GET", "DELETE") else None
        try:
            return await _fetch(session(), spec.method, url, query, body, headers)
        except aiohttp.ClientConnectorError:
            # Unreachable, or a name that resolves only to addresses the tools file does not allow.
            return f"error: cannot connect to {url.host}"

    return Tool(
        spec.name,
        spec.description,
        model_from_schema(spec.name, spec.parameters),
        run,
        parameters=spec.parameters,
        timeout=spec.timeout or timeout,
    )


async def _fetch(
    session: aiohttp.ClientSession, method: str, url: yarl.URL, query: Any, body: Any, headers: dict[str, str]
) -> str:
    """One request, following redirects only within the same origin and without credentials."""
    for _ in range(MAX_REDIRECTS + 1):
        async with session.request(
            method, url, params=query, json=body, headers=headers, allow_redirects=False
        ) as resp:
            if resp.status in REDIRECTS and "Location" in resp.headers:
                target = url.join(yarl.URL(resp.headers["Location"]))
                if target.origin() != url.origin():
                    # The tool's credentials, and whatever the other origin answers, stay out.
                    return f"error: HTTP {resp.status} redirect to another origin refused"
                # Same origin: followed without credentials, as a GET unless 307/308 say otherwise.
                url, query, headers = target, None, {}
                if resp.status not in (307, 308):
                    method, body = "GET", None
                continue
            # Read no more than the prompt can hold: a runaway response must not fill memory.
            body_bytes = await resp.content.read(RESULT_CHARS * 4)
            text = body_bytes.decode(resp.charset or "utf-8", errors="replace")
            status = resp.status
        break
    else:
        return "error: too many redirects"
    if status >= 400:
        return f"error: HTTP {status}: {text[:500]}"
    return text


class ToolsFile(BaseModel):
    """The file's top level: the tools, and where they may connect."""

    model_config = ConfigDict(extra="forbid")

    tools: list[HttpToolSpec] = []
    allowed_hosts: list[str] = []  # besides the tools' own hosts; "*.example.com" for subdomains
    allow_private: bool = False  # true: loopback, private and link-local addresses too


def load_file(path: Path) -> ToolsFile:
    return load(path, ToolsFile, ToolsFileError, variable="PARLEY_LLM__TOOLS_FILE").value


def load_specs(path: Path) -> list[HttpToolSpec]:
    return load_file(path).tools


class HttpTools:
    """The tools of one tools file, with the one session they share (guarded by its egress)."""

    def __init__(self, path: Path, secrets: dict[str, str], timeout: float) -> None:
        top = load_file(path)
        specs = top.tools
        hosts = [*top.allowed_hosts]
        for spec in specs:
            host = literal_host(spec.url)
            if host is None and not top.allowed_hosts:
                raise ToolsFileError(
                    f"PARLEY_LLM__TOOLS_FILE: {path}: tool {spec.name!r} has a placeholder in its host: "
                    "list the hosts it may reach in allowed_hosts"
                )
            hosts.append(host or "")
        self.egress = Egress(tuple(h.lower().rstrip(".") for h in hosts if h), top.allow_private)
        self._session: aiohttp.ClientSession | None = None
        self.tools: dict[str, Tool] = {}
        secrets = {k.lower(): v for k, v in secrets.items()}  # env names arrive lower-cased
        for spec in specs:
            spec = spec.model_copy(update={"auth_secret": spec.auth_secret.lower()})
            if spec.auth_header and spec.auth_secret not in secrets:
                name = f"PARLEY_LLM__SECRETS__{spec.auth_secret.upper()}"
                raise ToolsFileError(f"{path}: tool {spec.name!r} needs the secret {name}")
            self.tools[spec.name] = http_tool(spec, secrets.__getitem__, self.session, timeout, self.egress)

    def session(self) -> aiohttp.ClientSession:
        """Opened on first use, inside the running loop."""
        if self._session is None or self._session.closed:
            self._session = self.egress.session()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def load_http_tools(path: Path, secrets: dict[str, str], timeout: float) -> dict[str, Tool]:
    return HttpTools(path, secrets, timeout).tools
