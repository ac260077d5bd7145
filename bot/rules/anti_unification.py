"""Anti-unification: the most specific ast-grep pattern and fix that cover a set of before/after examples.

The examples' trees (ast-grep-py's, the same ones `bot.rules.matching` matches against) are
walked in step. Where all examples agree the pattern keeps their text; where they differ a
metavariable stands for the differing subtrees, keyed by the tuple of texts it covers, so the
same difference in the before and the after gets the same name and the fix reuses what the
pattern captured:

    x == None -> x is None            $A == None -> $A is None
    self.y == None -> self.y is None

* A differing node becomes `$A` where a metavariable can stand in for it: replacing it with an
  identifier leaves code that parses, with that identifier in its place.
* Nodes of the same kind and layout are walked into; a list whose length differs between the
  examples (arguments, statements) keeps the common head and tail and gets `$$$A` for the rest.
* A subtree that is carried into the after unchanged is context, not the edit: where examples
  differ inside one, the whole subtree becomes one metavariable (`$A == None` rather than
  `self.$A == None` from `self.y` and `self.z`), unless it names what is called or accessed
  (`$A.get($B, None)`, not `$A($B, None)`). `lift_carried=False` turns this off, for when the
  wider rule does not reproduce the examples.
* A difference in the after that no metavariable of the pattern explains means the examples are
  not one edit (`assertEquals` -> `assertEqual` and `assertTrue` -> `assert`): GeneralizationError.
  So does a name the fix drops that differs between examples (the called function, the attribute,
  a definition's name): `len(x) == 0 -> not x` and `size(x) == 0 -> not x` are two rules, not
  `$F($A) == 0 -> not $A`.
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

from bot.rules.examples import Example
from bot.rules.patterns import syntax_problems

# Tree-sitter's usual field names for a node that names something (the function a call calls,
# the attribute or property accessed, the name a definition defines): a metavariable there that
# the fix drops would make one rule out of edits of different APIs.
NAME_FIELDS = ("function", "attribute", "property", "field", "name", "method")
WORD = re.compile(
    r"""
    \w   # a letter, digit or underscore: the token is a name, keyword or literal
    """,
    re.VERBOSE,
)
# Stands in for a metavariable when checking that one may stand at a place.
PLACEHOLDER = "evolvemvhole"
# Bodies: one carried over unchanged is context whatever its length, so it becomes `$$$A` (a
# loop's body of one statement is no reason to leave out loops with two). Arguments are not:
# `open($A).read() -> Path($A).read_text()` must not take `open(p, "rb")` along.
SEQUENCE_KINDS = frozenset(
    {
        "block",  # Python
        "statement_block",  # JavaScript / TypeScript
    }
)
# A class's bases and a definition's parameters are context to an edit of its body in the
# same way.
CONTEXT_LIST_FIELDS = ("superclasses", "parameters")
# An expression in parentheses: where an after puts them around code it carried over and another
# after does not, they are there only so that the code binds as before, and a rule writes them
# where needed (`bot.rules.rewriting._fixes_grouped`): `not x` and `not (a or b)` are one fix,
# `not $A`.
GROUPING_KINDS = frozenset({"parenthesized_expression"})

UNPARSABLE_SNIPPET = "the {which} of example {index} ({where}) does not parse: {error}"
NO_EXAMPLES = "anti-unification needs at least one example"
MIXED_LANGUAGES = "the examples are in different languages: {languages}"
BEFORE_MISMATCH = "the examples differ in `{first}` vs `{other}` where no metavariable can stand"
AFTER_UNEXPLAINED = (
    "the fixes differ in `{first}` vs `{other}`, which is not taken from what the pattern matched"
)
DROPPED_NAME = (
    "the examples name different things (`{first}` vs `{other}`) that the fix drops: they are"
    " different edits"
)


class GeneralizationError(ValueError):
    """The examples have no common pattern and fix; the message says where they part."""


@dataclass(frozen=True)
class ParsedExample:
    """An example's snippets parsed, with the nodes they stand for and what the after carries over."""

    example: Example
    before_root: SgRoot
    after_root: SgRoot
    before: SgNode
    after: SgNode
    # Texts of the after's named nodes: a before subtree with one of these texts is carried over.
    carried: frozenset[str]


def unit_node(root: SgNode) -> SgNode:
    """The node a snippet stands for: down through wrappers (module, expression statement) that add nothing."""
    node = root
    while True:
        named = [c for c in node.children() if c.is_named()]
        if len(named) != 1:
            return node
        whole = node.text().strip().removesuffix(";").rstrip()
        if named[0].text().strip().removesuffix(";").rstrip() != whole:
            return node
        node = named[0]


def parse_example(example: Example, *, index: int = 0) -> ParsedExample:
    """`example` parsed; GeneralizationError when a snippet does not parse on its own."""
    roots = []
    for which, text in (("before", example.before), ("after", example.after)):
        root = SgRoot(text, example.language)
        if problems := syntax_problems(root.root()):
            raise GeneralizationError(
                UNPARSABLE_SNIPPET.format(
                    which=which,
                    index=index + 1,
                    where=example.describe(),
                    error=problems[0].description,
                )
            )
        roots.append(root)
    before = unit_node(roots[0].root())
    after = unit_node(roots[1].root())
    return ParsedExample(
        example=example,
        before_root=roots[0],
        after_root=roots[1],
        before=before,
        after=after,
        carried=frozenset(n.text() for n in _named_nodes(after)),
    )


def _named_nodes(node: SgNode) -> Iterator[SgNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.is_named():
            yield n
        stack.extend(n.children())


@dataclass(frozen=True)
class Generalization:
    """A pattern and fix (ast-grep syntax) that cover the examples, and what each metavariable covers."""

    pattern: str
    fix: str
    language: str
    # Metavariable name -> the text it covers in each example, in the order they were given.
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Hole:
    """A metavariable in example 0's text: [start, end), the texts it covers, single or `$$$`."""

    start: int
    end: int
    key: tuple[str, ...]
    multi: bool
    nodes: tuple[tuple[SgNode, ...], ...] = ()  # per example, the nodes it covers (before side)


class _Mismatch(Exception):
    pass


def metavariable_names() -> Iterator[str]:
    """Fresh metavariable names in order: A to Z, then A1 to Z1, and so on."""
    yield from string.ascii_uppercase
    for n in itertools.count(1):
        for letter in string.ascii_uppercase:
            yield f"{letter}{n}"


class _Unifier:
    def __init__(self, parsed: Sequence[ParsedExample], *, lift_carried: bool) -> None:
        self.parsed = parsed
        self.lift_carried = lift_carried
        self.single_keys: set[tuple[str, ...]] = set()
        self.multi_keys: set[tuple[str, ...]] = set()

    # --- before ---------------------------------------------------------------------------

    def before(self, nodes: list[SgNode], *, top: bool = False) -> list[_Hole]:
        texts = tuple(n.text() for n in nodes)
        if len(set(texts)) == 1:
            return []
        in_after = (
            not top
            and self.lift_carried
            and all(t in p.carried for p, t in zip(self.parsed, texts, strict=True))
        )
        if in_after and (run := self._carried_run(nodes)):
            return [run]
        can_hole = (
            not top
            and all(n.is_named() for n in nodes)
            and all(_can_stand_for(p, n) for p, n in zip(self.parsed, nodes, strict=True))
        )
        carried = (
            can_hole
            and in_after
            # What a call calls is what the edit is about (`d.get` in `d.get(k, None)`), even
            # when the fix keeps it: only operands are context.
            and not any(_in_name_position(n) for n in nodes)
        )
        if carried:
            # Carried context: walk in only when that keeps no literal name or value of its own
            # (`$A = $B` from two declarators, not `self.$A` from `self.x` and `self.y`).
            try:
                inner = self._before_inside(nodes)
            except _Mismatch:
                return [self._hole(nodes)]
            if _keeps_literal_word(nodes[0], inner):
                return [self._hole(nodes)]
            return inner
        try:
            return self._before_inside(nodes)
        except _Mismatch:
            if not can_hole:
                raise
            return [self._hole(nodes)]

    def _before_inside(self, nodes: list[SgNode]) -> list[_Hole]:
        """The holes inside `nodes` when they are walked into; _Mismatch when they cannot be."""
        texts = tuple(n.text() for n in nodes)
        if len({n.kind() for n in nodes}) == 1:
            kids = [significant_children(n) for n in nodes]
            if _same_layout(kids):
                return [
                    h
                    for column in zip(*kids, strict=True)
                    if column[0].is_named()
                    for h in self.before(list(column))
                ]
            if len({len(k) for k in kids}) > 1:
                return self._before_sequence(kids)
        raise _Mismatch(BEFORE_MISMATCH.format(first=_short(texts[0]), other=_short(_other(texts))))

    def _carried_run(self, nodes: list[SgNode]) -> _Hole | None:
        """`$$$A` for carried lists of one kind (bodies, arguments) when each has an item."""
        if len({n.kind() for n in nodes}) != 1 or not _is_sequence(nodes[0]):
            return None
        runs = [[c for c in n.children() if c.is_named()] for n in nodes]
        if not all(runs):
            return None  # `$$$A` matching nothing between brackets is the pattern's own text
        for parsed, run in zip(self.parsed, runs, strict=True):
            start, end = run[0].range().start.index, run[-1].range().end.index
            if not _placeholder_parses(
                parsed.example.before, start, end, parsed.example.language, leaf=False
            ):
                return None
        key = tuple(_run_text(r) for r in runs)
        self.multi_keys.add(key)
        first = runs[0]
        return _run_hole(first, key, nodes=tuple(tuple(r) for r in runs))

    def _hole(self, nodes: list[SgNode]) -> _Hole:
        rng = nodes[0].range()
        key = tuple(n.text() for n in nodes)
        self.single_keys.add(key)
        return _Hole(
            rng.start.index, rng.end.index, key, multi=False, nodes=tuple((n,) for n in nodes)
        )

    def _before_sequence(self, kids: list[list[SgNode]]) -> list[_Hole]:
        named = [[c for c in k if c.is_named()] for k in kids]
        head, tail = _common_ends(named)
        middles = [n[head : len(n) - tail] for n in named]
        if not all(middles):
            raise _Mismatch(
                BEFORE_MISMATCH.format(
                    first=_short(_run_text(middles[0])),
                    other=_short(_other(tuple(_run_text(m) for m in middles))),
                )
            )
        key = tuple(_run_text(m) for m in middles)
        self.multi_keys.add(key)
        first = middles[0]
        return [_run_hole(first, key, nodes=tuple(tuple(m) for m in middles))]

    # --- after ----------------------------------------------------------------------------

    def after(self, nodes: list[SgNode]) -> list[_Hole]:
        texts = tuple(n.text() for n in nodes)
        if len(set(texts)) == 1:
            return []
        rng = nodes[0].range()
        if _is_sequence(nodes[0]):
            runs = [[c for c in n.children() if c.is_named()] for n in nodes]
            key = tuple(_run_text(r) for r in runs)
            if all(runs) and key in self.multi_keys:
                first = runs[0]
                return [_run_hole(first, key)]
        if texts in self.single_keys:
            return [_Hole(rng.start.index, rng.end.index, texts, multi=False)]
        if texts in self.multi_keys:
            return [_Hole(rng.start.index, rng.end.index, texts, multi=True)]
        inside = tuple(ungrouped(n).text() for n in nodes)
        if inside in self.single_keys and len({ungrouped(n) is n for n in nodes}) > 1:
            return [_Hole(rng.start.index, rng.end.index, inside, multi=False)]
        if len({n.kind() for n in nodes}) == 1:
            kids = [significant_children(n) for n in nodes]
            if _same_layout(kids):
                return [
                    h
                    for column in zip(*kids, strict=True)
                    if column[0].is_named()
                    for h in self.after(list(column))
                ]
            if len({len(k) for k in kids}) > 1:
                named = [[c for c in k if c.is_named()] for k in kids]
                head, tail = _common_ends(named)
                middles = [n[head : len(n) - tail] for n in named]
                key = tuple(_run_text(m) for m in middles)
                if all(middles) and (key in self.multi_keys or key in self.single_keys):
                    first = middles[0]
                    return [_run_hole(first, key, multi=key in self.multi_keys)]
        raise _Mismatch(
            AFTER_UNEXPLAINED.format(first=_short(texts[0]), other=_short(_other(texts)))
        )


def significant_children(node: SgNode) -> list[SgNode]:
    """The node's children, without a statement's closing `;`.

    Whether a JavaScript statement spells out its `;` is style, not a different edit.
    """
    children = node.children()
    if children and not children[-1].is_named() and children[-1].text() == ";":
        return children[:-1]
    return children


def _keeps_literal_word(node: SgNode, holes: Sequence[_Hole]) -> bool:
    """Whether a token of `node` outside every hole is a name, keyword or literal."""
    stack = [node]
    while stack:
        n = stack.pop()
        rng = n.range()
        if any(h.start <= rng.start.index and rng.end.index <= h.end for h in holes):
            continue
        children = n.children()
        if not children and WORD.search(n.text()):
            return True
        stack.extend(children)
    return False


def _same_layout(kids: list[list[SgNode]]) -> bool:
    """Same number of children, named in the same places, the same tokens between them."""
    if len({len(k) for k in kids}) != 1 or not kids[0]:
        return False
    for column in zip(*kids, strict=True):
        if len({c.is_named() for c in column}) != 1:
            return False
        if not column[0].is_named() and len({c.text() for c in column}) != 1:
            return False
    return True


def shared_ends(named: Sequence[Sequence[SgNode]]) -> tuple[int, int]:
    """How many leading and trailing nodes all the lists share (by text), never overlapping."""
    shortest = min(len(n) for n in named)
    head = 0
    while head < shortest and len({n[head].text() for n in named}) == 1:
        head += 1
    tail = 0
    while tail < shortest - head and len({n[len(n) - 1 - tail].text() for n in named}) == 1:
        tail += 1
    return head, tail


def _common_ends(named: list[list[SgNode]]) -> tuple[int, int]:
    """How many leading and trailing children all examples share (by text), leaving a non-empty middle where possible."""
    head, tail = shared_ends(named)
    shortest = min(len(n) for n in named)
    # `$$$A` matching nothing next to a separator does not match in ast-grep (`f(a, $$$A)`
    # misses `f(a)`): give every example at least one node in the middle.
    while head + tail >= shortest and (head or tail):
        if tail:
            tail -= 1
        else:
            head -= 1
    return head, tail


def _run_hole(
    run: Sequence[SgNode],
    key: tuple[str, ...],
    *,
    multi: bool = True,
    nodes: tuple[tuple[SgNode, ...], ...] = (),
) -> _Hole:
    """A hole over a run of sibling nodes (example 0's), from the first's start to the last's end."""
    return _Hole(run[0].range().start.index, run[-1].range().end.index, key, multi, nodes)


def _run_text(nodes: Sequence[SgNode]) -> str:
    if not nodes:
        return ""
    root_text = nodes[0].get_root().root().text()
    return root_text[nodes[0].range().start.index : nodes[-1].range().end.index]


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _other(texts: tuple[str, ...]) -> str:
    return next((t for t in texts[1:] if t != texts[0]), texts[-1])


def _can_stand_for(parsed: ParsedExample, node: SgNode) -> bool:
    """Whether a metavariable may stand where `node` is: an identifier there still parses as one."""
    rng = node.range()
    return _placeholder_parses(
        parsed.example.before, rng.start.index, rng.end.index, parsed.example.language
    )


@functools.lru_cache(maxsize=8192)
def _placeholder_parses(
    text: str, start: int, end: int, language: str, *, leaf: bool = True
) -> bool:
    """Whether text[start:end] replaced by an identifier parses (as that lone identifier, if `leaf`)."""
    replaced = text[:start] + PLACEHOLDER + text[end:]
    root = SgRoot(replaced, language).root()
    if syntax_problems(root):
        return False
    if not leaf:
        return True
    node = root
    while True:
        inside = [
            c
            for c in node.children()
            if c.range().start.index <= start and start + len(PLACEHOLDER) <= c.range().end.index
        ]
        if not inside:
            return node.text() == PLACEHOLDER and not node.children()
        node = inside[0]


def _render(
    unit: SgNode, holes: Sequence[_Hole], names: dict[tuple[bool, tuple[str, ...]], str]
) -> str:
    """The unit's text with each hole replaced by its metavariable."""
    text = unit.get_root().root().text()
    start, end = unit.range().start.index, unit.range().end.index
    pieces, position = [], start
    for hole in sorted(holes, key=lambda h: h.start):
        pieces.append(text[position : hole.start])
        pieces.append(("$$$" if hole.multi else "$") + names[(hole.multi, hole.key)])
        position = hole.end
    pieces.append(text[position:end])
    return "".join(pieces)


def ungrouped(node: SgNode) -> SgNode:
    """What `node` holds when it is an expression in parentheses (GROUPING_KINDS); else `node`."""
    if node.kind() in GROUPING_KINDS:
        inner = [c for c in node.children() if c.is_named()]
        if len(inner) == 1:
            return inner[0]
    return node


def _is_sequence(node: SgNode) -> bool:
    """A body, a class's bases or a definition's parameters: a list the edit does not look into."""
    if node.kind() in SEQUENCE_KINDS:
        return True
    parent = node.parent()
    return parent is not None and any(parent.field(f) == node for f in CONTEXT_LIST_FIELDS)


def _in_name_position(node: SgNode) -> bool:
    parent = node.parent()
    if parent is None:
        return False
    return any((child := parent.field(name)) is not None and child == node for name in NAME_FIELDS)


def anti_unify(examples: Sequence[Example], *, lift_carried: bool = True) -> Generalization:
    """The most specific pattern and fix covering every example; GeneralizationError when there is none."""
    if not examples:
        raise GeneralizationError(NO_EXAMPLES)
    languages = sorted({e.language for e in examples})
    if len(languages) > 1:
        raise GeneralizationError(MIXED_LANGUAGES.format(languages=", ".join(languages)))
    # The pattern and fix are written out from the first example: take the one with the most
    # compact after, since the fix's own line breaks are what every rewritten site gets.
    # An example that spells out a closing `;` goes first: its fix keeps the `;` of every
    # statement it rewrites (the match covers it), a fix without one would drop it.
    order = sorted(
        range(len(examples)),
        key=lambda i: (
            not examples[i].before.rstrip().endswith(";"),
            examples[i].after.count("\n"),
            len(examples[i].after),
        ),
    )
    parsed = [parse_example(examples[i], index=i) for i in order]
    unifier = _Unifier(parsed, lift_carried=lift_carried)
    try:
        before_holes = unifier.before([p.before for p in parsed], top=True)
        # Only what the pattern really captures may be reused by the fix.
        unifier.single_keys = {h.key for h in before_holes if not h.multi}
        unifier.multi_keys = {h.key for h in before_holes if h.multi}
        after_holes = unifier.after([p.after for p in parsed])
    except _Mismatch as exc:
        raise GeneralizationError(str(exc)) from None

    names: dict[tuple[bool, tuple[str, ...]], str] = {}
    fresh = metavariable_names()
    for hole in sorted(before_holes, key=lambda h: h.start):
        if (hole.multi, hole.key) not in names:
            names[(hole.multi, hole.key)] = next(fresh)
    used = {(h.multi, h.key) for h in after_holes}
    for hole in before_holes:
        if (hole.multi, hole.key) in used:
            continue
        for nodes in hole.nodes:
            if len(nodes) == 1 and _in_name_position(nodes[0]):
                raise GeneralizationError(
                    DROPPED_NAME.format(first=_short(hole.key[0]), other=_short(_other(hole.key)))
                )
    return Generalization(
        pattern=_render(parsed[0].before, before_holes, names),
        fix=_render(parsed[0].after, after_holes, names),
        language=languages[0],
        bindings={
            name: tuple(key[order.index(i)] for i in range(len(order)))
            for (_, key), name in names.items()
        },
    )
