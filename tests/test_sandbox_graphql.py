"""GraphQL: pull request ids, autoMergeAllowed, and auto-merge that merges once required checks pass."""

from __future__ import annotations

from typing import Any

from bot.sandbox import Sandbox
from tests.helpers.sandbox_world import World


PR_QUERY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    autoMergeAllowed
    pullRequest(number: $number) { id number state mergeable headRefOid autoMergeRequest { mergeMethod enabledBy { login } } }
  }
}
"""
ENABLE = """
mutation($id: ID!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) {
    pullRequest { autoMergeRequest { mergeMethod } }
  }
}
"""


async def gql(world: World, query: str, **variables: Any) -> dict[str, Any]:
    response = await world.http.post("/graphql", headers=world.auth, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    assert response.headers["x-ratelimit-resource"] == "graphql"
    return response.json()


async def open_pr(world: World) -> str:
    world.sb.repo("alice/demo").ci_command = None  # checks come from the test, not CI
    await world.sb.push("alice/demo", as_="bob", branch="feature", files={"new.txt": "n\n"})
    await world.sb.open_pull_request("alice/demo", as_="bob", head="feature", title="Feature")
    data = await gql(world, PR_QUERY, owner="alice", name="demo", number=1)
    return data["data"]["repository"]["pullRequest"]["id"]


async def test_pull_request_node_id_and_auto_merge_allowed(world: World) -> None:
    node_id = await open_pr(world)
    data = (await gql(world, PR_QUERY, owner="alice", name="demo", number=1))["data"]["repository"]
    assert data["autoMergeAllowed"] is True
    assert data["pullRequest"]["state"] == "OPEN" and data["pullRequest"]["mergeable"] == "MERGEABLE"
    rest = await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)
    assert rest.json()["node_id"] == node_id
    by_node = await gql(world, "query($id: ID!) { node(id: $id) { ... on PullRequest { number } } }", id=node_id)
    assert by_node["data"]["node"]["number"] == 1


async def test_auto_merge_waits_for_required_checks_then_merges(world: World) -> None:
    node_id = await open_pr(world)
    enabled = await gql(world, ENABLE, id=node_id)
    assert "errors" not in enabled, enabled
    assert enabled["data"]["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"]["mergeMethod"] == "SQUASH"
    head = world.sb.repo("alice/demo").issues[1].pull.head_sha  # type: ignore[union-attr]
    failing = await world.http.post("/repos/alice/demo/check-runs", headers=world.auth, json={"name": "ci", "head_sha": head, "conclusion": "failure"})
    assert failing.status_code == 201
    assert (await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)).json()["state"] == "open"
    passing = await world.http.post("/repos/alice/demo/check-runs", headers=world.auth, json={"name": "ci", "head_sha": head, "conclusion": "success"})
    assert passing.status_code == 201
    pull = (await world.http.get("/repos/alice/demo/pulls/1", headers=world.auth)).json()
    assert pull["merged"] is True and pull["merged_by"]["login"] == "evolve[bot]"


async def test_auto_merge_on_a_clean_pull_request_is_refused(world: World) -> None:
    node_id = await open_pr(world)
    head = world.sb.repo("alice/demo").issues[1].pull.head_sha  # type: ignore[union-attr]
    await world.http.post("/repos/alice/demo/check-runs", headers=world.auth, json={"name": "ci", "head_sha": head, "conclusion": "success"})
    refused = await gql(world, ENABLE, id=node_id)
    assert refused["errors"][0]["type"] == "UNPROCESSABLE"
    assert refused["errors"][0]["message"] == "Pull request is in clean status"
    assert refused["data"]["enablePullRequestAutoMerge"] is None


async def test_graphql_errors_have_githubs_shape(world: World) -> None:
    missing = await gql(world, PR_QUERY, owner="alice", name="nope", number=1)
    assert missing["data"]["repository"] is None
    assert missing["errors"][0]["type"] == "NOT_FOUND" and missing["errors"][0]["path"] == ["repository"]
    unknown = await gql(world, "{ repository(owner: \"alice\", name: \"demo\") { stars } }")
    assert "Cannot query field 'stars'" in unknown["errors"][0]["message"]
    assert "data" not in unknown
    bad_node = await gql(world, ENABLE, id="PR_nope")
    assert bad_node["errors"][0]["type"] == "NOT_FOUND"
    anonymous = await world.http.post("/graphql", json={"query": "{ rateLimit { limit } }"})
    assert anonymous.status_code == 401


async def test_a_read_only_app_cannot_enable_auto_merge(world: World, sandbox: Sandbox) -> None:
    node_id = await open_pr(world)
    reader = sandbox.register_app(slug="reader", permissions={"pull_requests": "read"})
    inst = await sandbox.install(reader, account="alice", repos=["alice/demo"])
    token = sandbox.installation_token(inst).token
    response = await world.http.post("/graphql", headers={"Authorization": f"bearer {token}"}, json={"query": ENABLE, "variables": {"id": node_id}})
    assert response.json()["errors"][0]["type"] == "FORBIDDEN"
