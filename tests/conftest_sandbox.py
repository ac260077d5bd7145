"""Fixtures for the sandbox tests: a sandbox, a webhook receiver, the served world, GitHub's REST description."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.deliveries import tls_context
from tests.helpers.sandbox_world import (
    OPENAPI_CACHE,
    OPENAPI_FILE,
    OPENAPI_PACKAGE,
    WEBHOOK_SECRET,
    OpenApi,
    Receiver,
    World,
    nullable_to_json_schema,
    serve_asgi,
)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    async for url, _ in serve_asgi(rec.asgi):
        rec.url = url
        yield rec


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    sb = Sandbox(root=tmp_path / "sandbox")
    try:
        yield sb
    finally:
        await sb.close_all()


@pytest.fixture
async def world(sandbox: Sandbox, receiver: Receiver) -> AsyncIterator[World]:
    """alice/demo (private, with a passing test) with app `evolve` installed; webhooks go to `receiver`."""
    app = sandbox.register_app(slug="evolve", webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET)
    sandbox.add_user("alice")
    sandbox.add_user("bob")
    await sandbox.create_repo(
        "alice/demo",
        files={"README.md": "# demo\n", "calc.py": "def add(a, b):\n    return a + b\n", "test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"},
        private=True,
        ci_command="python -m pytest -q",
    )
    sandbox.grant("alice/demo", "bob", "write")
    installation = await sandbox.install(app, account="alice", repos=["alice/demo"])
    async with sandbox.serve() as url, httpx.AsyncClient(base_url=url, timeout=30, verify=tls_context()) as http:
        w = World(sandbox, url, app, installation, http, "")
        w.token = await w.new_token()
        yield w


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    """GitHub's REST description, installed from npm into a cache dir once, made JSON-Schema-ready."""
    import shutil
    import subprocess

    from tests.helpers.prism import SPEC as PRISM_SPEC

    # The conformance test's Prism install (started as the session began) holds the same file:
    # with it there, no second npm install of the package.
    spec = PRISM_SPEC if PRISM_SPEC.exists() else OPENAPI_FILE
    if not spec.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is needed once to fetch {OPENAPI_PACKAGE} into {OPENAPI_CACHE}")
        OPENAPI_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(OPENAPI_CACHE), OPENAPI_PACKAGE],
            check=True, capture_output=True, timeout=300,
        )
    doc = json.loads(spec.read_text())
    doc["components"] = nullable_to_json_schema(doc["components"])
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "responses" in op:
                op["responses"] = nullable_to_json_schema(op["responses"])
    return OpenApi(doc)
