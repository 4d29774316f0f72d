"""Prometheus metrics, in a registry of our own (so tests and several apps don't collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_in = Counter("parley_messages_in", "Inbound events accepted", ["channel"], registry=r)
        self.duplicates = Counter("parley_duplicates", "Inbound events dropped as duplicates", ["channel"], registry=r)
        self.messages_out = Counter("parley_messages_out", "Messages sent to a platform", ["channel"], registry=r)
        self.turns = Histogram(
            "parley_turn_seconds",
            "Time from accepting an event to its turn committing",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.errors = Counter("parley_errors", "Errors by kind", ["channel", "kind"], registry=r)
        self.rejected = Counter("parley_rejected", "Inbound requests refused (4xx)", ["channel", "reason"], registry=r)
        self.retries = Counter("parley_outbox_retries", "Outbox sends to retry", ["channel", "reason"], registry=r)
        self.failed = Counter("parley_outbox_failed", "Outbox sends given up", ["channel", "reason"], registry=r)
        self.handoffs = Counter("parley_handoffs", "Conversations handed to a human", ["channel", "reason"], registry=r)
        self.answers = Counter("parley_answers", "Brain answers by outcome", ["channel", "intent"], registry=r)
        minutes = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 480, 1440)
        self.time_to_claim = Histogram(
            "parley_handoff_claim_minutes", "Handoff opened -> claimed", buckets=minutes, registry=r
        )
        self.time_to_human = Histogram(
            "parley_handoff_first_reply_minutes", "Handoff opened -> first human reply", buckets=minutes, registry=r
        )
        self.csat = Histogram("parley_csat", "CSAT answers (1-5)", buckets=(1, 2, 3, 4, 5), registry=r)
        self.leads = Counter("parley_leads", "Qualified leads", ["channel", "source"], registry=r)
        self.retention_removed = Counter(
            "parley_retention_removed", "Records the retention job removed, by what", ["what"], registry=r
        )
        # The window in which a crash re-sends a message on a platform without an idempotency
        # key: from the platform accepting it to the store recording it as sent.
        self.unrecorded = Histogram(
            "parley_outbox_unrecorded_seconds",
            "Time from a platform accepting a message to the store recording it as sent",
            ["channel"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30),
            registry=r,
        )
        self.unsettled = Gauge("parley_outbox_unsettled", "Send outcomes the store refused, kept to record", registry=r)
        self.ready = Gauge("parley_store_ready", "1 when the store answers", registry=r)
        # Operations (core/http/ops.py samples the gauges; the dispatcher counts sends). Label
        # values are bounded: statuses, kinds and result heads, never ids.
        self.outbox_items = Gauge("parley_outbox_items", "Outbox items waiting, by status", ["status"], registry=r)
        self.outbox_oldest = Gauge(
            "parley_outbox_oldest_due_seconds", "How late the oldest pending outbox item is (0: none)", registry=r
        )
        self.schedule_sends = Gauge(
            "parley_schedule_sends", "Scheduled sends waiting (due_now, scheduled) or in flight", ["state"], registry=r
        )
        self.schedule_oldest = Gauge(
            "parley_schedule_oldest_due_seconds", "How late the oldest due scheduled send is (0: none)", registry=r
        )
        self.schedule_dispatched = Counter(
            "parley_schedule_dispatched", "Scheduled sends finished, by kind and result", ["kind", "result"], registry=r
        )
        self.schedule_lag = Histogram(
            "parley_schedule_lag_seconds",
            "Due time -> claimed by a dispatcher",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=r,
        )
        self.campaigns = Gauge("parley_campaigns", "Campaigns by status", ["status"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
