"""Faults on demand: server errors, rate limits, latency, dropped connections and webhook misbehaviour."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.faults import FaultPlan
from tests.helpers.sandbox_world import Receiver, World

async def test_server_error_hits_only_the_matching_endpoint_and_only_once(world: World) -> None:
    world.sb.faults.add("error", method="GET", path="/repos/*/*/pulls", status=502)
    assert (await world.http.get("/repos/alice/demo", headers=world.auth)).status_code == 200
    failed = await world.http.get("/repos/alice/demo/pulls", headers=world.auth)
    assert failed.status_code == 502 and failed.json()["message"] == "Server Error"
    assert (await world.http.get("/repos/alice/demo/pulls", headers=world.auth)).status_code == 200


async def test_template_globs_and_repeat_counts(world: World) -> None:
    world.sb.faults.add("error", path="GET /repos/{owner}/{repo}/contents/*", times=2)
    statuses = [(await world.http.get("/repos/alice/demo/contents/calc.py", headers=world.auth)).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_secondary_rate_limit_and_429_carry_retry_after(world: World) -> None:
    world.sb.faults.add("secondary_rate_limit", path="/repos/alice/demo", retry_after=7)
    limited = await world.http.get("/repos/alice/demo", headers=world.auth)
    assert limited.status_code == 403 and limited.headers["retry-after"] == "7"
    assert "secondary rate limit" in limited.json()["message"]
    world.sb.faults.add("too_many_requests", path="/repos/alice/demo", retry_after=3)
    too_many = await world.http.get("/repos/alice/demo", headers=world.auth)
    assert too_many.status_code == 429 and too_many.headers["retry-after"] == "3"


async def test_primary_rate_limit_empties_the_budget_until_reset(world: World) -> None:
    world.sb.faults.add("primary_rate_limit", path="/repos/alice/demo", retry_after=120)
    limited = await world.http.get("/repos/alice/demo", headers=world.auth)
    assert limited.status_code == 403
    assert limited.json()["message"] == f"API rate limit exceeded for installation ID {world.installation.id}."
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) >= int(time.time()) + 100
    still = await world.http.get("/repos/alice/demo/pulls", headers=world.auth)
    assert still.status_code == 403 and still.headers["x-ratelimit-remaining"] == "0"


async def test_real_primary_limit_runs_out(world: World) -> None:
    world.sb.rate_limits.limits["installation"] = 3
    codes = [(await world.http.get("/repos/alice/demo", headers=world.auth)).status_code for _ in range(4)]
    # Minting the token counted against the app's JWT budget, not the installation's.
    assert codes == [200, 200, 200, 403]


async def test_dropped_connection_gets_no_response(world: World) -> None:
    world.sb.faults.add("drop", path="/repos/alice/demo")
    with pytest.raises(httpx.RemoteProtocolError):
        await world.http.get("/repos/alice/demo", headers=world.auth)
    assert (await world.http.get("/repos/alice/demo", headers=world.auth)).status_code == 200
    assert world.sb.requests.records[-2].status == 0 and world.sb.requests.records[-2].fault == "drop"


async def test_latency_delays_without_failing(world: World) -> None:
    world.sb.faults.add("latency", path="/repos/alice/demo", latency=0.2)
    response = await world.http.get("/repos/alice/demo", headers=world.auth)
    assert response.status_code == 200
    assert world.sb.requests.records[-1].duration >= 0.2


async def test_random_faults_are_reproducible_from_a_seed(world: World) -> None:
    async def run(seed: int) -> list[int]:
        world.sb.faults.clear()
        world.sb.faults.randomly(seed=seed, rate=0.5, kinds=("error", "too_many_requests"))
        return [(await world.http.get("/repos/alice/demo", headers=world.auth)).status_code for _ in range(12)]

    first, second = await run(7), await run(7)
    assert first == second
    assert {200, 502} <= set(first) or {200, 429} <= set(first)


async def test_faults_over_http(world: World) -> None:
    added = await world.http.post("/_sandbox/faults", json={"kind": "error", "path": "/repos/alice/demo", "status": 503, "times": 1})
    assert added.status_code == 201
    assert (await world.http.get("/repos/alice/demo", headers=world.auth)).status_code == 503
    bad = await world.http.post("/_sandbox/faults", json={"kind": "meteor"})
    assert bad.status_code == 422 and "unknown fault kind" in bad.json()["message"]
    rule = (await world.http.post("/_sandbox/faults", json={"kind": "error", "times": None})).json()
    assert (await world.http.get("/_sandbox/faults")).json()["rules"][0]["id"] == rule["id"]
    assert (await world.http.delete(f"/_sandbox/faults/{rule['id']}")).status_code == 204
    assert (await world.http.get("/repos/alice/demo", headers=world.auth)).status_code == 200


async def test_webhooks_delayed_duplicated_and_reordered(world: World, receiver: Receiver) -> None:
    sb = world.sb
    await sb.wait_deliveries()
    receiver.got.clear()
    sb.faults.webhooks.duplicate_next = 1
    dup_sha = await sb.push("alice/demo", as_="bob", branch="main", files={"a.txt": "1\n"}, message="dup")
    await sb.wait_ci("alice/demo", dup_sha)  # its check runs' webhooks are not the ones reordered below
    await sb.wait_deliveries()
    dup = [r for r in receiver.events("push")]
    assert [r.payload["head_commit"]["message"] for r in dup] == ["dup", "dup"]
    assert dup[0].headers["x-github-delivery"] == dup[1].headers["x-github-delivery"]

    receiver.got.clear()
    response = await world.http.put("/_sandbox/faults/webhooks", json={"reorder_next": 1})
    assert response.json()["reorder_next"] == 1
    await sb.push("alice/demo", as_="bob", branch="feature", files={"b.txt": "b\n"}, message="first")
    await sb.open_pull_request("alice/demo", as_="bob", head="feature", title="second")
    await sb.wait_deliveries()
    assert [r.event for r in receiver.got][:2] == ["pull_request", "push"]

    receiver.got.clear()
    sb.faults.webhooks.delay = 0.2
    started = time.perf_counter()
    await sb.comment("alice/demo", 1, as_="alice", body="slow")
    await sb.wait_deliveries()
    assert time.perf_counter() - started >= 0.2 and receiver.events("issue_comment")


def test_bad_fault_rules_are_refused() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.add("meteor")
    with pytest.raises(ValueError, match="500, 502, 503 or 504"):
        plan.add("error", status=404)
    with pytest.raises(ValueError, match="probability"):
        plan.add("error", probability=2)
    with pytest.raises(ValueError, match="latency"):
        plan.add("latency")
    assert plan.rules == []
