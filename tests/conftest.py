"""Shared fixtures (store, settings, stage, github, prism, model); the code they use is in tests/helpers/."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.github import InstallationClient
from bot.sandbox.sandbox import Sandbox
from bot.settings import Settings
from bot.store import Store
from tests.helpers.deliveries import SECRET
from tests.helpers.github_world import FILES, GitHubWorld, Waits, make_app
from tests.helpers.llm_server import LLMServer
from tests.helpers.prism import (
    PRISM_SKIPPED,
    PrismProxy,
    start_prism_early,
    stop_prism_started_early,
    take_prism,
)
from tests.helpers.scene import OWNER, READER, WRITER
from webhooks.demo import Stage

pytest_plugins = ["tests.conftest_sandbox"]

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
        start_prism_early()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_prism_started_early()


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


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    """The sandbox and the bot, with alice, bob and carol, and the App on all of alice's repos."""
    async with Stage(tmp_path) as opened:
        sandbox = opened.sandbox
        for login in (OWNER, WRITER, READER):
            sandbox.add_user(login)
        # Installed before any repository exists: repositories created later are covered without
        # an installation event, so there is no onboarding PR unless a test asks for one.
        await sandbox.install(opened.app, account=OWNER, repos=None)
        await opened.settle()
        yield opened


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[GitHubWorld]:
    """The GitHub world: a served sandbox with alice/demo, the App installed on it, our client for it."""
    async with Sandbox(root=tmp_path / "sandbox", ci=False) as sandbox:
        sandbox_app = sandbox.register_app(slug="evolve-bot")
        await sandbox.create_repo("alice/demo", files=FILES, ci_command=None)
        installation = await sandbox.install(sandbox_app, account="alice", repos=["alice/demo"])
        async with sandbox.serve() as base_url:
            waits = Waits()
            app = make_app(sandbox_app, base_url, waits)
            repo = InstallationClient(app, installation.id).repo("alice", "demo")
            yield GitHubWorld(sandbox, installation, app, repo, base_url, waits)


@pytest.fixture
def prism() -> Iterator[PrismProxy]:
    """The Prism started early for this test, or one started now; stopped after the test."""
    if os.environ.get("EVOLVE_SKIP_PRISM") == "1":
        pytest.skip(PRISM_SKIPPED)
    proxy = take_prism()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
async def model() -> AsyncIterator[LLMServer]:
    """A scripted model server speaking the OpenAI and Anthropic APIs."""
    async with LLMServer() as server:
        yield server
