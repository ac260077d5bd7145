"""Workers: process from the store, in order per repository, retry what can be retried, never twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from bot.delivery import Delivery
from bot.metrics import Metrics
from bot.signals import Signal
from bot.store import Store
from tests.fixtures.webhooks import load_payload
from webhooks.routes import router
from webhooks.worker import DeliveryWorkers, backoff


def comment_delivery(n: int, repo: str) -> Delivery:
    payload = load_payload("issue_comment", "created.1")
    payload = {**payload, "repository": {**payload["repository"], "full_name": repo}, "comment": {**payload["comment"], "id": n}}
    return Delivery.from_payload("issue_comment", payload, delivery_id=f"d-{n}", body=json.dumps(payload).encode())


async def wait_empty(store: Store) -> None:
    for _ in range(500):
        if await store.deliveries.backlog() == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("backlog not drained")


async def test_workers_keep_each_repositorys_order(store: Store) -> None:
    seen: list[tuple[str, int]] = []

    async def handler(signals: Sequence[Signal]) -> None:
        for s in signals:
            await asyncio.sleep(0.001 * (s.comment_id % 3))  # uneven work, to tempt reordering
            seen.append((s.repository, s.comment_id))

    for n in range(30):
        await store.deliveries.accept(comment_delivery(n, f"octo/r{n % 3}"))
    workers = DeliveryWorkers(store, router, count=4, handlers=[handler], poll_seconds=0.05)
    await workers.start()
    try:
        await wait_empty(store)
    finally:
        await workers.stop()
    for repo in ("octo/r0", "octo/r1", "octo/r2"):
        ids = [n for r, n in seen if r == repo]
        assert ids == sorted(ids) and len(ids) == 10


async def test_transient_error_is_retried_later(store: Store) -> None:
    calls = 0

    async def flaky(signals: Sequence[Signal]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("GitHub went away")

    await store.deliveries.accept(comment_delivery(1, "octo/r"))
    workers = DeliveryWorkers(store, router, count=1, handlers=[flaky])
    assert await workers.drain() == 1
    stored = await store.deliveries.get("d-1")
    assert stored.status == "pending" and "GitHub went away" in stored.error
    assert backoff(1) == 2.0
    journal = await store.journal.entries()
    assert journal[-1].kind == "delivery.failed" and "will retry" in journal[-1].message


async def test_gives_up_after_max_attempts(store: Store) -> None:
    async def broken(signals: Sequence[Signal]) -> None:
        raise RuntimeError("always")

    await store.deliveries.accept(comment_delivery(1, "octo/r"))
    metrics = Metrics()
    workers = DeliveryWorkers(store, router, count=1, handlers=[broken], max_attempts=1, metrics=metrics)
    await workers.drain()
    assert (await store.deliveries.get("d-1")).status == "failed"
    assert metrics.deliveries.labels("issue_comment", "failed")._value.get() == 1


async def test_schema_mismatch_fails_at_once_with_a_readable_error(store: Store) -> None:
    payload = load_payload("issue_comment", "created.1")
    payload = {**payload, "comment": {"id": "not a number"}}
    body = json.dumps(payload).encode()
    await store.deliveries.accept(Delivery.from_payload("issue_comment", payload, delivery_id="bad", body=body))
    workers = DeliveryWorkers(store, router, count=1)
    await workers.drain()
    stored = await store.deliveries.get("bad")
    assert stored.status == "failed"
    assert "does not match GitHub's schema" in stored.error
    assert await store.deliveries.signals(delivery_id="bad") == []


async def test_signals_reach_handlers_and_store(store: Store) -> None:
    got: list[Signal] = []

    async def handler(signals: Sequence[Signal]) -> None:
        got.extend(signals)

    await store.deliveries.accept(comment_delivery(5, "octo/r"))
    await DeliveryWorkers(store, router, handlers=[handler]).drain()
    assert [s.kind for s in got] == ["comment"]
    assert await store.deliveries.signals(delivery_id="d-5") == got


async def test_rate_limited_delivery_waits_as_github_says(store: Store) -> None:
    from bot.github_retry import RateLimited

    async def limited(signals: Sequence[Signal]) -> None:
        raise RateLimited("secondary rate limit", retry_after=600, status=403)

    await store.deliveries.accept(comment_delivery(1, "octo/r"))
    await DeliveryWorkers(store, router, handlers=[limited]).drain()
    stored = await store.deliveries.get("d-1")
    assert stored.status == "pending"
    assert "retry in 600s" in (await store.journal.entries())[-1].message
