"""The REST endpoints as githubkit and plain httpx see them: shapes, status codes, real git results."""

from __future__ import annotations

import base64
import subprocess
from typing import Any

import pytest
from githubkit import AppAuthStrategy, GitHub
from githubkit.cache import MemCacheStrategy
from githubkit.exception import RequestFailed

from tests.helpers.sandbox_world import World

def git_show(world: World, spec: str) -> str:
    repo = world.sb.repo("alice/demo")
    return subprocess.run(["git", f"--git-dir={repo.git.path}", "show", *spec.split()], capture_output=True, text=True, check=True).stdout


def client(world: World) -> GitHub[Any]:
    app_gh = GitHub(AppAuthStrategy(str(world.app.id), world.app.private_key_pem), base_url=world.url, http_cache=False, auto_retry=False, cache_strategy=MemCacheStrategy())
    return app_gh.with_auth(app_gh.auth.as_installation(world.installation.id))  # type: ignore[union-attr]


async def test_githubkit_builds_a_multi_file_commit_that_is_a_real_git_commit(world: World) -> None:
    gh = client(world)
    main = (await gh.rest.git.async_get_ref("alice", "demo", "heads/main")).parsed_data
    base_commit = (await gh.rest.git.async_get_commit("alice", "demo", main.object_.sha)).parsed_data
    blob = (await gh.rest.git.async_create_blob("alice", "demo", data={"content": base64.b64encode(b"\x00bin").decode(), "encoding": "base64"})).parsed_data
    tree = (
        await gh.rest.git.async_create_tree(
            "alice",
            "demo",
            data={
                "base_tree": base_commit.tree.sha,
                "tree": [
                    {"path": "calc.py", "mode": "100644", "type": "blob", "content": "def add(a, b):\n    return a + b + 0\n"},
                    {"path": "pkg/deep/new.py", "mode": "100644", "type": "blob", "content": "X = 1\n"},
                    {"path": "data.bin", "mode": "100644", "type": "blob", "sha": blob.sha},
                    {"path": "README.md", "mode": "100644", "type": "blob", "sha": None},
                ],
            },
        )
    ).parsed_data
    commit = (await gh.rest.git.async_create_commit("alice", "demo", data={"message": "Evolve calc", "tree": tree.sha, "parents": [main.object_.sha]})).parsed_data
    ref = (await gh.rest.git.async_create_ref("alice", "demo", data={"ref": "refs/heads/evolve/1", "sha": commit.sha})).parsed_data

    assert ref.object_.sha == commit.sha
    listing = git_show(world, f"--name-only --format= {commit.sha}").split()
    assert sorted(listing) == ["README.md", "calc.py", "data.bin", "pkg/deep/new.py"]
    assert git_show(world, f"{commit.sha}:calc.py") == "def add(a, b):\n    return a + b + 0\n"
    assert git_show(world, f"{commit.sha}:pkg/deep/new.py") == "X = 1\n"
    assert "README.md" not in git_show(world, f"{commit.sha}^{{tree}}")
    assert commit.author.name == "evolve[bot]"
    recursive = (await gh.rest.git.async_get_tree("alice", "demo", commit.sha, recursive="1")).parsed_data
    assert {"pkg", "pkg/deep", "pkg/deep/new.py"} <= {e.path for e in recursive.tree}
    contents = (await gh.rest.repos.async_get_content("alice", "demo", "pkg/deep/new.py", ref="evolve/1")).parsed_data
    assert base64.b64decode(contents.content) == b"X = 1\n"  # type: ignore[union-attr]


async def test_deleting_a_missing_path_in_a_tree_is_refused(world: World) -> None:
    main = (await world.http.get("/repos/alice/demo/git/ref/heads/main", headers=world.auth)).json()["object"]["sha"]
    response = await world.http.post(
        "/repos/alice/demo/git/trees", headers=world.auth,
        json={"base_tree": main, "tree": [{"path": "nope.txt", "mode": "100644", "type": "blob", "sha": None}]},
    )
    assert response.status_code == 422
    assert response.json()["message"] == "GitRPC::BadObjectState"


async def test_contents_missing_path_and_unknown_ref_are_404(world: World) -> None:
    missing = await world.http.get("/repos/alice/demo/contents/nope.py", headers=world.auth)
    assert missing.status_code == 404
    assert set(missing.json()) >= {"message", "documentation_url"}
    bad_ref = await world.http.get("/repos/alice/demo/contents/calc.py?ref=no-such-branch", headers=world.auth)
    assert bad_ref.status_code == 404
    listing = await world.http.get("/repos/alice/demo/contents/", headers=world.auth)
    assert {item["name"] for item in listing.json()} == {".github", "README.md", "calc.py", "test_calc.py"}  # .github: its CI workflow


async def test_ref_updates_need_fast_forward_unless_forced(world: World) -> None:
    sb = world.sb
    first = await sb.push("alice/demo", as_="bob", branch="topic", files={"a.txt": "1\n"})
    await sb.push("alice/demo", as_="bob", branch="topic", files={"a.txt": "2\n"})
    main = await sb.repo("alice/demo").git.ref("refs/heads/main")
    sideways = await world.http.patch("/repos/alice/demo/git/refs/heads/topic", headers=world.auth, json={"sha": main})
    assert sideways.status_code == 422
    assert sideways.json()["message"] == "Update is not a fast forward"
    forced = await world.http.patch("/repos/alice/demo/git/refs/heads/topic", headers=world.auth, json={"sha": first, "force": True})
    assert forced.status_code == 200 and forced.json()["object"]["sha"] == first
    again = await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/topic", "sha": first})
    assert again.status_code == 422 and again.json()["message"] == "Reference already exists"
    matching = await world.http.get("/repos/alice/demo/git/matching-refs/heads/to", headers=world.auth)
    assert [r["ref"] for r in matching.json()] == ["refs/heads/topic"]
    gone = await world.http.delete("/repos/alice/demo/git/refs/heads/topic", headers=world.auth)
    assert gone.status_code == 204
    assert (await world.http.get("/repos/alice/demo/git/ref/heads/topic", headers=world.auth)).status_code == 404
    twice = await world.http.delete("/repos/alice/demo/git/refs/heads/topic", headers=world.auth)
    assert twice.status_code == 422 and twice.json()["message"] == "Reference does not exist"


async def _commit_on_main(world: World, files: dict[str, str]) -> tuple[str, str]:
    """A commit on top of main with `files` changed (made through the git data API): (main, commit)."""
    main = (await world.http.get("/repos/alice/demo/git/ref/heads/main", headers=world.auth)).json()["object"]["sha"]
    entries = [{"path": path, "mode": "100644", "type": "blob", "content": text} for path, text in files.items()]
    tree = await world.http.post("/repos/alice/demo/git/trees", headers=world.auth, json={"base_tree": main, "tree": entries})
    commit = await world.http.post(
        "/repos/alice/demo/git/commits", headers=world.auth, json={"message": "Change", "tree": tree.json()["sha"], "parents": [main]}
    )
    assert commit.status_code == 201, commit.text  # objects are accepted: only publishing them is refused
    return main, commit.json()["sha"]


WORKFLOW = ".github/workflows/ci.yml"
WORKFLOW_REFUSAL = f"refusing to allow a GitHub App to create or update workflow `{WORKFLOW}` without `workflows` permission"


async def test_an_app_without_the_workflows_permission_cannot_publish_a_workflow_change(world: World) -> None:
    assert "workflows" not in world.installation.permissions
    main, commit = await _commit_on_main(world, {WORKFLOW: "on: push\n", "calc.py": "X = 1\n"})

    created = await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/ci", "sha": commit})
    assert created.status_code == 403 and created.json()["message"] == WORKFLOW_REFUSAL
    assert await world.sb.repo("alice/demo").git.ref("refs/heads/ci") is None
    moved = await world.http.patch("/repos/alice/demo/git/refs/heads/main", headers=world.auth, json={"sha": commit})
    assert moved.status_code == 403 and moved.json()["message"] == WORKFLOW_REFUSAL
    assert await world.sb.repo("alice/demo").git.ref("refs/heads/main") == main

    # Other files go through as before; and with `workflows: write` the workflow change does too.
    _, plain = await _commit_on_main(world, {"calc.py": "X = 2\n"})
    assert (await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/plain", "sha": plain})).status_code == 201
    world.installation.permissions["workflows"] = "write"
    world.token = await world.new_token()
    allowed = await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/ci", "sha": commit})
    assert allowed.status_code == 201, allowed.text


async def test_pull_request_lifecycle_through_githubkit(world: World) -> None:
    gh = client(world)
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="feature", files={"calc.py": "def add(a, b):\n    return b + a\n"}, message="Swap")
    created = (await gh.rest.pulls.async_create("alice", "demo", data={"title": "Swap", "head": "feature", "base": "main", "draft": True, "body": "b"})).parsed_data
    assert created.draft is True and created.number == 1 and created.user.login == "evolve[bot]"
    assert created.mergeable_state == "draft"
    listed = (await gh.rest.pulls.async_list("alice", "demo", state="open", head="alice:feature")).parsed_data
    assert [p.number for p in listed] == [1]
    assert (await gh.rest.pulls.async_list("alice", "demo", state="closed")).parsed_data == []
    files = (await gh.rest.pulls.async_list_files("alice", "demo", 1)).parsed_data
    assert [(f.filename, f.status, f.additions, f.deletions) for f in files] == [("calc.py", "modified", 1, 1)]
    assert "+    return b + a" in (files[0].patch or "")
    commits = (await gh.rest.pulls.async_list_commits("alice", "demo", 1)).parsed_data
    assert [c.commit.message for c in commits] == ["Swap"]
    with pytest.raises(RequestFailed) as draft:
        await gh.rest.pulls.async_merge("alice", "demo", 1)
    assert draft.value.response.status_code == 405
    updated = (await gh.rest.pulls.async_update("alice", "demo", 1, data={"title": "Swap operands"})).parsed_data
    assert updated.title == "Swap operands"
    sb.pull(sb.repo("alice/demo"), 1).pull.draft = False  # type: ignore[union-attr]
    with pytest.raises(RequestFailed) as stale:
        await gh.rest.pulls.async_merge("alice", "demo", 1, data={"sha": "0" * 40})
    assert stale.value.response.status_code == 409
    merged = (await gh.rest.pulls.async_merge("alice", "demo", 1, data={"merge_method": "squash"})).parsed_data
    assert merged.merged is True
    assert git_show(world, f"{merged.sha}:calc.py") == "def add(a, b):\n    return b + a\n"
    after = (await gh.rest.pulls.async_get("alice", "demo", 1)).parsed_data
    assert after.merged is True and after.state == "closed"
    raw = await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)
    assert raw.json()["merge_commit_sha"] == merged.sha


async def test_conflicting_pull_request_is_not_mergeable(world: World) -> None:
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="left", files={"calc.py": "LEFT\n"})
    await sb.push("alice/demo", as_="alice", branch="main", files={"calc.py": "RIGHT\n"})
    await sb.open_pull_request("alice/demo", as_="bob", head="left", title="Left")
    pr = await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)
    assert pr.json()["mergeable"] is False and pr.json()["mergeable_state"] == "dirty"
    merge = await world.http.put("/repos/alice/demo/pulls/1/merge", headers=world.auth, json={})
    assert merge.status_code == 405
    assert merge.json()["message"] == "Pull Request is not mergeable"


async def test_merge_commit_has_both_parents(world: World) -> None:
    sb = world.sb
    head = await sb.push("alice/demo", as_="bob", branch="feature", files={"new.txt": "n\n"})
    await sb.push("alice/demo", as_="alice", branch="main", files={"other.txt": "o\n"})
    await sb.open_pull_request("alice/demo", as_="bob", head="feature", title="New")
    merged = await world.http.put("/repos/alice/demo/pulls/1/merge", headers=world.auth, json={"sha": head})
    assert merged.status_code == 200, merged.text
    parents = git_show(world, f"--no-patch --format=%P {merged.json()['sha']}").split()
    assert parents[1] == head and len(parents) == 2


async def test_comments_reactions_and_reviews_with_suggestions(world: World) -> None:
    gh = client(world)
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="feature", files={"calc.py": "def add(a, b):\n    return a+b\n"})
    await sb.open_pull_request("alice/demo", as_="bob", head="feature", title="Tidy")
    comment = (await gh.rest.issues.async_create_comment("alice", "demo", 1, data={"body": "I am a bot"})).parsed_data
    assert comment.user.login == "evolve[bot]" and comment.performed_via_github_app is not None  # type: ignore[union-attr]
    first = await gh.rest.reactions.async_create_for_issue_comment("alice", "demo", comment.id, data={"content": "rocket"})
    second = await gh.rest.reactions.async_create_for_issue_comment("alice", "demo", comment.id, data={"content": "rocket"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.parsed_data.id == second.parsed_data.id
    bad = await world.http.post(f"/repos/alice/demo/issues/comments/{comment.id}/reactions", headers=world.auth, json={"content": "party"})
    assert bad.status_code == 422
    edited = (await gh.rest.issues.async_update_comment("alice", "demo", comment.id, data={"body": "edited"})).parsed_data
    assert edited.body == "edited"
    suggestion = "```suggestion\n    return a + b\n```"
    review = await sb.review("alice/demo", 1, as_="alice", event="REQUEST_CHANGES", body="Spacing", comments=[{"path": "calc.py", "line": 2, "body": suggestion}])
    reviews = (await gh.rest.pulls.async_list_reviews("alice", "demo", 1)).parsed_data
    assert [(r.id, r.state) for r in reviews] == [(review.id, "CHANGES_REQUESTED")]
    thread = (await gh.rest.pulls.async_list_review_comments("alice", "demo", 1)).parsed_data
    assert thread[0].body == suggestion and thread[0].line == 2 and thread[0].path == "calc.py"
    assert thread[0].diff_hunk.startswith("@@") and thread[0].diff_hunk.endswith("+    return a+b")
    reacted = await gh.rest.reactions.async_create_for_pull_request_review_comment("alice", "demo", thread[0].id, data={"content": "+1"})
    assert reacted.status_code == 201
    own = await world.http.post("/repos/alice/demo/pulls/1/reviews", headers=world.auth, json={"event": "APPROVE"})
    assert own.status_code == 200  # the bot did not open this PR, so it may approve
    outside = await world.http.post(
        "/repos/alice/demo/pulls/1/reviews", headers=world.auth,
        json={"event": "COMMENT", "body": "x", "comments": [{"path": "calc.py", "line": 40, "body": "far away"}]},
    )
    assert outside.status_code == 422
    labels = (await gh.rest.issues.async_add_labels("alice", "demo", 1, data={"labels": ["evolution"]})).parsed_data
    assert [lab.name for lab in labels] == ["evolution"]
    issue = (await gh.rest.issues.async_get("alice", "demo", 1)).parsed_data
    assert issue.pull_request is not None and issue.comments == 1
    deleted = await world.http.delete(f"/repos/alice/demo/issues/comments/{comment.id}", headers=world.auth)
    assert deleted.status_code == 204
    assert (await world.http.get(f"/repos/alice/demo/issues/comments/{comment.id}", headers=world.auth)).status_code == 404


async def test_bot_cannot_approve_its_own_pull_request(world: World) -> None:
    head = await world.sb.push("alice/demo", as_="bob", branch="feature", files={"x.txt": "x\n"})
    del head
    opened = await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "Mine", "head": "feature", "base": "main"})
    assert opened.status_code == 201
    approve = await world.http.post("/repos/alice/demo/pulls/1/reviews", headers=world.auth, json={"event": "APPROVE"})
    assert approve.status_code == 422
    assert approve.json()["errors"] == ["Can not approve your own pull request"]


async def test_pull_request_validation_errors(world: World) -> None:
    no_branch = await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "x", "head": "ghost", "base": "main"})
    assert no_branch.status_code == 422 and no_branch.json()["errors"][0]["field"] == "head"
    await world.sb.push("alice/demo", as_="bob", branch="same", files={}, message="empty")
    same = await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "x", "head": "same", "base": "main"})
    # An empty commit is still a commit, so this one opens; a branch equal to main does not.
    assert same.status_code == 201
    main = await world.sb.repo("alice/demo").git.ref("refs/heads/main")
    await world.http.post("/repos/alice/demo/git/refs", headers=world.auth, json={"ref": "refs/heads/equal", "sha": main})
    equal = await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "x", "head": "equal", "base": "main"})
    assert equal.status_code == 422
    assert equal.json()["errors"][0]["message"] == "No commits between main and equal"
    duplicate = await world.http.post("/repos/alice/demo/pulls", headers=world.auth, json={"title": "x", "head": "same", "base": "main"})
    assert "A pull request already exists" in duplicate.json()["errors"][0]["message"]
    broken = await world.http.post("/repos/alice/demo/pulls", headers={**world.auth, "Content-Type": "application/json"}, content=b"{nope")
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"


async def test_compare_and_commit_endpoints(world: World) -> None:
    gh = client(world)
    sb = world.sb
    base = await sb.repo("alice/demo").git.ref("refs/heads/main")
    await sb.push("alice/demo", as_="bob", branch="feature", files={"calc.py": None, "n.txt": "n\n"}, message="One")
    head = await sb.push("alice/demo", as_="bob", branch="feature", files={"m.txt": "m\n"}, message="Two")
    comparison = (await gh.rest.repos.async_compare_commits("alice", "demo", f"{base}...feature")).parsed_data
    assert (comparison.status, comparison.ahead_by, comparison.behind_by, comparison.total_commits) == ("ahead", 2, 0, 2)
    assert {(f.filename, f.status) for f in comparison.files or []} == {("calc.py", "removed"), ("n.txt", "added"), ("m.txt", "added")}
    commit = (await gh.rest.repos.async_get_commit("alice", "demo", head)).parsed_data
    assert commit.sha == head and [f.filename for f in commit.files or []] == ["m.txt"]
    missing = await world.http.get("/repos/alice/demo/commits/deadbeef", headers=world.auth)
    assert missing.status_code == 422


async def test_checks_and_statuses(world: World) -> None:
    gh = client(world)
    head = await world.sb.repo("alice/demo").git.ref("refs/heads/main")
    run = (await gh.rest.checks.async_create("alice", "demo", data={"name": "evolve/gate", "head_sha": head, "status": "in_progress"})).parsed_data
    assert run.status == "in_progress" and run.app.slug == "evolve"  # type: ignore[union-attr]
    done = (await gh.rest.checks.async_update("alice", "demo", run.id, data={"conclusion": "success", "output": {"title": "ok", "summary": "fine"}})).parsed_data
    assert done.status == "completed" and done.conclusion == "success"
    runs = (await gh.rest.checks.async_list_for_ref("alice", "demo", head, check_name="evolve/gate")).parsed_data
    assert [r.id for r in runs.check_runs] == [run.id]
    suites = (await gh.rest.checks.async_list_suites_for_ref("alice", "demo", head)).parsed_data
    assert any(s.app.slug == "evolve" and s.conclusion == "success" for s in suites.check_suites)  # type: ignore[union-attr]
    bad = await world.http.post("/repos/alice/demo/check-runs", headers=world.auth, json={"name": "x", "head_sha": head, "status": "completed"})
    assert bad.status_code == 422
    await gh.rest.repos.async_create_commit_status("alice", "demo", head, data={"state": "pending", "context": "lint"})
    await gh.rest.repos.async_create_commit_status("alice", "demo", head, data={"state": "failure", "context": "lint"})
    combined = (await gh.rest.repos.async_get_combined_status_for_ref("alice", "demo", "main")).parsed_data
    assert combined.state == "failure" and combined.total_count == 1


async def test_collaborator_permissions(world: World) -> None:
    gh = client(world)
    world.sb.add_user("carol")
    assert (await gh.rest.repos.async_get_collaborator_permission_level("alice", "demo", "alice")).parsed_data.permission == "admin"
    assert (await gh.rest.repos.async_get_collaborator_permission_level("alice", "demo", "bob")).parsed_data.permission == "write"
    assert (await gh.rest.repos.async_get_collaborator_permission_level("alice", "demo", "carol")).parsed_data.permission == "none"
    assert (await world.http.get("/repos/alice/demo/collaborators/nobody/permission", headers=world.auth)).status_code == 404


async def test_list_endpoints_paginate_with_link_headers(world: World) -> None:
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="feature", files={"x.txt": "x\n"})
    await sb.open_pull_request("alice/demo", as_="bob", head="feature", title="Chatty")
    for n in range(5):
        await sb.comment("alice/demo", 1, as_="alice", body=f"comment {n}")
    first = await world.http.get("/repos/alice/demo/issues/1/comments?per_page=2", headers=world.auth)
    assert [c["body"] for c in first.json()] == ["comment 0", "comment 1"]
    assert 'rel="next"' in first.headers["link"] and 'rel="last"' in first.headers["link"]
    assert "page=3" in first.headers["link"]
    last = await world.http.get("/repos/alice/demo/issues/1/comments?per_page=2&page=3", headers=world.auth)
    assert [c["body"] for c in last.json()] == ["comment 4"]
    assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]
    gh = client(world)
    everything = [c.body async for c in gh.rest.paginate(gh.rest.issues.async_list_comments, owner="alice", repo="demo", issue_number=1, per_page=2)]
    assert everything == [f"comment {n}" for n in range(5)]


async def test_every_response_carries_rate_limit_and_request_headers(world: World) -> None:
    ok = await world.http.get("/repos/alice/demo", headers=world.auth)
    missing = await world.http.get("/repos/alice/nothing", headers=world.auth)
    unknown = await world.http.get("/no/such/endpoint", headers=world.auth)
    for response in (ok, missing, unknown):
        for header in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used", "x-ratelimit-resource", "x-github-request-id", "x-github-api-version-selected"):
            assert header in response.headers, (response.request.url, header)
    assert int(missing.headers["x-ratelimit-used"]) == int(ok.headers["x-ratelimit-used"]) + 1
    assert missing.status_code == 404 and unknown.status_code == 404
    assert ok.headers["x-github-api-version-selected"] == "2022-11-28"
    newer = await world.http.get("/repos/alice/demo", headers={**world.auth, "X-GitHub-Api-Version": "2026-03-10"})
    assert newer.headers["x-github-api-version-selected"] == "2026-03-10"
    bogus = await world.http.get("/repos/alice/demo", headers={**world.auth, "X-GitHub-Api-Version": "1999-01-01"})
    assert bogus.status_code == 400
