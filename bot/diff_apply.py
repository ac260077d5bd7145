"""Applies the edits found in a model's reply to file contents, exactly where possible, never partially."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class AppliedHunk:
    """Journal entry: where and how one hunk or block was applied."""

    path: str
    index: int  # 1-based position of the hunk (or block) within its FileEdit
    strategy: Strategy
    line: int  # 1-based line of the file before the edit where it landed
    note: str = ""


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


@dataclass(slots=True)
class _Problem:
    reason: FailureReason
    detail: str


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


def _assemble(text: _Text, *, hunk: Hunk, cand: _Candidate) -> list[_Effect] | _Problem:
    """Every way the candidate can rewrite its window (one, unless an insertion sits next to
    file lines the hunk left out, when the added lines may go before or after them)."""
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
            pieces.append([kept[:cut] + pending + kept[cut:] for cut in range(len(kept) + 1)])
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


@dataclass(slots=True)
class _Effect:
    """What a placement does to the file, reduced to the lines that really change."""

    cand: _Candidate
    start: int
    end: int
    lines: list[tuple[str, str]]
    key: tuple[int, int, tuple[str, ...]]

    @classmethod
    def of(cls, text: _Text, *, cand: _Candidate, out: list[tuple[str, str]], end: int) -> _Effect:
        lo, hi = cand.start, end
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
        return cls(cand, cand.start, end, out, (lo, hi, tuple(core)))


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
) -> _Effect | _Problem | None:
    """Pick the placement to use; ambiguity is a problem, never a coin toss."""
    cands = [c for c in cands if not _overlaps(c.start, end=c.end, taken=taken)]
    if not cands:
        return None
    # Hunks come in file order: prefer places after the previous hunk.
    after = [c for c in cands if c.start >= floor]
    cands = after or cands
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
        return _Problem(FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=starts[0] + 1))
    lines = ", ".join(str(s + 1) for s in starts[:10]) + (", …" if len(starts) > 10 else "")
    if expected is None:
        return _Problem(
            FailureReason.AMBIGUOUS,
            AMBIGUOUS_AT.format(count=len(starts), lines=lines, why=AMBIGUOUS_NO_NUMBERS),
        )
    ranked = sorted(effects, key=lambda e: abs(e.start - expected))
    best = abs(ranked[0].start - expected)
    nearest = [e for e in ranked if abs(e.start - expected) == best]
    if len(nearest) > 1:
        why = (
            INSERTION_AMBIGUOUS.format(line=nearest[0].start + 1)
            if len({e.start for e in nearest}) == 1
            else AMBIGUOUS_TIE.format(line=expected + 1)
        )
        return _Problem(
            FailureReason.AMBIGUOUS,
            AMBIGUOUS_AT.format(count=len(starts), lines=lines, why=why)
            if len({e.start for e in nearest}) > 1
            else why,
        )
    return ranked[0]


def _stated_position(hunk: Hunk) -> int | None:
    """0-based file line where the hunk says it starts, if its header can be trusted."""
    if hunk.header is not HeaderState.STATED or hunk.old_start is None:
        return None
    if not any(line.kind is not LineKind.ADDED for line in hunk.lines):
        return hunk.old_start  # "-N,0" inserts after line N
    return max(hunk.old_start - 1, 0)


def _place(
    text: _Text,
    hunk: Hunk,
    *,
    expected: int | None,
    floor: int,
    taken: list[tuple[int, int]],
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
    # at the very top. Found lower down, a context line above them is missing, and the added
    # lines might belong above that line.
    top_only = stated == 0 and hunk.lines[0].kind is LineKind.ADDED
    searches: list[tuple[_Tier, bool]] = [(t, False) for t in CONTIGUOUS_TIERS]
    searches += [(t, True) for t in FUZZY_TIERS]
    for tier, fuzzy in searches:
        cands = (
            _fuzzy(text, hunk=hunk, tier=tier) if fuzzy else _contiguous(text, old=old, tier=tier)
        )
        if top_only and cands and not any(c.start == 0 for c in cands):
            return _Problem(FailureReason.AMBIGUOUS, NOT_AT_TOP.format(line=cands[0].start + 1))
        if top_only:
            cands = [c for c in cands if c.start == 0]
        chosen = _choose(text, hunk=hunk, cands=cands, expected=expected, floor=floor, taken=taken)
        if chosen is None:
            continue
        if isinstance(chosen, _Problem):
            return chosen
        strategy, note = _describe(tier, fuzzy=fuzzy, cand=chosen.cand, stated=stated, hunk=hunk)
        return _Placement(chosen.start, chosen.end, chosen.lines, strategy, note, hunk)
    return _Problem(FailureReason.CONTEXT_NOT_FOUND, _closest_hint(text, hunk=hunk))


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


def _final_newline(text: _Text, *, placements: list[_Placement]) -> bool:
    """Whether the result ends with a newline: the file's own state unless a hunk at the end
    of the file says otherwise with a "\\ No newline at end of file" marker."""
    at_end = [p for p in placements if p.end == len(text.lines)]
    for p in at_end:
        if p.hunk.new_missing_newline:
            return False
        if p.hunk.old_missing_newline:
            return True
    return text.ends_with_newline


def _apply_hunks(
    path: str, *, original: str, edit: FileEdit
) -> tuple[str, list[AppliedHunk], list[tuple[int, Hunk, _Problem]]]:
    text = _Text.of(original)
    placements: list[_Placement] = []
    problems: list[tuple[int, Hunk, _Problem]] = []
    journal: list[AppliedHunk] = []
    taken: list[tuple[int, int]] = []
    floor = 0
    delta: int | None = 0
    for index, hunk in enumerate(edit.hunks, 1):
        stated = _stated_position(hunk)
        # Line numbers that are off tend to be off by the same amount in every hunk.
        expected = stated + delta if stated is not None and delta is not None else stated
        placed = _place(text, hunk, expected=expected, floor=floor, taken=taken)
        if isinstance(placed, _Problem):
            problems.append((index, hunk, placed))
            continue
        placements.append(placed)
        taken.append((placed.start, placed.end))
        floor = placed.end
        delta = placed.start - stated if stated is not None else None
        journal.append(AppliedHunk(path, index, placed.strategy, placed.start + 1, placed.note))
    if problems:
        return original, [], problems
    out: list[tuple[str, str]] = []
    cursor = 0
    for p in sorted(placements, key=lambda p: (p.start, p.end)):
        out.extend(zip(text.lines[cursor : p.start], text.eols[cursor : p.start], strict=True))
        out.extend(p.lines)
        cursor = max(cursor, p.end)
    out.extend(zip(text.lines[cursor:], text.eols[cursor:], strict=True))
    rendered = _render(out, eol=text.eol, final_newline=_final_newline(text, placements=placements))
    return rendered, journal, []


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
