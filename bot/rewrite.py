"""RewriteRule: the structural-rewrite patch strategy, `/evolve rewrite <pattern> -> <fix> [in <glob>]`, on ast-grep.

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
* A pattern of several statements (`if $A:\n    return True\nreturn False`) matches a run of
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
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import pathspec
from ast_grep_py import SgNode, SgRoot

from bot.surroundings import LANGUAGE as FACTS_LANGUAGE
from bot.surroundings import FactError, holds, parse_fact
from bot.untrusted import fence

# Language names the installed ast-grep-py accepts (each checked by tests/test_rewrite.py against a
# real snippet): anything else makes ast-grep-py panic, so names are checked before it sees them.
LANGUAGE_BY_EXTENSION: Mapping[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp",
    ".rb": "ruby",
    ".kt": "kotlin", ".kts": "kotlin",
    ".swift": "swift",
    ".html": "html", ".htm": "html",
    ".css": "css",
    ".sh": "bash", ".bash": "bash",
    ".json": "json",
    ".yaml": "yaml", ".yml": "yaml",
    ".lua": "lua",
    ".scala": "scala", ".sc": "scala",
    ".cs": "csharp",
    ".php": "php",
    ".ex": "elixir", ".exs": "elixir",
    ".hs": "haskell",
    ".hcl": "hcl", ".tf": "hcl",
    ".nix": "nix",
    ".sol": "solidity",
    ".dart": "dart",
    ".zig": "zig",
    ".md": "markdown", ".markdown": "markdown",
}  # fmt: skip
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(LANGUAGE_BY_EXTENSION.values())
LANGUAGE_ALIASES: Mapping[str, str] = {
    "py": "python", "js": "javascript", "jsx": "javascript", "ts": "typescript", "rs": "rust",
    "golang": "go", "c++": "cpp", "rb": "ruby", "kt": "kotlin", "sh": "bash", "shell": "bash",
    "yml": "yaml", "cs": "csharp", "c#": "csharp", "ex": "elixir", "hs": "haskell",
    "terraform": "hcl", "md": "markdown",
}  # fmt: skip

METAVARIABLE = re.compile(
    r"""
    \$\$\$(?P<multi>[A-Z_][A-Z0-9_]*)?   # $$$ARGS: zero or more nodes; a bare $$$ captures nothing
    | \$\$(?P<unnamed>[A-Z_][A-Z0-9_]*)  # $$X: one node, unnamed tokens such as operators included
    | \$(?P<single>[A-Z_][A-Z0-9_]*)     # $X: one named node
    """,
    re.VERBOSE,
)
# The glob after ` in ` when the fix is not quoted: one token that is plainly a path (has a slash,
# a wildcard or a known source extension), because Python's own `in` operator can end a fix.
TRAILING_GLOB = re.compile(
    r"""
    \s+in\s+
    (?P<glob>[^\s`$]+)   # one token, no backticks, no metavariables
    \s*$
    """,
    re.VERBOSE,
)
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
# Stand-in identifier for a metavariable when parsing a pattern as plain code.
PLACEHOLDER = "evolvemv{index}"
# One place a rule's match may sit: its parent's node kind, and the parent's field that holds it
# (ast-grep's `inside: {kind: ..., field: ...}` with the default stopBy, the direct parent).
CONTEXT = re.compile(
    r"""
    (?P<kind>[a-z_]+)        # the parent's node kind, as tree-sitter names it
    (?:\.(?P<field>[a-z_]+))?  # optionally the parent's field that holds the match
    """,
    re.VERBOSE,
)
# Code around a pattern that only parses as its kind in place (`Optional[$A]` is a `generic_type`
# in an annotation, a `subscript` alone): ast-grep's contextual pattern, tried in this order.
SELECTOR_CONTEXTS: Mapping[str, tuple[str, ...]] = {
    "python": (
        "x: {}",
        "def f() -> {}:\n    pass",
        "def f(x: {}):\n    pass",
        "def f():\n    {}",
        'f"{}"',
    ),
    "typescript": ("let x: {};", "function f(): {} {}"),
    "tsx": ("let x: {};", "function f(): {} {}"),
}
SELECTOR = re.compile(r"[a-z_]+")
QUOTES_LANGUAGE = "python"
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
# ast-grep's match strictness that checks a match leaves out no named node (`spells_out`).
RELAXED = "relaxed"
# Opening brackets and the closing bracket of each: a `$$$` capture right between a pair in the
# fix keeps the code's layout inside the pair.
BRACKETS = {"(": ")", "[": "]", "{": "}"}
# Each plain string doubles the searches of an either-quote rule: beyond this many, the rest match
# only as written.
MAX_QUOTED_STRINGS = 3
# Field names tree-sitter grammars use, to say which field of its parent holds a node (ast-grep-py
# can ask a node for a field's child but not a child for its field).
FIELD_NAMES = (
    "right", "left", "value", "body", "condition", "arguments", "argument", "function", "object",
    "attribute", "superclasses", "parameters", "return_type", "type", "alias", "name", "operand",
    "subscript", "key", "consequence", "alternative", "iterable", "expression",
)  # fmt: skip

EMPTY_PATTERN = "the rewrite pattern is empty"
EACH_NEEDS_LANGUAGE = "a rule that rewrites each item of a list needs a language"
EACH_NOT_CAPTURED = (
    "each item of `$$${name}` is to be rewritten, but the pattern `{pattern}` and the fix `{fix}`"
    " do not both have `$$${name}`"
)
EACH_NOT_IN_CONTEXT = "the item pattern `{item}` is not part of its context `{context}`"
EACH_BAD_CONTEXT = (
    "the item pattern `{item}` is not a `{selector}` in `{context}` as ast-grep reads it ({detail})"
)
EACH_UNCAPTURED = (
    "the item fix `{fix}` uses {names}, which the item pattern `{item}` does not capture"
)
TABLE_NOT_CAPTURED = (
    "the name table looks up ${source}, which the pattern `{pattern}` does not capture"
)
TABLE_TARGET_CAPTURED = (
    "the name table writes ${target}, which the pattern `{pattern}` captures already"
)
TABLE_TARGET_UNUSED = "the name table writes ${target}, which the fix `{fix}` does not have"
TABLE_EMPTY = "the name table has no entries"
TABLE_AND_EACH = "a rule rewrites each item of a list or looks names up in a table, not both"
TABLE_TWICE = "the name table has `{name}` twice"
VALUES_NOT_CAPTURED = (
    "`${name}` is held to values, but the pattern `{pattern}` does not capture it as one node"
)
VALUES_EMPTY = "`${name}` is held to no values"
REST_MAY_BE_EMPTY = " (`$$${rest}` may be empty)"
RUN_WITH = "a rule over several statements cannot also {what}; write it for one statement"
REST_NOT_CAPTURED = (
    "`$$${rest}` may be empty, but the pattern `{pattern}` and the fix `{fix}` do not both have it"
)
ANY_QUOTE_NEEDS_PYTHON = (
    "either-quote matching is for Python strings only; this rule's language is {language}"
)
FACTS_NEED_PYTHON = (
    "facts about captures are read from Python code only; this rule's language is {language}"
)
UNCAPTURED_FACT = (
    "the fact `{fact}` is about a metavariable the pattern `{pattern}` does not capture"
)
UNKNOWN_LANGUAGE = "ast-grep does not support the language {language!r}; supported: {supported}"
UNCAPTURED_IN_FIX = (
    "the fix uses {names}, which the pattern `{pattern}` does not capture"
    " (capture with $NAME, $$NAME or $$$NAME; names starting with _ do not capture)"
)
NEGATED_GLOB = "`in {glob}`: negated globs are not supported; name the files to rewrite"
INVALID_GLOB = "`in {glob}` is not a valid glob: {error}"
INVALID_PATTERN = "the pattern `{pattern}` is not valid {language}: {detail}"
INVALID_SELECTOR = "`{selector}` is not a node kind"
NO_SELECTOR_CONTEXT = "it is not a `{selector}` in any place {language} puts one"
INVALID_CONTEXT = (
    "`{context}` is not a place a match can sit: write the parent's node kind, optionally with"
    " the field that holds the match (`for_statement.right`)"
)
PATTERN_SYNTAX_ERROR = "it does not parse ({error})"
PATTERN_NOT_SELF_MATCHING = "ast-grep does not match it against its own text (it reads as `{kind}`)"
NO_LANGUAGE_ACCEPTS = (
    "the pattern `{pattern}` is not valid in any language of the files in scope:\n{reasons}"
)
BROKEN_OUTPUT = (
    "the fix `{fix}` breaks {path}: after rewriting line {line} (`{before}` -> `{after}`)"
    " the file has a syntax error ({error})"
)
SYNTAX_ERROR_AT = "syntax error at line {line}: `{text}`"
MISSING_TOKEN_AT = "missing `{token}` at line {line}"
NOT_CAPTURED = "ast-grep matched `{match}` with `{pattern}` but captured nothing as ${name}"
NO_MATCHES = "no matches for `{pattern}`{scope}"
MATCHES = "{count} {noun} in {files} {files_noun}"
BAD_COMMAND = (
    "usage: /evolve rewrite <pattern> -> <fix> [in <glob>]"
    " (wrap the pattern or the fix in backticks if it contains ` -> `)"
)
UNCLOSED_BACKTICK = "unclosed backtick in `{text}`"
TRAILING_TEXT = "unexpected text after the quoted fix: `{text}` (expected `in <glob>`)"
DIFF_PREFIX_OLD = "a/"
DIFF_PREFIX_NEW = "b/"
NO_NEWLINE = "\\ No newline at end of file\n"


class RewriteError(ValueError):
    """A rewrite rule that cannot be applied as written; the message is meant for the maintainer."""


def language_for(path: str) -> str | None:
    """The ast-grep language of `path` by its extension, or None when ast-grep has none for it."""
    return LANGUAGE_BY_EXTENSION.get(PurePosixPath(path).suffix.lower())


def canonical_language(language: str) -> str:
    """`language` as ast-grep names it (`py` -> `python`); RewriteError when unsupported."""
    name = language.strip().lower()
    name = LANGUAGE_ALIASES.get(name, name)
    if name not in SUPPORTED_LANGUAGES:
        raise RewriteError(
            UNKNOWN_LANGUAGE.format(
                language=language, supported=", ".join(sorted(SUPPORTED_LANGUAGES))
            )
        )
    return name


def writes(code: str, name: str, *, kind: str) -> bool:
    """Whether `code` (a pattern or fix) has the metavariable `name` of `kind` ("single": `$A`,
    "multi": `$$$A`, "unnamed": `$$A`)."""
    return any(m.group(kind) == name for m in METAVARIABLE.finditer(code))


def captured_names(pattern: str) -> set[str]:
    """Metavariable names the pattern captures (those not starting with `_`)."""
    names = set()
    for m in METAVARIABLE.finditer(pattern):
        name = m.group("multi") or m.group("unnamed") or m.group("single")
        if name and not name.startswith("_"):
            names.add(name)
    return names


@dataclass(frozen=True)
class ItemMap:
    """How a list rule rewrites each item of one `$$$` capture: an item pattern and its fix.

    The item pattern is read in a context that holds one item (`$A=$B` is a `keyword_argument`
    only inside a call, so `dict($A=$B)` with selector `keyword_argument`), as ast-grep's
    contextual pattern. The item fix's metavariables are the item pattern's.
    """

    name: str  # the `$$$` metavariable of the rule's pattern and fix whose items are rewritten
    pattern: str  # one item, as it is written inside `context`
    context: str  # a pattern holding one item
    selector: str  # the item's node kind in `context`
    fix: str  # what each item becomes

    def check(self, rule: RewriteRule) -> None:
        """RewriteError when this map cannot work with `rule` (or on its own)."""
        if rule.language is None:
            raise RewriteError(EACH_NEEDS_LANGUAGE)
        multi = f"$$${self.name}"
        if multi not in rule.pattern or multi not in rule.fix:
            raise RewriteError(
                EACH_NOT_CAPTURED.format(name=self.name, pattern=rule.pattern, fix=rule.fix)
            )
        if self.pattern not in self.context:
            raise RewriteError(EACH_NOT_IN_CONTEXT.format(item=self.pattern, context=self.context))
        if not SELECTOR.fullmatch(self.selector):
            raise RewriteError(INVALID_SELECTOR.format(selector=self.selector))
        if problem := _item_problem(self.pattern, self.context, self.selector, rule.language):
            raise RewriteError(
                EACH_BAD_CONTEXT.format(
                    item=self.pattern, selector=self.selector, context=self.context, detail=problem
                )
            )
        unknown = sorted(captured_names(self.fix) - captured_names(self.pattern))
        if unknown:
            raise RewriteError(
                EACH_UNCAPTURED.format(
                    fix=self.fix, names=", ".join(f"${n}" for n in unknown), item=self.pattern
                )
            )

    def describe(self) -> str:
        return f"each `{self.pattern}` in `$$${self.name}` written `{self.fix}`"

    def items(self, node: SgNode) -> list[tuple[SgNode, SgNode | None]] | None:
        """What `node` (a match of the rule) captured as `$$$name`: each captured node with its
        item match, or None for a separator or comment; None when an item does not match."""
        found: list[tuple[SgNode, SgNode | None]] = []
        for captured in node.get_multiple_matches(self.name):
            if not captured.is_named() or "comment" in captured.kind():
                found.append((captured, None))
                continue
            item = captured.find(pattern={"context": self.context, "selector": self.selector})
            if item is None or item != captured:
                return None
            found.append((captured, item))
        return found


@dataclass(frozen=True)
class NameTable:
    """A name the fix writes, looked up by what one of the pattern's metavariables captured.

    Learned from examples that each renamed one name in one place alike (`re.I ->
    re.IGNORECASE` and `re.X -> re.VERBOSE` give `re.$A -> re.$B` with `I -> IGNORECASE` and
    `X -> VERBOSE`). A match applies only when its capture is in the table: the rule renames
    no name the examples did not.
    """

    source: str  # the pattern's metavariable looked up (without `$`)
    target: str  # the fix's metavariable written from the table
    entries: tuple[tuple[str, str], ...]  # (captured text, text written), sorted

    def check(self, rule: RewriteRule) -> None:
        """RewriteError when this table cannot work with `rule` (or on its own)."""
        captured = captured_names(rule.pattern)
        if self.source not in captured:
            raise RewriteError(TABLE_NOT_CAPTURED.format(source=self.source, pattern=rule.pattern))
        if self.target in captured:
            raise RewriteError(
                TABLE_TARGET_CAPTURED.format(target=self.target, pattern=rule.pattern)
            )
        if self.target not in captured_names(rule.fix):
            raise RewriteError(TABLE_TARGET_UNUSED.format(target=self.target, fix=rule.fix))
        if not self.entries:
            raise RewriteError(TABLE_EMPTY)
        seen: set[str] = set()
        for name, _ in self.entries:
            if name in seen:
                raise RewriteError(TABLE_TWICE.format(name=name))
            seen.add(name)

    def lookup(self, node: SgNode) -> str | None:
        """What the table writes for the match `node`, or None when its capture is not in it."""
        captured = node.get_match(self.source)
        if captured is None:
            return None
        return dict(self.entries).get(captured.text())

    def search(self, pattern: str) -> dict[str, Any]:
        """The ast-grep rule config that finds `pattern` where its capture is in the table."""
        names = "|".join(re.escape(name) for name, _ in self.entries)
        return {
            "rule": {"pattern": pattern},
            "constraints": {self.source: {"regex": f"^(?:{names})$"}},
        }

    def describe(self) -> str:
        pairs = ", ".join(f"`{a}` → `{b}`" for a, b in self.entries)
        return f"`${self.target}` by `${self.source}`: {pairs}"


@dataclass(frozen=True)
class ValueSet:
    """A metavariable held to the texts the examples showed there (`$B` one of `"r"`, `"rt"`).

    Learned from examples whose fix dropped different literals at one spot (`open(f, "r")` and
    `open(g, "rt")` becoming `open(f)` and `open(g)`): the examples show that those values may go,
    not that any value may, so `open(h, "w")` is left alone. A plain string is one value in
    either quote style.
    """

    name: str  # the pattern's metavariable (without `$`)
    values: tuple[str, ...]  # the texts it may capture, plain strings in double quotes, sorted

    def check(self, rule: RewriteRule) -> None:
        """RewriteError when this set cannot work with `rule` (or on its own)."""
        if not self.values:
            raise RewriteError(VALUES_EMPTY.format(name=self.name))
        if not writes(rule.pattern, self.name, kind="single"):
            raise RewriteError(VALUES_NOT_CAPTURED.format(name=self.name, pattern=rule.pattern))

    def holds(self, node: SgNode) -> bool:
        """Whether the match `node` captured one of the values."""
        captured = node.get_match(self.name)
        return captured is not None and plain_form(captured) in self.values

    def describe(self) -> str:
        values = ", ".join(f"`{v}`" for v in self.values)
        return f"`${self.name}` one of {values}"


def plain_form(node: SgNode) -> str:
    """`node`'s text, a plain string in double quotes, so that either quote style is one value (a
    string's content is as it is: `'x'` inside `"'x'"` is no string)."""
    text = node.text()
    return f'"{text[1:-1]}"' if node.kind() == "string" and _plain(text) else text


@functools.lru_cache(maxsize=256)
def _item_problem(pattern: str, context: str, selector: str, language: str) -> str | None:
    """Why `pattern` is not the `selector` node ast-grep reads in `context`, or None."""
    start = context.index(pattern)
    end = start + len(pattern)
    root = SgRoot(same_length_instance(context), language).root()
    if problems := syntax_problems(root):
        return PATTERN_SYNTAX_ERROR.format(error=problems[0].description)
    try:
        found = root.find_all(pattern={"context": context, "selector": selector})
    except RuntimeError as exc:
        return _ast_grep_message(exc)
    if not found:
        return PATTERN_NOT_SELF_MATCHING.format(kind=selector)
    # The selector picks the first such node: it must be the item, not one around or before it.
    r = found[0].range()
    if (r.start.index, r.end.index) != (start, end):
        return PATTERN_NOT_SELF_MATCHING.format(kind=found[0].kind())
    return None


@dataclass(frozen=True)
class RewriteRule:
    """Rewrite what matches `pattern` into `fix`, in files of `language` (None: each file's own) under `glob`."""

    pattern: str
    fix: str
    language: str | None = None
    glob: str | None = None
    # Where a match may sit ("kind" or "kind.field" of its parent, any of them); empty: anywhere.
    inside: tuple[str, ...] = ()
    # The node kind the pattern stands for when that differs from how it parses alone (a type in
    # an annotation): it is then matched as ast-grep's contextual pattern (SELECTOR_CONTEXTS).
    selector: str | None = None
    # What must be true of the captures where they sit (`$A names the enclosing class`, `$D is a
    # dict`; see bot.surroundings): learned from examples whose surroundings all said so.
    facts: tuple[str, ...] = ()
    # Python only: quote style is formatting, not meaning. A plain string in the pattern ("x" or
    # 'x') matches either quote style and the fix writes it back as matched; a string only the
    # fix has takes the quotes most of the file's strings use. Learned rules set it; a typed
    # `/evolve rewrite` matches and writes as written.
    any_quote: bool = False
    # A list rule: how each item of one `$$$` capture is rewritten (learned rules only).
    each: ItemMap | None = None
    # A name the fix writes that depends on what the pattern captured (learned rules only).
    table: NameTable | None = None
    # Metavariables held to the values their examples showed (learned rules only).
    values: tuple[ValueSet, ...] = ()
    # A `$$$` capture that ends a list and may match nothing, comma and all: `open($A, $B,
    # $$$REST)` also matches `open(f, "r")`, which ast-grep alone would not without the comma;
    # there the fix is written without `$$$REST` (learned rules only).
    rest: str | None = None

    def __post_init__(self) -> None:
        if not self.pattern.strip():
            raise RewriteError(EMPTY_PATTERN)
        if self.selector is not None and not SELECTOR.fullmatch(self.selector):
            raise RewriteError(INVALID_SELECTOR.format(selector=self.selector))
        for context in self.inside:
            if not CONTEXT.fullmatch(context):
                raise RewriteError(INVALID_CONTEXT.format(context=context))
        if self.language is not None:
            object.__setattr__(self, "language", canonical_language(self.language))
        if self.facts and self.language != FACTS_LANGUAGE:
            raise RewriteError(FACTS_NEED_PYTHON.format(language=self.language))
        if self.any_quote and self.language != QUOTES_LANGUAGE:
            raise RewriteError(ANY_QUOTE_NEEDS_PYTHON.format(language=self.language))
        for fact in self.facts:
            try:
                name = parse_fact(fact).group("name")
            except FactError as exc:
                raise RewriteError(str(exc)) from None
            if name is not None and name not in captured_names(self.pattern):
                raise RewriteError(UNCAPTURED_FACT.format(fact=fact, pattern=self.pattern))
        captured = captured_names(self.pattern)
        if self.table is not None:
            if self.each is not None:
                raise RewriteError(TABLE_AND_EACH)
            self.table.check(self)
            captured.add(self.table.target)
        unknown = []
        for m in METAVARIABLE.finditer(self.fix):
            name = m.group("multi") or m.group("unnamed") or m.group("single")
            if name and name not in captured and m.group(0) not in unknown:
                unknown.append(m.group(0))  # as written, so `$$$REST` is named as such
        if unknown:
            raise RewriteError(
                UNCAPTURED_IN_FIX.format(names=", ".join(unknown), pattern=self.pattern)
            )
        for held in self.values:
            held.check(self)
        if self.rest is not None and not all(
            writes(code, self.rest, kind="multi") for code in (self.pattern, self.fix)
        ):
            raise RewriteError(
                REST_NOT_CAPTURED.format(rest=self.rest, pattern=self.pattern, fix=self.fix)
            )
        if self.language is not None and statement_run(self.pattern, self.language):
            for what, used in (
                (f"be matched as a `{self.selector}`", self.selector),
                ("rewrite each item of a list", self.each),
                ("look names up in a table", self.table),
                ("end in a rest that may be empty", self.rest),
            ):
                if used is not None:
                    raise RewriteError(RUN_WITH.format(what=what))
        if self.glob is not None:
            glob_spec(self.glob)  # raises on a bad glob now rather than mid-rewrite
        if self.each is not None:
            self.each.check(self)

    def variants(self) -> tuple[tuple[str, str], ...]:
        """The (pattern, fix) pairs searched: without an empty `rest` first (`open(f, "r",)`
        is written `open(f)`, not `open(f, )`), then the rule's own."""
        if self.rest is None:
            return ((self.pattern, self.fix),)
        empty = re.compile(rf",\s*\$\$\${self.rest}\b|\$\$\${self.rest}\b")
        without = (empty.sub("", self.pattern, 1), empty.sub("", self.fix, 1))
        return without, (self.pattern, self.fix)

    def in_scope(self, path: str) -> bool:
        """Whether `path` is under the rule's glob (every path when there is none)."""
        return self.glob is None or glob_spec(self.glob).match_file(path)

    def sits_well(self, node: SgNode) -> bool:
        """Whether a match at `node` is in one of the rule's places (always, with none) and its facts hold."""
        return (
            (not self.inside or any(context_of(node, c) for c in self.inside))
            and all(holds(fact, node) for fact in self.facts)
            and (self.table is None or self.table.lookup(node) is not None)
            and all(held.holds(node) for held in self.values)
        )

    def describe(self) -> str:
        """`pattern` -> `fix`, and where it applies when the rule says."""
        where = f" (where the match is {' or '.join(self.inside)})" if self.inside else ""
        kind = f" (as a {self.selector})" if self.selector else ""
        facts = f" (where {' and '.join(self.facts)})" if self.facts else ""
        quotes = ""
        if self.any_quote:
            quotes = (
                " (either quote style)"
                if plain_strings(self.pattern)
                else " (new strings in the file's quote style)"
            )
        rule = f"{shown(self.pattern)} → {shown(self.fix)}"
        return f"{rule}{self.capture_notes()}{kind}{where}{facts}{quotes}"

    def capture_notes(self) -> str:
        """What the rule says of its captures beyond the pattern, each in parentheses: how each
        item is rewritten, the name table, the values held, a rest that may be empty."""
        notes = f" ({self.each.describe()})" if self.each else ""
        notes += f" ({self.table.describe()})" if self.table else ""
        notes += "".join(f" ({held.describe()})" for held in self.values)
        return notes + (REST_MAY_BE_EMPTY.format(rest=self.rest) if self.rest else "")


def shown(code: str) -> str:
    """`code` for Markdown: a code span when it is one line; a fenced block on lines of its own
    when it is several (a code span would run them together)."""
    return f"`{code}`" if "\n" not in code else f"\n\n{fence(code)}\n\n"


def in_one_line(code: str) -> str:
    """`code` as a code span of its first line, `…` saying more follows (for a title)."""
    first, more = code.split("\n", 1) if "\n" in code else (code, "")
    return f"`{first}` …" if more else f"`{first}`"


def find_matches(root: SgNode, rule: RewriteRule, *, language: str) -> list[SgNode]:
    """What `rule` matches under `root`, in ast-grep's order, only where the rule may apply.

    For a pattern of several statements each node is the run's first statement (`match_span`
    gives the whole run's span)."""
    return [node for node, _ in _matches(root, rule, language=language)]


def match_span(node: SgNode, rule: RewriteRule, *, language: str) -> tuple[int, int]:
    """The character span `rule` matched at `node`: the node's own, or for a pattern of several
    statements the run from `node` to the last statement of it."""
    last = _run_nodes(node, len(statement_run(rule.pattern, language)) or 1)[-1]
    return node.range().start.index, last.range().end.index


def _run_nodes(node: SgNode, count: int) -> list[SgNode]:
    """`node` and the named siblings that follow it, `count` in all (fewer at the end of a body)."""
    nodes = [node]
    while len(nodes) < count:
        following = nodes[-1].next()
        while following is not None and not following.is_named():
            following = following.next()
        if following is None:
            break
        nodes.append(following)
    return nodes


def spells_out(node: SgNode, pattern: str, *, language: str, selector: str | None = None) -> bool:
    """Whether `pattern` matched at `node` accounts for all of the node's code.

    ast-grep's default (smart) matching lets a pattern leave out trailing named children of a
    node: `if $A:\n    return True` matches an `if` with `elif` and `else` branches, and
    `def $F():\n    return 1` a function with more statements after the `return` (ast-grep
    issue #2856: by design). A fix written from such a match would silently drop them. Its
    relaxed matching does not leave them out (it skips unnamed tokens, `==` or `!=`, which the
    smart match has checked): a match must pass both. With `selector`, `pattern` is the context.
    """
    statements: tuple[tuple[str, str | None], ...] = (
        statement_run(pattern, language) if selector is None else ()
    ) or ((pattern, selector),)
    nodes = _run_nodes(node, len(statements))
    return len(nodes) == len(statements) and all(
        n.matches(
            pattern={"context": text, "strictness": RELAXED} | ({"selector": kind} if kind else {})
        )
        for n, (text, kind) in zip(nodes, statements, strict=True)
    )


@functools.lru_cache(maxsize=256)
def statement_run(pattern: str, language: str) -> tuple[tuple[str, str], ...]:
    """The statements of a pattern of several (each statement's text and node kind), or () when
    the pattern is one node (or does not parse)."""
    root = SgRoot(same_length_instance(pattern), canonical_language(language)).root()
    statements = [c for c in root.children() if c.is_named()]
    if len(statements) < 2 or syntax_problems(root):
        return ()
    return tuple(
        (pattern[c.range().start.index : c.range().end.index], c.kind()) for c in statements
    )


def run_config(statements: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """An ast-grep rule matching the first of `statements` when the others follow it in order,
    each the very next sibling of the one before, with metavariables shared across them."""
    rule: dict[str, Any] = {}
    for text, kind in reversed(statements):
        step: dict[str, Any] = {"pattern": {"context": text, "selector": kind}}
        if rule:
            step["precedes"] = {**rule, "stopBy": "neighbor"}
        rule = step
    return {"rule": rule}


def _matches(
    root: SgNode, rule: RewriteRule, *, language: str, prefer: str | None = None
) -> list[tuple[SgNode, str]]:
    """`find_matches`, each with the fix to write there (an either-quote rule's depends on it,
    and on the quote the file `prefer`s for strings of the fix's own)."""
    if rule.selector is not None:
        context = selector_context(rule.pattern, rule.selector, language)
        if context is None:
            return []
        found = [
            (node, rule.fix)
            for node in root.find_all(pattern={"context": context, "selector": rule.selector})
            if spells_out(node, context, language=language, selector=rule.selector)
        ]
    else:
        # One search per variant and quote style; a node found by two of them is one match (the
        # first search's), in tree order.
        unique: dict[tuple[int, int, str], tuple[SgNode, str]] = {}
        for own_pattern, own_fix in rule.variants():
            pairs = (
                quote_variant_pairs(own_pattern, own_fix, prefer=prefer)
                if rule.any_quote
                else ((own_pattern, own_fix),)
            )
            for pattern, fix in pairs:
                for node in _search(root, rule, pattern, language=language):
                    if not spells_out(node, pattern, language=language):
                        continue
                    r = node.range()
                    unique.setdefault((r.start.index, -r.end.index, node.kind()), (node, fix))
        found = [unique[key] for key in sorted(unique)]
    return [
        (node, fix)
        for node, fix in found
        if rule.sits_well(node) and (rule.each is None or rule.each.items(node) is not None)
    ]


def _search(root: SgNode, rule: RewriteRule, pattern: str, *, language: str) -> list[SgNode]:
    """What `pattern` (one of the rule's variants) finds under `root`."""
    if statements := statement_run(pattern, language):
        return root.find_all(config=run_config(statements))
    if rule.table is not None:
        # Only the table's names: ast-grep checks them as it matches, so even a bare `$A` (several
        # names replaced by one) visits each node once, in Rust.
        return root.find_all(config=rule.table.search(pattern))
    return root.find_all(pattern=pattern)


@functools.lru_cache(maxsize=256)
def quote_variant_pairs(
    pattern: str, fix: str, *, prefer: str | None = None
) -> tuple[tuple[str, str], ...]:
    """`pattern` with its plain Python strings in each quote style ('x' and "x"), itself first,
    each with the fix to write for it.

    A string is plain when it has no prefix, is not triple-quoted and holds neither quote nor a
    backslash, so that swapping its quotes cannot change what it means. A string of the fix that
    is a string of the pattern (`"$B"` in both) takes the quotes the match had, so a rewrite
    keeps the code's quote style; strings only the fix has are written in the `prefer`red quote
    (`preferred_quote`), or as the fix has them when there is none."""
    all_spans = plain_strings(pattern)
    spans = all_spans[:MAX_QUOTED_STRINGS]
    fix_spans = plain_strings(fix)
    # Either quote style of a pattern string counts as that string.
    in_pattern = {_swap_quotes(pattern[a:b], [(0, b - a)]) for a, b in all_spans} | {
        pattern[a:b] for a, b in all_spans
    }
    own = [
        (a, b)
        for a, b in fix_spans
        if fix[a:b] not in in_pattern and prefer is not None and fix[a] != prefer
    ]
    pairs = []
    for chosen in range(2 ** len(spans)):
        swapped = [span for i, span in enumerate(spans) if chosen >> i & 1]
        originals = {pattern[a:b] for a, b in swapped}
        pairs.append(
            (
                _swap_quotes(pattern, swapped),
                _swap_quotes(fix, [(a, b) for a, b in fix_spans if fix[a:b] in originals] + own),
            )
        )
    return tuple(pairs)


def preferred_quote(root: SgNode) -> str | None:
    """The quote most of the Python file's plain strings use (`'` or `"`); None on a tie."""
    counts = {"'": 0, '"': 0}
    for node in root.find_all(kind="string"):
        text = node.text()
        if _plain(text):
            counts[text[0]] += 1
    if counts["'"] == counts['"']:
        return None
    return "'" if counts["'"] > counts['"'] else '"'


def _plain(text: str) -> bool:
    return (
        len(text) >= 2
        and text[0] in "'\""
        and text[-1] == text[0]
        and not text.startswith(text[0] * 3)
        and not any(ch in text[1:-1] for ch in "'\"\\")
    )


def plain_strings(code: str) -> list[tuple[int, int]]:
    """The spans of `code`'s plain Python strings (see `quote_variant_pairs`)."""
    spans = []
    for node in SgRoot(code, QUOTES_LANGUAGE).root().find_all(kind="string"):
        if _plain(node.text()):
            r = node.range()
            spans.append((r.start.index, r.end.index))
    return spans


def _swap_quotes(code: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        other = "'" if code[start] == '"' else '"'
        code = code[:start] + other + code[start + 1 : end - 1] + other + code[end:]
    return code


@functools.lru_cache(maxsize=256)
def selector_context(pattern: str, selector: str, language: str) -> str | None:
    """Code in which `pattern` parses as a `selector` node, with the pattern in it; None if none does."""
    wrapper = selector_wrapper(pattern, selector, language)
    return None if wrapper is None else wrapper.replace("{}", pattern, 1)


@functools.lru_cache(maxsize=256)
def selector_wrapper(pattern: str, selector: str, language: str) -> str | None:
    """The SELECTOR_CONTEXTS entry (code around `{}`) in which `pattern` parses as a `selector`
    node; None if none does."""
    instance = pattern_instance(pattern)
    for wrapper in SELECTOR_CONTEXTS.get(language, ()):
        root = SgRoot(wrapper.replace("{}", instance, 1), language).root()
        if syntax_problems(root):
            continue
        if any(n.text() == instance for n in root.find_all(kind=selector)):
            return wrapper
    return None


def field_of(node: SgNode) -> str | None:
    """The field of its parent that holds `node`, when it is one of FIELD_NAMES."""
    parent = node.parent()
    if parent is None:
        return None
    return next((f for f in FIELD_NAMES if parent.field(f) == node), None)


def context_of(node: SgNode, context: str) -> bool:
    """Whether `node` sits where `context` ("kind" or "kind.field") says."""
    m = CONTEXT.fullmatch(context)
    parent = node.parent()
    if m is None or parent is None or parent.kind() != m.group("kind"):
        return False
    return m.group("field") is None or field_of(node) == m.group("field")


@functools.lru_cache(maxsize=64)
def glob_spec(glob: str) -> pathspec.PathSpec:
    """The gitignore-style matcher for `glob`; RewriteError when it is empty, negated or malformed."""
    if not glob.strip():
        raise RewriteError(INVALID_GLOB.format(glob=glob, error="it is empty"))
    if glob.lstrip().startswith("!"):
        raise RewriteError(NEGATED_GLOB.format(glob=glob))
    try:
        return pathspec.GitIgnoreSpec.from_lines([glob.strip()])
    except ValueError as exc:  # pathspec's pattern errors are ValueErrors
        raise RewriteError(INVALID_GLOB.format(glob=glob, error=exc)) from exc


def parse_rewrite_command(arguments: str) -> RewriteRule:
    """The rule in `<pattern> -> <fix> [in <glob>]`, the text after `/evolve rewrite`.

    The pattern ends at the first ` -> `; wrap the pattern or the fix in backticks when it
    contains ` -> ` itself. An unquoted fix ends with `in <glob>` only when that last token is
    plainly a path (contains `/` or `*`, or ends in a known source extension), since a fix may
    end with Python's `in` operator: write `in src/` rather than `in src`. The language comes
    from the glob's extension when it has one.
    """
    text = arguments.strip()
    pattern, rest = _take_part(text, separator=" -> ")
    rest = rest.strip()
    if rest.startswith("`"):
        fix, tail = _take_quoted(rest)
        tail = tail.strip()
        glob = None
        if tail:
            if not tail.startswith("in ") or len(tail.split()) != 2:
                raise RewriteError(TRAILING_TEXT.format(text=tail))
            glob = tail.split()[1]
    else:
        fix, glob = rest, None
        if (m := TRAILING_GLOB.search(rest)) and _looks_like_path(m.group("glob")):
            fix, glob = rest[: m.start()], m.group("glob")
    if not pattern.strip() or not fix.strip():
        raise RewriteError(BAD_COMMAND)
    language = language_for(glob) if glob else None
    return RewriteRule(pattern=pattern.strip(), fix=fix.strip(), language=language, glob=glob)


def _take_part(text: str, *, separator: str) -> tuple[str, str]:
    if text.startswith("`"):
        part, rest = _take_quoted(text)
        rest = rest.lstrip()
        if not rest.startswith("->"):
            raise RewriteError(BAD_COMMAND)
        return part, rest[2:]
    if separator not in text:
        raise RewriteError(BAD_COMMAND)
    part, rest = text.split(separator, 1)
    return part, rest


def _take_quoted(text: str) -> tuple[str, str]:
    end = text.find("`", 1)
    if end < 0:
        raise RewriteError(UNCLOSED_BACKTICK.format(text=text))
    return text[1:end], text[end + 1 :]


def _looks_like_path(token: str) -> bool:
    return "/" in token or "*" in token or language_for(token) is not None


# --- syntax checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntaxProblem:
    """Where tree-sitter could not parse a text: an ERROR node or a token it had to invent."""

    line: int  # 1-based
    index: int  # character offset
    description: str


def syntax_problems(root: SgNode) -> list[SyntaxProblem]:
    """Every ERROR node and MISSING token in the tree, in text order."""
    problems = []
    for node in root.find_all(kind="ERROR"):
        start = node.range().start
        snippet = (node.text().strip().splitlines() or [""])[0][:60]
        problems.append(
            SyntaxProblem(
                start.line + 1,
                start.index,
                SYNTAX_ERROR_AT.format(line=start.line + 1, text=snippet),
            )
        )
    # A MISSING token is zero-width with a token kind such as `)` or `;`; zero-width whitespace
    # tokens (Go's implicit final newline) are real parts of valid trees.
    for node in root.find_all(regex="^$"):
        rng = node.range()
        if not node.is_named() and rng.start.index == rng.end.index and node.kind().strip():
            problems.append(
                SyntaxProblem(
                    rng.start.line + 1,
                    rng.start.index,
                    MISSING_TOKEN_AT.format(token=node.kind(), line=rng.start.line + 1),
                )
            )
    return sorted(problems, key=lambda p: p.index)


def _ast_grep_message(exc: Exception) -> str:
    """ast-grep's error without its Rust backtrace: the message and its 'Caused by' chain."""
    lines = []
    for line in str(exc).splitlines():
        if line.strip().startswith("Stack backtrace"):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines)


def pattern_problem(pattern: str, language: str, *, selector: str | None = None) -> str | None:
    """Why `pattern` is not a usable ast-grep pattern in `language`, or None when it is."""
    language = canonical_language(language)
    if selector is None:
        return _pattern_problem(pattern, language)
    context = selector_context(pattern, selector, language)
    if context is None:
        return NO_SELECTOR_CONTEXT.format(selector=selector, language=language)
    try:
        found = (
            SgRoot(context, language)
            .root()
            .find_all(pattern={"context": context, "selector": selector})
        )
    except RuntimeError as exc:
        return _ast_grep_message(exc)
    return None if found else PATTERN_NOT_SELF_MATCHING.format(kind=selector)


def same_length_instance(code: str) -> str:
    """`code` (a pattern or fix) as plain code whose spans are `code`'s: each metavariable
    written as a name of its own length (`$A` -> `_A`, `$$$ITEMS` -> `___ITEMS`)."""
    return METAVARIABLE.sub(lambda m: m.group(0).replace("$", "_"), code)


def pattern_instance(pattern: str) -> str:
    """`pattern` as plain code: each metavariable replaced by an identifier (one per name)."""
    placeholders: dict[str, str] = {}

    def stand_in(m: re.Match[str]) -> str:
        name = m.group("multi") or m.group("unnamed") or m.group("single")
        if not name or name.startswith("_"):  # non-capturing: each occurrence is its own node
            return PLACEHOLDER.format(index=f"anon{m.start()}")
        return placeholders.setdefault(name, PLACEHOLDER.format(index=len(placeholders)))

    return METAVARIABLE.sub(stand_in, pattern)


@functools.lru_cache(maxsize=256)
def _pattern_problem(pattern: str, language: str) -> str | None:
    instance = pattern_instance(pattern)
    root = SgRoot(instance, language).root()
    end = len(instance.rstrip())
    # A terminator missing at the very end is how a fragment such as `foo($A)` parses in Java or C.
    problems = [
        p
        for p in syntax_problems(root)
        if not (p.description.startswith("missing") and p.index >= end)
    ]
    if problems:
        return PATTERN_SYNTAX_ERROR.format(error=problems[0].description)
    statements = statement_run(pattern, language)
    for text, _ in statements:  # each statement of a run is a pattern of its own
        if problem := _pattern_problem(text, language):
            return problem
    try:
        matches = (
            root.find_all(config=run_config(statements))
            if statements
            else root.find_all(pattern=pattern)
        )
    except RuntimeError as exc:
        return _ast_grep_message(exc)
    if not matches:
        top = root.children()
        kind = top[0].kind() if len(top) == 1 else root.kind()
        return PATTERN_NOT_SELF_MATCHING.format(kind=kind)
    return None


# --- applying a rule -----------------------------------------------------------------------


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
    matched = _matches(root, rule, language=language)
    prefer = preferred_quote(root) if rule.any_quote and matched else None
    if prefer is not None:  # strings only the fix has are written in the file's quotes
        matched = _matches(root, rule, language=language, prefer=prefer)
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


# --- previews ------------------------------------------------------------------------------


def _file_diffs(
    old_files: Mapping[str, str], new_files: Mapping[str, str | None]
) -> Iterable[tuple[str, str | None, str | None, list[str]]]:
    """(path, old, new, hunks) per changed path; `hunks` is difflib's output after its two header lines."""
    for path in sorted(new_files):
        old, new = old_files.get(path), new_files[path]
        if old == new:
            continue
        lines = list(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"{DIFF_PREFIX_OLD}{path}" if old is not None else "/dev/null",
                tofile=f"{DIFF_PREFIX_NEW}{path}" if new is not None else "/dev/null",
            )
        )
        yield path, old, new, lines


def unified_diff(old_files: Mapping[str, str], new_files: Mapping[str, str | None]) -> str:
    """A git-style unified diff from `old_files` to `new_files`, which holds only what changes.

    A path in `new_files` but not `old_files` is a new file; a None value deletes the file;
    paths absent from `new_files` are unchanged. The output applies with `git apply`.
    """
    chunks = []
    for path, old, new, lines in _file_diffs(old_files, new_files):
        chunks.append(f"diff --git {DIFF_PREFIX_OLD}{path} {DIFF_PREFIX_NEW}{path}\n")
        if old is None:
            chunks.append("new file mode 100644\n")
        elif new is None:
            chunks.append("deleted file mode 100644\n")
        # An empty file created or deleted has no hunks: git shows the header alone.
        # difflib leaves a last line without "\n" as it is; git marks it instead.
        chunks.extend(line if line.endswith("\n") else line + "\n" + NO_NEWLINE for line in lines)
    return "".join(chunks)


def diff_line_count(old_files: Mapping[str, str], new_files: Mapping[str, str | None]) -> int:
    """Lines added plus lines removed from `old_files` to `new_files` (as GitHub counts a PR's size)."""
    return sum(
        1
        for _, _, _, lines in _file_diffs(old_files, new_files)
        for line in lines[2:]
        if line.startswith(("+", "-"))
    )
