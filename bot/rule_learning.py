"""Rule learning: rewrite rules generalised from reviewers' before/after examples, Getafix-style.

Everything here is pure: examples go in, rules (and the groups that gave none, with why) come out.

1. Examples are grouped by the shape of their edit: the before and after trees with the subtrees
   the edit carries over unchanged and all names reduced to `_`, literals to their kind (so
   `None` and `True` stay apart), tokens kept, plus the words the after brings in (`is`,
   `assertEqual`, `const`). Names that differ are told apart later, by anti-unification.
2. Each group is generalised by anti-unification (`bot.anti_unification`) into an ast-grep
   pattern and fix. When a group as a whole has no rule, its examples are clustered
   (Getafix's hierarchical merge: repeatedly join the two clusters whose common rule is the most
   specific), and what cannot join anything is reported with the group's reason.
   Examples still without a rule are tried once more by their edit's core (Getafix's smallest
   changed subtree: `d.keys()` -> `d` inside `for k in d.keys(): ...` and inside
   `[k for k in d.keys() if k]`). The core's rule applies only where the examples' cores sat (the
   parent's kind and field, `for_statement.right` or `for_in_clause.right`), not everywhere the
   core's pattern matches. An edit that replaced some statements of a body by others (their
   numbers differ) has as its core that run of statements (`run_core`: `if c: return True` then
   `return False` -> `return bool(c)`), learned as a pattern of several statements; statements
   only deleted are anchored on the one kept before them (a docstring then `pass`). A rule over
   whole definitions whose every example replaced such a run in its body gives way to the run's
   rule (`_as_run`): the definition around it is context the edit did not touch. In
   Python, plain strings are generalised over one quote style and the rule matches either
   (`'run'` and `"value"` are one edit; `RewriteRule.any_quote`).
   Examples still without a rule whose edit changed every item of a list alike are cut item by
   item (`dict(a=1, b=x) -> {"a": 1, "b": x}` gives `dict(a=1) -> {"a": 1}` and
   `dict(b=x) -> {"b": x}`); the rule learned from all their items becomes a list rule
   (`dict($$$ITEMS) -> {$$$ITEMS}`, each `$A=$B` written `"$A": $B`; `RewriteRule.each`) that
   edits lists of any length, so examples with 3 and 2 items make one rule. Then come names
   renamed by a table (`_learn_tables`) and one item deleted from a list, whatever items follow
   it (`_learn_deletions`: `open($A, "$B", $$$REST) -> open($A, $$$REST)`; `RewriteRule.rest`).
3. A rule is kept only with at least `min_examples` examples, when it is not too general (a bare
   metavariable, or nothing but metavariables and brackets, or a dropped metavariable that stood
   for different names: `raise $A -> raise OSError` from `IOError` and `EnvironmentError`), and
   when applying it with `bot.rewrite.apply_rewrite` to each example's before gives that
   example's after (the same syntax tree and tokens, quote style aside; see
   `reproduction_problem`). A dropped metavariable that stood for literals is held to them
   (`open($A, "$B") -> open($A)` from `"r"` and `"rt"` deletes only those: `RewriteRule.values`).
4. A kept rule takes on every fact its examples' surroundings agree on (`with_facts`): `$A names
   the enclosing class`, `$D is a dict`, `the annotation is never evaluated` for an edit of
   annotations (`bot.surroundings`), `$B is a name` for a string's content the fix writes as
   code, and `$A is not self` for the object of a method the pattern calls, when no example's
   was `self`. It then applies only where those hold. A variable every example's function
   binds (a parameter, a local) and a string's content the fix writes as a name are the code's
   spellings, not the edit's: they become metavariables too (`getattr(g, 'run') -> g.run` twice
   gives `getattr($A, "$B") -> $A.$B`), while `self`, imports and module names stay as written.
5. `find_sites` applies a kept rule to a branch's files: the sites of a `learned_rule` proposal.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ast_grep_py import SgNode, SgRoot

from bot.anti_unification import (
    GeneralizationError,
    ParsedExample,
    anti_unify,
    metavariable_names,
    parse_example,
    shared_ends,
    significant_children,
    ungrouped,
    unit_node,
)
from bot.examples import Example, ExampleError, parses_as_run, standalone_snippet
from bot.rewrite import (
    LANGUAGE_BY_EXTENSION,
    METAVARIABLE,
    PLACEHOLDER,
    QUOTES_LANGUAGE,
    REST_MAY_BE_EMPTY,
    ItemMap,
    NameTable,
    RewriteError,
    RewriteResult,
    RewriteRule,
    RewriteSite,
    ValueSet,
    apply_rewrite,
    captured_names,
    field_of,
    find_matches,
    in_one_line,
    match_span,
    pattern_instance,
    plain_form,
    plain_strings,
    same_length_instance,
    selector_context,
    selector_wrapper,
    shown,
    syntax_problems,
)
from bot.surroundings import (
    ENCLOSING_CLASS,
    IS_A,
    IS_A_NAME,
    NAMES_A_TYPE,
    NOT_A_STRING,
    NOT_SELF,
    RETURNS_VALUE,
    SELF,
    UNEVALUATED,
    WRITTEN_IS_A,
    Surroundings,
    in_annotation,
    is_name,
    is_self,
    is_string,
    names_a_type,
)
from bot.surroundings import LANGUAGE as SURROUNDINGS_LANGUAGE

DEFAULT_MIN_EXAMPLES = 2
# The metavariables of a name table's rule: the name matched, and the name written for it.
TABLE_SOURCE, TABLE_TARGET = "$A", "$B"
# Above this many examples in one group, clusters grow greedily instead of by best pair (which
# tries every pair each round).
PAIRWISE_LIMIT = 12
# Tokens that only give code its shape: a pattern with nothing else besides metavariables
# matches nearly everything of that shape (`$A($$$B)`, `$A.$B`, `[$$$A]`, `$A = $B`), unless it
# nests enough of them to be a shape of its own (`$A(($B))`, a call on a parenthesised argument).
STRUCTURAL_TOKENS = frozenset("()[]{},.;:=")
MIN_STRUCTURAL_TOKENS = 3

TOO_FEW = "only {count} example(s) of this edit's shape; a rule needs at least {needed}"
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
# Lists whose items an edit may rewrite one by one (a tuple is left out: `(a,)` cut to one item
# keeps a comma a cut would drop). Python's, then JavaScript's and TypeScript's.
LIST_KINDS = frozenset(
    {"argument_list", "list", "set", "dictionary", "arguments", "array", "object"}
)
ITEMS_NAME = "ITEMS"
REST_NAME = "REST"
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
LEFT_OVER = "does not fit a rule with the other examples of its shape: {reason}"
NOT_KEPT = "rule {id} was not kept ({reason}); only kept rules have sites"
WHERE = " (only where the match is {places}, as in the examples)"
EACH_WHERE = " ({each}, however many items there are)"
TABLE_WHERE = " ({table}; no other name)"
VALUES_WHERE = " ({values}, as in the examples; no other value)"
FACTS_WHERE = " (only where {facts}, as around every example)"
PROPOSAL_TITLE = "Apply learned rule {pattern} -> {fix}"
PROPOSAL_RATIONALE = (
    "Reviewers made this change {count} times ({examples}); the rule {pattern} -> {fix}{where}"
    " reproduces each of them and applies at {sites} more {noun} on the default branch."
)
WORD = re.compile(
    r"""
    \w   # a letter, digit or underscore: the token is a name, keyword or literal
    """,
    re.VERBOSE,
)
# The identifier that stands in for a metavariable when a pattern is parsed as plain code.
STAND_IN = re.compile(
    r"""
    evolvemv\d+   # bot.rewrite.PLACEHOLDER with its index
    """,
    re.VERBOSE,
)
RETIRED_WITH_EXAMPLES = "{reason} (to a rule learned from the same examples)"
BAD_MIN_EXAMPLES = "min_examples must be at least 1, not {value}"


@dataclass(frozen=True)
class LearnedRule:
    """A rule and the examples it came from; `rejected_reason` says why it is not kept (None: kept).

    `rule` is None when the examples gave no rule at all. The id is a stable hash of pattern,
    fix and language (of the examples, for a group without a rule).
    """

    id: str
    rule: RewriteRule | None
    examples: tuple[Example, ...]
    rejected_reason: str | None = None

    @property
    def kept(self) -> bool:
        return self.rejected_reason is None

    def describe(self) -> str:
        """One line for `evolve-bot rules`."""
        what = f"`{self.rule.pattern}` -> `{self.rule.fix}`" if self.rule else "(no rule)"
        if self.rule:
            what += self.rule.capture_notes()
        status = "kept" if self.kept else f"rejected: {self.rejected_reason}"
        return f"{self.id} {what} [{len(self.examples)} example(s)] {status}"


def rule_id(rule: RewriteRule) -> str:
    """Stable across runs and machines: the same pattern, fix, language (and places) give the same id."""
    parts: list[Any] = [rule.pattern, rule.fix, rule.language]
    if rule.inside or rule.selector:
        parts += [sorted(rule.inside), rule.selector]
    if rule.facts:
        parts += [sorted(rule.facts)]
    if rule.any_quote:
        parts += ["any_quote"]
    if rule.each:
        parts += [dataclasses.asdict(rule.each)]
    if rule.table:
        parts += [dataclasses.asdict(rule.table)]
    if rule.values:
        parts += [[dataclasses.asdict(held) for held in rule.values]]
    if rule.rest:
        parts += [{"rest": rule.rest}]
    canonical = json.dumps(parts)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def example_key(example: Example) -> str:
    """A stable key for one stored example: where it came from and what it changed."""
    e = example
    canonical = json.dumps([e.source, e.path, e.pr, e.line, e.language, e.before, e.after])
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def retirement(
    rule: LearnedRule,
    retired: Mapping[str, str],
    retired_examples: Sequence[tuple[frozenset[str], str]],
) -> str | None:
    """Why `rule` is retired, or None: its id was retired, or it stands on the examples of a rule
    that was (all of its examples were that rule's, or all of that rule's are among its own).

    A learner that generalises differently (a later version of this one) draws another rule,
    with another id, from the same examples; and more examples of the same edit do not change a
    "no". The "no" was to what those examples teach.
    """
    if rule.id in retired:
        return retired[rule.id]
    keys = {example_key(e) for e in rule.examples}
    for taught, reason in retired_examples:
        if keys and (keys <= taught or taught <= keys):
            return RETIRED_WITH_EXAMPLES.format(reason=reason)
    return None


def _examples_id(examples: Sequence[Example]) -> str:
    canonical = json.dumps([[e.language, e.before, e.after] for e in examples])
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


# --- grouping ------------------------------------------------------------------------------


def edit_shape(example: Example) -> str:
    """The shape of the example's edit: the key examples are grouped by.

    Raises GeneralizationError when a snippet does not parse.
    """
    parsed = parse_example(example)
    holes: set[str] = set()
    before = _shape(parsed.before, parsed, holes, collect=True)
    after = _shape(parsed.after, parsed, holes, collect=False)
    before_words = {t for t in _leaf_texts(parsed.before)}
    brought = {t for t in _leaf_texts(parsed.after) if t not in before_words and WORD.search(t)}
    # A keyword the after has more of is brought in too: `not (not a or b)` brings a `not`.
    keywords = [Counter(_keywords(parsed.before)), Counter(_keywords(parsed.after))]
    brought |= {word for word, count in keywords[1].items() if count > keywords[0][word]}
    return json.dumps([example.language, before, after, sorted(brought)])


def _keywords(node: SgNode) -> Iterator[str]:
    """The keywords among the tokens under `node` (`not`, `is`: words the grammar names no node)."""
    return (
        leaf.text() for leaf in _leaves(node) if not leaf.is_named() and WORD.search(leaf.text())
    )


def _shape(node: SgNode, parsed: ParsedExample, holes: set[str], *, collect: bool) -> Any:
    text = node.text()
    children = significant_children(node)
    carried = collect and node is not parsed.before and node.is_named() and text in parsed.carried
    if carried or (not collect and (text in holes or ungrouped(node).text() in holes)):
        if collect:
            holes.add(text)
        # Constants (None, true) keep their kind: `x == None` and `x == True` are different edits.
        return "_" if children or "identifier" in node.kind() else node.kind()
    if not children:
        # Any name is a name (whether it also shows up in the after may be chance); a literal
        # keeps its kind, a token its text.
        if "identifier" in node.kind():
            return "_"
        return node.kind() if node.is_named() else text
    return [node.kind(), *(_shape(c, parsed, holes, collect=collect) for c in children)]


def _leaf_texts(node: SgNode) -> Iterable[str]:
    return (leaf.text() for leaf in _leaves(node))


def _leaves(node: SgNode) -> list[SgNode]:
    """The tokens under `node`, in order."""
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        children = n.children()
        if not children:
            found.append(n)
        stack.extend(reversed(children))
    return found


# --- checking a rule -----------------------------------------------------------------------


def too_general(pattern: str, language: str) -> str | None:
    """Why `pattern` is too general to propose, or None."""
    stripped = pattern.strip()
    if METAVARIABLE.fullmatch(stripped):
        return BARE_METAVARIABLE.format(pattern=stripped)
    counter = iter(range(10**6))
    instance = METAVARIABLE.sub(lambda _: PLACEHOLDER.format(index=next(counter)), stripped)
    structural = 0
    for text in _leaf_texts(SgRoot(instance, language).root()):
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
class _Candidate:
    rule: RewriteRule | None
    problem: str | None  # None: a rule that may be kept (given enough examples)

    @property
    def specificity(self) -> int:
        """How much literal text the pattern has: of two valid merges the more specific is better."""
        assert self.rule is not None
        return len(METAVARIABLE.sub("", self.rule.pattern).replace(" ", ""))


def _candidate(examples: Sequence[Example]) -> _Candidate:
    """The rule for `examples` as one group: the widest generalisation that reproduces them all."""
    first: _Candidate | None = None
    # Quote style and trailing commas are formatting: generalise without them (a rule matches
    # either quote style, `RewriteRule.any_quote`, and ast-grep skips a trailing comma).
    generalised = [unformatted(e) for e in examples]
    for lift in (True, False):
        try:
            general = anti_unify(generalised, lift_carried=lift)
        except GeneralizationError as exc:
            candidate = _Candidate(None, str(exc))
        else:
            candidate = _check(general.pattern, general.fix, general.language, examples)
        if candidate.problem is None:
            return candidate
        first = first or candidate
    assert first is not None
    return first


def _check(pattern: str, fix: str, language: str, examples: Sequence[Example]) -> _Candidate:
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
        return _Candidate(None, str(exc))
    if problem := too_general(pattern, language):
        return _Candidate(rule, problem)
    if pattern.strip() == fix.strip():
        return _Candidate(rule, NO_OP)
    if problem := reproduction_problem(rule, examples):
        if (as_unit := _as_unit_kind(rule, examples)) is None:
            return _Candidate(rule, problem)
        rule = as_unit
    rule, problem = held_values(rule, examples)
    if problem:
        return _Candidate(rule, problem)
    return _Candidate(_as_statement_if_needed(rule), None)


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
    if not _dotted_name(captured):
        return False
    around = example.surroundings
    return around is None or captured.text() != around.enclosing_class


# --- learning ------------------------------------------------------------------------------


def learn_rules(
    examples: Iterable[Example], *, min_examples: int = DEFAULT_MIN_EXAMPLES
) -> list[LearnedRule]:
    """Rules learned from `examples`: kept ones first, then every group that gave none, with why.

    Every example appears in exactly one entry. Examples whose snippets do not parse form a
    rejected entry of their own.
    """
    if min_examples < 1:
        raise ValueError(BAD_MIN_EXAMPLES.format(value=min_examples))
    groups: dict[str, list[Example]] = {}
    broken: list[tuple[Example, str]] = []
    for example in examples:
        try:
            groups.setdefault(edit_shape(unformatted(example)), []).append(example)
        except GeneralizationError as exc:
            broken.append((example, str(exc)))
    kept: list[LearnedRule] = []
    rejected: list[LearnedRule] = []
    for group in groups.values():
        for entry in _learn_group(group, min_examples=min_examples):
            if entry.kept:
                kept.append(_as_run(entry, min_examples=min_examples))
            else:
                rejected.append(entry)
    # Each later stage tries what the stages before it left; what it places is no longer left.
    for stage in (_learn_cores, _learn_items, _learn_tables, _learn_deletions):
        found = stage(rejected, min_examples=min_examples)
        rejected = _without(rejected, {id(e) for entry in found for e in entry.examples})
        kept += found
    for example, reason in broken:
        rejected.append(LearnedRule(_examples_id([example]), None, (example,), reason))
    return [with_facts(entry) for entry in kept] + rejected


# --- facts: what surrounded every example ----------------------------------------------------


def with_facts(entry: LearnedRule) -> LearnedRule:
    """The kept rule limited by every fact its examples' surroundings all agree on.

    A rule is only as general as its evidence: when each example's `$A` named the class the
    edit sat in (`super(C, self) -> super()` inside `class C`), or each example's `$D` was a
    name bound to a dict, the rule applies only where that holds too. An example whose
    surroundings were not read (None) gives no facts, and then neither does the rule.
    """
    rule = entry.rule
    if not entry.kept or rule is None or rule.language != SURROUNDINGS_LANGUAGE:
        return entry
    read = all(e.surroundings is not None for e in entry.examples)
    if read:
        rule = _names_abstracted(rule, entry.examples)
    rule = _strings_abstracted(rule, entry.examples)
    names = sorted(
        {m.group("single") for m in METAVARIABLE.finditer(rule.pattern) if m.group("single")}
    )
    seen: dict[str, list[tuple[SgNode, Surroundings]]] = {name: [] for name in names}
    in_annotations = returns = True
    for example in entry.examples:
        root = SgRoot(example.before, example.language).root()
        matches = find_matches(root, rule, language=example.language)
        if not matches:
            return entry
        in_annotations = in_annotations and all(in_annotation(m) for m in matches)
        returns = returns and all(m.kind() == "return_statement" for m in matches)
        for match in matches:
            for name in names:
                if (captured := match.get_match(name)) is not None:
                    seen[name].append((captured, example.surroundings or Surroundings()))
    facts = []
    # An edit of annotations made only where they are never evaluated is right only there
    # (unquoting `"Task"` in a def needs `from __future__ import annotations`).
    if in_annotations and all(
        e.surroundings and e.surroundings.unevaluated for e in entry.examples
    ):
        facts.append(UNEVALUATED)
    # A `return` edited only in functions that return values elsewhere (`return -> return None`)
    # is about those functions: elsewhere a bare `return` says all there is to say.
    if returns and all(e.surroundings and e.surroundings.returns_value for e in entry.examples):
        facts.append(RETURNS_VALUE)
    for name, captures in seen.items():
        if not captures:
            continue
        # A string's content the fix writes as code must be spelled as a name wherever it applies.
        # A capture that was never a string where annotations are edited must not be one
        # elsewhere: `Union["A", B]` is no `"A" | B`, which fails where Python evaluates it.
        if (
            in_annotations
            and _outside_strings(name, rule.pattern, rule.language)
            and not any(is_string(c) for c, _ in captures)
        ):
            facts.append(NOT_A_STRING.format(name=name))
        if _outside_strings(name, rule.fix, rule.language) and all(
            c.kind() == "string_content" and is_name(c.text()) for c, _ in captures
        ):
            facts.append(IS_A_NAME.format(name=name))
            # A quoted type written unquoted: right for a forward reference, not for a value
            # (`Literal["a"]` is not `Literal[a]`).
            if all(names_a_type(c) for c, _ in captures):
                facts.append(NAMES_A_TYPE.format(name=name))
        known = None
        if read:
            if all(c.text() == s.enclosing_class for c, s in captures):
                facts.append(ENCLOSING_CLASS.format(name=name))
            types = {s.type_of(c.text()) if c.kind() == "identifier" else None for c, s in captures}
            if len(types) == 1 and (known := types.pop()) is not None:
                facts.append(IS_A.format(name=name, type=known))
        # A method called on what was never `self` says nothing of a class's own methods
        # (`for k in self.keys()` in a class whose `__iter__` is not its keys'). A builtin type
        # known for it says more.
        if (
            known is None
            and _receiver(name, rule.pattern, rule.language)
            and not any(is_self(c) for c, _ in captures)
        ):
            facts.append(NOT_SELF.format(name=name))
    # A name the pattern spells out (`options.get("$A", None)` from two `options` dicts) is held
    # to the type every example's surroundings gave it, as a metavariable would be.
    spelled = sorted(
        {
            n.text()
            for n in SgRoot(rule.pattern, SURROUNDINGS_LANGUAGE).root().find_all(kind="identifier")
            if not n.text().startswith("$")
        }
    )
    for written in spelled if read else ():
        if (known := _shared_type(written, entry.examples)) is not None:
            facts.append(WRITTEN_IS_A.format(name=written, type=known))
    if not facts and rule is entry.rule:
        return entry
    limited = dataclasses.replace(rule, facts=tuple(facts))
    return LearnedRule(rule_id(limited), limited, entry.examples)


def _names_abstracted(rule: RewriteRule, examples: Sequence[Example]) -> RewriteRule:
    """`rule` with each variable it spells out that stands for a value of the examples' own
    choosing made a metavariable, when the rule still reproduces every example.

    A variable is such a value when every example's surroundings gave it the same builtin type
    (two examples that both call their dict `options` say the edit is about a dict, not about
    that name: `options.get("$A", None)` becomes `$C.get("$A", None)`, and `with_facts` then
    holds `$C` to being a dict), or when a function around every example binds it (a parameter
    or local variable: `getattr(g, "run")` twice says nothing about a `g` elsewhere). `self`,
    imports, module names and builtins stay as written (`re.I` is about `re`).
    """
    if rule.each is not None or rule.language is None:
        return rule
    spelled = sorted({n.text() for n in _variables(rule.pattern, rule.language)})
    for written in spelled:
        if _shared_type(written, examples) is None and not _local_everywhere(written, examples):
            continue
        rule = _abstracted(rule, examples, _renamed, written)
    return rule


def _strings_abstracted(rule: RewriteRule, examples: Sequence[Example]) -> RewriteRule:
    """`rule` with each string it spells out whose content its fix writes as code made a
    metavariable, when the rule still reproduces every example.

    `getattr($A, "run") -> $A.run` moves a constant from a string into code; which constant is
    the code's choice, as a local variable's name is. So it becomes `getattr($A, "$B") ->
    $A.$B`, and `with_facts` holds `$B` to being a name.
    """
    if rule.each is not None or rule.language is None:
        return rule
    # Read from an instance of the same length, whose spans are the rule's own text.
    contents = sorted(
        {
            text
            for n in SgRoot(same_length_instance(rule.pattern), rule.language)
            .root()
            .find_all(kind="string_content")
            if is_name(text := rule.pattern[n.range().start.index : n.range().end.index])
        }
    )
    written_in_fix = {
        rule.fix[n.range().start.index : n.range().end.index]
        for n in SgRoot(same_length_instance(rule.fix), rule.language)
        .root()
        .find_all(kind="identifier")
    }
    for content in contents:
        if content in written_in_fix:
            rule = _abstracted(rule, examples, _string_renamed, content)
    return rule


def _abstracted(
    rule: RewriteRule,
    examples: Sequence[Example],
    renamed: Callable[[str, str, str, str, str], tuple[str, str]],
    written: str,
) -> RewriteRule:
    """`rule` with `written` replaced by a fresh metavariable by `renamed`, if that rule is not
    too general and still reproduces every example; else `rule`."""
    assert rule.language is not None
    used = captured_names(rule.pattern) | captured_names(rule.fix)
    name = next(n for n in metavariable_names() if n not in used)
    try:
        pattern, fix = renamed(rule.pattern, rule.fix, written, f"${name}", rule.language)
        candidate = dataclasses.replace(rule, pattern=pattern, fix=fix)
    except RewriteError:
        return rule
    whole = not candidate.inside and candidate.selector is None
    if too_general(candidate.pattern, rule.language) or reproduction_problem(
        candidate, examples, whole_unit=whole
    ):
        return rule
    return candidate


def _local_everywhere(name: str, examples: Sequence[Example]) -> bool:
    """Whether every example's surroundings say a function around it binds `name` (not self)."""
    return name != SELF and all(
        e.surroundings is not None and name in e.surroundings.local_names for e in examples
    )


def _shared_type(name: str, examples: Sequence[Example]) -> str | None:
    """The builtin type every example's surroundings gave `name`, or None."""
    types = {(e.surroundings or Surroundings()).type_of(name) for e in examples}
    return types.pop() if len(types) == 1 else None


def _variables(code: str, language: str) -> list[SgNode]:
    """The identifiers of `code` (a pattern or fix) that stand for variables: not an attribute's
    name (`x.options`) nor a keyword (`f(options=1)`); spans are `code`'s."""
    found = []
    for n in SgRoot(same_length_instance(code), language).root().find_all(kind="identifier"):
        parent = n.parent()
        if METAVARIABLE.fullmatch(code[n.range().start.index : n.range().end.index]):
            continue
        if parent is not None and (
            (parent.kind() == "attribute" and parent.field("attribute") == n)
            or (parent.kind() == "keyword_argument" and parent.field("name") == n)
        ):
            continue
        found.append(n)
    return found


def _renamed(
    pattern: str, fix: str, written: str, replacement: str, language: str
) -> tuple[str, str]:
    """`pattern` and `fix` with each variable spelled `written` replaced by `replacement`."""
    return (
        _replaced(pattern, _variables(pattern, language), written, replacement),
        _replaced(fix, _variables(fix, language), written, replacement),
    )


def _string_renamed(
    pattern: str, fix: str, written: str, replacement: str, language: str
) -> tuple[str, str]:
    """`pattern` with each string content `written` and `fix` with each identifier `written`
    (a variable or an attribute's name) replaced by `replacement`."""
    contents = (
        SgRoot(same_length_instance(pattern), language).root().find_all(kind="string_content")
    )
    names = SgRoot(same_length_instance(fix), language).root().find_all(kind="identifier")
    return (
        _replaced(pattern, contents, written, replacement),
        _replaced(fix, names, written, replacement),
    )


def _replaced(code: str, nodes: Iterable[SgNode], written: str, replacement: str) -> str:
    """`code` with each of `nodes` (found in a same-length instance of it) that reads `written`
    replaced by `replacement`."""
    spans = [(n.range().start.index, n.range().end.index) for n in nodes]
    for start, end in sorted(spans, reverse=True):
        if code[start:end] == written:
            code = code[:start] + replacement + code[end:]
    return code


def _receiver(name: str, code: str, language: str | None) -> bool:
    """Whether `code` (a pattern) has `$name` as an attribute's object (`$A.keys()`)."""
    return any(
        (obj := n.field("object")) is not None
        and code[obj.range().start.index : obj.range().end.index] == f"${name}"
        for n in SgRoot(same_length_instance(code), language or "")
        .root()
        .find_all(kind="attribute")
    )


def _outside_strings(name: str, code: str, language: str | None) -> bool:
    """Whether `code` (a pattern or fix) has `$name` outside any string (`$A.$B`, not
    `get("$B")`)."""
    strings = [
        (n.range().start.index, n.range().end.index)
        for n in SgRoot(code, language or "").root().find_all(kind="string")
    ]
    return any(
        m.group("single") == name and not any(a <= m.start() < b for a, b in strings)
        for m in METAVARIABLE.finditer(code)
    )


def _without(entries: list[LearnedRule], placed: set[int]) -> list[LearnedRule]:
    """`entries` less the examples in `placed`; an entry left with none is dropped."""
    out = []
    for entry in entries:
        left = tuple(e for e in entry.examples if id(e) not in placed)
        if len(left) == len(entry.examples):
            out.append(entry)
        elif left:
            out.append(LearnedRule(_examples_id(left), None, left, entry.rejected_reason))
    return out


# --- cores: the smallest changed subtree, and where it sits -----------------------------------


@dataclass(frozen=True)
class EditCore:
    """The smallest part of an example its edit changes, as an example of its own, and its place."""

    example: Example  # the original
    core: Example  # before/after of the changed subtree only
    # "kind.field" (or "kind") of the core's parent in the original; None when the core is the
    # whole example (where it sat in its file is not in the snippet).
    context: str | None
    selector: str | None  # the core's kind, when it only parses as that in place (a type)
    start: int  # the core's span in the original before
    end: int


def edit_core(example: Example) -> EditCore | None:
    """The example's edit narrowed to the one subtree it changes; None when that is the whole unit.

    Walks the before and after trees in step while they agree on kind and layout and differ in
    exactly one named child: that child is where the edit is. The core must parse alone as the
    same kind of node, so that a pattern can be written for it.
    """
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return None
    before, after = changed_pair(parsed.before, parsed.after)
    if before.range() == parsed.before.range() or before.parent() is None:
        return None
    return _core_at(example, before, after)


def edit_cores(example: Example) -> list[EditCore]:
    """The example's edit as several cores, when it changes several children of one node alike
    in layout (`f"{repr(a)} of {repr(b)}"`, `f(x.keys(), y.keys())`); [] when it does not, or
    when one of them is not a core.

    Where `edit_core` stops at a node whose children differ in more than one place, each
    differing pair is narrowed on its own.
    """
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return []
    before, after = changed_pair(parsed.before, parsed.after)
    if before.kind() != after.kind():
        return []
    pairs = _differing(significant_children(before), significant_children(after))
    if len(pairs) < 2:
        return []
    cores = [_core_at(example, *changed_pair(b, a)) for b, a in pairs]
    return [c for c in cores if c is not None] if all(cores) else []


def run_core(example: Example) -> EditCore | None:
    """The example's edit narrowed to the run of statements it replaces in one body, when the
    body's statements before and after differ in number (`if c: return True` then `return False`
    becoming `return bool(c)` inside a function); None when the edit is not such a run.

    The statements both versions share at the body's start and end are left out, but for the
    one right before (else after) statements only deleted (a docstring then `pass` becoming the
    docstring): the fix needs something to write. What is left on each side
    must parse alone as the same run of statements, and hold no comment (a pattern would have
    to spell it out).
    """
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return None
    before, after = changed_pair(parsed.before, parsed.after)
    kids_b = [c for c in before.children() if c.is_named()]
    kids_a = [c for c in after.children() if c.is_named()]
    if before.kind() != after.kind() or len(kids_b) == len(kids_a):
        return None
    head, tail = shared_ends([kids_b, kids_a])
    # Statements only deleted leave the after empty, which no fix can write: the statement kept
    # right before them (else right after) anchors the run. Statements only added are no run:
    # the pattern would be the anchor alone, which matches wherever that statement sits, not
    # where in the body the examples added them (a `return` added after a call ends a function
    # only at its end).
    if len(kids_a) == head + tail:
        if head:
            head -= 1
        elif tail:
            tail -= 1
    runs = kids_b[head : len(kids_b) - tail], kids_a[head : len(kids_a) - tail]
    if not all(runs) or any("comment" in n.kind() for run in runs for n in run):
        return None
    texts = []
    for run, text in zip(runs, (example.before, example.after), strict=True):
        code = standalone_snippet(text, run[0].range().start.index, run[-1].range().end.index)
        if not parses_as_run(code, tuple(n.kind() for n in run), example.language):
            return None
        texts.append(code)
    try:
        core = dataclasses.replace(example, before=texts[0], after=texts[1])
    except ExampleError:
        return None
    first, last = runs[0][0].range(), runs[0][-1].range()
    return EditCore(
        example=example,
        core=core,
        context=_place(runs[0][0]),
        selector=None,
        start=first.start.index,
        end=last.end.index,
    )


def _core_at(example: Example, before: SgNode, after: SgNode) -> EditCore | None:
    """The core for the changed pair (`before`, `after`) of the example's trees, or None."""
    language = example.language
    core_before, core_after = _standalone(before, language), _standalone(after, language)
    selector = None
    # A type in an annotation parses alone as an expression: match it as what it is there.
    if (
        core_before is None
        and "\n" not in before.text()
        and selector_context(before.text(), before.kind(), language) is not None
    ):
        core_before, selector = before.text(), before.kind()
        if core_after is None and (
            not syntax_problems(SgRoot(after.text(), language).root())
            or selector_context(after.text(), after.kind(), language) is not None
        ):
            core_after = after.text()
    if core_before is None or core_after is None:
        return None
    try:
        core = dataclasses.replace(example, before=core_before, after=core_after)
    except ExampleError:
        return None
    rng = before.range()
    return EditCore(
        example=example,
        core=core,
        context=_place(before),
        selector=selector,
        start=rng.start.index,
        end=rng.end.index,
    )


def _place(node: SgNode) -> str | None:
    """Where `node` sits: "kind.field" (or "kind") of its parent; None at the root."""
    parent = node.parent()
    if parent is None:
        return None
    field = field_of(node)
    return f"{parent.kind()}.{field}" if field else parent.kind()


def changed_pair(
    before: SgNode, after: SgNode, *, stop: Callable[[SgNode, SgNode], bool] | None = None
) -> tuple[SgNode, SgNode]:
    """The smallest before and after subtrees holding the whole edit (or the first pair `stop` holds for).

    Walks both trees in step while they agree on kind and layout and differ in exactly one
    named child: that child is where the edit is.
    """
    while before.kind() == after.kind() and not (stop and stop(before, after)):
        kids_b, kids_a = significant_children(before), significant_children(after)
        if not kids_b:
            break
        differing = _differing(kids_b, kids_a)
        if len(differing) != 1:
            break
        before, after = differing[0]
    return before, after


def _differing(kids_b: list[SgNode], kids_a: list[SgNode]) -> list[tuple[SgNode, SgNode]]:
    """The pairs of children that differ, when the two lists agree on layout (the same tokens
    and named children in the same places) and only named children differ; else []."""
    if len(kids_b) != len(kids_a) or any(
        x.is_named() != y.is_named() or (not x.is_named() and x.text() != y.text())
        for x, y in zip(kids_b, kids_a, strict=True)
    ):
        return []
    return [(b, a) for b, a in zip(kids_b, kids_a, strict=True) if b.text() != a.text()]


def _whole_core(example: Example) -> EditCore | None:
    """The example as a core of its own (no place known); None when it does not parse."""
    try:
        unit = parse_example(example).before
    except GeneralizationError:
        return None
    rng = unit.range()
    return EditCore(example, example, None, None, rng.start.index, rng.end.index)


def _standalone(node: SgNode, language: str) -> str | None:
    """The node's text when it parses alone as a node of its kind (None when it does not)."""
    text = node.text()
    if "\n" in text:
        return None  # an inner block's indentation is not its own: leave it to whole units
    root = SgRoot(text, language).root()
    if syntax_problems(root):
        return None
    unit = unit_node(root)
    return text if unit.kind() == node.kind() and unit.text() == text else None


def _learn_cores(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept rules from the cores of examples that gave none as whole units."""
    cores: dict[str, list[EditCore]] = {}
    for entry in rejected:
        for example in entry.examples:
            # An example that is all core (`getattr(g, 'run')`) may join the cores of others
            # (`cast(bytes, getattr(self, "body"))`).
            # Several spots edited alike are narrower than the one subtree that holds them all.
            # Statements replaced in a body are a run of them, not the body.
            found: list[EditCore | None] = [*edit_cores(example)] or [
                edit_core(example) or run_core(example) or _whole_core(example)
            ]
            for core in found:
                if core is None:
                    continue
                # A core that only parses in place (an f-string's `{e!s}`) is learned there.
                wrapper = _wrapper(core)
                try:
                    shape = edit_shape(unformatted(_wrapped(core.core, wrapper)))
                except GeneralizationError:
                    continue
                cores.setdefault(json.dumps([core.selector, wrapper, shape]), []).append(core)
    return _learn_core_groups(cores, min_examples=min_examples)


def _learn_core_groups(
    cores: Mapping[str, list[EditCore]], *, min_examples: int
) -> list[LearnedRule]:
    """Kept rules from cores grouped by shape, each placed where its cores sat."""
    kept: list[LearnedRule] = []
    for group in cores.values():
        if len(group) < min_examples or all(c.context is None for c in group):
            continue  # whole examples alone were learned as such already
        wrapper = _wrapper(group[0])  # the group's key holds it: one for all
        wrapped = [_wrapped(c.core, wrapper) for c in group]
        by_example = {id(e): c for e, c in zip(wrapped, group, strict=True)}
        for entry in _learn_group(wrapped, min_examples=min_examples):
            if not entry.kept or entry.rule is None:
                continue
            members = [by_example[id(e)] for e in entry.examples]
            # Two spots of one example are one example: it counts, and is checked, once.
            if len({id(m.example) for m in members}) < min_examples:
                continue
            rule = _unwrapped(entry.rule, wrapper, selector=group[0].selector)
            placed = None if rule is None else _placed(rule, members)
            if placed is not None:
                kept.append(placed)
    return kept


def _as_run(entry: LearnedRule, *, min_examples: int) -> LearnedRule:
    """The kept rule of whole units (a def, a class) whose every example replaced a run of
    statements in its body: the run's rule instead, when one is kept for every example.

    The definition around the run is context the edit did not touch. Two classes that lost the
    `pass` after their docstring teach that a `pass` after a docstring goes, in any body (a
    function's too); the rule over the whole class would apply only to classes of that shape.
    """
    if entry.rule is None:
        return entry
    shapes: dict[str, list[EditCore]] = {}
    for example in entry.examples:
        if (core := run_core(example)) is None:
            return entry
        try:
            shape = edit_shape(unformatted(core.core))
        except GeneralizationError:
            return entry
        shapes.setdefault(shape, []).append(core)
    found = _learn_core_groups(shapes, min_examples=min_examples)
    if len(found) != 1 or {id(e) for e in found[0].examples} != {id(e) for e in entry.examples}:
        return entry
    return found[0]


def _wrapper(core: EditCore) -> str | None:
    """The code around `{}` in which the core parses as its kind, when it does not parse alone
    (an f-string's `{e!s}`); None when it does."""
    language = core.core.language
    if core.selector is None or all(
        not syntax_problems(SgRoot(text, language).root())
        for text in (core.core.before, core.core.after)
    ):
        return None
    return selector_wrapper(core.core.before, core.selector, language)


def _wrapped(core: Example, wrapper: str | None) -> Example:
    """The core inside `wrapper`, to be learned as a whole unit; as it is when there is none."""
    if wrapper is None:
        return core
    return dataclasses.replace(
        core,
        before=wrapper.replace("{}", core.before, 1),
        after=wrapper.replace("{}", core.after, 1),
    )


def _unwrapped(
    rule: RewriteRule, wrapper: str | None, *, selector: str | None
) -> RewriteRule | None:
    """The rule learned inside `wrapper` with the wrapper's code cut off again; None when its
    pattern or fix changed that code."""
    if wrapper is None:
        return rule
    prefix, suffix = wrapper.split("{}", 1)
    cut = len(prefix), len(suffix)
    if not all(
        code.startswith(prefix) and code.endswith(suffix) and len(code) > sum(cut)
        for code in (rule.pattern, rule.fix)
    ):
        return None
    try:
        return dataclasses.replace(
            rule,
            pattern=rule.pattern[cut[0] : len(rule.pattern) - cut[1]],
            fix=rule.fix[cut[0] : len(rule.fix) - cut[1]],
            selector=selector,
            inside=(),
        )
    except RewriteError:
        return None


def _placed(rule: RewriteRule, cores: Sequence[EditCore]) -> LearnedRule | None:
    """The core rule limited to its cores' places, checked on the whole examples; None if it fails.

    A whole example among them sat nobody knows where: then the rule is not limited to places.
    """
    contexts = {c.context for c in cores}
    inside = () if None in contexts else tuple(sorted(c for c in contexts if c is not None))
    try:
        placed = RewriteRule(
            pattern=rule.pattern,
            fix=rule.fix,
            language=rule.language,
            glob=rule.glob,
            inside=inside,
            selector=cores[0].selector,
            any_quote=rule.any_quote,
            each=rule.each,
            table=rule.table,
            values=rule.values,
            rest=rule.rest,
        )
    except RewriteError:
        return None
    examples = list({id(c.example): c.example for c in cores}.values())
    for core in cores:
        root = SgRoot(core.example.before, core.example.language).root()
        spans = [
            match_span(m, placed, language=core.example.language)
            for m in find_matches(root, placed, language=core.example.language)
        ]
        if (core.start, core.end) not in spans:
            return None
    if reproduction_problem(placed, examples, whole_unit=False) is not None:
        return None
    return LearnedRule(rule_id(placed), placed, tuple(examples))


def _learn_group(group: list[Example], *, min_examples: int) -> list[LearnedRule]:
    whole = _candidate(group)
    if whole.problem is None:
        return [_entry(group, whole, min_examples=min_examples)]
    clusters = _clusters(group)
    entries: list[LearnedRule] = []
    left: list[Example] = []
    for cluster, candidate in clusters:
        if candidate.problem is None and len(cluster) >= min_examples:
            entries.append(_entry(cluster, candidate, min_examples=min_examples))
        else:
            left.extend(cluster)
    if left:
        # All of the group left over: the group's own rule and reason say it best.
        everything = len(left) == len(group)
        reason = whole.problem if everything else LEFT_OVER.format(reason=whole.problem)
        rule = whole.rule if everything else None
        entries.append(
            LearnedRule(rule_id(rule) if rule else _examples_id(left), rule, tuple(left), reason)
        )
    return entries


def _entry(examples: Sequence[Example], candidate: _Candidate, *, min_examples: int) -> LearnedRule:
    assert candidate.rule is not None
    reason = None
    if len(examples) < min_examples:
        reason = TOO_FEW.format(count=len(examples), needed=min_examples)
    return LearnedRule(rule_id(candidate.rule), candidate.rule, tuple(examples), reason)


def _clusters(group: list[Example]) -> list[tuple[list[Example], _Candidate]]:
    """Clusters of `group` that share a valid rule (singletons where nothing joins)."""
    known: dict[tuple[Example, ...], _Candidate] = {}

    def candidate_for(members: list[Example]) -> _Candidate:
        key = tuple(members)
        if key not in known:
            known[key] = _candidate(members)
        return known[key]

    clusters = [([e], candidate_for([e])) for e in group]
    if len(group) > PAIRWISE_LIMIT:
        grown: list[tuple[list[Example], _Candidate]] = []
        for cluster, single in clusters:
            for i, (members, _) in enumerate(grown):
                candidate = candidate_for(members + cluster)
                if candidate.problem is None:
                    grown[i] = (members + cluster, candidate)
                    break
            else:
                grown.append((cluster, single))
        return grown
    while True:
        best: tuple[int, int, _Candidate] | None = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                candidate = candidate_for(clusters[i][0] + clusters[j][0])
                if candidate.problem is None and (
                    best is None or candidate.specificity > best[2].specificity
                ):
                    best = (i, j, candidate)
        if best is None:
            return clusters
        i, j, candidate = best
        merged = (clusters[i][0] + clusters[j][0], candidate)
        clusters = [c for k, c in enumerate(clusters) if k not in (i, j)] + [merged]


# --- lists: an edit of each item, learned whatever the number of items ----------------------


@dataclass(frozen=True)
class ItemSplit:
    """An example whose edit rewrote every item of one list, cut into one example per item.

    `dict(a=1, b=x) -> {"a": 1, "b": x}` gives `dict(a=1) -> {"a": 1}` and
    `dict(b=x) -> {"b": x}`: the text around the list is kept, the other items left out.
    """

    example: Example
    items: tuple[Example, ...]
    before_kind: str  # the list's node kind in the before (`argument_list`) and the after
    after_kind: str
    emptied: tuple[str, str]  # the before and after with both lists emptied (`dict()`, `{}`)


def item_split(example: Example) -> ItemSplit | None:
    """The example cut item by item; None when its edit is not one edit of each item of a list."""
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return None
    # Down to the list whose items all changed (`f(c=3) -> f(c=g(3))` stops at `(c=3)`).
    before, after = changed_pair(parsed.before, parsed.after, stop=_all_items_changed)
    lists = _outer_list(before), _outer_list(after)
    if lists[0] is None and lists[1] is None:
        # `dict() -> {}`: no items to learn from, but the same edit of the list around them.
        lists = _outer_list(before, empty=True), _outer_list(after, empty=True)
    if lists[0] is None or lists[1] is None:
        return None
    before_items, after_items = _list_items(lists[0]), _list_items(lists[1])
    if len(before_items) != len(after_items):
        return None
    if any(b.text() == a.text() for b, a in zip(before_items, after_items)):
        return None  # an item left alone: not an edit of each item
    try:
        items = tuple(
            dataclasses.replace(
                example,
                before=_with_items(example.before, lists[0], b.text()),
                after=_with_items(example.after, lists[1], a.text()),
            )
            for b, a in zip(before_items, after_items)
        )
    except ExampleError:
        return None
    emptied = _with_items(example.before, lists[0], ""), _with_items(example.after, lists[1], "")
    return ItemSplit(example, items, lists[0].kind(), lists[1].kind(), emptied)


def _all_items_changed(before: SgNode, after: SgNode) -> bool:
    items = _list_items(before), _list_items(after)
    return (
        _is_list(before)
        and _outer_list(after) is not None
        and len(items[0]) == len(items[1])
        and all(b.text() != a.text() for b, a in zip(*items))
    )


def _outer_list(node: SgNode, *, empty: bool = False) -> SgNode | None:
    """The first list (with an item, or with none if `empty`) at or below `node`, breadth first."""
    return next((n for n in _breadth_first(node) if _is_list(n, empty=empty)), None)


def _is_list(node: SgNode, *, empty: bool = False) -> bool:
    """Whether `node` is a LIST_KINDS list between brackets, with an item (with none if `empty`)."""
    children = node.children()
    return (
        node.kind() in LIST_KINDS
        and len(children) >= 2
        and not children[0].is_named()
        and not children[-1].is_named()
        and bool(_list_items(node)) != empty
    )


def _list_items(node: SgNode) -> list[SgNode]:
    return [c for c in node.children() if c.is_named() and "comment" not in c.kind()]


def _outline(text: str, language: str) -> Any:
    """The code's syntax tree with every name as `_` and every literal as its kind."""

    def walk(node: SgNode) -> Any:
        children = significant_children(node)
        if children:
            return [node.kind(), *(walk(c) for c in children)]
        if "identifier" in node.kind():
            return "_"
        return node.kind() if node.is_named() else node.text()

    return walk(unit_node(SgRoot(unformatted_text(text, language), language).root()))


def _with_items(text: str, holder: SgNode, items: str) -> str:
    """`text` with the list `holder` holding only `items` (no comments, no trailing comma)."""
    children = holder.children()
    opened, closes = children[0].range().end.index, children[-1].range().start.index
    return text[:opened] + items + text[closes:]


def _learn_items(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept list rules from examples that gave none: each item of a list edited alike.

    Whole examples are tried first, then their cores (`x = dict(a=1)` and `return dict(b=2, c=3)`
    share the core `dict(...) -> {...}`), placed as core rules are (`_placed`).
    """
    groups: dict[str, list[tuple[ItemSplit, EditCore | None]]] = {}
    for entry in rejected:
        for example in entry.examples:
            core = edit_core(example)
            for unit, via in ((example, None), (core.core if core else None, core)):
                split = item_split(unit) if unit is not None else None
                if split is None:
                    continue
                # Grouped by what is around the list; whether items agree is anti-unification's call.
                outline = [_outline(text, example.language) for text in split.emptied]
                key = json.dumps([via is not None, split.before_kind, split.after_kind, *outline])
                groups.setdefault(key, []).append((split, via))
    kept: list[LearnedRule] = []
    used: set[int] = set()
    # Whole examples' groups come first (their keys start with false).
    for key in sorted(groups):
        group = [
            (split, via) for split, via in groups[key] if id(_original(split, via)) not in used
        ]
        if len(group) < min_examples:
            continue
        rule = _list_rule([split for split, _ in group])
        if rule is None:
            continue
        cores = [via for _, via in group if via is not None]
        learned = (
            _placed(rule, cores)
            if cores
            else LearnedRule(rule_id(rule), rule, tuple(split.example for split, _ in group))
        )
        if learned is not None:
            kept.append(learned)
            used |= {id(_original(split, via)) for split, via in group}
    return kept


def _original(split: ItemSplit, via: EditCore | None) -> Example:
    return via.example if via is not None else split.example


def _list_rule(group: Sequence[ItemSplit]) -> RewriteRule | None:
    """The rule that edits each item as the group's items were edited; None when there is none.

    The rule for one item (`dict($A=$B) -> {"$A": $B}`) is learned from every item of every
    example. Its list then becomes `$$$ITEMS` in the pattern and fix, and its item the item
    pattern and fix of a `bot.rewrite.ItemMap`. The rule is kept only when it reproduces each
    whole example, as any rule is.
    """
    items = [item for split in group for item in split.items]
    if not items:
        return None
    one = _candidate(items)
    if (
        one.problem is not None
        or one.rule is None
        or one.rule.selector
        or one.rule.language is None
    ):
        return None
    rule, language = one.rule, one.rule.language
    in_pattern = _split_at_item(rule.pattern, group[0].before_kind, language)
    in_fix = _split_at_item(rule.fix, group[0].after_kind, language)
    if in_pattern is None or in_fix is None:
        return None
    (prefix, item, suffix, selector), (fix_prefix, item_fix, fix_suffix, _) = in_pattern, in_fix
    item_names = captured_names(item)
    if item_names & captured_names(prefix + suffix + fix_prefix + fix_suffix):
        return None  # the items must be rewritten from themselves alone
    if rule.any_quote and plain_strings(item):
        return None  # an item pattern matches as written
    if rule.values:
        return None  # an item pattern holds no values
    name = _fresh(ITEMS_NAME, captured_names(rule.pattern))
    try:
        listed = RewriteRule(
            pattern=f"{prefix}$$${name}{suffix}",
            fix=f"{fix_prefix}$$${name}{fix_suffix}",
            language=language,
            inside=rule.inside,
            any_quote=rule.any_quote,
            each=ItemMap(
                name=name, pattern=item, context=rule.pattern, selector=selector, fix=item_fix
            ),
        )
    except RewriteError:
        return None
    examples = [split.example for split in group]
    if reproduction_problem(listed, examples):
        return None
    held, problem = held_values(listed, examples)
    return None if problem else held


def _fresh(base: str, used: set[str]) -> str:
    """A metavariable name that says what it holds (`ITEMS`, else `ITEMS1`, ...), not in `used`."""
    return next(n for n in (f"{base}{i or ''}" for i in range(len(used) + 1)) if n not in used)


def _split_at_item(code: str, kind: str, language: str) -> tuple[str, str, str, str] | None:
    """`code` (a pattern or fix) cut around the one item of its first `kind` list, and the item's kind."""
    holder = next(
        (
            n
            for n in _breadth_first(SgRoot(same_length_instance(code), language).root())
            if n.kind() == kind and len(_list_items(n)) == 1
        ),
        None,
    )
    if holder is None:
        return None
    item = _list_items(holder)[0]
    start, end = item.range().start.index, item.range().end.index
    return code[:start], code[start:end], code[end:], item.kind()


def _breadth_first(node: SgNode) -> Iterator[SgNode]:
    queue = [node]
    while queue:
        n = queue.pop(0)
        yield n
        queue.extend(n.children())


# --- using a rule --------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSites:
    """Where a kept rule applies on a branch, and what a `learned_rule` proposal says about it."""

    learned: LearnedRule
    result: RewriteResult

    @property
    def sites(self) -> tuple[RewriteSite, ...]:
        return self.result.sites

    def title(self) -> str:
        assert self.learned.rule is not None
        rule = self.learned.rule
        return PROPOSAL_TITLE.format(pattern=in_one_line(rule.pattern), fix=in_one_line(rule.fix))

    def rationale(self) -> str:
        assert self.learned.rule is not None
        count = len(self.sites)
        return PROPOSAL_RATIONALE.format(
            count=len(self.learned.examples),
            examples="; ".join(e.describe() for e in self.learned.examples),
            pattern=shown(self.learned.rule.pattern),
            fix=shown(self.learned.rule.fix),
            where=_where(self.learned.rule),
            sites=count,
            noun="place" if count == 1 else "places",
        )

    def spec(self) -> dict[str, Any]:
        """The `learned_rule` proposal's spec: the rule, and the examples it was learned from."""
        rule = self.learned.rule
        assert rule is not None
        return {
            "rule_id": self.learned.id,
            "pattern": rule.pattern,
            "fix": rule.fix,
            "language": rule.language,
            "glob": rule.glob,
            "inside": list(rule.inside),
            "selector": rule.selector,
            "facts": list(rule.facts),
            "any_quote": rule.any_quote,
            "each": dataclasses.asdict(rule.each) if rule.each else None,
            "table": _table_spec(rule.table),
            "values": [{"name": h.name, "values": list(h.values)} for h in rule.values],
            "rest": rule.rest,
            "examples": [
                {"pr": e.pr, "author": e.author, "path": e.path, "line": e.line, "source": e.source}
                for e in self.learned.examples
            ],
        }


def _table_spec(table: NameTable | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {
        "source": table.source,
        "target": table.target,
        "entries": [list(entry) for entry in table.entries],
    }


def _where(rule: RewriteRule) -> str:
    where = EACH_WHERE.format(each=rule.each.describe()) if rule.each else ""
    where += TABLE_WHERE.format(table=rule.table.describe()) if rule.table else ""
    where += "".join(VALUES_WHERE.format(values=held.describe()) for held in rule.values)
    where += REST_MAY_BE_EMPTY.format(rest=rule.rest) if rule.rest else ""
    where += WHERE.format(places=" or ".join(rule.inside)) if rule.inside else ""
    if rule.facts:
        where += FACTS_WHERE.format(facts=" and ".join(rule.facts))
    return where


def find_sites(rule: LearnedRule, files: Mapping[str, str]) -> RuleSites:
    """Where else `rule` applies in `files` (path -> content, e.g. the default branch).

    Raises ValueError for a rule that was not kept, RewriteError when the rewrite itself fails.
    A file the rule would leave unparsable is left alone (`result.breaking`), not the whole rule,
    and so is a line marked `# noqa` (`result.marked`).
    """
    if not rule.kept or rule.rule is None:
        raise ValueError(NOT_KEPT.format(id=rule.id, reason=rule.rejected_reason or "no rule"))
    result = apply_rewrite(files, rule.rule, skip_breaking=True, skip_marked=True)
    return RuleSites(learned=rule, result=result)


# --- name tables: one name renamed in the same code, to names the pattern cannot give ----------


@dataclass(frozen=True)
class _Rename:
    """An example that renames one name and changes nothing else: where (as a core), its code
    there with the old name as `$A` and the new one as `$B`, and the two names."""

    core: EditCore
    pattern: str
    fix: str
    old: str
    new: str


def _rename(example: Example) -> _Rename | None:
    """The example as a rename of one attribute's name (`flags = re.I -> flags = re.IGNORECASE`),
    narrowed to that attribute (`re.I`); None when it is not one.

    A bare name is left out: its rule (`$A -> $B`) would be a bare metavariable.
    """
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return None
    before, after = _leaves(parsed.before), _leaves(parsed.after)
    if len(before) != len(after):
        return None
    differ = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b.text() != a.text()]
    if len(differ) != 1:
        return None
    b, a = before[differ[0]], after[differ[0]]
    unit_b, unit_a = b.parent(), a.parent()
    if (
        b.kind() != "identifier"
        or a.kind() != "identifier"
        or unit_b is None
        or unit_a is None
        or unit_b.kind() != "attribute"
        or unit_b.field("attribute") != b
    ):
        return None
    span = unit_b.range()
    context = None if span == parsed.before.range() else _place(unit_b)
    try:
        core = dataclasses.replace(example, before=unit_b.text(), after=unit_a.text())
    except ExampleError:
        return None
    return _Rename(
        core=EditCore(example, core, context, None, span.start.index, span.end.index),
        pattern=_with_span(unit_b.text(), b, TABLE_SOURCE, offset=span.start.index),
        fix=_with_span(unit_a.text(), a, TABLE_TARGET, offset=unit_a.range().start.index),
        old=b.text(),
        new=a.text(),
    )


def _with_span(text: str, node: SgNode, replacement: str, *, offset: int) -> str:
    """`text` (which starts at `offset` of the node's tree) with `node` replaced."""
    r = node.range()
    return text[: r.start.index - offset] + replacement + text[r.end.index - offset :]


def _replacement(example: Example) -> _Rename | None:
    """The example as one name replaced by another (`except IOError:` -> `except OSError:`,
    `socket.error as e` -> `OSError as e`), narrowed to the name; None when it is not one.

    A name is an identifier or a dotted one; several names replaced by one make a rule that
    replaces exactly those (`$A -> $B` with a table), which no pattern of its own could say.
    """
    core = edit_core(example) or _whole_core(example)
    if core is None:
        return None
    names = []
    for text in (core.core.before, core.core.after):
        root = SgRoot(text, example.language).root()
        if syntax_problems(root):
            return None
        node = unit_node(root)
        if node.text() != text or not _dotted_name(node):
            return None
        names.append(text)
    return _Rename(core=core, pattern=TABLE_SOURCE, fix=TABLE_TARGET, old=names[0], new=names[1])


def _dotted_name(node: SgNode) -> bool:
    """Whether `node` is a name (`IOError`) or a dotted one (`socket.error`)."""
    while node.kind() == "attribute":
        obj, attr = node.field("object"), node.field("attribute")
        if obj is None or attr is None or attr.kind() != "identifier":
            return False
        node = obj
    return node.kind() == "identifier"


def _learn_tables(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept rename rules from examples that gave none, each with a `NameTable` of exactly the
    renames its examples made, placed as core rules are:

    - examples that each rename one attribute alike to a name the pattern cannot give
      (`re.I -> re.IGNORECASE` and `re.X -> re.VERBOSE`: `re.$A -> re.$B`);
    - examples that replace different names by the same one (`IOError -> OSError` and
      `socket.error -> OSError`: `$A -> $B`, held to those names).
    """
    # (language, pattern, fix, the name all became: only for replacements) -> its examples
    groups: dict[tuple[str, str, str, str], list[_Rename]] = {}
    for entry in rejected:
        for example in entry.examples:
            if (rename := _rename(example)) is not None:
                key = (example.language, rename.pattern, rename.fix, "")
                groups.setdefault(key, []).append(rename)
            elif (replaced := _replacement(example)) is not None:
                # Replaced by the same name: what they share is the name they became.
                key = (example.language, TABLE_SOURCE, TABLE_TARGET, replaced.new)
                groups.setdefault(key, []).append(replaced)
    kept: list[LearnedRule] = []
    for (language, pattern, fix, _), group in groups.items():
        table = {r.old: r.new for r in group}
        # One old name renamed two ways says the name is not what decides the new one; one name
        # twice is the literal rule's business (it failed for its own reason).
        if len(group) < min_examples or any(table[r.old] != r.new for r in group) or len(table) < 2:
            continue
        try:
            rule = RewriteRule(
                pattern=pattern,
                fix=fix,
                language=language,
                table=NameTable(
                    source=TABLE_SOURCE[1:],
                    target=TABLE_TARGET[1:],
                    entries=tuple(sorted(table.items())),
                ),
            )
        except RewriteError:
            continue
        # A bare `$A` is held to the table's names: general only as far as the examples went.
        if pattern != TABLE_SOURCE and too_general(pattern, language):
            continue
        if (placed := _placed(rule, [r.core for r in group])) is not None:
            kept.append(placed)
    return kept


# --- deletions: one item of a list deleted, whatever items follow it ------------------------


@dataclass(frozen=True)
class _Deletion:
    """An example that deletes one item of a list and keeps those after it, cut short after the
    deleted item (`open(f, "rt", encoding=e) -> open(f, encoding=e)` as `open(f, "rt") ->
    open(f)`), with where the list's holder sat."""

    core: EditCore
    cut: Example
    list_kinds: tuple[str, str]  # the list's kind before and after (`argument_list`)
    followed: bool  # whether items followed the deleted one


def _deletion(example: Example) -> _Deletion | None:
    """The example as one item deleted from a list that ends its holder (a call's arguments);
    None when it is not one."""
    try:
        parsed = parse_example(example)
    except GeneralizationError:
        return None
    before, after = changed_pair(parsed.before, parsed.after)
    holder_b, holder_a = before.parent(), after.parent()
    if (
        before.kind() not in LIST_KINDS
        or after.kind() not in LIST_KINDS
        or holder_b is None
        or holder_a is None
        or before.range().end.index != holder_b.range().end.index
        or after.range().end.index != holder_a.range().end.index
        or any("comment" in c.kind() for c in (*before.children(), *after.children()))
    ):
        return None
    items_b, items_a = _list_items(before), _list_items(after)
    kept = [i.text() for i in items_a]
    deleted = next(
        (
            k
            for k in range(len(items_b))
            if [i.text() for i in items_b[:k] + items_b[k + 1 :]] == kept
        ),
        None,
    )
    if deleted is None:
        return None
    start_b, start_a = holder_b.range().start.index, holder_a.range().start.index
    close = before.children()[-1].text()
    end_b = items_b[deleted].range().end.index
    end_a = (
        items_a[deleted - 1].range().end.index if deleted else after.children()[0].range().end.index
    )
    span = holder_b.range()
    try:
        cut = dataclasses.replace(
            example,
            before=holder_b.text()[: end_b - start_b] + close,
            after=holder_a.text()[: end_a - start_a] + close,
        )
        whole = dataclasses.replace(example, before=holder_b.text(), after=holder_a.text())
    except ExampleError:
        return None
    context = None if span == parsed.before.range() else _place(holder_b)
    return _Deletion(
        core=EditCore(example, whole, context, None, span.start.index, span.end.index),
        cut=cut,
        list_kinds=(before.kind(), after.kind()),
        followed=deleted < len(items_b) - 1,
    )


def _learn_deletions(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept rules from examples that each delete one item of a list alike and keep whatever
    items follow it (`open(f, "r") -> open(f)` and `open(g, "rt", encoding=e) -> open(g,
    encoding=e)`: `open($A, "$B", $$$REST) -> open($A, $$$REST)`, where `$$$REST` may be
    empty), placed as core rules are.
    """
    groups: dict[str, list[_Deletion]] = {}
    for entry in rejected:
        for example in entry.examples:
            if (deletion := _deletion(example)) is None:
                continue
            try:
                shape = edit_shape(unformatted(deletion.cut))
            except GeneralizationError:
                continue
            groups.setdefault(json.dumps([deletion.list_kinds, shape]), []).append(deletion)
    kept: list[LearnedRule] = []
    for group in groups.values():
        if len(group) < min_examples:
            continue
        by_cut = {id(d.cut): d for d in group}
        for entry in _learn_group([d.cut for d in group], min_examples=min_examples):
            if not entry.kept or entry.rule is None or entry.rule.rest or entry.rule.each:
                continue
            members = [by_cut[id(e)] for e in entry.examples]
            # Items after the deleted one are kept whatever they are only when an example had some.
            if not any(m.followed for m in members):
                continue
            rule = _with_rest(entry.rule, group[0].list_kinds)
            cores = [m.core for m in members]
            if rule is not None and (placed := _placed(rule, cores)) is not None:
                kept.append(placed)
    return kept


def _with_rest(rule: RewriteRule, list_kinds: tuple[str, str]) -> RewriteRule | None:
    """`rule` with a `$$$REST` that may be empty at the end of its pattern's and fix's list."""
    assert rule.language is not None
    name = _fresh(REST_NAME, captured_names(rule.pattern) | captured_names(rule.fix))
    texts = []
    for code, kind in zip((rule.pattern, rule.fix), list_kinds, strict=True):
        root = SgRoot(same_length_instance(code), rule.language).root()
        holder = next((n for n in _breadth_first(root) if n.kind() == kind), None)
        if holder is None:
            return None
        at = holder.children()[-1].range().start.index
        texts.append(code[:at] + (", " if _list_items(holder) else "") + f"$$${name}" + code[at:])
    try:
        return dataclasses.replace(rule, pattern=texts[0], fix=texts[1], rest=name)
    except RewriteError:
        return None
