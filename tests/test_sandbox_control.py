"""The /_sandbox control API: everything a test or a person does, over plain HTTP."""

from __future__ import annotations

import httpx

from bot.sandbox import Sandbox
from bot.sandbox.workflows import ci_workflow
from tests.helpers.sandbox_world import PASSING_TEST, WEBHOOK_SECRET, Receiver, app_jwt


async def test_a_whole_story_over_http(sandbox: Sandbox, receiver: Receiver) -> None:
    async with sandbox.serve() as url, httpx.AsyncClient(base_url=url, timeout=60) as http:
        async def call(verb: str, path: str, /, **body: object) -> httpx.Response:
            response = await http.request(verb, f"/_sandbox{path}", json=body)
            assert response.status_code < 300, (path, response.text)
            return response

        await call("POST", "/users", login="alice")
        await call("POST", "/users", login="bob")
        app = (await call("POST", "/apps", slug="evolve", webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET)).json()
        assert "BEGIN RSA PRIVATE KEY" in app["private_key_pem"]
        await call("POST", "/repos", full_name="alice/demo", files={"test_ok.py": PASSING_TEST, ".github/workflows/ci.yml": ci_workflow("python -m pytest -q")}, private=True)
        await call("POST", "/repos/alice/demo/collaborators", login="bob", permission="write")
        inst = (await call("POST", "/installations", app_id=app["id"], account="alice", repos=["alice/demo"])).json()
        sha = (await call("POST", "/repos/alice/demo/push", **{"as": "bob", "branch": "feature", "files": {"a.txt": "a\n"}, "message": "Add a"})).json()["sha"]
        pull = (await call("POST", "/repos/alice/demo/pulls", **{"as": "bob", "head": "feature", "title": "Add a"})).json()
        assert pull["number"] == 1 and pull["head"]["sha"] == sha
        comment = (await call("POST", "/repos/alice/demo/issues/1/comments", **{"as": "alice", "body": "hi"})).json()
        await call("PATCH", f"/repos/alice/demo/issues/comments/{comment['id']}", **{"as": "alice", "body": "hello"})
        await call("POST", "/repos/alice/demo/reactions", **{"as": "bob", "content": "heart", "comment_id": comment["id"]})
        await call("DELETE", f"/repos/alice/demo/issues/comments/{comment['id']}", **{"as": "alice"})
        await call("POST", "/repos/alice/demo/issues/1/labels", **{"as": "alice", "labels": ["evolution"]})
        review = (await call("POST", "/repos/alice/demo/pulls/1/reviews", **{"as": "alice", "event": "APPROVE", "body": "ok"})).json()
        assert review["state"] == "APPROVED"
        run = (await http.get(f"/_sandbox/repos/alice/demo/ci/{sha}")).json()
        assert run["conclusion"] == "success"
        await call("POST", "/repos/alice/demo/issues/1/close", **{"as": "alice"})
        await call("POST", "/repos/alice/demo/issues/1/reopen", **{"as": "alice"})
        merged = (await call("POST", "/repos/alice/demo/pulls/1/merge", **{"as": "alice", "method": "rebase"})).json()
        assert merged["merged"] is True
        await call("POST", "/deliveries/wait")
        index = (await http.get("/_sandbox")).json()
        assert index["repos"] == ["alice/demo"] and "POST   /_sandbox/repos" in index["routes"]

        # The app's key works against the REST API of the same server.
        token = await http.post(f"/app/installations/{inst['id']}/access_tokens", headers={"Authorization": f"Bearer {app_jwt(sandbox.world.apps[app['id']])}"})
        pulled = await http.get("/repos/alice/demo/pulls/1", headers={"Authorization": f"token {token.json()['token']}"})
        assert pulled.json()["merged"] is True
    actions = [(r.event, r.action) for r in receiver.got if r.event in ("pull_request", "issue_comment")]
    assert ("pull_request", "reopened") in actions and ("issue_comment", "deleted") in actions


async def test_control_errors_are_readable(sandbox: Sandbox) -> None:
    async with sandbox.serve() as url, httpx.AsyncClient(base_url=url) as http:
        missing = await http.post("/_sandbox/users", json={})
        assert missing.status_code == 422 and missing.json()["message"] == "missing field 'login'"
        await http.post("/_sandbox/users", json={"login": "alice"})
        taken = await http.post("/_sandbox/users", json={"login": "alice"})
        assert taken.status_code == 422 and "taken" in taken.json()["message"]
        nobody = await http.post("/_sandbox/repos/alice/none/push", json={"as": "alice", "branch": "b", "files": {}})
        assert nobody.status_code == 404 and "no repository" in nobody.json()["message"]
        unknown = await http.get("/_sandbox/nothing")
        assert unknown.status_code == 404
        await http.post("/_sandbox/repos", json={"full_name": "alice/r", "files": {"a": "a"}, "ci_command": None})
        await http.post("/_sandbox/users", json={"login": "mallory"})
        refused = await http.post("/_sandbox/repos/alice/r/push", json={"as": "mallory", "branch": "main", "files": {"a": "b"}})
        assert refused.status_code == 403 and refused.json()["message"] == "Must have push access to alice/r"
