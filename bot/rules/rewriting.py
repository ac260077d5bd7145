"""Applying a RewriteRule to files: the structural rewrite, `/evolve rewrite <pattern> -> <fix>`.

Everything here is pure: file contents go in, new contents, match counts and a preview come out.

How a rewrite reads the rule:

* The pattern is an ast-grep pattern (`$X` one node, `$$X` one node including unnamed tokens,
  `$$$ARGS` any number of nodes; names starting with `_` match without capturing).
* The fix is text in which `$X`/`$$X`/`$$$ARGS` stand for what the pattern captured. ast-grep-py's
  `SgNode.replace` inserts its text literally, so the fix is rendered here: a capture becomes the
  exact source text it covered, from its first node to its last, so `$$$ARGS` keeps the original
  commas, spacing and line breaks. Lines of a multi-line fix after the first are indented like
  the line the match starts on.
* A capture keeps its meaning where the fix puts it: it is written in parentheses when, bare,
  it would bind otherwise (`getattr($A, "$B") -> $A.$B` turns `getattr(x + y, "z")` into
  `(x + y).z`, not `x + y.z`), and so is the fix where the match was (`$A.add($B) -> $A or $B`
  turns `not s.add(1)` into `not (s or 1)`). Whether code binds as it did is judged in the
  rewritten file, where Python joins the lines inside brackets (`_fixes_grouped`).
* Nested matches (`f(f(x))` with `f($A) -> g($A)`) are rewritten in one pass, bottom-up: the
  outermost match is replaced, and a match inside one of its captures is rewritten inside the
  captured text, giving `g(g(x))`. A match inside the outer match but outside every capture is
  overwritten by the fix and not counted. Text the fix creates is never matched again, so a rule
  whose fix contains its own pattern (`$A -> f($A)`) still terminates, and a rule whose fix does
  not match its pattern (`$X == None -> $X is None`) is idempotent: applying it twice changes
  nothing the second time.
* A list rule (`RewriteRule.each`, learned from examples whose lists had different numbers of
  items) rewrites each item of one `$$$` capture by an item pattern and fix of its own:
  `dict($$$ITEMS) -> {$$$ITEMS}` with each `$A=$B` written `"$A": $B` turns `dict(a=1, b=x)`
  into `{"a": 1, "b": x}`. It matches only where every item matches the item pattern; what sits
  between the items (commas, comments, line breaks) is kept.
* A pattern of several statements (`if $A:
    return True
return False`) matches a run of
  statements that follow each other in one body, nothing between them (not even a comment, which
  the fix would drop): ast-grep matches one node, so each statement is matched as its kind in
  place and must immediately precede the next (`precedes` with `stopBy: neighbor`), its
  metavariables shared. The run is replaced as a whole.
* A pattern must be code the language parses: the pattern with its metavariables replaced by
  plain identifiers is parsed, and any syntax error (other than a terminator missing at the very
  end, as in the Java pattern `foo($A)`) makes it invalid, as does ast-grep refusing it or the
  pattern not matching its own text. ast-grep itself would search with such a pattern and find
  partial or no matches, which is worse than a clear refusal.
* Files with syntax errors are not rewritten (matches in a broken tree are not trustworthy) and
  are listed in `RewriteResult.unparsable`; a rewrite that leaves a file with a syntax error it
  did not have raises `RewriteError`, naming the file and the site.
* `in <glob>` uses gitignore rules (pathspec): `src/**/*.py` matches `src/a.py` and
  `src/x/y/b.py`, `*.py` matches Python files at any depth, `src/` everything under src.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

from bot.rules.matching import match_span, matches_with_fixes
from bot.rules.patterns import (
    METAVARIABLE,
    RewriteError,
    language_for,
    pattern_problem,
    syntax_problems,
)
from bot.rules.quotes import preferred_quote, quote_variant_pairs
from bot.rules.rule import ItemMap, RewriteRule, glob_spec

# A comment that tells linters to leave its line alone: Python's `# noqa` (with or without
# codes), ESLint's `// eslint-disable-line`, clang-tidy's and cpplint's `// NOLINT`.
MARKED = re.compile(
    r"""
    \bnoqa\b                 # flake8, ruff: `# noqa`, `# noqa: B009`
    | eslint-disable-line    # ESLint, for the line it ends
    | \bNOLINT\b             # clang-tidy, cpplint
    """,
    re.VERBOSE | re.IGNORECASE,
)
# Node kinds of comments in the supported grammars (most say `comment`).
COMMENT_KINDS = ("comment", "line_comment", "block_comment")
# Languages whose parentheses group an expression, so code a rewrite wrote that would bind
# otherwise is written in them (`_fixes_grouped`).
PARENTHESES_LANGUAGES = frozenset(
    {
        "python", "javascript", "typescript", "tsx", "rust", "go", "java", "c", "cpp", "csharp",
        "kotlin", "swift", "php", "scala", "dart", "ruby", "lua", "zig", "solidity",
    }
)  # fmt: skip
# The node kind of an expression in parentheses (tree-sitter's name in most grammars), and the
# kinds that keep them as a call's sole argument (Python's `f((yield))`).
GROUPING = "parenthesized_expression"
UNGROUPABLE = frozenset({"yield"})
# Opening brackets and the closing bracket of each: a `$$$` capture right between a pair in the
# fix keeps the code's layout inside the pair.
BRACKETS = {"(": ")", "[": "]", "{": "}"}
INVALID_PATTERN = "the pattern `{pattern}` is not valid {language}: {detail}"
NO_LANGUAGE_ACCEPTS = (
    "the pattern `{pattern}` is not valid in any language of the files in scope:\n{reasons}"
)
BROKEN_OUTPUT = (
    "the fix `{fix}` breaks {path}: after rewriting line {line} (`{before}` -> `{after}`)"
    " the file has a syntax error ({error})"
)
NOT_CAPTURED = "ast-grep matched `{match}` with `{pattern}` but captured nothing as ${name}"
NO_MATCHES = "no matches for `{pattern}`{scope}"
MATCHES = "{count} {noun} in {files} {files_noun}"


@dataclass(frozen=True)
class RewriteSite:
    """One rewritten match, for the preview: where it starts, and its text before and after."""

    path: str
    line: int  # 1-based
    before: str
    after: str


@dataclass(frozen=True)
class RewriteResult:
    """What applying a rule did: new contents of changed files, matches per file, and what was left alone."""

    rule: RewriteRule
    changed: Mapping[str, str] = field(default_factory=dict)
    # Matches rewritten per file (files with none are absent), nested matches included.
    matches: Mapping[str, int] = field(default_factory=dict)
    sites: tuple[RewriteSite, ...] = ()
    # Files in scope that have syntax errors and were not rewritten: path -> the first error.
    unparsable: Mapping[str, str] = field(default_factory=dict)
    # Files in scope the `allowed` policy refused; never read.
    not_allowed: tuple[str, ...] = ()
    # Files the fix would have left unparsable, left unchanged (`skip_breaking`): path -> why.
    breaking: Mapping[str, str] = field(default_factory=dict)
    # With no rule language: languages in scope whose grammar rejects the pattern -> why.
    pattern_rejected: Mapping[str, str] = field(default_factory=dict)
    files_searched: int = 0
    # Matches left alone because a comment on their lines says so (`skip_marked`): (path, line).
    marked: tuple[tuple[str, int], ...] = ()
    # Matches left alone because the fix would drop a comment inside them: (path, line).
    commented: tuple[tuple[str, int], ...] = ()

    @property
    def match_count(self) -> int:
        return sum(self.matches.values())

    @property
    def no_matches(self) -> bool:
        return self.match_count == 0

    def describe(self) -> str:
        """One line for the reply: how many matches in how many files, or that there were none."""
        if self.no_matches:
            scope = f" in {self.rule.glob}" if self.rule.glob else ""
            return NO_MATCHES.format(pattern=self.rule.pattern, scope=scope)
        count, files = self.match_count, len(self.matches)
        return MATCHES.format(
            count=count,
            noun="match" if count == 1 else "matches",
            files=files,
            files_noun="file" if files == 1 else "files",
        )


def apply_rewrite(
    files: Mapping[str, str],
    rule: RewriteRule,
    *,
    allowed: Callable[[str], bool] = lambda path: True,
    skip_breaking: bool = False,
    skip_marked: bool = False,
) -> RewriteResult:
    """Apply `rule` to `files` (path -> content); only files whose content changes appear in `changed`.

    With `skip_breaking`, a file the fix would leave unparsable is left as it is and listed in
    `RewriteResult.breaking` (a learned rule's other sites still stand); without, it raises.
    With `skip_marked`, a match on a line whose comment tells linters to leave it alone
    (`# noqa`, `// eslint-disable-line`, `// NOLINT`: MARKED) is left alone and listed in
    `RewriteResult.marked`: its author chose that code on purpose. A match whose fix would drop
    a comment inside it is always left alone and listed in `RewriteResult.commented`.

    Raises RewriteError when the pattern is not valid for the rule's language (or, with no rule
    language, for every language in scope), or when the fix would leave a file unparsable.
    """
    if rule.language is not None and (
        problem := pattern_problem(rule.pattern, rule.language, selector=rule.selector)
    ):
        raise RewriteError(
            INVALID_PATTERN.format(pattern=rule.pattern, language=rule.language, detail=problem)
        )
    spec = glob_spec(rule.glob) if rule.glob is not None else None
    changed: dict[str, str] = {}
    matches: dict[str, int] = {}
    sites: list[RewriteSite] = []
    unparsable: dict[str, str] = {}
    breaking: dict[str, str] = {}
    not_allowed: list[str] = []
    rejected: dict[str, str] = {}
    accepted: set[str] = set()
    marked: list[tuple[str, int]] = []
    commented: list[tuple[str, int]] = []
    searched = 0
    for path in sorted(files):
        if spec is not None and not spec.match_file(path):
            continue
        language = language_for(path)
        if language is None or (rule.language is not None and language != rule.language):
            continue
        if not allowed(path):
            not_allowed.append(path)
            continue
        if language in rejected:
            continue
        if language not in accepted:
            if problem := pattern_problem(rule.pattern, language, selector=rule.selector):
                rejected[language] = problem
                continue
            accepted.add(language)
        searched += 1
        content = files[path]
        root = SgRoot(content, language).root()
        if problems := syntax_problems(root):
            unparsable[path] = problems[0].description
            continue
        rewritten, count, file_sites, file_marked, file_commented = _rewrite_file(
            root, content, rule, path=path, language=language, skip_marked=skip_marked
        )
        marked.extend((path, line) for line in file_marked)
        commented.extend((path, line) for line in file_commented)
        if rewritten != content:
            try:
                _check_still_parses(rewritten, language, rule, path=path, sites=file_sites)
            except RewriteError as exc:
                if not skip_breaking:
                    raise
                breaking[path] = str(exc)
                continue
            changed[path] = rewritten
            sites.extend(file_sites)
        if count:
            matches[path] = count
    if rejected and not accepted:
        reasons = "\n".join(f"- {language}: {why}" for language, why in sorted(rejected.items()))
        raise RewriteError(NO_LANGUAGE_ACCEPTS.format(pattern=rule.pattern, reasons=reasons))
    return RewriteResult(
        rule=rule,
        changed=changed,
        matches=matches,
        sites=tuple(sites),
        unparsable=unparsable,
        not_allowed=tuple(not_allowed),
        breaking=breaking,
        pattern_rejected=rejected,
        files_searched=searched,
        marked=tuple(marked),
        commented=tuple(commented),
    )


def _check_still_parses(
    text: str, language: str, rule: RewriteRule, *, path: str, sites: list[RewriteSite]
) -> None:
    problems = syntax_problems(SgRoot(text, language).root())
    if not problems:
        return
    # Name the site nearest above the first error: that is the edit most likely to blame.
    line = problems[0].line
    site = max(
        (s for s in sites if s.line <= line),
        key=lambda s: s.line,
        default=sites[0] if sites else None,
    )
    before, after = (site.before, site.after) if site else ("", "")
    raise RewriteError(
        BROKEN_OUTPUT.format(
            fix=rule.fix,
            path=path,
            line=site.line if site else line,
            before=before,
            after=after,
            error=problems[0].description,
        )
    )


@dataclass
class _Match:
    node: SgNode
    start: int
    end: int
    order: int  # ast-grep's (pre-order) position: of two matches on one range, the first is outer
    fix: str  # the rule's fix, in the quotes this match had (`RewriteRule.any_quote`)


def _outermost(candidates: Iterable[_Match], start: int, end: int) -> list[_Match]:
    """The matches inside [start, end) that no other chosen match contains, in text order."""
    chosen: list[_Match] = []
    last_end = start
    for m in sorted(candidates, key=lambda m: (m.start, -m.end, m.order)):
        if m.start >= last_end and m.end <= end:
            chosen.append(m)
            last_end = m.end
    return chosen


def _fix_segments(fix: str) -> list[str | tuple[str, str]]:
    """The fix as literal text and (kind, name) captures to fill in."""
    segments: list[str | tuple[str, str]] = []
    position = 0
    for m in METAVARIABLE.finditer(fix):
        name = m.group("multi") or m.group("unnamed") or m.group("single")
        if not name:  # a bare `$$$` in the fix is literal text
            continue
        segments.append(fix[position : m.start()])
        segments.append(("multi" if m.group("multi") else "single", name))
        position = m.end()
    segments.append(fix[position:])
    return [s for s in segments if s != ""]


def _bracketed(segments: list[str | tuple[str, str]], index: int) -> bool:
    """Whether the capture at `index` sits right between an opening and its closing bracket in the fix."""
    before = segments[index - 1] if index > 0 else ""
    after = segments[index + 1] if index + 1 < len(segments) else ""
    return (
        isinstance(before, str)
        and isinstance(after, str)
        and before[-1:] in BRACKETS
        and after[:1] == BRACKETS[before[-1]]
    )


def _inside_brackets(content: str, nodes: list[SgNode], begin: int, end: int) -> tuple[int, int]:
    """[begin, end) widened to all between the brackets around `nodes`, when only space (and a
    trailing comma) lies between them and the nodes."""
    parent = nodes[0].parent()
    if parent is None:
        return begin, end
    children = parent.children()
    if len(children) < 2 or children[0].text() not in BRACKETS:
        return begin, end
    if children[-1].text() != BRACKETS[children[0].text()]:
        return begin, end
    opened, closes = children[0].range().end.index, children[-1].range().start.index
    if content[opened:begin].strip() or content[end:closes].strip(" \t\r\n,"):
        return begin, end  # other items (`foo(x, $$$A)`) are not the capture's to keep
    return opened, closes


def _indent_at(content: str, start: int) -> str:
    """The whitespace that starts the line `start` is on (up to `start`)."""
    line_start = content.rfind("\n", 0, start) + 1
    return re.match(r"[ \t]*", content[line_start:start]).group()  # type: ignore[union-attr]


def _spans_one_node(root: SgNode, start: int, end: int) -> bool:
    """Whether a named node under `root` spans exactly [start, end)."""
    return _spanning(root, start, end) is not None


def _spanning(root: SgNode, start: int, end: int) -> SgNode | None:
    """The outermost named node under `root` that spans exactly [start, end), or None."""
    node: SgNode | None = root
    while node is not None:
        if node.is_named() and (node.range().start.index, node.range().end.index) == (start, end):
            return node
        node = next(
            (
                c
                for c in node.children()
                if c.range().start.index <= start and end <= c.range().end.index
            ),
            None,
        )
    return None


def marked_lines(found: Iterable[SgNode]) -> set[int]:
    """The lines (0-based) whose comment, among the `comments` `found`, tells linters to leave
    the code there alone (MARKED)."""
    return {comment.range().start.line for comment in found if MARKED.search(comment.text())}


def comments(root: SgNode, *, language: str) -> list[SgNode]:
    """The comments under `root`, whatever the grammar calls them."""
    return [node for kind in _comment_kinds(language) for node in root.find_all(kind=kind)]


@functools.lru_cache(maxsize=64)
def _comment_kinds(language: str) -> tuple[str, ...]:
    """Which of COMMENT_KINDS the grammar has: ast-grep refuses a kind it does not know."""
    root = SgRoot("", language).root()
    known = []
    for kind in COMMENT_KINDS:
        try:
            root.find_all(kind=kind)
        except RuntimeError:
            continue
        known.append(kind)
    return tuple(known)


def _rewrite_file(
    root: SgNode,
    content: str,
    rule: RewriteRule,
    *,
    path: str,
    language: str,
    skip_marked: bool = False,
) -> tuple[str, int, list[RewriteSite], list[int], list[int]]:
    """The file rewritten, how many matches were, its sites, the lines of matches left alone
    as marked (`skip_marked`), and of matches left alone because the fix drops a comment."""
    matched = matches_with_fixes(root, rule, language=language)
    prefer = preferred_quote(root) if rule.any_quote and matched else None
    if prefer is not None:  # strings only the fix has are written in the file's quotes
        matched = matches_with_fixes(root, rule, language=language, prefer=prefer)
    found = [
        _Match(node, *match_span(node, rule, language=language), order, fix)
        for order, (node, fix) in enumerate(matched)
    ]
    # An empty match has nothing to replace (and would be chosen again and again as "outermost").
    found = [m for m in found if m.end > m.start]
    left: list[int] = []
    notes = comments(root, language=language) if found else []
    if skip_marked and found and (marks := marked_lines(notes)):
        spans = {
            id(m): range(m.node.range().start.line, content.count("\n", 0, m.end) + 1)
            for m in found
        }
        left = sorted({spans[id(m)][0] + 1 for m in found if marks.intersection(spans[id(m)])})
        found = [m for m in found if not marks.intersection(spans[id(m)])]
    dropped: list[int] = []
    if not found:
        return content, 0, [], left, dropped
    rendered: set[int] = set()  # a capture used twice in the fix renders its inner matches twice

    def render_region(start: int, end: int, candidates: list[_Match]) -> str:
        pieces, position = [], start
        for m in _outermost(candidates, start, end):
            pieces.append(content[position : m.start])
            pieces.append(
                render_match(
                    m,
                    [c for c in candidates if c is not m and m.start <= c.start and c.end <= m.end],
                )
            )
            position = m.end
        pieces.append(content[position:end])
        return "".join(pieces)

    def render_match(
        m: _Match, inner: list[_Match], *, spans: list[tuple[int, int]] | None = None
    ) -> str:
        rendered.add(m.order)
        return render_fix(m.fix, m.node, inner, start=m.start, spans=spans)

    def render_fix(
        fix: str,
        node: SgNode,
        inner: list[_Match],
        *,
        start: int,
        spans: list[tuple[int, int]] | None = None,
    ) -> str:
        """The fix at `node`; with `spans`, the span of each single capture in it is added."""
        indent = _indent_at(content, start)
        out: list[str] = []
        segments = _fix_segments(fix)
        for i, segment in enumerate(segments):
            if isinstance(segment, str):
                out.append(segment.replace("\n", "\n" + indent) if indent else segment)
                continue
            kind, name = segment
            if kind == "multi":
                nodes = node.get_multiple_matches(name)
                if not nodes:
                    continue
                begin, end = nodes[0].range().start.index, nodes[-1].range().end.index
                if _bracketed(segments, i):
                    # Between brackets in the fix as in the code: keep the code's line breaks
                    # inside them (`(\n    a,\n)` stays laid out so, not `(a,)`).
                    begin, end = _inside_brackets(content, nodes, begin, end)
                if rule.each is not None and name == rule.each.name:
                    out.append(render_items(rule.each, node, inner, begin=begin, end=end))
                    continue
            elif rule.table is not None and name == rule.table.target:
                out.append(rule.table.lookup(node) or "")  # a match is one the table has
                continue
            else:
                captured = node.get_match(name)
                if captured is None:
                    raise RewriteError(
                        NOT_CAPTURED.format(match=node.text(), name=name, pattern=rule.pattern)
                    )
                begin, end = captured.range().start.index, captured.range().end.index
            piece = render_region(begin, end, inner)
            if spans is not None and kind == "single":
                at = sum(map(len, out))
                spans.append((at, at + len(piece)))
            out.append(piece)
        return "".join(out)

    def render_items(
        each: ItemMap, node: SgNode, inner: list[_Match], *, begin: int, end: int
    ) -> str:
        # Each item by the item fix; commas, comments and the space between them as they were.
        item_fix = quote_variant_pairs(each.pattern, each.fix, prefer=prefer)[0][1]
        pieces, position = [], begin
        for captured, item in each.items(node) or []:
            r = captured.range()
            pieces.append(content[position : r.start.index])
            if item is None:
                pieces.append(render_region(r.start.index, r.end.index, inner))
            else:
                pieces.append(render_fix(item_fix, item, inner, start=r.start.index))
            position = r.end.index
        pieces.append(content[position:end])
        return "".join(pieces)

    sites: list[RewriteSite] = []
    # Each site's span in the new text, and the spans of the captures its fix wrote.
    placed: list[tuple[int, int, list[tuple[int, int]]]] = []
    pieces, position, length = [], 0, 0
    for m in _outermost(found, 0, len(content)):
        counted = set(rendered)
        captures: list[tuple[int, int]] = []
        after = render_match(
            m,
            [c for c in found if c is not m and m.start <= c.start and c.end <= m.end],
            spans=captures,
        )
        before = content[m.start : m.end]
        if any(m.start <= c.range().start.index < m.end and c.text() not in after for c in notes):
            # ast-grep matches across comments the pattern does not have (`return True  # why`
            # for `return True`); a fix that does not keep one would silently delete it.
            rendered.intersection_update(counted)
            dropped.append(m.node.range().start.line + 1)
            after = before
        pieces.append(content[position : m.start])
        length += m.start - position
        pieces.append(after)
        if after != before:
            placed.append(
                (length, length + len(after), [(length + s, length + e) for s, e in captures])
            )
            sites.append(
                RewriteSite(
                    path=path, line=m.node.range().start.line + 1, before=before, after=after
                )
            )
        length += len(after)
        position = m.end
    pieces.append(content[position:])
    text = "".join(pieces)
    if placed and language in PARENTHESES_LANGUAGES:
        text, sites = _fixes_grouped(text, placed, sites, language=language)
    return text, len(rendered), sites, left, dropped


def _fixes_grouped(
    text: str,
    placed: list[tuple[int, int, list[tuple[int, int]]]],
    sites: list[RewriteSite],
    *,
    language: str,
) -> tuple[str, list[RewriteSite]]:
    """`text` (a file rewritten) with code the rewrite wrote in parentheses where, bare, it
    would bind otherwise: a capture where the fix puts it (`getattr($A, "$B") -> $A.$B` turns
    `getattr(x + y, "z")` into `(x + y).z`, not `x + y.z`), and the fix where the match was
    (`$A.add($B) -> $A or $B` turns `not s.add(1)` into `not (s or 1)`).

    Code keeps its meaning when the file parses with it as one node. This is judged in the
    file, not in the fix alone: Python joins lines inside the brackets around a match.
    """
    root = SgRoot(text, language).root()
    if syntax_problems(root):
        return text, sites  # the caller reports the broken file
    for index in reversed(range(len(placed))):  # from the end: earlier spans stay put
        start, end, captures = placed[index]
        for s, e in reversed(captures):  # the fix's captures; the fix grows with each one grouped
            text, root, grown = _ungrouped_at(text, root, s, e, language=language)
            if not grown:
                text, root, grown = _grouped_at(text, root, s, e, language=language)
            end += grown
        text, root, grown = _grouped_at(text, root, start, end, language=language)
        end += grown
        if end - start != len(sites[index].after):
            sites[index] = dataclasses.replace(sites[index], after=text[start:end])
    return text, sites


def _grouped_at(
    text: str, root: SgNode, start: int, end: int, *, language: str
) -> tuple[str, SgNode, int]:
    """`text` and its tree, with [start, end) in parentheses when it is no one node bare and is
    one in them; and how many characters that added (0 or 2)."""
    if end == start or _spans_one_node(root, start, end):
        return text, root, 0
    candidate = f"{text[:start]}({text[start:end]}){text[end:]}"
    again = SgRoot(candidate, language).root()
    if syntax_problems(again) or not _spans_one_node(again, start, end + 2):
        return text, root, 0
    return candidate, again, 2


def _ungrouped_at(
    text: str, root: SgNode, start: int, end: int, *, language: str
) -> tuple[str, SgNode, int]:
    """`text` and its tree, with the parentheses around [start, end) dropped when they sit
    right inside other brackets (`bool($A)` with `$A` = `(a or b)` wrote `bool((a or b))`) and
    what they held is one node without them; and how many characters that added (0 or -2).

    The capture's own parentheses did their work where it was (an `if` condition over several
    lines); inside the fix's brackets they are a pair too many.
    """
    inner = text[start + 1 : end - 1]
    grouped = _spanning(root, start, end)
    if (
        grouped is None
        or grouped.kind() != GROUPING
        or not text[:start].rstrip().endswith(("(", "["))
        or not text[end:].lstrip().startswith((")", "]"))
    ):
        return text, root, 0
    candidate = f"{text[:start]}{inner}{text[end:]}"
    again = SgRoot(candidate, language).root()
    # What the parentheses held, without the line breaks and spaces inside them.
    held = (start + len(inner) - len(inner.lstrip()), start + len(inner.rstrip()))
    if (
        syntax_problems(again)
        or (bare := _spanning(again, *held)) is None
        or (bare.kind() in UNGROUPABLE)
    ):
        return text, root, 0
    return candidate, again, -2
