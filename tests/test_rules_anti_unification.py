"""Anti-unification: the most specific pattern and fix shared by before/after examples."""

from __future__ import annotations

import pytest

from bot.rules import Example
from bot.rules.anti_unification import GeneralizationError, anti_unify, parse_example, unit_node


def ex(before: str, after: str, *, language: str = "python", path: str = "a.py") -> Example:
    return Example(before=before, after=after, path=path, language=language, source="suggestion")


def rule(
    *pairs: tuple[str, str], lift_carried: bool = True, language: str = "python"
) -> tuple[str, str]:
    path = {"python": "a.py", "javascript": "a.js"}[language]
    g = anti_unify(
        [ex(b, a, language=language, path=path) for b, a in pairs], lift_carried=lift_carried
    )
    return g.pattern, g.fix


def test_a_difference_becomes_a_metavariable_the_fix_reuses() -> None:
    assert rule(("x == None", "x is None"), ("count == None", "count is None")) == (
        "$A == None",
        "$A is None",
    )


def test_the_same_difference_in_before_and_after_has_one_name_wherever_it_moves() -> None:
    assert rule(("d.has_key(k)", "k in d"), ("cache.has_key(key)", "key in cache")) == (
        "$A.has_key($B)",
        "$B in $A",
    )
    # The same pair of texts twice in the pattern is one metavariable: ast-grep then requires both
    # places to match the same code, which is what makes this an identity comprehension.
    assert rule(("[x for x in y]", "list(y)"), ("[k for k in d.keys()]", "list(d.keys())")) == (
        "[$A for $A in $B]",
        "list($B)",
    )


def test_what_all_examples_share_stays_literal() -> None:
    assert rule(
        ("self.assertEquals(a, 1)", "self.assertEqual(a, 1)"),
        ("self.assertEquals(b, 1)", "self.assertEqual(b, 1)"),
        lift_carried=False,
    ) == (
        "self.assertEquals($A, 1)",
        "self.assertEqual($A, 1)",
    )
    g = anti_unify([ex("x == None", "x is None")])
    assert (g.pattern, g.fix, g.bindings) == ("x == None", "x is None", {})


def test_carried_bodies_and_bases_match_any_length() -> None:
    # The loop's body and the class's bases come through unchanged: they are context, and a rule
    # learned from one-statement bodies or one base applies to any.
    assert rule(
        ("for k in d.keys():\n    print(k)", "for k in d:\n    print(k)"),
        (
            "for key in headers.keys():\n    if key:\n        pop(key)",
            "for key in headers:\n    if key:\n        pop(key)",
        ),
    ) == ("for $A in $B.keys():\n    $$$C", "for $A in $B:\n    $$$C")
    assert rule(
        ('class A(Base):\n    """A."""\n    pass', 'class A(Base):\n    """A."""'),
        ('class B(Event):\n    """B."""\n    pass', 'class B(Event):\n    """B."""'),
    ) == ('class $A($$$B):\n    """$C"""\n    pass', 'class $A($$$B):\n    """$C"""')
    # Arguments are not context: the called function reads them, and `open(p, "rb")` must not
    # become `Path(p, "rb")` by a rule learned from `open(p)`.
    assert rule(
        ("open(a).read()", "Path(a).read_text()"), ("open(b).read()", "Path(b).read_text()")
    ) == ("open($A).read()", "Path($A).read_text()")


def test_carried_context_is_one_metavariable_not_a_partial_literal() -> None:
    pairs = (
        ("self.value == None", "self.value is None"),
        ("other.value == None", "other.value is None"),
    )
    assert rule(*pairs) == ("$A == None", "$A is None")
    assert rule(*pairs, lift_carried=False) == ("$A.value == None", "$A.value is None")
    # Walking into carried context is kept when it adds no literal of its own.
    assert rule(
        ("var x = y", "const x = y"),
        ("var total = f(a)", "const total = f(a)"),
        language="javascript",
    ) == (
        "var $A = $B",
        "const $A = $B",
    )


def test_lists_of_different_length_become_a_sequence_metavariable() -> None:
    assert rule(
        ("super(A, self).__init__(x)", "super().__init__(x)"),
        ("super(B, self).save(a, b=2)", "super().save(a, b=2)"),
    ) == (
        "super($A, self).$B($$$C)",
        "super().$B($$$C)",
    )
    assert rule(
        ("class A(object):\n    x = 1", "class A:\n    x = 1"),
        ("class B(object):\n    y = 1\n    z = 2", "class B:\n    y = 1\n    z = 2"),
    ) == (
        "class $A(object):\n    $$$B",
        "class $A:\n    $$$B",
    )


def test_bindings_name_what_each_metavariable_covers_per_example() -> None:
    g = anti_unify(
        [ex("len(items) == 0", "not items"), ex("len(self.queue) == 0", "not self.queue")]
    )
    assert (g.pattern, g.fix, g.language) == ("len($A) == 0", "not $A", "python")
    assert g.bindings == {"A": ("items", "self.queue")}


def test_a_fix_that_differs_where_the_pattern_captured_nothing_is_refused() -> None:
    with pytest.raises(
        GeneralizationError, match="the fixes differ in `assertEqual` vs `assertNotEqual`"
    ):
        rule(
            ("self.assertEquals(a, b)", "self.assertEqual(a, b)"),
            ("self.assertNotEquals(a, b)", "self.assertNotEqual(a, b)"),
        )


def test_a_dropped_name_that_differs_means_different_edits() -> None:
    with pytest.raises(GeneralizationError, match=r"name different things \(`len` vs `size`\)"):
        rule(("len(a) == 0", "not a"), ("size(b) == 0", "not b"))


def test_examples_with_nothing_in_common_are_refused() -> None:
    with pytest.raises(GeneralizationError, match="where no metavariable can stand"):
        rule(("x == None", "x is None"), ("foo(x)", "bar(x)"))
    with pytest.raises(GeneralizationError, match="the fixes differ in `not x` vs `x is None`"):
        rule(("x == None", "x is None"), ("len(x) == 0", "not x"))


def test_bad_inputs_are_refused_with_the_reason() -> None:
    with pytest.raises(GeneralizationError, match="at least one example"):
        anti_unify([])
    with pytest.raises(GeneralizationError, match="different languages: javascript, python"):
        anti_unify(
            [
                ex("x == None", "x is None"),
                ex("x == null", "x === null", language="javascript", path="a.js"),
            ]
        )
    with pytest.raises(
        GeneralizationError, match=r"the before of example 1 \(suggestion, a.py\) does not parse"
    ):
        anti_unify([ex("x ==", "x is None")])


def test_a_run_of_statements_generalises_statement_by_statement() -> None:
    g = anti_unify(
        [
            ex("if ok(a):\n    return True\nreturn False", "return bool(ok(a))"),
            ex("if b.c and d:\n    return True\nreturn False", "return bool(b.c and d)"),
        ]
    )
    assert (g.pattern, g.fix) == ("if $A:\n    return True\nreturn False", "return bool($A)")


def test_parentheses_an_after_adds_only_to_keep_binding_are_not_the_fixs() -> None:
    # `not (a or b)` and `not c.d`: the parentheses are there because `or` binds looser than
    # `not`; the rule writes them where needed (bot.rules.rewriting).
    g = anti_unify(
        [
            ex("if a or b:\n    return False\nreturn True", "return not (a or b)"),
            ex("if c.d:\n    return False\nreturn True", "return not c.d"),
        ]
    )
    assert g.fix == "return not $A"
    # Parentheses every after has are the fix's own.
    same = anti_unify([ex("print(x)", "log((x))"), ex("print(y.z)", "log((y.z))")])
    assert same.fix == "log(($A))"


def test_the_unit_of_a_snippet_skips_wrappers_that_add_nothing() -> None:
    parsed = parse_example(ex("foo(a)", "bar(a)"))
    assert (parsed.before.kind(), parsed.after.kind()) == ("call", "call")
    js = parse_example(ex("foo(a);", "bar(a);", language="javascript", path="a.js"))
    assert js.before.kind() == "call_expression"  # the statement adds only its `;`
    assert unit_node(parse_example(ex("x = 1", "x = 2")).before_root.root()).kind() == "assignment"


def test_a_carried_callee_keeps_the_name_it_calls() -> None:
    # `_styles.get` and `opts.get` are carried into the fix, but `.get` is what the edit is about.
    assert rule(
        ("_styles.get(token, None)", "_styles.get(token)"),
        ("opts.get('name', None)", "opts.get('name')"),
    ) == (
        "$A.get($B, None)",
        "$A.get($B)",
    )
