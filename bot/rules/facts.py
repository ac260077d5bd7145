"""Facts a kept rule takes on: what surrounded every example."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

from ast_grep_py import SgNode, SgRoot

from bot.rules.anti_unification import metavariable_names
from bot.rules.checking import reproduction_problem, too_general
from bot.rules.examples import Example
from bot.rules.learned import LearnedRule, examples_id, rule_id
from bot.rules.matching import find_matches
from bot.rules.patterns import METAVARIABLE, RewriteError, captured_names, same_length_instance
from bot.rules.rule import RewriteRule
from bot.rules.surroundings import (
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
from bot.rules.surroundings import LANGUAGE as SURROUNDINGS_LANGUAGE


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


def without_examples(entries: list[LearnedRule], placed: set[int]) -> list[LearnedRule]:
    """`entries` less the examples in `placed`; an entry left with none is dropped."""
    out = []
    for entry in entries:
        left = tuple(e for e in entry.examples if id(e) not in placed)
        if len(left) == len(entry.examples):
            out.append(entry)
        elif left:
            out.append(LearnedRule(examples_id(left), None, left, entry.rejected_reason))
    return out
