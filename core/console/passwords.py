"""Password hashing with Argon2id (argon2-cffi), off the event loop: a hash takes tens of
milliseconds and 64 MiB by design (RFC 9106's second recommended profile, argon2-cffi's default)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing is costly on purpose: a megabyte "password" must not be


class PasswordError(ValueError):
    pass


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"a password has at most {MAX_LENGTH} characters")


class Passwords:
    """``hasher`` is argon2-cffi's (Argon2id); tests pass a cheap one."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        check_strength(password)
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``. With no stored hash (an unknown user) a
        dummy hash is checked anyway, so the time taken does not tell who exists."""
        if len(password) > MAX_LENGTH:
            return False
        if stored is None:
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(self.hasher.hash, "no such user")
            await self._check(self._dummy, password)
            return False
        return await self._check(stored, password)

    async def _check(self, stored: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self.hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """After the parameters were raised: rehash at the next successful login."""
        return self.hasher.check_needs_rehash(stored)
