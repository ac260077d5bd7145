"""A real `evolve-bot serve` killed with SIGKILL after answering 202 loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.store import Store
from tests.fixtures.webhooks import load_payload
from tests.helpers.deliveries import SECRET, signed_headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cwd: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "WEBHOOK_SECRET": SECRET, "PORT": str(port), "HOST": "127.0.0.1", **env}
    full_env.pop("EVOLVE_DATABASE_URL", None) if "EVOLVE_DATABASE_URL" not in env else None
    process = subprocess.Popen(
        [sys.executable, "-m", "webhooks", "serve"], cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not become healthy")


def test_kill_9_between_202_and_processing_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    # No workers: the delivery is accepted and nothing processes it before the kill.
    first = start_server(tmp_path, port, EVOLVE_WORKERS="0")
    payload = load_payload("issue_comment", "created.1")
    body = json.dumps(payload).encode()
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/github/webhooks",
        content=body,
        headers=signed_headers("issue_comment", body, delivery="survivor"),
    )
    assert response.status_code == 202
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    url = f"sqlite+aiosqlite:///{tmp_path / '.evolve' / 'evolve.db'}"  # the default location

    async def state() -> tuple[str | None, list[str]]:
        store = await Store.open(url)
        try:
            stored = await store.deliveries.get("survivor")
            return (stored.status if stored else None), [s.kind for s in await store.deliveries.signals(delivery_id="survivor")]
        finally:
            await store.close()

    assert asyncio.run(state()) == ("pending", [])

    second = start_server(tmp_path, port, EVOLVE_WORKERS="2")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").json()["backlog"] == 0:
                break
            time.sleep(0.1)
        assert asyncio.run(state()) == ("done", ["comment"])
    finally:
        second.send_signal(signal.SIGTERM)
        output = second.communicate(timeout=20)[0].decode()
    # Logs are JSON lines, and the processing line carries the delivery id.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(line.get("delivery_id") == "survivor" and line["message"] == "processed" for line in lines), output
