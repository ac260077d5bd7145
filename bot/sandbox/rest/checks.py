"""The REST endpoints of checks and commit statuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.model import ApiError, validation_failed
from bot.sandbox.routing import (
    CHECKS_R,
    CHECKS_W,
    NO_COMMIT_FOR_SHA,
    NOT_FOUND,
    REPO_PATH,
    STATUSES_R,
    STATUSES_W,
    Endpoint,
    RoutedRequest,
    reply,
)

DOCS_CHECKS = "https://docs.github.com/rest/checks/runs"

CHECK_RUN_OTHER_APP = "Invalid app_id `{app_id}` - check run can only be modified by the GitHub App that created it."

CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")

CHECK_CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out")


def _parse_time(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise validation_failed("CheckRun", field, docs=DOCS_CHECKS) from None


def _validate_check_fields(body: dict[str, Any]) -> None:
    if body.get("status") is not None and body["status"] not in CHECK_STATUSES:
        raise validation_failed("CheckRun", "status", docs=DOCS_CHECKS)
    if body.get("conclusion") is not None and body["conclusion"] not in CHECK_CONCLUSIONS:
        raise validation_failed("CheckRun", "conclusion", docs=DOCS_CHECKS)
    if body.get("status") == "completed" and body.get("conclusion") is None:
        raise validation_failed("CheckRun", "conclusion", code="missing_field", docs=DOCS_CHECKS)
    output = body.get("output")
    if output is not None and (not isinstance(output, dict) or not output.get("title") or not output.get("summary")):
        raise validation_failed("CheckRun", "output", code="missing_field", docs=DOCS_CHECKS, message="output needs title and summary")


async def create_check_run(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, app = ctx.actor()
    assert app is not None
    name, head_sha = body.get("name"), body.get("head_sha")
    if not isinstance(name, str) or not name:
        raise validation_failed("CheckRun", "name", code="missing_field", docs=DOCS_CHECKS)
    if not isinstance(head_sha, str) or await ctx.repo.git.object_type(head_sha) != "commit":
        raise validation_failed("CheckRun", "head_sha", docs=DOCS_CHECKS, message=f"No commit found for SHA: {head_sha}")
    _validate_check_fields(body)
    head_sha = await ctx.repo.git.resolve(head_sha) or head_sha
    run = await ctx.sandbox.create_check_run(
        ctx.repo, app=app, name=name, head_sha=head_sha, status=body.get("status") or "queued",
        conclusion=body.get("conclusion"), external_id=body.get("external_id"), details_url=body.get("details_url"),
        output=body.get("output"), started_at=_parse_time(body.get("started_at"), "started_at"),
        completed_at=_parse_time(body.get("completed_at"), "completed_at"), sender=actor,
    )
    return reply(shapes.check_run(ctx.sandbox.urls, run), 201)


def _check_run(ctx: RoutedRequest) -> Any:
    run = ctx.sandbox.world.check_runs.get(ctx.int_param("check_run_id"))
    if run is None or run.suite.repo is not ctx.repo:
        raise ApiError(404, NOT_FOUND, docs=DOCS_CHECKS)
    return run


async def get_check_run(ctx: RoutedRequest) -> Response:
    return reply(shapes.check_run(ctx.sandbox.urls, _check_run(ctx)))


async def update_check_run(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    run = _check_run(ctx)
    actor, app = ctx.actor()
    if run.suite.app is not app:
        raise ApiError(403, CHECK_RUN_OTHER_APP.format(app_id=app.id if app else 0), docs=DOCS_CHECKS)
    _validate_check_fields(body)
    await ctx.sandbox.update_check_run(
        run, sender=actor, name=body.get("name"), status=body.get("status"), conclusion=body.get("conclusion"),
        output=body.get("output"), details_url=body.get("details_url"), external_id=body.get("external_id"),
        started_at=_parse_time(body.get("started_at"), "started_at"), completed_at=_parse_time(body.get("completed_at"), "completed_at"),
    )
    return reply(shapes.check_run(ctx.sandbox.urls, run))


async def list_check_runs_for_ref(ctx: RoutedRequest) -> Response:
    sha = await ctx.commit_of(ctx.params["ref"], missing_status=422)
    name, status = ctx.query("check_name"), ctx.query("status")
    runs = [r for r in ctx.sandbox.world.check_runs.values() if r.suite.repo is ctx.repo and r.head_sha == sha]
    if (ctx.query("filter") or "latest") == "latest":
        latest: dict[tuple[int, str], Any] = {}
        for run in runs:
            latest[(run.suite.app.id, run.name)] = run
        runs = list(latest.values())
    runs = [r for r in runs if (name is None or r.name == name) and (status is None or r.status == status)]
    runs.sort(key=lambda r: r.id, reverse=True)
    page, links = ctx.paginate(runs)
    return reply({"total_count": len(runs), "check_runs": [shapes.check_run(ctx.sandbox.urls, r) for r in page]}, headers=links)


async def list_check_suites_for_ref(ctx: RoutedRequest) -> Response:
    sha = await ctx.commit_of(ctx.params["ref"], missing_status=422)
    world = ctx.sandbox.world
    suites = [s for s in world.check_suites.values() if s.repo is ctx.repo and s.head_sha == sha]
    head = await ctx.repo.git.read_commit(sha)
    page, links = ctx.paginate(suites)
    out = [shapes.check_suite(ctx.sandbox.urls, s, runs=sum(1 for r in world.check_runs.values() if r.suite is s), head_commit=head) for s in page]
    return reply({"total_count": len(suites), "check_suites": out}, headers=links)


async def create_status(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, _ = ctx.actor()
    sha = ctx.params["sha"]
    docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
    if await ctx.repo.git.object_type(sha) != "commit":
        raise ApiError(422, NO_COMMIT_FOR_SHA.format(sha=sha), docs=docs)
    state = body.get("state")
    if not isinstance(state, str):
        raise validation_failed("Status", "state", code="missing_field", docs=docs)
    sha = await ctx.repo.git.resolve(sha) or sha
    item = await ctx.sandbox.create_status(
        ctx.repo, sha, creator=actor, state=state, context=body.get("context") or "default",
        target_url=body.get("target_url"), description=body.get("description"),
    )
    return reply(shapes.status(ctx.sandbox.urls, item), 201)


async def combined_status(ctx: RoutedRequest) -> Response:
    sha = await ctx.commit_of(ctx.params["ref"], missing_status=422)
    statuses = ctx.sandbox.latest_statuses(ctx.repo, sha)
    states = {s.state for s in statuses}
    state = "failure" if states & {"failure", "error"} else "pending" if "pending" in states or not statuses else "success"
    api = ctx.sandbox.urls.repo(ctx.repo)
    return reply(
        {
            "state": state,
            "statuses": [shapes.status(ctx.sandbox.urls, s) | {"url": f"{api}/statuses/{sha}"} for s in statuses],
            "sha": sha,
            "total_count": len(statuses),
            "repository": shapes.repository(ctx.sandbox.urls, ctx.repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
    )


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{REPO_PATH}/commits/{{ref:path}}/check-runs", list_check_runs_for_ref, CHECKS_R, docs=f"{DOCS_CHECKS}#list-check-runs-for-a-git-reference"),
    Endpoint("GET", f"{REPO_PATH}/commits/{{ref:path}}/check-suites", list_check_suites_for_ref, CHECKS_R, docs="https://docs.github.com/rest/checks/suites#list-check-suites-for-a-git-reference"),
    Endpoint("GET", f"{REPO_PATH}/commits/{{ref:path}}/status", combined_status, STATUSES_R, docs="https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference"),
    Endpoint("POST", f"{REPO_PATH}/check-runs", create_check_run, CHECKS_W, docs=f"{DOCS_CHECKS}#create-a-check-run"),
    Endpoint("GET", f"{REPO_PATH}/check-runs/{{check_run_id}}", get_check_run, CHECKS_R, docs=f"{DOCS_CHECKS}#get-a-check-run"),
    Endpoint("PATCH", f"{REPO_PATH}/check-runs/{{check_run_id}}", update_check_run, CHECKS_W, docs=f"{DOCS_CHECKS}#update-a-check-run"),
    Endpoint("POST", f"{REPO_PATH}/statuses/{{sha}}", create_status, STATUSES_W, docs="https://docs.github.com/rest/commits/statuses#create-a-commit-status"),
]
