"""The stage: the sandbox GitHub and the bot, both on loopback and wired to each other."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bot.loop.autopilot import Autopilot
from bot.proposals import Proposal
from bot.sandbox import Sandbox
from bot.sandbox.model import App, Installation
from bot.sandbox.quick_stop_server import QuickStopServer
from bot.settings import Settings
from bot.store import Store

from ..app import create_app

SLUG = "evolve-bot"
SECRET = "evolve-stage-secret"
# What app.yml asks for: the loop's permissions and no more.
PERMISSIONS = {
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "checks": "write",
    "statuses": "read",
    "actions": "read",
    "metadata": "read",
}
EVENTS = [
    "check_run", "check_suite", "issue_comment", "pull_request", "pull_request_review",
    "pull_request_review_comment", "push", "status", "workflow_run",
]  # fmt: skip
NOT_SETTLED = "the stage did not settle within {timeout:.0f}s: {what}"


class Stage:
    """`async with Stage(root) as stage:` — a local GitHub with the App registered and the bot
    serving its webhooks; `stage.settle()` waits until webhooks, CI and the bot are all idle."""

    def __init__(
        self,
        root: Path,
        *,
        workers: int = 2,
        sweep_seconds: float = 0,
        ci: bool = True,
        ci_timeout: float = 120.0,
        llm_env: dict[str, str] | None = None,
    ) -> None:
        self.root = Path(root)
        self.workers = workers
        self.sweep_seconds = sweep_seconds
        # No model unless a test or the demo brings one: the machine's own env never leaks in.
        self.llm_env = dict(llm_env or {})
        self.sandbox = Sandbox(self.root / "github", ci=ci, ci_timeout=ci_timeout)
        self._exit = contextlib.AsyncExitStack()
        self.app: App
        self.api_url: str
        self.bot_url: str
        self.bot: Starlette
        self.settings: Settings

    async def __aenter__(self) -> Stage:
        try:
            await self._start()
        except BaseException:
            await self._exit.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._exit.aclose()

    async def _start(self) -> None:
        await self._exit.enter_async_context(self.sandbox)
        self.api_url = await self._exit.enter_async_context(self.sandbox.serve(host="127.0.0.1", port=0))
        # The App exists before the bot starts (the bot needs its id and key); its webhook URL
        # is set once the bot listens, so no delivery is sent into the void.
        self.app = self.sandbox.register_app(slug=SLUG, name="evolve-bot", permissions=PERMISSIONS, events=EVENTS)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        port = sock.getsockname()[1]
        self._exit.callback(sock.close)
        self.settings = Settings(
            APP_ID=self.app.id,
            PRIVATE_KEY=self.app.private_key_pem,
            WEBHOOK_SECRET=SECRET,
            EVOLVE_GITHUB_API_URL=self.api_url,
            EVOLVE_DATABASE_URL=f"sqlite+aiosqlite:///{self.root / 'bot' / 'evolve.db'}",
            EVOLVE_WORKERS=self.workers,
            EVOLVE_SWEEP_SECONDS=self.sweep_seconds,
            PORT=port,
            _env_file=None,
        )
        self.bot = create_app(self.settings, llm_env=self.llm_env)
        server = QuickStopServer(uvicorn.Config(self.bot, lifespan="on", log_config=None, access_log=False))
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="evolve-bot-server")

        async def stop() -> None:
            server.should_exit = True
            await task

        self._exit.push_async_callback(stop)
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        self.bot_url = f"http://127.0.0.1:{port}"
        self.app.webhook_url = f"{self.bot_url}{self.settings.webhook_path}"
        self.app.webhook_secret = SECRET

    @property
    def store(self) -> Store:
        return self.bot.state.store  # type: ignore[no-any-return]

    @property
    def autopilot(self) -> Autopilot:
        return self.bot.state.autopilot  # type: ignore[no-any-return]

    async def install(self, *, account: str, repos: list[str]) -> Installation:
        return await self.sandbox.install(self.app, account=account, repos=repos)

    async def settle(self, *, timeout: float = 90.0, expedite: bool = False) -> None:
        """Wait until no webhook is queued, no CI job runs and the bot's backlog is empty,
        twice in a row (each can start the others). With `expedite`, deliveries waiting out a
        backoff (a rate limit's long wait) are made due at once, as if that time had passed."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(NOT_SETTLED.format(timeout=timeout, what=await self.busy()))
            await self.sandbox.wait_deliveries(timeout=max(1.0, deadline - time.monotonic()))
            jobs = [t for t in self.sandbox.ci_queue.jobs.values() if not t.done()]
            if jobs:
                await asyncio.wait(jobs, timeout=max(0.1, deadline - time.monotonic()))
            if expedite and await self.store.deliveries.expedite():
                self.bot.state.workers.wake()
            quiet = quiet + 1 if not await self.busy() else 0
            await asyncio.sleep(0.05)

    async def busy(self) -> str:
        """What the stage is still doing, in a few words ("" when idle)."""
        what = []
        if running := sum(1 for t in self.sandbox.ci_queue.jobs.values() if not t.done()):
            what.append(f"CI is running ({running} run{'s' if running > 1 else ''} queued or running)")
        if (backlog := await self.store.deliveries.backlog()) > 0:
            what.append(f"{backlog} deliveries in the bot's backlog")
        pending = [d for d in self.sandbox.deliveries.log.values() if not d.attempts]
        if pending:
            what.append(f"{len(pending)} webhooks queued")
        return ", ".join(what)

    async def proposals(self, repo: str) -> list[Proposal]:
        return await self.store.proposals.find(repo)

    def comments(self, repo: str, number: int) -> list[Any]:
        """The comments on an issue or PR, oldest first, as the sandbox holds them."""
        item = self.sandbox.issue(self.sandbox.repo(repo), number)
        return sorted((c for c in self.sandbox.world.comments.values() if c.issue is item), key=lambda c: c.id)


@contextlib.asynccontextmanager
async def stage(root: Path, **options: Any) -> AsyncIterator[Stage]:
    async with Stage(root, **options) as opened:
        yield opened
