"""pull_request_review_comment: line comments, with ```suggestion blocks as before/after text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bot.signals import ReviewCommentSignal, Suggestion

from .router import Context, Router, value

router = Router()

SUGGESTION = re.compile(
    r"""
    ^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*suggestion[ \t]*\r?\n   # opening fence, info string `suggestion`
    (?P<body>.*?)                                          # the replacement lines (may be empty)
    ^[ \t]*(?P=fence)[ \t]*$                               # the same fence closes it
    """,
    re.VERBOSE | re.MULTILINE | re.DOTALL,
)

HUNK_HEADER = re.compile(
    r"""
    ^@@\s-(?P<old>\d+)(?:,\d+)?   # old side start (count ignored: GitHub cuts the hunk short)
    \s\+(?P<new>\d+)(?:,\d+)?\s@@ # new side start
    """,
    re.VERBOSE,
)


def suggested_texts(body: str) -> list[str]:
    """The replacement text of each ```suggestion block in a comment body."""
    texts = []
    for match in SUGGESTION.finditer(body.replace("\r\n", "\n")):
        text = match.group("body")
        texts.append(text.removesuffix("\n"))
    return texts


def hunk_lines(diff_hunk: str, *, side: str) -> dict[int, str]:
    """Line number → text of one side of a review comment's `diff_hunk`.

    GitHub ends `diff_hunk` at the commented line, so its header counts promise more lines than
    it holds; unidiff rejects such a hunk, hence this short walk instead.
    """
    lines = diff_hunk.replace("\r\n", "\n").split("\n")
    if not lines or not (header := HUNK_HEADER.match(lines[0])):
        return {}
    old, new = int(header["old"]), int(header["new"])
    found: dict[int, str] = {}
    for line in lines[1:]:
        if line.startswith("\\"):  # "\ No newline at end of file"
            continue
        tag, text = line[:1], line[1:]
        if tag == "-":
            if side == "LEFT":
                found[old] = text
            old += 1
        elif tag == "+":
            if side == "RIGHT":
                found[new] = text
            new += 1
        else:
            found[old if side == "LEFT" else new] = text
            old, new = old + 1, new + 1
    return found


def suggestions_of(
    body: str, *, path: str, diff_hunk: str, line: int | None, start_line: int | None, side: str | None
) -> tuple[Suggestion, ...]:
    if line is None:  # an outdated comment no longer maps onto the diff
        return ()
    start = start_line or line
    shown = hunk_lines(diff_hunk, side=side or "RIGHT")
    lines = [shown.get(n) for n in range(start, line + 1)]
    # When the hunk does not show every commented line, `before` is unknown rather than guessed.
    before = "\n".join(lines) if all(text is not None for text in lines) else None  # type: ignore[arg-type]
    return tuple(
        Suggestion(path=path, start_line=start, end_line=line, before=before, after=after)
        for after in suggested_texts(body)
    )


@router.register("pull_request_review_comment", action="created")
@router.register("pull_request_review_comment", action="edited")
def review_comment(event: Any, ctx: Context) -> Iterator[ReviewCommentSignal]:
    c = event.comment
    line = value(c.line)
    start_line = value(c.start_line)
    side = value(c.side)
    yield ReviewCommentSignal(
        **ctx.base(),
        number=event.pull_request.number,
        comment_id=c.id,
        body=c.body or "",
        path=c.path,
        line=line,
        start_line=start_line,
        side=side,
        commit_id=c.commit_id,
        diff_hunk=c.diff_hunk,
        suggestions=suggestions_of(
            c.body or "", path=c.path, diff_hunk=c.diff_hunk, line=line, start_line=start_line, side=side
        ),
    )
