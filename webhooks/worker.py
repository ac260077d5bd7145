"""Background workers: take accepted deliveries from the store, turn them into signals, hand them on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from githubkit.exception import WebhookTypeNotFound
from pydantic import ValidationError

from bot import logs
from bot.delivery import PayloadError
from bot.metrics import Metrics
from bot.signals import Signal
from bot.store import Store
from bot.store.deliveries import FAILED, StoredDelivery

from .router import Router

log = logging.getLogger("evolve.worker")

SignalHandler = Callable[[Sequence[Signal]], Awaitable[None]]

# Errors that no retry can fix: the payload itself does not match GitHub's schema.
PERMANENT = (ValidationError, WebhookTypeNotFound, PayloadError)

MAX_BACKOFF_SECONDS = 300.0


def backoff(attempt: int) -> float:
    """Seconds before the next attempt: 2, 4, 8, … capped at five minutes."""
    return min(2.0**attempt, MAX_BACKOFF_SECONDS)


class DeliveryWorkers:
    """N tasks that claim deliveries (one repository's in order) until stopped.

    Processing is at-least-once: a delivery whose worker dies is claimed again when its lease
    runs out, and the store keeps its signals once per delivery id, so a repeat is harmless.
    """

    def __init__(
        self,
        store: Store,
        router: Router,
        *,
        count: int = 4,
        metrics: Metrics | None = None,
        handlers: Sequence[SignalHandler] = (),
        max_attempts: int = 5,
        poll_seconds: float = 1.0,
        lease_seconds: float = 120.0,
    ) -> None:
        self.store = store
        self.router = router
        self.count = count
        self.metrics = metrics or Metrics()
        self.handlers = list(handlers)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def wake(self) -> None:
        """Tell idle workers there is new work, so they don't wait for the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(i), name=f"evolve-worker-{i}") for i in range(self.count)]

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def drain(self) -> int:
        """Process until nothing is claimable now; returns how many deliveries were handled."""
        handled = 0
        while batch := await self.store.deliveries.claim(lease_seconds=self.lease_seconds, limit=1):
            for stored in batch:
                await self.process(stored)
                handled += 1
        return handled

    async def _run(self, index: int) -> None:
        while not self._stopping:
            try:
                batch = await self.store.deliveries.claim(lease_seconds=self.lease_seconds, limit=1)
            except Exception:
                log.exception("claiming from the store failed; retrying")
                await asyncio.sleep(self.poll_seconds)
                continue
            if not batch:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                continue
            for stored in batch:
                try:
                    await self.process(stored)
                except asyncio.CancelledError:
                    # Shutting down mid-delivery: hand it back so the next start takes it at once.
                    await asyncio.shield(self.store.deliveries.release(stored.seq))
                    raise
            # Others may be waiting on work this one unblocked (the next of the same repository).
            self._wake.set()

    async def process(self, stored: StoredDelivery) -> None:
        delivery = stored.delivery
        token = logs.delivery_id.set(delivery.delivery_id)
        started = time.perf_counter()
        try:
            try:
                signals = self.router.signals(delivery)
                for handler in self.handlers:
                    await handler(signals)
            except asyncio.CancelledError:
                raise
            except PERMANENT as exc:
                await self._failed(stored, _first_line(exc), final=True)
                return
            except Exception as exc:
                log.exception("processing failed")
                # A rate limit says how long to wait; retrying sooner only spends the next one.
                wait = max(backoff(stored.attempts), float(getattr(exc, "retry_after", 0) or 0))
                await self._failed(stored, f"{type(exc).__name__}: {exc}", final=stored.attempts >= self.max_attempts, retry_in=wait)
                return
            kinds = ", ".join(sorted({s.kind for s in signals})) or "none"
            await self.store.deliveries.complete(stored.seq, signals, message=f"{_describe(stored)} → {len(signals)} signal(s): {kinds}")
            self.metrics.deliveries.labels(delivery.event, "processed").inc()
            self.metrics.processing.labels(delivery.event).observe(time.perf_counter() - started)
            log.info("processed", extra={"event": delivery.event, "signals": len(signals)})
        finally:
            logs.delivery_id.reset(token)

    async def _failed(self, stored: StoredDelivery, error: str, *, final: bool, retry_in: float | None = None) -> None:
        wait = retry_in if retry_in is not None else backoff(stored.attempts)
        status = await self.store.deliveries.fail(stored.seq, error, retry_in=None if final else wait)
        outcome = "failed" if status == FAILED else "retried"
        self.metrics.deliveries.labels(stored.delivery.event, outcome).inc()
        log.warning("delivery %s: %s", outcome, error, extra={"event": stored.delivery.event})


def _describe(stored: StoredDelivery) -> str:
    d = stored.delivery
    return f"{d.event}{'.' + d.action if d.action else ''}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else "?"
        text = f"payload does not match GitHub's schema ({exc.error_count()} error(s); first at {where}: {errors[0]['msg'] if errors else ''})"
    elif isinstance(exc, WebhookTypeNotFound):
        text = f"githubkit has no model for this event: {text}"
    return f"{type(exc).__name__}: {text}"
