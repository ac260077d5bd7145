"""The served app: GitHub's headers everywhere, /rate_limit, and a clean start and stop."""

from __future__ import annotations

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


def test_request_ids_look_like_githubs() -> None:
    parts = request_id().split(":")
    assert len(parts) == 5 and all(p == p.upper() for p in parts)
    assert request_id() != request_id()


@pytest.fixture
async def sandbox(tmp_path) -> Sandbox:  # type: ignore[misc]
    sb = Sandbox(root=tmp_path)
    yield sb  # type: ignore[misc]
    await sb.close_all()
