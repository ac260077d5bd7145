"""check_suite: a suite on a commit was requested or completed (CI is the AutoTester)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import CheckSignal

from .router import Context, Router, value

router = Router()


def numbers(pull_requests: Any) -> tuple[int, ...]:
    return tuple(pr.number for pr in value(pull_requests) or ())


def app_slug(app: Any) -> str | None:
    app = value(app)
    return value(getattr(app, "slug", None)) if app is not None else None


def app_name(app: Any) -> str | None:
    app = value(app)
    return value(getattr(app, "name", None)) if app is not None else None


@router.register("check_suite", action="completed")
@router.register("check_suite", action="requested")
@router.register("check_suite", action="rerequested")
def check_suite(event: Any, ctx: Context) -> Iterator[CheckSignal]:
    suite = event.check_suite
    slug = app_slug(suite.app)
    yield CheckSignal(
        **ctx.base(),
        source="check_suite",
        name=slug or app_name(suite.app) or "check_suite",
        head_sha=suite.head_sha,
        head_branch=value(suite.head_branch),
        status=str(value(suite.status) or "queued"),
        conclusion=value(suite.conclusion),
        app_slug=slug,
        pull_requests=numbers(suite.pull_requests),
    )
