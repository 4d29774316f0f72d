"""Store implementations, chosen by ``PARLEY_STORE_URL``'s scheme."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from parley.core.storage.store import Store

# redis+cluster:// and its kin open a Redis Cluster client (core/storage/redis_client.py).
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster", "valkey+cluster")
REDIS_SCHEMES = ("redis", "rediss", "valkey", *CLUSTER_SCHEMES)


class StoreURLError(ValueError):
    pass


def open_store(url: str, base: Path | None = None, clock=None, owner: str = "") -> Store:
    """Build (not yet open) the store a URL names. Imports lazily: Redis only when asked for.
    ``clock`` must be the app's clock: lock leases and TTLs are compared with it. ``owner``
    (core/kernel/liveness.py) is recorded on the locks and leases the store takes."""
    import time

    clock = clock or time.time
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        from parley.core.storage.memory import MemoryStore

        return MemoryStore(clock=clock, owner=owner)
    if parsed.scheme == "sqlite":
        from parley.core.storage.sqlite import SQLiteStore

        # sqlite:///data/parley.db is relative (like SQLAlchemy); sqlite:////abs/path is absolute.
        raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else parsed.path
        if not raw:
            raise StoreURLError("PARLEY_STORE_URL: sqlite URL needs a path, e.g. sqlite:///data/parley.db")
        path = Path(raw)
        if not path.is_absolute() and base is not None:
            path = base / path
        return SQLiteStore(path, clock=clock, owner=owner)
    if parsed.scheme in REDIS_SCHEMES:
        try:
            from parley.core.storage.redis import RedisStore
        except ImportError as exc:  # the Redis store lands with its own issue
            raise StoreURLError(f"PARLEY_STORE_URL: redis store unavailable ({exc})") from None
        return RedisStore(url, owner=owner)
    raise StoreURLError(
        f"PARLEY_STORE_URL: unsupported scheme {parsed.scheme!r} (use sqlite:///, redis://, redis+cluster://, memory://)"
    )
