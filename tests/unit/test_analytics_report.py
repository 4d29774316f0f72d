"""The report from aggregate rows (containment, averages, weeks, ROI), the knowledge-gap grouping
and the analytics middleware's once-a-day conversation marks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from parley.core.analytics.gaps import group
from parley.core.analytics.memory import MemoryAnalyticsStore
from parley.core.analytics.middleware import analytics
from parley.core.analytics.recorder import Recorder
from parley.core.analytics.report import Costs, Query, report
from parley.core.analytics.store import ALL, Question
from parley.core.brains.brain import Answer
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.turn import Turn

MON = 1_772_409_600.0  # 2026-03-02T00:00Z, a Monday


async def test_report_contains_averages_weeks_and_roi():
    store = MemoryAnalyticsStore()
    recorder = Recorder(store, ManualClock(MON))
    web = ("web", "en", "support")
    recorder.record(web, [Fact(Metric.CONVERSATIONS)] * 4 + [Fact(Metric.HANDED), Fact(Metric.HANDOFFS)], MON)
    recorder.record(web, [Fact(Metric.CLAIM_SECONDS, 60), Fact(Metric.CLAIM_SECONDS, 180)], MON)
    recorder.record(web, [Fact(Metric.CSAT, 5), Fact(Metric.CSAT, 4)], MON + 86400)
    recorder.record(
        ("sms", "es", "sales"), [Fact(Metric.CONVERSATIONS), Fact(Metric.LEADS, detail="ads")], MON + 7 * 86400
    )
    recorder.record(web, [Fact(Metric.LLM_TOKENS, 50_000), Fact(Metric.CONVERSIONS, 1250, "spring")], MON)
    await recorder.flush()
    q = Query(date(2026, 3, 2), date(2026, 3, 15), by="week")
    body = await report(store, q, Costs(human_cost=4.0, per_1k_tokens=0.01))
    first, second = body["series"]
    assert first["start"] == "2026-03-02" and second["start"] == "2026-03-09"
    assert first["conversations"] == 4 and first["contained"] == 3 and first["containment"] == 0.75
    assert first["claim_minutes"] == 2.0 and first["csat"] == 4.5 and first["csat_answers"] == 2
    assert second["conversations"] == 1 and second["leads"] == 1 and second["claim_minutes"] is None
    assert body["leads_by_source"] == {"ads": 1} and body["conversions_by_campaign"] == {"spring": 1}
    assert body["totals"]["conversion_value"] == 12.5 and body["totals"]["llm_cost"] == 0.5
    assert body["roi"]["saved"] == 16.0 and body["roi"]["net"] == 15.5
    sms = await report(store, Query(date(2026, 3, 2), date(2026, 3, 15), channel="sms"), Costs())
    assert sms["totals"]["conversations"] == 1 and len(sms["series"]) == 14
    both = await report(store, Query(date(2026, 3, 2), date(2026, 3, 15), channel="web", locale="en"), Costs())
    assert both["totals"]["conversations"] == 4


def test_gaps_group_similar_questions_with_counts_and_examples():
    asked = [
        Question("how much is shipping to canada", "en", 5),
        Question("shipping to canada cost?", "en", 2),
        Question("do you have gift cards", "en", 3),
        Question("gift card?", "fr", 1),
        Question("opening hours sunday", "en", 1),
    ]
    gaps = group(asked)
    assert [(g.question, g.count) for g in gaps] == [
        ("how much is shipping to canada", 7),
        ("do you have gift cards", 4),
        ("opening hours sunday", 1),
    ]
    assert gaps[1].locales == {"en": 3, "fr": 1} and gaps[0].examples[1] == "shipping to canada cost?"


async def test_a_failed_flush_keeps_its_counts_for_the_next():
    class Down(MemoryAnalyticsStore):
        fail = True

        async def add(self, cells):
            from parley.core.storage.store import StoreUnavailable

            if self.fail:
                raise StoreUnavailable("down")
            await super().add(cells)

    store = Down()
    recorder = Recorder(store, ManualClock(MON))
    recorder.record(("web", "en", "p"), [Fact(Metric.CONVERSATIONS)], MON)
    await recorder.flush()
    store.fail = False
    recorder.record(("web", "en", "p"), [Fact(Metric.CONVERSATIONS)], MON)
    await recorder.flush()
    rows = await store.rows("2026-03-02", "2026-03-02", ALL, ALL, ALL)
    assert [(r.metric, r.value) for r in rows] == [("conversations", 2.0)]


LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")


def turn_at(now: datetime, state: dict, text: str = "hi", **meta: str) -> Turn:
    address = Address(channel="web", chat="c1", user="u1")
    t = Turn(address, now, PERSONAS.get(), LOCALES.get("en"), state=state)
    t.inbound = Inbound(address=address, event_id=f"e{now.timestamp()}", text=text, meta=meta)
    return t


async def test_a_conversation_counts_once_a_day_and_once_handed():
    state: dict = {}

    async def hand_over(t: Turn) -> None:
        t.facts.append(Fact(Metric.HANDOFFS))

    async def nothing(t: Turn) -> None:
        pass

    morning = datetime(2026, 3, 2, 9, tzinfo=UTC)
    first = turn_at(morning, state)
    await analytics(first, nothing)
    second = turn_at(morning.replace(hour=10), first.state)
    await analytics(second, hand_over)
    third = turn_at(morning.replace(hour=11), second.state)
    await analytics(third, hand_over)  # a second handoff the same day: one handed conversation
    next_day = turn_at(morning.replace(day=3), third.state)
    await analytics(next_day, nothing)
    assert [f.metric for f in first.facts] == [Metric.CONVERSATIONS]
    assert [f.metric for f in second.facts] == [Metric.HANDOFFS, Metric.HANDED]
    assert [f.metric for f in third.facts] == [Metric.HANDOFFS]
    assert [f.metric for f in next_day.facts] == [Metric.CONVERSATIONS]


async def test_not_sure_questions_are_redacted_and_desk_turns_not_counted():
    async def unsure(t: Turn) -> None:
        t.answer = Answer("I don't know", intent="fallback")

    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    asked = turn_at(now, {}, text="my card is 4111 1111 1111 1111, mail me at ann@example.com")
    await analytics(asked, unsure)
    [question] = [f.detail for f in asked.facts if f.metric is Metric.NOT_SURE]
    assert "4111" not in question and "ann@example.com" not in question
    agent = turn_at(now, {}, desk_ref="handoff:abc")
    await analytics(agent, unsure)
    assert agent.facts == []
