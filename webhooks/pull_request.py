"""pull_request: opened, synchronize, closed (merged or not) and reopened."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import PullRequestSignal

from .router import Context, Router, is_bot, value

router = Router()


@router.register("pull_request", action="opened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="closed")
@router.register("pull_request", action="reopened")
def pull_request(event: Any, ctx: Context) -> Iterator[PullRequestSignal]:
    pr = event.pull_request
    author = value(pr.user)
    yield PullRequestSignal(
        **ctx.base(),
        number=pr.number,
        title=pr.title,
        author=author.login if author else "ghost",
        author_is_bot=is_bot(author),
        head_ref=pr.head.ref,
        head_sha=pr.head.sha,
        base_ref=pr.base.ref,
        merged=bool(value(getattr(pr, "merged", None))),
        # githubkit's closed-PR model drops merge_commit_sha, which GitHub sends; read it raw.
        merge_commit_sha=ctx.raw.get("pull_request", {}).get("merge_commit_sha"),
        before=value(getattr(event, "before", None)),
        after=value(getattr(event, "after", None)),
        draft=bool(value(getattr(pr, "draft", None))),
    )
