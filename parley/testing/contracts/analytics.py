"""The contract every ``AnalyticsStore`` keeps: counters add up (sum and count), reads return one
combination over a day range in day order, and unanswered questions add up across days.

Run it against your own by subclassing ``AnalyticsStoreContract`` and providing an
``analytics_store`` fixture (an opened store, closed after the test).
"""

from __future__ import annotations

from parley.core.analytics.store import ALL, Cell, Question, Row


def cell(day: str, metric: str = "conversations", channel: str = "web", detail: str = "") -> Cell:
    return Cell(day, channel, "en", ALL, metric, detail)


class AnalyticsStoreContract:
    async def test_counters_add_up_sum_and_count(self, analytics_store):
        await analytics_store.add({cell("2026-03-01"): (1.0, 1), cell("2026-03-01", "csat"): (9.0, 2)})
        await analytics_store.add({cell("2026-03-01"): (2.0, 2), cell("2026-03-01", "csat"): (4.0, 1)})
        rows = await analytics_store.rows("2026-03-01", "2026-03-01", "web", "en", ALL)
        assert rows == [Row("2026-03-01", "conversations", "", 3.0, 3), Row("2026-03-01", "csat", "", 13.0, 3)]

    async def test_rows_are_one_combination_over_a_day_range_in_day_order(self, analytics_store):
        await analytics_store.add(
            {
                cell("2026-03-03"): (5.0, 5),
                cell("2026-02-28"): (1.0, 1),
                cell("2026-03-01"): (2.0, 2),
                cell("2026-03-05"): (7.0, 7),  # after the range
                cell("2026-03-01", channel="sms"): (9.0, 9),  # another combination
                cell("2026-03-01", "leads", detail="ads"): (4.0, 4),
            }
        )
        rows = await analytics_store.rows("2026-02-28", "2026-03-03", "web", "en", ALL)
        assert [(r.day, r.metric, r.detail, r.value) for r in rows] == [
            ("2026-02-28", "conversations", "", 1.0),
            ("2026-03-01", "conversations", "", 2.0),
            ("2026-03-01", "leads", "ads", 4.0),
            ("2026-03-03", "conversations", "", 5.0),
        ]
        assert await analytics_store.rows("2026-03-01", "2026-03-01", "web", "fr", ALL) == []
        assert await analytics_store.add({}) is None

    async def test_unanswered_questions_add_up_across_days_most_asked_first(self, analytics_store):
        await analytics_store.add_questions("2026-03-01", {("en", "do you ship to mars"): 2, ("es", "¿envíos?"): 1})
        await analytics_store.add_questions("2026-03-02", {("en", "do you ship to mars"): 1, ("en", "gift wrap"): 3})
        await analytics_store.add_questions("2026-03-09", {("en", "later"): 9})
        asked = await analytics_store.questions("2026-03-01", "2026-03-02", 10)
        assert asked == [
            Question("do you ship to mars", "en", 3),
            Question("gift wrap", "en", 3),
            Question("¿envíos?", "es", 1),
        ]
        assert len(await analytics_store.questions("2026-03-01", "2026-03-02", 1)) == 1
        await analytics_store.add_questions("2026-03-01", {})
