"""The Python control API: people act with their own access, mistakes are refused readably."""

from __future__ import annotations

import pytest

from bot.sandbox import ApiError, Sandbox
from tests.helpers.sandbox_world import Receiver, World

async def test_set_up_mistakes_are_refused(sandbox: Sandbox) -> None:
    sandbox.add_user("alice")
    with pytest.raises(ValueError, match="taken"):
        sandbox.add_user("Alice")
    with pytest.raises(ValueError, match="not a valid GitHub login"):
        sandbox.add_user("no spaces")
    with pytest.raises(ValueError, match="slug"):
        sandbox.register_app(slug="Bad Slug")
    with pytest.raises(ValueError, match="read, write or admin"):
        sandbox.register_app(slug="x", permissions={"contents": "all"})
    await sandbox.create_repo("alice/r", files={"a": "a"}, ci_command=None)
    with pytest.raises(ValueError, match="exists"):
        await sandbox.create_repo("alice/r")
    with pytest.raises(ValueError, match="owner/name"):
        await sandbox.create_repo("no-slash")
    with pytest.raises(ValueError, match="permission"):
        sandbox.grant("alice/r", "alice", "owner")
    with pytest.raises(LookupError, match="add_user"):
        await sandbox.push("alice/r", as_="ghost", branch="main", files={})


async def test_people_need_access(sandbox: Sandbox) -> None:
    sandbox.add_user("alice")
    sandbox.add_user("eve")
    await sandbox.create_repo("alice/private", files={"a": "a"}, private=True, ci_command=None)
    await sandbox.create_repo("alice/public", files={"a": "a"}, ci_command=None)
    with pytest.raises(ApiError) as hidden:
        await sandbox.push("alice/private", as_="eve", branch="main", files={"a": "b"})
    assert hidden.value.status == 404
    with pytest.raises(ApiError) as refused:
        await sandbox.push("alice/public", as_="eve", branch="main", files={"a": "b"})
    assert refused.value.status == 403
    await sandbox.push("alice/public", as_="alice", branch="f", files={"b": "b"})
    pr = await sandbox.open_pull_request("alice/public", as_="alice", head="f", title="t")
    await sandbox.comment("alice/public", pr.number, as_="eve", body="drive-by")  # public: anyone may comment
    with pytest.raises(ApiError):
        await sandbox.merge("alice/public", pr.number, as_="eve")
    with pytest.raises(ValueError, match="exactly one"):
        await sandbox.react("alice/public", as_="eve", content="+1")


async def test_deleting_the_head_branch_closes_the_pull_request(world: World, receiver: Receiver) -> None:
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="doomed", files={"d.txt": "d\n"})
    await sb.open_pull_request("alice/demo", as_="bob", head="doomed", title="Doomed")
    gone = await world.http.delete("/repos/alice/demo/git/refs/heads/doomed", headers=world.auth)
    assert gone.status_code == 204
    pull = (await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)).json()
    assert pull["state"] == "closed" and pull["merged"] is False
    await sb.wait_deliveries()
    assert receiver.events("push")[-1].payload["deleted"] is True
    assert receiver.events("pull_request", "closed")


async def test_synchronize_carries_before_and_after(world: World, receiver: Receiver) -> None:
    sb = world.sb
    first = await sb.push("alice/demo", as_="bob", branch="f", files={"x": "1"})
    await sb.open_pull_request("alice/demo", as_="bob", head="f", title="t")
    second = await sb.push("alice/demo", as_="bob", branch="f", files={"x": "2"})
    await sb.wait_deliveries()
    sync = receiver.events("pull_request", "synchronize")[0].payload
    assert (sync["before"], sync["after"]) == (first, second)
    assert sync["pull_request"]["head"]["sha"] == second
