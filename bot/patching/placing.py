"""Placing a hunk: its candidate places per tier, fuzzy alignment, and the place chosen."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from bot.patching.edits import HeaderState, Hunk, LineKind
from bot.patching.outcomes import FailureReason, Strategy, TieBreak
from bot.patching.text import Text, render
from bot.patching.tiers import (
    CONTIGUOUS_TIERS,
    FUZZY_TIERS,
    NO_SHIFT,
    RSTRIP_TIER,
    Shift,
    Tier,
    settle,
    shift_between,
)

CLOSEST_MATCH = (
    "closest are file lines {first}-{last}, matching {hits} of the {wanted} lines the hunk "
    "expects; first difference at file line {at}: the hunk expects {expected!r}, the file has {found!r}"
)
TAKEN = "its lines are file lines {first}-{last}, which another hunk of the reply changes"
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
REINDENT_DETAIL = (
    "added line {line!r} is indented less than the {width}-column shift between hunk and file"
)
SHIFT_UNSETTLED = (
    "the hunk's context is indented {width:+d} columns off the file's, not by whole indentation "
    "levels, and its added lines do not show which indentation they mean"
)
OFFSET_NOTE = "{distance} lines {direction} the stated line {stated}"
NO_NUMBERS_NOTE = "located by its context alone (no line numbers)"
MISCOUNTED_NOTE = "header counts disagree with the body: recounted"
INDENT_NOTE = "indentation shifted by {shift} columns"
UNIT_NOTE = "indented with {hunk} per level; written with the file's {file}"
FUZZY_NOTE = "{skipped_hunk} hunk context lines not in the file, {skipped_file} file lines missing from its context"
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
# File lines around a hunk whose indentation tells which indents the added lines may take.
WINDOW = 20

# Scoring every window for the "closest match" hint is quadratic; skip it for huge inputs.
HINT_BUDGET = 4_000_000


@dataclass(slots=True)
class Candidate:
    start: int
    end: int
    mapping: list[int | None]  # file line of each old (context/removed) hunk line, None if skipped
    shift: Shift
    cost: int = 0


@dataclass(slots=True)
class Placement:
    start: int
    end: int
    lines: list[tuple[str, str]]  # replacement for file lines [start, end)
    strategy: Strategy
    note: str
    hunk: Hunk
    # Undecided: the ways the hunk fits (within [start, end)), and the problem to report if
    # nothing tells them apart.
    options: list[Effect] = field(default_factory=list)
    tie: Problem | None = None
    tie_break: TieBreak | None = None
    index: int = 0  # 1-based position of the hunk in its FileEdit

    def settle(self, effect: Effect, *, tie_break: TieBreak, note: str) -> None:
        self.start, self.end, self.lines = effect.start, effect.end, effect.lines
        self.strategy, self.note = effect.strategy, "; ".join(n for n in (effect.note, note) if n)
        self.options, self.tie, self.tie_break = [], None, tie_break


@dataclass(slots=True)
class Problem:
    reason: FailureReason
    detail: str


@dataclass(slots=True)
class _Tie:
    """A hunk that fits in several ways with different results, the hunk itself saying nothing
    to choose; the file's syntax may (see break_ties)."""

    effects: list[Effect]
    problem: Problem


def _old_part(hunk: Hunk) -> tuple[list[str], list[LineKind]]:
    old = [line for line in hunk.lines if line.kind is not LineKind.ADDED]
    return [line.text for line in old], [line.kind for line in old]


def contiguous(text: Text, *, old: list[str], tier: Tier) -> list[Candidate]:
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
            found = shift_between(
                list(zip(old, text.lines[start : start + m], strict=True)), unit=text.unit
            )
            if found is None:
                continue
            shift = found
        out.append(Candidate(start, start + m, list(range(start, start + m)), shift))
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


def _fuzzy(text: Text, *, hunk: Hunk, tier: Tier) -> list[Candidate]:
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
    seen: dict[tuple[int, ...], Candidate] = {}
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
                    found = shift_between(pairs, unit=text.unit)
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
) -> list[Candidate]:
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
                    out.append(Candidate(matched[0], matched[-1] + 1, mapping, NO_SHIFT, least))
                continue
            how = moves[i][j]
            if how & 1:
                stack.append((i - 1, j - 1, (lo + j - 1, *tail)))
            if how & 2:
                stack.append((i - 1, j, (None, *tail)))
            if how & 4:
                stack.append((i, j - 1, tail))
    return out


def assemble(
    text: Text, *, hunk: Hunk, cand: Candidate, split: bool = False
) -> list[Effect] | Problem:
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
    old, _ = _old_part(hunk)
    pairs = [(old[k], text.lines[q]) for k, q in enumerate(cand.mapping) if q is not None]
    settled = settle(
        cand.shift,
        pairs=pairs,
        added=[line.text for line in hunk.lines if line.kind is LineKind.ADDED],
        window=text.lines[max(0, cand.start - WINDOW) : cand.end + WINDOW],
        unit=text.unit,
        tabbed=text.tabbed,
    )
    if settled is None:
        return Problem(
            FailureReason.CANNOT_REINDENT, SHIFT_UNSETTLED.format(width=cand.shift.width())
        )
    cand.shift = settled
    k = 0
    for line in hunk.lines:
        if line.kind is LineKind.ADDED:
            if cursor == cand.start and not any(q is not None for q in cand.mapping[:k]):
                matched_before_add = False
            shifted = cand.shift.apply(line.text)
            if shifted is None:
                return Problem(
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
                return Problem(
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
        return Problem(FailureReason.AMBIGUOUS, EDGE_AMBIGUOUS.format(line=cand.start + 1))
    fixed(pending)
    combos = 1
    for alternatives in pieces:
        combos *= len(alternatives)
    if combos > MAX_PLACEMENTS:
        return Problem(FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=cand.start + 1))
    outputs: list[list[tuple[str, str]]] = [[]]
    for alternatives in pieces:
        outputs = [done + alt for done in outputs for alt in alternatives]
    effects: dict[tuple[int, int, tuple[str, ...]], Effect] = {}
    for out in outputs:
        effect = Effect.of(text, cand=cand, out=out, end=cursor)
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
class Effect:
    """What a placement does to the file, reduced to the lines that really change."""

    cand: Candidate
    start: int
    end: int
    lines: list[tuple[str, str]]
    key: tuple[int, int, tuple[str, ...]]
    tie_break: TieBreak | None = None  # the evidence that chose it over other placements
    strategy: Strategy = Strategy.EXACT  # how it was found, for the journal (set by place_hunk)
    note: str = ""

    @classmethod
    def of(
        cls,
        text: Text,
        *,
        cand: Candidate,
        out: list[tuple[str, str]],
        end: int,
        start: int | None = None,
    ) -> Effect:
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
    text: Text,
    *,
    hunk: Hunk,
    cands: list[Candidate],
    expected: int | None,
    floor: int,
    taken: list[tuple[int, int]],
    ceiling: Callable[[], int | None],
) -> Effect | _Tie | Problem | None:
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
    if isinstance(picked, Effect) or len(starts) == 1:
        return picked
    # Several places: the same rule seen from the other side, places before the next hunks, can
    # leave one. Only asked here, as it costs a search for each later hunk.
    limit = ceiling()
    before = [c for c in cands if limit is not None and c.end <= limit]
    if not before or len(before) == len(cands):
        return picked
    ordered = _pick(text, hunk=hunk, cands=before, expected=expected)
    if isinstance(ordered, Effect):
        ordered.tie_break = TieBreak.HUNK_ORDER
        ordered.note = ORDER_NOTE.format(total=len(starts))
    return ordered


def _pick(
    text: Text, *, hunk: Hunk, cands: list[Candidate], expected: int | None
) -> Effect | _Tie | Problem:
    least = min(c.cost for c in cands)
    cands = sorted((c for c in cands if c.cost == least), key=lambda c: c.start)
    by_key: dict[tuple[int, int, tuple[str, ...]], Effect] = {}
    split: list[int] = []  # candidates that are ambiguous on their own
    for cand in cands:
        effects = assemble(text, hunk=hunk, cand=cand)
        if isinstance(effects, Problem):
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
            Problem(FailureReason.AMBIGUOUS, INSERTION_AMBIGUOUS.format(line=starts[0] + 1)),
        )
    lines = ", ".join(str(s + 1) for s in starts[:10]) + (", …" if len(starts) > 10 else "")
    if expected is None:
        return Problem(
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
        return _Tie(nearest, Problem(FailureReason.AMBIGUOUS, why))
    why = AMBIGUOUS_TIE.format(line=expected + 1)
    return Problem(
        FailureReason.AMBIGUOUS, AMBIGUOUS_AT.format(count=len(starts), lines=lines, why=why)
    )


def stated_position(hunk: Hunk) -> int | None:
    """0-based file line where the hunk says it starts, if its header can be trusted.

    Not a miscounted header's: "@@ -1 +1 @@" is as often a placeholder as a guess, and a
    guessed start would choose between like places by chance.
    """
    if hunk.header is not HeaderState.STATED or hunk.old_start is None:
        return None
    if not any(line.kind is not LineKind.ADDED for line in hunk.lines):
        return hunk.old_start  # "-N,0" inserts after line N
    return max(hunk.old_start - 1, 0)


def searches(text: Text, hunk: Hunk) -> Iterator[tuple[Tier, bool, list[Candidate]]]:
    """Candidate places of the hunk per matching tier, strictest first: (tier, fuzzy, cands)."""
    old, _ = _old_part(hunk)
    for tier in CONTIGUOUS_TIERS:
        yield tier, False, contiguous(text, old=old, tier=tier)
    for tier in FUZZY_TIERS:
        yield tier, True, _fuzzy(text, hunk=hunk, tier=tier)


def place_hunk(
    text: Text,
    hunk: Hunk,
    *,
    expected: int | None,
    floor: int,
    taken: list[tuple[int, int]],
    ceiling: Callable[[], int | None],
) -> Placement | Problem:
    old, _ = _old_part(hunk)
    stated = stated_position(hunk)
    if not old:
        if not text.lines:
            position = 0
        elif expected is None:
            return Problem(FailureReason.NO_ANCHOR, NO_ANCHOR_DETAIL)
        else:
            position = min(max(expected, 0), len(text.lines))
        adds = [(line.text, text.eol) for line in hunk.lines]
        strategy = Strategy.EXACT if position == stated else Strategy.OFFSET
        return Placement(position, position, adds, strategy, "", hunk)
    # Like git apply: a hunk that says it starts at line 1 and opens with added lines puts them
    # at the very top. Found lower down, a context line above them is probably missing, and the
    # added lines may belong anywhere above their context: a tie, unless syntax settles it.
    top_only = stated == 0 and hunk.lines[0].kind is LineKind.ADDED
    for tier, fuzzy, cands in searches(text, hunk):
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
            line = (chosen.start if isinstance(chosen, Effect) else cands[0].start) + 1
            not_at_top = Problem(FailureReason.AMBIGUOUS, NOT_AT_TOP.format(line=line))
            if not isinstance(chosen, Effect):
                return not_at_top
            variants = _top_variants(text, hunk=hunk, effect=chosen)
            if variants is None:
                return not_at_top
            chosen = _Tie(variants, not_at_top) if len(variants) > 1 else variants[0]
        if isinstance(chosen, Problem):
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
            return Placement(
                min(e.start for e in effects),
                max(e.end for e in effects),
                [],
                effects[0].strategy,
                effects[0].note,
                hunk,
                options=effects,
                tie=chosen.problem,
            )
        return Placement(
            chosen.start,
            chosen.end,
            chosen.lines,
            chosen.strategy,
            chosen.note,
            hunk,
            tie_break=chosen.tie_break,
        )
    return Problem(FailureReason.CONTEXT_NOT_FOUND, closest_hint(text, hunk=hunk))


def _top_variants(text: Text, *, hunk: Hunk, effect: Effect) -> list[Effect] | None:
    """The hunk's leading added lines at each place from the top of the file down to their
    context; None when there are too many places to weigh."""
    if effect.start + 1 > MAX_PLACEMENTS:
        return None
    lead = next((k for k, line in enumerate(hunk.lines) if line.kind is not LineKind.ADDED), 0)
    above = list(zip(text.lines[: effect.start], text.eols[: effect.start], strict=True))
    added, rest = effect.lines[:lead], effect.lines[lead:]
    variants: dict[tuple[int, int, tuple[str, ...]], Effect] = {}
    for cut in range(effect.start + 1):
        cand = effect.cand if cut == effect.start else replace(effect.cand, start=0)
        out = above[:cut] + added + above[cut:] + rest
        variant = Effect.of(text, cand=cand, out=out, end=effect.end, start=0)
        variants.setdefault(variant.key, variant)
    return list(variants.values())


def _describe(
    tier: Tier, *, fuzzy: bool, cand: Candidate, stated: int | None, hunk: Hunk
) -> tuple[Strategy, str]:
    notes = []
    if hunk.header is HeaderState.MISCOUNTED:
        notes.append(MISCOUNTED_NOTE)
    if stated is None:
        notes.append(NO_NUMBERS_NOTE)
    elif cand.start != stated:
        distance = cand.start - stated
        notes.append(
            OFFSET_NOTE.format(
                distance=abs(distance),
                direction="below" if distance > 0 else "above",
                stated=stated + 1,
            )
        )
    if cand.shift.hunk_unit:
        notes.append(
            UNIT_NOTE.format(
                hunk=_unit_name(cand.shift.hunk_unit), file=_unit_name(cand.shift.file_unit)
            )
        )
    elif cand.shift.width():
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
        if tier.reindent and not cand.shift.changes():
            strategy = Strategy.WHITESPACE
    return strategy, "; ".join(notes)


def _unit_name(unit: str) -> str:
    return "tabs" if unit == "\t" else f"{len(unit)} spaces"


def closest_hint(text: Text, *, hunk: Hunk) -> str:
    old, _ = _old_part(hunk)
    new = [line.text for line in hunk.lines if line.kind is not LineKind.REMOVED]
    if new and any(line.kind is not LineKind.CONTEXT for line in hunk.lines):
        done = contiguous(text, old=new, tier=RSTRIP_TIER)
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
    if best_start + m <= n:
        return TAKEN.format(first=best_start + 1, last=best_start + m)
    return CLOSEST_MATCH.format(
        first=best_start + 1,
        last=n,
        hits=best,
        wanted=m,
        at=n + 1,
        expected=old[n - best_start],
        found="(end of file)",
    )


def _final_newline(text: Text, *, segments: list[Segment]) -> bool:
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
class Segment:
    """File lines [start, end) replaced by `lines`, as one hunk says."""

    start: int
    end: int
    lines: list[tuple[str, str]]
    hunk: Hunk


def render_file(text: Text, *, segments: list[Segment]) -> str:
    out: list[tuple[str, str]] = []
    cursor = 0
    for seg in sorted(segments, key=lambda seg: (seg.start, seg.end)):
        out.extend(zip(text.lines[cursor : seg.start], text.eols[cursor : seg.start], strict=True))
        out.extend(seg.lines)
        cursor = max(cursor, seg.end)
    out.extend(zip(text.lines[cursor:], text.eols[cursor:], strict=True))
    return render(out, eol=text.eol, final_newline=_final_newline(text, segments=segments))
