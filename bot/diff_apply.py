"""Applies the edits found in a model's reply to file contents, exactly where possible, never partially."""

from __future__ import annotations

import ast
import functools
import io
import itertools
import math
import re
import tokenize
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.edit_reply import (
    EditKind,
    FileEdit,
    HeaderState,
    Hunk,
    HunkLine,
    LineKind,
    SearchReplace,
)

# --- user-facing messages -------------------------------------------------------------------

APPLY_FAILED = "{failed} of {total} edits could not be applied, so nothing was changed:"
FAILURE_LINE = "{path}, {unit} {index} of {total} (reply line {reply_line}): {reason}{detail}"
CLOSEST_MATCH = (
    "closest are file lines {first}-{last}, matching {hits} of the {wanted} lines the hunk "
    "expects; first difference at file line {at}: the hunk expects {expected!r}, the file has {found!r}"
)
NOTHING_CLOSE = "none of the lines the hunk expects occurs in the file"
ALREADY_APPLIED = "the file already has this hunk's new lines at line {line} (applied twice?)"
AMBIGUOUS_AT = "matches at {count} places (file lines {lines}){why}"
AMBIGUOUS_NO_NUMBERS = "; the hunk has no usable line numbers to choose"
INSERTION_AMBIGUOUS = (
    "the hunk's context leaves out file lines near file line {line}, and without them it fits "
    "there in more than one way with different results (e.g. its added lines could go before "
    "or after a left-out line)"
)
EDGE_AMBIGUOUS = (
    "the hunk's context does not fully match near file line {line} and its added lines sit at "
    "the hunk's edge, with no matching line on that side to place them by"
)
NOT_AT_TOP = (
    "the hunk starts at line 1 with added lines, but its context is at file line {line}: a "
    "context line above it is probably missing, so the added lines may belong above that line"
)
AMBIGUOUS_TIE = "; two are equally near the stated line {line}"
COMPILES_WITH_SEVERAL = "; the file compiles with {count} of the {total} ways"
COMPILES_WITH_NONE = "; the file does not compile with any of them"
NO_ANCHOR_DETAIL = "it has no context or removed line and no usable line number"
FILE_MISSING_DETAIL = "{path} does not exist"
FILE_EXISTS_DETAIL = "{path} already exists"
DELETE_MISMATCH_DETAIL = "file line {at} is {found!r}, the deletion lists {expected!r}"
REINDENT_DETAIL = (
    "added line {line!r} is indented less than the {width}-column shift between hunk and file"
)
OFFSET_NOTE = "{distance} lines {direction} the stated line {stated}"
NO_NUMBERS_NOTE = "located by its context alone (no line numbers)"
MISCOUNTED_NOTE = (
    "located by its context alone (header counts disagree with the body, numbers ignored)"
)
INDENT_NOTE = "indentation shifted by {shift} columns"
FUZZY_NOTE = "{skipped_hunk} hunk context lines not in the file, {skipped_file} file lines missing from its context"
SYNTAX_NOTE = "of {total} ways to place its added lines, only this one leaves the file compiling"
CODE_IN_STRING_NOTE = (
    "of {total} ways to place its added lines, only this one compiles with its added statements "
    "as code (not inside a string)"
)
COMMENT_NOTE = (
    "of {total} ways to place its added lines, only this one compiles without a comment between "
    "a block's opening line and its body indented no deeper than the opening line"
)
NO_EFFECT_NOTE = (
    "of {total} ways to place its added lines, only this one compiles without a statement that "
    "does nothing (a bare tuple, comparison or number)"
)
UNBOUND_NOTE = (
    "of {total} ways to place its added lines, only this one compiles without a function "
    "reading a local variable before assigning it"
)
ORDER_NOTE = "of {total} matching places, only this one keeps the hunks in file order"

# Aligning a hunk whose context lines are partly missing or extra: at most this many lines may
# be skipped, so a hunk is never "found" where little of it matches.
# A third of the hunk's old lines (at least one, at most eight).
MAX_SKIPPED_SHARE = 3
MAX_SKIPPED_CAP = 8
# Windows of a fuzzy search around each anchor; above this many anchors the line is too common
# to be a useful anchor.
MAX_ANCHORS = 400
# Insertions next to lines the hunk left out can go before or after them; past this many
# combinations the hunk is too vague to place.
MAX_PLACEMENTS = 64
SKIP = 1000  # alignment cost of one skipped line
# Files whose syntax can settle where added lines go: a file that compiled before the edit must
# still compile after it.
PYTHON_SUFFIXES = (".py", ".pyi")
# Combinations of undecided hunks compiled at most, per file: each is a full compile.
MAX_SYNTAX_CHECKS = 16
BLANK_LINES_RE = re.compile(r"\n[ \t\r\f]*(?=\n)")

# Scoring every window for the "closest match" hint is quadratic; skip it for huge inputs.
HINT_BUDGET = 4_000_000


class Strategy(StrEnum):
    """How a hunk or block found its place; recorded in the journal."""

    EXACT = "exact"  # text matched at the stated line (or a block's text matched as written)
    OFFSET = "offset"  # text matched exactly, but not at the stated line (or none was stated)
    WHITESPACE = "whitespace"  # matched once trailing whitespace is ignored
    REINDENT = "reindent"  # matched with the indentation shifted uniformly; added lines follow
    FUZZY_CONTEXT = "fuzzy-context"  # some context lines are missing from or extra to the file
    NEW_FILE = "new-file"
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


# --- text with line endings -----------------------------------------------------------------


@dataclass(slots=True)
class _Text:
    """A file split into line contents and their own line endings ("\\n", "\\r\\n" or "")."""

    lines: list[str]
    eols: list[str]
    _keys: dict[str, list[str]] = field(default_factory=dict)
    _index: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> _Text:
        # Split on "\n" only: str.splitlines() would also split on form feeds and other
        # separators that source files contain (the stdlib has "\f" in a few modules).
        parts = text.split("\n")
        lines: list[str] = []
        eols: list[str] = []
        for part in parts[:-1]:
            if part.endswith("\r"):
                lines.append(part[:-1])
                eols.append("\r\n")
            else:
                lines.append(part)
                eols.append("\n")
        if parts[-1]:
            lines.append(parts[-1])
            eols.append("")
        return cls(lines, eols)

    @property
    def eol(self) -> str:
        """The file's dominant line ending, given to every added line."""
        crlf = sum(1 for e in self.eols if e == "\r\n")
        return "\r\n" if crlf * 2 > len(self.eols) else "\n"

    @property
    def ends_with_newline(self) -> bool:
        return not self.eols or self.eols[-1] != ""

    def keys(self, tier: _Tier) -> list[str]:
        if tier.name not in self._keys:
            self._keys[tier.name] = [tier.key(line) for line in self.lines]
        return self._keys[tier.name]

    def index(self, tier: _Tier) -> dict[str, list[int]]:
        if tier.name not in self._index:
            positions: dict[str, list[int]] = {}
            for pos, key in enumerate(self.keys(tier)):
                positions.setdefault(key, []).append(pos)
            self._index[tier.name] = positions
        return self._index[tier.name]


def _render(lines: list[tuple[str, str]], *, eol: str, final_newline: bool) -> str:
    """Join (content, ending) pairs; every line but the last gets an ending, the last per rule."""
    if not lines:
        return ""
    out = []
    for content, ending in lines[:-1]:
        out.append(content + (ending or eol))
    content, ending = lines[-1]
    out.append(content + ((ending or eol) if final_newline else ""))
    return "".join(out)


# --- matching tiers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tier:
    name: str
    strategy: Strategy
    key: Callable[[str], str]
    reindent: bool  # the indentation may differ: work out the shift and apply it to added lines


EXACT_TIER = _Tier("exact", Strategy.EXACT, lambda s: s, reindent=False)
RSTRIP_TIER = _Tier("rstrip", Strategy.WHITESPACE, str.rstrip, reindent=False)
STRIP_TIER = _Tier("strip", Strategy.REINDENT, str.strip, reindent=True)
CONTIGUOUS_TIERS = (EXACT_TIER, RSTRIP_TIER, STRIP_TIER)
FUZZY_TIERS = (RSTRIP_TIER, STRIP_TIER)


@dataclass(frozen=True, slots=True)
class _Shift:
    """Indentation difference between hunk and file: drop `remove`, then prepend `add`."""

    add: str = ""
    remove: str = ""

    def width(self) -> int:
        return len(self.add) - len(self.remove)

    def apply(self, line: str) -> str | None:
        if not line.strip():
            return line
        if not line.startswith(self.remove):
            return None
        return self.add + line[len(self.remove) :]


NO_SHIFT = _Shift()


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _shift_between(pairs: list[tuple[str, str]]) -> _Shift | None:
    """The one uniform shift turning each hunk line's indentation into its file line's; or None."""
    shift: _Shift | None = None
    for hunk_line, file_line in pairs:
        if not hunk_line.strip():
            continue
        h, f = _indent(hunk_line), _indent(file_line)
        if shift is None:
            if f.endswith(h):
                shift = _Shift(add=f[: len(f) - len(h)])
            elif h.endswith(f):
                shift = _Shift(remove=h[: len(h) - len(f)])
            else:
                return None
        if not h.startswith(shift.remove) or shift.add + h[len(shift.remove) :] != f:
            return None
    return shift or NO_SHIFT


# --- placing hunks --------------------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    mapping: list[int | None]  # file line of each old (context/removed) hunk line, None if skipped
    shift: _Shift
    cost: int = 0


@dataclass(slots=True)
class _Placement:
    start: int
    end: int
    lines: list[tuple[str, str]]  # replacement for file lines [start, end)
    strategy: Strategy
    note: str
    hunk: Hunk
    # Undecided: the ways the hunk fits (within [start, end)), and the problem to report if
    # nothing tells them apart.
    options: list[_Effect] = field(default_factory=list)
    tie: _Problem | None = None
    tie_break: TieBreak | None = None
    index: int = 0  # 1-based position of the hunk in its FileEdit

    def settle(self, effect: _Effect, *, tie_break: TieBreak, note: str) -> None:
        self.start, self.end, self.lines = effect.start, effect.end, effect.lines
        self.strategy, self.note = effect.strategy, "; ".join(n for n in (effect.note, note) if n)
        self.options, self.tie, self.tie_break = [], None, tie_break


@dataclass(slots=True)
class _Problem:
    reason: FailureReason
    detail: str


@dataclass(slots=True)
class _Tie:
    """A hunk that fits in several ways with different results, the hunk itself saying nothing
    to choose; the file's syntax may (see _break_ties)."""

    effects: list[_Effect]
    problem: _Problem


def _old_part(hunk: Hunk) -> tuple[list[str], list[LineKind]]:
    old = [line for line in hunk.lines if line.kind is not LineKind.ADDED]
    return [line.text for line in old], [line.kind for line in old]


def _contiguous(text: _Text, *, old: list[str], tier: _Tier) -> list[_Candidate]:
    keys = text.keys(tier)
    index = text.index(tier)
    wanted = [tier.key(line) for line in old]
    m = len(wanted)
    # Anchor on the hunk line that occurs least often in the file.
    anchor = min(range(m), key=lambda k: len(index.get(wanted[k], ())))
    out = []
    for pos in index.get(wanted[anchor], ()):
        start = pos - anchor
        if start < 0 or start + m > len(keys) or keys[start : start + m] != wanted:
            continue
        shift = NO_SHIFT
        if tier.reindent:
            found = _shift_between(list(zip(old, text.lines[start : start + m], strict=True)))
            if found is None:
                continue
            shift = found
        out.append(_Candidate(start, start + m, list(range(start, start + m)), shift))
    return out


def _gap_allows_skips(hunk: Hunk) -> list[bool]:
    """For each gap between old lines k-1 and k: may file lines the hunk leaves out sit there?

    Everywhere but inside one change ("-" lines, then "+" lines): between two of its removed
    lines it is unclear whether the unlisted line goes too. A "-" after a "+" starts a new
    change, as in every diff tool's output.
    """
    allowed = [False]
    prev: LineKind | None = None
    adds_between = False
    for line in hunk.lines:
        if line.kind is LineKind.ADDED:
            adds_between = True
            continue
        if prev is not None:
            same_change = (
                prev is LineKind.REMOVED and line.kind is LineKind.REMOVED and not adds_between
            )
            allowed.append(not same_change)
        prev = line.kind
        adds_between = False
    return allowed


def _fuzzy(text: _Text, *, hunk: Hunk, tier: _Tier) -> list[_Candidate]:
    """Windows where the hunk matches with a few context lines missing or extra."""
    old, kinds = _old_part(hunk)
    m = len(old)
    budget = min(MAX_SKIPPED_CAP, max(1, m // MAX_SKIPPED_SHARE))
    # Skipping a line of the hunk (the model invented it) is riskier than skipping a file line
    # (the model left it out): at most a third of the hunk's old lines may go unmatched.
    hunk_budget = m // MAX_SKIPPED_SHARE
    keys = text.keys(tier)
    index = text.index(tier)
    wanted = [tier.key(line) for line in old]
    counts = [len(index.get(k, ())) if k else 10**9 for k in wanted]
    removed = [k for k in range(m) if kinds[k] is LineKind.REMOVED]
    if removed:
        # Every removed line must be in the file; the rarest one anchors the search.
        if any(counts[k] == 0 for k in removed):
            return []
        anchors = [min(removed, key=lambda k: counts[k])]
    else:
        # Any context line may be the skipped one: with budget+1 distinct anchors at least one
        # of them is matched in every acceptable alignment.
        present = sorted((k for k in range(m) if 0 < counts[k] < 10**9), key=lambda k: counts[k])
        anchors = present[: budget + 1]
    allowed = _gap_allows_skips(hunk)
    seen: dict[tuple[int, ...], _Candidate] = {}
    for a in anchors:
        positions = index.get(wanted[a], [])
        if len(positions) > MAX_ANCHORS:
            continue
        for pos in positions:
            lo = max(0, pos - a - budget)
            hi = min(len(keys), pos + (m - a) + budget)
            for cand in _align(
                wanted, kinds=kinds, allowed=allowed, keys=keys, lo=lo, hi=hi, budget=budget
            ):
                if sum(1 for q in cand.mapping if q is None) > hunk_budget:
                    continue
                if tier.reindent:
                    pairs = [
                        (old[k], text.lines[q]) for k, q in enumerate(cand.mapping) if q is not None
                    ]
                    found = _shift_between(pairs)
                    if found is None:
                        continue
                    cand.shift = found
                key = tuple(-1 if q is None else q for q in cand.mapping)
                if key not in seen or seen[key].cost > cand.cost:
                    seen[key] = cand
    return list(seen.values())


def _align(
    wanted: list[str],
    *,
    kinds: list[LineKind],
    allowed: list[bool],
    keys: list[str],
    lo: int,
    hi: int,
    budget: int,
) -> list[_Candidate]:
    """Semi-global alignment of the hunk's old lines against file lines [lo, hi).

    Context lines may be skipped (the model invented them) and file lines may be skipped where
    `allowed` says so (the model left them out); each skip costs 1. Removed lines must match.
    """
    m = len(wanted)
    width = hi - lo
    # Each skip costs SKIP; skipping a hunk line costs one more, so that of two alignments with
    # as many skips the one that keeps every line the model wrote wins.
    inf = (budget + 1) * SKIP
    cost = [[0] * (width + 1)] + [[inf] * (width + 1) for _ in range(m)]
    # Every optimal move per cell (1: match, 2: skip the hunk line, 4: skip the file line), so
    # that equally good alignments with different results are all seen, not one picked blindly.
    moves = [[0] * (width + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        row, prev = cost[i], cost[i - 1]
        mrow = moves[i]
        key = wanted[i - 1]
        skippable = kinds[i - 1] is LineKind.CONTEXT
        skip_file = i < m and allowed[i]
        for j in range(width + 1):
            options = []
            if j and keys[lo + j - 1] == key:
                options.append((prev[j - 1], 1))
            if skippable:
                options.append((prev[j] + SKIP + 1, 2))
            if skip_file and j:
                options.append((row[j - 1] + SKIP, 4))
            best = min((c for c, _ in options), default=inf)
            if best >= inf:
                continue
            row[j] = best
            mrow[j] = sum(how for c, how in options if c == best)
    final = cost[m]
    least = min(final)
    if least // SKIP > budget:
        return []
    out = []
    for j_end in range(width + 1):
        if final[j_end] != least:
            continue
        stack: list[tuple[int, int, tuple[int | None, ...]]] = [(m, j_end, ())]
        found = 0
        while stack and found <= MAX_PLACEMENTS:
            i, j, tail = stack.pop()
            if i == 0:
                found += 1
                mapping = list(tail)
                matched = [q for q in mapping if q is not None]
                if matched and any(wanted[k] for k, q in enumerate(mapping) if q is not None):
                    out.append(_Candidate(matched[0], matched[-1] + 1, mapping, NO_SHIFT, least))
                continue
            how = moves[i][j]
            if how & 1:
                stack.append((i - 1, j - 1, (lo + j - 1, *tail)))
            if how & 2:
                stack.append((i - 1, j, (None, *tail)))
            if how & 4:
                stack.append((i, j - 1, tail))
    return out


def _assemble(
    text: _Text, *, hunk: Hunk, cand: _Candidate, split: bool = False
) -> list[_Effect] | _Problem:
    """Every way the candidate can rewrite its window (one, unless an insertion sits next to
    file lines the hunk left out, when the added lines may go before or after them).

    With `split`, the left-out lines may also sit between the added lines, which the hunk shows
    together: only asked when no placement that keeps them together compiles.
    """
    eol = text.eol
    pieces: list[list[list[tuple[str, str]]]] = []  # each piece: its alternative line lists
    pending: list[tuple[str, str]] = []
    attached = False  # the pending added lines replace removed lines: they go in their place
    cursor = cand.start

    def fixed(lines: list[tuple[str, str]]) -> None:
        pieces.append([lines])

    def file_lines(lo: int, hi: int) -> list[tuple[str, str]]:
        return list(zip(text.lines[lo:hi], text.eols[lo:hi], strict=True))

    matched_before_add = True  # every added line so far had a matched old line before it
    k = 0
    for line in hunk.lines:
        if line.kind is LineKind.ADDED:
            if cursor == cand.start and not any(q is not None for q in cand.mapping[:k]):
                matched_before_add = False
            shifted = cand.shift.apply(line.text)
            if shifted is None:
                return _Problem(
                    FailureReason.CANNOT_REINDENT,
                    REINDENT_DETAIL.format(line=line.text, width=-cand.shift.width()),
                )
            pending.append((shifted, eol))
            continue
        q = cand.mapping[k]
        k += 1
        if q is None:
            continue  # a context line the file does not have
        # Context, or a "-" after "+" lines, ends the change before it: place its added lines.
        kept = file_lines(cursor, q)
        if pending and kept and not attached:
            if not split:
                pieces.append([kept[:cut] + pending + kept[cut:] for cut in range(len(kept) + 1)])
            elif math.comb(len(kept) + len(pending), len(kept)) > MAX_PLACEMENTS:
                return _Problem(
                    FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=cand.start + 1)
                )
            else:
                pieces.append(_interleavings(kept, pending))
        else:
            fixed(pending + kept)
        pending, cursor = [], q + 1
        if line.kind is LineKind.REMOVED:
            attached = True  # added lines that follow replace this one and go in its place
            continue
        fixed(file_lines(q, q + 1))
        attached = False
    if cand.cost and (
        (not matched_before_add and cand.start > 0) or (pending and cursor < len(text.lines))
    ):
        # Fuzzy placement with added lines at the hunk's edge: nothing pins them on that side,
        # and a context line the model left out may belong between them and the file's edge.
        return _Problem(FailureReason.AMBIGUOUS, EDGE_AMBIGUOUS.format(line=cand.start + 1))
    fixed(pending)
    combos = 1
    for alternatives in pieces:
        combos *= len(alternatives)
    if combos > MAX_PLACEMENTS:
        return _Problem(FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=cand.start + 1))
    outputs: list[list[tuple[str, str]]] = [[]]
    for alternatives in pieces:
        outputs = [done + alt for done in outputs for alt in alternatives]
    effects: dict[tuple[int, int, tuple[str, ...]], _Effect] = {}
    for out in outputs:
        effect = _Effect.of(text, cand=cand, out=out, end=cursor)
        effects.setdefault(effect.key, effect)
    return list(effects.values())


def _interleavings(
    first: list[tuple[str, str]], second: list[tuple[str, str]]
) -> list[list[tuple[str, str]]]:
    """Every merge of the two line lists that keeps the order within each."""
    size = len(first) + len(second)
    merges = []
    for slots in itertools.combinations(range(size), len(first)):
        taken_slots = set(slots)
        ours, theirs = iter(first), iter(second)
        merges.append([next(ours) if k in taken_slots else next(theirs) for k in range(size)])
    return merges


@dataclass(slots=True)
class _Effect:
    """What a placement does to the file, reduced to the lines that really change."""

    cand: _Candidate
    start: int
    end: int
    lines: list[tuple[str, str]]
    key: tuple[int, int, tuple[str, ...]]
    tie_break: TieBreak | None = None  # the evidence that chose it over other placements
    strategy: Strategy = Strategy.EXACT  # how it was found, for the journal (set by _place)
    note: str = ""

    @classmethod
    def of(
        cls,
        text: _Text,
        *,
        cand: _Candidate,
        out: list[tuple[str, str]],
        end: int,
        start: int | None = None,
    ) -> _Effect:
        """`out` replaces file lines [start, end); start defaults to the candidate's."""
        start = cand.start if start is None else start
        lo, hi = start, end
        first, last = 0, len(out)
        # Trim lines the placement leaves as they are, so that two alignments that differ only
        # in which of two equal lines they matched compare equal.
        while lo < hi and first < last and out[first][0] == text.lines[lo]:
            lo, first = lo + 1, first + 1
        while lo < hi and first < last and out[last - 1][0] == text.lines[hi - 1]:
            hi, last = hi - 1, last - 1
        core = [content for content, _ in out[first:last]]
        # A pure insertion into a run of equal lines has the same result wherever in the run it
        # goes: roll it to the end of the run.
        while lo == hi and core and hi < len(text.lines) and core[0] == text.lines[hi]:
            core = core[1:] + [text.lines[hi]]
            lo = hi = hi + 1
        return cls(cand, start, end, out, (lo, hi, tuple(core)))


def _overlaps(start: int, *, end: int, taken: list[tuple[int, int]]) -> bool:
    for s, e in taken:
        if start < e and s < end:
            return True
        if start == end and s < start < e:
            return True
        if s == e and start < s < end:
            return True
    return False


def _choose(
    text: _Text,
    *,
    hunk: Hunk,
    cands: list[_Candidate],
    expected: int | None,
    floor: int,
    taken: list[tuple[int, int]],
    ceiling: Callable[[], int | None],
) -> _Effect | _Tie | _Problem | None:
    """Pick the placement to use; ambiguity is a problem (or a tie), never a coin toss.

    `ceiling()` is the last line where the hunk may end so that the hunks after it can still
    follow it in file order (None if they cannot anyway).
    """
    cands = [c for c in cands if not _overlaps(c.start, end=c.end, taken=taken)]
    if not cands:
        return None
    # Hunks come in file order: prefer places after the previous hunk.
    after = [c for c in cands if c.start >= floor]
    cands = after or cands
    picked = _pick(text, hunk=hunk, cands=cands, expected=expected)
    starts = {c.start for c in cands}
    if isinstance(picked, _Effect) or len(starts) == 1:
        return picked
    # Several places: the same rule seen from the other side, places before the next hunks, can
    # leave one. Only asked here, as it costs a search for each later hunk.
    limit = ceiling()
    before = [c for c in cands if limit is not None and c.end <= limit]
    if not before or len(before) == len(cands):
        return picked
    ordered = _pick(text, hunk=hunk, cands=before, expected=expected)
    if isinstance(ordered, _Effect):
        ordered.tie_break = TieBreak.HUNK_ORDER
        ordered.note = ORDER_NOTE.format(total=len(starts))
    return ordered


def _pick(
    text: _Text, *, hunk: Hunk, cands: list[_Candidate], expected: int | None
) -> _Effect | _Tie | _Problem:
    least = min(c.cost for c in cands)
    cands = sorted((c for c in cands if c.cost == least), key=lambda c: c.start)
    by_key: dict[tuple[int, int, tuple[str, ...]], _Effect] = {}
    split: list[int] = []  # candidates that are ambiguous on their own
    for cand in cands:
        effects = _assemble(text, hunk=hunk, cand=cand)
        if isinstance(effects, _Problem):
            return effects
        if len(effects) > 1:
            split.append(cand.start)
        for effect in effects:
            by_key.setdefault(effect.key, effect)
    effects = sorted(by_key.values(), key=lambda e: e.start)
    if len(effects) == 1:
        return effects[0]
    starts = sorted({e.start for e in effects})
    if len(starts) == 1 or (split and len(starts) <= len(split)):
        return _Tie(
            effects,
            _Problem(FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=starts[0] + 1)),
        )
    lines = ", ".join(str(s + 1) for s in starts[:10]) + (", …" if len(starts) > 10 else "")
    if expected is None:
        return _Problem(
            FailureReason.AMBIGUOUS,
            AMBIGUOUS_AT.format(count=len(starts), lines=lines, why=AMBIGUOUS_NO_NUMBERS),
        )
    ranked = sorted(effects, key=lambda e: abs(e.start - expected))
    best = abs(ranked[0].start - expected)
    nearest = [e for e in ranked if abs(e.start - expected) == best]
    if len(nearest) == 1:
        return ranked[0]
    if len({e.start for e in nearest}) == 1:
        why = INSERTION_AMBIGUOUS.format(line=nearest[0].start + 1)
        return _Tie(nearest, _Problem(FailureReason.AMBIGUOUS, why))
    why = AMBIGUOUS_TIE.format(line=expected + 1)
    return _Problem(
        FailureReason.AMBIGUOUS, AMBIGUOUS_AT.format(count=len(starts), lines=lines, why=why)
    )


def _stated_position(hunk: Hunk) -> int | None:
    """0-based file line where the hunk says it starts, if its header can be trusted."""
    if hunk.header is not HeaderState.STATED or hunk.old_start is None:
        return None
    if not any(line.kind is not LineKind.ADDED for line in hunk.lines):
        return hunk.old_start  # "-N,0" inserts after line N
    return max(hunk.old_start - 1, 0)


def _searches(text: _Text, hunk: Hunk) -> Iterator[tuple[_Tier, bool, list[_Candidate]]]:
    """Candidate places of the hunk per matching tier, strictest first: (tier, fuzzy, cands)."""
    old, _ = _old_part(hunk)
    for tier in CONTIGUOUS_TIERS:
        yield tier, False, _contiguous(text, old=old, tier=tier)
    for tier in FUZZY_TIERS:
        yield tier, True, _fuzzy(text, hunk=hunk, tier=tier)


def _place(
    text: _Text,
    hunk: Hunk,
    *,
    expected: int | None,
    floor: int,
    taken: list[tuple[int, int]],
    ceiling: Callable[[], int | None],
) -> _Placement | _Problem:
    old, _ = _old_part(hunk)
    stated = _stated_position(hunk)
    if not old:
        if not text.lines:
            position = 0
        elif expected is None:
            return _Problem(FailureReason.NO_ANCHOR, NO_ANCHOR_DETAIL)
        else:
            position = min(max(expected, 0), len(text.lines))
        adds = [(line.text, text.eol) for line in hunk.lines]
        strategy = Strategy.EXACT if position == stated else Strategy.OFFSET
        return _Placement(position, position, adds, strategy, "", hunk)
    # Like git apply: a hunk that says it starts at line 1 and opens with added lines puts them
    # at the very top. Found lower down, a context line above them is probably missing, and the
    # added lines may belong anywhere above their context: a tie, unless syntax settles it.
    top_only = stated == 0 and hunk.lines[0].kind is LineKind.ADDED
    for tier, fuzzy, cands in _searches(text, hunk):
        lower = top_only and bool(cands) and not any(c.start == 0 for c in cands)
        if top_only and not lower:
            cands = [c for c in cands if c.start == 0]
        chosen = _choose(
            text,
            hunk=hunk,
            cands=cands,
            expected=expected,
            floor=floor,
            taken=taken,
            ceiling=ceiling,
        )
        if chosen is None:
            continue
        if lower:
            line = (chosen.start if isinstance(chosen, _Effect) else cands[0].start) + 1
            not_at_top = _Problem(FailureReason.AMBIGUOUS, NOT_AT_TOP.format(line=line))
            if not isinstance(chosen, _Effect):
                return not_at_top
            variants = _top_variants(text, hunk=hunk, effect=chosen)
            if variants is None:
                return not_at_top
            chosen = _Tie(variants, not_at_top) if len(variants) > 1 else variants[0]
        if isinstance(chosen, _Problem):
            return chosen
        effects = chosen.effects if isinstance(chosen, _Tie) else [chosen]
        for effect in effects:
            # Moved to the top: the file lines above the context count as left out of it.
            first_matched = next(q for q in effect.cand.mapping if q is not None)
            moved = effect.cand.start < first_matched
            effect.strategy, note = _describe(
                tier, fuzzy=fuzzy or moved, cand=effect.cand, stated=stated, hunk=hunk
            )
            effect.note = "; ".join(n for n in (note, effect.note) if n)
        if isinstance(chosen, _Tie):
            return _Placement(
                min(e.start for e in effects),
                max(e.end for e in effects),
                [],
                effects[0].strategy,
                effects[0].note,
                hunk,
                options=effects,
                tie=chosen.problem,
            )
        return _Placement(
            chosen.start,
            chosen.end,
            chosen.lines,
            chosen.strategy,
            chosen.note,
            hunk,
            tie_break=chosen.tie_break,
        )
    return _Problem(FailureReason.CONTEXT_NOT_FOUND, _closest_hint(text, hunk=hunk))


def _top_variants(text: _Text, *, hunk: Hunk, effect: _Effect) -> list[_Effect] | None:
    """The hunk's leading added lines at each place from the top of the file down to their
    context; None when there are too many places to weigh."""
    if effect.start + 1 > MAX_PLACEMENTS:
        return None
    lead = next((k for k, line in enumerate(hunk.lines) if line.kind is not LineKind.ADDED), 0)
    above = list(zip(text.lines[: effect.start], text.eols[: effect.start], strict=True))
    added, rest = effect.lines[:lead], effect.lines[lead:]
    variants: dict[tuple[int, int, tuple[str, ...]], _Effect] = {}
    for cut in range(effect.start + 1):
        cand = effect.cand if cut == effect.start else replace(effect.cand, start=0)
        out = above[:cut] + added + above[cut:] + rest
        variant = _Effect.of(text, cand=cand, out=out, end=effect.end, start=0)
        variants.setdefault(variant.key, variant)
    return list(variants.values())


def _describe(
    tier: _Tier, *, fuzzy: bool, cand: _Candidate, stated: int | None, hunk: Hunk
) -> tuple[Strategy, str]:
    notes = []
    if stated is None:
        notes.append(MISCOUNTED_NOTE if hunk.header is HeaderState.MISCOUNTED else NO_NUMBERS_NOTE)
    elif cand.start != stated:
        distance = cand.start - stated
        notes.append(
            OFFSET_NOTE.format(
                distance=abs(distance),
                direction="below" if distance > 0 else "above",
                stated=stated + 1,
            )
        )
    if cand.shift.width():
        notes.append(INDENT_NOTE.format(shift=f"{cand.shift.width():+d}"))
    if fuzzy:
        skipped_hunk = sum(1 for q in cand.mapping if q is None)
        matched = sum(1 for q in cand.mapping if q is not None)
        skipped_file = (cand.end - cand.start) - matched
        notes.append(FUZZY_NOTE.format(skipped_hunk=skipped_hunk, skipped_file=skipped_file))
        strategy = Strategy.FUZZY_CONTEXT
    elif tier.strategy is Strategy.EXACT:
        strategy = Strategy.EXACT if stated == cand.start else Strategy.OFFSET
    else:
        strategy = tier.strategy
        if tier.reindent and not cand.shift.width():
            strategy = Strategy.WHITESPACE
    return strategy, "; ".join(notes)


def _closest_hint(text: _Text, *, hunk: Hunk) -> str:
    old, _ = _old_part(hunk)
    new = [line.text for line in hunk.lines if line.kind is not LineKind.REMOVED]
    if new and any(line.kind is not LineKind.CONTEXT for line in hunk.lines):
        done = _contiguous(text, old=new, tier=RSTRIP_TIER)
        if done:
            return ALREADY_APPLIED.format(line=done[0].start + 1)
    keys = text.keys(RSTRIP_TIER)
    wanted = [line.rstrip() for line in old]
    m, n = len(wanted), len(keys)
    if not n or n * m > HINT_BUDGET:
        return NOTHING_CLOSE if not n else ""
    best, best_start = -1, 0
    for start in range(max(1, n - m + 1)):
        hits = sum(1 for k in range(min(m, n - start)) if keys[start + k] == wanted[k])
        if hits > best:
            best, best_start = hits, start
    if best <= 0:
        return NOTHING_CLOSE
    for k in range(min(m, n - best_start)):
        if keys[best_start + k] != wanted[k]:
            return CLOSEST_MATCH.format(
                first=best_start + 1,
                last=min(best_start + m, n),
                hits=best,
                wanted=m,
                at=best_start + k + 1,
                expected=old[k],
                found=text.lines[best_start + k],
            )
    return CLOSEST_MATCH.format(
        first=best_start + 1,
        last=n,
        hits=best,
        wanted=m,
        at=n + 1,
        expected=old[n - best_start],
        found="(end of file)",
    )


def _final_newline(text: _Text, *, segments: list[_Segment]) -> bool:
    """Whether the result ends with a newline: the file's own state unless a hunk at the end
    of the file says otherwise with a "\\ No newline at end of file" marker."""
    at_end = [seg for seg in segments if seg.end == len(text.lines)]
    for seg in at_end:
        if seg.hunk.new_missing_newline:
            return False
        if seg.hunk.old_missing_newline:
            return True
    return text.ends_with_newline


@dataclass(frozen=True, slots=True)
class _Segment:
    """File lines [start, end) replaced by `lines`, as one hunk says."""

    start: int
    end: int
    lines: list[tuple[str, str]]
    hunk: Hunk


def _render_file(text: _Text, *, segments: list[_Segment]) -> str:
    out: list[tuple[str, str]] = []
    cursor = 0
    for seg in sorted(segments, key=lambda seg: (seg.start, seg.end)):
        out.extend(zip(text.lines[cursor : seg.start], text.eols[cursor : seg.start], strict=True))
        out.extend(seg.lines)
        cursor = max(cursor, seg.end)
    out.extend(zip(text.lines[cursor:], text.eols[cursor:], strict=True))
    return _render(out, eol=text.eol, final_newline=_final_newline(text, segments=segments))


def _compiled(source: str, *, path: str) -> ast.Module | None:
    """The file's syntax tree if it compiles (all the compiler's checks, not just the parse)."""
    return _parse(source, path=path, compiles=True)


@dataclass(frozen=True, slots=True)
class _Way:
    """One combination of the undecided hunks' ways, and the compiling file it makes."""

    effects: tuple[_Effect, ...]  # one per undecided hunk
    source: str
    tree: ast.Module
    added: frozenset[str]  # see _added_statements


def _break_ties(path: str, *, text: _Text, original: str, placements: list[_Placement]) -> None:
    """Settle each hunk that fits in several ways where the Python file's syntax leaves one of
    them (if the file compiled before the edit); otherwise say in its problem how many compile.

    Every combination of the undecided hunks' ways is judged as a whole file, so that hunks
    that depend on each other (a def in one, its body in another) are judged together. First
    the file must compile; then, among the ways that compile, the structure cues of
    STRUCTURE_CUES each keep the ways that break their rule least.
    """
    ties = [p for p in placements if p.tie is not None]
    if not ties or not path.endswith(PYTHON_SUFFIXES):
        return
    if math.prod(len(p.options) for p in ties) > MAX_SYNTAX_CHECKS:
        return
    if _compiled(original, path=path) is None:
        return  # a template, Python 2, a syntax error of its own: its syntax proves nothing
    fixed = [_Segment(p.start, p.end, p.lines, p.hunk) for p in placements if p.tie is None]
    options = [p.options for p in ties]
    added = _added_statements(ties)
    passing = _compiling(path, text=text, fixed=fixed, ties=ties, options=options, added=added)
    if not passing:
        # No way that keeps the added lines together compiles: the left-out line may sit
        # between them.
        widened = [_split_options(text, placement=p) for p in ties]
        grew = any(len(w) > len(o) for w, o in zip(widened, options, strict=True))
        if grew and math.prod(len(w) for w in widened) <= MAX_SYNTAX_CHECKS:
            options = widened
            passing = _compiling(
                path, text=text, fixed=fixed, ties=ties, options=options, added=added
            )
    compiling = [{id(way.effects[k]) for way in passing} for k in range(len(ties))]
    evidence: list[tuple[TieBreak, str] | None] = [
        (TieBreak.SYNTAX, SYNTAX_NOTE) if len(ways) == 1 else None for ways in compiling
    ]
    # Ways that differ only in blank lines are the same code: no cue tells them apart.
    same_code = len({BLANK_LINES_RE.sub("", way.source) for way in passing}) < 2
    for cue, tie_break, note in STRUCTURE_CUES:
        if same_code or all(evidence):
            break
        scores = [cue(way) for way in passing]
        passing = [way for way, score in zip(passing, scores, strict=True) if score == min(scores)]
        for k in range(len(ties)):
            if evidence[k] is None and len({id(way.effects[k]) for way in passing}) == 1:
                evidence[k] = (tie_break, note)
    for k, placement in enumerate(ties):
        assert placement.tie is not None
        total = len(options[k])
        found = evidence[k]
        if found is not None:
            tie_break, note = found
            effect = passing[0].effects[k]
            placement.settle(effect, tie_break=tie_break, note=note.format(total=total))
            continue
        count = len(compiling[k])
        why = (
            COMPILES_WITH_SEVERAL.format(count=count, total=total) if count else COMPILES_WITH_NONE
        )
        placement.tie = _Problem(placement.tie.reason, placement.tie.detail + why)


def _compiling(
    path: str,
    *,
    text: _Text,
    fixed: list[_Segment],
    ties: list[_Placement],
    options: list[list[_Effect]],
    added: frozenset[str],
) -> list[_Way]:
    """The combinations of the undecided hunks' ways with which the file compiles."""
    passing = []
    for combo in itertools.product(*options):
        segments = fixed + [
            _Segment(e.start, e.end, e.lines, p.hunk) for p, e in zip(ties, combo, strict=True)
        ]
        source = _render_file(text, segments=segments)
        tree = _compiled(source, path=path)
        if tree is not None:
            passing.append(_Way(combo, source, tree, added))
    return passing


def _split_options(text: _Text, *, placement: _Placement) -> list[_Effect]:
    """The placement's ways, plus those with left-out file lines between its added lines."""
    cands = {id(e.cand): e for e in placement.options}
    if any(e.start != e.cand.start for e in placement.options):
        return placement.options  # moved to the top of the file: no left-out line between
    ways: dict[tuple[int, int, tuple[str, ...]], _Effect] = {}
    for template in cands.values():
        effects = _assemble(text, hunk=placement.hunk, cand=template.cand, split=True)
        if isinstance(effects, _Problem):
            return placement.options
        for effect in effects:
            effect.strategy, effect.note = template.strategy, template.note
            ways.setdefault(effect.key, effect)
    return list(ways.values())


def _parse(source: str, *, path: str = "<unknown>", compiles: bool = False) -> ast.Module | None:
    """The syntax tree of `source`, or None; with `compiles`, only if it also compiles."""
    with warnings.catch_warnings():
        # Only whether it parses matters; warnings (an invalid escape, say) are the file's own.
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source, path)
            if compiles:
                compile(tree, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError):
            return None
    return tree


def _added_statements(ties: list[_Placement]) -> frozenset[str]:
    """The undecided hunks' added lines that are a whole statement on their own, stripped.

    Bare expressions and annotations without a value do not count: a line of prose can parse
    as one ("Returns: (name, value)").
    """
    found = set()
    for placement in ties:
        for line in placement.hunk.lines:
            stripped = line.text.strip()
            if line.kind is not LineKind.ADDED or not stripped:
                continue
            tree = _parse(stripped)
            if tree is None or len(tree.body) != 1:
                continue
            (statement,) = tree.body
            if isinstance(statement, ast.Expr):
                continue
            if isinstance(statement, ast.AnnAssign) and statement.value is None:
                continue
            found.add(stripped)
    return frozenset(found)


def _statements_in_strings(way: _Way) -> int:
    """How many lines inside the file's multi-line string literals are one of the added
    statements: the hunk wrote them as code, and code as a docstring's last line is rare."""
    lines = way.source.split("\n")
    inside: set[int] = set()
    for n in ast.walk(way.tree):
        if not isinstance(n, ast.JoinedStr | ast.Constant) or (n.end_lineno or 0) <= n.lineno:
            continue
        if isinstance(n, ast.JoinedStr) or isinstance(n.value, str | bytes):
            inside.update(range(n.lineno, (n.end_lineno or 0) + 1))
    return sum(1 for n in inside if n <= len(lines) and lines[n - 1].strip() in way.added)


# Expression statements that do nothing: a tuple, a list, a comparison, a number. Real code has
# none (docstrings and "..." are strings and Ellipsis); one appears when a line of a literal or
# a condition is placed outside it.
_NO_EFFECT = (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Compare)


def _statements_without_effect(way: _Way) -> int:
    """How many expression statements are a tuple, a list, a set, a dict, a comparison or a
    constant other than a string or "..."."""
    count = 0
    for n in ast.walk(way.tree):
        if not isinstance(n, ast.Expr):
            continue
        value = n.value
        if isinstance(value, _NO_EFFECT) or (
            isinstance(value, ast.Constant)
            and not isinstance(value.value, str | bytes)
            and value.value is not Ellipsis
        ):
            count += 1
    return count


# Nodes whose insides run in a scope of their own, or later: the straight-line check of the
# enclosing function leaves them out (missing a read or a binding there only misses a breach).
_OWN_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _scope_facts(stmt: ast.stmt) -> tuple[set[str], set[str], set[str]]:
    """Names the statement binds, reads and declares global or nonlocal, in its own scope and
    as it runs (not in the functions, classes and comprehensions it contains)."""
    binds: set[str] = set()
    reads: set[str] = set()
    declared: set[str] = set()
    stack: list[ast.AST] = [stmt]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else binds).add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            binds.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            binds.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and n.name:
            binds.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            binds.add(n.rest)
        elif isinstance(n, ast.Global | ast.Nonlocal):
            declared.update(n.names)
        if isinstance(n, _OWN_SCOPES):
            # ":=" in a comprehension binds in the function: never missing a binding means
            # never making a breach up.
            binds.update(w.target.id for w in ast.walk(n) if isinstance(w, ast.NamedExpr))
        else:
            stack.extend(ast.iter_child_nodes(n))
    return binds, reads, declared


def _unbound_reads(way: _Way) -> int:
    """How many reads of a local variable come, in a function's straight-line code, before any
    statement that assigns it: each raises UnboundLocalError whenever the function runs."""
    count = 0
    for func in ast.walk(way.tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = func.args
        params = {
            a.arg
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
            if a is not None
        }
        facts = [_scope_facts(stmt) for stmt in func.body]
        local = set().union(*(binds for binds, _, _ in facts)) - params
        local -= set().union(*(declared for _, _, declared in facts))
        bound: set[str] = set()
        for binds, reads, _ in facts:
            count += len((reads & local) - bound - binds)
            bound |= binds
    return count


def _comments_outside_blocks(way: _Way) -> int:
    """How many comment lines sit between a block's opening line (ending in ":") and its first
    statement without being indented deeper than the opening line: such a comment belongs
    above the opening line, where its indentation puts it."""
    count = 0
    opener: int | None = None  # column of the line that opened a block not yet entered
    line_start = 0  # column of the first token of the current logical line
    at_line_start = True
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(way.source).readline):
            kind = token.type
            if kind == tokenize.NEWLINE:
                opener = line_start if previous == ":" else None
                at_line_start = True
            elif kind == tokenize.COMMENT:
                if opener is not None and token.line.strip().startswith("#"):
                    count += token.start[1] <= opener
            elif kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.NL):
                pass
            else:
                if at_line_start:
                    line_start, at_line_start, opener = token.start[1], False, None
            if kind not in (tokenize.COMMENT, tokenize.NL):
                previous = token.string
    except (tokenize.TokenError, SyntaxError):
        return 0
    return count


# Checks among the ways to place added lines that compile, in this order: each keeps the ways
# that breach it least. The first three breaches do not occur in the 1116 real files of the
# patch_apply benchmark corpus; the last one is a strong hint only, hence last.
STRUCTURE_CUES: tuple[tuple[Callable[[_Way], int], TieBreak, str], ...] = (
    (_unbound_reads, TieBreak.UNBOUND_READ, UNBOUND_NOTE),
    (_statements_without_effect, TieBreak.NO_EFFECT, NO_EFFECT_NOTE),
    (_comments_outside_blocks, TieBreak.COMMENT_BEFORE_BODY, COMMENT_NOTE),
    (_statements_in_strings, TieBreak.CODE_IN_STRING, CODE_IN_STRING_NOTE),
)


def _apply_hunks(
    path: str, *, original: str, edit: FileEdit
) -> tuple[str, list[AppliedHunk], list[tuple[int, Hunk, _Problem]]]:
    text = _Text.of(original)
    placements: list[_Placement] = []
    problems: list[tuple[int, Hunk, _Problem]] = []
    taken: list[tuple[int, int]] = []
    floor = 0
    delta: int | None = 0

    @functools.cache
    def places(k: int) -> list[_Candidate]:
        """Hunk k's places at its strictest tier that finds any (searched once per file)."""
        return next((c for _, _, c in _searches(text, edit.hunks[k]) if c), [])

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
        stated = _stated_position(hunk)
        # Line numbers that are off tend to be off by the same amount in every hunk.
        expected = stated + delta if stated is not None and delta is not None else stated
        placed = _place(
            text,
            hunk,
            expected=expected,
            floor=floor,
            taken=taken,
            ceiling=functools.partial(ceiling, index - 1),
        )
        if isinstance(placed, _Problem):
            problems.append((index, hunk, placed))
            continue
        placed.index = index
        placements.append(placed)
        taken.append((placed.start, placed.end))
        floor = placed.end
        delta = placed.start - stated if stated is not None else None
    if not problems:
        _break_ties(path, text=text, original=original, placements=placements)
    problems += [(p.index, p.hunk, p.tie) for p in placements if p.tie is not None]
    if problems:
        return original, [], sorted(problems, key=lambda problem: problem[0])
    journal = [
        AppliedHunk(path, p.index, p.strategy, p.start + 1, p.note, p.tie_break) for p in placements
    ]
    segments = [_Segment(p.start, p.end, p.lines, p.hunk) for p in placements]
    return _render_file(text, segments=segments), journal, []


# --- SEARCH/REPLACE blocks ------------------------------------------------------------------


def _apply_block(
    current: str, *, block: SearchReplace
) -> tuple[str, Strategy, int, str] | _Problem:
    text = _Text.of(current)
    search = list(block.search_lines)
    for tier in CONTIGUOUS_TIERS:
        cands = _contiguous(text, old=search, tier=tier)
        if not cands:
            continue
        if len(cands) > 1:
            lines = ", ".join(str(c.start + 1) for c in cands[:10])
            return _Problem(
                FailureReason.AMBIGUOUS,
                AMBIGUOUS_AT.format(count=len(cands), lines=lines, why=""),
            )
        cand = cands[0]
        replaced = []
        for line in block.replace_lines:
            shifted = cand.shift.apply(line)
            if shifted is None:
                return _Problem(
                    FailureReason.CANNOT_REINDENT,
                    REINDENT_DETAIL.format(line=line, width=-cand.shift.width()),
                )
            replaced.append((shifted, text.eol))
        out = list(zip(text.lines[: cand.start], text.eols[: cand.start], strict=True))
        out += replaced
        out += list(zip(text.lines[cand.end :], text.eols[cand.end :], strict=True))
        strategy = tier.strategy
        if tier.reindent and not cand.shift.width():
            strategy = Strategy.WHITESPACE
        note = INDENT_NOTE.format(shift=f"{cand.shift.width():+d}") if cand.shift.width() else ""
        rendered = _render(out, eol=text.eol, final_newline=text.ends_with_newline)
        return rendered, strategy, cand.start + 1, note
    hint_hunk = Hunk(
        lines=tuple(HunkLine(LineKind.CONTEXT, line) for line in search),
        old_start=None,
        new_start=None,
        header=HeaderState.MISSING,
        text="",
        reply_line=block.reply_line,
    )
    return _Problem(FailureReason.CONTEXT_NOT_FOUND, _closest_hint(text, hunk=hint_hunk))


# --- whole edits ----------------------------------------------------------------------------


def apply(files: Mapping[str, str], *, edits: Sequence[FileEdit]) -> AppliedChange:
    """Apply `edits` to `files` (path -> text); raise EditApplyError listing every failure.

    Either every hunk and block applies, or nothing is returned: there is no partial result and
    no silent fallback to the old content.
    """
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
            result = existing
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
                outcome = _apply_block(result, block=block)
                if isinstance(outcome, _Problem):
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
    actual = _Text.of(existing).lines
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
