"""Signed webhook deliveries, queued and sent in order, recorded and redeliverable like GitHub's."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import json
import random
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from githubkit.webhooks import sign

from bot.sandbox.model import App, iso, utcnow

USER_AGENT = "GitHub-Hookshot/sandbox"
DELIVERY_TIMEOUT = 10.0  # GitHub gives a receiver 10 seconds.
REORDER_WAIT = 1.0  # seconds a held-back delivery waits for a successor
STATUS_OK = "OK"
STATUS_CONNECT_FAILED = "failed to connect to host"
STATUS_TIMED_OUT = "timed out"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every sender in this process shares: httpx loads the CA bundle
    again for each client it builds (a tenth of a second), and each sandbox builds one."""
    return httpx.create_ssl_context()


class DeliveryNotFound(LookupError):
    """No delivery has that id."""


@dataclass
class Attempt:
    """One try at sending a delivery."""

    at: dt.datetime
    status_code: int | None
    status: str
    duration: float
    redelivery: bool


@dataclass(eq=False)
class Delivery:
    """One webhook delivery: an event for one app, with every attempt to send it."""

    id: int
    guid: str
    app: App
    event: str
    action: str | None
    installation_id: int | None
    repository_id: int | None
    payload: dict[str, Any]
    body: bytes
    created_at: dt.datetime = field(default_factory=utcnow)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def status_code(self) -> int | None:
        return self.attempts[-1].status_code if self.attempts else None

    @property
    def status(self) -> str:
        return self.attempts[-1].status if self.attempts else "pending"

    @property
    def ok(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].status == STATUS_OK

    def headers(self) -> dict[str, str]:
        secret = self.app.webhook_secret
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": self.event,
            "X-GitHub-Delivery": self.guid,
            "X-GitHub-Hook-ID": str(self.app.hook_id),
            "X-GitHub-Hook-Installation-Target-ID": str(self.app.id),
            "X-GitHub-Hook-Installation-Target-Type": "integration",
        }
        if secret:
            headers["X-Hub-Signature"] = sign(secret, self.body, method="sha1")
            headers["X-Hub-Signature-256"] = sign(secret, self.body, method="sha256")
        return headers

    def summary(self) -> dict[str, Any]:
        """The delivery as GitHub's `GET /app/hook/deliveries` lists it (plus the attempts)."""
        last = self.attempts[-1] if self.attempts else None
        return {
            "id": self.id,
            "guid": self.guid,
            "delivered_at": iso(last.at) if last else None,
            "redelivery": last.redelivery if last else False,
            "duration": last.duration if last else None,
            "status": self.status,
            "status_code": self.status_code or 0,
            "event": self.event,
            "action": self.action,
            "installation_id": self.installation_id,
            "repository_id": self.repository_id,
            "attempts": [
                {"delivered_at": iso(a.at), "status": a.status, "status_code": a.status_code, "redelivery": a.redelivery}
                for a in self.attempts
            ],
        }


@dataclass
class WebhookFaults:
    """Misbehaviour of the delivery pipe: delay, duplication and reordering (counts or rates)."""

    delay: float = 0.0  # seconds before each send
    duplicate_next: int = 0  # send the next N deliveries twice
    reorder_next: int = 0  # swap the next N deliveries with the one queued after each
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def clear(self) -> None:
        self.delay = 0.0
        self.duplicate_next = self.reorder_next = 0
        self.duplicate_rate = self.reorder_rate = 0.0

    def take_duplicate(self) -> bool:
        if self.duplicate_next > 0:
            self.duplicate_next -= 1
            return True
        return self.duplicate_rate > 0 and self.rng.random() < self.duplicate_rate

    def take_reorder(self) -> bool:
        if self.reorder_next > 0:
            self.reorder_next -= 1
            return True
        return self.reorder_rate > 0 and self.rng.random() < self.reorder_rate

    def describe(self) -> dict[str, Any]:
        return {
            "delay": self.delay,
            "duplicate_next": self.duplicate_next,
            "reorder_next": self.reorder_next,
            "duplicate_rate": self.duplicate_rate,
            "reorder_rate": self.reorder_rate,
        }


class Deliveries:
    """The outbox: one background task sends queued deliveries one after another."""

    def __init__(self, *, faults: WebhookFaults | None = None) -> None:
        self.faults = faults or WebhookFaults()
        self.log: dict[int, Delivery] = {}
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[Delivery | None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._pending = 0
        self._idle: asyncio.Event | None = None

    def enqueue(self, app: App, event: str, payload: dict[str, Any], *, guid: str | None = None) -> Delivery | None:
        """Queue `event` for `app`; None when the app has no webhook URL (GitHub sends nothing)."""
        if not app.webhook_url:
            return None
        repo = payload.get("repository") or {}
        delivery = Delivery(
            id=next(self._ids),
            guid=guid or str(uuid.uuid4()),
            app=app,
            event=event,
            action=payload.get("action"),
            installation_id=(payload.get("installation") or {}).get("id"),
            repository_id=repo.get("id") if isinstance(repo, dict) else None,
            payload=payload,
            body=json.dumps(payload, separators=(",", ":")).encode(),
        )
        self.log[delivery.id] = delivery
        self._put(delivery)
        return delivery

    def _put(self, delivery: Delivery) -> None:
        self._ensure_worker()
        assert self._queue is not None and self._idle is not None
        self._pending += 1
        self._idle.clear()
        self._queue.put_nowait(delivery)

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._idle = asyncio.Event()
            self._idle.set()
            self._pending = 0
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="sandbox-webhooks")

    async def _run(self) -> None:
        assert self._queue is not None
        held: Delivery | None = None
        while True:
            if held is not None:
                # Wait a little for something to swap with, then send what was held back.
                try:
                    delivery = await asyncio.wait_for(self._queue.get(), REORDER_WAIT)
                except TimeoutError:
                    delivery, held = held, None
                    await self._send_with_faults(delivery)
                    continue
            else:
                delivery = await self._queue.get()
            if delivery is None:
                if held is not None:
                    await self._send_with_faults(held)
                break
            if held is None and self.faults.take_reorder():
                held = delivery
                continue
            await self._send_with_faults(delivery)
            if held is not None:
                delivery, held = held, None
                await self._send_with_faults(delivery)

    async def _send_with_faults(self, delivery: Delivery) -> None:
        try:
            if self.faults.delay:
                await asyncio.sleep(self.faults.delay)
            await self.send(delivery, redelivery=False)
            if self.faults.take_duplicate():
                await self.send(delivery, redelivery=False)
        finally:
            self._pending -= 1
            if self._pending <= 0 and self._idle is not None:
                self._idle.set()

    async def send(self, delivery: Delivery, *, redelivery: bool) -> Attempt:
        """POST the delivery now and record the attempt; never raises for the receiver's faults."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=DELIVERY_TIMEOUT, verify=tls_context())
        assert delivery.app.webhook_url
        started = time.perf_counter()
        code: int | None = None
        try:
            response = await self._client.post(delivery.app.webhook_url, content=delivery.body, headers=delivery.headers())
            code = response.status_code
            status = STATUS_OK if 200 <= code < 300 else f"Invalid HTTP Response: {code}"
        except httpx.TimeoutException:
            status = STATUS_TIMED_OUT
        except httpx.HTTPError:
            status = STATUS_CONNECT_FAILED
        attempt = Attempt(utcnow(), code, status, round(time.perf_counter() - started, 3), redelivery)
        delivery.attempts.append(attempt)
        return attempt

    async def redeliver(self, delivery_id: int) -> Delivery:
        """Send a recorded delivery again with the same GUID, marked as a redelivery."""
        delivery = self.log.get(delivery_id)
        if delivery is None:
            raise DeliveryNotFound(f"no webhook delivery with id {delivery_id}")
        await self.send(delivery, redelivery=True)
        return delivery

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every queued delivery has been attempted."""
        if self._idle is None:
            return
        await asyncio.wait_for(self._idle.wait(), timeout)

    def failed(self) -> list[Delivery]:
        return [d for d in self.log.values() if d.attempts and not d.ok]

    async def close(self) -> None:
        if self._worker is not None and not self._worker.done():
            assert self._queue is not None
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(self._worker, 5)
            except (TimeoutError, asyncio.CancelledError):
                self._worker.cancel()
        self._worker = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
