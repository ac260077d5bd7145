"""RewriteRule: a structural rewrite's pattern, fix and the conditions where it applies."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import pathspec
from ast_grep_py import SgNode, SgRoot

from bot.rules.patterns import (
    METAVARIABLE,
    PATTERN_NOT_SELF_MATCHING,
    PATTERN_SYNTAX_ERROR,
    RewriteError,
    ast_grep_message,
    canonical_language,
    captured_names,
    same_length_instance,
    statement_run,
    syntax_problems,
    writes,
)
from bot.rules.quotes import QUOTES_LANGUAGE, plain_form, plain_strings
from bot.rules.surroundings import LANGUAGE as FACTS_LANGUAGE
from bot.rules.surroundings import FactError, holds, parse_fact
from bot.untrusted import fence

# One place a rule's match may sit: its parent's node kind, and the parent's field that holds it
# (ast-grep's `inside: {kind: ..., field: ...}` with the default stopBy, the direct parent).
CONTEXT = re.compile(
    r"""
    (?P<kind>[a-z_]+)        # the parent's node kind, as tree-sitter names it
    (?:\.(?P<field>[a-z_]+))?  # optionally the parent's field that holds the match
    """,
    re.VERBOSE,
)
SELECTOR = re.compile(r"[a-z_]+")
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
UNCAPTURED_IN_FIX = (
    "the fix uses {names}, which the pattern `{pattern}` does not capture"
    " (capture with $NAME, $$NAME or $$$NAME; names starting with _ do not capture)"
)
NEGATED_GLOB = "`in {glob}`: negated globs are not supported; name the files to rewrite"
INVALID_GLOB = "`in {glob}` is not a valid glob: {error}"
INVALID_SELECTOR = "`{selector}` is not a node kind"
INVALID_CONTEXT = (
    "`{context}` is not a place a match can sit: write the parent's node kind, optionally with"
    " the field that holds the match (`for_statement.right`)"
)


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
        return ast_grep_message(exc)
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
    # dict`; see bot.rules.surroundings): learned from examples whose surroundings all said so.
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
