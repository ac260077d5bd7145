"""Where a rule matches: ast-grep's searches for one pattern or a run of statements."""

from __future__ import annotations

from ast_grep_py import SgNode

from bot.rules.patterns import run_config, selector_context, statement_run
from bot.rules.quotes import quote_variant_pairs
from bot.rules.rule import RewriteRule

# ast-grep's match strictness that checks a match leaves out no named node (`spells_out`).
RELAXED = "relaxed"


def find_matches(root: SgNode, rule: RewriteRule, *, language: str) -> list[SgNode]:
    """What `rule` matches under `root`, in ast-grep's order, only where the rule may apply.

    For a pattern of several statements each node is the run's first statement (`match_span`
    gives the whole run's span)."""
    return [node for node, _ in matches_with_fixes(root, rule, language=language)]


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


def matches_with_fixes(
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
