"""Every REST answer the sandbox gives matches GitHub's own description (@octokit/openapi)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.helpers.sandbox_world import FAILING_TEST, OpenApi, World, app_jwt



async def test_rest_answers_match_githubs_openapi_description(world: World, openapi: OpenApi) -> None:
    seen: list[tuple[str, str, int, Any]] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        if response.request.url.path.startswith(("/_sandbox", "/graphql")):
            return
        body = json.loads(response.content) if response.content else None
        seen.append((response.request.method, response.request.url.path, response.status_code, body))

    world.http.event_hooks["response"].append(record)
    http, auth, sb = world.http, world.auth, world.sb
    bearer = {"Authorization": f"Bearer {app_jwt(world.app)}"}
    await http.get("/app", headers=bearer)
    await http.get("/app/installations", headers=bearer)
    await http.get("/repos/alice/demo/installation", headers=bearer)
    await http.get("/installation/repositories", headers=auth)
    await http.get("/rate_limit", headers=auth)
    await http.get("/repos/alice/demo", headers=auth)
    await http.get("/repos/alice/demo/contents/calc.py", headers=auth)
    await http.get("/repos/alice/demo/contents/nope", headers=auth)
    await http.get("/repos/alice/demo/branches/main", headers=auth)
    main = (await http.get("/repos/alice/demo/git/ref/heads/main", headers=auth)).json()["object"]["sha"]
    await http.get("/repos/alice/demo/git/matching-refs/heads/", headers=auth)
    blob = (await http.post("/repos/alice/demo/git/blobs", headers=auth, json={"content": "x", "encoding": "utf-8"})).json()
    await http.get(f"/repos/alice/demo/git/blobs/{blob['sha']}", headers=auth)
    tree = (await http.post("/repos/alice/demo/git/trees", headers=auth, json={
        "base_tree": main,
        "tree": [{"path": "test_new.py", "mode": "100644", "type": "blob", "content": FAILING_TEST}, {"path": "README.md", "mode": "100644", "type": "blob", "sha": None}],
    })).json()
    await http.get(f"/repos/alice/demo/git/trees/{tree['sha']}?recursive=1", headers=auth)
    commit = (await http.post("/repos/alice/demo/git/commits", headers=auth, json={"message": "m", "tree": tree["sha"], "parents": [main]})).json()
    await http.get(f"/repos/alice/demo/git/commits/{commit['sha']}", headers=auth)
    await http.post("/repos/alice/demo/git/refs", headers=auth, json={"ref": "refs/heads/evolve", "sha": commit["sha"]})
    await http.patch("/repos/alice/demo/git/refs/heads/evolve", headers=auth, json={"sha": main})
    await http.patch("/repos/alice/demo/git/refs/heads/evolve", headers=auth, json={"sha": commit["sha"], "force": True})
    await http.get("/repos/alice/demo/commits", headers=auth)
    await http.get(f"/repos/alice/demo/commits/{commit['sha']}", headers=auth)
    await http.get(f"/repos/alice/demo/compare/main...evolve", headers=auth)
    await http.post("/repos/alice/demo/pulls", headers=auth, json={"title": "Evolve", "head": "evolve", "base": "main", "body": "b"})
    await http.post("/repos/alice/demo/pulls", headers=auth, json={"title": "Again", "head": "evolve", "base": "main"})
    await http.get("/repos/alice/demo/pulls?state=all", headers=auth)
    await http.get("/repos/alice/demo/pulls/1", headers=auth)
    await http.patch("/repos/alice/demo/pulls/1", headers=auth, json={"body": "better"})
    await http.get("/repos/alice/demo/pulls/1/files", headers=auth)
    await http.get("/repos/alice/demo/pulls/1/commits", headers=auth)
    await sb.review("alice/demo", 1, as_="alice", event="COMMENT", body="hm", comments=[{"path": "test_new.py", "line": 2, "body": "```suggestion\n    assert 1 + 1 == 2\n```"}])
    await http.get("/repos/alice/demo/pulls/1/reviews", headers=auth)
    comments = (await http.get("/repos/alice/demo/pulls/1/comments", headers=auth)).json()
    await http.get(f"/repos/alice/demo/pulls/comments/{comments[0]['id']}", headers=auth)
    await http.post(f"/repos/alice/demo/pulls/comments/{comments[0]['id']}/reactions", headers=auth, json={"content": "eyes"})
    comment = (await http.post("/repos/alice/demo/issues/1/comments", headers=auth, json={"body": "beep"})).json()
    await http.get("/repos/alice/demo/issues/1/comments", headers=auth)
    await http.get(f"/repos/alice/demo/issues/comments/{comment['id']}", headers=auth)
    await http.patch(f"/repos/alice/demo/issues/comments/{comment['id']}", headers=auth, json={"body": "boop"})
    await http.post(f"/repos/alice/demo/issues/comments/{comment['id']}/reactions", headers=auth, json={"content": "+1"})
    await http.get(f"/repos/alice/demo/issues/comments/{comment['id']}/reactions", headers=auth)
    await http.post("/repos/alice/demo/issues/1/reactions", headers=auth, json={"content": "rocket"})
    await http.post("/repos/alice/demo/issues/1/labels", headers=auth, json={"labels": ["evolution"]})
    await http.get("/repos/alice/demo/issues/1", headers=auth)
    run = (await http.post("/repos/alice/demo/check-runs", headers=auth, json={"name": "gate", "head_sha": commit["sha"], "status": "in_progress"})).json()
    await http.patch(f"/repos/alice/demo/check-runs/{run['id']}", headers=auth, json={"conclusion": "neutral", "output": {"title": "t", "summary": "s"}})
    await http.get(f"/repos/alice/demo/check-runs/{run['id']}", headers=auth)
    await sb.wait_ci("alice/demo", commit["sha"])
    await http.get(f"/repos/alice/demo/commits/{commit['sha']}/check-runs", headers=auth)
    await http.get(f"/repos/alice/demo/commits/{commit['sha']}/check-suites", headers=auth)
    await http.post(f"/repos/alice/demo/statuses/{commit['sha']}", headers=auth, json={"state": "success", "context": "lint"})
    await http.get("/repos/alice/demo/commits/evolve/status", headers=auth)
    await http.get("/repos/alice/demo/collaborators/bob/permission", headers=auth)
    await http.put("/repos/alice/demo/pulls/1/merge", headers=auth, json={"sha": "0" * 40})
    await http.put("/repos/alice/demo/pulls/1/merge", headers=auth, json={"merge_method": "merge"})
    await http.get("/repos/alice/demo/pulls/1/merge", headers=auth)
    await http.delete(f"/repos/alice/demo/issues/comments/{comment['id']}", headers=auth)
    await http.delete("/repos/alice/demo/git/refs/heads/evolve", headers=auth)
    await http.post(f"/app/installations/{world.installation.id}/access_tokens", headers=bearer)

    problems = [p for method, path, status, body in seen for p in openapi.errors(method, path, status, body)]
    assert len(seen) > 55
    assert not problems, "\n".join(problems)
