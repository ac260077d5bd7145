"""Shapes of reply the applier was not shown before issue 19: each handled, or refused with a reason."""

from __future__ import annotations

import pytest

from bot.patching import EditApplyError, ReplyError, apply, find_edits

METHOD = """\
class Cache:
    def get(self, key):
        value = self.store.get(key)
        if value is None:
            return self.default
        return value
"""
METHOD_LOGGED = METHOD.replace(
    "        if value is None:\n", "        log.debug(key)\n        if value is None:\n"
)


def run(reply: str, files: dict[str, str]) -> dict[str, str | None]:
    return dict(apply(files, edits=find_edits(reply)).contents)


# -- indentation: checked against the added lines, read by unit --


def test_context_that_lost_one_column_leaves_added_lines_as_written():
    # The hold-out's silently wrong files: context lines lost their diff-prefix space, the
    # applier read that as a one-column shift and moved the added line too.
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -2,3 +2,4 @@\n"
        "    def get(self, key):\n"
        "        value = self.store.get(key)\n"
        "+        log.debug(key)\n"
        "        if value is None:\n"
    )
    assert run(reply, {"cache.py": METHOD})["cache.py"] == METHOD_LOGGED


def test_a_column_shift_the_added_lines_cannot_settle_is_refused():
    # Context two columns off on one level: a two-space hunk, or context that lost two
    # columns? The added line fits the file's grid either way.
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -3,2 +3,3 @@\n"
        "   value = self.store.get(key)\n"
        "+      log.debug(key)\n"
        "   if value is None:\n"
    )
    with pytest.raises(EditApplyError, match="not by whole indentation levels"):
        run(reply, {"cache.py": METHOD})


def test_tabs_in_the_hunk_are_written_in_the_files_spaces():
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -2,3 +2,4 @@\n"
        " \tdef get(self, key):\n"
        " \t\tvalue = self.store.get(key)\n"
        "+\t\tlog.debug(key)\n"
        " \t\tif value is None:\n"
    )
    assert run(reply, {"cache.py": METHOD})["cache.py"] == METHOD_LOGGED


def test_spaces_in_the_hunk_are_written_in_the_files_tabs():
    tabbed = METHOD.replace("    ", "\t")
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -2,3 +2,4 @@\n"
        "     def get(self, key):\n"
        "         value = self.store.get(key)\n"
        "+        log.debug(key)\n"
        "         if value is None:\n"
    )
    assert run(reply, {"cache.py": tabbed})["cache.py"] == METHOD_LOGGED.replace("    ", "\t")


def test_two_space_hunk_on_a_four_space_file_is_read_by_level():
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -2,4 +2,5 @@\n"
        "   def get(self, key):\n"
        "     value = self.store.get(key)\n"
        "+    log.debug(key)\n"
        "     if value is None:\n"
        "       return self.default\n"
    )
    assert run(reply, {"cache.py": METHOD})["cache.py"] == METHOD_LOGGED


# -- the request's own facts: which file a reply without a (right) path changes --

BARE_HUNK = """\
```diff
@@ -3,2 +3,3 @@
         value = self.store.get(key)
+        log.debug(key)
         if value is None:
```
"""


def test_bare_hunk_goes_to_the_one_file_the_request_targets():
    change = apply({"pkg/cache.py": METHOD}, edits=find_edits(BARE_HUNK), targets=["pkg/cache.py"])
    assert change.contents == {"pkg/cache.py": METHOD_LOGGED}


def test_bare_hunk_goes_to_the_one_target_whose_lines_it_finds():
    files = {"pkg/cache.py": METHOD, "pkg/other.py": "x = 1\n"}
    change = apply(files, edits=find_edits(BARE_HUNK), targets=sorted(files))
    assert change.contents == {"pkg/cache.py": METHOD_LOGGED}


def test_bare_hunk_that_fits_several_targets_is_refused_naming_them():
    files = {"pkg/cache.py": METHOD, "pkg/copy.py": METHOD}
    with pytest.raises(EditApplyError, match="fits 2 of the files .*: pkg/cache.py, pkg/copy.py"):
        apply(files, edits=find_edits(BARE_HUNK), targets=sorted(files))


def test_bare_hunk_without_targets_is_refused():
    with pytest.raises(EditApplyError, match="names no file"):
        apply({"pkg/cache.py": METHOD}, edits=find_edits(BARE_HUNK))


@pytest.mark.parametrize(
    "written", ["a/pkg/cache.py", "./pkg/cache.py", "myrepo/pkg/cache.py", "cache.py"]
)
def test_almost_right_path_is_read_against_the_files(written):
    reply = f"--- {written}\n+++ {written}\n" + BARE_HUNK.split("\n", 1)[1].rsplit("```", 1)[0]
    change = apply({"pkg/cache.py": METHOD}, edits=find_edits(reply), targets=["pkg/cache.py"])
    assert change.contents == {"pkg/cache.py": METHOD_LOGGED}


def test_sub_folder_path_matching_several_files_is_refused_naming_them():
    reply = "--- cache.py\n+++ cache.py\n" + BARE_HUNK.split("\n", 1)[1].rsplit("```", 1)[0]
    files = {"pkg/cache.py": METHOD, "tests/cache.py": METHOD}
    with pytest.raises(EditApplyError, match="fits 2 files: pkg/cache.py, tests/cache.py"):
        apply(files, edits=find_edits(reply))


# -- wrong counts: recounted when the hunk is plainly complete, refused when it was cut off --

OVERCOUNTED = """\
--- a/cache.py
+++ b/cache.py
@@ -2,4 +2,9 @@
     def get(self, key):
         value = self.store.get(key)
+        log.debug(key)
         if value is None:
             return self.default
"""


def test_complete_last_hunk_with_too_large_counts_is_recounted():
    assert run(OVERCOUNTED, {"cache.py": METHOD})["cache.py"] == METHOD_LOGGED


def test_hunk_cut_off_after_its_change_is_refused():
    cut = OVERCOUNTED.split("         if value", 1)[0]  # ends after the added line
    with pytest.raises(ReplyError, match="the reply stops inside hunk 1"):
        find_edits(cut)


def test_hunk_cut_off_mid_line_is_refused():
    with pytest.raises(ReplyError, match="the reply stops inside hunk 1"):
        find_edits(OVERCOUNTED[:-1])


def test_short_last_hunk_after_hunks_that_counted_right_is_refused():
    # The model counted the first hunk right: the second's shortfall is a cut, not a miscount.
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -1,2 +1,2 @@\n-class Cache:\n+class Store:\n"
        "     def get(self, key):\n" + OVERCOUNTED.split("\n", 2)[2].replace("@@ -2,4", "@@ -4,4")
    )
    with pytest.raises(ReplyError, match="the reply stops inside hunk 2"):
        find_edits(reply)


def test_short_hunk_ending_with_less_context_than_it_starts_with_must_reach_the_file_end():
    at_end = OVERCOUNTED.replace("@@ -2,4", "@@ -4,3").replace(
        "     def get(self, key):\n         value = self.store.get(key)\n+        log.debug(key)\n",
        "         if value is None:\n             return self.default\n+        log.debug(key)\n",
    )
    at_end = at_end.rsplit("         if value", 1)[0] + "         return value\n"
    logged_at_end = METHOD.replace(
        "            return self.default\n",
        "            return self.default\n        log.debug(key)\n",
    )
    assert run(at_end, {"cache.py": METHOD})["cache.py"] == logged_at_end
    with pytest.raises(EditApplyError, match="short of the end of the file"):
        run(at_end, {"cache.py": METHOD + "\n\nCACHE = Cache()\n"})


def test_context_lines_that_lost_their_marker_beside_unindented_ones():
    # Only the indented context lines lost a column (an unindented one cannot lose its marker
    # and still read as a diff line); the added line stands as written.
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -1,3 +1,4 @@\n"
        " class Cache:\n"
        "    def get(self, key):\n"
        "        value = self.store.get(key)\n"
        "+        log.debug(key)\n"
    )
    reply += "        if value is None:\n"
    assert run(reply, {"cache.py": METHOD})["cache.py"] == METHOD_LOGGED


def test_tab_indented_added_lines_under_unindented_context_take_the_files_spaces():
    source = "ITEMS = [\n    1,\n]\nNAME = 'x'\n"
    reply = "--- a/m.py\n+++ b/m.py\n@@ -3,2 +3,3 @@\n ]\n+\tassert ITEMS\n NAME = 'x'\n"
    assert (
        run(reply, {"m.py": source})["m.py"]
        == "ITEMS = [\n    1,\n]\n    assert ITEMS\nNAME = 'x'\n"
    )


def test_added_lines_off_the_grid_under_unindented_context_are_refused():
    # Two spaces in a four-space file, and no indented context to say which unit the hunk
    # uses: as written, or one level of two spaces?
    source = "ITEMS = [\n    1,\n]\nNAME = 'x'\n"
    reply = "--- a/m.py\n+++ b/m.py\n@@ -3,2 +3,4 @@\n ]\n+X = [\n+  2,\n NAME = 'x'\n"
    with pytest.raises(EditApplyError, match="do not show which indentation"):
        run(reply, {"m.py": source})


def test_reply_ending_inside_an_added_line_is_refused():
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -5,2 +5,2 @@\n"
        "             return self.default\n-        return value\n+        return val"
    )
    with pytest.raises(ReplyError, match="in an added line without its newline"):
        find_edits(reply)


# -- hunks out of order, a hunk repeated --

TWO_HUNKS = """\
--- a/cache.py
+++ b/cache.py
@@ -1,2 +1,2 @@
-class Cache:
+class Store:
     def get(self, key):
@@ -5,2 +5,2 @@
             return self.default
-        return value
+        return value or None
"""
TWO_FIXED = METHOD.replace("class Cache:", "class Store:").replace(
    "        return value\n", "        return value or None\n"
)


def test_hunks_in_reverse_order_apply():
    head, first, second = TWO_HUNKS.split("@@ -")
    reply = head + "@@ -" + second + "@@ -" + first
    assert run(reply, {"cache.py": METHOD})["cache.py"] == TWO_FIXED


def test_a_hunk_given_twice_applies_once():
    head, first, second = TWO_HUNKS.split("@@ -")
    reply = head + "@@ -" + first + "@@ -" + first + "@@ -" + second
    assert run(reply, {"cache.py": METHOD})["cache.py"] == TWO_FIXED


def test_one_change_given_at_two_stated_lines_is_refused_when_the_file_has_one_place():
    head, _, second = TWO_HUNKS.split("@@ -")
    reply = head + "@@ -" + second + "@@ -" + second.replace("5,2 +5,2", "9,2 +9,2")
    with pytest.raises(EditApplyError, match="which another hunk of the reply changes"):
        run(reply, {"cache.py": METHOD})


# -- OpenAI's *** Begin Patch envelope --

TWINS = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 1\n"


def test_begin_patch_envelope_with_an_anchor_and_end_of_file():
    reply = (
        "Here is the patch:\n*** Begin Patch\n*** Update File: m.py\n@@ def g(self):\n"
        "-        return 1\n+        return 2\n*** End of File\n*** End Patch\n"
    )
    assert run(reply, {"m.py": TWINS})["m.py"] == TWINS[: -len("1\n")] + "2\n"


def test_begin_patch_envelope_adds_and_deletes_files():
    reply = "*** Begin Patch\n*** Add File: n.py\n+x = 1\n*** Delete File: m.py\n*** End Patch\n"
    assert run(reply, {"m.py": TWINS}) == {"n.py": "x = 1\n", "m.py": None}


def test_begin_patch_hunk_that_fits_twice_without_an_anchor_is_refused():
    reply = "*** Begin Patch\n*** Update File: m.py\n@@\n-        return 1\n+        return 2\n*** End Patch\n"
    with pytest.raises(EditApplyError, match="matches at 2 places"):
        run(reply, {"m.py": TWINS})


def test_begin_patch_without_its_end_is_cut_off():
    reply = "*** Begin Patch\n*** Update File: m.py\n@@ def g(self):\n-        return 1\n"
    with pytest.raises(ReplyError, match="has no \\*\\*\\* End Patch"):
        find_edits(reply)


# -- a whole file instead of a diff; a snippet is not one --

LONG = "".join(f"def f{k}():\n    return {k}\n\n\n" for k in range(8))


def test_whole_file_in_a_code_block_replaces_the_file():
    new = LONG.replace("return 3", "return 33")
    reply = f"Here is the updated file.\n\n`m.py`:\n```python\n{new}```\n"
    assert run(reply, {"m.py": LONG})["m.py"] == new


def test_whole_file_without_a_path_goes_to_the_one_target():
    new = LONG.replace("return 3", "return 33")
    reply = f"Updated:\n```python\n{new}```\n"
    change = apply({"m.py": LONG}, edits=find_edits(reply), targets=["m.py"])
    assert change.contents == {"m.py": new}


def test_snippet_in_a_code_block_does_not_replace_the_file():
    reply = "`m.py`:\n```python\ndef f3():\n    return 33\n```\n"
    with pytest.raises(EditApplyError, match="not the whole file"):
        run(reply, {"m.py": LONG})


def test_whole_file_with_an_elision_is_refused():
    new = LONG.replace("def f5():\n    return 5\n", "# ... rest of the code unchanged ...\n")
    reply = f"`m.py`:\n```python\n{new}```\n"
    with pytest.raises(EditApplyError, match="reads as an elision"):
        run(reply, {"m.py": LONG})


# -- a reading of the context that breaks the file is refused --


def test_fuzzy_placement_that_stops_the_file_compiling_is_refused():
    source = "@old\ndef f():\n    x = 1\n    return x\n"
    # The hunk leaves out "def f():", between the decorator it replaces and the body line it
    # adds before: read as written, the added body line lands above the def.
    reply = (
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n-@old\n+@new\n+    log()\n     x = 1\n"
        "     return x\n"
    )
    with pytest.raises(EditApplyError, match="the file would no longer compile"):
        run(reply, {"m.py": source})


def test_two_space_line_aligned_past_its_levels_is_refused():
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -2,4 +2,5 @@\n"
        "   def get(self, key):\n"
        "     value = self.store.get(key)\n"
        "+       # seven columns: three levels and one, or two and three?\n"
        "     if value is None:\n"
        "       return self.default\n"
    )
    with pytest.raises(EditApplyError, match="do not show which indentation"):
        run(reply, {"cache.py": METHOD})


# -- SEARCH text copied loosely --


def test_search_block_with_drifted_quotes_and_spacing_keeps_the_files_unchanged_lines():
    source = "NAMES = {'a': 1, 'b': 2}\nLIMIT = 3\n"
    reply = (
        "m.py\n<<<<<<< SEARCH\n"
        'NAMES = {"a": 1,  "b": 2}\nLIMIT = 3\n'
        "=======\n"
        'NAMES = {"a": 1,  "b": 2}\nLIMIT = 4\n'
        ">>>>>>> REPLACE\n"
    )
    assert run(reply, {"m.py": source})["m.py"] == "NAMES = {'a': 1, 'b': 2}\nLIMIT = 4\n"


def test_drifted_search_block_that_fits_twice_is_refused():
    source = "A = 'x'\nB = 1\n\nA = 'x'\nB = 1\n"
    reply = 'm.py\n<<<<<<< SEARCH\nA = "x"\nB = 1\n=======\nA = "x"\nB = 2\n>>>>>>> REPLACE\n'
    with pytest.raises(EditApplyError, match="matches at 2 places"):
        run(reply, {"m.py": source})


# -- "... existing code ..." inside a SEARCH block --

BODY = "def f():\n    a = 1\n    b = 2\n    c = 3\n    return a\n"


def test_search_block_with_an_elision_keeps_the_left_out_lines():
    reply = (
        "m.py\n<<<<<<< SEARCH\ndef f():\n    # ... existing code ...\n    return a\n=======\n"
        "def f(x):\n    # ... existing code ...\n    return a + x\n>>>>>>> REPLACE\n"
    )
    expected = BODY.replace("def f():", "def f(x):").replace("return a\n", "return a + x\n")
    assert run(reply, {"m.py": BODY})["m.py"] == expected


def test_search_block_eliding_code_its_replace_text_does_not_place_is_refused():
    reply = (
        "m.py\n<<<<<<< SEARCH\ndef f():\n    # ... existing code ...\n    return a\n=======\n"
        "def f(x):\n    return a + x\n>>>>>>> REPLACE\n"
    )
    with pytest.raises(EditApplyError, match="does not say where that code goes"):
        run(reply, {"m.py": BODY})


def test_last_hunk_short_of_both_its_counts_is_refused_as_cut():
    # Short of old and new lines alike, as a cut is (it always leaves out context): a miscount
    # that looks like that cannot be told from a cut.
    both_short = OVERCOUNTED.replace("@@ -2,4 +2,9 @@", "@@ -2,7 +2,9 @@")
    with pytest.raises(ReplyError, match="the reply stops inside hunk 1"):
        find_edits(both_short)


def test_last_hunk_short_of_both_counts_after_a_miscounted_hunk_is_recounted():
    reply = (
        "--- a/cache.py\n+++ b/cache.py\n@@ -1,1 +1,3 @@\n-class Cache:\n+class Store:\n"
        + OVERCOUNTED.split("\n", 2)[2].replace("@@ -2,4", "@@ -2,7")
    )
    expected = METHOD_LOGGED.replace("class Cache:", "class Store:")
    assert run(reply, {"cache.py": METHOD})["cache.py"] == expected
