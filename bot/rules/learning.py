"""Rule learning: rewrite rules generalised from reviewers' before/after examples, Getafix-style.

Everything here is pure: examples go in, rules (and the groups that gave none, with why) come out.

1. Examples are grouped by the shape of their edit: the before and after trees with the subtrees
   the edit carries over unchanged and all names reduced to `_`, literals to their kind (so
   `None` and `True` stay apart), tokens kept, plus the words the after brings in (`is`,
   `assertEqual`, `const`). Names that differ are told apart later, by anti-unification.
2. Each group is generalised by anti-unification (`bot.rules.anti_unification`) into an ast-grep
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
   rule (`as_run`): the definition around it is context the edit did not touch. In
   Python, plain strings are generalised over one quote style and the rule matches either
   (`'run'` and `"value"` are one edit; `RewriteRule.any_quote`).
   Examples still without a rule whose edit changed every item of a list alike are cut item by
   item (`dict(a=1, b=x) -> {"a": 1, "b": x}` gives `dict(a=1) -> {"a": 1}` and
   `dict(b=x) -> {"b": x}`); the rule learned from all their items becomes a list rule
   (`dict($$$ITEMS) -> {$$$ITEMS}`, each `$A=$B` written `"$A": $B`; `RewriteRule.each`) that
   edits lists of any length, so examples with 3 and 2 items make one rule. Then come names
   renamed by a table (`learn_tables`) and one item deleted from a list, whatever items follow
   it (`learn_deletions`: `open($A, "$B", $$$REST) -> open($A, $$$REST)`; `RewriteRule.rest`).
3. A rule is kept only with at least `min_examples` examples, when it is not too general (a bare
   metavariable, or nothing but metavariables and brackets, or a dropped metavariable that stood
   for different names: `raise $A -> raise OSError` from `IOError` and `EnvironmentError`), and
   when applying it with `bot.rules.rewriting.apply_rewrite` to each example's before gives that
   example's after (the same syntax tree and tokens, quote style aside; see
   `reproduction_problem`). A dropped metavariable that stood for literals is held to them
   (`open($A, "$B") -> open($A)` from `"r"` and `"rt"` deletes only those: `RewriteRule.values`).
4. A kept rule takes on every fact its examples' surroundings agree on (`with_facts`): `$A names
   the enclosing class`, `$D is a dict`, `the annotation is never evaluated` for an edit of
   annotations (`bot.rules.surroundings`), `$B is a name` for a string's content the fix writes as
   code, and `$A is not self` for the object of a method the pattern calls, when no example's
   was `self`. It then applies only where those hold. A variable every example's function
   binds (a parameter, a local) and a string's content the fix writes as a name are the code's
   spellings, not the edit's: they become metavariables too (`getattr(g, 'run') -> g.run` twice
   gives `getattr($A, "$B") -> $A.$B`), while `self`, imports and module names stay as written.
5. `find_sites` applies a kept rule to a branch's files: the sites of a `learned_rule` proposal.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.rules.anti_unification import GeneralizationError
from bot.rules.checking import unformatted
from bot.rules.cores import as_run, learn_cores, learn_group
from bot.rules.deletions import learn_deletions
from bot.rules.examples import Example
from bot.rules.facts import with_facts, without_examples
from bot.rules.grouping import edit_shape
from bot.rules.learned import LearnedRule, examples_id
from bot.rules.lists import learn_items
from bot.rules.name_tables import learn_tables

DEFAULT_MIN_EXAMPLES = 2
BAD_MIN_EXAMPLES = "min_examples must be at least 1, not {value}"


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
        for entry in learn_group(group, min_examples=min_examples):
            if entry.kept:
                kept.append(as_run(entry, min_examples=min_examples))
            else:
                rejected.append(entry)
    # Each later stage tries what the stages before it left; what it places is no longer left.
    for stage in (learn_cores, learn_items, learn_tables, learn_deletions):
        found = stage(rejected, min_examples=min_examples)
        rejected = without_examples(rejected, {id(e) for entry in found for e in entry.examples})
        kept += found
    for example, reason in broken:
        rejected.append(LearnedRule(examples_id([example]), None, (example,), reason))
    return [with_facts(entry) for entry in kept] + rejected
