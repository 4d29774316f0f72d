"""Bearer tokens for the admin API and ``/metrics``: one parser, one constant-time compare."""

from __future__ import annotations

import hmac


def bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None. The scheme is
    case-insensitive (RFC 9110 section 11.1: ``bearer`` and ``BEARER`` are the same scheme)."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def same_token(given: str, expected: str) -> bool:
    # Headers may carry bytes aiohttp kept as surrogate escapes: compare bytes, never raise.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))
