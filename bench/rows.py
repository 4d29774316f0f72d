"""The rows of the one table (issue 22's goals): which benchmark reports each figure, its
baselines and its target. A benchmark's figure names are its own (``bench.common.emit``)."""

from __future__ import annotations

from bench.table import Bound, Ratio, Row

NO_RATE_MODE = "this benchmark has no rate mode yet (p99 at half the maximum load)"
CHANNELS = (
    ("Telegram", "telegram", "updates/s"),
    ("Slack", "slack", "events/s"),
    ("Twilio SMS", "twilio", "replies/s"),
    ("Discord", "discord", "events/s"),
    ("Web chat", "webchat", "turns/s"),
)


def latency(path: str, bench: str) -> Row:
    return Row(
        f"{path} latency p99 at half max load",
        bench,
        "parley_p99_half_ms",
        "ms",
        (("bare", "bare_p99_half_ms"),),
        (Ratio("bare_p99_half_ms", "bare", at_most=2.0),),
        missing=NO_RATE_MODE,
    )


def memory(what: str, store: str) -> Row:
    """RSS growth of the Parley process per 10,000 idle conversations or 100,000 known people,
    measured past a warm-up (bench/memory.py); flat means no per-person structure in memory."""
    per = "10,000 idle conversations" if what == "conversations" else "100,000 known people"
    key = store.lower()
    return Row(
        f"RSS growth per {per}, {store}",
        "memory",
        f"{key}_{what}_mb",
        "MB",
        (("process RSS with nothing created", f"{key}_base_mb"),),
        (Bound(at_most=2),),
        ratio=False,
    )


ROWS: list[Row] = [
    Row(
        "Telegram webhook -> sendMessage, SQLite",
        "telegram",
        "parley",
        "/s",
        (("bare", "bare"), ("aiogram alone", "aiogram")),
        (Ratio("bare", "bare", at_least=0.5),),
    ),
    Row(
        "Slack Events API, SQLite",
        "slack",
        "parley",
        "/s",
        (("bare", "bare"), ("bolt alone", "bolt")),
        (Ratio("bare", "bare", at_least=0.5), Ratio("bolt", "bolt alone", at_least=2.0)),
    ),
    Row(
        "Twilio SMS replies, SQLite",
        "twilio",
        "parley",
        "/s",
        (("bare", "bare"),),
        (Ratio("bare", "bare", at_least=0.5),),
    ),
    Row(
        "Discord events, SQLite (global limit lifted)",
        "discord",
        "parley",
        "/s",
        (("bare discord.py", "bare"),),
        (Ratio("bare", "bare discord.py", at_least=0.9),),
    ),
    Row(
        "Web chat turns, SQLite",
        "webchat",
        "parley",
        "/s",
        (("bare websocket", "bare"),),
        (Ratio("bare", "bare websocket", at_least=0.3),),
    ),
    Row(
        "Redis store, 1 process",
        "scale",
        "redis_1",
        "/s",
        (("1 process SQLite", "sqlite"),),
        (Ratio("sqlite", "1 process SQLite", at_least=0.8),),
    ),
    Row("Redis store, 2 processes", "scale", "redis_2", "/s", (("1 process SQLite", "sqlite"),)),
    Row("Redis commands per turn", "scale", "commands_per_turn", "", (), (Bound(at_most=12),)),
    Row("Redis round trips per turn", "scale", "round_trips_per_turn", "", (), (Bound(at_most=3),)),
    Row(
        "Redis server CPU per turn",
        "scale",
        "redis_cpu_us_per_turn",
        "us",
        missing="bench/scale.py does not measure Redis CPU yet",
    ),
    Row(
        "Fleet ceiling of one Redis primary",
        "scale",
        "fleet_ceiling_turns_per_s",
        "/s",
        (),
        (Bound(at_least=20_000),),
        missing="bench/scale.py does not measure Redis CPU yet",
    ),
    *(latency(path, bench) for path, bench, _ in CHANNELS),
    *(memory(what, store) for what in ("conversations", "people") for store in ("SQLite", "Redis")),
    Row(
        "Cold start to /readyz, no channels",
        "startup",
        "parley_ms",
        "ms",
        (("bare aiohttp app", "bare_ms"),),
        (Bound(at_most=1500),),
    ),
    Row(
        "Cold start, CPU time until ready (less blurred by a busy machine)",
        "startup",
        "parley_cpu_ms",
        "ms",
        (("bare aiohttp app", "bare_cpu_ms"),),
    ),
    Row(
        "Voice: Parley's overhead over a bare relay, p99",
        "voice",
        "overhead_p99_ms",
        "ms",
        (("bare relay + LLM p99", "bare_p99_ms"),),
        (Bound(at_most=20),),
        ratio=False,
    ),
]
