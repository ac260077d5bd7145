"""Webhook deliveries: queued in order, failures recorded, redelivered with the same GUID."""

from __future__ import annotations

import socket

from bot.sandbox import Sandbox
from bot.sandbox.deliveries import STATUS_CONNECT_FAILED, STATUS_OK
from tests.helpers.sandbox_world import WEBHOOK_SECRET, Receiver, World

def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_installation_and_ping_arrive_first_and_in_order(world: World, receiver: Receiver) -> None:
    await world.sb.push("alice/demo", as_="bob", branch="main", files={"a.txt": "1\n"}, message="one")
    await world.sb.push("alice/demo", as_="bob", branch="main", files={"a.txt": "2\n"}, message="two")
    await world.sb.wait_deliveries()
    events = [r.event for r in receiver.got]
    assert events[:2] == ["ping", "installation"]
    pushes = [r.payload["head_commit"]["message"] for r in receiver.events("push")]
    assert pushes == ["one", "two"]
    sender = receiver.events("push")[0].payload["sender"]
    assert sender["login"] == "bob"


async def test_bot_actions_are_attributed_to_the_bot_user(world: World, receiver: Receiver) -> None:
    await world.sb.push("alice/demo", as_="bob", branch="feature", files={"a.txt": "1\n"})
    await world.sb.open_pull_request("alice/demo", as_="bob", head="feature", title="t")
    response = await world.http.post("/repos/alice/demo/issues/1/comments", headers=world.auth, json={"body": "beep"})
    assert response.status_code == 201
    await world.sb.wait_deliveries()
    created = receiver.events("issue_comment", "created")[0].payload
    assert created["sender"]["login"] == "evolve[bot]" and created["sender"]["type"] == "Bot"
    assert created["comment"]["performed_via_github_app"]["slug"] == "evolve"


async def test_failed_deliveries_are_recorded_and_redelivered_with_the_same_guid(world: World, receiver: Receiver) -> None:
    receiver.status = 500
    await world.sb.push("alice/demo", as_="bob", branch="main", files={"a.txt": "1\n"})
    await world.sb.wait_deliveries()
    failed = [d for d in world.sb.deliveries.log.values() if d.event == "push"]
    assert failed[0].status == "Invalid HTTP Response: 500" and failed[0].status_code == 500
    assert failed[0] in world.sb.deliveries.failed()
    receiver.status = 200
    again = await world.sb.redeliver(failed[0].id)
    assert again.ok and again.attempts[-1].redelivery
    over_http = await world.http.post(f"/_sandbox/deliveries/{failed[0].id}/redeliver")
    assert over_http.status_code == 202 and over_http.json()["status"] == STATUS_OK
    guids = [r.headers["x-github-delivery"] for r in receiver.events("push")]
    assert len(guids) == 3 and len(set(guids)) == 1
    unknown = await world.http.post("/_sandbox/deliveries/999999/redeliver")
    assert unknown.status_code == 404


async def test_unreachable_receiver_is_recorded_as_connection_failure(sandbox: Sandbox) -> None:
    app = sandbox.register_app(slug="gone", webhook_url=f"http://127.0.0.1:{closed_port()}/hook", webhook_secret=WEBHOOK_SECRET)
    await sandbox.create_repo("alice/r", files={"a": "a"}, ci_command=None)
    await sandbox.install(app, account="alice")
    log = await sandbox.wait_deliveries()
    assert [d.event for d in log] == ["ping", "installation"]
    assert all(d.status == STATUS_CONNECT_FAILED and d.status_code is None for d in log)


async def test_apps_only_get_the_events_they_subscribe_to(sandbox: Sandbox, receiver: Receiver) -> None:
    app = sandbox.register_app(slug="picky", webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET, events=["pull_request"])
    await sandbox.create_repo("alice/r", files={"a": "a"}, ci_command=None)
    await sandbox.install(app, account="alice")
    await sandbox.push("alice/r", as_="alice", branch="feature", files={"b": "b"})
    await sandbox.open_pull_request("alice/r", as_="alice", head="feature", title="t")
    await sandbox.wait_deliveries()
    assert [r.event for r in receiver.got] == ["ping", "installation", "pull_request"]


async def test_delivery_log_over_http(world: World) -> None:
    await world.sb.wait_deliveries()
    listed = await world.http.get("/_sandbox/deliveries")
    assert [d["event"] for d in listed.json()][:2] == ["ping", "installation"]
    assert all(d["status"] == STATUS_OK for d in listed.json())
