"""Every vendored GitHub example, posted signed over real HTTP to a running app, gives its signals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from bot.settings import Settings
from bot.store import Store
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import signed_headers
from webhooks.app import create_app

# What each example must become: the signal kind, and which actions carry one.
EXPECTED = {
    "issue_comment": ("comment", {"created", "edited", "deleted"}),
    "pull_request": ("pull_request", {"opened", "synchronize", "closed", "reopened"}),
    "pull_request_review": ("review", {"submitted", "edited", "dismissed"}),
    "pull_request_review_comment": ("review_comment", {"created", "edited"}),
    "check_suite": ("check", {"completed", "requested", "rerequested"}),
    "check_run": ("check", {"created", "completed", "rerequested"}),
    "workflow_run": ("check", {"completed"}),
    "status": ("check", {None}),
    "installation": ("installation", {"created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"}),
    "installation_repositories": ("installation", {"added", "removed"}),
}


class running:
    """`async with running(asgi_app) as url:` serves the app with uvicorn on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from bot.sandbox.quick_stop_server import QuickStopServer

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
        self.server = QuickStopServer(config)
        self.task: Any = None

    async def __aenter__(self) -> str:
        import asyncio

        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task


def expected_kinds(event: str, payload: dict) -> list[str]:
    if event == "push":
        default = f"refs/heads/{payload['repository']['default_branch']}"
        return ["push"] if payload["ref"] == default and not payload["deleted"] else []
    if event == "ping":
        return []
    kind, actions = EXPECTED[event]
    return [kind] if payload.get("action") in actions else []


async def test_every_example_over_http(settings: Settings) -> None:
    app = create_app(settings)
    examples = all_payloads()
    assert len(examples) >= 90
    async with running(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            for event, name, _ in examples:
                body = json.dumps(load_payload(event, name)).encode()
                response = await client.post(
                    settings.webhook_path, content=body, headers=signed_headers(event, body, delivery=f"{event}/{name}")
                )
                assert response.status_code in (200, 202), (event, name, response.text)
            store: Store = app.state.store
            for _ in range(500):
                if await store.deliveries.backlog() == 0:
                    break
                await asyncio.sleep(0.02)
            assert await store.deliveries.backlog() == 0
            for event, name, _ in examples:
                stored = await store.deliveries.get(f"{event}/{name}")
                assert stored is not None
                assert stored.status in ("done", "ignored", "ping"), (event, name, stored.error)
                kinds = [s.kind for s in await store.deliveries.signals(delivery_id=f"{event}/{name}")]
                assert kinds == expected_kinds(event, load_payload(event, name)), (event, name)
