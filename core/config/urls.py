"""The one check for URL settings: API bases, webhooks, the public URL, the Discord gateway and
the LLM's HTTP tools. A typo ("slack.com/api") must stop start-up with the variable's name, not
fail every call later."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from pydantic import field_validator


def url(
    scheme: str = "http", *, example: str = "", strip_slash: bool = False, optional: bool = True
) -> Callable[[str], str]:
    """A check: absolute, with ``scheme`` or its secure form (http/https, ws/wss) and a host;
    empty passes when ``optional``. ``strip_slash`` for bases that paths are appended to with a
    leading "/"."""
    hint = f", e.g. {example}" if example else ""

    def check(value: str) -> str:
        if not value and optional:
            return value
        parts = urlsplit(value)
        if parts.scheme not in (scheme, scheme + "s") or not parts.netloc:
            raise ValueError(f"must be an absolute {scheme}(s) URL{hint}")
        return value.rstrip("/") if strip_slash else value

    return check


def url_field(
    name: str, scheme: str = "http", *, example: str = "", strip_slash: bool = False, optional: bool = True
) -> Any:
    """``url`` as the pydantic validator of the field ``name`` (assign it in the model's body)."""
    return field_validator(name)(url(scheme, example=example, strip_slash=strip_slash, optional=optional))
