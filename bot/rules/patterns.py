"""Rewrite patterns as ast-grep reads them: languages, metavariables and the syntax checks."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ast_grep_py import SgNode, SgRoot

# Language names the installed ast-grep-py accepts (each checked by tests/test_rules_rewriting.py
# against a real snippet): anything else makes ast-grep-py panic, so names are checked before it
# sees them.
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
# Stand-in identifier for a metavariable when parsing a pattern as plain code.
PLACEHOLDER = "evolvemv{index}"
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
UNKNOWN_LANGUAGE = "ast-grep does not support the language {language!r}; supported: {supported}"
NO_SELECTOR_CONTEXT = "it is not a `{selector}` in any place {language} puts one"
PATTERN_SYNTAX_ERROR = "it does not parse ({error})"
PATTERN_NOT_SELF_MATCHING = "ast-grep does not match it against its own text (it reads as `{kind}`)"
SYNTAX_ERROR_AT = "syntax error at line {line}: `{text}`"
MISSING_TOKEN_AT = "missing `{token}` at line {line}"


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


def ast_grep_message(exc: Exception) -> str:
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
        return ast_grep_message(exc)
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
        return ast_grep_message(exc)
    if not matches:
        top = root.children()
        kind = top[0].kind() if len(top) == 1 else root.kind()
        return PATTERN_NOT_SELF_MATCHING.format(kind=kind)
    return None
