"""What the sandbox's resources share: the world, URLs, webhook outbox, faults, logs, limits and CI queue."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.sandbox import events as hooks
from bot.sandbox import shapes
from bot.sandbox.auth import KeyPairs
from bot.sandbox.ci import CiQueue
from bot.sandbox.deliveries import Deliveries, Delivery
from bot.sandbox.faults import FaultPlan
from bot.sandbox.model import Account, App, Repo, World
from bot.sandbox.ratelimits import RateLimits
from bot.sandbox.requestlog import RequestLog
from bot.sandbox.shapes import JSON, Urls

NOT_FOUND = "Not Found"
DOCS = "https://docs.github.com/rest"

Person = str | Account


class SandboxState:
    """The state the resource mixins (accounts, apps, repositories, pulls, issues, checks) share, and
    the webhook outbox they all write to.

    `token_ttl` is how long installation tokens live (GitHub: one hour); `ci` turns the built-in
    CI on or off.
    """

    _ci_app: App  # the built-in CI's app, registered by LocalGitHub

    def __init__(
        self,
        root: Path | str,
        *,
        token_ttl: dt.timedelta = dt.timedelta(hours=1),
        ci: bool = True,
        ci_timeout: float = 120.0,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.world = World()
        self.urls = Urls()
        self.token_ttl = token_ttl
        self.ci_enabled = ci
        self.ci_timeout = ci_timeout
        self.deliveries = Deliveries()
        self.faults = FaultPlan(webhooks=self.deliveries.faults)
        self.requests = RequestLog()
        self.rate_limits = RateLimits()
        self.ci_queue = CiQueue()
        self._hook_ids = iter(range(400_000_001, 500_000_000))
        self._key_pairs = KeyPairs()
        self._unsent: list[tuple[App, str, JSON]] = []

    def _emit(self, repo: Repo, event: str, payload: JSON, *, sender: Account, repository: JSON | None = None) -> None:
        """Queue `event` for every app installed on `repo` that subscribes to it."""
        for inst in self.world.installations_covering(repo):
            if event not in inst.events:
                continue
            body = dict(payload)
            body["repository"] = repository or shapes.repository(self.urls, repo)
            body["sender"] = shapes.user(self.urls, sender)
            body["installation"] = hooks.installation_ref(inst)
            self._enqueue(inst.app, event, body)

    def _enqueue(self, app: App, event: str, payload: JSON) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # Outside an event loop (a sync register_app at set-up time) the ping waits for one.
            self._unsent.append((app, event, payload))
            return
        while self._unsent:
            self.deliveries.enqueue(*self._unsent.pop(0))
        self.deliveries.enqueue(app, event, payload)

    def flush_unsent(self) -> None:
        while self._unsent:
            self.deliveries.enqueue(*self._unsent.pop(0))

    async def wait_deliveries(self, timeout: float = 30.0) -> list[Delivery]:
        """Wait until every queued webhook has been attempted; returns the delivery log."""
        while True:
            await self.deliveries.wait_idle(timeout)
            # A delivery may have queued more work (e.g. CI finishing); settle once more.
            await asyncio.sleep(0)
            if self.deliveries._idle is None or self.deliveries._idle.is_set():
                return list(self.deliveries.log.values())

    async def redeliver(self, delivery_id: int) -> Delivery:
        return await self.deliveries.redeliver(delivery_id)

    async def close_all(self) -> None:
        """Stop CI jobs and the webhook sender."""
        await self.ci_queue.close()
        await self.deliveries.close()


def as_bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content

