"""A seeded generator of malformed payloads: valid platform payloads, mutated the ways attackers
and broken clients mutate them (wrong types, huge or odd numbers, lone surrogates, deep nesting,
missing and extra keys, cut or corrupted bytes, not JSON at all). Same seed, same payloads."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

STRINGS = [
    "",
    "\ud800",
    "a\udfffb",
    "\x00",
    "💥" * 50,
    "../../etc/passwd",
    "{0}{name.__class__}",
    "<script>alert(1)</script>",
    "x" * 70_000,
    "-1001234567890",
    "١٢٣",
    "\u202eevil",
    "sk-live-4eC39HqLyjWDarjtT1zdp7dc",
    " ",
    "true",
]
NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, 1e20, -1e20, 1e308, 0.5, -0.0, True, False]


class Mutator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def value(self, depth: int = 0) -> Any:
        kind = self.rng.randrange(8)
        if kind == 0:
            return self.rng.choice(STRINGS)
        if kind == 1:
            return self.rng.choice(NUMBERS)
        if kind == 2:
            return None
        if kind == 3 and depth < 3:
            return [self.value(depth + 1) for _ in range(self.rng.randrange(4))]
        if kind == 4 and depth < 3:
            return {self.rng.choice(STRINGS)[:20] or "k": self.value(depth + 1) for _ in range(self.rng.randrange(4))}
        if kind == 5:
            return self.nested(self.rng.choice([10, 60, 200]))
        if kind == 6:
            return "".join(chr(self.rng.randrange(0x20, 0x3000)) for _ in range(self.rng.randrange(1, 40)))
        return self.rng.choice(STRINGS + NUMBERS)  # type: ignore[operator]

    def nested(self, depth: int) -> Any:
        value: Any = "bottom"
        for n in range(depth):
            value = [value] if n % 2 else {"k": value}
        return value

    def _paths(self, doc: Any, prefix: tuple = ()) -> list[tuple]:
        paths = [prefix]
        if isinstance(doc, dict):
            for key, child in doc.items():
                paths += self._paths(child, (*prefix, key))
        elif isinstance(doc, list):
            for i, child in enumerate(doc):
                paths += self._paths(child, (*prefix, i))
        return paths

    def mutate(self, doc: Any) -> Any:
        """A few structural changes to a copy of ``doc``."""
        doc = copy.deepcopy(doc)
        for _ in range(self.rng.randrange(1, 4)):
            paths = self._paths(doc)
            path = self.rng.choice(paths)
            if not path:
                doc = self.value() if self.rng.random() < 0.1 else doc
                continue
            parent = doc
            for key in path[:-1]:
                parent = parent[key]
            last = path[-1]
            action = self.rng.randrange(3)
            if action == 0:
                parent[last] = self.value()
            elif action == 1 and isinstance(parent, dict):
                del parent[last]
            elif isinstance(parent, dict):
                parent[self.rng.choice(STRINGS)[:30] or "extra"] = self.value()
            else:
                parent[last] = self.value()
        return doc

    def corrupt(self, raw: bytes) -> bytes:
        """Byte-level damage: cut, invalid UTF-8, random bytes, doubled."""
        kind = self.rng.randrange(5)
        if kind == 0 and raw:
            return raw[: self.rng.randrange(len(raw))]
        if kind == 1:
            at = self.rng.randrange(len(raw) + 1)
            return (
                raw[:at] + self.rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xf0\x28\x8c"]) + raw[at:]
            )
        if kind == 2:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 200)))
        if kind == 3:
            return raw + raw
        return b"[" * self.rng.choice([100, 5_000, 100_000])

    def json_payload(self, seeds: list[Any]) -> bytes:
        """Mostly mutated seeds (so the payload reaches deep into the parser), some corrupted bytes."""
        roll = self.rng.random()
        doc = self.mutate(self.rng.choice(seeds))
        raw = json.dumps(doc).encode()  # ensure_ascii: a lone surrogate goes out as "\ud800"
        if roll < 0.75:
            return raw
        if roll < 0.95:
            return self.corrupt(raw)
        return json.dumps(self.value()).encode()

    def form(self, seed: dict[str, str]) -> dict[str, str]:
        """Form fields changed, dropped or added (text only: forms carry no surrogates)."""
        form = dict(seed)
        for _ in range(self.rng.randrange(1, 4)):
            key = self.rng.choice([*form, "Latitude", "NumMedia", "MessageType", "ReferralNumMedia", "Extra"])
            roll = self.rng.random()
            if roll < 0.2:
                form.pop(key, None)
            else:
                value = self.value()
                form[key] = (
                    (value if isinstance(value, str) else json.dumps(value))
                    .encode("utf-8", "replace")
                    .decode("utf-8")[:2000]
                )
        return form
