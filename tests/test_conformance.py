"""The client's whole scenario through Prism, validating against GitHub's own OpenAPI description.

Prism (`prism proxy <spec> <sandbox> --errors`) sits between the client and the sandbox,
loaded with `api.github.com.json` from @octokit/openapi. The test fails on any request Prism
refuses (422, or 404 NO_PATH_MATCHED_ERROR) and on any response carrying `sl-violations`.
Both npm packages are pinned and installed once into ~/.cache/evolve-bot/npm/<versions>/ by
tests/helpers/prism.py; without Node/npm the test fails, unless EVOLVE_SKIP_PRISM=1 is set.
GraphQL is not in the REST description: its answers are checked against the shapes
githubkit parses (GraphQLResponse) and the fields our queries select.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from githubkit.graphql import GraphQLResponse

from bot.app_auth import AppCredentials, GitHubApp
from bot.github import AUTO_MERGE_QUERY, ENABLE_AUTO_MERGE, FileChange, InstallationClient
from bot.github_retry import RetryPolicy
from bot.revert import revert_pull_request
from bot.sandbox.sandbox import Sandbox
from tests.helpers.prism import PrismProxy, install_prism


@dataclass
class Verdicts:
    """Every exchange that went through Prism, and what Prism objected to."""

    exchanges: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    async def on_response(self, response: httpx.Response) -> None:
        request = response.request
        line = f"{request.method} {request.url.raw_path.decode()} -> {response.status_code}"
        self.exchanges.append(line)
        violations = response.headers.get("sl-violations")
        if violations:
            self.problems.append(f"{line}: sl-violations {violations}")
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            await response.aread()
            self.problems.append(f"{line}: Prism refused it: {response.text}")


# --- GraphQL: the shapes githubkit parses, and the fields our queries select -----------------

_STRING = {"type": "string", "minLength": 1}
_MERGE_METHOD = {"enum": ["MERGE", "SQUASH", "REBASE"]}
_AUTO_MERGE_REQUEST = {
    "type": ["object", "null"],
    "required": ["enabledAt", "mergeMethod"],
    "properties": {"enabledAt": {"type": ["string", "null"]}, "mergeMethod": _MERGE_METHOD},
}
AUTO_MERGE_QUERY_DATA = {
    "type": "object",
    "required": ["repository"],
    "properties": {
        "repository": {
            "type": "object",
            "required": ["autoMergeAllowed", "pullRequest"],
            "properties": {
                "autoMergeAllowed": {"type": "boolean"},
                "pullRequest": {
                    "type": "object",
                    "required": ["id", "autoMergeRequest"],
                    "properties": {"id": _STRING, "autoMergeRequest": _AUTO_MERGE_REQUEST},
                },
            },
        }
    },
}
ENABLE_AUTO_MERGE_DATA = {
    "type": "object",
    "required": ["enablePullRequestAutoMerge"],
    "properties": {
        "enablePullRequestAutoMerge": {
            "type": "object",
            "required": ["pullRequest"],
            "properties": {
                "pullRequest": {
                    "type": "object",
                    "required": ["number", "autoMergeRequest"],
                    "properties": {
                        "number": {"type": "integer"},
                        "autoMergeRequest": {**_AUTO_MERGE_REQUEST, "type": "object"},
                    },
                }
            },
        }
    },
}


async def graphql_exchange(
    installation: InstallationClient, query: str, variables: dict[str, Any]
) -> GraphQLResponse:
    """POST /graphql as githubkit does, parsed by githubkit's own GraphQLResponse model."""
    response = await installation.gh.arequest(
        "POST",
        "/graphql",
        json={"query": query, "variables": variables},
        response_model=GraphQLResponse,
    )
    assert response.status_code == 200, response.text
    return response.parsed_data


async def check_graphql(
    installation: InstallationClient, *, owner: str, name: str, number: int
) -> list[str]:
    """Run our auto-merge query and mutation; return every shape problem found."""
    problems: list[str] = []

    def check(what: str, data: Any, schema: dict[str, Any]) -> None:
        validator = jsonschema.Draft202012Validator(schema)
        problems.extend(
            f"GraphQL {what}: {e.json_path}: {e.message}" for e in validator.iter_errors(data)
        )

    query = await graphql_exchange(
        installation, AUTO_MERGE_QUERY, {"owner": owner, "name": name, "number": number}
    )
    if query.errors:
        problems.append(f"GraphQL auto-merge query answered errors: {query.errors}")
    check("auto-merge query", query.data, AUTO_MERGE_QUERY_DATA)
    if problems:
        return problems
    pull_id = query.data["repository"]["pullRequest"]["id"]  # type: ignore[index]
    mutation = await graphql_exchange(
        installation, ENABLE_AUTO_MERGE, {"id": pull_id, "method": "SQUASH"}
    )
    if mutation.errors:
        problems.append(f"GraphQL enablePullRequestAutoMerge answered errors: {mutation.errors}")
    check("enablePullRequestAutoMerge", mutation.data, ENABLE_AUTO_MERGE_DATA)
    # A refusal must come back the way GitHub sends it: HTTP 200, `errors` with a message.
    refused = await graphql_exchange(
        installation, ENABLE_AUTO_MERGE, {"id": "PR_doesnotexist", "method": "SQUASH"}
    )
    if not refused.errors or not all(e.message for e in refused.errors):
        problems.append(f"GraphQL refusal has no errors with messages: {refused}")
    return problems


# --- the scenario -----------------------------------------------------------------------------


async def run_scenario(app: GitHubApp, installation_id: int) -> None:
    """Token, reads, branch + multi-file commit, PR, comment, reactions, checks, merge, revert."""
    installation = InstallationClient(app, installation_id)
    repo = installation.repo("alice", "demo")
    await app.installation_token(installation_id)
    assert (await repo.repository()).default_branch == "main"
    files = await repo.read_files(["README.md", "src/app.py", "missing.txt"], ref="main")
    assert files["missing.txt"] is None and files["src/app.py"] is not None
    await repo.tree("main")
    commit = await repo.create_branch(
        "evolve/conformance",
        base="main",
        changes=[
            FileChange("src/app.py", "def main():\n    return 2\n"),
            FileChange("docs/new.md", "new\n"),
            FileChange.delete("docs/guide.md"),
        ],
        message="Evolve: return 2",
    )
    commit = await repo.commit_to_branch(
        "evolve/conformance", changes=[FileChange("docs/new.md", "newer\n")], message="again"
    )
    pull = await repo.open_pull_request(
        head="evolve/conformance",
        base="main",
        title="Return 2",
        body="Why: tests.",
        labels=["evolve"],
    )
    comment = await repo.comment(pull.number, "Opened by **evolve-bot**.")
    await repo.react_to_comment(comment.id, "eyes")
    run = await repo.create_check_run(
        name="evolve/gate", head_sha=commit.sha, title="Scoring", summary="## Score"
    )
    await repo.update_check_run(
        run.id, conclusion="success", title="Passed", summary="## Passed\n\n- 72/100"
    )
    assert [r.id for r in await repo.check_runs(commit.sha)] == [run.id]
    await repo.combined_status(commit.sha)
    assert await repo.permission("alice") == "admin"
    assert await repo.permission("nobody-at-all") == "none"
    await repo.compare("main", "evolve/conformance")
    assert (await repo.merge_pull_request(pull.number, method="squash", sha=commit.sha)).merged
    reverted = await revert_pull_request(repo, pull.number)
    assert reverted.branch is not None
    revert_pull = await repo.open_pull_request(
        head=reverted.branch.branch, base="main", title="Revert", draft=True
    )
    assert not (await repo.merge_pull_request(revert_pull.number)).merged  # a draft: GitHub's 405
    await repo.close_pull_request(revert_pull.number)
    assert await repo.delete_branch(reverted.branch.branch)
    assert not await repo.delete_branch(reverted.branch.branch)  # GitHub's 422 for a missing ref


async def test_scenario_conforms_to_githubs_openapi_description(
    prism: PrismProxy, tmp_path: Path
) -> None:
    verdicts = Verdicts()
    async with Sandbox(root=tmp_path / "sandbox", ci=False) as sandbox:
        sandbox_app = sandbox.register_app(slug="evolve-bot")
        await sandbox.create_repo(
            "alice/demo",
            files={
                "README.md": "# demo\n",
                "src/app.py": "def main():\n    return 1\n",
                "docs/guide.md": "g\n",
            },
            ci_command=None,
            required_checks=["ci"],
        )
        installation = await sandbox.install(sandbox_app, account="alice", repos=["alice/demo"])
        credentials = AppCredentials.from_pem(
            sandbox_app.id, private_key=sandbox_app.private_key_pem
        )
        async with sandbox.serve(sock=prism.upstream) as sandbox_url:
            prism_url = await prism.listening()
            # One attempt per call: with --errors Prism answers a violation with a 500, and a
            # retry would only repeat it.
            app = GitHubApp(
                credentials,
                base_url=prism_url,
                policy=RetryPolicy(max_attempts=1),
                event_hooks={"response": [verdicts.on_response]},
            )
            failure: BaseException | None = None
            try:
                await run_scenario(app, installation.id)
            except Exception as exc:  # reported below, with every verdict collected so far
                failure = exc
            # GraphQL is outside the REST description: straight to the sandbox, checked here.
            direct = GitHubApp(
                credentials, base_url=sandbox_url, policy=RetryPolicy(max_attempts=1)
            )
            helper = InstallationClient(direct, installation.id)
            await helper.repo("alice", "demo").create_branch(
                "evolve/graphql", base="main", changes=[FileChange("g.txt", "g\n")], message="g"
            )
            pull = await helper.repo("alice", "demo").open_pull_request(
                head="evolve/graphql", base="main", title="g"
            )
            graphql_problems = await check_graphql(
                helper, owner="alice", name="demo", number=pull.number
            )
    problems = verdicts.problems + graphql_problems
    if failure is not None and not problems:
        raise failure
    assert not problems, (
        f"{len(problems)} conformance problem(s):\n"
        + "\n".join(problems)
        + (f"\n\nThe scenario stopped at: {failure!r}" if failure else "")
    )
    assert len(verdicts.exchanges) >= 40, verdicts.exchanges


def test_without_node_the_conformance_test_fails_saying_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no node, no npm
    with pytest.raises(pytest.fail.Exception) as caught:
        install_prism()
    message = str(caught.value)
    assert "needs Node.js and npm" in message and "`node` is not on PATH" in message
    assert "EVOLVE_SKIP_PRISM=1" in message
