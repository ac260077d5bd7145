"""The request log counts API calls per installation and per endpoint template."""

from __future__ import annotations

import pytest

from bot.sandbox.requestlog import RequestLog, RequestRecord
from tests.helpers.sandbox_world import World, app_jwt

async def test_counts_per_endpoint_and_installation(world: World) -> None:
    world.sb.requests.clear()
    for _ in range(3):
        await world.http.get("/repos/alice/demo/pulls", headers=world.auth)
    await world.http.get("/repos/alice/demo/pulls/99", headers=world.auth)
    await world.http.get("/app", headers={"Authorization": f"Bearer {app_jwt(world.app)}"})
    by_endpoint = world.sb.requests.counts(by="endpoint")
    assert by_endpoint == {"GET /repos/{owner}/{repo}/pulls": 3, "GET /repos/{owner}/{repo}/pulls/{pull_number}": 1, "GET /app": 1}
    assert world.sb.requests.counts(by="installation") == {str(world.installation.id): 4, "none": 1}
    assert world.sb.requests.counts(by="status") == {"200": 4, "404": 1}
    over_http = await world.http.get("/_sandbox/requests", params={"by": "endpoint", "installation_id": world.installation.id})
    assert over_http.json() == {"total": 4, "counts": {"GET /repos/{owner}/{repo}/pulls": 3, "GET /repos/{owner}/{repo}/pulls/{pull_number}": 1}}
    log = (await world.http.get("/_sandbox/requests/log")).json()
    assert [r["path"] for r in log][:1] == ["/repos/alice/demo/pulls"]
    assert log[0]["installation_id"] == world.installation.id and log[0]["request_id"]
    assert (await world.http.delete("/_sandbox/requests")).status_code == 204
    assert world.sb.requests.records == []
    refused = await world.http.get("/_sandbox/requests", params={"by": "colour"})
    assert refused.status_code == 422


def test_unknown_grouping_is_refused() -> None:
    log = RequestLog()
    log.add(RequestRecord("GET", "/x", "GET /x", 200, None, None, "id", 0.0))
    assert log.counts(by="app") == {"none": 1}
    with pytest.raises(ValueError, match="cannot group"):
        log.counts(by="colour")
