"""Metrics render in Prometheus' text format, one registry per app."""

from __future__ import annotations

from bot.metrics import Metrics


def test_two_apps_do_not_share_counters() -> None:
    a, b = Metrics(), Metrics()
    a.deliveries.labels("push", "accepted").inc()
    a.processing.labels("push").observe(0.02)
    a.backlog.set(3)
    page = a.render().decode()
    assert 'evolve_deliveries_total{event="push",outcome="accepted"} 1.0' in page
    assert 'evolve_delivery_processing_seconds_bucket{event="push",le="0.025"} 1.0' in page
    assert "evolve_delivery_backlog 3.0" in page
    assert "push" not in b.render().decode()
