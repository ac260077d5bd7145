"""A whole file given instead of a diff: taken only when it plainly is the whole file.

A model asked for an edit may answer with the complete new file in a code block. The danger is
a snippet taken for the whole file, which would drop everything the snippet leaves out; so the
block must keep most of the file, keep its beginning and its end, and elide nothing.
"""

from __future__ import annotations

import difflib
import re

from bot.patching.text import Text, render

ELIDED = (
    "reply line {line} reads as an elision ({text!r}): the block leaves part of the file out, "
    "so it cannot replace it"
)
TOO_SHORT = (
    "the block keeps {kept} of the file's {total} lines; a whole new file keeps most of them, "
    "so this looks like a snippet"
)
ENDS_DROPPED = (
    "the block does not keep the file's first or last {count} lines, as a snippet would not"
)

ELISION_RE = re.compile(
    r"""
    ^\s*(?:\#|//|/\*|<!--|--|;)?\s*          # a comment marker, if any
    (?:\.\.\.|…|\[\.\.\.\])                 # an ellipsis
    |(?:existing|remaining|rest[ ]of[ ]the|unchanged)[ ](?:code|file|lines|content)  # prose
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Keeping less than this share of the file's lines is a snippet, not a new version.
MIN_KEPT_SHARE = 0.5
# More non-blank lines than this dropped or changed at the start or end of the file: a snippet.
MAX_DROPPED_EDGE = 1


def not_whole(old: str, *, new: str) -> str:
    """Why `new` cannot be taken for the whole new version of `old` ("" if it can)."""
    new_lines = new.split("\n")[:-1] if new.endswith("\n") else new.split("\n")
    for at, line in enumerate(new_lines, 1):
        if ELISION_RE.search(line) and line.strip() not in _stripped(old):
            return ELIDED.format(line=at, text=line.strip())
    old_lines = Text.of(old).lines
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    kept = sum(b.size for b in blocks)
    if old_lines and kept < MIN_KEPT_SHARE * len(old_lines):
        return TOO_SHORT.format(kept=kept, total=len(old_lines))
    if blocks:
        # The file's own first and last lines must be kept: a block that lacks them ends
        # where a snippet would, and a change there is told better by a diff.
        head = sum(1 for line in old_lines[: blocks[0].a] if line.strip())
        end = blocks[-1].a + blocks[-1].size
        tail = sum(1 for line in old_lines[end:] if line.strip())
        # A changed first or last line is replaced by something; a dropped one is not.
        head_gone = head and not blocks[0].b
        tail_gone = tail and blocks[-1].b + blocks[-1].size == len(new_lines)
        if max(head, tail) > MAX_DROPPED_EDGE or head_gone or tail_gone:
            return ENDS_DROPPED.format(count=max(head, tail))
    return ""


def whole_file(old: str, *, new: str) -> str:
    """`new` in the old file's line endings, ending with a newline if the old file did."""
    text = Text.of(old)
    lines = Text.of(new).lines
    return render(
        [(line, text.eol) for line in lines], eol=text.eol, final_newline=text.ends_with_newline
    )


def _stripped(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n")}
