"""What applying edits gives: where each hunk landed and how, or every failure and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

APPLY_FAILED = "{failed} of {total} edits could not be applied, so nothing was changed:"
FAILURE_LINE = "{path}, {unit} {index} of {total} (reply line {reply_line}): {reason}{detail}"


class Strategy(StrEnum):
    """How a hunk or block found its place; recorded in the journal."""

    EXACT = "exact"  # text matched at the stated line (or a block's text matched as written)
    OFFSET = "offset"  # text matched exactly, but not at the stated line (or none was stated)
    WHITESPACE = "whitespace"  # matched once trailing whitespace is ignored
    REINDENT = "reindent"  # matched with the indentation shifted uniformly; added lines follow
    FUZZY_CONTEXT = "fuzzy-context"
    ELIDED = "elided"  # a block whose search text left code out, applied on both sides of it
    DRIFT = "drift"  # a block's search text matched once spacing and quote style are ignored  # some context lines are missing from or extra to the file
    NEW_FILE = "new-file"
    WHOLE_FILE = "whole-file"  # the reply gave the whole new file
    DELETED_FILE = "deleted-file"


class FailureReason(StrEnum):
    """Why a hunk or block could not be applied."""

    CONTEXT_NOT_FOUND = "context not found"
    AMBIGUOUS = "ambiguous"
    FILE_MISSING = "file missing"
    FILE_EXISTS = "file exists for an add"
    NO_ANCHOR = "cannot be placed"
    CANNOT_REINDENT = "cannot re-indent"
    DELETE_MISMATCH = "deletion does not match the file"
    UNCLEAR_FILE = "unclear which file it changes"
    CUT_OFF = "cut off"
    NOT_WHOLE_FILE = "not the whole file"
    BREAKS_SYNTAX = "the file would no longer compile"


class TieBreak(StrEnum):
    """The evidence that settled a hunk that fitted in more than one way."""

    SYNTAX = "syntax"  # only one way leaves a Python file compiling
    # Of the ways that compile, only one is free of (or has fewest of) one of STRUCTURE_CUES:
    UNBOUND_READ = "unbound read"  # a local variable read before it is assigned
    NO_EFFECT = "no effect"  # a statement that does nothing (a bare tuple, comparison, number)
    COMMENT_BEFORE_BODY = "comment before body"  # between a block's opening line and its body
    CODE_IN_STRING = "code in string"  # an added statement as a line of a string literal
    HUNK_ORDER = "hunk order"  # only one place lets the later hunks follow it in file order


@dataclass(frozen=True, slots=True)
class AppliedHunk:
    """Journal entry: where and how one hunk or block was applied."""

    path: str
    index: int  # 1-based position of the hunk (or block) within its FileEdit
    strategy: Strategy
    line: int  # 1-based line of the file before the edit where it landed
    note: str = ""
    tie_break: TieBreak | None = None  # set when the hunk fitted in several ways


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """The new contents of every path the edits touched (None: the file is deleted)."""

    contents: Mapping[str, str | None]
    journal: tuple[AppliedHunk, ...]

    @property
    def deleted(self) -> frozenset[str]:
        return frozenset(path for path, text in self.contents.items() if text is None)

    def merged(self, files: Mapping[str, str]) -> dict[str, str]:
        """`files` with this change applied: the whole tree after the edit."""
        out = dict(files)
        for path, text in self.contents.items():
            if text is None:
                out.pop(path, None)
            else:
                out[path] = text
        return out


@dataclass(frozen=True, slots=True)
class HunkFailure:
    """One hunk or block that could not be applied, and why."""

    path: str
    index: int
    total: int
    unit: str  # "hunk" or "block"
    text: str  # the hunk or block as the model wrote it
    reply_line: int
    reason: FailureReason
    detail: str

    def __str__(self) -> str:
        head = FAILURE_LINE.format(
            path=self.path,
            unit=self.unit,
            index=self.index,
            total=self.total,
            reply_line=self.reply_line,
            reason=self.reason.value,
            detail=f": {self.detail}" if self.detail else "",
        )
        body = "\n".join("    " + line for line in self.text.split("\n"))
        return f"{head}\n{body}"


class EditApplyError(Exception):
    """Some hunks or blocks could not be applied; lists every one of them with its reason."""

    def __init__(self, failures: Sequence[HunkFailure], *, total: int) -> None:
        self.failures = tuple(failures)
        self.total = total
        head = APPLY_FAILED.format(failed=len(self.failures), total=total)
        super().__init__(head + "\n\n" + "\n\n".join(str(f) for f in self.failures))
