"""Prometheus metrics of the message path, served at /metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from outbox.messages import SendOutcome, SendResult
from outbox.queue import Delivery

# Webhook ACKs are milliseconds; end-to-end includes the engine turn and the platform's API.
_ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_E2E_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


class Metrics:
    """Every metric the gateway exports, in a registry of its own (one per app, so tests can
    build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "supportbot_inbound_messages",
            "Customer messages received, by platform; duplicates are redeliveries.",
            ["platform", "result"],
            registry=self.registry,
        )
        self.webhook_ack = Histogram(
            "supportbot_webhook_ack_seconds",
            "Time from a webhook request arriving to its answer.",
            ["platform", "status"],
            buckets=_ACK_BUCKETS,
            registry=self.registry,
        )
        self.outbound = Counter(
            "supportbot_outbound_messages",
            "Reply deliveries by outcome: sent, retry (will be tried again), permanent (failed).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.end_to_end = Histogram(
            "supportbot_end_to_end_seconds",
            "Time from a customer message arriving to the reply being accepted by the platform.",
            ["platform"],
            buckets=_E2E_BUCKETS,
            registry=self.registry,
        )

    def count_send(self, delivery: Delivery, result: SendResult) -> None:
        """One send's outcome; a delivered reply to a customer message also gives its latency."""
        platform = delivery.message.platform
        self.outbound.labels(platform, result.outcome.value).inc()
        if result.outcome is SendOutcome.SENT and delivery.received_at is not None:
            elapsed = (datetime.now(UTC) - delivery.received_at).total_seconds()
            self.end_to_end.labels(platform).observe(max(0.0, elapsed))

    def watch_inbox_lag(self, oldest_pending: Callable[[], datetime | None]) -> None:
        """Export the age of the oldest unprocessed inbox message, read at each scrape."""
        self.registry.register(_InboxLag(oldest_pending))


class _InboxLag(Collector):
    def __init__(self, oldest_pending: Callable[[], datetime | None]) -> None:
        self._oldest_pending = oldest_pending

    def collect(self) -> Iterator[GaugeMetricFamily]:
        oldest = self._oldest_pending()
        lag = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "supportbot_inbox_lag_seconds",
            "Age of the oldest customer message not yet handled (0 when none waits).",
            value=max(0.0, lag),
        )
