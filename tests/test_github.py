"""The GitHub client against the sandbox: operations, call counts, write serialisation, faults."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.github import (
    AUTO_MERGE_NOT_ALLOWED,
    CHECK_OUTPUT_LIMIT,
    FileChange,
    InstallationClient,
)
from bot.github_retry import GitHubError, GitHubUnavailable, RateLimited
from tests.helpers.github_world import FILES, TOKEN_ENDPOINT, GitHubWorld, Waits, make_app

# --- reading ------------------------------------------------------------------------------


async def test_read_file_gives_bytes_and_none_when_missing(github: GitHubWorld) -> None:
    readme = await github.repo.read_file("README.md", ref="main")
    assert readme is not None and readme.text == "# demo\n"
    assert await github.repo.read_file("nope.md", ref="main") is None
    nested = await github.repo.read_file("src/app.py", ref="main")
    assert nested is not None and nested.content == FILES["src/app.py"].encode()


async def test_read_file_of_a_directory_or_unknown_ref_is_an_error(github: GitHubWorld) -> None:
    with pytest.raises(GitHubError, match="src at main is a directory"):
        await github.repo.read_file("src", ref="main")
    with pytest.raises(GitHubError, match="404"):
        await github.repo.read_file("README.md", ref="no-such-branch")


async def test_read_files_reads_several_at_once(github: GitHubWorld) -> None:
    files = await github.repo.read_files(["README.md", "missing.txt", "docs/guide.md"], ref="main")
    assert {p: (f.text if f else None) for p, f in files.items()} == {
        "README.md": "# demo\n",
        "missing.txt": None,
        "docs/guide.md": "guide\n",
    }


async def test_tree_maps_every_path_to_mode_and_sha(github: GitHubWorld) -> None:
    tree = await github.repo.tree("main")
    blobs = tree.blobs()
    assert set(blobs) == set(FILES)
    readme = await github.repo.read_file("README.md", ref="main")
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


async def test_hundred_file_branch_takes_five_calls_after_the_token(github: GitHubWorld) -> None:
    await github.app.installation_token(github.installation.id)
    start = len(github.sandbox.requests.records)
    commit = await github.repo.create_branch(
        "evolve/hundred", base="main", changes=hundred_changes(), message="Evolve 100 files"
    )
    assert github.calls(since=start) == [
        "GET /repos/{owner}/{repo}/git/ref/{ref}",
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
        "POST /repos/{owner}/{repo}/git/trees",
        "POST /repos/{owner}/{repo}/git/commits",
        "POST /repos/{owner}/{repo}/git/refs",
    ]
    assert await github.file("evolve/hundred", "gen/new_059.txt") == b"file 59\n"
    assert await github.file("evolve/hundred", "gen/bytes_035.txt") == b"bytes 35\n"
    assert await github.file("evolve/hundred", "README.md") == b"# demo, evolved\n"
    assert await github.file("evolve/hundred", "docs/guide.md") is None
    assert await github.file("main", "docs/guide.md") == b"guide\n"  # main untouched
    assert commit.parent_sha == await github.sandbox.repo("alice/demo").git.resolve("main")


async def test_branch_from_a_sha_skips_the_ref_lookup(github: GitHubWorld) -> None:
    head = await github.repo.branch_head("main")
    start = len(github.sandbox.requests.records)
    await github.repo.create_branch(
        "evolve/from-sha", base=head, changes=[FileChange("x.txt", "x\n")], message="m"
    )
    assert len(github.calls(since=start)) == 4


async def test_executable_files_stay_executable_when_changed(github: GitHubWorld) -> None:
    await github.repo.create_branch(
        "evolve/exec",
        base="main",
        changes=[FileChange("run.sh", "#!/bin/sh\n", mode="100755")],
        message="add",
    )
    await github.repo.commit_to_branch(
        "evolve/exec", changes=[FileChange("run.sh", "#!/bin/sh\necho hi\n")], message="edit"
    )
    entry = await github.sandbox.repo("alice/demo").git.entry_at(
        await github.repo.branch_head("evolve/exec"), "run.sh"
    )
    assert entry is not None and entry.mode == "100755"


async def test_binary_content_goes_through_a_blob(github: GitHubWorld) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    start = len(github.sandbox.requests.records)
    await github.repo.create_branch(
        "evolve/bin", base="main", changes=[FileChange("logo.png", png)], message="logo"
    )
    assert "POST /repos/{owner}/{repo}/git/blobs" in github.calls(since=start)
    assert await github.file("evolve/bin", "logo.png") == png


async def test_commit_to_branch_fast_forwards_then_force_rewrites_the_bots_branch(
    github: GitHubWorld,
) -> None:
    first = await github.repo.create_branch(
        "evolve/x", base="main", changes=[FileChange("a.txt", "1\n")], message="one"
    )
    second = await github.repo.commit_to_branch(
        "evolve/x", changes=[FileChange("a.txt", "2\n")], message="two"
    )
    assert second.parent_sha == first.sha
    main = await github.repo.branch_head("main")
    rewritten = await github.repo.commit_to_branch(
        "evolve/x", changes=[FileChange("b.txt", "fresh\n")], message="again", onto="main"
    )
    assert rewritten.parent_sha == main
    assert await github.repo.branch_head("evolve/x") == rewritten.sha
    assert await github.file("evolve/x", "a.txt") is None
    assert await github.file("evolve/x", "b.txt") == b"fresh\n"


async def test_force_rewrite_of_someone_elses_branch_is_refused_before_any_call(
    github: GitHubWorld,
) -> None:
    start = len(github.sandbox.requests.records)
    with pytest.raises(ValueError, match="refusing to force-push 'main'"):
        await github.repo.commit_to_branch(
            "main", changes=[FileChange("a", "b")], message="m", onto="main"
        )
    assert github.calls(since=start, tokens=True) == []


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
    github: GitHubWorld, changes: list[FileChange], message: str
) -> None:
    start = len(github.sandbox.requests.records)
    with pytest.raises(ValueError, match=message):
        await github.repo.create_branch("evolve/bad", base="main", changes=changes, message="m")
    assert github.calls(since=start, tokens=True) == []


async def test_existing_branch_name_fails_with_githubs_message(github: GitHubWorld) -> None:
    await github.repo.create_branch(
        "evolve/dup", base="main", changes=[FileChange("a", "1\n")], message="m"
    )
    with pytest.raises(GitHubError, match="422 Reference already exists") as caught:
        await github.repo.create_branch(
            "evolve/dup", base="main", changes=[FileChange("a", "2\n")], message="m"
        )
    assert caught.value.status == 422


# --- pull requests, comments, checks ------------------------------------------------------


async def open_pr(github: GitHubWorld, *, branch: str = "evolve/pr", draft: bool = False) -> Any:
    await github.repo.create_branch(
        branch,
        base="main",
        changes=[FileChange("src/app.py", "def main():\n    return 2\n")],
        message="Return 2",
    )
    return await github.repo.open_pull_request(
        head=branch,
        base="main",
        title="Return 2",
        body="Because.",
        draft=draft,
        labels=["evolve", "bot"],
    )


async def test_pull_request_opens_labelled_and_draft(github: GitHubWorld) -> None:
    pull = await open_pr(github, draft=True)
    assert (pull.draft, pull.state, pull.labels, pull.head_ref, pull.base_ref) == (
        True,
        "open",
        ("evolve", "bot"),
        "evolve/pr",
        "main",
    )
    assert pull.author == "evolve-bot[bot]"
    fetched = await github.repo.get_pull_request(pull.number)
    assert fetched.labels == ("evolve", "bot") and fetched.node_id == pull.node_id


async def test_pull_request_error_carries_githubs_message(github: GitHubWorld) -> None:
    with pytest.raises(GitHubError) as caught:
        await github.repo.open_pull_request(head="no-such-branch", base="main", title="t")
    assert caught.value.status == 422
    assert str(caught.value) == (
        "open pull request no-such-branch -> main in alice/demo: "
        "422 Validation Failed (resource=PullRequest, field=head, code=invalid)"
    )


async def test_comment_and_reactions(github: GitHubWorld) -> None:
    pull = await open_pr(github)
    comment = await github.repo.comment(pull.number, "I opened this **because** tests were slow.")
    assert comment.html_url.endswith(f"#issuecomment-{comment.id}")
    await github.repo.react_to_comment(comment.id, "eyes")
    stored = github.sandbox.issue_comment(github.sandbox.repo("alice/demo"), comment.id)
    assert stored.body == "I opened this **because** tests were slow."
    assert [r.content for r in stored.reactions] == ["eyes"]


async def test_check_run_is_created_then_completed_with_markdown(github: GitHubWorld) -> None:
    pull = await open_pr(github)
    run = await github.repo.create_check_run(
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
    done = await github.repo.update_check_run(
        run.id,
        conclusion="success",
        title="Passed",
        summary="## Passed\n\n| a | b |\n|---|---|\n| 1 | 2 |",
    )
    assert (done.status, done.conclusion, done.title) == ("completed", "success", "Passed")
    runs = await github.repo.check_runs(pull.head_sha)
    assert [(r.name, r.conclusion, r.summary) for r in runs] == [
        ("evolve/gate", "success", done.summary)
    ]


async def test_oversized_check_summary_is_cut_with_a_visible_note(github: GitHubWorld) -> None:
    pull = await open_pr(github)
    run = await github.repo.create_check_run(
        name="big", head_sha=pull.head_sha, title="t", summary="x" * 70_000
    )
    assert run.summary is not None and len(run.summary) == CHECK_OUTPUT_LIMIT
    assert run.summary.endswith(
        "(truncated: GitHub limits a check run's summary to 65535 characters)"
    )


async def test_update_check_run_needs_title_and_summary_together(github: GitHubWorld) -> None:
    with pytest.raises(ValueError, match="both title and summary"):
        await github.repo.update_check_run(1, summary="only a summary")


async def test_combined_status_and_permission(github: GitHubWorld) -> None:
    pull = await open_pr(github)
    repo = github.sandbox.repo("alice/demo")
    alice = github.sandbox.user("alice")
    await github.sandbox.create_status(
        repo, pull.head_sha, creator=alice, state="failure", context="lint", description="2 errors"
    )
    status = await github.repo.combined_status(pull.head_sha)
    assert status.state == "failure"
    assert [(s.context, s.state, s.description) for s in status.statuses] == [
        ("lint", "failure", "2 errors")
    ]
    github.sandbox.add_user("bob")
    github.sandbox.grant(repo, "bob", "write")
    assert await github.repo.permission("alice") == "admin"
    assert await github.repo.permission("bob") == "write"
    assert await github.repo.permission("nobody-here") == "none"


async def test_compare_lists_the_changed_files(github: GitHubWorld) -> None:
    await github.repo.create_branch(
        "evolve/cmp",
        base="main",
        changes=[
            FileChange("new.txt", "n\n"),
            FileChange.delete("docs/guide.md"),
            FileChange("README.md", "# x\n"),
        ],
        message="m",
    )
    comparison = await github.repo.compare("main", "evolve/cmp")
    assert (comparison.status, comparison.ahead_by, comparison.behind_by) == ("ahead", 1, 0)
    assert {f.filename: f.status for f in comparison.files} == {
        "new.txt": "added",
        "docs/guide.md": "removed",
        "README.md": "modified",
    }


async def test_merge_close_and_delete_branch(github: GitHubWorld) -> None:
    draft = await open_pr(github, branch="evolve/draft", draft=True)
    refused = await github.repo.merge_pull_request(draft.number)
    assert not refused.merged and "draft" in refused.message
    closed = await github.repo.close_pull_request(draft.number)
    assert closed.state == "closed" and not closed.merged
    assert await github.repo.delete_branch("evolve/draft") is True
    assert await github.repo.delete_branch("evolve/draft") is False

    pull = await open_pr(github, branch="evolve/ready")
    stale = await github.repo.merge_pull_request(pull.number, sha="0" * 40)
    assert not stale.merged and "409" in stale.message
    merged = await github.repo.merge_pull_request(pull.number, method="squash", sha=pull.head_sha)
    assert merged.merged and merged.sha == await github.repo.branch_head("main")
    assert await github.file("main", "src/app.py") == b"def main():\n    return 2\n"


async def test_auto_merge_is_enabled_where_allowed_and_clearly_refused_where_not(
    github: GitHubWorld,
) -> None:
    github.sandbox.repo("alice/demo").required_checks = [
        "ci"
    ]  # pending, so auto-merge has something to wait for
    pull = await open_pr(github)
    enabled = await github.repo.enable_auto_merge(pull.number, method="squash")
    assert enabled.enabled and enabled.merge_method == "SQUASH"

    other = await open_pr(github, branch="evolve/other")
    github.sandbox.repo("alice/demo").allow_auto_merge = False
    refused = await github.repo.enable_auto_merge(other.number)
    assert not refused.enabled
    assert refused.reason == AUTO_MERGE_NOT_ALLOWED.format(repo="alice/demo")


async def test_auto_merge_on_an_already_mergeable_pr_says_why_not(github: GitHubWorld) -> None:
    github.sandbox.repo("alice/demo").required_checks = []
    pull = await open_pr(github)
    result = await github.repo.enable_auto_merge(pull.number)
    assert not result.enabled and "clean status" in result.reason


# --- tokens, retries, faults --------------------------------------------------------------


async def test_expired_token_is_replaced_once_and_the_call_goes_through(github: GitHubWorld) -> None:
    assert await github.repo.read_file("README.md", ref="main") is not None
    github.sandbox.expire_tokens()
    assert await github.repo.read_file("README.md", ref="main") is not None
    endpoints = github.calls(tokens=True)
    assert endpoints.count(TOKEN_ENDPOINT) == 2
    assert [
        r.status
        for r in github.sandbox.requests.records
        if r.endpoint.startswith("GET /repos/{owner}/{repo}/contents")
    ] == [200, 401, 200]


async def test_writes_are_serialised_and_reads_run_concurrently(
    github: GitHubWorld, tmp_path: Path
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

    sandbox_app = github.installation.app
    app = make_app(
        sandbox_app,
        github.base_url,
        Waits(),
        event_hooks={"request": [on_request], "response": [on_response]},
    )
    repo = InstallationClient(app, github.installation.id).repo("alice", "demo")
    await app.installation_token(github.installation.id)
    pull = await open_pr(github)
    target = await repo.comment(pull.number, "react to this")
    # Slow every request down so that anything sent concurrently is in flight together.
    github.sandbox.faults.add("latency", latency=0.05, times=None)
    await asyncio.gather(
        *(repo.comment(pull.number, f"comment {i}") for i in range(6)),
        *(repo.react_to_comment(target.id, c) for c in ("+1", "heart", "rocket")),
        *(repo.read_file("README.md", ref="main") for _ in range(6)),
    )
    assert peak["write"] == 1
    assert peak["read"] > 1
    stored = github.sandbox.issue_comment(github.sandbox.repo("alice/demo"), target.id)
    assert len(stored.reactions) == 3


async def scenario(github: GitHubWorld, *, name: str) -> None:
    """Branch + multi-file commit, PR, comment, check run: the loop's common path."""
    pull_branch = f"evolve/{name}"
    commit = await github.repo.create_branch(
        pull_branch,
        base="main",
        changes=[FileChange(f"{name}.txt", f"{name}\n"), FileChange("README.md", f"# {name}\n")],
        message=name,
    )
    pull = await github.repo.open_pull_request(
        head=pull_branch, base="main", title=name, labels=["evolve"]
    )
    await github.repo.comment(pull.number, f"about {name}")
    run = await github.repo.create_check_run(
        name="evolve", head_sha=commit.sha, title=name, summary="ok"
    )
    await github.repo.update_check_run(run.id, conclusion="success")
    assert pull.head_sha == commit.sha
    repo = github.sandbox.repo("alice/demo")
    assert len([i for i in repo.issues.values() if i.pull]) == 1
    assert [c.body for c in github.sandbox.world.comments.values()] == [f"about {name}"]


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
async def test_every_fault_kind_is_survived(github: GitHubWorld, fault: dict[str, Any]) -> None:
    if fault["kind"] == "primary_rate_limit":
        github.waits.cap = 2.0  # this one must really wait for the window to roll over
    rule = github.sandbox.faults.add(**fault)
    await scenario(github, name="faulty")
    assert rule.hits >= 1
    faulted = [r for r in github.sandbox.requests.records if r.fault]
    if fault["kind"] != "latency":
        assert {r.fault for r in faulted} == {fault["kind"]}
        assert github.sleeps, "a failed call must have been waited on and retried"
    if fault["kind"] in ("secondary_rate_limit", "too_many_requests"):
        assert github.sleeps == [1.0]  # exactly what Retry-After said


async def test_primary_limit_an_hour_away_fails_fast_with_the_wait(github: GitHubWorld) -> None:
    github.sandbox.faults.add("primary_rate_limit", method="POST", path="*/comments", retry_after=3600)
    pull = await open_pr(github)
    with pytest.raises(
        RateLimited, match=r"comment on #1 in alice/demo: GitHub's rate limit asks for a \d+ s wait"
    ) as caught:
        await github.repo.comment(pull.number, "hello")
    assert caught.value.retry_after > 3000
    assert github.sleeps == []  # no worker sleeps for an hour: the caller reschedules


async def test_random_faults_of_every_kind_are_survived(github: GitHubWorld) -> None:
    github.sandbox.faults.randomly(
        seed=7,
        rate=0.25,
        kinds=("error", "secondary_rate_limit", "too_many_requests", "drop", "latency"),
        latency=0.05,
    )
    for rule in github.sandbox.faults.rules:
        rule.retry_after = 0
    await scenario(github, name="random")
    assert any(r.fault for r in github.sandbox.requests.records)


async def test_a_slow_answer_times_out_and_is_retried(github: GitHubWorld) -> None:
    app = make_app(github.installation.app, github.base_url, github.waits, timeout=0.3)
    repo = InstallationClient(app, github.installation.id).repo("alice", "demo")
    await app.installation_token(github.installation.id)
    github.sandbox.faults.add("latency", latency=1.0, method="GET", path="*/contents/*")
    readme = await repo.read_file("README.md", ref="main")
    assert readme is not None and readme.text == "# demo\n"
    assert len(github.sleeps) == 1


async def test_persistent_server_errors_give_up_with_a_readable_error(github: GitHubWorld) -> None:
    github.sandbox.faults.add("error", status=502, times=None, method="GET", path="*/contents/*")
    with pytest.raises(
        GitHubUnavailable, match=r"read README\.md at main in alice/demo: gave up after 5 attempts"
    ):
        await github.repo.read_file("README.md", ref="main")
    assert len(github.sleeps) == 4
