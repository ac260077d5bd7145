"""The shape of an example's edit, by which examples are grouped before they are generalised."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from ast_grep_py import SgNode

from bot.rules.anti_unification import ParsedExample, parse_example, significant_children, ungrouped
from bot.rules.examples import Example

WORD = re.compile(
    r"""
    \w   # a letter, digit or underscore: the token is a name, keyword or literal
    """,
    re.VERBOSE,
)


def edit_shape(example: Example) -> str:
    """The shape of the example's edit: the key examples are grouped by.

    Raises GeneralizationError when a snippet does not parse.
    """
    parsed = parse_example(example)
    holes: set[str] = set()
    before = _shape(parsed.before, parsed, holes, collect=True)
    after = _shape(parsed.after, parsed, holes, collect=False)
    before_words = {t for t in leaf_texts(parsed.before)}
    brought = {t for t in leaf_texts(parsed.after) if t not in before_words and WORD.search(t)}
    # A keyword the after has more of is brought in too: `not (not a or b)` brings a `not`.
    keywords = [Counter(_keywords(parsed.before)), Counter(_keywords(parsed.after))]
    brought |= {word for word, count in keywords[1].items() if count > keywords[0][word]}
    return json.dumps([example.language, before, after, sorted(brought)])


def _keywords(node: SgNode) -> Iterator[str]:
    """The keywords among the tokens under `node` (`not`, `is`: words the grammar names no node)."""
    return (
        leaf.text()
        for leaf in leaf_tokens(node)
        if not leaf.is_named() and WORD.search(leaf.text())
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


def leaf_texts(node: SgNode) -> Iterable[str]:
    return (leaf.text() for leaf in leaf_tokens(node))


def leaf_tokens(node: SgNode) -> list[SgNode]:
    """The tokens under `node`, in order."""
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        children = n.children()
        if not children:
            found.append(n)
        stack.extend(reversed(children))
    return found
