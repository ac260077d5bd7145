"""push: commits pushed to the repository's default branch (other branches carry no signal)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import PushedCommit, PushSignal

from .router import Context, Router, value

router = Router()


@router.register("push")
def push(event: Any, ctx: Context) -> Iterator[PushSignal]:
    default = value(getattr(event.repository, "default_branch", None))
    if not default or event.ref != f"refs/heads/{default}" or value(event.deleted):
        return
    commits = []
    for c in value(event.commits) or ():
        author = value(c.author)
        commits.append(
            PushedCommit(
                sha=c.id,
                message=c.message,
                author=value(getattr(author, "username", None)) or value(getattr(author, "name", None)),
                added=tuple(value(c.added) or ()),
                modified=tuple(value(c.modified) or ()),
                removed=tuple(value(c.removed) or ()),
            )
        )
    yield PushSignal(
        **ctx.base(),
        ref=event.ref,
        before=event.before,
        after=event.after,
        forced=bool(value(event.forced)),
        commits=tuple(commits),
    )
