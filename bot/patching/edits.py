"""Edits parsed from a model's reply: unified-diff hunks and SEARCH/REPLACE blocks, per file."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The path of an edit whose reply named no file; the request's targets decide (see naming).
UNNAMED = "<unnamed>"


class EditKind(StrEnum):
    """What an edit does to its file."""

    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"


class LineKind(StrEnum):
    """The role of one line of a hunk."""

    CONTEXT = " "
    ADDED = "+"
    REMOVED = "-"


class HeaderState(StrEnum):
    """How far a hunk's `@@` line numbers can be trusted."""

    STATED = "stated"  # numbers present and the counts agree with the body
    MISCOUNTED = "miscounted"  # numbers present but the counts disagree: the model guessed
    MISSING = "missing"  # no header, or one without numbers ("@@ ... @@")


@dataclass(frozen=True, slots=True)
class HunkLine:
    """One line of a hunk, without its line ending."""

    kind: LineKind
    text: str


@dataclass(frozen=True, slots=True)
class Hunk:
    """One hunk of a unified diff, as the model wrote it."""

    lines: tuple[HunkLine, ...]
    old_start: int | None  # 1-based start in the old file as stated; None when missing
    new_start: int | None
    header: HeaderState
    text: str  # the hunk as it appears in the reply, for messages
    reply_line: int  # 1-based line of the reply where the hunk starts
    old_missing_newline: bool = False  # "\ No newline at end of file" after the last old line
    new_missing_newline: bool = False
    # Shorter than its header and ending with fewer context lines than it starts with: either
    # the last hunk of the file or a reply cut off; the applier accepts only the former.
    ends_file: bool = False
    # apply_patch's "@@ def name():": a line above the change, to look for before the context.
    anchor: str = ""

    @property
    def old_lines(self) -> tuple[str, ...]:
        """The lines the hunk expects in the file (context and removed)."""
        return tuple(line.text for line in self.lines if line.kind is not LineKind.ADDED)

    @property
    def new_lines(self) -> tuple[str, ...]:
        """The lines the hunk leaves in the file (context and added)."""
        return tuple(line.text for line in self.lines if line.kind is not LineKind.REMOVED)

    @property
    def changes_something(self) -> bool:
        return any(line.kind is not LineKind.CONTEXT for line in self.lines)


@dataclass(frozen=True, slots=True)
class SearchReplace:
    """One SEARCH/REPLACE edit block: replace `search` by `replace` in the file."""

    search: str  # lines joined with "\n", each ending with "\n"; "" for a new file
    replace: str
    text: str  # the block as it appears in the reply, for messages
    reply_line: int

    @property
    def search_lines(self) -> tuple[str, ...]:
        return tuple(self.search.split("\n")[:-1])

    @property
    def replace_lines(self) -> tuple[str, ...]:
        return tuple(self.replace.split("\n")[:-1])


@dataclass(frozen=True, slots=True)
class FileEdit:
    """Everything the reply wants done to one file: diff hunks or SEARCH/REPLACE blocks."""

    path: str
    kind: EditKind
    hunks: tuple[Hunk, ...] = ()
    blocks: tuple[SearchReplace, ...] = ()
    whole: str | None = None  # the reply gave the whole new file instead of a diff
    whole_line: int = 0  # the reply line of its fence

    @property
    def changes_something(self) -> bool:
        if self.kind is not EditKind.MODIFY or self.whole is not None:
            return True
        return any(h.changes_something for h in self.hunks) or any(
            b.search != b.replace for b in self.blocks
        )
