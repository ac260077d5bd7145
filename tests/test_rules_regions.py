"""Changed units: what changed between two versions of a file, cut to whole syntactic units."""

from __future__ import annotations

import pytest
from ast_grep_py import SgRoot

from bot.rules import ExampleError, RewriteError, edit_regions, syntax_problems


def pairs(before: str, after: str, language: str = "python") -> list[tuple[str, str]]:
    return [(r.before, r.after) for r in edit_regions(before, after, language=language)]


def parses(snippet: str, language: str = "python") -> bool:
    return not syntax_problems(SgRoot(snippet, language).root())


def test_a_changed_operator_is_cut_to_its_expression_with_lines_and_spans() -> None:
    before = "def f(x):\n    if x == None:\n        return 1\n    return 2\n"
    after = "def f(x):\n    if x is None:\n        return 1\n    return 2\n"
    [region] = edit_regions(before, after, language="python")
    assert (region.before, region.after) == ("x == None", "x is None")
    assert (region.start_line, region.end_line, region.after_start_line) == (2, 2, 2)
    assert before[slice(*region.before_span)] == "x == None"
    assert after[slice(*region.after_span)] == "x is None"


def test_separate_edits_are_separate_regions_in_order() -> None:
    before = "a = len(items) == 0\nkeep = 1\nb = d.has_key(k)\n"
    after = "a = not items\nkeep = 1\nb = k in d\n"
    assert pairs(before, after) == [("len(items) == 0", "not items"), ("d.has_key(k)", "k in d")]


def test_two_edits_in_one_expression_are_one_region() -> None:
    assert pairs("data = open(f).read()\n", "data = Path(f).read_text()\n") == [
        ("open(f).read", "Path(f).read_text")
    ]


def test_a_renamed_identifier_keeps_its_call_or_attribute() -> None:
    assert pairs("self.assertEquals(a, b)\n", "self.assertEqual(a, b)\n") == [
        ("self.assertEquals", "self.assertEqual")
    ]


def test_unwrapping_is_cut_with_what_holds_it() -> None:
    # `d.keys()` -> `d` alone would teach "drop .keys() everywhere"; the context says when.
    assert pairs("if k in self.d.keys():\n    go()\n", "if k in self.d:\n    go()\n") == [
        ("k in self.d.keys()", "k in self.d")
    ]
    assert pairs("y = x == True\n", "y = x\n") == [("y = x == True", "y = x")]
    assert pairs("y = foo(a)\n", "y = list(foo(a))\n") == [("y = foo(a)", "y = list(foo(a))")]


def test_deletions_and_insertions_lean_on_their_statement() -> None:
    assert pairs("def f():\n    return None\n", "def f():\n    return\n") == [
        ("return None", "return")
    ]
    assert pairs("foo(a)\nbar(b)\n", "foo(a, c)\nbar(b)\n") == [("foo(a)", "foo(a, c)")]
    # At the top level a deleted or added statement comes with its neighbour, as a run.
    assert pairs("a = 1\nb = 2\nc = 3\n", "a = 1\nc = 3\n") == [("a = 1\nb = 2", "a = 1")]


def test_inside_a_body_the_unit_is_the_enclosing_statement_not_a_run() -> None:
    before = 'class A:\n    """Doc."""\n    pass\n'
    after = 'class A:\n    """Doc."""\n'
    assert pairs(before, after) == [
        ('class A:\n    """Doc."""\n    pass', 'class A:\n    """Doc."""')
    ]


def test_a_statement_moved_into_a_block_is_a_change_of_the_block() -> None:
    assert pairs("if a:\n    b()\nc()\n", "if a:\n    b()\n    c()\n") == [
        ("if a:\n    b()\nc()", "if a:\n    b()\n    c()")
    ]


def test_whitespace_inside_a_line_is_not_a_change() -> None:
    assert edit_regions("x = foo( a )\n", "x = foo(a)\n", language="python") == []
    assert edit_regions("x = 1\n", "x = 1\n", language="python") == []


def test_nested_multi_line_units_are_dedented_so_they_parse_alone() -> None:
    before = "class A:\n    def f(self):\n        if c:\n            x = 1\n        else:\n            x = 2\n        return x\n"
    after = "class A:\n    def f(self):\n        x = 1 if c else 2\n        return x\n"
    [region] = edit_regions(before, after, language="python")
    assert region.after == "x = 1 if c else 2"
    assert region.before.startswith("if c:\n    x = 1\nelse:\n")  # dedented
    assert (region.start_line, region.end_line) == (3, 6)
    assert parses(region.before) and parses(region.after)


def test_every_region_parses_on_its_own() -> None:
    before = (
        "import os\n\n\nclass Config(object):\n    def load(self, path):\n"
        "        if path == None:\n            return dict()\n        data = open(path).read()\n"
        "        return [line for line in data.splitlines()]\n"
    )
    after = (
        "import os\n\n\nclass Config:\n    def load(self, path):\n"
        "        if path is None:\n            return {}\n        data = Path(path).read_text()\n"
        "        return list(data.splitlines())\n"
    )
    regions = edit_regions(before, after, language="python")
    assert regions  # the class header change takes in the whole class
    for region in regions:
        assert parses(region.before) and parses(region.after), region


def test_javascript_statements_keep_their_semicolon() -> None:
    assert pairs("var x = y;\nlet z = 1;\n", "const x = y;\nlet z = 1;\n", "javascript") == [
        ("var x = y;", "const x = y;")
    ]


def test_a_text_that_does_not_parse_is_refused() -> None:
    with pytest.raises(ExampleError, match="the before of the text does not parse"):
        edit_regions("def f(:\n", "def f():\n    pass\n", language="python")
    with pytest.raises(RewriteError):
        edit_regions("a", "b", language="cobol")
