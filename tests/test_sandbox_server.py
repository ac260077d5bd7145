"""The served app: GitHub's headers everywhere, /rate_limit, and a clean start and stop."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.server import request_id


async def test_serve_starts_and_stops_on_a_free_port(sandbox: Sandbox) -> None:
    async with sandbox.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get("/rate_limit")
            assert response.status_code == 200
            assert response.json()["resources"]["core"]["limit"] == 60
            assert response.headers["x-github-request-id"]
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=url) as http:
            await http.get("/rate_limit")


async def test_a_request_in_flight_when_the_server_stops_still_gets_its_answer(
    sandbox: Sandbox,
) -> None:
    slow = sandbox.faults.add("latency", path="/rate_limit", latency=0.3)
    async with httpx.AsyncClient() as http:
        async with sandbox.serve() as url:
            answer = asyncio.create_task(http.get(f"{url}/rate_limit"))
            while slow.times:  # drawn (used up) once the request is inside the server
                await asyncio.sleep(0.01)
        response = await answer
    assert response.status_code == 200 and response.json()["resources"]["core"]["limit"] == 60


def test_request_ids_look_like_githubs() -> None:
    parts = request_id().split(":")
    assert len(parts) == 5 and all(p == p.upper() for p in parts)
    assert request_id() != request_id()


@pytest.fixture
async def sandbox(tmp_path) -> Sandbox:  # type: ignore[misc]
    sb = Sandbox(root=tmp_path)
    yield sb  # type: ignore[misc]
    await sb.close_all()
