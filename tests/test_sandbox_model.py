"""The in-memory model: node ids, who may do what, which repositories an installation covers."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.git import GitRepository
from bot.sandbox.model import Account, ApiError, App, Installation, Repo, World, node_id


def test_node_ids_look_like_githubs_and_differ_per_object() -> None:
    assert node_id("PR", 1).startswith("PR_kwDO")
    assert node_id("PR", 1) != node_id("PR", 2) != node_id("I", 1)


def test_permissions_and_installation_coverage(tmp_path: Path) -> None:
    world = World()
    alice, bob, eve = (Account(world.next_id(), login) for login in ("alice", "bob", "eve"))
    repo = Repo(world.next_id(), alice, "r", GitRepository(tmp_path), "main", private=True, collaborators={"bob": "write"})
    other = Repo(world.next_id(), alice, "o", GitRepository(tmp_path), "main")
    assert [repo.permission_of(a) for a in (alice, bob, eve)] == ["admin", "write", "none"]
    assert other.permission_of(eve) == "read"
    app = App(world.next_id(), "a", "a", alice, Account(world.next_id(), "a[bot]", "Bot"), "Iv1", "", "", None, None, {}, [], 1)
    selected = Installation(world.next_id(), app, alice, "selected", {repo.id}, {}, [])
    everything = Installation(world.next_id(), app, alice, "all", set(), {}, [])
    assert selected.covers(repo) and not selected.covers(other)
    assert everything.covers(repo) and everything.covers(other)


def test_api_errors_render_githubs_error_body() -> None:
    error = ApiError(422, "Validation Failed", errors=[{"resource": "PullRequest", "field": "head", "code": "invalid"}])
    assert error.body() == {
        "message": "Validation Failed",
        "documentation_url": "https://docs.github.com/rest",
        "status": "422",
        "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
    }
