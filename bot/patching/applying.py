"""Applies the edits found in a model's reply to file contents, exactly where possible, never partially."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from bot.patching.blocks import apply_block
from bot.patching.edits import (
    UNNAMED,
    EditKind,
    FileEdit,
    HeaderState,
    Hunk,
    HunkLine,
    LineKind,
    SearchReplace,
)
from bot.patching.naming import UnclearFile, name_files
from bot.patching.outcomes import (
    AppliedChange,
    AppliedHunk,
    EditApplyError,
    FailureReason,
    HunkFailure,
    Strategy,
)
from bot.patching.placing import (
    Candidate,
    Placement,
    Problem,
    Segment,
    place_hunk,
    render_file,
    searches,
    stated_position,
)
from bot.patching.text import Text
from bot.patching.ties import break_ties, breaks_syntax
from bot.patching.whole import not_whole, whole_file

FILE_MISSING_DETAIL = "{path} does not exist"
FILE_EXISTS_DETAIL = "{path} already exists"
INFERRED_BREAKS_SYNTAX = "it fits only with its context re-indented or partly skipped"
# How a hunk was placed when the placement rests on a reading of its context, not its letter.
INFERRED = frozenset({Strategy.REINDENT, Strategy.FUZZY_CONTEXT})
CUT_OFF_DETAIL = (
    "its header announces more lines than it has, and its context stops at file line {line}, "
    "short of the end of the file"
)
DELETE_MISMATCH_DETAIL = "file line {at} is {found!r}, the deletion lists {expected!r}"


def _apply_hunks(
    path: str, *, original: str, edit: FileEdit
) -> tuple[str, list[AppliedHunk], list[tuple[int, Hunk, Problem]]]:
    text = Text.of(original)
    placements: list[Placement] = []
    problems: list[tuple[int, Hunk, Problem]] = []
    taken: list[tuple[int, int]] = []
    floor = 0
    delta: int | None = 0

    @functools.cache
    def places(k: int) -> list[Candidate]:
        """Hunk k's places at its strictest tier that finds any (searched once per file)."""
        return next((c for _, _, c in searches(text, edit.hunks[k]) if c), [])

    def ceiling(after: int) -> int | None:
        """The last line where hunk `after` may end with every later hunk still fitting below it,
        each as low as it can go; None if they cannot all fit in order anyway."""
        limit = len(text.lines)
        for k in range(len(edit.hunks) - 1, after, -1):
            later = edit.hunks[k]
            if not any(line.kind is not LineKind.ADDED for line in later.lines):
                continue  # a pure insertion: says nothing about order
            cands = places(k)
            if not cands:
                continue  # not in the file: it fails on its own
            fitting = [c for c in cands if c.end <= limit]
            if not fitting:
                return None
            limit = max(c.start for c in fitting)
        return limit

    for index, hunk in enumerate(edit.hunks, 1):
        stated = stated_position(hunk)
        # Line numbers that are off tend to be off by the same amount in every hunk.
        expected = stated + delta if stated is not None and delta is not None else stated
        below = floor
        if hunk.anchor and (seen := _anchor_line(text, anchor=hunk.anchor, floor=floor)):
            # apply_patch's anchor: the hunk's context is the first fit below that line.
            below = seen
            expected = seen if expected is None else expected
        placed = place_hunk(
            text,
            hunk,
            expected=expected,
            floor=below,
            taken=taken,
            ceiling=functools.partial(ceiling, index - 1),
        )
        if not isinstance(placed, Problem) and hunk.ends_file and placed.end < len(text.lines):
            placed = Problem(FailureReason.CUT_OFF, CUT_OFF_DETAIL.format(line=placed.end + 1))
        if isinstance(placed, Problem):
            problems.append((index, hunk, placed))
            continue
        placed.index = index
        placements.append(placed)
        taken.append((placed.start, placed.end))
        floor = placed.end
        delta = placed.start - stated if stated is not None else None
    if not problems:
        break_ties(path, text=text, original=original, placements=placements)
    problems += [(p.index, p.hunk, p.tie) for p in placements if p.tie is not None]
    if problems:
        return original, [], sorted(problems, key=lambda problem: problem[0])
    journal = [
        AppliedHunk(path, p.index, p.strategy, p.start + 1, p.note, p.tie_break) for p in placements
    ]
    segments = [Segment(p.start, p.end, p.lines, p.hunk) for p in placements]
    result = render_file(text, segments=segments)
    inferred = [p for p in placements if p.strategy in INFERRED]
    if inferred and breaks_syntax(path, original=original, result=result):
        # Context that had to be re-indented or partly skipped is the reply's word, read one
        # way; a file that compiled and no longer does says the reading was wrong.
        problem = Problem(FailureReason.BREAKS_SYNTAX, INFERRED_BREAKS_SYNTAX)
        return original, [], [(p.index, p.hunk, problem) for p in inferred]
    return result, journal, []


def apply(
    files: Mapping[str, str],
    *,
    edits: Sequence[FileEdit],
    targets: Collection[str] = (),
    existing: Collection[str] = (),
) -> AppliedChange:
    """Apply `edits` to `files` (path -> text); raise EditApplyError listing every failure.

    `targets` are the files the request asks to change and `existing` every file the
    repository has (besides `files`): an edit that names no file, or a path that is almost
    right, goes to the one of them that fits (see naming).

    Either every hunk and block applies, or nothing is returned: there is no partial result and
    no silent fallback to the old content.
    """
    try:
        edits = place_files(files, edits=edits, targets=targets, existing=existing)
    except UnclearFile as exc:
        unit = next((u for e in edits for u in _units(e)), None)
        failure = HunkFailure(
            UNNAMED,
            1,
            1,
            "file",
            unit.text if unit else "",
            unit.reply_line if unit else 1,
            FailureReason.UNCLEAR_FILE,
            str(exc),
        )
        raise EditApplyError([failure], total=sum(max(1, len(_units(e))) for e in edits)) from exc
    state: dict[str, str | None] = {}
    journal: list[AppliedHunk] = []
    failures: list[HunkFailure] = []
    total = 0

    def current(path: str) -> str | None:
        return state[path] if path in state else files.get(path)

    def fail_all(edit: FileEdit, *, reason: FailureReason, detail: str) -> None:
        units = _units(edit)
        if not units:  # e.g. a git "new file mode" header without a hunk
            failures.append(HunkFailure(edit.path, 1, 1, "file", "", 0, reason, detail))
        for index, unit in enumerate(units, 1):
            failures.append(_failure(edit, index=index, unit=unit, reason=reason, detail=detail))

    for edit in edits:
        total += max(1, len(_units(edit)))
        existing = current(edit.path)
        if edit.kind is EditKind.ADD:
            if existing is not None:
                fail_all(
                    edit,
                    reason=FailureReason.FILE_EXISTS,
                    detail=FILE_EXISTS_DETAIL.format(path=edit.path),
                )
                continue
            state[edit.path] = _new_file_text(edit)
            journal.append(AppliedHunk(edit.path, 1, Strategy.NEW_FILE, 1))
        elif edit.kind is EditKind.DELETE:
            if existing is None:
                fail_all(
                    edit,
                    reason=FailureReason.FILE_MISSING,
                    detail=FILE_MISSING_DETAIL.format(path=edit.path),
                )
                continue
            mismatch = _deletion_mismatch(existing, edit=edit)
            if mismatch:
                fail_all(edit, reason=FailureReason.DELETE_MISMATCH, detail=mismatch)
                continue
            state[edit.path] = None
            journal.append(AppliedHunk(edit.path, 1, Strategy.DELETED_FILE, 1))
        else:
            if existing is None:
                fail_all(
                    edit,
                    reason=FailureReason.FILE_MISSING,
                    detail=FILE_MISSING_DETAIL.format(path=edit.path),
                )
                continue
            if edit.whole is not None:
                problem = not_whole(existing, new=edit.whole)
                if problem:
                    failures.append(
                        HunkFailure(
                            edit.path,
                            1,
                            1,
                            "file",
                            edit.whole[:200],
                            edit.whole_line,
                            FailureReason.NOT_WHOLE_FILE,
                            problem,
                        )
                    )
                    continue
                state[edit.path] = whole_file(existing, new=edit.whole)
                journal.append(AppliedHunk(edit.path, 1, Strategy.WHOLE_FILE, 1))
                continue
            result = existing
            edit = _without_repeats(edit)
            if edit.hunks:
                result, entries, problems = _apply_hunks(edit.path, original=existing, edit=edit)
                for index, hunk, problem in problems:
                    failures.append(
                        _failure(
                            edit,
                            index=index,
                            unit=hunk,
                            reason=problem.reason,
                            detail=problem.detail,
                        )
                    )
                if problems:
                    continue
                journal.extend(entries)
            failed_block = False
            for index, block in enumerate(edit.blocks, 1):
                outcome = apply_block(result, block=block)
                if isinstance(outcome, Problem):
                    failures.append(
                        _failure(
                            edit,
                            index=index,
                            unit=block,
                            reason=outcome.reason,
                            detail=outcome.detail,
                        )
                    )
                    failed_block = True
                    continue
                result, strategy, line, note = outcome
                journal.append(AppliedHunk(edit.path, index, strategy, line, note))
            if not failed_block:
                state[edit.path] = result
    if failures:
        raise EditApplyError(failures, total=total)
    return AppliedChange(contents=dict(state), journal=tuple(journal))


def place_files(
    files: Mapping[str, str],
    *,
    edits: Sequence[FileEdit],
    targets: Collection[str] = (),
    existing: Collection[str] = (),
) -> tuple[FileEdit, ...]:
    """`edits` with each path read against the request (see naming): `targets` are the files
    it asks to change, `existing` every file there is besides `files` (path -> text), in
    which an edit is tried when several files could be meant. Raises UnclearFile (a
    ReplyError) when the reply and the request leave more than one file, or none."""
    return name_files(
        edits,
        targets=targets,
        existing={*files, *existing},
        fits=functools.partial(_fits, files),
    )


def _anchor_line(text: Text, *, anchor: str, floor: int) -> int | None:
    """The line after the first file line at or below `floor` that reads as `anchor`."""
    wanted = anchor.strip()
    for at in range(floor, len(text.lines)):
        if text.lines[at].strip() == wanted:
            return at + 1
    return None


def _without_repeats(edit: FileEdit) -> FileEdit:
    """The edit with a hunk the reply gives twice, line for line and at the same stated line,
    kept once: the second copy would find its context already changed by the first. (Two
    copies stating different lines, or none, may mean two like places in the file: both are
    kept.)"""
    seen: set[tuple[tuple[HunkLine, ...], int | None]] = set()
    kept = []
    for hunk in edit.hunks:
        key = (hunk.lines, hunk.old_start)
        if key in seen and hunk.changes_something and hunk.header is HeaderState.STATED:
            continue
        seen.add(key)
        kept.append(hunk)
    return replace(edit, hunks=tuple(kept)) if len(kept) < len(edit.hunks) else edit


def _fits(files: Mapping[str, str], edit: FileEdit, path: str) -> bool:
    """Whether every hunk and block of `edit` finds its place in `files[path]`."""
    text = files.get(path)
    if text is None:
        return False
    if edit.hunks and _apply_hunks(path, original=text, edit=edit)[2]:
        return False
    for block in edit.blocks:
        outcome = apply_block(text, block=block)
        if isinstance(outcome, Problem):
            return False
        text = outcome[0]
    return True


def _units(edit: FileEdit) -> tuple[Hunk | SearchReplace, ...]:
    units: tuple[Hunk | SearchReplace, ...] = (*edit.hunks, *edit.blocks)
    return units


def _failure(
    edit: FileEdit, *, index: int, unit: Hunk | SearchReplace, reason: FailureReason, detail: str
) -> HunkFailure:
    is_hunk = isinstance(unit, Hunk)
    return HunkFailure(
        path=edit.path,
        index=index,
        total=len(edit.hunks) if is_hunk else len(edit.blocks),
        unit="hunk" if is_hunk else "block",
        text=unit.text,
        reply_line=unit.reply_line,
        reason=reason,
        detail=detail,
    )


def _new_file_text(edit: FileEdit) -> str:
    if edit.blocks:
        return "".join(block.replace for block in edit.blocks)
    lines = [line.text for hunk in edit.hunks for line in hunk.lines]
    if not lines:
        return ""
    ends_without = bool(edit.hunks) and edit.hunks[-1].new_missing_newline
    return "\n".join(lines) + ("" if ends_without else "\n")


def _deletion_mismatch(existing: str, *, edit: FileEdit) -> str:
    listed = [
        line.text for hunk in edit.hunks for line in hunk.lines if line.kind is LineKind.REMOVED
    ]
    if not listed:
        return ""
    actual = Text.of(existing).lines
    for at, (expected, found) in enumerate(zip(listed, actual, strict=False), 1):
        if expected.rstrip() != found.rstrip():
            return DELETE_MISMATCH_DETAIL.format(at=at, found=found, expected=expected)
    if len(listed) != len(actual):
        return DELETE_MISMATCH_DETAIL.format(
            at=min(len(listed), len(actual)) + 1,
            found=actual[len(listed)] if len(actual) > len(listed) else "(end of file)",
            expected=listed[len(actual)] if len(listed) > len(actual) else "(end of deletion)",
        )
    return ""
