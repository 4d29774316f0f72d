"""A lead's budget and timeline read from free answers in every shipped language, the score from
the persona's rules, and the typed rules refused at load with a clear error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from parley.core.config.settings import LeadRoute, shipped
from parley.core.handoff.budget import read_budget
from parley.core.handoff.routing import LeadRouting, covers
from parley.core.handoff.score import score
from parley.core.handoff.timeline import read_timeline
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import LeadScoring, PersonaCatalog
from parley.core.kernel.clock import ManualClock
from parley.core.storage.memory import MemoryStore
from pydantic import ValidationError

PACKS = LocaleCatalog.load(shipped("locales"))
TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(
    ("code", "answer", "low", "high", "currency"),
    [
        ("en", "around $5k", 5000, 5000, "USD"),
        ("en", "$5,000-10,000", 5000, 10000, "USD"),
        ("en", "about 3000 dollars", 3000, 3000, "USD"),
        ("es", "entre 5 y 10 mil euros", 5000, 10000, "EUR"),
        ("fr", "environ 8 000 €", 8000, 8000, "EUR"),
        ("de", "5.000 €", 5000, 5000, "EUR"),
        ("de", "etwa 2,5 Mio. Euro", 2_500_000, 2_500_000, "EUR"),
        ("pt-BR", "uns 50 mil reais", 50000, 50000, "BRL"),
        ("pt-BR", "R$ 20.000", 20000, 20000, "BRL"),
        ("pt-BR", "$ 3.000", 3000, 3000, "BRL"),  # "$" in Brazil is the real
        ("ja", "50万円くらい", 500000, 500000, "JPY"),
        ("zh-CN", "大概5万元", 50000, 50000, "CNY"),
        ("zh-CN", "¥30000", 30000, 30000, "CNY"),  # "¥" in China is the yuan
        ("ar", "٥٠٠٠ ريال", 5000, 5000, "SAR"),  # Arabic-Indic digits
        ("ar", "حوالي 10 آلاف دولار", 10000, 10000, "USD"),
    ],
)
def test_budgets_in_every_language(code, answer, low, high, currency):
    budget = read_budget(answer, PACKS.get(code))
    assert budget is not None
    assert (budget.low, budget.high, budget.currency, budget.assumed) == (Decimal(low), Decimal(high), currency, False)


def test_a_budget_without_a_currency_assumes_the_packs_and_says_so():
    budget = read_budget("around 5k", PACKS.get("de"))
    assert budget is not None and budget.currency == "EUR" and budget.assumed
    assert budget.text() == "5,000 EUR (currency assumed)"
    assert read_budget("not sure yet", PACKS.get("en")) is None
    assert read_budget("5 miles", PACKS.get("en")).amount == 5  # "m" is a million only on its own


@pytest.mark.parametrize(
    ("code", "answer", "by", "label"),
    [
        ("en", "asap please", "2026-12-02", "asap"),
        ("en", "in 2 weeks", "2026-12-16", "in 2 weeks"),
        ("en", "next month", "2027-01-31", "next month"),
        ("en", "Q3", "2027-09-30", "Q3 2027"),  # Q3 2026 is past: next year's
        ("en", "by March", "2027-03-31", "March"),
        ("en", "03/15/2027", "2027-03-15", "2027-03-15"),  # en-US: month first
        ("es", "en 3 meses", "2027-03-05", "in 3 months"),
        ("es", "para el mes que viene", "2027-01-31", "next month"),
        ("fr", "dans 2 semaines", "2026-12-16", "in 2 weeks"),
        ("fr", "15/03/2027", "2027-03-15", "2027-03-15"),  # day first
        ("de", "bis nächsten Monat", "2027-01-31", "next month"),
        ("de", "Ende des Jahres", "2026-12-31", "this year"),
        ("pt-BR", "em 10 dias", "2026-12-12", "in 10 days"),
        ("ja", "来月までに", "2027-01-31", "next month"),
        ("ja", "2週間以内", "2026-12-16", "in 2 weeks"),
        ("zh-CN", "两周内", "2026-12-16", "in 2 weeks"),
        ("zh-CN", "第三季度", "2027-09-30", "Q3 2027"),
        ("ar", "في أقرب وقت", "2026-12-02", "asap"),
        ("ar", "خلال أسبوعين", "2026-12-16", "within 14 days"),
        ("ar", "مارس", "2027-03-31", "March"),
    ],
)
def test_timelines_in_every_language(code, answer, by, label):
    timeline = read_timeline(answer, PACKS.get(code), TODAY)
    assert timeline is not None
    assert (timeline.by.isoformat(), timeline.label) == (by, label)


def test_a_timeline_that_names_no_time_is_left_as_said():
    assert read_timeline("no rush", PACKS.get("en"), TODAY) is None
    assert read_timeline("2020-01-01", PACKS.get("en"), TODAY) is None  # the past is no deadline


def test_the_sales_persona_scores_a_lead_with_its_reasons():
    rules = PersonaCatalog.load(shipped("personas"), "demo").get("sales").scoring
    assert rules is not None
    lead = {"contact": "ana@hotel.example", "company": "Hotel Sol", "name": "Ana"}
    es = PACKS.get("es")
    hot = score(lead, read_budget("10 mil euros", es), read_timeline("la semana que viene", es, TODAY), rules, TODAY)
    assert hot.points == 20 + 10 + 5 + 25 + 30 and hot.hot
    assert "budget 10,000 EUR +25" in hot.why and "wanted next week +30" in hot.why
    cold = score({"name": "Ana"}, read_budget("50 USD", es), None, rules, TODAY)
    assert (cold.points, cold.hot) == (5, False)  # under every USD band
    other = score({}, read_budget("CHF 900", es), None, rules, TODAY)
    assert other.points == 5  # "*": any other currency


def test_scoring_rules_are_checked_at_load():
    with pytest.raises(ValidationError, match="ISO 4217"):
        LeadScoring(budget={"euros": [{"at_least": 1, "points": 1}]})
    with pytest.raises(ValidationError, match="lowest at_least"):
        LeadScoring(budget={"EUR": [{"at_least": 9, "points": 1}, {"at_least": 1, "points": 2}]})
    with pytest.raises(ValidationError, match="fewest within_days"):
        LeadScoring(timeline=[{"within_days": 30, "points": 1}, {"within_days": 7, "points": 2}])
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        LeadScoring(contact=500)


def test_lead_routes_are_checked_at_load():
    with pytest.raises(ValidationError, match="either a Slack user group"):
        LeadRoute(locales=["es"])
    with pytest.raises(ValidationError, match="starts with S"):
        LeadRoute(group="sales")
    with pytest.raises(ValidationError, match="starts with U or W"):
        LeadRoute(users=["ana"])
    with pytest.raises(ValidationError, match="two-letter ISO 3166"):
        LeadRoute(countries=["Spain"], users=["U1AB"])
    assert LeadRoute(countries=["de"], users=["U1AB"]).countries == ["DE"]


def test_territories():
    es = LeadRoute(locales=["es", "pt"], users=["U1AB"])
    assert covers(es, "es", "") and covers(es, "pt-BR", "") and not covers(es, "en", "")
    de = LeadRoute(countries=["DE", "AT"], users=["U1AB"])
    assert covers(de, "en", "at") and not covers(de, "de", "")
    assert covers(LeadRoute(users=["U1AB"]), "ja", "")  # no territory: a catch-all


async def test_round_robin_shares_the_turn_through_the_store_and_skips_an_empty_group():
    store = MemoryStore(clock=ManualClock())
    asked: list[str] = []

    async def roster(group: str) -> list[str]:
        asked.append(group)
        if group == "S0DOWN":
            raise OSError("slack unreachable")
        return {"S0ES": ["UB", "UA"], "S0EMPTY": []}[group]

    routes = [
        LeadRoute(locales=["fr"], group="S0DOWN"),
        LeadRoute(locales=["es"], group="S0EMPTY"),
        LeadRoute(locales=["es"], group="S0ES"),
        LeadRoute(users=["UZ1"]),
    ]
    one, two = LeadRouting(routes, store, roster), LeadRouting(routes, store, roster)  # two processes
    picked = [await r.route(f"c{n}", "es") for n, r in enumerate((one, two, one))]
    assert [p.user for p in picked] == ["UA", "UB", "UA"]  # sorted members, in turn
    assert picked[0].why == "locale es, group S0ES"
    french = await one.route("c9", "fr")  # its group is unreachable: the catch-all takes it
    assert french is not None and french.user == "UZ1" and french.why == "round robin"
    assert await LeadRouting(routes[:2], store, roster).route("c10", "es") is None
