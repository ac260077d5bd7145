"""Deletions: one item of a list deleted, whatever items follow it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from ast_grep_py import SgRoot

from bot.rules.anti_unification import GeneralizationError, parse_example
from bot.rules.checking import unformatted
from bot.rules.cores import EditCore, changed_pair, learn_group, place_of, placed_rule
from bot.rules.examples import Example, ExampleError
from bot.rules.grouping import edit_shape
from bot.rules.learned import LearnedRule
from bot.rules.lists import LIST_KINDS, breadth_first, fresh_name, list_items
from bot.rules.patterns import RewriteError, captured_names, same_length_instance
from bot.rules.rule import RewriteRule

REST_NAME = "REST"


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
    items_b, items_a = list_items(before), list_items(after)
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
    context = None if span == parsed.before.range() else place_of(holder_b)
    return _Deletion(
        core=EditCore(example, whole, context, None, span.start.index, span.end.index),
        cut=cut,
        list_kinds=(before.kind(), after.kind()),
        followed=deleted < len(items_b) - 1,
    )


def learn_deletions(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
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
        for entry in learn_group([d.cut for d in group], min_examples=min_examples):
            if not entry.kept or entry.rule is None or entry.rule.rest or entry.rule.each:
                continue
            members = [by_cut[id(e)] for e in entry.examples]
            # Items after the deleted one are kept whatever they are only when an example had some.
            if not any(m.followed for m in members):
                continue
            rule = _with_rest(entry.rule, group[0].list_kinds)
            cores = [m.core for m in members]
            if rule is not None and (placed := placed_rule(rule, cores)) is not None:
                kept.append(placed)
    return kept


def _with_rest(rule: RewriteRule, list_kinds: tuple[str, str]) -> RewriteRule | None:
    """`rule` with a `$$$REST` that may be empty at the end of its pattern's and fix's list."""
    assert rule.language is not None
    name = fresh_name(REST_NAME, captured_names(rule.pattern) | captured_names(rule.fix))
    texts = []
    for code, kind in zip((rule.pattern, rule.fix), list_kinds, strict=True):
        root = SgRoot(same_length_instance(code), rule.language).root()
        holder = next((n for n in breadth_first(root) if n.kind() == kind), None)
        if holder is None:
            return None
        at = holder.children()[-1].range().start.index
        texts.append(code[:at] + (", " if list_items(holder) else "") + f"$$${name}" + code[at:])
    try:
        return dataclasses.replace(rule, pattern=texts[0], fix=texts[1], rest=name)
    except RewriteError:
        return None
