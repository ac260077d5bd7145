"""The REST endpoints of Apps: the app, its installations, installation tokens and their repositories."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.auth import mint_token, require_app
from bot.sandbox.model import ApiError, iso
from bot.sandbox.routing import NOT_FOUND, REPO_PATH, Endpoint, RoutedRequest, reply


async def get_app(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    body = shapes.app(ctx.sandbox.urls, app)
    body["installations_count"] = len(ctx.sandbox.world.installations_of(app))
    return reply(body)


async def list_app_installations(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    items = [shapes.installation(ctx.sandbox.urls, i) for i in ctx.sandbox.world.installations_of(app)]
    page, links = ctx.paginate(items)
    return reply(page, headers=links)


async def get_app_installation(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    inst = ctx.sandbox.world.installations.get(ctx.int_param("installation_id"))
    if inst is None or inst.app is not app:
        raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)
    return reply(shapes.installation(ctx.sandbox.urls, inst))


async def create_access_token(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    inst = ctx.sandbox.world.installations.get(ctx.int_param("installation_id"))
    if inst is None or inst.app is not app:
        raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)
    body = await ctx.body()
    world = ctx.sandbox.world
    repo_ids: set[int] | None = None
    names = body.get("repositories")
    ids = body.get("repository_ids")
    if names is not None or ids is not None:
        repo_ids = set()
        for name in names or []:
            repo = world.repo(f"{inst.account.login}/{name}")
            if repo is None or not inst.covers(repo):
                raise ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", docs=ctx.endpoint.docs)
            repo_ids.add(repo.id)
        for repo_id in ids or []:
            repo = world.repo_by_id(int(repo_id))
            if repo is None or not inst.covers(repo):
                raise ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", docs=ctx.endpoint.docs)
            repo_ids.add(repo.id)
    token = mint_token(world, inst, ttl=ctx.sandbox.token_ttl, permissions=body.get("permissions"), repository_ids=repo_ids)
    out: dict[str, Any] = {
        "token": token.token,
        "expires_at": iso(token.expires_at),
        "permissions": token.permissions,
        "repository_selection": "selected" if repo_ids is not None else inst.repository_selection,
    }
    if repo_ids is not None:
        out["repositories"] = [shapes.repository(ctx.sandbox.urls, world.repo_by_id(i)) for i in sorted(repo_ids)]  # type: ignore[arg-type]
    return reply(out, 201)


async def get_repo_installation(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    for inst in ctx.sandbox.world.installations_of(app):
        if inst.covers(ctx.repo):
            return reply(shapes.installation(ctx.sandbox.urls, inst))
    raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)


async def list_installation_repos(ctx: RoutedRequest) -> Response:
    token = ctx.caller.token
    if token is None:
        raise ApiError(403, "Resource not accessible by integration" if ctx.caller.kind == "app" else "Requires authentication", docs=ctx.endpoint.docs)
    inst = token.installation
    repos = [r for r in ctx.sandbox.world.repos.values() if inst.covers(r) and (token.repository_ids is None or r.id in token.repository_ids)]
    page, links = ctx.paginate([shapes.repository(ctx.sandbox.urls, r) for r in repos])
    return reply({"total_count": len(repos), "repository_selection": inst.repository_selection, "repositories": page}, headers=links)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/app", get_app, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-the-authenticated-app"),
    Endpoint("GET", "/app/installations", list_app_installations, (), auth="app", docs="https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app"),
    Endpoint("GET", "/app/installations/{installation_id}", get_app_installation, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app"),
    Endpoint("POST", "/app/installations/{installation_id}/access_tokens", create_access_token, (), auth="app", docs="https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"),
    Endpoint("GET", f"{REPO_PATH}/installation", get_repo_installation, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app"),
    Endpoint("GET", "/installation/repositories", list_installation_repos, (), auth="token", docs="https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"),
]
