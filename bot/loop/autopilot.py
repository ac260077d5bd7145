"""The evolution loop's dispatcher: signals → proposals → gate → PR → CI verdict → merge, close or revert."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from bot.app_auth import GitHubApp
from bot.loop import ci, commands, learning, onboarding, pull_requests
from bot.loop import sweep as sweeping
from bot.loop.context import Loop, delivery, now
from bot.signals import (
    CheckSignal,
    CommentSignal,
    InstallationSignal,
    PullRequestSignal,
    PushSignal,
    Signal,
)
from bot.store import Store


class Autopilot:
    """The loop's I/O edge: reads signals, asks the pure core what to do, and does it on GitHub.

    Each feature is a module of `bot.loop` working in one `Loop` (the store, one clock, the
    repositories); this class only routes a signal to the feature it concerns. Every step is
    saved with the proposal and journaled in the same transaction. Handlers are re-entrant: a
    delivery processed twice (at-least-once) finds its proposal already moved on.
    """

    def __init__(
        self,
        *,
        app: GitHubApp,
        store: Store,
        app_slug: str,
        clock: Callable[[], dt.datetime] = now,
        llm_env: Mapping[str, str] | None = None,
    ) -> None:
        self.loop = Loop(app=app, store=store, app_slug=app_slug, clock=clock, llm_env=llm_env)

    @property
    def store(self) -> Store:
        return self.loop.store

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.loop.clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        self.loop.clock = clock

    def repo_lock(self, full_name: str) -> asyncio.Lock:
        return self.loop.repo_lock(full_name)

    async def __call__(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            await self.handle(signal)

    async def handle(self, signal: Signal) -> None:
        # Everything one signal does is filed under its delivery, and shares one read of each
        # repository (its default branch and config).
        with delivery(signal.delivery_id):
            await self._route(signal)

    async def _route(self, signal: Signal) -> None:
        loop = self.loop
        if isinstance(signal, InstallationSignal):
            await onboarding.on_installation(loop, signal)  # locks each repository it works on
            return
        if signal.repository is None:
            return
        async with loop.repo_lock(signal.repository):
            if isinstance(signal, CommentSignal):
                await commands.on_comment(loop, signal)
            elif isinstance(signal, PullRequestSignal):
                await pull_requests.on_pull_request(loop, signal)
            elif isinstance(signal, CheckSignal):
                await ci.on_check(loop, signal)
            elif isinstance(signal, PushSignal):
                await learning.on_push(loop, signal)
            if isinstance(signal, PullRequestSignal) and signal.action == "closed" and signal.installation_id is not None:
                # Every merge and close is an outcome: the Reflector and Curator learn from it.
                repo = await loop.repo(signal.repository, signal.installation_id)
                await learning.reflect_on(loop, repo)
                if signal.merged:
                    await learning.learn_from_merge(loop, repo, signal)

    async def sweep(self, *, limit: int = 50) -> int:
        """Reconcile open bot PRs whose deliveries were missed (see `bot.loop.sweep`)."""
        return await sweeping.sweep(self.loop, limit=limit)
