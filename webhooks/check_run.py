"""check_run: one check on a commit was created, rerequested or completed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import CheckSignal

from .check_suite import app_slug, numbers
from .router import Context, Router, value

router = Router()


@router.register("check_run", action="created")
@router.register("check_run", action="completed")
@router.register("check_run", action="rerequested")
def check_run(event: Any, ctx: Context) -> Iterator[CheckSignal]:
    run = event.check_run
    output = value(run.output)
    suite = value(run.check_suite)
    yield CheckSignal(
        **ctx.base(),
        source="check_run",
        name=run.name,
        head_sha=run.head_sha,
        head_branch=value(getattr(suite, "head_branch", None)) if suite is not None else None,
        status=str(run.status),
        conclusion=value(run.conclusion),
        app_slug=app_slug(run.app),
        pull_requests=numbers(run.pull_requests),
        summary=value(getattr(output, "summary", None)) if output is not None else None,
        details_url=value(run.details_url),
    )
