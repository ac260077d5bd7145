"""A slice of GitHub's GraphQL API: repositories, pull requests and auto-merge, with GitHub-shaped errors."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, build_schema, graphql
from starlette.responses import Response

from bot.sandbox.auth import NOT_ACCESSIBLE, Caller
from bot.sandbox.model import PERMISSION_LEVELS, Account, ApiError, Issue, Repo, iso
from bot.sandbox.routing import Endpoint, RoutedRequest, reply

DOCS_GRAPHQL = "https://docs.github.com/graphql"
NEEDS_AUTH = "This endpoint requires you to be authenticated."
NO_QUERY = "A query attribute must be specified and must be a string."
REPO_NOT_FOUND = "Could not resolve to a Repository with the name '{name}'."
PULL_NOT_FOUND = "Could not resolve to a PullRequest with the number of {number}."
NODE_NOT_FOUND = "Could not resolve to a node with the global id of '{id}'"
AUTO_MERGE_NOT_ALLOWED = "Pull request Auto merge is not allowed for this repository"
CLEAN_STATUS = "Pull request is in clean status"
NOT_OPEN = "Pull request is not open"
HEAD_OID_MISMATCH = "Head sha didn't match expected head sha"
AUTO_MERGE_DRAFT = "Pull request is in draft state"

SCHEMA = build_schema(
    """
    scalar URI
    scalar DateTime
    scalar GitObjectID

    interface Node { id: ID! }
    interface Actor { login: String! avatarUrl: URI! url: URI! }

    type User implements Node & Actor { id: ID! login: String! avatarUrl: URI! url: URI! databaseId: Int }
    type Bot implements Node & Actor { id: ID! login: String! avatarUrl: URI! url: URI! databaseId: Int }

    enum PullRequestState { OPEN CLOSED MERGED }
    enum MergeableState { MERGEABLE CONFLICTING UNKNOWN }
    enum PullRequestMergeMethod { MERGE SQUASH REBASE }

    type Ref { name: String! prefix: String! }

    type AutoMergeRequest {
      enabledAt: DateTime
      enabledBy: Actor
      mergeMethod: PullRequestMergeMethod!
      commitHeadline: String
      commitBody: String
      pullRequest: PullRequest!
    }

    type PullRequest implements Node {
      id: ID!
      databaseId: Int
      number: Int!
      title: String!
      body: String!
      url: URI!
      state: PullRequestState!
      isDraft: Boolean!
      merged: Boolean!
      mergedAt: DateTime
      mergeable: MergeableState!
      headRefName: String!
      headRefOid: GitObjectID!
      baseRefName: String!
      baseRefOid: GitObjectID!
      author: Actor
      autoMergeRequest: AutoMergeRequest
      viewerCanEnableAutoMerge: Boolean!
      repository: Repository!
    }

    type Repository implements Node {
      id: ID!
      databaseId: Int
      name: String!
      nameWithOwner: String!
      isPrivate: Boolean!
      url: URI!
      autoMergeAllowed: Boolean!
      defaultBranchRef: Ref
      owner: Actor!
      pullRequest(number: Int!): PullRequest
    }

    type RateLimit { limit: Int! cost: Int! remaining: Int! resetAt: DateTime! used: Int! }

    type Query {
      repository(owner: String!, name: String!): Repository
      node(id: ID!): Node
      rateLimit: RateLimit
    }

    input EnablePullRequestAutoMergeInput {
      pullRequestId: ID!
      mergeMethod: PullRequestMergeMethod
      commitHeadline: String
      commitBody: String
      expectedHeadOid: GitObjectID
      authorEmail: String
      clientMutationId: String
    }
    type EnablePullRequestAutoMergePayload { actor: Actor clientMutationId: String pullRequest: PullRequest }

    input DisablePullRequestAutoMergeInput { pullRequestId: ID! clientMutationId: String }
    type DisablePullRequestAutoMergePayload { actor: Actor clientMutationId: String pullRequest: PullRequest }

    type Mutation {
      enablePullRequestAutoMerge(input: EnablePullRequestAutoMergeInput!): EnablePullRequestAutoMergePayload
      disablePullRequestAutoMerge(input: DisablePullRequestAutoMergeInput!): DisablePullRequestAutoMergePayload
    }
    """
)


class GitHubGraphQLError(GraphQLError):
    """An error GitHub reports with a `type` (NOT_FOUND, FORBIDDEN, UNPROCESSABLE)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _actor(ctx: RoutedRequest, account: Account) -> dict[str, Any]:
    urls = ctx.sandbox.urls
    return {
        "__typename": "Bot" if account.type == "Bot" else "User",
        "id": account.node_id,
        "databaseId": account.id,
        "login": account.login,
        "avatarUrl": f"{urls.web}/avatars/u/{account.id}?v=4",
        "url": f"{urls.web}/{account.login}",
    }


class Resolver:
    """Builds plain dicts for the schema; pull requests compute mergeability through git."""

    def __init__(self, ctx: RoutedRequest) -> None:
        self.ctx = ctx
        self.sb = ctx.sandbox

    def can_see(self, repo: Repo) -> bool:
        caller: Caller = self.ctx.caller
        token = caller.token
        if token is None:
            return not repo.private
        inside = token.installation.covers(repo) and (token.repository_ids is None or repo.id in token.repository_ids)
        return inside or not repo.private

    def can_write_pulls(self, repo: Repo) -> bool:
        token = self.ctx.caller.token
        if token is None or not token.installation.covers(repo):
            return False
        return PERMISSION_LEVELS.get(token.permissions.get("pull_requests", "none"), 0) >= PERMISSION_LEVELS["write"]

    def repository(self, repo: Repo) -> dict[str, Any]:
        urls = self.sb.urls
        return {
            "__typename": "Repository",
            "id": repo.node_id,
            "databaseId": repo.id,
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "isPrivate": repo.private,
            "url": urls.repo_web(repo),
            "autoMergeAllowed": repo.allow_auto_merge,
            "defaultBranchRef": {"name": repo.default_branch, "prefix": "refs/heads/"},
            "owner": _actor(self.ctx, repo.owner),
            "pullRequest": lambda info, number: self.pull_request(repo, repo.issues.get(number), number=number),
        }

    async def pull_request(self, repo: Repo, item: Issue | None, *, number: int = 0) -> dict[str, Any] | None:
        if item is None or item.pull is None:
            raise GitHubGraphQLError(PULL_NOT_FOUND.format(number=number), kind="NOT_FOUND")
        pull = item.pull
        facts = await self.sb.pull_facts(repo, item)
        state = "MERGED" if pull.merged else item.state.upper()
        mergeable = "UNKNOWN" if facts.mergeable is None else "MERGEABLE" if facts.mergeable else "CONFLICTING"
        auto = None
        if pull.auto_merge:
            auto = {
                "enabledAt": iso(pull.auto_merge.get("enabled_at")),
                "enabledBy": _actor(self.ctx, pull.auto_merge["enabled_by"]),
                "mergeMethod": pull.auto_merge["merge_method"].upper(),
                "commitHeadline": pull.auto_merge.get("commit_title"),
                "commitBody": pull.auto_merge.get("commit_message"),
                "pullRequest": lambda info: self.pull_request(repo, item),
            }
        return {
            "__typename": "PullRequest",
            "id": pull.node_id,
            "databaseId": pull.id,
            "number": item.number,
            "title": item.title,
            "body": item.body or "",
            "url": f"{self.sb.urls.repo_web(repo)}/pull/{item.number}",
            "state": state,
            "isDraft": pull.draft,
            "merged": pull.merged,
            "mergedAt": iso(pull.merged_at),
            "mergeable": mergeable,
            "headRefName": pull.head_ref,
            "headRefOid": pull.head_sha,
            "baseRefName": pull.base_ref,
            "baseRefOid": pull.base_sha,
            "author": _actor(self.ctx, item.user),
            "autoMergeRequest": auto,
            "viewerCanEnableAutoMerge": repo.allow_auto_merge and item.state == "open" and self.can_write_pulls(repo),
            "repository": self.repository(repo),
        }

    async def resolve_repository(self, _root: Any, _info: Any, owner: str, name: str) -> dict[str, Any]:
        repo = self.sb.world.repo(f"{owner}/{name}")
        if repo is None or not self.can_see(repo):
            raise GitHubGraphQLError(REPO_NOT_FOUND.format(name=f"{owner}/{name}"), kind="NOT_FOUND")
        return self.repository(repo)

    async def resolve_node(self, _root: Any, _info: Any, id: str) -> dict[str, Any]:
        found = self.sb.world.pull_by_node_id(id)
        if found is not None and self.can_see(found[0]):
            return await self.pull_request(*found)  # type: ignore[return-value]
        for repo in self.sb.world.repos.values():
            if repo.node_id == id and self.can_see(repo):
                return self.repository(repo)
        raise GitHubGraphQLError(NODE_NOT_FOUND.format(id=id), kind="NOT_FOUND")

    def _pull_for_mutation(self, node: str) -> tuple[Repo, Issue]:
        found = self.sb.world.pull_by_node_id(node)
        if found is None or not self.can_see(found[0]):
            raise GitHubGraphQLError(NODE_NOT_FOUND.format(id=node), kind="NOT_FOUND")
        if not self.can_write_pulls(found[0]):
            raise GitHubGraphQLError(NOT_ACCESSIBLE, kind="FORBIDDEN")
        return found

    async def enable_auto_merge(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        repo, item = self._pull_for_mutation(input["pullRequestId"])
        pull = item.pull
        assert pull is not None
        if not repo.allow_auto_merge:
            raise GitHubGraphQLError(AUTO_MERGE_NOT_ALLOWED, kind="UNPROCESSABLE")
        if item.state != "open":
            raise GitHubGraphQLError(NOT_OPEN, kind="UNPROCESSABLE")
        if pull.draft:
            raise GitHubGraphQLError(AUTO_MERGE_DRAFT, kind="UNPROCESSABLE")
        expected = input.get("expectedHeadOid")
        if expected and expected != pull.head_sha:
            raise GitHubGraphQLError(HEAD_OID_MISMATCH, kind="UNPROCESSABLE")
        facts = await self.sb.pull_facts(repo, item)
        if facts.mergeable_state == "clean":
            # GitHub refuses auto-merge when the PR could be merged right now.
            raise GitHubGraphQLError(CLEAN_STATUS, kind="UNPROCESSABLE")
        app = self.ctx.caller.app
        assert app is not None
        await self.sb.enable_auto_merge(
            repo, item, actor=app.bot, method=input.get("mergeMethod") or "MERGE",
            commit_title=input.get("commitHeadline"), commit_message=input.get("commitBody"),
        )
        # Checks may already be green by a path GitHub would also take (e.g. statuses).
        await self.sb.checks_changed(repo, pull.head_sha)
        return {"actor": _actor(self.ctx, app.bot), "clientMutationId": input.get("clientMutationId"), "pullRequest": await self.pull_request(repo, item)}

    async def disable_auto_merge(self, _root: Any, _info: Any, input: dict[str, Any]) -> dict[str, Any]:
        repo, item = self._pull_for_mutation(input["pullRequestId"])
        assert item.pull is not None
        item.pull.auto_merge = None
        app = self.ctx.caller.app
        assert app is not None
        return {"actor": _actor(self.ctx, app.bot), "clientMutationId": input.get("clientMutationId"), "pullRequest": await self.pull_request(repo, item)}

    def rate_limit(self, _root: Any, _info: Any) -> dict[str, Any]:
        limits = self.sb.rate_limits
        window = limits.window(self.ctx.caller.rate_key, "graphql")
        limit = limits.limit_for(self.ctx.caller, "graphql")
        import datetime as dt

        return {"limit": limit, "cost": 1, "remaining": max(0, limit - window.used), "used": window.used,
                "resetAt": dt.datetime.fromtimestamp(window.reset, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _resolve_type(value: dict[str, Any], *_: Any) -> str:
    return value["__typename"]


for _name in ("Node", "Actor"):
    SCHEMA.get_type(_name).resolve_type = _resolve_type  # type: ignore[union-attr]


def _field_resolver(source: Any, info: Any, **args: Any) -> Any:
    value = source.get(info.field_name) if isinstance(source, dict) else getattr(source, info.field_name, None)
    if callable(value):
        return value(info, **args)
    return value


def _error_json(error: GraphQLError) -> dict[str, Any]:
    body: dict[str, Any] = {}
    original = error.original_error if isinstance(error.original_error, GitHubGraphQLError) else error
    if isinstance(original, GitHubGraphQLError):
        body["type"] = original.kind
    if error.path is not None:
        body["path"] = list(error.path)
    if error.locations:
        body["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    body["message"] = error.message
    if "type" not in body and error.path is None:
        body["extensions"] = {"code": "undefinedField" if "Cannot query field" in error.message else "parseError"}
    return body


async def graphql_endpoint(ctx: RoutedRequest) -> Response:
    if ctx.caller.kind == "anonymous":
        raise ApiError(401, NEEDS_AUTH, docs=f"{DOCS_GRAPHQL}/guides/forming-calls-with-graphql#authenticating-with-graphql")
    if ctx.caller.kind == "app":
        raise ApiError(403, NOT_ACCESSIBLE, docs=DOCS_GRAPHQL)
    body = await ctx.body()
    query = body.get("query")
    if not isinstance(query, str):
        return reply({"errors": [{"message": NO_QUERY}]}, 200)
    variables = body.get("variables") or None
    resolver = Resolver(ctx)
    root = {
        "repository": resolver.resolve_repository,
        "node": resolver.resolve_node,
        "rateLimit": resolver.rate_limit,
        "enablePullRequestAutoMerge": resolver.enable_auto_merge,
        "disablePullRequestAutoMerge": resolver.disable_auto_merge,
    }

    def root_resolver(source: Any, info: Any, **args: Any) -> Any:
        if source is root:
            return root[info.field_name](source, info, **args)
        return _field_resolver(source, info, **args)

    result = await graphql(
        SCHEMA, query, root_value=root, variable_values=variables, operation_name=body.get("operationName"),
        field_resolver=root_resolver,
    )
    out: dict[str, Any] = {}
    if result.data is not None or not result.errors:
        out["data"] = result.data
    if result.errors:
        out["errors"] = [_error_json(e) for e in result.errors]
    return reply(out)


GRAPHQL_ENDPOINTS = [Endpoint("POST", "/graphql", graphql_endpoint, (), auth="any", docs=DOCS_GRAPHQL, resource="graphql")]
