"""Prometheus metrics for the LLM brain, in the app's registry (served at /metrics).

Fallbacks are the ones to alert on: an endpoint that is down degrades answers quietly (the
retrieval brain answers), so only this counter tells an operator.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class LLMMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = registry or CollectorRegistry()
        self.answers = Counter("parley_llm_answers", "LLM brain answers by intent", ["intent"], registry=r)
        self.fallbacks = Counter(
            "parley_llm_fallbacks", "Answers the LLM did not give, by reason", ["reason"], registry=r
        )
        self.tokens = Counter("parley_llm_tokens", "Tokens used (reported, else estimated)", registry=r)
        self.tools = Counter("parley_llm_tool_calls", "Tool calls by tool and outcome", ["tool", "outcome"], registry=r)
        self.circuit = Gauge(
            "parley_llm_circuit_state",
            "The model's circuit breaker: 0 closed, 1 half-open (probing), 2 open",
            registry=r,
        )
        self.circuit_opened = Counter("parley_llm_circuit_opened", "Times the model's circuit opened", registry=r)
