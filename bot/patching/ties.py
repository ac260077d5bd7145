"""Breaking ties between places a hunk fits equally: the file must compile, then structure cues."""

from __future__ import annotations

import ast
import io
import itertools
import math
import re
import tokenize
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from bot.patching.edits import LineKind
from bot.patching.outcomes import TieBreak
from bot.patching.placing import Effect, Placement, Problem, Segment, assemble, render_file
from bot.patching.text import Text

COMPILES_WITH_SEVERAL = "; the file compiles with {count} of the {total} ways"
COMPILES_WITH_NONE = "; the file does not compile with any of them"
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
# Files whose syntax can settle where added lines go: a file that compiled before the edit must
# still compile after it.
PYTHON_SUFFIXES = (".py", ".pyi")
# Combinations of undecided hunks compiled at most, per file: each is a full compile.
MAX_SYNTAX_CHECKS = 16
BLANK_LINES_RE = re.compile(r"\n[ \t\r\f]*(?=\n)")


def _compiled(source: str, *, path: str) -> ast.Module | None:
    """The file's syntax tree if it compiles (all the compiler's checks, not just the parse)."""
    return _parse(source, path=path, compiles=True)


def breaks_syntax(path: str, *, original: str, result: str) -> bool:
    """Whether a Python file that compiled before the edit no longer does."""
    if not path.endswith(PYTHON_SUFFIXES) or _compiled(result, path=path) is not None:
        return False
    return _compiled(original, path=path) is not None


@dataclass(frozen=True, slots=True)
class _Way:
    """One combination of the undecided hunks' ways, and the compiling file it makes."""

    effects: tuple[Effect, ...]  # one per undecided hunk
    source: str
    tree: ast.Module
    added: frozenset[str]  # see _added_statements


def break_ties(path: str, *, text: Text, original: str, placements: list[Placement]) -> None:
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
    fixed = [Segment(p.start, p.end, p.lines, p.hunk) for p in placements if p.tie is None]
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
        placement.tie = Problem(placement.tie.reason, placement.tie.detail + why)


def _compiling(
    path: str,
    *,
    text: Text,
    fixed: list[Segment],
    ties: list[Placement],
    options: list[list[Effect]],
    added: frozenset[str],
) -> list[_Way]:
    """The combinations of the undecided hunks' ways with which the file compiles."""
    passing = []
    for combo in itertools.product(*options):
        segments = fixed + [
            Segment(e.start, e.end, e.lines, p.hunk) for p, e in zip(ties, combo, strict=True)
        ]
        source = render_file(text, segments=segments)
        tree = _compiled(source, path=path)
        if tree is not None:
            passing.append(_Way(combo, source, tree, added))
    return passing


def _split_options(text: Text, *, placement: Placement) -> list[Effect]:
    """The placement's ways, plus those with left-out file lines between its added lines."""
    cands = {id(e.cand): e for e in placement.options}
    if any(e.start != e.cand.start for e in placement.options):
        return placement.options  # moved to the top of the file: no left-out line between
    ways: dict[tuple[int, int, tuple[str, ...]], Effect] = {}
    for template in cands.values():
        effects = assemble(text, hunk=placement.hunk, cand=template.cand, split=True)
        if isinstance(effects, Problem):
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


def _added_statements(ties: list[Placement]) -> frozenset[str]:
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
