"""Examples: changed units cut from two versions of a file, and examples from suggestions and commits."""

from __future__ import annotations

import pytest
from ast_grep_py import SgRoot

from bot.rules import (
    Example,
    ExampleError,
    RewriteError,
    Surroundings,
    edit_regions,
    example_from_commit,
    example_from_suggestion,
    syntax_problems,
)
from bot.signals import Suggestion


def pairs(before: str, after: str, language: str = "python") -> list[tuple[str, str]]:
    return [(r.before, r.after) for r in edit_regions(before, after, language=language)]


def parses(snippet: str, language: str = "python") -> bool:
    return not syntax_problems(SgRoot(snippet, language).root())


# --- Example -------------------------------------------------------------------------------


def test_example_checks_its_fields_and_names_its_language_as_ast_grep_does() -> None:
    example = Example(
        before="x == None",
        after="x is None",
        path="a.py",
        language="py",
        source="suggestion",
        pr=3,
        author="ann",
        line=7,
    )
    assert example.language == "python"
    assert example.outcome is None
    assert example.describe() == "#3 by ann, a.py:7"
    with pytest.raises(ExampleError, match="unknown example source 'chat'"):
        Example(before="a", after="b", path="a.py", language="python", source="chat")
    with pytest.raises(ExampleError, match="same text"):
        Example(before="a", after="a", path="a.py", language="python", source="suggestion")
    with pytest.raises(ExampleError, match="empty"):
        Example(before="  ", after="a", path="a.py", language="python", source="suggestion")
    with pytest.raises(RewriteError, match="does not support the language 'cobol'"):
        Example(before="a", after="b", path="a.cob", language="cobol", source="suggestion")


# --- edit_regions --------------------------------------------------------------------------


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


# --- from a suggestion ---------------------------------------------------------------------

OLD = "import os\n\n\ndef load(path):\n    if path == None:\n        return None\n    return open(path).read()\n"


def suggestion(
    before: str | None = "    if path == None:\n",
    after: str = "    if path is None:\n",
    start: int = 5,
    end: int = 5,
) -> Suggestion:
    return Suggestion(
        path="src/load.py", start_line=start, end_line=end, before=before, after=after
    )


def test_an_applied_suggestion_gives_the_changed_expression() -> None:
    new = OLD.replace("path == None", "path is None")
    derived = example_from_suggestion(suggestion(), old_text=OLD, new_text=new, author="bob", pr=12)
    assert derived and derived.reason is None
    example = derived.example
    assert example is not None
    assert (example.before, example.after) == ("path == None", "path is None")
    assert (example.path, example.language, example.source) == (
        "src/load.py",
        "python",
        "suggestion",
    )
    assert (example.author, example.pr, example.line, example.outcome) == ("bob", 12, 5, None)


def test_a_suggestion_is_found_where_later_edits_above_moved_it() -> None:
    new = "import os\nimport sys\nimport re\n\n\ndef load(path):\n    if path is None:\n        return None\n    return open(path).read()\n"
    derived = example_from_suggestion(suggestion(), old_text=OLD, new_text=new)
    assert derived.example is not None and derived.example.after == "path is None"


def test_a_suggestion_whose_lines_are_not_in_the_later_file_was_not_applied() -> None:
    derived = example_from_suggestion(suggestion(), old_text=OLD, new_text=OLD)
    assert derived.example is None
    assert (
        derived.reason
        == "not applied: the later src/load.py does not have the suggested lines near line 5"
    )
    rewritten = OLD.replace("    if path == None:\n", "    if not path:\n")
    assert example_from_suggestion(
        suggestion(), old_text=OLD, new_text=rewritten
    ).reason.startswith("not applied")  # type: ignore[union-attr]


def test_suggested_lines_far_from_the_place_do_not_count() -> None:
    # The author added the suggested line somewhere else and left the original one.
    new = OLD + "\n" * 20 + "def other(path):\n    if path is None:\n        pass\n"
    derived = example_from_suggestion(suggestion(), old_text=OLD, new_text=new)
    assert derived.example is None and "does not have the suggested lines" in (derived.reason or "")


def test_a_suggestion_next_to_the_line_it_replaces_was_not_applied() -> None:
    new = OLD.replace("    if path == None:\n", "    if path is None:\n    if path == None:\n")
    derived = example_from_suggestion(suggestion(), old_text=OLD, new_text=new)
    assert (
        derived.reason
        == "not applied: the later src/load.py still has the lines the suggestion replaces near line 5"
    )


def test_a_suggestion_that_keeps_its_line_and_adds_one_counts_as_applied() -> None:
    s = suggestion(
        before="    return open(path).read()\n",
        after="    with open(path) as f:\n        return f.read()\n",
        start=7,
        end=7,
    )
    new = OLD.replace(
        "    return open(path).read()\n", "    with open(path) as f:\n        return f.read()\n"
    )
    derived = example_from_suggestion(s, old_text=OLD, new_text=new)
    assert derived.example is not None
    assert derived.example.before == "return open(path).read()"
    assert derived.example.after == "with open(path) as f:\n    return f.read()"


def test_a_suggestion_without_its_before_reads_the_lines_from_the_file() -> None:
    new = OLD.replace("path == None", "path is None")
    derived = example_from_suggestion(suggestion(before=None), old_text=OLD, new_text=new)
    assert derived.example is not None and derived.example.before == "path == None"


def test_bad_suggestions_give_reasons_not_examples() -> None:
    new = OLD.replace("path == None", "path is None")
    cases = {
        "at the suggestion's commit, src/load.py:5-5 is not the code the suggestion replaces": suggestion(
            before="    if x == None:\n"
        ),
        "lines 40-41 are outside src/load.py, which has 7 lines at that commit": suggestion(
            start=40, end=41
        ),
        "line range 5-4 is not a range of lines (they count from 1, start <= end)": suggestion(
            start=5, end=4
        ),
        "the suggestion does not change src/load.py:5-5": suggestion(
            after="    if path == None:  \n"
        ),
    }
    for reason, bad in cases.items():
        derived = example_from_suggestion(bad, old_text=OLD, new_text=new)
        assert (derived.example, derived.reason) == (None, reason)
    txt = Suggestion(path="notes.txt", start_line=1, end_line=1, before="a\n", after="b\n")
    assert (
        example_from_suggestion(txt, old_text="a\n", new_text="b\n").reason
        == "notes.txt: ast-grep has no grammar for this kind of file"
    )
    broken = Suggestion(path="b.py", start_line=1, end_line=1, before="x = (\n", after="x = [\n")
    reason = example_from_suggestion(broken, old_text="x = (\n", new_text="x = [\n").reason
    assert reason is not None and reason.startswith("the before of b.py does not parse")


# --- from a human commit -------------------------------------------------------------------


def test_a_commit_that_changed_the_commented_lines_gives_their_change() -> None:
    new = OLD.replace("return open(path).read()", "return Path(path).read_text()").replace(
        "import os", "import pathlib"
    )
    derived = example_from_commit(
        path="src/load.py", old_text=OLD, new_text=new, start_line=7, end_line=7, author="cy", pr=4
    )
    assert derived.example is not None
    assert (derived.example.before, derived.example.after) == (
        "open(path).read",
        "Path(path).read_text",
    )
    assert (derived.example.source, derived.example.line, derived.example.author) == (
        "human_commit",
        7,
        "cy",
    )


def test_a_commit_that_changed_other_lines_gives_no_example() -> None:
    new = OLD.replace("import os", "import pathlib")
    derived = example_from_commit(
        path="src/load.py", old_text=OLD, new_text=new, start_line=5, end_line=6
    )
    assert derived == type(derived)(None, "the commit did not change src/load.py:5-6")
    assert example_from_commit(
        path="src/load.py", old_text=OLD, new_text=new, start_line=9, end_line=9
    ).reason == ("lines 9-9 are outside src/load.py, which has 7 lines at that commit")


def test_several_changes_in_the_commented_lines_are_one_example() -> None:
    old = "def f(a, b):\n    x = a == None\n    y = b == None\n    return x, y\n"
    new = "def f(a, b):\n    x = a is None\n    y = b is None\n    return x, y\n"
    derived = example_from_commit(path="f.py", old_text=old, new_text=new, start_line=2, end_line=3)
    assert derived.example is not None
    assert derived.example.before.startswith("def f(a, b):")  # the unit holding both statements
    assert "a is None" in derived.example.after and "b is None" in derived.example.after
    one = example_from_commit(path="f.py", old_text=old, new_text=new, start_line=3, end_line=3)
    assert one.example is not None and (one.example.before, one.example.after) == (
        "b == None",
        "b is None",
    )


def test_code_added_where_there_was_none_gives_no_example() -> None:
    derived = example_from_commit(
        path="a.py", old_text="\n", new_text="x = 1\n", start_line=1, end_line=1
    )
    assert derived == type(derived)(
        None, "a.py:1: an example needs the code it changed; `before` is empty"
    )


def test_an_example_from_a_commit_keeps_what_surrounded_it_in_the_file() -> None:
    old = (
        "CACHE = {}\n"
        "class Loader(Base):\n"
        "    def load(self, key, seen: set):\n"
        "        return CACHE.get(key, None) or seen\n"
    )
    new = old.replace("CACHE.get(key, None)", "CACHE.get(key)")
    derived = example_from_commit(
        path="src/l.py", old_text=old, new_text=new, start_line=4, end_line=4
    )
    assert derived.example is not None
    # The example is the call the commit changed: `seen` is outside it, `CACHE` is read in it.
    assert derived.example.before == "CACHE.get(key, None)"
    assert derived.example.surroundings == Surroundings(
        enclosing_class="Loader",
        types=(("CACHE", "dict"),),
        unevaluated=False,
        returns_value=True,
        local_names=("key",),
    )


def test_code_the_surroundings_are_not_read_for_gets_none() -> None:
    old = "const a = x == null;\n"
    derived = example_from_commit(
        path="a.js", old_text=old, new_text="const a = x === null;\n", start_line=1, end_line=1
    )
    assert derived.example is not None and derived.example.surroundings is None
