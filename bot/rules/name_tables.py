"""Name tables: one name renamed in the same code, to names the pattern cannot give."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from bot.rules.anti_unification import GeneralizationError, parse_example, unit_node
from bot.rules.checking import dotted_name, too_general
from bot.rules.cores import EditCore, edit_core, place_of, placed_rule, whole_core
from bot.rules.examples import Example, ExampleError
from bot.rules.grouping import leaf_tokens
from bot.rules.learned import LearnedRule
from bot.rules.patterns import RewriteError, syntax_problems
from bot.rules.rule import NameTable, RewriteRule

# The metavariables of a name table's rule: the name matched, and the name written for it.
TABLE_SOURCE, TABLE_TARGET = "$A", "$B"


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
    before, after = leaf_tokens(parsed.before), leaf_tokens(parsed.after)
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
    context = None if span == parsed.before.range() else place_of(unit_b)
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
    core = edit_core(example) or whole_core(example)
    if core is None:
        return None
    names = []
    for text in (core.core.before, core.core.after):
        root = SgRoot(text, example.language).root()
        if syntax_problems(root):
            return None
        node = unit_node(root)
        if node.text() != text or not dotted_name(node):
            return None
        names.append(text)
    return _Rename(core=core, pattern=TABLE_SOURCE, fix=TABLE_TARGET, old=names[0], new=names[1])


def learn_tables(rejected: list[LearnedRule], *, min_examples: int) -> list[LearnedRule]:
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
        if (placed := placed_rule(rule, [r.core for r in group])) is not None:
            kept.append(placed)
    return kept
