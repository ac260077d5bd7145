"""Finding the edits in model replies: diffs in every shape models write them, blocks, bad replies."""

from __future__ import annotations

import pytest

from bot.patching import NoEditFound, RefusedReply, find_edits
from bot.patching.edits import UNNAMED, EditKind, HeaderState, LineKind
from bot.patching.reply import MalformedEdit, TruncatedReply

FENCED_WITH_CHATTER = """\
Sure! The retry loop never gives up, so I capped it. Here is the change:

```diff
--- a/bot/retry.py
+++ b/bot/retry.py
@@ -10,4 +10,5 @@ def retry(fn):
     attempts = 0
-    while True:
+    while attempts < MAX_ATTEMPTS:
         attempts += 1
+        log.debug("attempt %d", attempts)
         fn()
```

Let me know if you also want a test for the new limit.
"""


def lines_of(hunk):
    return [(line.kind.value, line.text) for line in hunk.lines]


def test_fenced_diff_with_chatter_gives_one_modify_edit():
    (edit,) = find_edits(FENCED_WITH_CHATTER)
    assert edit.path == "bot/retry.py"
    assert edit.kind is EditKind.MODIFY
    (hunk,) = edit.hunks
    assert hunk.old_start == 10 and hunk.new_start == 10
    assert hunk.header is HeaderState.STATED
    assert lines_of(hunk) == [
        (" ", "    attempts = 0"),
        ("-", "    while True:"),
        ("+", "    while attempts < MAX_ATTEMPTS:"),
        (" ", "        attempts += 1"),
        ("+", '        log.debug("attempt %d", attempts)'),
        (" ", "        fn()"),
    ]
    assert hunk.text.startswith("@@ -10,4 +10,5 @@")
    assert hunk.reply_line == 6


def test_bare_multi_file_diff_with_prose_between_and_no_prefixes():
    reply = """\
First the model:

--- app/models.py
+++ app/models.py
@@ -1,2 +1,2 @@
 class User:
-    name: str
+    name: str = ""

Then the view, which uses it:

--- app/views.py
+++ app/views.py
@@ -3,3 +3,3 @@
 def show(user):
-    return user.name
+    return user.name or "anonymous"
 
That's all.
"""
    edits = find_edits(reply)
    assert [e.path for e in edits] == ["app/models.py", "app/views.py"]
    assert lines_of(edits[1].hunks[0]) == [
        (" ", "def show(user):"),
        ("-", "    return user.name"),
        ("+", '    return user.name or "anonymous"'),
        (" ", ""),
    ]


def test_dev_null_headers_mean_new_and_deleted_files():
    reply = """\
```diff
diff --git a/docs/usage.md b/docs/usage.md
new file mode 100644
--- /dev/null
+++ b/docs/usage.md
@@ -0,0 +1,2 @@
+# Usage
+Run `evolve-bot serve`.
--- a/old_notes.txt
+++ /dev/null
@@ -1 +0,0 @@
-obsolete
```
"""
    added, deleted = find_edits(reply)
    assert (added.path, added.kind) == ("docs/usage.md", EditKind.ADD)
    assert added.hunks[0].new_lines == ("# Usage", "Run `evolve-bot serve`.")
    assert (deleted.path, deleted.kind) == ("old_notes.txt", EditKind.DELETE)


def test_hunk_without_at_at_header_is_kept_not_dropped():
    reply = """\
```diff
--- a/setup.cfg
+++ b/setup.cfg
 [metadata]
-name = evolve
+name = evolve-bot
```
"""
    (edit,) = find_edits(reply)
    (hunk,) = edit.hunks
    assert hunk.header is HeaderState.MISSING
    assert hunk.old_start is None
    assert lines_of(hunk) == [
        (" ", "[metadata]"),
        ("-", "name = evolve"),
        ("+", "name = evolve-bot"),
    ]


@pytest.mark.parametrize(
    ("header", "state", "start"),
    [
        ("@@ ... @@", HeaderState.MISSING, None),
        ("@@", HeaderState.MISSING, None),
        ("@@ -1 +1 @@", HeaderState.MISCOUNTED, 1),
        ("@@ -40,9 +40,2 @@", HeaderState.MISCOUNTED, 40),
    ],
)
def test_placeholder_or_wrong_hunk_numbers_are_recounted(header, state, start):
    reply = f"""\
```diff
--- a/x.py
+++ b/x.py
{header}
 def f():
-    return 1
+    return 2
```
"""
    (edit,) = find_edits(reply)
    (hunk,) = edit.hunks
    assert hunk.header is state
    assert hunk.old_start == start
    assert hunk.old_lines == ("def f():", "    return 1")
    assert hunk.new_lines == ("def f():", "    return 2")


def test_two_hunks_separated_by_blank_lines_and_an_elision():
    reply = """\
```diff
--- a/m.py
+++ b/m.py
@@ -1,2 +1,2 @@
-import os
+import os, sys
 

@@ -20,2 +20,2 @@
 def g():
-    pass
+    return None
...
 def h():
-    pass
+    return 1
```
"""
    (edit,) = find_edits(reply)
    assert len(edit.hunks) == 3
    assert edit.hunks[0].header is HeaderState.STATED
    assert edit.hunks[0].old_lines == ("import os", "")
    assert edit.hunks[2].header is HeaderState.MISSING
    assert edit.hunks[2].new_lines == ("def h():", "    return 1")


def test_crlf_reply_is_read_like_lf():
    reply = FENCED_WITH_CHATTER.replace("\n", "\r\n")
    (edit,) = find_edits(reply)
    assert edit.hunks[0].new_lines[0] == "    attempts = 0"
    assert all("\r" not in line.text for line in edit.hunks[0].lines)


def test_no_newline_markers_are_recorded():
    reply = """\
--- a/VERSION
+++ b/VERSION
@@ -1 +1 @@
-1.0
\\ No newline at end of file
+1.1
"""
    (hunk,) = find_edits(reply)[0].hunks
    assert hunk.old_missing_newline and not hunk.new_missing_newline
    assert lines_of(hunk) == [("-", "1.0"), ("+", "1.1")]


def test_blank_context_lines_without_their_space_count_when_the_header_says_so():
    reply = "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n-a = 1\n+a = 2\n\n\n"
    (hunk,) = find_edits(reply)[0].hunks
    assert hunk.header is HeaderState.STATED
    assert hunk.old_lines == ("a = 1", "", "")


def test_path_named_in_prose_before_a_headerless_hunk():
    reply = "In `bot/gate.py`:\n\n```diff\n@@ -5,2 +5,2 @@\n-    limit = 3\n+    limit = 5\n     return limit\n```\n"
    (edit,) = find_edits(reply)
    assert edit.path == "bot/gate.py"
    assert edit.hunks[0].old_start == 5


def test_miscounted_hunk_closed_by_a_fence_is_not_called_truncated():
    reply = "```diff\n--- a/m.py\n+++ b/m.py\n@@ -1,6 +1,6 @@\n-a = 1\n+a = 2\n```\nDone.\n"
    (hunk,) = find_edits(reply)[0].hunks
    assert hunk.header is HeaderState.MISCOUNTED
    assert lines_of(hunk) == [("-", "a = 1"), ("+", "a = 2")]


# --- SEARCH/REPLACE blocks ---


def test_aider_blocks_with_path_before_the_fence_and_a_second_block_for_the_same_file():
    reply = """\
I'll rename the setting.

bot/settings.py
```python
<<<<<<< SEARCH
    port: int = 3000
=======
    port: int = 8080
>>>>>>> REPLACE
```

```python
<<<<<<< SEARCH
PORT_DOC = "3000"
=======
PORT_DOC = "8080"
>>>>>>> REPLACE
```
"""
    (edit,) = find_edits(reply)
    assert edit.path == "bot/settings.py" and edit.kind is EditKind.MODIFY
    assert [(b.search, b.replace) for b in edit.blocks] == [
        ("    port: int = 3000\n", "    port: int = 8080\n"),
        ('PORT_DOC = "3000"\n', 'PORT_DOC = "8080"\n'),
    ]
    assert edit.blocks[0].reply_line == 5


def test_block_with_path_inside_the_fence_and_an_empty_search_is_a_new_file():
    reply = "```\ntests/test_new.py\n<<<<<<< SEARCH\n=======\ndef test_ok():\n    assert True\n>>>>>>> REPLACE\n```\n"
    (edit,) = find_edits(reply)
    assert (edit.path, edit.kind) == ("tests/test_new.py", EditKind.ADD)
    assert edit.blocks[0].replace == "def test_ok():\n    assert True\n"


def test_diff_lines_inside_a_block_stay_block_content():
    reply = "notes.md\n<<<<<<< SEARCH\n--- a/x\n+++ b/x\n=======\nnothing\n>>>>>>> REPLACE\n"
    (edit,) = find_edits(reply)
    assert edit.blocks[0].search == "--- a/x\n+++ b/x\n"


# --- replies without a usable edit ---


def test_refusal_is_reported_as_such():
    with pytest.raises(RefusedReply, match="declined.*I can't help with that"):
        find_edits("I'm sorry, but I can't help with that request.")


def test_reply_without_edits():
    with pytest.raises(NoEditFound, match="no unified diff and no SEARCH/REPLACE block"):
        find_edits("The code looks fine to me; I would not change anything.")


def test_diff_fence_without_a_diff_names_the_fence():
    with pytest.raises(
        NoEditFound, match=r"```diff block opened on reply line 2 holds no file header"
    ):
        find_edits("Here:\n```diff\ndef f():\n    return 2\n```\n")


def test_edits_that_change_nothing_are_not_a_success():
    with pytest.raises(NoEditFound, match="change nothing"):
        find_edits("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n b = 2\n")


def test_hunk_cut_off_at_the_end_of_the_reply():
    reply = "--- a/bot/retry.py\n+++ b/bot/retry.py\n@@ -10,4 +10,5 @@\n     attempts = 0\n-    while True:\n+    while att"
    with pytest.raises(TruncatedReply) as err:
        find_edits(reply)
    assert "hunk 1 of bot/retry.py" in str(err.value)
    assert "'@@ -10,4 +10,5 @@' announces 4 old / 5 new lines" in str(err.value)


def test_unclosed_fence_means_cut_off():
    reply = FENCED_WITH_CHATTER.split("```\n\nLet me")[0]
    with pytest.raises(TruncatedReply, match="ends inside the ``` block opened on reply line 3"):
        find_edits(reply)


def test_unterminated_replace_block():
    with pytest.raises(
        TruncatedReply,
        match=r"block for bot/x.py opened on reply line 2 is never closed \(no '>>>>>>> REPLACE' line\)",
    ):
        find_edits("bot/x.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n")


def test_block_left_open_before_the_next_one():
    reply = "a.py\n<<<<<<< SEARCH\nx\n=======\ny\n<<<<<<< SEARCH\nz\n=======\nw\n>>>>>>> REPLACE\n"
    with pytest.raises(
        MalformedEdit, match="opened on reply line 2 has no '>>>>>>> REPLACE' line before"
    ):
        find_edits(reply)


def test_file_header_without_hunks_at_the_end_is_truncation():
    with pytest.raises(TruncatedReply, match="diff for bot/x.py ends after its file header"):
        find_edits("Here you go:\n--- a/bot/x.py\n+++ b/bot/x.py\n")


def test_hunk_without_any_file_name_is_left_to_the_request():
    (edit,) = find_edits("@@ -1,1 +1,1 @@\n-a\n+b\n")
    assert edit.path == UNNAMED


def test_block_without_a_path_is_left_to_the_request():
    reply = "Change this:\n\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n"
    (edit,) = find_edits(reply)
    assert edit.path == UNNAMED


def test_rename_is_refused_with_a_reason():
    with pytest.raises(MalformedEdit, match="names two different files"):
        find_edits("--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-a\n+b\n")


def test_line_kinds_are_typed():
    (edit,) = find_edits(FENCED_WITH_CHATTER)
    kinds = {line.kind for line in edit.hunks[0].lines}
    assert kinds == {LineKind.CONTEXT, LineKind.ADDED, LineKind.REMOVED}


def test_miscounted_hunk_stops_at_the_next_files_header():
    reply = (
        "--- a/a.py\n+++ b/a.py\n@@ -1,9 +1,9 @@\n-x = 1\n+x = 2\n"
        "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-y = 1\n+y = 2\n"
    )
    first, second = find_edits(reply)
    assert first.hunks[0].header is HeaderState.MISCOUNTED
    assert lines_of(first.hunks[0]) == [("-", "x = 1"), ("+", "x = 2")]
    assert (second.path, lines_of(second.hunks[0])) == ("b.py", [("-", "y = 1"), ("+", "y = 2")])


def test_reply_mixing_a_diff_and_an_edit_block():
    reply = (
        "```diff\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n```\n\n"
        "And in `b.py`:\n\nb.py\n```\n<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n```\n"
    )
    diff_edit, block_edit = find_edits(reply)
    assert (diff_edit.path, len(diff_edit.hunks), diff_edit.blocks) == ("a.py", 1, ())
    assert (block_edit.path, block_edit.hunks, block_edit.blocks[0].replace) == (
        "b.py",
        (),
        "y = 2\n",
    )
