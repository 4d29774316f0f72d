"""deploy/: the Grafana dashboard parses, the alert rules parse, and every metric either names
is one a running Parley serves on /metrics (an LLM configured, so its series exist too)."""

from __future__ import annotations

import json
import re

import aiohttp
import yaml

from parley.app import Bot
from tests.paths import ROOT

NAME = re.compile(r"\bparley_[a-z_]+")
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")


def named(expr: str) -> set[str]:
    out = set()
    for name in NAME.findall(expr):
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name = name.removesuffix(suffix)
                break
        out.add(name)
    return out


def dashboard_exprs() -> list[str]:
    doc = json.loads((ROOT / "deploy/grafana/parley-dashboard.json").read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel["targets"]]


def alert_exprs() -> list[str]:
    doc = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    rules = [rule for group in doc["groups"] for rule in group["rules"]]
    assert all(rule["alert"] and rule["expr"] and rule["labels"]["severity"] for rule in rules)
    return [str(rule["expr"]) for rule in rules]


async def test_every_metric_the_dashboard_and_alerts_name_is_served(make_settings):
    exprs = dashboard_exprs() + alert_exprs()
    wanted = set().union(*(named(e) for e in exprs))
    assert {"parley_store_ready", "parley_outbox_oldest_due_seconds", "parley_llm_fallbacks"} <= wanted
    settings = make_settings(llm={"api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1"})
    async with Bot(settings) as bot:
        await bot.ops.sample()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bot.port}/metrics") as resp:
                served = await resp.text()
    types = named(" ".join(re.findall(r"^# TYPE (parley_[a-z_]+) ", served, re.M)))
    assert not wanted - types, f"named but not served: {sorted(wanted - types)}"
    assert 'parley_schedule_sends{state="due_now"}' in served
