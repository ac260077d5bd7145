"""The GitHub client against the sandbox: operations, call counts, write serialisation, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app_auth import AppCredentials, GitHubApp
from bot.github import (
    AUTO_MERGE_NOT_ALLOWED,
    CHECK_OUTPUT_LIMIT,
    FileChange,
    InstallationClient,
    RepoClient,
)
from bot.retry import GitHubError, GitHubUnavailable, RateLimited, RetryPolicy
from bot.sandbox.model import Installation
from bot.sandbox.sandbox import Sandbox

TOKEN_ENDPOINT = "POST /app/installations/{installation_id}/access_tokens"
FILES = {
    "README.md": "# demo\n",
    "src/app.py": "def main():\n    return 1\n",
    "docs/guide.md": "guide\n",
}


@dataclass
class World:
    """A served sandbox with alice/demo, the App installed on it, and our client for it."""

    sandbox: Sandbox
    installation: Installation
    app: GitHubApp
    repo: RepoClient
    base_url: str
    waits: Waits

    @property
    def sleeps(self) -> list[float]:
        return self.waits.seen

    def calls(self, *, since: int = 0, tokens: bool = False) -> list[str]:
        """Endpoints the sandbox answered after record `since`; token requests left out."""
        return [
            r.endpoint
            for r in self.sandbox.requests.records[since:]
            if tokens or r.endpoint != TOKEN_ENDPOINT
        ]

    async def file(self, ref: str, path: str) -> bytes | None:
        git = self.sandbox.repo("alice/demo").git
        return await git.read_file(await git.resolve(ref) or ref, path)


@dataclass
class Waits:
    """The policy's sleeps: recorded, and really waited only up to `cap` seconds."""

    seen: list[float] = field(default_factory=list)
    cap: float = 0.02

    async def sleep(self, seconds: float) -> None:
        self.seen.append(seconds)
        await asyncio.sleep(min(seconds, self.cap))


def make_app(sandbox_app: Any, base_url: str, waits: Waits, **kwargs: Any) -> GitHubApp:
    credentials = AppCredentials.from_pem(sandbox_app.id, private_key=sandbox_app.private_key_pem)
    policy = RetryPolicy(sleep=waits.sleep, backoff_initial=0.01, backoff_max=0.1)
    return GitHubApp(credentials, base_url=base_url, policy=policy, **kwargs)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with Sandbox(root=tmp_path / "sandbox", ci=False) as sandbox:
        sandbox_app = sandbox.register_app(slug="evolve-bot")
        await sandbox.create_repo("alice/demo", files=FILES, ci_command=None)
        installation = await sandbox.install(sandbox_app, account="alice", repos=["alice/demo"])
        async with sandbox.serve() as base_url:
            waits = Waits()
            app = make_app(sandbox_app, base_url, waits)
            repo = InstallationClient(app, installation.id).repo("alice", "demo")
            yield World(sandbox, installation, app, repo, base_url, waits)


# --- reading ------------------------------------------------------------------------------


async def test_read_file_gives_bytes_and_none_when_missing(world: World) -> None:
    readme = await world.repo.read_file("README.md", ref="main")
    assert readme is not None and readme.text == "# demo\n"
    assert await world.repo.read_file("nope.md", ref="main") is None
    nested = await world.repo.read_file("src/app.py", ref="main")
    assert nested is not None and nested.content == FILES["src/app.py"].encode()


async def test_read_file_of_a_directory_or_unknown_ref_is_an_error(world: World) -> None:
    with pytest.raises(GitHubError, match="src at main is a directory"):
        await world.repo.read_file("src", ref="main")
    with pytest.raises(GitHubError, match="404"):
        await world.repo.read_file("README.md", ref="no-such-branch")


async def test_read_files_reads_several_at_once(world: World) -> None:
    files = await world.repo.read_files(["README.md", "missing.txt", "docs/guide.md"], ref="main")
    assert {p: (f.text if f else None) for p, f in files.items()} == {
        "README.md": "# demo\n",
        "missing.txt": None,
        "docs/guide.md": "guide\n",
    }


async def test_tree_maps_every_path_to_mode_and_sha(world: World) -> None:
    tree = await world.repo.tree("main")
    blobs = tree.blobs()
    assert set(blobs) == set(FILES)
    readme = await world.repo.read_file("README.md", ref="main")
    assert readme is not None and blobs["README.md"].sha == readme.sha
    assert blobs["README.md"].mode == "100644"
    assert tree.entries["src"].type == "tree"


# --- writing ------------------------------------------------------------------------------


def hundred_changes() -> list[FileChange]:
    changes = [FileChange(f"gen/new_{i:03}.txt", f"file {i}\n") for i in range(60)]
    changes += [
        FileChange("README.md", "# demo, evolved\n"),
        FileChange("src/app.py", "def main():\n    return 2\n"),
    ]
    changes += [FileChange(f"gen/bytes_{i:03}.txt", f"bytes {i}\n".encode()) for i in range(36)]
    changes += [FileChange.delete("docs/guide.md"), FileChange.delete("not/there.txt")]
    assert len(changes) == 100
    return changes


async def test_hundred_file_branch_takes_five_calls_after_the_token(world: World) -> None:
    await world.app.installation_token(world.installation.id)
    start = len(world.sandbox.requests.records)
    commit = await world.repo.create_branch(
        "evolve/hundred", base="main", changes=hundred_changes(), message="Evolve 100 files"
    )
    assert world.calls(since=start) == [
        "GET /repos/{owner}/{repo}/git/ref/{ref}",
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
        "POST /repos/{owner}/{repo}/git/trees",
        "POST /repos/{owner}/{repo}/git/commits",
        "POST /repos/{owner}/{repo}/git/refs",
    ]
    assert await world.file("evolve/hundred", "gen/new_059.txt") == b"file 59\n"
    assert await world.file("evolve/hundred", "gen/bytes_035.txt") == b"bytes 35\n"
    assert await world.file("evolve/hundred", "README.md") == b"# demo, evolved\n"
    assert await world.file("evolve/hundred", "docs/guide.md") is None
    assert await world.file("main", "docs/guide.md") == b"guide\n"  # main untouched
    assert commit.parent_sha == await world.sandbox.repo("alice/demo").git.resolve("main")


async def test_branch_from_a_sha_skips_the_ref_lookup(world: World) -> None:
    head = await world.repo.branch_head("main")
    start = len(world.sandbox.requests.records)
    await world.repo.create_branch(
        "evolve/from-sha", base=head, changes=[FileChange("x.txt", "x\n")], message="m"
    )
    assert len(world.calls(since=start)) == 4


async def test_executable_files_stay_executable_when_changed(world: World) -> None:
    await world.repo.create_branch(
        "evolve/exec",
        base="main",
        changes=[FileChange("run.sh", "#!/bin/sh\n", mode="100755")],
        message="add",
    )
    await world.repo.commit_to_branch(
        "evolve/exec", changes=[FileChange("run.sh", "#!/bin/sh\necho hi\n")], message="edit"
    )
    entry = await world.sandbox.repo("alice/demo").git.entry_at(
        await world.repo.branch_head("evolve/exec"), "run.sh"
    )
    assert entry is not None and entry.mode == "100755"


async def test_binary_content_goes_through_a_blob(world: World) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    start = len(world.sandbox.requests.records)
    await world.repo.create_branch(
        "evolve/bin", base="main", changes=[FileChange("logo.png", png)], message="logo"
    )
    assert "POST /repos/{owner}/{repo}/git/blobs" in world.calls(since=start)
    assert await world.file("evolve/bin", "logo.png") == png


async def test_commit_to_branch_fast_forwards_then_force_rewrites_the_bots_branch(
    world: World,
) -> None:
    first = await world.repo.create_branch(
        "evolve/x", base="main", changes=[FileChange("a.txt", "1\n")], message="one"
    )
    second = await world.repo.commit_to_branch(
        "evolve/x", changes=[FileChange("a.txt", "2\n")], message="two"
    )
    assert second.parent_sha == first.sha
    main = await world.repo.branch_head("main")
    rewritten = await world.repo.commit_to_branch(
        "evolve/x", changes=[FileChange("b.txt", "fresh\n")], message="again", onto="main"
    )
    assert rewritten.parent_sha == main
    assert await world.repo.branch_head("evolve/x") == rewritten.sha
    assert await world.file("evolve/x", "a.txt") is None
    assert await world.file("evolve/x", "b.txt") == b"fresh\n"


async def test_force_rewrite_of_someone_elses_branch_is_refused_before_any_call(
    world: World,
) -> None:
    start = len(world.sandbox.requests.records)
    with pytest.raises(ValueError, match="refusing to force-push 'main'"):
        await world.repo.commit_to_branch(
            "main", changes=[FileChange("a", "b")], message="m", onto="main"
        )
    assert world.calls(since=start, tokens=True) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([], "at least one file change"),
        ([FileChange("a.txt", "1"), FileChange("a.txt", "2")], "'a.txt' appears more than once"),
        ([FileChange("../etc/passwd", "x")], "'../etc/passwd' is not a repository-relative path"),
        ([FileChange("/abs.txt", "x")], "'/abs.txt' is not a repository-relative path"),
        ([FileChange(".git/config", "x")], "'.git/config' is not a repository-relative path"),
    ],
)
async def test_bad_changes_fail_clearly_before_any_call(
    world: World, changes: list[FileChange], message: str
) -> None:
    start = len(world.sandbox.requests.records)
    with pytest.raises(ValueError, match=message):
        await world.repo.create_branch("evolve/bad", base="main", changes=changes, message="m")
    assert world.calls(since=start, tokens=True) == []


async def test_existing_branch_name_fails_with_githubs_message(world: World) -> None:
    await world.repo.create_branch(
        "evolve/dup", base="main", changes=[FileChange("a", "1\n")], message="m"
    )
    with pytest.raises(GitHubError, match="422 Reference already exists") as caught:
        await world.repo.create_branch(
            "evolve/dup", base="main", changes=[FileChange("a", "2\n")], message="m"
        )
    assert caught.value.status == 422


# --- pull requests, comments, checks ------------------------------------------------------


async def open_pr(world: World, *, branch: str = "evolve/pr", draft: bool = False) -> Any:
    await world.repo.create_branch(
        branch,
        base="main",
        changes=[FileChange("src/app.py", "def main():\n    return 2\n")],
        message="Return 2",
    )
    return await world.repo.open_pull_request(
        head=branch,
        base="main",
        title="Return 2",
        body="Because.",
        draft=draft,
        labels=["evolve", "bot"],
    )


async def test_pull_request_opens_labelled_and_draft(world: World) -> None:
    pull = await open_pr(world, draft=True)
    assert (pull.draft, pull.state, pull.labels, pull.head_ref, pull.base_ref) == (
        True,
        "open",
        ("evolve", "bot"),
        "evolve/pr",
        "main",
    )
    assert pull.author == "evolve-bot[bot]"
    fetched = await world.repo.get_pull_request(pull.number)
    assert fetched.labels == ("evolve", "bot") and fetched.node_id == pull.node_id


async def test_pull_request_error_carries_githubs_message(world: World) -> None:
    with pytest.raises(GitHubError) as caught:
        await world.repo.open_pull_request(head="no-such-branch", base="main", title="t")
    assert caught.value.status == 422
    assert str(caught.value) == (
        "open pull request no-such-branch -> main in alice/demo: "
        "422 Validation Failed (resource=PullRequest, field=head, code=invalid)"
    )


async def test_comment_and_reactions(world: World) -> None:
    pull = await open_pr(world)
    comment = await world.repo.comment(pull.number, "I opened this **because** tests were slow.")
    assert comment.html_url.endswith(f"#issuecomment-{comment.id}")
    await world.repo.react_to_issue(pull.number, "rocket")
    await world.repo.react_to_comment(comment.id, "eyes")
    issue = world.sandbox.issue(world.sandbox.repo("alice/demo"), pull.number)
    assert [r.content for r in issue.reactions] == ["rocket"]
    stored = world.sandbox.issue_comment(world.sandbox.repo("alice/demo"), comment.id)
    assert stored.body == "I opened this **because** tests were slow."
    assert [r.content for r in stored.reactions] == ["eyes"]


async def test_check_run_is_created_then_completed_with_markdown(world: World) -> None:
    pull = await open_pr(world)
    run = await world.repo.create_check_run(
        name="evolve/gate",
        head_sha=pull.head_sha,
        title="Scoring",
        summary="## Score\n\n- confidence **72**",
    )
    assert (run.status, run.conclusion, run.summary) == (
        "in_progress",
        None,
        "## Score\n\n- confidence **72**",
    )
    done = await world.repo.update_check_run(
        run.id,
        conclusion="success",
        title="Passed",
        summary="## Passed\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    )
    assert (done.status, done.conclusion, done.title) == ("completed", "success", "Passed")
    runs = await world.repo.check_runs(pull.head_sha)
    assert [(r.name, r.conclusion, r.summary) for r in runs] == [
        ("evolve/gate", "success", done.summary)
    ]


async def test_oversized_check_summary_is_cut_with_a_visible_note(world: World) -> None:
    pull = await open_pr(world)
    run = await world.repo.create_check_run(
        name="big", head_sha=pull.head_sha, title="t", summary="x" * 70_000
    )
    assert run.summary is not None and len(run.summary) == CHECK_OUTPUT_LIMIT
    assert run.summary.endswith(
        "(truncated: GitHub limits a check run's summary to 65535 characters)"
    )


async def test_update_check_run_needs_title_and_summary_together(world: World) -> None:
    with pytest.raises(ValueError, match="both title and summary"):
        await world.repo.update_check_run(1, summary="only a summary")


async def test_combined_status_and_permission(world: World) -> None:
    pull = await open_pr(world)
    repo = world.sandbox.repo("alice/demo")
    alice = world.sandbox.user("alice")
    await world.sandbox.create_status(
        repo, pull.head_sha, creator=alice, state="failure", context="lint", description="2 errors"
    )
    status = await world.repo.combined_status(pull.head_sha)
    assert status.state == "failure"
    assert [(s.context, s.state, s.description) for s in status.statuses] == [
        ("lint", "failure", "2 errors")
    ]
    world.sandbox.add_user("bob")
    world.sandbox.grant(repo, "bob", "write")
    assert await world.repo.permission("alice") == "admin"
    assert await world.repo.permission("bob") == "write"
    assert await world.repo.permission("nobody-here") == "none"


async def test_compare_lists_the_changed_files(world: World) -> None:
    await world.repo.create_branch(
        "evolve/cmp",
        base="main",
        changes=[
            FileChange("new.txt", "n\n"),
            FileChange.delete("docs/guide.md"),
            FileChange("README.md", "# x\n"),
        ],
        message="m",
    )
    comparison = await world.repo.compare("main", "evolve/cmp")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 1, 0)
    assert {f.filename: f.status for f in comparison.files} == {
        "new.txt": "added",
        "docs/guide.md": "removed",
        "README.md": "modified",
    }


async def test_merge_close_and_delete_branch(world: World) -> None:
    draft = await open_pr(world, branch="evolve/draft", draft=True)
    refused = await world.repo.merge_pull_request(draft.number)
    assert not refused.merged and "draft" in refused.message
    closed = await world.repo.close_pull_request(draft.number)
    assert closed.state == "closed" and not closed.merged
    assert await world.repo.delete_branch("evolve/draft") is True
    assert await world.repo.delete_branch("evolve/draft") is False

    pull = await open_pr(world, branch="evolve/ready")
    stale = await world.repo.merge_pull_request(pull.number, sha="0" * 40)
    assert not stale.merged and "409" in stale.message
    merged = await world.repo.merge_pull_request(pull.number, method="squash", sha=pull.head_sha)
    assert merged.merged and merged.sha == await world.repo.branch_head("main")
    assert await world.file("main", "src/app.py") == b"def main():\n    return 2\n"


async def test_auto_merge_is_enabled_where_allowed_and_clearly_refused_where_not(
    world: World,
) -> None:
    world.sandbox.repo("alice/demo").required_checks = [
        "ci"
    ]  # pending, so auto-merge has something to wait for
    pull = await open_pr(world)
    enabled = await world.repo.enable_auto_merge(pull.number, method="squash")
    assert enabled.enabled and enabled.merge_method == "SQUASH"

    other = await open_pr(world, branch="evolve/other")
    world.sandbox.repo("alice/demo").allow_auto_merge = False
    refused = await world.repo.enable_auto_merge(other.number)
    assert not refused.enabled
    assert refused.reason == AUTO_MERGE_NOT_ALLOWED.format(repo="alice/demo")


async def test_auto_merge_on_an_already_mergeable_pr_says_why_not(world: World) -> None:
    world.sandbox.repo("alice/demo").required_checks = []
    pull = await open_pr(world)
    result = await world.repo.enable_auto_merge(pull.number)
    assert not result.enabled and "clean status" in result.reason


# --- tokens, retries, faults --------------------------------------------------------------


async def test_expired_token_is_replaced_once_and_the_call_goes_through(world: World) -> None:
    assert await world.repo.read_file("README.md", ref="main") is not None
    world.sandbox.expire_tokens()
    assert await world.repo.read_file("README.md", ref="main") is not None
    endpoints = world.calls(tokens=True)
    assert endpoints.count(TOKEN_ENDPOINT) == 2
    assert [
        r.status
        for r in world.sandbox.requests.records
        if r.endpoint.startswith("GET /repos/{owner}/{repo}/contents")
    ] == [200, 401, 200]


async def test_writes_are_serialised_and_reads_run_concurrently(
    world: World, tmp_path: Path
) -> None:
    in_flight = {"write": 0, "read": 0}
    peak = {"write": 0, "read": 0}

    async def on_request(request: httpx.Request) -> None:
        kind = "read" if request.method == "GET" else "write"
        request.extensions["evolve_kind"] = kind
        in_flight[kind] += 1
        peak[kind] = max(peak[kind], in_flight[kind])

    async def on_response(response: httpx.Response) -> None:
        in_flight[response.request.extensions["evolve_kind"]] -= 1

    sandbox_app = world.installation.app
    app = make_app(
        sandbox_app,
        world.base_url,
        Waits(),
        event_hooks={"request": [on_request], "response": [on_response]},
    )
    repo = InstallationClient(app, world.installation.id).repo("alice", "demo")
    await app.installation_token(world.installation.id)
    pull = await open_pr(world)
    # Slow every request down so that anything sent concurrently is in flight together.
    world.sandbox.faults.add("latency", latency=0.05, times=None)
    await asyncio.gather(
        *(repo.comment(pull.number, f"comment {i}") for i in range(6)),
        *(repo.react_to_issue(pull.number, c) for c in ("+1", "heart", "rocket")),
        *(repo.read_file("README.md", ref="main") for _ in range(6)),
    )
    assert peak["write"] == 1
    assert peak["read"] > 1
    issue = world.sandbox.issue(world.sandbox.repo("alice/demo"), pull.number)
    assert len(issue.reactions) == 3


async def scenario(world: World, *, name: str) -> None:
    """Branch + multi-file commit, PR, comment, check run: the loop's common path."""
    pull_branch = f"evolve/{name}"
    commit = await world.repo.create_branch(
        pull_branch,
        base="main",
        changes=[FileChange(f"{name}.txt", f"{name}\n"), FileChange("README.md", f"# {name}\n")],
        message=name,
    )
    pull = await world.repo.open_pull_request(
        head=pull_branch, base="main", title=name, labels=["evolve"]
    )
    await world.repo.comment(pull.number, f"about {name}")
    run = await world.repo.create_check_run(
        name="evolve", head_sha=commit.sha, title=name, summary="ok"
    )
    await world.repo.update_check_run(run.id, conclusion="success")
    assert pull.head_sha == commit.sha
    repo = world.sandbox.repo("alice/demo")
    assert len([i for i in repo.issues.values() if i.pull]) == 1
    assert [c.body for c in world.sandbox.world.comments.values()] == [f"about {name}"]


FAULTS = [
    pytest.param(
        {"kind": "error", "status": 500, "method": "POST", "path": "*/git/trees"},
        id="500-on-create-tree",
    ),
    pytest.param(
        {"kind": "error", "status": 502, "method": "POST", "path": "*/pulls"}, id="502-on-open-pr"
    ),
    pytest.param(
        {"kind": "error", "status": 503, "times": 3, "method": "GET", "path": "*/git/ref/*"},
        id="503x3",
    ),
    pytest.param(
        {"kind": "secondary_rate_limit", "retry_after": 1, "method": "POST", "path": "*/comments"},
        id="403-secondary",
    ),
    pytest.param(
        {"kind": "too_many_requests", "retry_after": 1, "method": "POST", "path": "*/check-runs"},
        id="429",
    ),
    pytest.param(
        {"kind": "primary_rate_limit", "retry_after": 1, "method": "POST", "path": "*/git/commits"},
        id="primary-limit",
    ),
    pytest.param({"kind": "latency", "latency": 0.1, "times": None}, id="latency"),
    pytest.param(
        {"kind": "drop", "method": "POST", "path": "*/pulls"}, id="dropped-connection-on-open-pr"
    ),
    pytest.param(
        {"kind": "drop", "method": "POST", "path": "*/access_tokens"}, id="dropped-token-request"
    ),
]


@pytest.mark.parametrize("fault", FAULTS)
async def test_every_fault_kind_is_survived(world: World, fault: dict[str, Any]) -> None:
    if fault["kind"] == "primary_rate_limit":
        world.waits.cap = 2.0  # this one must really wait for the window to roll over
    rule = world.sandbox.faults.add(**fault)
    await scenario(world, name="faulty")
    assert rule.hits >= 1
    faulted = [r for r in world.sandbox.requests.records if r.fault]
    if fault["kind"] != "latency":
        assert {r.fault for r in faulted} == {fault["kind"]}
        assert world.sleeps, "a failed call must have been waited on and retried"
    if fault["kind"] in ("secondary_rate_limit", "too_many_requests"):
        assert world.sleeps == [1.0]  # exactly what Retry-After said


async def test_primary_limit_an_hour_away_fails_fast_with_the_wait(world: World) -> None:
    world.sandbox.faults.add("primary_rate_limit", method="POST", path="*/comments", retry_after=3600)
    pull = await open_pr(world)
    with pytest.raises(
        RateLimited, match=r"comment on #1 in alice/demo: GitHub's rate limit asks for a \d+ s wait"
    ) as caught:
        await world.repo.comment(pull.number, "hello")
    assert caught.value.retry_after > 3000
    assert world.sleeps == []  # no worker sleeps for an hour: the caller reschedules


async def test_random_faults_of_every_kind_are_survived(world: World) -> None:
    world.sandbox.faults.randomly(
        seed=7,
        rate=0.25,
        kinds=("error", "secondary_rate_limit", "too_many_requests", "drop", "latency"),
        latency=0.05,
    )
    for rule in world.sandbox.faults.rules:
        rule.retry_after = 0
    await scenario(world, name="random")
    assert any(r.fault for r in world.sandbox.requests.records)


async def test_a_slow_answer_times_out_and_is_retried(world: World) -> None:
    app = make_app(world.installation.app, world.base_url, world.waits, timeout=0.3)
    repo = InstallationClient(app, world.installation.id).repo("alice", "demo")
    await app.installation_token(world.installation.id)
    world.sandbox.faults.add("latency", latency=1.0, method="GET", path="*/contents/*")
    readme = await repo.read_file("README.md", ref="main")
    assert readme is not None and readme.text == "# demo\n"
    assert len(world.sleeps) == 1


async def test_persistent_server_errors_give_up_with_a_readable_error(world: World) -> None:
    world.sandbox.faults.add("error", status=502, times=None, method="GET", path="*/contents/*")
    with pytest.raises(
        GitHubUnavailable, match=r"read README\.md at main in alice/demo: gave up after 5 attempts"
    ):
        await world.repo.read_file("README.md", ref="main")
    assert len(world.sleeps) == 4
