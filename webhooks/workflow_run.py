"""workflow_run: a GitHub Actions workflow finished on a commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import CheckSignal

from .check_suite import numbers
from .router import Context, Router, value

router = Router()


@router.register("workflow_run", action="completed")
def workflow_run(event: Any, ctx: Context) -> Iterator[CheckSignal]:
    run = event.workflow_run
    yield CheckSignal(
        **ctx.base(),
        source="workflow_run",
        name=value(run.name) or "workflow",
        head_sha=run.head_sha,
        head_branch=value(run.head_branch),
        status=str(run.status),
        conclusion=value(run.conclusion),
        app_slug="github-actions",
        pull_requests=numbers(run.pull_requests),
        details_url=value(run.html_url),
    )
