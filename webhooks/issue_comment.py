"""issue_comment: comments on issues and pull requests, where `/evolve` commands arrive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import CommentSignal

from .router import Context, Router, is_bot, value

router = Router()


@router.register("issue_comment", action="created")
@router.register("issue_comment", action="edited")
@router.register("issue_comment", action="deleted")
def comment(event: Any, ctx: Context) -> Iterator[CommentSignal]:
    c = event.comment
    # A comment made by an App through a user's token still counts as the App's.
    via_app = value(getattr(c, "performed_via_github_app", None)) is not None
    yield CommentSignal(
        **ctx.base(from_bot=ctx.from_bot or is_bot(value(c.user)) or via_app),
        number=event.issue.number,
        is_pull_request=value(getattr(event.issue, "pull_request", None)) is not None,
        comment_id=c.id,
        body=c.body or "",
        author_association=str(value(c.author_association) or "NONE"),
        html_url=c.html_url,
    )
