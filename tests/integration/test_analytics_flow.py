"""Analytics as a team lead reads them: customers talk to the real pipeline, the recorder keeps
the aggregates as turns commit, and the admin API reports containment, "not sure" answers, the
knowledge gaps, ROI and a CSV, filtered by channel and locale."""

from __future__ import annotations

import csv
import io

import aiohttp
import pytest
from parley.core.config.settings import Settings

TOKEN = "analytics-token"


@pytest.fixture
def parley_settings() -> Settings:
    return Settings(
        _env_file=None,
        store_url="memory://",
        admin_token=TOKEN,
        http={"host": "127.0.0.1", "port": 0},
        analytics={"human_cost": 5.0, "per_1k_tokens": 0.01},
    )


async def get(bot, path: str):
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with http.get(f"http://127.0.0.1:{bot.port}{path}") as resp:
            body = await resp.text()
            return resp.status, body


async def test_turns_become_a_report_with_gaps_roi_and_csv(parley_bot, customer):
    ann = await customer("web")
    await ann.say("How long does delivery take?")
    await ann.say("Do you sell unicorn saddles?")  # not in the demo knowledge: "not sure"
    await ann.say("and saddles for unicorns, do you sell those?")  # the same conversation, same day
    bob = await customer("telegram", locale="es")
    await bob.say("¿Venden sillas para unicornios?")
    carl = await customer("web")
    await carl.say("do you sell saddles for a unicorn")
    await parley_bot.analytics.flush()

    status, raw = await get(parley_bot, "/api/analytics")
    assert status == 200
    import json

    body = json.loads(raw)
    totals = body["totals"]
    assert totals["conversations"] == 3 and totals["contained"] == 3 and totals["containment"] == 1.0
    assert totals["answers"] == 5 and totals["not_sure"] == 4
    assert len(body["series"]) == 7 and body["series"][-1]["conversations"] == 3
    assert body["roi"] == {
        "won_value": 0.0,  # no lead won (leads and their outcome: test_lead_outcomes.py)
        "contained": 3,
        "cost_per_human_conversation": 5.0,
        "saved": 15.0,
        "llm_cost": 0.0,
        "net": 15.0,
        "currency": "USD",
    }

    web = json.loads((await get(parley_bot, "/api/analytics?channel=web&by=week"))[1])
    assert web["totals"]["conversations"] == 2 and web["totals"]["not_sure"] == 3
    spanish = json.loads((await get(parley_bot, "/api/analytics?locale=es"))[1])
    assert spanish["totals"]["conversations"] == 1

    gaps = json.loads((await get(parley_bot, "/api/analytics/gaps"))[1])["gaps"]
    top = gaps[0]
    assert top["count"] == 3 and top["locales"] == {"en": 3}
    assert "Do you sell unicorn saddles?" in top["examples"]

    status, text = await get(parley_bot, "/api/analytics.csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert status == 200 and len(rows) == 7 and rows[-1]["conversations"] == "3"


@pytest.mark.parametrize(
    "query",
    ["from=yesterday", "from=2026-03-10&to=2026-03-01", "from=2020-01-01&to=2026-01-01", "by=month", "channel=a|b"],
)
async def test_bad_queries_get_400_with_what_to_fix(parley_harness, parley_bot, query):
    status, body = await get(parley_bot, f"/api/analytics?{query}")
    assert status == 400 and "error" in body
