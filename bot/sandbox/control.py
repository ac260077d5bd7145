"""The control API under /_sandbox: set up people, apps and repos, act as people, inspect and break things.

Every route takes and returns JSON. People act with `"as": "<login>"` in the body.

    GET    /_sandbox                                        routes and counts
    POST   /_sandbox/users                 {login, name?, email?, type?}
    POST   /_sandbox/apps                  {slug, webhook_url?, webhook_secret?, permissions?, events?}
                                            -> {id, slug, client_id, private_key_pem, ...}
    POST   /_sandbox/repos                 {full_name, files?, default_branch?, ci_command?, private?}
    POST   /_sandbox/repos/{o}/{r}/collaborators   {login, permission}
    POST   /_sandbox/installations         {app_id, account, repos?: [full names], permissions?}
    POST   /_sandbox/repos/{o}/{r}/push    {as, branch, files: {path: text|null}, message?, base?, force?}
    POST   /_sandbox/repos/{o}/{r}/pulls   {as, head, title, base?, body?, draft?}
    POST   /_sandbox/repos/{o}/{r}/issues/{n}/comments     {as, body}
    PATCH  /_sandbox/repos/{o}/{r}/issues/comments/{id}    {as, body}
    DELETE /_sandbox/repos/{o}/{r}/issues/comments/{id}    {as}
    POST   /_sandbox/repos/{o}/{r}/issues/{n}/labels       {as, labels}
    POST   /_sandbox/repos/{o}/{r}/pulls/{n}/reviews       {as, event, body?, comments?: [{path, line, start_line?, body}]}
    POST   /_sandbox/repos/{o}/{r}/pulls/{n}/merge         {as, method?, sha?}
    POST   /_sandbox/repos/{o}/{r}/issues/{n}/close        {as}
    POST   /_sandbox/repos/{o}/{r}/issues/{n}/reopen       {as}
    POST   /_sandbox/repos/{o}/{r}/reactions               {as, content, comment_id? | number? | review_comment_id?}
    GET    /_sandbox/repos/{o}/{r}/ci/{sha}?timeout=60     waits for CI on sha, returns the check run
    GET    /_sandbox/deliveries                            the webhook delivery log
    POST   /_sandbox/deliveries/wait                       waits until the outbox is empty
    POST   /_sandbox/deliveries/{id}/redeliver             same GUID, marked redelivery
    GET    /_sandbox/faults                                rules and webhook faults
    POST   /_sandbox/faults                {kind, method?, path?, status?, times?, probability?, latency?, retry_after?}
    POST   /_sandbox/faults/random         {seed, rate, kinds?}
    PUT    /_sandbox/faults/webhooks       {delay?, duplicate_next?, reorder_next?, duplicate_rate?, reorder_rate?}
    DELETE /_sandbox/faults                clears all; DELETE /_sandbox/faults/{id} removes one
    GET    /_sandbox/requests?by=endpoint|installation|status|app&installation_id=   counts
    GET    /_sandbox/requests/log          every request;  DELETE /_sandbox/requests clears the log
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.deliveries import DeliveryNotFound
from bot.sandbox.model import ApiError, Issue
from bot.sandbox.routing import Endpoint, RoutedRequest, reply

P = "/_sandbox"
RR = f"{P}/repos/{{owner}}/{{repo}}"
MISSING = "missing field {name!r}"


async def _body(ctx: RoutedRequest) -> dict[str, Any]:
    return await ctx.body()


def _need(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise ApiError(422, MISSING.format(name=name), docs="bot/sandbox/README.md")
    return body[name]


def _repo_name(ctx: RoutedRequest) -> str:
    return f"{ctx.params['owner']}/{ctx.params['repo']}"


def _issue_json(ctx: RoutedRequest, item: Issue) -> dict[str, Any]:
    repo = ctx.sandbox.repo(_repo_name(ctx))
    return shapes.issue(ctx.sandbox.urls, repo, item)


async def index(ctx: RoutedRequest) -> Response:
    sb = ctx.sandbox
    return reply(
        {
            "api": sb.urls.api,
            "routes": __doc__,
            "users": sorted(a.login for a in sb.world.accounts.values()),
            "apps": [{"id": a.id, "slug": a.slug} for a in sb.world.apps.values()],
            "repos": sorted(r.full_name for r in sb.world.repos.values()),
        }
    )


async def add_user(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    account = ctx.sandbox.add_user(_need(body, "login"), name=body.get("name"), email=body.get("email"), type=body.get("type", "User"))
    return reply(shapes.user(ctx.sandbox.urls, account), 201)


async def register_app(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    app = ctx.sandbox.register_app(
        slug=_need(body, "slug"), name=body.get("name"), owner=body.get("owner"), webhook_url=body.get("webhook_url"),
        webhook_secret=body.get("webhook_secret"), permissions=body.get("permissions"), events=body.get("events"),
    )
    out = shapes.app(ctx.sandbox.urls, app) | {"private_key_pem": app.private_key_pem, "webhook_url": app.webhook_url}
    return reply(out, 201)


async def create_repo(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    kwargs: dict[str, Any] = {}
    if "ci_command" in body:
        kwargs["ci_command"] = body["ci_command"]
    repo = await ctx.sandbox.create_repo(
        _need(body, "full_name"), files=body.get("files"), default_branch=body.get("default_branch", "main"),
        private=bool(body.get("private", False)), description=body.get("description"), **kwargs,
    )
    return reply(shapes.repository(ctx.sandbox.urls, repo, full=True), 201)


async def grant(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    ctx.sandbox.grant(_repo_name(ctx), _need(body, "login"), _need(body, "permission"))
    return reply(None, 204)


async def install(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    app = ctx.sandbox.world.apps.get(int(_need(body, "app_id")))
    if app is None:
        raise LookupError(f"no app with id {body['app_id']}")
    inst = await ctx.sandbox.install(app, account=_need(body, "account"), repos=body.get("repos"), permissions=body.get("permissions"))
    return reply(shapes.installation(ctx.sandbox.urls, inst), 201)


async def push(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    sha = await ctx.sandbox.push(
        _repo_name(ctx), as_=_need(body, "as"), branch=_need(body, "branch"), files=_need(body, "files"),
        message=body.get("message", "Update files"), base=body.get("base"), force=bool(body.get("force", False)),
    )
    return reply({"sha": sha}, 201)


async def open_pull(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    item = await ctx.sandbox.open_pull_request(
        _repo_name(ctx), as_=_need(body, "as"), head=_need(body, "head"), title=_need(body, "title"),
        base=body.get("base"), body=body.get("body"), draft=bool(body.get("draft", False)),
    )
    repo = ctx.sandbox.repo(_repo_name(ctx))
    return reply(await ctx.sandbox.pull_json(repo, item), 201)


async def comment(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    made = await ctx.sandbox.comment(_repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"), body=_need(body, "body"))
    return reply(shapes.issue_comment(ctx.sandbox.urls, made), 201)


async def edit_comment(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    made = await ctx.sandbox.edit_comment(_repo_name(ctx), ctx.int_param("comment_id"), as_=_need(body, "as"), body=_need(body, "body"))
    return reply(shapes.issue_comment(ctx.sandbox.urls, made))


async def delete_comment(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    await ctx.sandbox.delete_comment(_repo_name(ctx), ctx.int_param("comment_id"), as_=_need(body, "as"))
    return reply(None, 204)


async def add_labels(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    labels = await ctx.sandbox.add_labels(_repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"), labels=_need(body, "labels"))
    repo = ctx.sandbox.repo(_repo_name(ctx))
    return reply([shapes.label(ctx.sandbox.urls, repo, lab) for lab in labels])


async def review(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    made = await ctx.sandbox.review(
        _repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"), event=_need(body, "event"),
        body=body.get("body", ""), comments=body.get("comments"),
    )
    return reply(shapes.review(ctx.sandbox.urls, made), 201)


async def merge(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    sha = await ctx.sandbox.merge(_repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"), method=body.get("method", "merge"), sha=body.get("sha"))
    return reply({"sha": sha, "merged": True})


async def close(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    item = await ctx.sandbox.close(_repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"))
    return reply(_issue_json(ctx, item))


async def reopen(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    item = await ctx.sandbox.reopen(_repo_name(ctx), ctx.int_param("number"), as_=_need(body, "as"))
    return reply(_issue_json(ctx, item))


async def react(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    made = await ctx.sandbox.react(
        _repo_name(ctx), as_=_need(body, "as"), content=_need(body, "content"), comment_id=body.get("comment_id"),
        number=body.get("number"), review_comment_id=body.get("review_comment_id"),
    )
    return reply(shapes.reaction(ctx.sandbox.urls, made), 201)


async def wait_ci(ctx: RoutedRequest) -> Response:
    timeout = float(ctx.query("timeout") or 60)
    run = await ctx.sandbox.wait_ci(_repo_name(ctx), ctx.params["sha"], timeout=timeout)
    return reply(shapes.check_run(ctx.sandbox.urls, run))


async def deliveries(ctx: RoutedRequest) -> Response:
    return reply([d.summary() for d in ctx.sandbox.deliveries.log.values()])


async def wait_deliveries(ctx: RoutedRequest) -> Response:
    log = await ctx.sandbox.wait_deliveries()
    return reply([d.summary() for d in log])


async def redeliver(ctx: RoutedRequest) -> Response:
    try:
        delivery = await ctx.sandbox.redeliver(ctx.int_param("delivery_id"))
    except DeliveryNotFound as exc:
        raise ApiError(404, str(exc), docs="bot/sandbox/README.md") from None
    return reply(delivery.summary(), 202)


async def list_faults(ctx: RoutedRequest) -> Response:
    plan = ctx.sandbox.faults
    return reply({"rules": [r.as_json() for r in plan.rules], "webhooks": plan.webhooks.describe()})


async def add_fault(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    rule = ctx.sandbox.faults.add(
        _need(body, "kind"), method=body.get("method", "*"), path=body.get("path", "*"), status=body.get("status"),
        times=body.get("times", 1), probability=float(body.get("probability", 1.0)), latency=float(body.get("latency", 0.0)),
        retry_after=int(body.get("retry_after", 60)),
    )
    return reply(rule.as_json(), 201)


async def random_faults(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    kinds = tuple(body.get("kinds") or ("error", "secondary_rate_limit", "drop"))
    rule = ctx.sandbox.faults.randomly(seed=int(_need(body, "seed")), rate=float(_need(body, "rate")), kinds=kinds)
    return reply(rule.as_json(), 201)


async def webhook_faults(ctx: RoutedRequest) -> Response:
    body = await _body(ctx)
    hooks = ctx.sandbox.faults.webhooks
    for name in ("delay", "duplicate_rate", "reorder_rate"):
        if name in body:
            setattr(hooks, name, float(body[name]))
    for name in ("duplicate_next", "reorder_next"):
        if name in body:
            setattr(hooks, name, int(body[name]))
    return reply(hooks.describe())


async def clear_faults(ctx: RoutedRequest) -> Response:
    ctx.sandbox.faults.clear()
    return reply(None, 204)


async def remove_fault(ctx: RoutedRequest) -> Response:
    if not ctx.sandbox.faults.remove(ctx.int_param("fault_id")):
        raise ApiError(404, f"no fault rule {ctx.params['fault_id']}", docs="bot/sandbox/README.md")
    return reply(None, 204)


async def request_counts(ctx: RoutedRequest) -> Response:
    installation = ctx.query("installation_id")
    counts = ctx.sandbox.requests.counts(by=ctx.query("by") or "endpoint", installation_id=int(installation) if installation else None)
    return reply({"total": sum(counts.values()), "counts": counts})


async def request_log(ctx: RoutedRequest) -> Response:
    return reply([r.as_json() for r in ctx.sandbox.requests.records])


async def clear_requests(ctx: RoutedRequest) -> Response:
    ctx.sandbox.requests.clear()
    return reply(None, 204)


NONE: tuple[tuple[str, str], ...] = ()
CONTROL_ENDPOINTS = [
    Endpoint("GET", P, index, NONE, auth="none"),
    Endpoint("POST", f"{P}/users", add_user, NONE, auth="none"),
    Endpoint("POST", f"{P}/apps", register_app, NONE, auth="none"),
    Endpoint("POST", f"{P}/repos", create_repo, NONE, auth="none"),
    Endpoint("POST", f"{RR}/collaborators", grant, NONE, auth="none"),
    Endpoint("POST", f"{P}/installations", install, NONE, auth="none"),
    Endpoint("POST", f"{RR}/push", push, NONE, auth="none"),
    Endpoint("POST", f"{RR}/pulls", open_pull, NONE, auth="none"),
    Endpoint("POST", f"{RR}/issues/comments/{{comment_id}}", edit_comment, NONE, auth="none"),
    Endpoint("PATCH", f"{RR}/issues/comments/{{comment_id}}", edit_comment, NONE, auth="none"),
    Endpoint("DELETE", f"{RR}/issues/comments/{{comment_id}}", delete_comment, NONE, auth="none"),
    Endpoint("POST", f"{RR}/issues/{{number}}/comments", comment, NONE, auth="none"),
    Endpoint("POST", f"{RR}/issues/{{number}}/labels", add_labels, NONE, auth="none"),
    Endpoint("POST", f"{RR}/issues/{{number}}/close", close, NONE, auth="none"),
    Endpoint("POST", f"{RR}/issues/{{number}}/reopen", reopen, NONE, auth="none"),
    Endpoint("POST", f"{RR}/pulls/{{number}}/reviews", review, NONE, auth="none"),
    Endpoint("POST", f"{RR}/pulls/{{number}}/merge", merge, NONE, auth="none"),
    Endpoint("POST", f"{RR}/reactions", react, NONE, auth="none"),
    Endpoint("GET", f"{RR}/ci/{{sha}}", wait_ci, NONE, auth="none"),
    Endpoint("GET", f"{P}/deliveries", deliveries, NONE, auth="none"),
    Endpoint("POST", f"{P}/deliveries/wait", wait_deliveries, NONE, auth="none"),
    Endpoint("POST", f"{P}/deliveries/{{delivery_id}}/redeliver", redeliver, NONE, auth="none"),
    Endpoint("GET", f"{P}/faults", list_faults, NONE, auth="none"),
    Endpoint("POST", f"{P}/faults", add_fault, NONE, auth="none"),
    Endpoint("POST", f"{P}/faults/random", random_faults, NONE, auth="none"),
    Endpoint("PUT", f"{P}/faults/webhooks", webhook_faults, NONE, auth="none"),
    Endpoint("DELETE", f"{P}/faults", clear_faults, NONE, auth="none"),
    Endpoint("DELETE", f"{P}/faults/{{fault_id}}", remove_fault, NONE, auth="none"),
    Endpoint("GET", f"{P}/requests", request_counts, NONE, auth="none"),
    Endpoint("GET", f"{P}/requests/log", request_log, NONE, auth="none"),
    Endpoint("DELETE", f"{P}/requests", clear_requests, NONE, auth="none"),
]
