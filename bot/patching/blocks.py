"""Applying a SEARCH/REPLACE block: its search text, found in the file exactly once."""

from __future__ import annotations

import difflib
import re

from bot.patching.edits import HeaderState, Hunk, HunkLine, LineKind, SearchReplace
from bot.patching.outcomes import FailureReason, Strategy
from bot.patching.placing import (
    AMBIGUOUS_AT,
    INDENT_NOTE,
    REINDENT_DETAIL,
    SHIFT_UNSETTLED,
    WINDOW,
    Problem,
    closest_hint,
    contiguous,
)
from bot.patching.text import Text, render
from bot.patching.tiers import CONTIGUOUS_TIERS, DRIFT_TIER, settle

ELISION_RE = re.compile(
    r"""
    ^\s*(?:\#|//|/\*|<!--)\s*              # a comment
    (?:\.\.\.|…|\[\.\.\.\]|.*\bexisting[ ]code\b)  # that says code is left out here
    """,
    re.VERBOSE | re.IGNORECASE,
)
ELISION_UNPAIRED = (
    "its SEARCH text leaves code out ({line!r}) but its REPLACE text does not say where that "
    "code goes"
)
ELISION_OUT_OF_ORDER = "the text after its elision is not found below the text before it"


def apply_block(current: str, *, block: SearchReplace) -> tuple[str, Strategy, int, str] | Problem:
    """`block` applied to `current`; its search text must be found exactly once. A search
    text that fits nowhere as written may leave code out with an elision comment ("# ...
    existing code ..."): then each side of it must fit once, in order, and the replace text
    must elide at the same point, keeping the left-out lines."""
    found = _apply_plain(current, block=block)
    if not isinstance(found, Problem) or found.reason is not FailureReason.CONTEXT_NOT_FOUND:
        return found
    elided = _apply_elided(current, block=block)
    return found if elided is None else elided


def _apply_elided(
    current: str, *, block: SearchReplace
) -> tuple[str, Strategy, int, str] | Problem | None:
    search, replace = list(block.search_lines), list(block.replace_lines)
    cuts = [k for k, line in enumerate(search) if ELISION_RE.match(line)]
    if len(cuts) != 1 or cuts[0] in (0, len(search) - 1):
        return None
    k = cuts[0]
    marks = [j for j, line in enumerate(replace) if line.strip() == search[k].strip()]
    if len(marks) != 1:
        return Problem(FailureReason.CONTEXT_NOT_FOUND, ELISION_UNPAIRED.format(line=search[k]))
    j = marks[0]
    halves = [(search[:k], replace[:j]), (search[k + 1 :], replace[j + 1 :])]
    result, first_line, notes = current, 0, []
    for index, (part, new) in enumerate(halves):
        half = SearchReplace(
            "".join(x + "\n" for x in part),
            "".join(x + "\n" for x in new),
            block.text,
            block.reply_line,
        )
        outcome = _apply_plain(result, block=half)
        if isinstance(outcome, Problem):
            return outcome
        result, _, line, note = outcome
        if index == 0:
            first_line, floor = line, line + len(new)
        elif line < floor:
            return Problem(FailureReason.CONTEXT_NOT_FOUND, ELISION_OUT_OF_ORDER)
        notes += [note] if note else []
    return result, Strategy.ELIDED, first_line, "; ".join(notes)


def _apply_plain(current: str, *, block: SearchReplace) -> tuple[str, Strategy, int, str] | Problem:
    text = Text.of(current)
    search = list(block.search_lines)
    for tier in (*CONTIGUOUS_TIERS, DRIFT_TIER):
        cands = contiguous(text, old=search, tier=tier)
        if not cands:
            continue
        if len(cands) > 1:
            lines = ", ".join(str(c.start + 1) for c in cands[:10])
            return Problem(
                FailureReason.AMBIGUOUS,
                AMBIGUOUS_AT.format(count=len(cands), lines=lines, why=""),
            )
        cand = cands[0]
        settled = settle(
            cand.shift,
            pairs=list(zip(search, text.lines[cand.start : cand.end], strict=True)),
            added=list(block.replace_lines),
            window=text.lines[max(0, cand.start - WINDOW) : cand.end + WINDOW],
            unit=text.unit,
            tabbed=text.tabbed,
        )
        if settled is None:
            return Problem(
                FailureReason.CANNOT_REINDENT, SHIFT_UNSETTLED.format(width=cand.shift.width())
            )
        cand.shift = settled
        replaced = []
        # Lines the block keeps (equal in SEARCH and REPLACE) are written as the file has them:
        # the model's copy may have drifted in spacing or quotes; only its changes are its own.
        matcher = difflib.SequenceMatcher(None, search, list(block.replace_lines), autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                at = cand.start + i1
                replaced += list(zip(text.lines[at : at + i2 - i1], text.eols[at : at + i2 - i1]))
                continue
            for line in block.replace_lines[j1:j2]:
                shifted = cand.shift.apply(line)
                if shifted is None:
                    return Problem(
                        FailureReason.CANNOT_REINDENT,
                        REINDENT_DETAIL.format(line=line, width=-cand.shift.width()),
                    )
                replaced.append((shifted, text.eol))
        out = list(zip(text.lines[: cand.start], text.eols[: cand.start], strict=True))
        out += replaced
        out += list(zip(text.lines[cand.end :], text.eols[cand.end :], strict=True))
        strategy = tier.strategy
        if tier.strategy is Strategy.REINDENT and not cand.shift.changes():
            strategy = Strategy.WHITESPACE
        note = INDENT_NOTE.format(shift=f"{cand.shift.width():+d}") if cand.shift.width() else ""
        rendered = render(out, eol=text.eol, final_newline=text.ends_with_newline)
        return rendered, strategy, cand.start + 1, note
    hint_hunk = Hunk(
        lines=tuple(HunkLine(LineKind.CONTEXT, line) for line in search),
        old_start=None,
        new_start=None,
        header=HeaderState.MISSING,
        text="",
        reply_line=block.reply_line,
    )
    return Problem(FailureReason.CONTEXT_NOT_FOUND, closest_hint(text, hunk=hint_hunk))
