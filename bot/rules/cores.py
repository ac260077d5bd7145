"""Cores: the smallest changed subtree of an edit, and where it sits."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from bot.rules.anti_unification import (
    GeneralizationError,
    parse_example,
    shared_ends,
    significant_children,
    unit_node,
)
from bot.rules.checking import CandidateRule, group_candidate, reproduction_problem, unformatted
from bot.rules.examples import Example, ExampleError
from bot.rules.grouping import edit_shape
from bot.rules.learned import LearnedRule, examples_id, rule_id
from bot.rules.matching import find_matches, match_span
from bot.rules.patterns import RewriteError, selector_context, selector_wrapper, syntax_problems
from bot.rules.regions import parses_as_run, standalone_snippet
from bot.rules.rule import RewriteRule, field_of

# Above this many examples in one group, clusters grow greedily instead of by best pair (which
# tries every pair each round).
PAIRWISE_LIMIT = 12

TOO_FEW = "only {count} example(s) of this edit's shape; a rule needs at least {needed}"
LEFT_OVER = "does not fit a rule with the other examples of its shape: {reason}"


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
        context=place_of(runs[0][0]),
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
        context=place_of(before),
        selector=selector,
        start=rng.start.index,
        end=rng.end.index,
    )


def place_of(node: SgNode) -> str | None:
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


def whole_core(example: Example) -> EditCore | None:
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


def learn_cores(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept rules from the cores of examples that gave none as whole units."""
    cores: dict[str, list[EditCore]] = {}
    for entry in rejected:
        for example in entry.examples:
            # An example that is all core (`getattr(g, 'run')`) may join the cores of others
            # (`cast(bytes, getattr(self, "body"))`).
            # Several spots edited alike are narrower than the one subtree that holds them all.
            # Statements replaced in a body are a run of them, not the body.
            found: list[EditCore | None] = [*edit_cores(example)] or [
                edit_core(example) or run_core(example) or whole_core(example)
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
        for entry in learn_group(wrapped, min_examples=min_examples):
            if not entry.kept or entry.rule is None:
                continue
            members = [by_example[id(e)] for e in entry.examples]
            # Two spots of one example are one example: it counts, and is checked, once.
            if len({id(m.example) for m in members}) < min_examples:
                continue
            rule = _unwrapped(entry.rule, wrapper, selector=group[0].selector)
            placed = None if rule is None else placed_rule(rule, members)
            if placed is not None:
                kept.append(placed)
    return kept


def as_run(entry: LearnedRule, *, min_examples: int) -> LearnedRule:
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


def placed_rule(rule: RewriteRule, cores: Sequence[EditCore]) -> LearnedRule | None:
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


def learn_group(group: list[Example], *, min_examples: int) -> list[LearnedRule]:
    whole = group_candidate(group)
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
            LearnedRule(rule_id(rule) if rule else examples_id(left), rule, tuple(left), reason)
        )
    return entries


def _entry(
    examples: Sequence[Example], candidate: CandidateRule, *, min_examples: int
) -> LearnedRule:
    assert candidate.rule is not None
    reason = None
    if len(examples) < min_examples:
        reason = TOO_FEW.format(count=len(examples), needed=min_examples)
    return LearnedRule(rule_id(candidate.rule), candidate.rule, tuple(examples), reason)


def _clusters(group: list[Example]) -> list[tuple[list[Example], CandidateRule]]:
    """Clusters of `group` that share a valid rule (singletons where nothing joins)."""
    known: dict[tuple[Example, ...], CandidateRule] = {}

    def candidate_for(members: list[Example]) -> CandidateRule:
        key = tuple(members)
        if key not in known:
            known[key] = group_candidate(members)
        return known[key]

    clusters = [([e], candidate_for([e])) for e in group]
    if len(group) > PAIRWISE_LIMIT:
        grown: list[tuple[list[Example], CandidateRule]] = []
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
        best: tuple[int, int, CandidateRule] | None = None
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
