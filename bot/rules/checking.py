"""Checking a learned rule: not too general, and reproducing each example's after."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from bot.rules.anti_unification import GeneralizationError, anti_unify, unit_node
from bot.rules.examples import Example
from bot.rules.grouping import WORD, leaf_texts
from bot.rules.matching import find_matches, match_span
from bot.rules.patterns import (
    LANGUAGE_BY_EXTENSION,
    METAVARIABLE,
    PLACEHOLDER,
    RewriteError,
    captured_names,
    pattern_instance,
    selector_context,
    syntax_problems,
)
from bot.rules.quotes import QUOTES_LANGUAGE, plain_form, plain_strings
from bot.rules.rewriting import apply_rewrite
from bot.rules.rule import RewriteRule, ValueSet

# Tokens that only give code its shape: a pattern with nothing else besides metavariables
# matches nearly everything of that shape (`$A($$$B)`, `$A.$B`, `[$$$A]`, `$A = $B`), unless it
# nests enough of them to be a shape of its own (`$A(($B))`, a call on a parenthesised argument).
STRUCTURAL_TOKENS = frozenset("()[]{},.;:=")
MIN_STRUCTURAL_TOKENS = 3
BARE_METAVARIABLE = (
    "too general: the pattern `{pattern}` is a bare metavariable and matches anything"
)
NO_ANCHOR = (
    "too general: the pattern `{pattern}` has nothing but metavariables and brackets,"
    " so it matches nearly everything of that shape"
)
NO_OP = "the rule changes nothing: its fix is its pattern"
DROPS_NAMES = (
    "too general: `${name}` stands for different names in the examples ({values}) and the fix"
    " `{fix}` drops it, so the rule would do the same to any name there"
)
# Brackets whose trailing comma is formatting (a tuple's is not: `(a,)` is a tuple, `(a)` is not).
TRAILING_COMMA_HOLDERS = ("argument_list", "parameters", "list", "dictionary", "set")
# Code in which `{}` stands where only an expression may, per language; a fix that does not parse
# there (an assignment) only applies as a whole statement, one whose parent is STATEMENT_PLACE.
EXPRESSION_PLACE = {"python": "_f({})"}
STATEMENT_PLACE = "expression_statement"
# Tokens that only delimit a string: their quote style is formatting.
QUOTE_TOKENS = frozenset({"string_start", "string_end"})
# Nodes that are values written out: dropping one that differed between examples deletes data.
LITERAL_KINDS = frozenset(
    {"string", "string_content", "concatenated_string", "integer", "float", "true", "false", "none"}
)
NOT_REPRODUCED = "does not reproduce {where}: `{before}` became `{got}`, not `{after}`"
MATCHES_LESS = (
    "the pattern `{pattern}` does not match the whole `{kind}` the examples changed ({where});"
    " ast-grep reads it as `{read}`"
)
REWRITE_FAILED = "cannot be applied to {where}: {error}"
# The identifier that stands in for a metavariable when a pattern is parsed as plain code.
STAND_IN = re.compile(
    r"""
    evolvemv\d+   # bot.rules.patterns.PLACEHOLDER with its index
    """,
    re.VERBOSE,
)


def too_general(pattern: str, language: str) -> str | None:
    """Why `pattern` is too general to propose, or None."""
    stripped = pattern.strip()
    if METAVARIABLE.fullmatch(stripped):
        return BARE_METAVARIABLE.format(pattern=stripped)
    counter = iter(range(10**6))
    instance = METAVARIABLE.sub(lambda _: PLACEHOLDER.format(index=next(counter)), stripped)
    structural = 0
    for text in leaf_texts(SgRoot(instance, language).root()):
        if not text.strip() or STAND_IN.fullmatch(text):
            continue
        if WORD.search(text) or any(ch not in STRUCTURAL_TOKENS for ch in text) or len(text) > 1:
            return None
        structural += 1
    if structural >= MIN_STRUCTURAL_TOKENS:
        return None
    return NO_ANCHOR.format(pattern=stripped)


def _example_path(example: Example) -> str:
    # apply_rewrite picks the grammar by extension: use the example's own path when it agrees.
    if LANGUAGE_BY_EXTENSION.get("." + example.path.rsplit(".", 1)[-1].lower()) == example.language:
        return example.path
    extension = next(ext for ext, lang in LANGUAGE_BY_EXTENSION.items() if lang == example.language)
    return f"example{extension}"


def _tokens(text: str, language: str) -> list[tuple[str, str]]:
    """The syntax tree as (kind, token text) in order: the code, whatever its formatting."""
    found = []
    stack = [SgRoot(text, language).root()]
    while stack:
        node = stack.pop()
        children = node.children()
        token = "" if children else node.text()
        if node.kind() in QUOTE_TOKENS and token == "'":
            token = '"'  # 'x' and "x" are one string
        found.append((node.kind(), token))
        if _trailing_comma(node) is not None:
            children = children[:-2] + children[-1:]  # `f(a,)` is `f(a)`
        stack.extend(reversed(children))
    return found


def _match_problem(rule: RewriteRule, example: Example) -> str | None:
    """Why the pattern does not match the example's changed unit as a whole, or None.

    ast-grep reads a pattern of a lone keyword (`return`) as that token, which then matches
    inside every statement starting with it: the rule must match the node the examples changed.
    """
    root = SgRoot(example.before, example.language).root()
    unit = unit_node(root)
    # A run of statements is matched from its first statement to its last.
    first, last = unit, unit
    if unit.parent() is None and len(run := [c for c in unit.children() if c.is_named()]) > 1:
        first, last = run[0], run[-1]
    whole = (first.range().start.index, last.range().end.index)
    # The pattern as written (either quote style when the rule says), wherever it sits.
    anywhere = dataclasses.replace(rule, inside=(), facts=())
    found = find_matches(root, anywhere, language=example.language)
    for match in found:
        if (
            match_span(match, anywhere, language=example.language) == whole
            and match.kind() == first.kind()
        ):
            return None
    return MATCHES_LESS.format(
        pattern=rule.pattern,
        kind=unit.kind(),
        where=example.describe(),
        read=found[0].kind() if found else "nothing here",
    )


def reproduction_problem(
    rule: RewriteRule, examples: Sequence[Example], *, whole_unit: bool = True
) -> str | None:
    """Why `rule` does not turn each example's before into its after, or None.

    "Into its after" means the same syntax tree with the same tokens, by matching the unit the
    example changed as a whole. Formatting may differ: a fix is literal text, so the line breaks
    and indentation around what it captured come from the first example and cannot follow each
    match (Python's indentation is in the tree as its blocks, so it still has to agree).
    """
    for example in examples:
        path = _example_path(example)
        try:
            result = apply_rewrite({path: example.before}, rule)
        except RewriteError as exc:
            return REWRITE_FAILED.format(where=example.describe(), error=exc)
        got = result.changed.get(path, example.before)
        if got != example.after and _tokens(got, example.language) != _tokens(
            example.after, example.language
        ):
            return NOT_REPRODUCED.format(
                where=example.describe(), before=example.before, got=got, after=example.after
            )
        if whole_unit and (problem := _match_problem(rule, example)):
            return problem
    return None


@dataclass(frozen=True)
class CandidateRule:
    rule: RewriteRule | None
    problem: str | None  # None: a rule that may be kept (given enough examples)

    @property
    def specificity(self) -> int:
        """How much literal text the pattern has: of two valid merges the more specific is better."""
        assert self.rule is not None
        return len(METAVARIABLE.sub("", self.rule.pattern).replace(" ", ""))


def group_candidate(examples: Sequence[Example]) -> CandidateRule:
    """The rule for `examples` as one group: the widest generalisation that reproduces them all."""
    first: CandidateRule | None = None
    # Quote style and trailing commas are formatting: generalise without them (a rule matches
    # either quote style, `RewriteRule.any_quote`, and ast-grep skips a trailing comma).
    generalised = [unformatted(e) for e in examples]
    for lift in (True, False):
        try:
            general = anti_unify(generalised, lift_carried=lift)
        except GeneralizationError as exc:
            candidate = CandidateRule(None, str(exc))
        else:
            candidate = _check(general.pattern, general.fix, general.language, examples)
        if candidate.problem is None:
            return candidate
        first = first or candidate
    assert first is not None
    return first


def _check(pattern: str, fix: str, language: str, examples: Sequence[Example]) -> CandidateRule:
    try:
        rule = RewriteRule(
            pattern=pattern,
            fix=fix,
            language=language,
            # Examples are generalised in one quote style: the quotes of the pattern's and the
            # fix's strings are the examples' formatting, not the rule's.
            any_quote=language == QUOTES_LANGUAGE
            and bool(plain_strings(pattern) or plain_strings(fix)),
        )
    except RewriteError as exc:
        return CandidateRule(None, str(exc))
    if problem := too_general(pattern, language):
        return CandidateRule(rule, problem)
    if pattern.strip() == fix.strip():
        return CandidateRule(rule, NO_OP)
    if problem := reproduction_problem(rule, examples):
        if (as_unit := _as_unit_kind(rule, examples)) is None:
            return CandidateRule(rule, problem)
        rule = as_unit
    rule, problem = held_values(rule, examples)
    if problem:
        return CandidateRule(rule, problem)
    return CandidateRule(_as_statement_if_needed(rule), None)


def _as_unit_kind(rule: RewriteRule, examples: Sequence[Example]) -> RewriteRule | None:
    """The rule matched as the kind of node its examples changed, when ast-grep reads its pattern
    alone as something else and that way it reproduces them all; else None.

    A lone keyword (`return -> return None`) is read as that token, which sits in every
    `return` statement; as a `return_statement` in place it is the bare statement only.
    """
    if rule.selector is not None or rule.each is not None or not examples:
        return None
    first = examples[0]
    if _match_problem(rule, first) is None:
        return None
    kind = unit_node(SgRoot(first.before, first.language).root()).kind()
    try:
        candidate = dataclasses.replace(rule, selector=kind)
    except RewriteError:
        return None
    if selector_context(rule.pattern, kind, rule.language or "") is None:
        return None
    return None if reproduction_problem(candidate, examples) else candidate


def _as_statement_if_needed(rule: RewriteRule) -> RewriteRule:
    """The rule limited to whole statements when its fix can only be one.

    `setattr($A, "$B", $C) -> $A.$B = $C` is right for `setattr(x, "a", 1)` on a line of its
    own, but inside `lambda: setattr(x, "a", 1)` an assignment is a syntax error. Whether the fix
    can stand where the pattern's expression stood is read from the grammar: the fix in an
    expression's place (`EXPRESSION_PLACE`) parses, or the rule applies only to statements.
    """
    place = EXPRESSION_PLACE.get(rule.language or "")
    if place is None or rule.inside or rule.selector:
        return rule
    pattern, fix = pattern_instance(rule.pattern), pattern_instance(rule.fix)
    if "\n" in pattern or "\n" in fix:
        return rule  # a multi-line unit is a statement or block already

    def fits(code: str) -> bool:
        return not syntax_problems(SgRoot(place.format(code), rule.language or "").root())

    if fits(pattern) and not fits(fix):
        return dataclasses.replace(rule, inside=(STATEMENT_PLACE,))
    return rule


def unformatted(example: Example) -> Example:
    """The Python example with plain strings in double quotes and no trailing commas; others as is."""
    before = unformatted_text(example.before, example.language)
    after = unformatted_text(example.after, example.language)
    if (before, after) == (example.before, example.after):
        return example
    return dataclasses.replace(example, before=before, after=after)


def unformatted_text(text: str, language: str) -> str:
    """`text` as `unformatted` leaves it."""
    return _unformatted(text) if language == QUOTES_LANGUAGE else text


@functools.lru_cache(maxsize=1024)  # clustering asks again for the same examples' texts
def _unformatted(text: str) -> str:
    edits = [
        (start, end, '"' + text[start + 1 : end - 1] + '"')
        for start, end in plain_strings(text)
        if text[start] == "'"
    ]
    for kind in TRAILING_COMMA_HOLDERS:
        for holder in SgRoot(text, QUOTES_LANGUAGE).root().find_all(kind=kind):
            if (comma := _trailing_comma(holder)) is not None:
                edits.append((comma.range().start.index, comma.range().end.index, ""))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _trailing_comma(holder: SgNode) -> SgNode | None:
    """The comma right before the closing bracket of a TRAILING_COMMA_HOLDERS node, if any: a
    call's arguments, a def's parameters or a list, dict or set display (not a tuple's, where
    `(a,)` is what makes it one)."""
    children = holder.children()
    if holder.kind() not in TRAILING_COMMA_HOLDERS or len(children) < 3:
        return None
    comma = children[-2]
    return comma if comma.text() == "," and not comma.is_named() else None


def held_values(rule: RewriteRule, examples: Sequence[Example]) -> tuple[RewriteRule, str | None]:
    """`rule` with each metavariable its fix drops that stood for literals held to those; or why
    a dropped metavariable makes it too general.

    Examples that drop `"r"` and `"rt"` (`open($A, $B) -> open($A)`) show that those values may
    go, not any value: the rule deletes only them, and `open(f, "w")` is left alone. Different
    names dropped are another matter (`raise IOError` and `raise EnvironmentError` both becoming
    `raise OSError` make no `raise $A -> raise OSError`: `raise ValueError` is no `OSError`),
    unless each name was the class the example sat in (`super(C, self) -> super()`), which
    `with_facts` then requires. A name means what its code binds it to, so it is not held to the
    examples' names as a literal is: a table of names replaced by one is learned from such
    examples instead.
    """
    dropped = captured_names(rule.pattern) - captured_names(rule.fix)
    seen: dict[str, list[tuple[SgNode, Example]]] = {name: [] for name in dropped}
    for example in examples if dropped else ():
        root = SgRoot(example.before, example.language).root()
        for match in find_matches(root, rule, language=example.language):
            for name in dropped:
                if (captured := match.get_match(name)) is not None:
                    seen[name].append((captured, example))
    held = []
    for name, captures in sorted(seen.items()):
        texts = {c.text() for c, _ in captures}
        if len(texts) > 1 and all(_unbound_name(c, e) for c, e in captures):
            values = ", ".join(f"`{v}`" for v in sorted(texts))
            return rule, DROPS_NAMES.format(name=name, values=values, fix=rule.fix)
        if captures and all(c.kind() in LITERAL_KINDS for c, _ in captures):
            held.append(
                ValueSet(name=name, values=tuple(sorted({plain_form(c) for c, _ in captures})))
            )
    return (dataclasses.replace(rule, values=rule.values + tuple(held)) if held else rule), None


def _unbound_name(captured: SgNode, example: Example) -> bool:
    """Whether `captured` is a name (`IOError`, `socket.error`) that nothing around the example
    ties to it: not the class the example sat in."""
    if not dotted_name(captured):
        return False
    around = example.surroundings
    return around is None or captured.text() != around.enclosing_class


def dotted_name(node: SgNode) -> bool:
    """Whether `node` is a name (`IOError`) or a dotted one (`socket.error`)."""
    while node.kind() == "attribute":
        obj, attr = node.field("object"), node.field("attribute")
        if obj is None or attr is None or attr.kind() != "identifier":
            return False
        node = obj
    return node.kind() == "identifier"
