"""Changed units: what changed between two versions of a file, widened to whole syntactic units.

`edit_regions(before_text, after_text, language=...)` finds what changed between two versions
of a file. The two texts are diffed line by line, then token by token (tree-sitter leaves, so a
rename is one token, not a few characters), and each change is widened to the smallest whole
syntactic unit that contains it in *both* versions and parses on its own: an expression or a
statement, or at the top level of the file a run of statements. A unit is never a lone token on
either side: an identifier renamed is cut with its call or attribute, and `d.keys()` -> `d` with
what uses it (`k in d.keys()` -> `k in d`), because whether unwrapping is right depends on that
context. A multi-line unit that starts its line is dedented, so the snippet parses at the top
level. Whitespace inside a line is not a change; a token moved to another line or indentation is.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from bot.rules.examples import ExampleError
from bot.rules.patterns import canonical_language, language_for, syntax_problems

UNPARSABLE = "{which} of {path} does not parse ({error})"
NO_GRAMMAR = "{path}: ast-grep has no grammar for this kind of file"


@dataclass(frozen=True, slots=True)
class EditRegion:
    """One changed syntactic unit: the snippet before and after, and where it is in each text.

    Spans are character offsets [start, end) into the texts given to `edit_regions`; lines are
    1-based and inclusive.
    """

    before: str
    after: str
    before_span: tuple[int, int]
    after_span: tuple[int, int]
    start_line: int
    end_line: int
    after_start_line: int
    after_end_line: int


#
# Positions are counted in non-whitespace characters while matching the two versions up: a
# node's span starts and ends on a non-whitespace character, so whitespace the edit moved around
# (a deleted statement takes a newline with it, on one side or the other) never makes two spans
# disagree. Layout that matters (a token moved to another line or indentation) is a change too.


@dataclass(frozen=True, slots=True)
class _Hunk:
    """Non-whitespace text [bs, be) of the before replaced by [as_, ae) of the after.

    One side may be empty (an insertion or a deletion), never both.
    """

    bs: int
    be: int
    as_: int
    ae: int


@dataclass(frozen=True, slots=True)
class _Leaf:
    start: int
    end: int
    text: str
    # What the diff compares: the text, and for punctuation and keywords also the kind of node
    # they belong to, so the `)` closing a call is not lined up with the `)` of a parenthesis.
    key: str | tuple[str, str]


def _leaves_in(root: SgNode, start: int, end: int) -> list[_Leaf]:
    """The tokens (childless nodes, zero-width ones left out) overlapping [start, end), in order."""
    found: list[_Leaf] = []
    stack = [root]
    while stack:
        node = stack.pop()
        rng = node.range()
        if rng.end.index <= start or rng.start.index >= end:
            continue
        children = node.children()
        if not children:
            if rng.end.index > rng.start.index:
                text = node.text()
                parent = node.parent()
                key = text if node.is_named() or parent is None else (text, parent.kind())
                found.append(_Leaf(rng.start.index, rng.end.index, text, key))
            continue
        stack.extend(reversed(children))
    return found


def _line_starts(text: str) -> list[int]:
    return [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]


def _line_of(starts: list[int], index: int) -> int:
    """1-based line of the character at `index`."""
    return bisect.bisect_right(starts, index)


class _Version:
    """One version of the file: its tree, and character <-> non-whitespace position maps."""

    def __init__(self, text: str, *, language: str, which: str, path: str) -> None:
        self.text, self.language = text, language
        self.root = SgRoot(text, language).root()
        if problems := syntax_problems(self.root):
            raise ExampleError(
                UNPARSABLE.format(which=which, path=path, error=problems[0].description)
            )
        self.solid = [i for i, ch in enumerate(text) if not ch.isspace()]
        self.size = len(self.solid)
        self.line_starts = _line_starts(text)

    def nw(self, index: int) -> int:
        """How many non-whitespace characters come before character `index`."""
        return bisect.bisect_left(self.solid, index)

    def char_start(self, k: int) -> int:
        return self.solid[k] if k < self.size else len(self.text)

    def char_end(self, k: int) -> int:
        return self.solid[k - 1] + 1 if k > 0 else 0

    def unit(self, s: int, e: int) -> tuple[int, int]:
        """The smallest unit holding non-whitespace span [s, e), as a non-whitespace span."""
        if s <= 0 and e >= self.size:
            return 0, self.size
        cs, ce = _unit_span(
            self.root, self.text, self.char_start(s), self.char_end(e), self.language
        )
        return self.nw(cs), self.nw(ce)

    def node(self, s: int, e: int) -> SgNode | None:
        """The node spanning exactly non-whitespace [s, e), if one does (a run of statements does not)."""
        cs, ce = self.char_start(s), self.char_end(e)
        node = _covering(self.root, cs, ce)
        rng = node.range()
        return node if (rng.start.index, rng.end.index) == (cs, ce) else None

    def parent_span(self, s: int, e: int) -> tuple[int, int]:
        """The span of the closest node strictly holding non-whitespace [s, e) (the file at the top)."""
        cs, ce = self.char_start(s), self.char_end(e)
        node: SgNode | None = _covering(self.root, cs, ce)
        while node is not None:
            rng = node.range()
            if rng.start.index < cs or rng.end.index > ce:
                return self.nw(rng.start.index), self.nw(rng.end.index)
            node = node.parent()
        return 0, self.size

    def layout(self, leaf: _Leaf) -> str | None:
        """The indentation of a token that starts its line (None for one that does not)."""
        line_start = self.text.rfind("\n", 0, leaf.start) + 1
        prefix = self.text[line_start : leaf.start]
        return prefix if not prefix.strip() else None


class EditMap:
    """Two versions of one file, parsed, with the token-level hunks between them."""

    def __init__(self, before: str, after: str, *, language: str, path: str = "the text") -> None:
        self.language = language
        self.old = _Version(before, language=language, which="the before", path=path)
        self.new = _Version(after, language=language, which="the after", path=path)
        self.hunks = _merge_hunks(self._token_hunks())

    def _token_hunks(self) -> Iterable[_Hunk]:
        old_lines = self.old.text.splitlines(keepends=True)
        new_lines = self.new.text.splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        # One line of context around each group of changed lines gives the token diff equal
        # neighbours to line up on.
        for group in matcher.get_grouped_opcodes(1):
            i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
            cb = (
                _offset(self.old.line_starts, i1, self.old.text),
                _offset(self.old.line_starts, i2, self.old.text),
            )
            ca = (
                _offset(self.new.line_starts, j1, self.new.text),
                _offset(self.new.line_starts, j2, self.new.text),
            )
            yield from self._hunks_between(cb, ca)

    def _hunks_between(self, cb: tuple[int, int], ca: tuple[int, int]) -> Iterable[_Hunk]:
        old = _leaves_in(self.old.root, *cb)
        new = _leaves_in(self.new.root, *ca)
        if not old or not new:
            yield _Hunk(
                self.old.nw(cb[0]), self.old.nw(cb[1]), self.new.nw(ca[0]), self.new.nw(ca[1])
            )
            return
        matcher = difflib.SequenceMatcher(
            None, [t.key for t in old], [t.key for t in new], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                yield _Hunk(*self._side(self.old, old, i1, i2), *self._side(self.new, new, j1, j2))
                continue
            moved = [
                k
                for k in range(i2 - i1)
                if self.old.layout(old[i1 + k]) != self.new.layout(new[j1 + k])
            ]
            if moved:
                a, b = moved[0], moved[-1] + 1
                yield _Hunk(
                    *self._side(self.old, old, i1 + a, i1 + b),
                    *self._side(self.new, new, j1 + a, j1 + b),
                )

    @staticmethod
    def _side(version: _Version, leaves: list[_Leaf], i: int, j: int) -> tuple[int, int]:
        if i < j:
            return version.nw(leaves[i].start), version.nw(leaves[j - 1].end)
        at = version.nw(leaves[i].start) if i < len(leaves) else version.nw(leaves[-1].end)
        return at, at

    # A span's start leaves out the hunks that end there; its end takes in those that end there,
    # so an insertion at either edge of a span belongs to it.
    def to_after_start(self, s: int) -> int:
        return s + sum(_delta(h) for h in self.hunks if h.be <= s and h.bs < s)

    def to_after_end(self, e: int) -> int:
        return e + sum(_delta(h) for h in self.hunks if h.be <= e)

    def to_before_start(self, s: int) -> int:
        return s - sum(_delta(h) for h in self.hunks if h.ae <= s and h.as_ < s)

    def to_before_end(self, e: int) -> int:
        return e - sum(_delta(h) for h in self.hunks if h.ae <= e)

    def snap_before(self, s: int, e: int) -> tuple[int, int]:
        return _snap(s, e, [(h.bs, h.be) for h in self.hunks])

    def snap_after(self, s: int, e: int) -> tuple[int, int]:
        return _snap(s, e, [(h.as_, h.ae) for h in self.hunks])

    def unit(
        self, before: tuple[int, int] | None, after: tuple[int, int] | None
    ) -> tuple[int, int, int, int]:
        """The smallest unit of the before holding `before`, whose counterpart holds `after` and is a unit.

        Each round either settles or strictly grows the span, so this ends, at the latest with
        the whole file, whose counterpart is the whole other file.
        """
        spans = []
        if before is not None and before[1] > before[0]:
            spans.append(self.old.unit(*self.snap_before(*before)))
        if after is not None and after[1] > after[0]:
            u = self.snap_after(*self.new.unit(*after))
            spans.append((self.to_before_start(u[0]), self.to_before_end(u[1])))
        if not spans:
            at = before[0] if before is not None else 0
            spans.append((at, at))
        s, e = min(x[0] for x in spans), max(x[1] for x in spans)
        whole = (0, self.old.size)
        while True:
            if (s, e) == whole or self.old.size == 0:
                return 0, self.old.size, 0, self.new.size
            if s == e:  # nothing of the before yet (pure insertion): lean on the token before it
                s, e = (s - 1, e) if s > 0 else (s, e + 1)
            u_s, u_e = self.old.unit(s, e)
            n_s, n_e = self.snap_before(u_s, u_e)
            if (n_s, n_e) != (u_s, u_e):  # the unit cuts a hunk: take all of it and look again
                s, e = n_s, n_e
                continue
            a_s, a_e = self.to_after_start(u_s), self.to_after_end(u_e)
            if a_s == a_e:  # the unit is deleted outright: lean on the token before it
                s, e = (u_s - 1, u_e) if u_s > 0 else (u_s, u_e + 1)
                continue
            v_s, v_e = self.snap_after(*self.new.unit(a_s, a_e))
            if (v_s, v_e) == (a_s, a_e):
                if self._same_text(u_s, u_e, a_s, a_e):  # only its layout moved: take in more
                    s, e = (u_s - 1, u_e) if u_s > 0 else (u_s, u_e + 1)
                    continue
                if self._one_inside_other(u_s, u_e, a_s, a_e):
                    # `d.keys()` -> `d` (or `x` -> `list(x)`) says nothing about when to make the
                    # change: that is in what holds it (`k in d.keys()`), so take that in.
                    s, e = self.old.parent_span(u_s, u_e)
                    continue
                return u_s, u_e, a_s, a_e
            s, e = min(u_s, self.to_before_start(v_s)), max(u_e, self.to_before_end(v_e))

    def _one_inside_other(self, s: int, e: int, a_s: int, a_e: int) -> bool:
        """Whether one side of the unit is, as text, a node inside the other side."""
        before = self.old.node(s, e)
        after = self.new.node(a_s, a_e)
        if before is None or after is None:
            return False
        return _has_inner(before, after.text().strip()) or _has_inner(after, before.text().strip())

    def _same_text(self, s: int, e: int, a_s: int, a_e: int) -> bool:
        before = self.old.text[self.old.char_start(s) : self.old.char_end(e)]
        return before == self.new.text[self.new.char_start(a_s) : self.new.char_end(a_e)]

    def spans(self) -> list[tuple[int, int, int, int]]:
        """One (before start, end, after start, end) per changed unit, in order."""
        found: list[tuple[int, int, int, int]] = []
        for h in self.hunks:
            if (
                found
                and found[-1][0] <= h.bs
                and h.be <= found[-1][1]
                and found[-1][2] <= h.as_
                and h.ae <= found[-1][3]
            ):
                continue  # already inside the previous unit
            found.append(self.unit((h.bs, h.be), (h.as_, h.ae)))
            # Units of neighbouring hunks may overlap (two edits in one call): one unit for both.
            while len(found) > 1 and (found[-1][0] < found[-2][1] or found[-1][2] < found[-2][3]):
                last, prev = found.pop(), found.pop()
                found.append(
                    self.unit(
                        (min(prev[0], last[0]), max(prev[1], last[1])),
                        (min(prev[2], last[2]), max(prev[3], last[3])),
                    )
                )
        return found

    def region(self, span: tuple[int, int, int, int]) -> EditRegion:
        s, e, a_s, a_e = span
        cs, ce = self.old.char_start(s), self.old.char_end(e)
        ca, cz = self.new.char_start(a_s), self.new.char_end(a_e)
        if e == s:
            cs = ce = 0
        if a_e == a_s:
            ca = cz = 0
        return EditRegion(
            before=standalone_snippet(self.old.text, cs, ce),
            after=standalone_snippet(self.new.text, ca, cz),
            before_span=(cs, ce),
            after_span=(ca, cz),
            start_line=_line_of(self.old.line_starts, cs),
            end_line=_line_of(self.old.line_starts, max(cs, ce - 1)),
            after_start_line=_line_of(self.new.line_starts, ca),
            after_end_line=_line_of(self.new.line_starts, max(ca, cz - 1)),
        )


def _offset(starts: list[int], line: int, text: str) -> int:
    return starts[line] if line < len(starts) else len(text)


def _delta(h: _Hunk) -> int:
    return (h.ae - h.as_) - (h.be - h.bs)


def _snap(start: int, end: int, hunks: list[tuple[int, int]]) -> tuple[int, int]:
    """[start, end) grown until it cuts no hunk: each hunk is inside it or outside it."""
    changed = True
    while changed:
        changed = False
        for hs, he in hunks:
            if hs < end and he > start and (hs < start or he > end):
                start, end, changed = min(start, hs), max(end, he), True
    return start, end


def _merge_hunks(hunks: Iterable[_Hunk]) -> list[_Hunk]:
    merged: list[_Hunk] = []
    for h in sorted(hunks, key=lambda h: (h.bs, h.as_)):
        if merged and (h.bs <= merged[-1].be or h.as_ <= merged[-1].ae):
            last = merged.pop()
            h = _Hunk(
                min(last.bs, h.bs), max(last.be, h.be), min(last.as_, h.as_), max(last.ae, h.ae)
            )
        merged.append(h)
    return merged


def _has_inner(node: SgNode, text: str) -> bool:
    """Whether a named node strictly inside `node` has exactly `text`."""
    stack = [c for c in node.children() if c.is_named()]
    while stack:
        n = stack.pop()
        if n.text().strip() == text:
            return True
        stack.extend(c for c in n.children() if c.is_named())
    return False


def _covering(root: SgNode, start: int, end: int) -> SgNode:
    """The deepest named node whose range holds [start, end)."""
    node = root
    while True:
        for child in node.children():
            rng = child.range()
            if child.is_named() and rng.start.index <= start and end <= rng.end.index:
                node = child
                break
        else:
            return node


def _unit_span(root: SgNode, text: str, start: int, end: int, language: str) -> tuple[int, int]:
    """The character span of the smallest unit holding [start, end).

    A node, or at the top level a run of statements. Inside a body the enclosing statement is
    the unit rather than a run of its statements: the learner tries the class or function as
    a whole first, and narrows it to the run of statements it changed (`run_core`) only when
    the wholes do not generalise, so the rule is no wider than the examples allow.
    """
    node = _covering(root, start, end)
    while True:
        parent = node.parent()
        if parent is None:
            return _run_span(node, text, start, end, language) or (0, len(text))
        rng = node.range()
        snippet = standalone_snippet(text, rng.start.index, rng.end.index)
        if node.children() and _parses_as(snippet, node.kind(), language):
            return rng.start.index, rng.end.index
        node = parent


def _run_span(
    node: SgNode, text: str, start: int, end: int, language: str
) -> tuple[int, int] | None:
    """The run of `node`'s named children spanning [start, end), when it parses on its own as them."""
    run = [
        c
        for c in node.children()
        if c.is_named() and c.range().end.index > start and c.range().start.index < end
    ]
    if len(run) < 2:
        return None
    s, e = run[0].range().start.index, run[-1].range().end.index
    if not (s <= start and end <= e):
        return None
    if parses_as_run(standalone_snippet(text, s, e), tuple(c.kind() for c in run), language):
        return s, e
    return None


def standalone_snippet(text: str, start: int, end: int) -> str:
    """text[start:end], dedented when it starts its line and spans several (so it parses alone)."""
    raw = text[start:end]
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start]
    if "\n" in raw and prefix and not prefix.strip():
        return textwrap.dedent(prefix + raw)
    return raw


@functools.lru_cache(maxsize=8192)
def _parses_as(snippet: str, kind: str, language: str) -> bool:
    """Whether `snippet` alone parses cleanly, with a node of `kind` covering all of it."""
    root = SgRoot(snippet, language).root()
    if syntax_problems(root):
        return False
    whole = snippet.strip()
    node: SgNode | None = root
    while node is not None:
        if node.kind() == kind and _covers(node, whole):
            return True
        node = next((c for c in node.children() if c.is_named() and _covers(c, whole)), None)
    return False


def _covers(node: SgNode, whole: str) -> bool:
    # A statement's `;` may be the only text a node leaves out (`f(x)` in `f(x);`).
    text = node.text().strip()
    return text == whole or text == whole.removesuffix(";").rstrip()


@functools.lru_cache(maxsize=2048)
def parses_as_run(snippet: str, kinds: tuple[str, ...], language: str) -> bool:
    root = SgRoot(snippet, language).root()
    if syntax_problems(root):
        return False
    return tuple(c.kind() for c in root.children() if c.is_named()) == kinds


def edit_regions(before_text: str, after_text: str, *, language: str) -> list[EditRegion]:
    """The changed units between two versions of a file, as standalone before/after snippets.

    Empty when the texts are equal. Raises ExampleError when either text does not parse (units
    in a broken tree are not trustworthy) and RewriteError for a language ast-grep lacks.
    """
    if before_text == after_text:
        return []
    edit = EditMap(before_text, after_text, language=canonical_language(language))
    return [edit.region(span) for span in edit.spans()]


def edit_map_or_reason(before: str, after: str, *, path: str) -> tuple[EditMap | None, str | None]:
    language = language_for(path)
    if language is None:
        return None, NO_GRAMMAR.format(path=path)
    try:
        return EditMap(before, after, language=language, path=path), None
    except ExampleError as exc:
        return None, str(exc)
