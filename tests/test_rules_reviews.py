"""Examples from review signals: applied suggestions, and human commits where a review pointed."""

from __future__ import annotations

from bot.rules import Surroundings, example_from_commit, example_from_suggestion
from bot.signals import Suggestion

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
