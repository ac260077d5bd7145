"""Lists: an edit of each item, learned whatever the number of items."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ast_grep_py import SgNode, SgRoot

from bot.rules.anti_unification import (
    GeneralizationError,
    parse_example,
    significant_children,
    unit_node,
)
from bot.rules.checking import group_candidate, held_values, reproduction_problem, unformatted_text
from bot.rules.cores import EditCore, changed_pair, edit_core, placed_rule
from bot.rules.examples import Example, ExampleError
from bot.rules.learned import LearnedRule, rule_id
from bot.rules.patterns import RewriteError, captured_names, same_length_instance
from bot.rules.quotes import plain_strings
from bot.rules.rule import ItemMap, RewriteRule

# Lists whose items an edit may rewrite one by one (a tuple is left out: `(a,)` cut to one item
# keeps a comma a cut would drop). Python's, then JavaScript's and TypeScript's.
LIST_KINDS = frozenset(
    {"argument_list", "list", "set", "dictionary", "arguments", "array", "object"}
)
ITEMS_NAME = "ITEMS"


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
    before_items, after_items = list_items(lists[0]), list_items(lists[1])
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
    items = list_items(before), list_items(after)
    return (
        _is_list(before)
        and _outer_list(after) is not None
        and len(items[0]) == len(items[1])
        and all(b.text() != a.text() for b, a in zip(*items))
    )


def _outer_list(node: SgNode, *, empty: bool = False) -> SgNode | None:
    """The first list (with an item, or with none if `empty`) at or below `node`, breadth first."""
    return next((n for n in breadth_first(node) if _is_list(n, empty=empty)), None)


def _is_list(node: SgNode, *, empty: bool = False) -> bool:
    """Whether `node` is a LIST_KINDS list between brackets, with an item (with none if `empty`)."""
    children = node.children()
    return (
        node.kind() in LIST_KINDS
        and len(children) >= 2
        and not children[0].is_named()
        and not children[-1].is_named()
        and bool(list_items(node)) != empty
    )


def list_items(node: SgNode) -> list[SgNode]:
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


def learn_items(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
    """Kept list rules from examples that gave none: each item of a list edited alike.

    Whole examples are tried first, then their cores (`x = dict(a=1)` and `return dict(b=2, c=3)`
    share the core `dict(...) -> {...}`), placed as core rules are (`placed_rule`).
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
            placed_rule(rule, cores)
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
    pattern and fix of a `bot.rules.rule.ItemMap`. The rule is kept only when it reproduces each
    whole example, as any rule is.
    """
    items = [item for split in group for item in split.items]
    if not items:
        return None
    one = group_candidate(items)
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
    name = fresh_name(ITEMS_NAME, captured_names(rule.pattern))
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


def fresh_name(base: str, used: set[str]) -> str:
    """A metavariable name that says what it holds (`ITEMS`, else `ITEMS1`, ...), not in `used`."""
    return next(n for n in (f"{base}{i or ''}" for i in range(len(used) + 1)) if n not in used)


def _split_at_item(code: str, kind: str, language: str) -> tuple[str, str, str, str] | None:
    """`code` (a pattern or fix) cut around the one item of its first `kind` list, and the item's kind."""
    holder = next(
        (
            n
            for n in breadth_first(SgRoot(same_length_instance(code), language).root())
            if n.kind() == kind and len(list_items(n)) == 1
        ),
        None,
    )
    if holder is None:
        return None
    item = list_items(holder)[0]
    start, end = item.range().start.index, item.range().end.index
    return code[:start], code[start:end], code[end:], item.kind()


def breadth_first(node: SgNode) -> Iterator[SgNode]:
    queue = [node]
    while queue:
        n = queue.pop(0)
        yield n
        queue.extend(n.children())
