"""The analytics store beside the conversation store: the same SQLite file, the same Redis, or memory."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from parley.core.analytics.store import AnalyticsStore
from parley.core.storage import REDIS_SCHEMES
from parley.core.storage.store import Store


def open_analytics(url: str, store: Store) -> AnalyticsStore:
    scheme = urlparse(url).scheme
    if scheme in REDIS_SCHEMES:
        from parley.core.analytics.redis import RedisAnalyticsStore

        return RedisAnalyticsStore(url)
    path = getattr(store, "path", None)
    if scheme == "sqlite" and isinstance(path, Path):
        from parley.core.analytics.sqlite import SQLiteAnalyticsStore
        from parley.core.storage.sqlite import SQLiteStore

        return SQLiteAnalyticsStore(path, share=store if isinstance(store, SQLiteStore) else None)
    from parley.core.analytics.memory import MemoryAnalyticsStore

    return MemoryAnalyticsStore()
