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


def rate(path: str, bench: str, baselines: tuple[tuple[str, str], ...], figure: str = "parley", **least: float) -> Row:
    """A throughput row: Parley's rate beside its baselines (label, figure name), and at least
    ``least[figure name]`` times each baseline named there (a baseline not named is shown only)."""
    targets = tuple(Ratio(key, label, at_least=least[key]) for label, key in baselines if key in least)
    return Row(path, bench, figure, "/s", baselines, targets)


ROWS: list[Row] = [
    rate(
        "Telegram webhook -> sendMessage, SQLite",
        "telegram",
        (("bare", "bare"), ("aiogram alone", "aiogram")),
        bare=0.5,
    ),
    rate("Slack Events API, SQLite", "slack", (("bare", "bare"), ("bolt alone", "bolt")), bare=0.5, bolt=2.0),
    rate("Twilio SMS replies, SQLite", "twilio", (("bare", "bare"),), bare=0.5),
    rate("Discord events, SQLite (global limit lifted)", "discord", (("bare discord.py", "bare"),), bare=0.9),
    rate("Web chat turns, SQLite", "webchat", (("bare websocket", "bare"),), bare=0.3),
    rate("Redis store, 1 process", "scale", (("1 process SQLite", "sqlite"),), "redis_1", sqlite=0.8),
    rate("Redis store, 2 processes", "scale", (("1 process SQLite", "sqlite"),), "redis_2"),
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
