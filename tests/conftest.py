"""Shared fixtures: a store on every configured backend, settings, and a signed-request poster."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from githubkit.webhooks import sign
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import Settings
from bot.store import Store

pytest_plugins = ["tests.conftest_sandbox"]

SECRET = "It's a Secret to Everybody"
POSTGRES_URL = os.environ.get("EVOLVE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def pytest_report_header(config: pytest.Config) -> str:
    return f"evolve-bot store backends: {', '.join(BACKENDS)}" + (
        "" if POSTGRES_URL else " (set EVOLVE_TEST_POSTGRES_URL to add PostgreSQL)"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Prism takes 20 s and more to load GitHub's description: when a test that uses it is to
    run, its Prism starts now, and the rest of the suite runs meanwhile."""
    if session.config.option.collectonly:
        return
    if any("prism" in getattr(item, "fixturenames", ()) for item in session.items):
        from tests.test_conformance import start_prism_early

        start_prism_early()


def pytest_sessionfinish(session: pytest.Session) -> None:
    conformance = sys.modules.get("tests.test_conformance")
    if conformance is not None:
        conformance.stop_prism_started_early()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A fresh, empty database per test: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'evolve.db'}", {}
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield POSTGRES_URL, {"connect_args": {"server_settings": {"search_path": schema}}}
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def store(database_url: tuple[str, dict[str, Any]]) -> AsyncIterator[Store]:
    url, options = database_url
    opened = await Store.open(url, **options)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        WEBHOOK_SECRET=SECRET,
        EVOLVE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        EVOLVE_WORKERS=2,
        _env_file=None,
    )


def signed_headers(event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
        "User-Agent": "GitHub-Hookshot/test",
    }


async def post_event(
    client: httpx.AsyncClient,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    path: str = "/api/github/webhooks",
    delivery: str | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await client.post(path, content=body, headers=signed_headers(event, body, delivery=delivery))


def route(event: str, payload: dict[str, Any], *, delivery: str = "d-test") -> list[Any]:
    """The signals the intake's router makes of one payload (no HTTP, no store)."""
    from bot.delivery import Delivery
    from webhooks.routes import router

    body = json.dumps(payload).encode()
    return router.signals(Delivery.from_payload(event, payload, delivery_id=delivery, body=body))


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
