"""pull_request_review: a review submitted as approved, changes requested or commented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import ReviewSignal

from .router import Context, Router, value

router = Router()


@router.register("pull_request_review", action="submitted")
@router.register("pull_request_review", action="edited")
@router.register("pull_request_review", action="dismissed")
def review(event: Any, ctx: Context) -> Iterator[ReviewSignal]:
    r = event.review
    yield ReviewSignal(
        **ctx.base(),
        number=event.pull_request.number,
        review_id=r.id,
        # GitHub sends the state in lower case in webhooks and upper case in the REST API.
        state=str(r.state).lower(),
        body=value(r.body) or "",
        commit_id=value(getattr(r, "commit_id", None)),
    )
