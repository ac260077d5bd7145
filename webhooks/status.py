"""status: a commit status (the older API some CI services still use) changed state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import CheckSignal

from .router import Context, Router, value

router = Router()

# Commit statuses have no separate status/conclusion; map them onto the check vocabulary.
CONCLUSIONS = {"success": "success", "failure": "failure", "error": "failure", "pending": None}


@router.register("status")
def status(event: Any, ctx: Context) -> Iterator[CheckSignal]:
    state = str(event.state)
    yield CheckSignal(
        **ctx.base(),
        source="status",
        name=event.context,
        head_sha=event.sha,
        head_branch=None,
        status="pending" if state == "pending" else "completed",
        conclusion=CONCLUSIONS.get(state, "failure"),
        app_slug=None,
        summary=value(event.description),
        details_url=value(event.target_url),
    )
