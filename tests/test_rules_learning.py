"""Rule learning: rules from reviewers' examples, kept only when specific enough and reproducing them."""

from __future__ import annotations

import dataclasses

import pytest

from bot.rules import (
    Example,
    LearnedRule,
    NameTable,
    RewriteRule,
    ValueSet,
    apply_rewrite,
    example_from_commit,
    example_key,
    find_sites,
    learn_rules,
    retirement,
    surroundings_of,
)
from bot.rules.checking import reproduction_problem, too_general, unformatted
from bot.rules.cores import run_core
from bot.rules.grouping import edit_shape
from bot.rules.learned import rule_id
from bot.rules.lists import item_split


def ex(
    before: str, after: str, *, pr: int = 1, language: str = "python", path: str = "src/a.py"
) -> Example:
    return Example(
        before=before,
        after=after,
        path=path,
        language=language,
        source="suggestion",
        author="ann",
        pr=pr,
        line=3,
    )


def kept(learned: list[LearnedRule]) -> list[tuple[str, str]]:
    return [(r.rule.pattern, r.rule.fix) for r in learned if r.kept and r.rule is not None]


def rejected(learned: list[LearnedRule]) -> list[str]:
    return [r.rejected_reason or "" for r in learned if not r.kept]


def rewrite(rule: LearnedRule, text: str, path: str = "new.py") -> str:
    assert rule.rule is not None
    return apply_rewrite({path: text}, rule.rule).changed.get(path, text)


# --- what reviewers teach ------------------------------------------------------------------


def test_none_comparisons_with_different_names_give_one_rule_that_applies_elsewhere() -> None:
    learned = learn_rules(
        [
            ex("user == None", "user is None", pr=1),
            ex("self.cache == None", "self.cache is None", pr=2),
        ]
    )
    [rule] = learned
    assert (rule.rule, rule.rejected_reason) == (
        RewriteRule("$A == None", "$A is None", "python"),
        None,
    )
    assert [e.pr for e in rule.examples] == [1, 2]
    assert (
        rewrite(rule, "if items[0] == None or x:\n    pass\n")
        == "if items[0] is None or x:\n    pass\n"
    )


def test_reviewer_idioms_each_become_a_rule() -> None:
    learned = learn_rules(
        [
            ex("len(items) == 0", "not items"),
            ex("len(self.queue) == 0", "not self.queue"),
            ex("d.has_key(k)", "k in d"),
            ex("self.headers.has_key(name.lower())", "name.lower() in self.headers"),
            ex("self.assertEquals(total, 3)", "self.assertEqual(total, 3)"),
            ex("self.assertEquals(resp.status, 200)", "self.assertEqual(resp.status, 200)"),
            ex("open(path).read()", "Path(path).read_text()"),
            ex("open(self.config_file).read()", "Path(self.config_file).read_text()"),
        ]
    )
    assert sorted(kept(learned)) == sorted(
        [
            ("len($A) == 0", "not $A"),
            ("$A.has_key($B)", "$B in $A"),
            ("self.assertEquals($A, $B)", "self.assertEqual($A, $B)"),
            ("open($A).read()", "Path($A).read_text()"),
        ]
    )
    assert rejected(learned) == []
    by_pattern = {r.rule.pattern: r for r in learned if r.rule}
    assert (
        rewrite(by_pattern["$A.has_key($B)"], "ok = env.has_key('HOME')\n")
        == "ok = 'HOME' in env\n"
    )
    assert (
        rewrite(by_pattern["open($A).read()"], "text = open(args.file).read()\n")
        == "text = Path(args.file).read_text()\n"
    )


def test_a_javascript_rule_is_learned_in_javascript_keeping_the_semicolon_style() -> None:
    plain = learn_rules(
        [
            ex("var x = y", "const x = y", language="js", path="a.js"),
            ex("var total = sum(a, b)", "const total = sum(a, b)", language="js", path="b.js"),
        ]
    )
    assert kept(plain) == [("var $A = $B", "const $A = $B")]
    assert (
        rewrite(plain[0], "function f() {\n  var n = 1\n  return n\n}\n", "c.js")
        == "function f() {\n  const n = 1\n  return n\n}\n"
    )
    terminated = learn_rules(
        [
            ex("var x = y;", "const x = y;", language="js", path="a.js"),
            ex("var total = sum(a, b);", "const total = sum(a, b);", language="js", path="b.js"),
        ]
    )
    assert kept(terminated) == [("var $A = $B;", "const $A = $B;")]
    assert rewrite(terminated[0], "var n = 1; g(n);\n", "c.js") == "const n = 1; g(n);\n"
    # One rule cannot both keep a `;` and leave one out: examples of both styles are refused.
    mixed = learn_rules(
        [
            ex("var x = y", "const x = y", language="js", path="a.js"),
            ex("var total = sum(a, b);", "const total = sum(a, b);", language="js", path="b.js"),
        ]
    )
    assert kept(mixed) == []
    assert rejected(mixed)[0].startswith("does not reproduce")


# --- groups --------------------------------------------------------------------------------


def test_edits_of_different_shapes_never_merge() -> None:
    learned = learn_rules(
        [
            ex("a == None", "a is None"),
            ex("b == None", "b is None"),
            ex("a != None", "a is not None"),
            ex("b != None", "b is not None"),
            ex("self.assertEquals(a, b)", "self.assertEqual(a, b)"),
            ex("self.assertEquals(c, d)", "self.assertEqual(c, d)"),
            ex("self.assertNotEquals(a, b)", "self.assertNotEqual(a, b)"),
            ex("self.assertNotEquals(c, d)", "self.assertNotEqual(c, d)"),
        ]
    )
    assert sorted(kept(learned)) == sorted(
        [
            ("$A == None", "$A is None"),
            ("$A != None", "$A is not None"),
            ("self.assertEquals($A, $B)", "self.assertEqual($A, $B)"),
            ("self.assertNotEquals($A, $B)", "self.assertNotEqual($A, $B)"),
        ]
    )
    assert edit_shape(ex("x == None", "x is None")) == edit_shape(
        ex("self.y == None", "self.y is None")
    )
    assert edit_shape(ex("x == None", "x is None")) != edit_shape(ex("x == True", "x is True"))


def test_examples_of_one_shape_that_name_different_functions_stay_apart() -> None:
    learned = learn_rules(
        [ex("len(a) == 0", "not a"), ex("len(b) == 0", "not b"), ex("size(c) == 0", "not c")]
    )
    assert kept(learned) == [("len($A) == 0", "not $A")]
    [left] = [r for r in learned if not r.kept]
    assert [e.before for e in left.examples] == ["size(c) == 0"]
    assert left.rejected_reason == (
        "does not fit a rule with the other examples of its shape: the examples name different"
        " things (`len` vs `size`) that the fix drops: they are different edits"
    )


def test_every_example_is_in_exactly_one_entry() -> None:
    examples = [
        ex("a == None", "a is None"),
        ex("b == None", "b is None"),
        ex("len(x) == 0", "not x"),
        ex("x ==", "x is None"),
    ]
    learned = learn_rules(examples)
    assert sorted(e.before for r in learned for e in r.examples) == sorted(
        e.before for e in examples
    )
    assert "does not parse" in rejected(learned)[-1]


# --- what is not kept ----------------------------------------------------------------------


def test_one_example_is_not_enough_unless_asked() -> None:
    [alone] = learn_rules([ex("x == None", "x is None")])
    assert not alone.kept
    assert (
        alone.rejected_reason == "only 1 example(s) of this edit's shape; a rule needs at least 2"
    )
    assert alone.rule == RewriteRule("x == None", "x is None", "python")  # shown, not proposed
    [kept_alone] = learn_rules([ex("x == None", "x is None")], min_examples=1)
    assert kept_alone.kept
    with pytest.raises(ValueError, match="at least 1"):
        learn_rules([], min_examples=0)


def test_a_rule_that_matches_any_call_is_too_general() -> None:
    [rule] = learn_rules([ex("foo(a)", "foo(a, None)"), ex("bar(b)", "bar(b, None)")])
    assert rule.rule == RewriteRule("$A($B)", "$A($B, None)", "python")
    assert rule.rejected_reason == (
        "too general: the pattern `$A($B)` has nothing but metavariables and brackets,"
        " so it matches nearly everything of that shape"
    )
    assert (
        too_general("$A", "python")
        == "too general: the pattern `$A` is a bare metavariable and matches anything"
    )
    assert too_general("$$$ARGS", "python") is not None
    assert too_general("$A = $B", "python") is not None
    assert (
        too_general("$A(($B))", "python") is None
    )  # a call on a parenthesised argument is a shape of its own
    assert too_general("$A == None", "python") is None


def test_a_lone_keyword_is_learned_as_the_statement_it_is() -> None:
    # ast-grep reads the pattern `return` as the keyword, which sits in every return statement:
    # the rule matches the bare statement in place instead.
    [rule] = learn_rules([ex("return", "return None"), ex("return", "return None", pr=2)])
    assert rule.kept and rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.selector) == (
        "return",
        "return None",
        "return_statement",
    )
    code = "def f(x):\n    if x:\n        return\n    return x\n"
    assert rewrite(rule, code) == code.replace("return\n", "return None\n", 1)


def test_examples_that_change_a_run_of_statements_give_a_rule_over_the_run() -> None:
    learned = learn_rules([ex("x = 1\npass", "x = 1"), ex("y = 2\npass", "y = 2", pr=2)])
    assert [(r.rule, r.kept, len(r.examples)) for r in learned] == [
        (RewriteRule("$A = $B\npass", "$A = $B", "python"), True, 2)
    ]
    code = "def f():\n    z = 3\n    pass\n    w = 4\n    pass\n"
    assert rewrite(learned[0], code) == "def f():\n    z = 3\n    w = 4\n"


def test_the_widest_rule_that_reproduces_the_examples_is_kept() -> None:
    # `f($A) -> g($A)` would also rewrite the inner call; the narrower rule reproduces both.
    [rule] = learn_rules([ex("f(f(x))", "g(f(x))"), ex("f(f(y))", "g(f(y))")])
    assert rule.kept and rule.rule == RewriteRule("f(f($A))", "g(f($A))", "python")


def test_reproduction_is_checked_on_the_syntax_not_the_formatting() -> None:
    examples = [ex("print((\n    x\n))", "print(\n    x\n)"), ex("log((y))", "log(y)")]
    assert reproduction_problem(RewriteRule("$A(($B))", "$A($B)", "python"), examples) is None
    problem = reproduction_problem(RewriteRule("$A(($B))", "$A(($B), 1)", "python"), examples)
    assert problem is not None and problem.startswith("does not reproduce #1 by ann, src/a.py:3")


def test_a_rule_drawn_anew_from_a_retired_rules_examples_is_retired_too() -> None:
    examples = [ex("a == None", "a is None", pr=1), ex("b == None", "b is None", pr=2)]
    third = ex("c == None", "c is None", pr=3)
    [rule] = learn_rules(examples)
    keys = frozenset(example_key(e) for e in examples)
    assert retirement(rule, {rule.id: "@maya said no"}, []) == "@maya said no"
    # Another id (a later learner), the same examples, or more of them: the same "no".
    other = dataclasses.replace(rule, id="another")
    taught = [(keys, "@maya said no")]
    expected = "@maya said no (to a rule learned from the same examples)"
    assert retirement(other, {}, taught) == expected
    assert (
        retirement(dataclasses.replace(other, examples=(*examples, third)), {}, taught) == expected
    )
    assert retirement(dataclasses.replace(other, examples=examples[:1]), {}, taught) == expected
    # Examples that overlap only in part, or not at all, are other teaching.
    assert retirement(dataclasses.replace(other, examples=(examples[0], third)), {}, taught) is None
    assert retirement(dataclasses.replace(other, examples=(third,)), {}, taught) is None
    # The same text from another place is another example.
    assert example_key(examples[0]) != example_key(dataclasses.replace(examples[0], pr=9))


# --- ids and sites -------------------------------------------------------------------------


def test_rule_ids_are_stable_hashes_of_pattern_fix_and_language() -> None:
    first = learn_rules([ex("a == None", "a is None"), ex("b == None", "b is None")])[0]
    again = learn_rules([ex("c == None", "c is None", pr=7), ex("d == None", "d is None", pr=8)])[0]
    assert first.id == again.id == rule_id(RewriteRule("$A == None", "$A is None", "python"))
    assert rule_id(RewriteRule("$A == None", "$A is None", "python")) != rule_id(
        RewriteRule("$A == None", "$A is None", "ruby")
    )
    assert len(first.id) == 12


def test_find_sites_lists_where_else_the_rule_applies_and_names_its_examples() -> None:
    [rule] = learn_rules(
        [
            ex("len(items) == 0", "not items", pr=3),
            ex("len(self.queue) == 0", "not self.queue", pr=5),
        ]
    )
    files = {
        "src/a.py": "if len(names) == 0:\n    return\n",
        "src/b.py": "ok = True\n",
        "web/c.js": "if (len(x) == 0) {}\n",
    }
    found = find_sites(rule, files)
    assert [(s.path, s.line, s.before, s.after) for s in found.sites] == [
        ("src/a.py", 1, "len(names) == 0", "not names")
    ]
    assert found.result.changed == {"src/a.py": "if not names:\n    return\n"}
    assert found.spec()["pattern"] == "len($A) == 0" and found.spec()["rule_id"] == rule.id
    assert [e["pr"] for e in found.spec()["examples"]] == [3, 5]
    assert "#3 by ann, src/a.py:3; #5 by ann, src/a.py:3" in found.rationale()
    assert "applies at 1 more place" in found.rationale()
    assert found.title() == "Apply learned rule `len($A) == 0` -> `not $A`"


def test_a_file_the_rule_would_break_is_left_alone_and_the_other_sites_stand() -> None:
    made = RewriteRule("foo($$$A)", "bar($$$A, extra=1)", "python")
    rule = LearnedRule(rule_id(made), made, (ex("foo(1)", "bar(1, extra=1)"),))
    found = find_sites(rule, {"a.py": "foo()\n", "b.py": "foo(2)\n"})
    assert found.result.changed == {"b.py": "bar(2, extra=1)\n"}
    assert list(found.result.breaking) == ["a.py"]


def test_find_sites_refuses_a_rule_that_was_not_kept() -> None:
    [alone] = learn_rules([ex("x == None", "x is None")])
    with pytest.raises(ValueError, match=f"rule {alone.id} was not kept"):
        find_sites(alone, {"a.py": "x == None\n"})


def test_edits_in_different_statements_learn_their_core_where_it_sat() -> None:
    # One reviewer fixed a loop, another a comprehension: as whole units they are two shapes of
    # one example each, but the edit itself is `d.keys()` -> `d` where something iterates.
    examples = [
        ex("for key in headers.keys():\n    pop(key)", "for key in headers:\n    pop(key)"),
        ex("[n for n in names.keys() if n]", "[n for n in names if n]", pr=2),
    ]
    learned = learn_rules(examples)
    kept = [r for r in learned if r.kept]
    assert len(kept) == 1 and len(learned) == 1  # each example is in exactly one entry
    rule = kept[0].rule
    assert rule is not None
    assert (rule.pattern, rule.fix) == ("$A.keys()", "$A")
    assert rule.inside == ("for_in_clause.right", "for_statement.right")
    assert set(kept[0].examples) == set(examples)
    code = (
        "for k in table.keys():\n    print(k)\n"
        "firsts = {k for k in other.keys()}\n"
        "view = table.keys()\n"  # not iterated: the rule leaves it alone
        "print(list(table.keys()))\n"
    )
    result = find_sites(kept[0], {"m.py": code})
    assert result.result.changed["m.py"] == (
        "for k in table:\n    print(k)\n"
        "firsts = {k for k in other}\n"
        "view = table.keys()\n"
        "print(list(table.keys()))\n"
    )
    assert "only where the match is for_in_clause.right or for_statement.right" in (
        result.rationale()
    )
    assert result.spec()["inside"] == ["for_in_clause.right", "for_statement.right"]


def test_statements_replaced_in_a_body_are_learned_as_that_run_of_statements() -> None:
    # Two functions of different shapes, each ending `if c: return True` / `return False`, which
    # became `return bool(c)`: the edit is that run of two statements, wherever a body has it.
    examples = [
        ex(
            "def ready(job):\n    if job.failed:\n        return False\n"
            "    if job.done and not job.queued:\n        return True\n    return False",
            "def ready(job):\n    if job.failed:\n        return False\n"
            "    return bool(job.done and not job.queued)",
        ),
        ex(
            "def skip(path: str) -> bool:\n    if path.startswith('.') or is_special(path):\n"
            "        return True\n    return False",
            "def skip(path: str) -> bool:\n    return bool(path.startswith('.') or is_special(path))",
            pr=2,
        ),
    ]
    [learned] = learn_rules(examples)
    assert learned.kept and learned.rule is not None
    assert (learned.rule.pattern, learned.rule.fix, learned.rule.inside) == (
        "if $A:\n    return True\nreturn False",
        "return bool($A)",
        ("block",),
    )
    code = (
        "class Gate:\n    def open(self, ask):\n        if ask.ok and self.ready:\n"
        "            return True\n        return False\n"
        "    def shut(self, ask):\n        if ask.ok:\n            return True\n"
        "        elif ask.late:\n            return True\n        return False\n"
    )
    sites = find_sites(learned, {"gate.py": code})
    assert sites.result.changed["gate.py"] == code.replace(
        "if ask.ok and self.ready:\n            return True\n        return False",
        "return bool(ask.ok and self.ready)",
    )
    # A title is one line; Markdown would run a code span's lines together, so a pattern of
    # several lines is a block of its own in the PR body.
    assert sites.title() == "Apply learned rule `if $A:` … -> `return bool($A)`"
    assert (
        "the rule \n\n```\nif $A:\n    return True\nreturn False\n```\n\n -> `return bool($A)`"
        in (sites.rationale())
    )
    assert run_core(examples[0]) is not None and run_core(examples[0]).core.before == (
        "if job.done and not job.queued:\n    return True\nreturn False"
    )


def test_a_fix_that_needed_parentheses_in_one_example_is_one_edit_with_the_others() -> None:
    # The second example already has a `not`, and its after needs parentheses: the same edit.
    examples = [
        ex("if request.ok:\n    return False\nreturn True", "return not request.ok"),
        ex(
            "if not cached or cached.stale:\n    return False\nreturn True",
            "return not (not cached or cached.stale)",
            pr=2,
        ),
    ]
    assert edit_shape(unformatted(examples[0])) == edit_shape(unformatted(examples[1]))
    [learned] = learn_rules(examples)
    assert learned.kept and learned.rule is not None
    assert (learned.rule.pattern, learned.rule.fix) == (
        "if $A:\n    return False\nreturn True",
        "return not $A",
    )
    code = "if x or y:\n    return False\nreturn True\n"
    assert rewrite(learned, code) == "return not (x or y)\n"
    assert rewrite(learned, code.replace("x or y", "x < y")) == "return not x < y\n"


def test_a_statement_deleted_from_bodies_alike_is_deleted_after_the_same_anchor_anywhere() -> None:
    # Two classes of one shape lost the `pass` after their docstring. The class around it is
    # context the edit did not touch: the rule is the docstring then `pass`, in any body.
    examples = [
        ex(
            'class NotFound(Error):\n    """Raised when it is gone."""\n\n    pass',
            'class NotFound(Error):\n    """Raised when it is gone."""',
        ),
        ex(
            'class Conflict(Error):\n    """Raised on a clash."""\n    pass',
            'class Conflict(Error):\n    """Raised on a clash."""',
            pr=2,
        ),
    ]
    [learned] = learn_rules(examples)
    assert learned.kept and learned.rule is not None and len(learned.examples) == 2
    assert (learned.rule.pattern, learned.rule.fix, learned.rule.inside) == (
        '"""$A"""\npass',
        '"""$A"""',
        ("block",),
    )
    code = (
        'def hook(event):\n    """Override me."""\n    pass\n'
        "def stub():\n    pass\n"  # `pass` alone keeps the body a body: left alone
        'class Base:\n    """Docs."""\n    x = 1\n'
    )
    assert rewrite(learned, code) == code.replace(
        '"""Override me."""\n    pass', '"""Override me."""'
    )


def test_a_deletion_with_nothing_kept_before_it_is_anchored_on_what_follows() -> None:
    core = run_core(ex("def f():\n    pass\n    x = 1", "def f():\n    x = 1"))
    assert core is not None and (core.core.before, core.core.after) == ("pass\nx = 1", "x = 1")
    # Only added: the anchor alone would match wherever it sits, not where the examples added.
    assert (
        run_core(ex("def f():\n    a()\n    b()", "def f():\n    a()\n    b()\n    return 1"))
        is None
    )
    # Deleted after a statement kept: anchored on that one.
    core = run_core(ex("if a:\n    b()\n    c()", "if a:\n    b()"))
    assert core is not None and (core.core.before, core.core.after) == ("b()\nc()", "b()")


def test_two_functions_of_one_shape_give_the_rule_of_the_run_they_replaced() -> None:
    examples = [
        ex(
            f"def {name}(job):\n    if job.{attr}:\n        return True\n    return False",
            f"def {name}(job):\n    return bool(job.{attr})",
            pr=n,
        )
        for n, (name, attr) in enumerate([("done", "finished"), ("busy", "running")], 1)
    ]
    [learned] = learn_rules(examples)
    assert learned.kept and learned.rule is not None
    # Not `def $A(job): ...`, which would rewrite only one-parameter functions of that shape.
    assert (learned.rule.pattern, learned.rule.fix) == (
        "if $A:\n    return True\nreturn False",
        "return bool($A)",
    )
    code = "class Q:\n    def empty(self, n=0):\n        if not self.items:\n            return True\n        return False\n"
    assert "return bool(not self.items)" in rewrite(learned, code)


def test_a_run_with_a_comment_in_it_is_no_core() -> None:
    commented = ex(
        "def f(x):\n    if x:\n        return True\n    # otherwise\n    return False",
        "def f(x):\n    return bool(x)",
    )
    assert run_core(commented) is None
    # Statements changed one for one are not a run: each edit has a core of its own.
    assert (
        run_core(ex("def f(x):\n    a = 1\n    b = 2", "def f(x):\n    a = 3\n    b = 4")) is None
    )


def test_a_core_needs_as_many_examples_as_a_whole_rule() -> None:
    # Two different cores (`keys()` dropped, a name replaced): no rule from either alone.
    learned = learn_rules(
        [
            ex("for key in headers.keys():\n    pop(key)", "for key in headers:\n    pop(key)"),
            ex(
                "try:\n    f()\nexcept IOError:\n    pass",
                "try:\n    f()\nexcept OSError:\n    pass",
            ),
        ]
    )
    assert not any(r.kept for r in learned)
    assert sum(len(r.examples) for r in learned) == 2


def test_an_edit_inside_type_annotations_becomes_a_rule_for_annotations_only() -> None:
    # `Optional[int]` is a `generic_type` in an annotation but a `subscript` alone: the core's
    # rule matches it as a type, so code that merely indexes `Optional` at run time is left alone.
    learned = learn_rules(
        [
            ex(
                "def f(x: Optional[int] = None) -> int:\n    return 1",
                "def f(x: int | None = None) -> int:\n    return 1",
            ),
            ex("y: Optional[str] = None", "y: str | None = None", pr=2),
        ]
    )
    kept = [r for r in learned if r.kept]
    assert len(kept) == 1 and kept[0].rule is not None
    rule = kept[0].rule
    assert (rule.pattern, rule.fix, rule.selector, rule.inside) == (
        "Optional[$A]",
        "$A | None",
        "generic_type",
        ("type",),
    )
    code = "def g(a: Optional[List[int]]) -> Optional[str]:\n    z = Optional[int]\n"
    sites = find_sites(kept[0], {"m.py": code})
    assert sites.result.changed["m.py"] == (
        "def g(a: List[int] | None) -> str | None:\n    z = Optional[int]\n"
    )
    assert sites.spec()["selector"] == "generic_type"


# --- facts: what surrounded every example ----------------------------------------------------


def from_commit(old: str, new: str, line: int, *, pr: int, path: str = "src/m.py") -> Example:
    """The example a human commit gives for line `line`, read in its file as the bot reads it."""
    derived = example_from_commit(
        path=path, old_text=old, new_text=new, start_line=line, end_line=line, author="ann", pr=pr
    )
    assert derived.example is not None, derived.reason
    return derived.example


def learned_kept(examples: list[Example]) -> list[LearnedRule]:
    return [r for r in learn_rules(examples) if r.kept]


SUPER_1 = "class Patch(Base):\n    def __init__(self):\n        super(Patch, self).__init__()\n"
SUPER_2 = "class Lookup(dict):\n    def get(self, k):\n        return super(Lookup, self).get(k)\n"


def test_a_capture_that_named_the_enclosing_class_in_every_example_must_name_it_elsewhere() -> None:
    learned = learn_rules(
        [
            from_commit(SUPER_1, SUPER_1.replace("super(Patch, self)", "super()"), 3, pr=1),
            from_commit(SUPER_2, SUPER_2.replace("super(Lookup, self)", "super()"), 3, pr=2),
        ]
    )
    [rule] = [r for r in learned if r.kept]
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.facts) == (
        "super($A, self)",
        "super()",
        ("$A names the enclosing class",),
    )
    # Skipping a class in the MRO (`super(Base, self)` inside `Child`) is another call: left alone.
    code = (
        "class Child(Base):\n"
        "    def f(self):\n"
        "        super(Child, self).f()\n"
        "        super(Base, self).f()\n"
    )
    sites = find_sites(rule, {"m.py": code})
    assert sites.result.changed["m.py"] == code.replace("super(Child, self)", "super()")
    assert "only where $A names the enclosing class" in sites.rationale()
    assert sites.spec()["facts"] == ["$A names the enclosing class"]


GET_1 = "FLAGS = {'a': 1}\n\ndef flag(name):\n    return FLAGS.get(name, None)\n"
GET_2 = "def render(**options):\n    return options.get('encoding', None)\n"


def test_a_capture_bound_to_a_dict_in_every_example_must_be_one_elsewhere() -> None:
    examples = [
        from_commit(GET_1, GET_1.replace("name, None", "name"), 4, pr=1),
        from_commit(GET_2, GET_2.replace("'encoding', None", "'encoding'"), 2, pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.facts == ("$A is a dict",)
    code = (
        "def f(cache: dict, response):\n    return cache.get('k', None), response.get('k', None)\n"
    )
    # `response.get(k, None)` may be any object's get, whose default is not None: left alone.
    assert rewrite(rule, code) == code.replace("cache.get('k', None)", "cache.get('k')")
    # Without the facts the id would be another rule's.
    assert rule.id != rule_id(dataclasses.replace(rule.rule, facts=()))


def test_a_fact_that_held_for_one_example_only_is_not_required() -> None:
    unknown = "def render(options):\n    return options.get('encoding', None)\n"
    examples = [
        from_commit(GET_1, GET_1.replace("name, None", "name"), 4, pr=1),
        from_commit(unknown, unknown.replace("'encoding', None", "'encoding'"), 2, pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.facts == ("$A is not self",)
    assert rewrite(rule, "x = load()\nx.get(1, None)\n") == "x = load()\nx.get(1)\n"


RETURNS_1 = "def first(xs):\n    for x in xs:\n        return x\n    return\n"
RETURNS_2 = "def size(path):\n    if not path:\n        return\n    return len(path)\n"


def test_a_bare_return_edited_where_the_function_returns_values_is_edited_only_there() -> None:
    examples = [
        from_commit(RETURNS_1, RETURNS_1.replace("    return\n", "    return None\n"), 4, pr=1),
        from_commit(RETURNS_2, RETURNS_2.replace("return\n", "return None\n"), 3, pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert rule.rule.facts == ("the function returns a value elsewhere",)
    code = (
        "def load(x):\n"
        "    if x:\n"
        "        return\n"
        "    return x.read()\n"
        "\n"
        "def close(x):\n"
        "    if x:\n"
        "        return\n"
        "    x.close()\n"
        "\n"
        "def reset(x):\n"
        "    if x:\n"
        "        return\n"
        "    def inner():\n"
        "        return 1\n"
        "    return None\n"
    )
    # `close` returns nothing and `reset` only None (`inner`'s value is its own): left alone.
    assert rewrite(rule, code) == code.replace("        return\n", "        return None\n", 1)
    sites = find_sites(rule, {"m.py": code})
    assert "only where the function returns a value elsewhere" in sites.rationale()


def test_a_bare_return_in_a_function_returning_nothing_gives_no_such_fact() -> None:
    nothing = "def stop(x):\n    if x:\n        return\n    x.close()\n"
    examples = [
        from_commit(RETURNS_1, RETURNS_1.replace("    return\n", "    return None\n"), 4, pr=1),
        from_commit(nothing, nothing.replace("return\n", "return None\n"), 3, pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.facts == ()


def test_an_f_string_interpolation_edit_is_learned_in_place() -> None:
    # `{x!r}` is no expression of its own: the cores are learned inside an f-string and
    # matched as `interpolation` nodes.
    examples = [
        ex('log(f"bad url {repr(url)}")', 'log(f"bad url {url!r}")'),
        ex(
            'raise E(f"{repr(t.value)} is not a type")',
            'raise E(f"{t.value!r} is not a type")',
            pr=2,
        ),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.selector) == (
        "{repr($A)}",
        "{$A!r}",
        "interpolation",
    )
    code = 'a = f"{repr(x)} and {repr(y)!s} and {repr(z):>10} {str(w)}"\nb = repr(v)\n'
    # An interpolation that has a conversion or a format of its own already is left alone.
    assert rewrite(rule, code) == code.replace("{repr(x)}", "{x!r}")


def test_an_edit_of_a_string_s_content_is_learned_for_strings_with_that_content() -> None:
    examples = [
        ex('open(path, encoding="utf8")', 'open(path, encoding="utf-8")'),
        ex("data.decode('utf8')", "data.decode('utf-8')", pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.selector) == (
        "utf8",
        "utf-8",
        "string_content",
    )
    code = 'a = ["utf8", \'utf8\', "utf8 or latin1", utf8, f"{utf8}utf8"]\n'
    # A run of string text that is all `utf8` (between quotes or interpolations); not a longer
    # text, and not the name.
    assert (
        rewrite(rule, code) == 'a = ["utf-8", \'utf-8\', "utf8 or latin1", utf8, f"{utf8}utf-8"]\n'
    )


def test_one_edit_made_at_several_spots_of_an_example_is_learned_from_each_spot() -> None:
    # Neither example has one changed subtree: each spot is a core, and the example counts once.
    examples = [
        ex('raise E(f"attribute {repr(name)} of {repr(cls.name)} undefined")',
           'raise E(f"attribute {name!r} of {cls.name!r} undefined")'),
        ex('log(f"{repr(self)} must be unique")', 'log(f"{self!r} must be unique")', pr=2),
    ]  # fmt: skip
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix) == ("{repr($A)}", "{$A!r}")
    assert len(rule.examples) == 2


def test_two_spots_of_one_example_are_not_two_examples() -> None:
    learned = learn_rules(
        [ex('x = f"{repr(a)} and {repr(b)}"', 'x = f"{a!r} and {b!r}"')], min_examples=2
    )
    assert [r.kept for r in learned] == [False]


def test_an_example_whose_spots_are_different_edits_gives_no_rule_from_its_spots() -> None:
    # Its `repr` spot is like the other example's, but a rule for it alone would not give the
    # whole example's after (`str(b)` became `b!s` too).
    learned = learn_rules(
        [
            ex('x = f"{repr(a)} and {str(b)}"', 'x = f"{a!r} and {b!s}"'),
            ex('y = f"<{repr(c)}>"', 'y = f"<{c!r}>"', pr=2),
        ]
    )
    assert not any(r.kept for r in learned)


def test_an_annotation_edit_whose_captures_were_never_strings_leaves_strings_alone() -> None:
    examples = [
        ex("x: Union[int, str] = 1", "x: int | str = 1"),
        ex("def g(b: Union[Path, bytes]) -> None:\n    pass", "def g(b: Path | bytes) -> None:\n    pass", pr=2),
    ]  # fmt: skip
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert rule.rule.facts == ("$A is not a string", "$B is not a string")
    code = 'def h(t: Union["Conn", Path], u: Union[int, Path]):\n    pass\n'
    # `"Conn" | Path` would fail when Python evaluates the def's annotations.
    assert rewrite(rule, code) == code.replace("Union[int, Path]", "int | Path")


def test_examples_whose_surroundings_were_not_read_give_no_facts() -> None:
    examples = [
        from_commit(SUPER_1, SUPER_1.replace("super(Patch, self)", "super()"), 3, pr=1),
        dataclasses.replace(
            from_commit(SUPER_2, SUPER_2.replace("super(Lookup, self)", "super()"), 3, pr=2),
            surroundings=None,  # kept before surroundings were read
        ),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.facts == ()


def test_a_string_turned_into_an_attribute_generalises_over_quotes_and_names_only() -> None:
    [rule] = learned_kept(
        [ex("getattr(g, 'run')", "g.run", pr=1), ex('getattr(node, "value")', "node.value", pr=2)]
    )
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.facts, rule.rule.any_quote) == (
        'getattr($A, "$B")',
        "$A.$B",
        ("$B is a name",),
        True,
    )
    code = "a = getattr(x, 'y')\nb = getattr(x, \"not a name\")\nc = getattr(x, name)\n"
    assert rewrite(rule, code) == code.replace("getattr(x, 'y')", "x.y")
    assert find_sites(rule, {"m.py": code}).spec()["any_quote"] is True


def test_values_the_examples_dropped_are_the_only_values_the_rule_drops() -> None:
    [rule] = learned_kept(
        [ex('open(path, "r")', "open(path)", pr=1), ex("open(f, 'rt')", "open(f)", pr=2)]
    )
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix) == ('open($A, "$B")', "open($A)")
    assert rule.rule.values == (ValueSet(name="B", values=("r", "rt")),)
    # Not any mode: the examples show that `r` and `rt` may go, not that `w` may.
    code = "open(a, 'r')\nopen(b, \"rt\")\nopen(c, 'w')\nopen(d, 'rb')\n"
    assert rewrite(rule, code) == "open(a)\nopen(b)\nopen(c, 'w')\nopen(d, 'rb')\n"
    sites = find_sites(rule, {"m.py": code})
    assert "(`$B` one of `r`, `rt`, as in the examples; no other value)" in sites.rationale()
    assert sites.spec()["values"] == [{"name": "B", "values": ["r", "rt"]}]
    assert "`$B` one of `r`, `rt`" in rule.describe()
    # The same value in either quote style is one edit, and other modes are left alone.
    [rule] = learned_kept(
        [ex('open(path, "r")', "open(path)", pr=1), ex("open(f, 'r')", "open(f)", pr=2)]
    )
    assert rule.rule is not None and (rule.rule.pattern, rule.rule.any_quote) == (
        'open($A, "r")',
        True,
    )
    assert rewrite(rule, "open(a, 'r')\nopen(b, 'w')\n") == "open(a)\nopen(b, 'w')\n"


def test_different_names_replaced_by_one_replace_only_those_names() -> None:
    learned = learn_rules(
        [
            ex("raise IOError", "raise OSError", pr=1),
            ex("raise EnvironmentError", "raise OSError", pr=2),
        ]
    )
    # Not `raise $A -> raise OSError`, which would turn `raise ValueError` into an OSError.
    [rule] = [r for r in learned if r.kept]
    assert rule.rule is not None and rule.rule.table is not None
    assert rule.rule.table.entries == (("EnvironmentError", "OSError"), ("IOError", "OSError"))
    code = "raise IOError\nraise ValueError\nraise EnvironmentError\n"
    assert rewrite(rule, code) == "raise OSError\nraise ValueError\nraise OSError\n"


def test_a_dropped_name_nothing_around_the_examples_explains_is_too_general() -> None:
    # Without the surroundings nothing says `Patch` and `Lookup` were the classes the calls sat
    # in, and `super(Base, self)` inside `Child` is another call than `super()`.
    learned = learn_rules(
        [
            ex("super(Patch, self).__init__()", "super().__init__()", pr=1),
            ex("super(Lookup, self).close()", "super().close()", pr=2),
        ]
    )
    assert not [r for r in learned if r.kept]
    assert any(
        reason.startswith(
            "too general: `$A` stands for different names in the examples (`Lookup`, `Patch`)"
        )
        and reason.endswith("drops it, so the rule would do the same to any name there")
        for reason in rejected(learned)
    ), rejected(learned)


def test_a_trailing_comma_is_formatting_and_a_keyword_can_become_a_key() -> None:
    [rule] = learned_kept(
        [
            ex("x = dict(\n    a=1,\n)", 'x = {\n    "a": 1,\n}', pr=1),
            ex("y = dict(b=2)", 'y = {"b": 2}', pr=2),
        ]
    )
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix) == ("$A = dict($B=$C)", '$A = {"$B": $C}')
    assert rewrite(rule, "z = dict(c=f(1),)\n") == 'z = {"c": f(1)}\n'


def test_only_formatting_is_set_aside_before_generalising() -> None:
    example = ex("x = (a,)\nf(a, 'b',)\ng(\"it's\", b'y',)", "x = [a]", pr=1)
    # `(a,)` is a tuple and `(a)` is not; a prefixed string or one holding a quote keeps its quotes.
    assert unformatted(example).before == 'x = (a,)\nf(a, "b")\ng("it\'s", b\'y\')'
    js = ex("f(a,)", "g(a)", pr=1, language="javascript", path="a.js")
    assert unformatted(js) == js


def test_a_fix_that_can_only_be_a_statement_applies_only_to_statements() -> None:
    [rule] = learned_kept(
        [
            ex("setattr(tp, '__args__', converted)", "tp.__args__ = converted", pr=1),
            ex('setattr(cls, "__root__", root)', "cls.__root__ = root", pr=2),
        ]
    )
    assert rule.rule is not None and rule.rule.inside == ("expression_statement",)
    code = "setattr(a, 'b', 1)\nf = lambda: setattr(a, 'c', 2)\nif x:\n    setattr(a, 'd', 3)\n"
    # An assignment inside the lambda would not parse: that call is left as it is.
    assert rewrite(rule, code) == "a.b = 1\nf = lambda: setattr(a, 'c', 2)\nif x:\n    a.d = 3\n"


OPTIONS = "def render(**options):\n    return options.get('style', None)\n"


def test_a_name_both_examples_share_is_generalised_to_the_type_it_had_in_each() -> None:
    other = "def fmt(options: dict):\n    return options.get('title', None)\n"
    [rule] = learned_kept(
        [
            from_commit(OPTIONS, OPTIONS.replace("'style', None", "'style'"), 2, pr=1),
            from_commit(other, other.replace("'title', None", "'title'"), 2, pr=2),
        ]
    )
    assert rule.rule is not None
    # Both dicts were called `options`: the edit is about a dict, not about that name. The key
    # stays in its string, so it need not be spelled as a name.
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.facts) == (
        '$B.get("$A", None)',
        '$B.get("$A")',
        ("$B is a dict",),
    )
    code = (
        "def a(options: dict):\n    return options.get('k', None)\n"
        "def b(options):\n    return options.get('k', None)\n"
        "def c(opts: dict):\n    return opts.get('k', None)\n"
    )
    assert rewrite(rule, code) == code.replace(
        "options: dict):\n    return options.get('k', None)",
        "options: dict):\n    return options.get('k')",
    ).replace("opts.get('k', None)", "opts.get('k')")


GETATTR = (
    "def test_run(self):\n"
    "    def do_it():\n"
    "        getattr(g, 'run')\n"
    "    g = make(do_it)\n"
    "    getattr(g, 'run')\n"
)


def test_one_text_twice_generalises_the_spellings_the_code_chose() -> None:
    # The same suggestion in two places of one test: which variable and which constant are
    # the code's choice there, not what the reviewer taught.
    new = GETATTR.replace("getattr(g, 'run')", "g.run")
    examples = [
        from_commit(GETATTR, new, 3, pr=1),
        from_commit(GETATTR, new, 5, pr=2),
    ]
    assert {e.before for e in examples} == {"getattr(g, 'run')"}
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.facts) == (
        'getattr($A, "$B")',
        "$A.$B",
        ("$B is a name",),
    )
    code = "x = getattr(self.conn, 'close')\ny = getattr(o, 'not a name')\nz = getattr(o, key)\n"
    assert rewrite(rule, code) == code.replace("getattr(self.conn, 'close')", "self.conn.close")


def test_a_module_name_an_import_or_self_stays_as_written_in_one_text_twice() -> None:
    flags = "import re\ndef f(p):\n    return re.compile(p, re.I)\n"
    module = "g = make()\nv = getattr(g, 'run')\nw = getattr(g, 'run')\n"
    method = "class C:\n    def f(self):\n        return getattr(self, 'run')\n"
    pairs = [
        (flags, "re.I", "re.IGNORECASE", 3, 3),
        (module, "getattr(g, 'run')", "g.run", 2, 3),
        (method, "getattr(self, 'run')", "self.run", 3, 3),
    ]
    learned = []
    for text, before, after, first, second in pairs:
        new = text.replace(before, after)
        [rule] = learned_kept(
            [from_commit(text, new, first, pr=1), from_commit(text, new, second, pr=2)]
        )
        assert rule.rule is not None
        learned.append((rule.rule.pattern, rule.rule.fix))
    # `re` is what the module imports; `g` is the module's; `self` is the class's own object.
    # The string made a name is generalised all the same.
    assert learned == [
        ("re.I", "re.IGNORECASE"),
        ('getattr(g, "$A")', "g.$A"),
        ('getattr(self, "$A")', "self.$A"),
    ]


def test_a_string_the_fix_keeps_a_string_stays_as_written() -> None:
    text = "def f(log):\n    log('start')\n"
    examples = [
        from_commit(text, text.replace("log('start')", "log.info('start')"), 2, pr=n)
        for n in (1, 2)
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix) == ('$A("start")', '$A.info("start")')


def test_without_surroundings_no_variable_is_generalised() -> None:
    examples = [ex("getattr(g, 'run')", "g.run", pr=n) for n in (1, 2)]
    assert all(e.surroundings is None for e in examples)
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.pattern == 'getattr(g, "$A")'


def test_a_shared_name_of_unknown_type_stays_as_written() -> None:
    first = "class A:\n    def f(self):\n        return self.get('x', None)\n"
    second = "class B:\n    def g(self):\n        return self.get('y', None)\n"
    [rule] = learned_kept(
        [
            from_commit(first, first.replace("'x', None", "'x'"), 3, pr=1),
            from_commit(second, second.replace("'y', None", "'y'"), 3, pr=2),
        ]
    )
    assert rule.rule is not None and rule.rule.pattern == 'self.get("$A", None)'


def test_a_rule_learned_from_cores_matches_either_quote_style_too() -> None:
    [rule] = learned_kept(
        [
            ex("x = [getattr(g, 'run'), 1]", "x = [g.run, 1]", pr=1),
            ex(
                'def f():\n    return getattr(node, "value")',
                "def f():\n    return node.value",
                pr=2,
            ),
        ]
    )
    assert rule.rule is not None and rule.rule.inside == ("list", "return_statement")
    code = "def h():\n    return getattr(a, 'b')\ny = [getattr(c, \"d\")]\n"
    assert rewrite(rule, code) == "def h():\n    return a.b\ny = [c.d]\n"


# --- lists: each item edited alike -----------------------------------------------------------

KEYWORDS_1 = ex(
    "dict(  # for 3.9\n    plat=getattr(sys, 'winver', ''),\n    abi=x,\n    tag=None,\n)",
    "{  # for 3.9\n    'plat': getattr(sys, 'winver', ''),\n    'abi': x,\n    'tag': None,\n}",
    pr=1,
)
KEYWORDS_2 = ex("dict(_call_=caller, _func_=func)", "{'_call_': caller, '_func_': func}", pr=2)


def test_an_edit_of_each_item_is_learned_whatever_the_number_of_items() -> None:
    # Three items and two: as whole units these are different shapes, and neither has a partner.
    [rule] = learned_kept([KEYWORDS_1, KEYWORDS_2])
    assert rule.rule is not None and rule.rule.each is not None
    assert (rule.rule.pattern, rule.rule.fix) == ("dict($$$ITEMS)", "{$$$ITEMS}")
    assert (rule.rule.each.pattern, rule.rule.each.fix) == ("$A=$B", '"$A": $B')
    code = "a = dict(one=1)\nb = dict(w=1, x=2, y=3, z=dict(q=4))\nc = dict()\nd = dict(**kw)\n"
    assert rewrite(rule, code) == (
        'a = {"one": 1}\nb = {"w": 1, "x": 2, "y": 3, "z": {"q": 4}}\nc = {}\nd = dict(**kw)\n'
    )
    # New strings follow the file: here most strings are single-quoted.
    assert rewrite(rule, "t = dict(k=v)\nu = 'a' + 'b'\n") == "t = {'k': v}\nu = 'a' + 'b'\n"
    sites = find_sites(rule, {"m.py": code})
    assert sites.spec()["each"] == {
        "name": "ITEMS",
        "pattern": "$A=$B",
        "context": "dict($A=$B)",
        "selector": "keyword_argument",
        "fix": '"$A": $B',
    }
    assert '(each `$A=$B` in `$$$ITEMS` written `"$A": $B`, however many items there are)' in (
        sites.rationale()
    )


def test_a_list_is_cut_item_by_item_only_when_every_item_was_edited() -> None:
    split = item_split(KEYWORDS_2)
    assert split is not None
    assert [(i.before, i.after) for i in split.items] == [
        ("dict(_call_=caller)", "{'_call_': caller}"),
        ("dict(_func_=func)", "{'_func_': func}"),
    ]
    assert (split.before_kind, split.after_kind) == ("argument_list", "dictionary")
    assert item_split(ex("f(a, b=1)", "f(a, b=2)")) is None  # `a` left alone
    assert item_split(ex("f(a, b)", "f(a)")) is None  # not one item for one
    assert item_split(ex("x = 1", "x = 2")) is None  # no list


def test_items_edited_in_different_ways_give_no_list_rule() -> None:
    learned = learn_rules(
        [
            ex("dict(a=1, b=2)", '{"a": 1, "b": 2}', pr=1),
            ex("dict(c=3, d=4, e=5)", '{"c": 3, "D": 4, "e": 5}', pr=2),
        ]
    )
    assert kept(learned) == []
    assert {e.pr for r in learned for e in r.examples} == {1, 2}


def test_a_list_edit_is_learned_from_cores_and_from_lists_of_one() -> None:
    # Different statements around the same list edit: the rule is their cores', kept to their places.
    [rule] = learned_kept(
        [
            ex("foo(x, dict(a=1))", 'foo(x, {"a": 1})', pr=1),
            ex("y = dict(b=2, c=3)", 'y = {"b": 2, "c": 3}', pr=2),
        ]
    )
    assert rule.rule is not None and rule.rule.each is not None
    assert rule.rule.inside == ("argument_list", "assignment.right")
    assert rewrite(rule, "z = dict(q=1, r=2)\nreturn_(dict(t=1))\n") == (
        'z = {"q": 1, "r": 2}\nreturn_({"t": 1})\n'
    )
    # A call left as it is, its arguments each edited; a list of one is an example like any other.
    [rule] = learned_kept(
        [
            ex("f(a=1, b=2)", "f(a=g(1), b=g(2))", pr=1),
            ex("f(c=3)", "f(c=g(3))", pr=2),
            ex("f(d=3, e=4, h=5)", "f(d=g(3), e=g(4), h=g(5))", pr=3),
        ]
    )
    assert len(rule.examples) == 3
    assert rewrite(rule, "f(x=0, y=1)\nf(z)\n") == "f(x=g(0), y=g(1))\nf(z)\n"


def test_an_emptied_list_edited_alike_joins_a_list_rule() -> None:
    # `dict()` alone has no item to learn from; beside an edit of each item it is the same edit.
    [rule] = learned_kept(
        [ex("dict()", "{}", pr=1), ex("dict(a=1, b=x)", '{"a": 1, "b": x}', pr=2)]
    )
    assert rule.rule is not None and rule.rule.each is not None and len(rule.examples) == 2
    assert rewrite(rule, "p = dict()\nq = dict(c=3)\n") == 'p = {}\nq = {"c": 3}\n'
    # Two emptied lists are a plain rule, with nothing to say about items.
    assert kept(learn_rules([ex("dict()", "{}", pr=1), ex("dict( )", "{}", pr=2)])) == [
        ("dict()", "{}")
    ]


def in_file(text: str, before: str, after: str, *, pr: int) -> Example:
    """An example cut from `text` at `before`, with what surrounded it there."""
    start = text.index(before)
    return dataclasses.replace(
        ex(before, after, pr=pr),
        surroundings=surroundings_of(text, (start, start + len(before)), language="python"),
    )


FUTURE = "from __future__ import annotations\n"


def test_an_edit_of_annotations_made_where_they_are_never_evaluated_applies_only_there() -> None:
    a = "class V:\n    pre: Optional['Checks'] = None\n"
    b = 'def render(self, task: "Task") -> Text:\n    return 1\n'
    [rule] = learned_kept(
        [
            in_file(
                FUTURE + a, "pre: Optional['Checks'] = None", "pre: Optional[Checks] = None", pr=1
            ),
            in_file(FUTURE + b, b.rstrip(), b.rstrip().replace('"Task"', "Task"), pr=2),
        ]
    )
    assert rule.rule is not None
    assert "the annotation is never evaluated" in rule.rule.facts
    code = "def f(t: 'T') -> 'U': pass\n"
    assert rewrite(rule, code) == code  # evaluated annotations keep their quotes
    assert rewrite(rule, FUTURE + code) == FUTURE + "def f(t: T) -> U: pass\n"
    # A string in `Literal[...]` is a value, not a quoted type.
    assert "$A names a type" in rule.rule.facts
    assert rewrite(rule, FUTURE + "x: Literal['a'] = 1\n") == FUTURE + "x: Literal['a'] = 1\n"
    # Without the import around the examples, nothing says where the edit is right: no such fact.
    [plain] = learned_kept(
        [
            in_file(a, "pre: Optional['Checks'] = None", "pre: Optional[Checks] = None", pr=1),
            in_file(b, b.rstrip(), b.rstrip().replace('"Task"', "Task"), pr=2),
        ]
    )
    assert plain.rule is not None and "the annotation is never evaluated" not in plain.rule.facts
    # A local variable's annotation is never evaluated, with or without the import.
    m1 = "class V:\n    def __init__(self):\n        self.pre: Optional['Checks'] = None\n"
    m2 = "def load():\n    seen: 'Seen' = set()\n"
    [local] = learned_kept(
        [
            in_file(
                m1, "self.pre: Optional['Checks'] = None", "self.pre: Optional[Checks] = None", pr=1
            ),
            in_file(m2, "seen: 'Seen' = set()", "seen: Seen = set()", pr=2),
        ]
    )
    assert local.rule is not None and "the annotation is never evaluated" in local.rule.facts
    code = "def f(t: 'T'):\n    u: 'U' = t\n"
    assert rewrite(local, code) == "def f(t: 'T'):\n    u: U = t\n"


def test_unevaluated_annotations_say_nothing_about_an_edit_outside_annotations() -> None:
    [rule] = learned_kept(
        [
            in_file(FUTURE + "a = x == None\n", "x == None", "x is None", pr=1),
            in_file(FUTURE + "b = y == None\n", "y == None", "y is None", pr=2),
        ]
    )
    assert rule.rule is not None and rule.rule.facts == ()


def test_an_example_that_is_all_core_joins_the_core_of_another() -> None:
    [rule] = learned_kept(
        [
            ex('cast(bytes, getattr(self, "body"))', "cast(bytes, self.body)", pr=1),
            ex("getattr(g, 'run')", "g.run", pr=2),
        ]
    )
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix) == ('getattr($A, "$B")', "$A.$B")
    # The bare example sat nobody knows where, so the rule is not kept to the other's place.
    assert rule.rule.inside == ()
    assert rewrite(rule, "x = getattr(o, 'k')\nf(getattr(o, \"j\"))\n") == "x = o.k\nf(o.j)\n"


def test_the_sites_of_a_learned_rule_leave_lines_marked_noqa_alone() -> None:
    [rule] = learned_kept([ex("x == None", "x is None", pr=1), ex("y == None", "y is None", pr=2)])
    sites = find_sites(rule, {"m.py": "a = p == None  # noqa: E711\nb = q == None\n"})
    assert [(s.line, s.after) for s in sites.sites] == [(2, "q is None")]
    assert sites.result.marked == (("m.py", 1),)


# --- name tables -----------------------------------------------------------------------------


def test_attributes_renamed_to_names_the_pattern_cannot_give_become_a_name_table() -> None:
    examples = [
        ex("flags = re.I", "flags = re.IGNORECASE"),
        ex("re.compile(p, re.X)", "re.compile(p, re.VERBOSE)", pr=2),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.table is not None
    assert (rule.rule.pattern, rule.rule.fix) == ("re.$A", "re.$B")
    assert rule.rule.table.entries == (("I", "IGNORECASE"), ("X", "VERBOSE"))
    # Placed as a core rule is: where the examples' attributes sat.
    assert rule.rule.inside == ("argument_list", "assignment.right")
    code = "a = re.I\nb = f(re.X, re.M)\nc = f(other.I)\n"
    # `re.M` was never renamed, and `other.I` is not `re.I`.
    assert rewrite(rule, code) == "a = re.IGNORECASE\nb = f(re.VERBOSE, re.M)\nc = f(other.I)\n"
    sites = find_sites(rule, {"m.py": code})
    assert "`I` → `IGNORECASE`, `X` → `VERBOSE`; no other name" in sites.rationale()
    assert sites.spec()["table"] == {
        "source": "A",
        "target": "B",
        "entries": [["I", "IGNORECASE"], ["X", "VERBOSE"]],
    }
    # The table is part of what the rule is.
    fewer = NameTable(source="A", target="B", entries=(("I", "IGNORECASE"),))
    assert rule.id != rule_id(dataclasses.replace(rule.rule, table=fewer))


def test_whole_examples_that_rename_an_attribute_give_a_table_rule_anywhere() -> None:
    [rule] = learned_kept([ex("re.I", "re.IGNORECASE"), ex("re.X", "re.VERBOSE", pr=2)])
    assert rule.rule is not None and rule.rule.inside == ()
    assert rule.describe().endswith(
        "`re.$A` -> `re.$B` (`$B` by `$A`: `I` → `IGNORECASE`, `X` → `VERBOSE`) [2 example(s)] kept"
    )
    assert rewrite(rule, "x = re.I | re.X\n") == "x = re.IGNORECASE | re.VERBOSE\n"


@pytest.mark.parametrize(
    "examples",
    [
        # One old name renamed two ways: the old name does not decide the new one.
        [ex("x = re.I", "x = re.IGNORECASE"), ex("y = re.I", "y = re.ICASE", pr=2)],
        # Bare names renamed to different names: two one-off renames, nothing they share.
        [ex("raise IOError", "raise OSError"), ex("raise KeyError", "raise LookupError", pr=2)],
        # Only one example renames.
        [ex("x = re.I", "x = re.IGNORECASE"), ex("y = 1", "y = 2", pr=2)],
    ],
)
def test_renames_that_do_not_make_a_table_give_no_table_rule(examples: list[Example]) -> None:
    assert not any(r.rule is not None and r.rule.table is not None for r in learned_kept(examples))


def test_different_names_replaced_by_one_become_a_table_of_exactly_those_names() -> None:
    examples = [
        ex("try:\n    f()\nexcept IOError:\n    pass", "try:\n    f()\nexcept OSError:\n    pass"),
        ex(
            "try:\n    g()\nexcept socket.error as e:\n    log(e)",
            "try:\n    g()\nexcept OSError as e:\n    log(e)",
            pr=2,
        ),
    ]
    [rule] = learned_kept(examples)
    assert rule.rule is not None and rule.rule.table is not None
    assert (rule.rule.pattern, rule.rule.fix) == ("$A", "$B")
    assert rule.rule.table.entries == (("IOError", "OSError"), ("socket.error", "OSError"))
    assert rule.rule.inside == ("as_pattern", "except_clause.value")
    code = (
        "try:\n    f()\nexcept IOError:\n    pass\n"
        "except (socket.error, ValueError) as e:\n    raise IOError(e)\n"
        "except EnvironmentError:\n    pass\n"
    )
    # Only where the examples' names sat (not in a tuple, not raised), and only their names.
    assert rewrite(rule, code) == code.replace("except IOError:", "except OSError:")


def test_one_name_replaced_twice_is_no_table() -> None:
    examples = [
        ex("try:\n    f()\nexcept IOError:\n    pass", "try:\n    f()\nexcept OSError:\n    pass"),
        ex("x = IOError", "x = OSError", pr=2),
    ]
    assert not any(r.rule is not None and r.rule.table is not None for r in learn_rules(examples))


def test_an_argument_deleted_before_others_is_deleted_whatever_follows_it() -> None:
    [rule] = learned_kept(
        [
            ex("open(filepath, 'r')", "open(filepath)", pr=1),
            ex(
                "open(__file__, \"rt\", encoding='utf-8')", "open(__file__, encoding='utf-8')", pr=2
            ),
        ]
    )
    assert rule.rule is not None
    assert (rule.rule.pattern, rule.rule.fix, rule.rule.rest) == (
        'open($A, "$B", $$$REST)',
        "open($A, $$$REST)",
        "REST",
    )
    code = (
        "open(a, 'r')\n"
        "with open(b, 'rt', newline='') as f:\n    pass\n"
        "open(c, 'w', encoding=e)\n"
        "open(d, 'r',)\n"
    )
    assert rewrite(rule, code) == (
        "open(a)\nwith open(b, newline='') as f:\n    pass\nopen(c, 'w', encoding=e)\nopen(d)\n"
    )
    sites = find_sites(rule, {"m.py": code})
    assert sites.spec()["rest"] == "REST"
    assert "(`$$$REST` may be empty)" in sites.rationale()


def test_a_deletion_is_held_to_what_its_examples_show() -> None:
    # Nothing followed the deleted argument in either example: what may follow is not known.
    [rule] = learned_kept([ex("f(a, 1)", "f(a)", pr=1), ex("f(b, 2)", "f(b)", pr=2)])
    assert rule.rule is not None and rule.rule.rest is None
    assert rewrite(rule, "f(c, 1)\nf(d, 1, e)\nf(g, 3)\n") == "f(c)\nf(d, 1, e)\nf(g, 3)\n"
    # A deleted name means what its code binds it to: deleting `y` and `b` is no rule.
    learned = learn_rules([ex("f(x, y, z)", "f(x, z)", pr=1), ex("f(a, b, c)", "f(a, c)", pr=2)])
    assert not [r for r in learned if r.kept]


def test_a_method_called_on_what_was_never_self_is_not_rewritten_on_self() -> None:
    [rule] = learned_kept(
        [
            ex(
                "for key in headers.keys():\n    drop(key)",
                "for key in headers:\n    drop(key)",
                pr=1,
            ),
            ex("for k in d.keys():\n    print(k)", "for k in d:\n    print(k)", pr=2),
        ]
    )
    assert rule.rule is not None and rule.rule.facts == ("$B is not self",)
    # A class's own `keys()` need not be what iterating over it gives.
    code = "for k in self.keys():\n    f(k)\nfor k in self.names.keys():\n    f(k)\n"
    assert rewrite(rule, code) == code.replace("self.names.keys()", "self.names")
