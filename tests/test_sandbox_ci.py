"""Sandbox CI runs the repository's tests on a clean checkout and reports a `ci` check run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from bot.sandbox.ci import run_ci_command, tail
from bot.sandbox.git import GitRepository, Identity, TreeChange
from tests.helpers.sandbox_world import FAILING_TEST, PASSING_TEST, Receiver, World


async def test_push_to_default_branch_runs_ci_and_reports_success(world: World, receiver: Receiver) -> None:
    sha = await world.sb.push("alice/demo", as_="bob", branch="main", files={"test_more.py": PASSING_TEST})
    run = await world.sb.wait_ci("alice/demo", sha)
    assert (run.name, run.status, run.conclusion) == ("ci", "completed", "success")
    assert "2 passed" in run.output["summary"]
    assert run.suite.app.slug == "sandbox-ci"
    listed = await world.http.get(f"/repos/alice/demo/commits/{sha}/check-runs", headers=world.auth)
    assert [(r["name"], r["conclusion"]) for r in listed.json()["check_runs"]] == [("ci", "success")]
    await world.sb.wait_deliveries()
    runs = [(r.action, r.payload["check_run"]["status"]) for r in receiver.events("check_run")]
    assert runs == [("created", "queued"), ("completed", "completed")]
    suites = receiver.events("check_suite", "completed")
    assert suites and suites[0].payload["check_suite"]["conclusion"] == "success"


async def test_failing_test_on_a_pull_request_head_fails_ci(world: World) -> None:
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="broken", files={"test_broken.py": FAILING_TEST})
    pr = await sb.open_pull_request("alice/demo", as_="bob", head="broken", title="Break it")
    assert pr.pull is not None
    run = await sb.wait_ci("alice/demo", pr.pull.head_sha)
    assert run.conclusion == "failure"
    assert "1 failed" in run.output["summary"] and "exit 1" in run.output["title"]
    pull = await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)
    assert pull.json()["mergeable_state"] == "unstable"


async def test_commits_pushed_through_the_api_and_merges_run_ci(world: World) -> None:
    sb = world.sb
    main = await sb.repo("alice/demo").git.ref("refs/heads/main")
    tree = await world.http.post(
        "/repos/alice/demo/git/trees", headers=world.auth,
        json={"base_tree": main, "tree": [{"path": "test_api.py", "mode": "100644", "type": "blob", "content": PASSING_TEST}]},
    )
    commit = await world.http.post("/repos/alice/demo/git/commits", headers=world.auth, json={"message": "api", "tree": tree.json()["sha"], "parents": [main]})
    sha = commit.json()["sha"]
    await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/bot", "sha": sha})
    await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "API", "head": "bot", "base": "main"})
    assert (await sb.wait_ci("alice/demo", sha)).conclusion == "success"
    merged = await world.http.put("/repos/alice/demo/pulls/1/merge", headers=world.auth, json={})
    assert (await sb.wait_ci("alice/demo", merged.json()["sha"])).conclusion == "success"


async def test_ci_that_runs_too_long_times_out(sandbox: Sandbox) -> None:
    repo = await sandbox.create_repo("alice/slow", files={"a.txt": "a\n"}, ci_command="sleep 30", ci_timeout=0.5)
    del repo
    sha = await sandbox.push("alice/slow", as_="alice", branch="main", files={"b.txt": "b\n"})
    run = await sandbox.wait_ci("alice/slow", sha, timeout=30)
    assert run.conclusion == "timed_out" and "timed out" in run.output["title"]


async def test_branches_without_a_pull_request_get_no_ci(sandbox: Sandbox) -> None:
    await sandbox.create_repo("alice/quiet", files={"a.txt": "a\n"})
    sha = await sandbox.push("alice/quiet", as_="alice", branch="side", files={"b.txt": "b\n"})
    try:
        await sandbox.wait_ci("alice/quiet", sha, timeout=1)
    except LookupError as exc:
        assert "no CI run" in str(exc)
    else:
        raise AssertionError("a branch with no pull request ran CI")


async def test_run_ci_command_on_a_clean_checkout(tmp_path: Path) -> None:
    git = await GitRepository.init(tmp_path / "r.git")
    tree = await git.build_tree([TreeChange("hello.txt", content=b"hi\n")])
    sha = await git.write_commit(tree=tree, parents=[], message="m", author=Identity("A", "a@x", 1700000000))
    ok = await run_ci_command(git, sha=sha, ref=None, command="cat hello.txt && test ! -e .git/index", timeout=10)
    assert ok.conclusion == "success" and "hi" in ok.summary
    missing = await run_ci_command(git, sha=sha, ref=None, command="definitely-not-a-command-xyz", timeout=10)
    assert missing.conclusion == "failure" and missing.exit_code == 127
    listed = (await git.git("worktree", "list")).decode().splitlines()
    assert len(listed) == 1  # the temporary worktrees are gone


def test_tail_keeps_the_end_of_long_output() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    kept = tail(text)
    assert kept.endswith("line 999") and "line 0\n" not in kept


WORKFLOW = """\
name: checks
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    name: tests
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - uses: actions/cache@v4
      - name: say hello
        run: cat hello.txt
      - run: |
          echo "step two"
          exit 3
      - run: echo never
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: echo lint
  release:
    runs-on: ubuntu-latest
    steps:
      - run: echo release
"""
RELEASE = "name: release\non:\n  push:\n    branches: [release/**]\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo publish\n"
PR_ONLY = "on: pull_request\njobs:\n  review:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo reviewed\n"


async def test_ci_runs_the_run_steps_of_the_workflow_jobs_the_event_triggers(sandbox: Sandbox) -> None:
    files = {"hello.txt": "hello from the checkout\n", ".github/workflows/checks.yml": WORKFLOW,
             ".github/workflows/release.yml": RELEASE, ".github/workflows/pr.yaml": PR_ONLY}  # fmt: skip
    await sandbox.create_repo("alice/flows", files=files, ci_command=None)
    sha = await sandbox.push("alice/flows", as_="alice", branch="main", files={"b.txt": "b\n"})
    await sandbox.ci_queue.wait((sandbox.repo("alice/flows").id, sha), 60)
    runs = {r.name: r for r in sandbox.world.check_runs.values() if r.head_sha == sha}
    # Named after the job as GitHub does; the release branch filter and the pull_request-only
    # workflow start nothing on a push to main.
    assert set(runs) == {"tests", "lint", "release"}
    tests = runs["tests"]
    assert tests.conclusion == "failure"
    summary = tests.output["summary"]
    assert "hello from the checkout" in summary and "step two" in summary and "```\nnever" not in summary
    assert "Run echo never: not run (an earlier step failed)" in summary
    assert "actions/checkout@v4" in summary and "actions/cache@v4: not run" in summary
    assert "exit 3" in tests.output["title"]
    assert runs["release"].conclusion == "success"


async def test_a_repository_without_a_workflow_gets_no_ci(sandbox: Sandbox) -> None:
    await sandbox.create_repo("alice/bare", files={"a.txt": "a\n"})
    sha = await sandbox.push("alice/bare", as_="alice", branch="main", files={"b.txt": "b\n", "test_b.py": "def test_b():\n    pass\n"})
    await sandbox.ci_queue.wait((sandbox.repo("alice/bare").id, sha), 60)
    assert not [r for r in sandbox.world.check_runs.values() if r.head_sha == sha]


async def test_a_workflow_given_twice_is_refused_not_overwritten(sandbox: Sandbox) -> None:
    own = "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ruff check\n"
    with pytest.raises(ValueError, match="given in files and by ci_command"):
        await sandbox.create_repo("alice/twice", files={".github/workflows/ci.yml": own}, ci_command="python -m pytest -q")
    assert sandbox.world.repo("alice/twice") is None
