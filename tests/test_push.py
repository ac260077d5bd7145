"""push: only pushes to the default branch are signals, with their commits and paths."""

from __future__ import annotations

import copy

from bot.signals import PushSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


def default_branch_pushes() -> list[dict]:
    found = []
    for event, name, _ in all_payloads():
        if event == "push":
            p = load_payload("push", name)
            if p["ref"] == f"refs/heads/{p['repository']['default_branch']}" and not p["deleted"]:
                found.append(p)
    return found


def test_pushes_to_the_default_branch_are_signals() -> None:
    pushes = default_branch_pushes()
    assert pushes, "the vendored examples include a push to the default branch"
    for payload in pushes:
        (signal,) = route("push", payload)
        assert isinstance(signal, PushSignal)
        assert (signal.before, signal.after) == (payload["before"], payload["after"])
        assert [c.sha for c in signal.commits] == [c["id"] for c in payload["commits"]]


def test_tag_and_other_branch_pushes_are_not_signals() -> None:
    tag = load_payload("push", "default.1")
    assert tag["ref"].startswith("refs/tags/")
    assert route("push", tag) == []
    branch = copy.deepcopy(default_branch_pushes()[0])
    branch["ref"] = "refs/heads/feature"
    assert route("push", branch) == []


def test_commit_paths_are_kept() -> None:
    payload = copy.deepcopy(default_branch_pushes()[0])
    payload["commits"] = payload["commits"][:1] or payload["commits"]
    if payload["commits"]:
        payload["commits"][0].update(added=["new.py"], modified=["app.py"], removed=["old.py"])
        (signal,) = route("push", payload)
        assert (signal.commits[0].added, signal.commits[0].modified, signal.commits[0].removed) == (("new.py",), ("app.py",), ("old.py",))
