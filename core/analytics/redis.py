"""Analytics in Redis: one small hash per (day, combination), fields ``metric|detail`` holding
the sum and ``metric|detail|n`` the count, so a page reads one HGETALL per day in one pipeline
(a quarter: 90 small hashes). Unanswered questions: a sorted set per day, ``locale|text`` ->
times asked. Keys share the store's hash tag (one Redis Cluster slot) and live for ``keep`` days.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from parley.core.analytics.store import Cell, Question, Row
from parley.core.privacy.mentions import Mentions
from parley.core.storage.redis_client import AnyRedis, client_for, split_url
from parley.core.storage.redis_shared import Client, unavailable_on_errors

SEP = "|"  # channel, locale and persona names never hold it (checked at the recorder)


def days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


@unavailable_on_errors
class RedisAnalyticsStore(Client):
    WHAT = "analytics store"

    def __init__(self, url: str, namespace: str = "", keep_days: int = 800) -> None:
        self.url, named = split_url(url)
        self.prefix = "{" + (namespace or named) + "}:an:"
        self.keep = keep_days * 86400
        self.r: AnyRedis | None = None

    async def open(self) -> None:
        self.r = client_for(self.url, self.prefix)

    def _key(self, day: str, channel: str, locale: str, persona: str) -> str:
        return f"{self.prefix}{day}:{channel}{SEP}{locale}{SEP}{persona}"

    async def add(self, cells: dict[Cell, tuple[float, int]]) -> None:
        if not cells:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            touched = set()
            for c, (value, n) in cells.items():
                key = self._key(c.day, c.channel, c.locale, c.persona)
                field = f"{c.metric}{SEP}{c.detail}"
                pipe.hincrbyfloat(key, field, value)
                pipe.hincrby(key, f"{field}{SEP}n", n)
                touched.add(key)
            for key in touched:
                pipe.expire(key, self.keep)
            await pipe.execute()

    async def rows(self, first: str, last: str, channel: str, locale: str, persona: str) -> list[Row]:
        span = days(first, last)
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in span:
                pipe.hgetall(self._key(day, channel, locale, persona))
            found = await pipe.execute()
        out = []
        for day, fields in zip(span, found, strict=True):
            for field in sorted(fields):
                if field.count(SEP) != 1:
                    continue  # a count field: read beside its sum
                metric, _, detail = field.partition(SEP)
                out.append(Row(day, metric, detail, float(fields[field]), int(fields.get(f"{field}{SEP}n", 0))))
        return out

    async def add_questions(self, day: str, questions: dict[tuple[str, str], int]) -> None:
        if not questions:
            return
        key = f"{self.prefix}q:{day}"
        async with self.redis.pipeline(transaction=False) as pipe:
            for (locale, text), n in questions.items():
                pipe.zincrby(key, n, f"{locale}{SEP}{text}")
            pipe.expire(key, self.keep)
            await pipe.execute()

    async def questions(self, first: str, last: str, limit: int) -> list[Question]:
        span = days(first, last)
        async with self.redis.pipeline(transaction=False) as pipe:
            for day in span:
                # Each day's most asked only: the report shows what to write next, not a census.
                pipe.zrevrange(f"{self.prefix}q:{day}", 0, max(limit, 1000) - 1, withscores=True)
            found = await pipe.execute()
        total: Counter[tuple[str, str]] = Counter()
        for members in found:
            for member, score in members:
                locale, _, text = member.partition(SEP)
                total[(locale, text)] += int(score)
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [Question(text, locale, n) for (locale, text), n in ranked]

    async def forget_questions(self, mentions: Mentions) -> int:
        removed = 0
        match = self.prefix.replace("{", "[{]").replace("}", "[}]") + "q:*"
        async for key in self.redis.scan_iter(match=match, count=1000):
            gone = [m async for m, _ in self.redis.zscan_iter(key) if mentions.in_text(m.partition(SEP)[2])]
            removed += await self.redis.zrem(key, *gone) if gone else 0
        return removed
