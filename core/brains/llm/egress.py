"""Where HTTP tools may connect: a host allowlist per tools file, and no private, loopback or
link-local address unless the tools file says ``allow_private = true``.

The address check runs at connection time, on the addresses the resolver returned (a custom
aiohttp resolver), so a name that resolves to 127.0.0.1 or 169.254.169.254 is refused as surely
as the literal, and a DNS answer cannot change between the check and the connect.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class Refused(Exception):
    """A tool call the egress policy refuses; its message goes back to the model."""


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Egress:
    hosts: tuple[str, ...]  # exact names, or "*.example.com" for any subdomain
    allow_private: bool = False

    def check_host(self, host: str) -> None:
        host = host.lower().rstrip(".")
        for allowed in self.hosts:
            if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
                break
        else:
            raise Refused(f"error: host {host!r} is not in the tools file's allowed_hosts")
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return  # a name: checked on the addresses it resolves to (GuardedResolver)
        if not self.allow_private and not public(str(literal)):
            raise Refused("error: private, loopback and link-local addresses are not allowed")

    def session(self) -> aiohttp.ClientSession:
        resolver = GuardedResolver(DefaultResolver(), self.allow_private)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))


class GuardedResolver(AbstractResolver):
    """Resolves names and drops the addresses a tool may not reach; none left: the connect fails."""

    def __init__(self, inner: AbstractResolver, allow_private: bool) -> None:
        self.inner = inner
        self.allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if self.allow_private:
            return found
        kept = [r for r in found if public(r["host"])]
        if not kept:
            raise OSError(f"{host} resolves only to private addresses")
        return kept

    async def close(self) -> None:
        await self.inner.close()


def literal_host(url: str) -> str | None:
    """The host of a tool's URL template, or None when a placeholder is part of it."""
    parts = urlsplit(url)
    return None if "{" in parts.netloc else (parts.hostname or "").lower()
