"""Prometheus metrics: deliveries by event and outcome, processing latency, backlog."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """One registry per app, so several apps in one process (tests) don't collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "evolve_deliveries",
            "Webhook deliveries by event and outcome (accepted, duplicate, ignored, ping, "
            "rejected, processed, failed, retried).",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.processing = Histogram(
            "evolve_delivery_processing_seconds",
            "Time from a worker claiming a delivery to its signals being stored.",
            ["event"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.backlog = Gauge(
            "evolve_delivery_backlog",
            "Deliveries accepted and not yet processed (read from the store at scrape time).",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
