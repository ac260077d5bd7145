"""Applying model edits: exact, tolerant, never silently partial, every failure named."""

from __future__ import annotations

import pytest

from bot.patching import EditApplyError, TieBreak, apply, find_edits
from bot.patching.outcomes import FailureReason, Strategy

RETRY = """\
\"\"\"Retries flaky calls.\"\"\"

import logging

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def retry(fn):
    attempts = 0
    while True:
        attempts += 1
        try:
            return fn()
        except OSError:
            log.warning("retrying")


def backoff(attempt):
    return min(2**attempt, 60)
"""

RETRY_FIXED = RETRY.replace(
    "    while True:\n        attempts += 1\n",
    '    while attempts < MAX_ATTEMPTS:\n        attempts += 1\n        log.debug("attempt %d", attempts)\n',
)

FIX_DIFF = """\
--- a/bot/retry.py
+++ b/bot/retry.py
@@ -{start},7 +{start},8 @@ MAX_ATTEMPTS = 5
 
 def retry(fn):
     attempts = 0
-    while True:
+    while attempts < MAX_ATTEMPTS:
         attempts += 1
+        log.debug("attempt %d", attempts)
         try:
             return fn()
"""


def run(reply: str, files: dict[str, str]):
    return apply(files, edits=find_edits(reply))


def failure_of(reply: str, files: dict[str, str]) -> EditApplyError:
    with pytest.raises(EditApplyError) as err:
        run(reply, files)
    return err.value


def test_clean_diff_applies_exactly_at_its_line():
    change = run(FIX_DIFF.format(start=8), {"bot/retry.py": RETRY})
    assert change.contents == {"bot/retry.py": RETRY_FIXED}
    (entry,) = change.journal
    assert (entry.path, entry.index, entry.strategy, entry.line) == (
        "bot/retry.py",
        1,
        Strategy.EXACT,
        8,
    )


def test_fenced_diff_with_chatter_and_wrong_line_numbers():
    reply = (
        "You're right, the loop never stops. Here's a fix:\n\n```diff\n"
        + FIX_DIFF.format(start=31)
        + "```\n\nThe debug line helps when reading CI logs.\n"
    )
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    (entry,) = change.journal
    assert entry.strategy is Strategy.OFFSET
    assert entry.note == "23 lines above the stated line 31"


def test_missing_line_numbers_are_located_by_context():
    reply = FIX_DIFF.format(start=8).replace("@@ -8,7 +8,8 @@ MAX_ATTEMPTS = 5", "@@ ... @@")
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert change.journal[0].note == "located by its context alone (no line numbers)"


def test_missing_hunk_header_still_applies():
    reply = FIX_DIFF.format(start=8).replace("@@ -8,7 +8,8 @@ MAX_ATTEMPTS = 5\n", "")
    assert run(reply, {"bot/retry.py": RETRY}).contents["bot/retry.py"] == RETRY_FIXED


def test_trailing_whitespace_drift():
    reply = FIX_DIFF.format(start=8).replace("     attempts = 0\n", "     attempts = 0   \n")
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert change.journal[0].strategy is Strategy.WHITESPACE


def test_uniformly_dedented_hunk_is_reindented():
    reply = """\
```diff
--- a/bot/retry.py
+++ b/bot/retry.py
@@ -11,3 +11,4 @@
 while True:
     attempts += 1
+    log.debug("attempt %d", attempts)
     try:
```
"""
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY.replace(
        "        attempts += 1\n",
        '        attempts += 1\n        log.debug("attempt %d", attempts)\n',
    )
    assert change.journal[0].strategy is Strategy.REINDENT
    assert change.journal[0].note == "indentation shifted by +4 columns"


def test_crlf_file_keeps_crlf_including_added_lines():
    crlf = RETRY.replace("\n", "\r\n")
    change = run(FIX_DIFF.format(start=8), {"bot/retry.py": crlf})
    assert change.contents["bot/retry.py"] == RETRY_FIXED.replace("\n", "\r\n")


def test_crlf_reply_on_lf_file_gives_lf():
    change = run(FIX_DIFF.format(start=8).replace("\n", "\r\n"), {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED


def test_dropped_context_line_in_the_middle():
    # Fenced, so the closing fence shows the (now wrong) header counts are not a truncation.
    reply = "```diff\n" + FIX_DIFF.format(start=8).replace("     attempts = 0\n", "") + "```\n"
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert change.journal[0].strategy is Strategy.FUZZY_CONTEXT
    assert "1 file lines missing from its context" in change.journal[0].note


def test_extra_elision_comment_in_the_context():
    reply = (
        "```diff\n"
        + FIX_DIFF.format(start=8).replace(
            "     attempts = 0\n", "     attempts = 0\n     # ... existing code ...\n"
        )
        + "```\n"
    )
    change = run(reply, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert "1 hunk context lines not in the file" in change.journal[0].note


def test_dropped_context_next_to_an_insertion_is_ambiguous_not_guessed():
    files = {"m.py": "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"}
    reply = "--- a/m.py\n+++ b/m.py\n@@ -1,4 +1,5 @@\n a = 1\n b = 2\n+x = 0\n d = 4\n e = 5\n"
    err = failure_of(reply, files)
    (failure,) = err.failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert "could go before or after a left-out line" in failure.detail
    # Python, but both ways compile: its syntax cannot choose either.
    assert failure.detail.endswith("; the file compiles with 2 of the 2 ways")
    assert "m.py, hunk 1 of 1 (reply line 3): ambiguous" in str(err)
    assert "    +x = 0" in str(err)


def test_repeated_context_without_line_numbers_is_ambiguous():
    files = {"m.py": "def a():\n    return None\n\n\ndef b():\n    return None\n"}
    reply = "--- a/m.py\n+++ b/m.py\n@@ ... @@\n-    return None\n+    return 0\n"
    (failure,) = failure_of(reply, files).failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert failure.detail == (
        "matches at 2 places (file lines 2, 6); the hunk has no usable line numbers to choose"
    )


def test_repeated_context_with_line_numbers_takes_the_nearest():
    files = {"m.py": "def a():\n    return None\n\n\ndef b():\n    return None\n"}
    reply = "--- a/m.py\n+++ b/m.py\n@@ -5,1 +5,1 @@\n-    return None\n+    return 0\n"
    change = run(reply, files)
    assert change.contents["m.py"] == "def a():\n    return None\n\n\ndef b():\n    return 0\n"
    assert change.journal[0].line == 6


def test_missing_final_newline_is_preserved():
    files = {"VERSION.py": "NAME = 'x'\nVERSION = '1.0'"}
    reply = "--- a/VERSION.py\n+++ b/VERSION.py\n@@ -1,2 +1,2 @@\n NAME = 'x'\n-VERSION = '1.0'\n+VERSION = '1.1'\n"
    assert run(reply, files).contents["VERSION.py"] == "NAME = 'x'\nVERSION = '1.1'"


def test_no_newline_marker_adds_the_final_newline():
    files = {"VERSION": "1.0"}
    reply = "--- a/VERSION\n+++ b/VERSION\n@@ -1 +1 @@\n-1.0\n\\ No newline at end of file\n+1.1\n"
    assert run(reply, files).contents["VERSION"] == "1.1\n"


def test_appending_after_a_last_line_without_newline():
    files = {"m.py": "a = 1\nb = 2"}
    reply = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n a = 1\n b = 2\n+c = 3\n"
    assert run(reply, files).contents["m.py"] == "a = 1\nb = 2\nc = 3"


def test_new_and_deleted_files():
    reply = """\
--- /dev/null
+++ b/docs/usage.md
@@ -0,0 +1,2 @@
+# Usage
+Run it.
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-obsolete
-really
"""
    change = run(reply, {"old.txt": "obsolete\nreally\n"})
    assert change.contents == {"docs/usage.md": "# Usage\nRun it.\n", "old.txt": None}
    assert change.deleted == frozenset({"old.txt"})
    assert change.merged({"old.txt": "x", "keep.py": "k"}) == {
        "keep.py": "k",
        "docs/usage.md": "# Usage\nRun it.\n",
    }
    assert [e.strategy for e in change.journal] == [Strategy.NEW_FILE, Strategy.DELETED_FILE]


def test_every_failing_hunk_is_listed_with_file_text_and_reason():
    reply = """\
--- a/bot/retry.py
+++ b/bot/retry.py
@@ -20,2 +20,2 @@
 def backoff(attempt):
-    return min(2**attempt, 30)
+    return min(2**attempt, 10)
@@ -8,2 +8,2 @@
 def retry(fn):
-    attempts = 0
+    attempts = 1
--- a/bot/missing.py
+++ b/bot/missing.py
@@ -1 +1 @@
-x = 1
+x = 2
--- /dev/null
+++ b/bot/retry.py
@@ -0,0 +1 @@
+print("hi")
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-something else
"""
    files = {"bot/retry.py": RETRY, "gone.txt": "actual content\n"}
    err = failure_of(reply, files)
    got = [(f.path, f.index, f.reason) for f in err.failures]
    assert got == [
        ("bot/retry.py", 1, FailureReason.CONTEXT_NOT_FOUND),
        ("bot/missing.py", 1, FailureReason.FILE_MISSING),
        ("bot/retry.py", 1, FailureReason.FILE_EXISTS),
        ("gone.txt", 1, FailureReason.DELETE_MISMATCH),
    ]
    message = str(err)
    assert message.startswith("4 of 5 edits could not be applied, so nothing was changed:")
    assert (
        "bot/retry.py, hunk 1 of 2 (reply line 3): context not found: closest are file lines 19-20"
        in message
    )
    assert (
        "the hunk expects '    return min(2**attempt, 30)', the file has '    return min(2**attempt, 60)'"
        in message
    )
    assert "    -    return min(2**attempt, 30)" in message  # the hunk text, indented
    assert (
        "bot/missing.py, hunk 1 of 1 (reply line 13): file missing: bot/missing.py does not exist"
        in message
    )
    assert "file exists for an add: bot/retry.py already exists" in message
    assert "deletion does not match the file: file line 1 is 'actual content'" in message


def test_hunk_that_is_already_applied_says_so():
    reply = FIX_DIFF.format(start=8)
    (failure,) = failure_of(reply, {"bot/retry.py": RETRY_FIXED}).failures
    assert failure.reason is FailureReason.CONTEXT_NOT_FOUND
    assert failure.detail == "the file already has this hunk's new lines at line 8 (applied twice?)"


def test_top_of_file_insertion_whose_context_is_lower_is_refused():
    files = {"m.py": '"""Doc."""\nimport os\nimport sys\n'}
    reply = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n+from __future__ import annotations\n import os\n import sys\n"
    (failure,) = failure_of(reply, files).failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert "starts at line 1 with added lines, but its context is at file line 2" in failure.detail


def test_failed_edit_leaves_nothing_half_applied():
    reply = (
        FIX_DIFF.format(start=8) + "@@ -40,2 +41,2 @@\n def nowhere():\n-    pass\n+    return\n"
    )
    err = failure_of(reply, {"bot/retry.py": RETRY})
    assert [(f.index, f.total) for f in err.failures] == [(2, 2)]


def test_pure_insertion_without_context_uses_its_line_number():
    files = {"m.py": "a\nb\nc\n"}
    reply = "--- a/m.py\n+++ b/m.py\n@@ -2,0 +3 @@\n+inserted\n"
    assert run(reply, files).contents["m.py"] == "a\nb\ninserted\nc\n"


def test_pure_insertion_without_context_or_numbers_cannot_be_placed():
    reply = "--- a/m.py\n+++ b/m.py\n@@ ... @@\n+inserted\n"
    (failure,) = failure_of(reply, {"m.py": "a\n"}).failures
    assert failure.reason is FailureReason.NO_ANCHOR


# --- hunks that fit in more than one way: evidence or refusal ---


def diff(path: str, header: str, body: str) -> str:
    return f"--- a/{path}\n+++ b/{path}\n{header}\n{body}"


PAGER = """\
def pager(stdout):
    stdout = default_stdout()
    if not isatty(stdout):
        return null_pager(stdout)
    return run_pager(stdout)
"""
PAGER_FIXED = PAGER.replace(
    "    if not", "    if stdout is None:\n        stdout = StringIO()\n    if not"
)

# "    if not isatty(stdout):" left out of the context, next to the added lines.
PAGER_HUNK = """\
 def pager(stdout):
     stdout = default_stdout()
+    if stdout is None:
+        stdout = StringIO()
         return null_pager(stdout)
     return run_pager(stdout)
"""


def test_only_the_way_that_compiles_is_taken():
    change = run(diff("pager.py", "@@ -1,4 +1,6 @@", PAGER_HUNK), {"pager.py": PAGER})
    assert change.contents["pager.py"] == PAGER_FIXED
    (entry,) = change.journal
    assert entry.tie_break is TieBreak.SYNTAX
    assert "of 2 ways to place its added lines, only this one leaves the file compiling" in (
        entry.note
    )


def test_syntax_decides_nothing_outside_python_or_when_the_file_did_not_compile():
    reply = diff("pager.txt", "@@ -1,4 +1,6 @@", PAGER_HUNK)
    (failure,) = failure_of(reply, {"pager.txt": PAGER}).failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert "compiles" not in failure.detail
    reply = diff("pager.py", "@@ -1,4 +1,6 @@", PAGER_HUNK)
    (failure,) = failure_of(reply, {"pager.py": PAGER + "def oops(:\n"}).failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert "compiles" not in failure.detail


def test_several_undecided_hunks_are_each_settled():
    files = {"pager.py": PAGER + "\n\n" + PAGER.replace("pager", "pager2")}
    second = PAGER_HUNK.replace("pager", "pager2")
    reply = diff("pager.py", "@@ -1,4 +1,6 @@", PAGER_HUNK) + "@@ -8,4 +10,6 @@\n" + second
    change = run(reply, files)
    assert change.contents["pager.py"] == (
        PAGER_FIXED + "\n\n" + PAGER_FIXED.replace("pager", "pager2")
    )
    assert [e.tie_break for e in change.journal] == [TieBreak.SYNTAX, TieBreak.SYNTAX]


def test_top_of_file_insertion_goes_where_the_file_still_compiles():
    files = {"m.py": "import io\nimport math\nimport sys\n"}
    body = "+from __future__ import annotations\n+\n import math\n import sys\n"
    change = run(diff("m.py", "@@ -1,2 +1,4 @@", body), files)
    # Below "import io" a __future__ import does not compile.
    assert change.contents["m.py"] == (
        "from __future__ import annotations\n\nimport io\nimport math\nimport sys\n"
    )
    assert change.journal[0].tie_break is TieBreak.SYNTAX


def test_left_out_line_between_added_lines_when_nothing_else_compiles():
    files = {"style.py": "import os\n\n\nclass Plain(Style):\n    background = 1\n"}
    # "class Plain(Style):" left out between the two added lines.
    body = ' \n \n+__all__ = ["Plain"]\n+    name = "plain"\n     background = 1\n'
    change = run(diff("style.py", "@@ -2,3 +2,5 @@", body), files)
    assert change.contents["style.py"] == (
        'import os\n\n\n__all__ = ["Plain"]\nclass Plain(Style):\n    name = "plain"\n'
        "    background = 1\n"
    )
    # With a blank line among the added ones, the class line fits on either side of it.
    body = body.replace('+    name = "plain"\n', '+\n+    name = "plain"\n')
    (failure,) = failure_of(diff("style.py", "@@ -2,3 +2,6 @@", body), files).failures
    assert failure.reason is FailureReason.AMBIGUOUS
    assert failure.detail.endswith("; the file compiles with 2 of the 4 ways")


ORDERED = "def a():\n    return None\n\n\ndef middle():\n    pass\n\n\ndef b():\n    return None\n"


def test_repeated_context_is_placed_by_the_order_of_the_hunks():
    second = " def middle():\n-    pass\n+    return 1\n"
    reply = diff("m.py", "@@ ... @@", "-    return None\n+    return 0\n@@ ... @@\n" + second)
    change = run(reply, {"m.py": ORDERED})
    # The second hunk is at line 5: the first can only be the "return None" above it.
    assert change.contents["m.py"] == ORDERED.replace("None", "0", 1).replace("pass", "return 1")
    assert change.journal[0].tie_break is TieBreak.HUNK_ORDER
    assert "of 2 matching places, only this one keeps the hunks in file order" in (
        change.journal[0].note
    )
    # Below both places, the second hunk says nothing about which one the first means.
    files = {"m.py": ORDERED + "\n\ndef c():\n    pass\n"}
    second = " def c():\n-    pass\n+    return 1\n"
    reply = diff("m.py", "@@ ... @@", "-    return None\n+    return 0\n@@ ... @@\n" + second)
    (failure,) = failure_of(reply, files).failures
    assert (failure.index, failure.reason) == (1, FailureReason.AMBIGUOUS)


def test_a_read_before_the_assignment_is_not_where_it_goes():
    files = {"m.py": "def run(context):\n    script = produce(context)\n    return script.ops\n"}
    # "    script = produce(context)" left out: above it, the assert would always raise
    # UnboundLocalError.
    body = " def run(context):\n+    assert script.ops is not None\n     return script.ops\n"
    change = run(diff("m.py", "@@ -1,2 +1,3 @@", body), files)
    assert change.contents["m.py"] == files["m.py"].replace(
        "    return", "    assert script.ops is not None\n    return"
    )
    assert change.journal[0].tie_break is TieBreak.UNBOUND_READ
    assert "reading a local variable before assigning it" in change.journal[0].note
    # A global name reads fine on either side.
    body = body.replace("assert script.ops", "assert CONFIG")
    (failure,) = failure_of(diff("m.py", "@@ -1,2 +1,3 @@", body), files).failures
    assert failure.reason is FailureReason.AMBIGUOUS


CHECK = 'def check(kind):\n    if kind not in {\n        "a",\n        "b",\n    }:\n        fail(kind)\n'


def test_a_line_of_a_literal_does_not_become_a_statement_that_does_nothing():
    # "    }:" left out: '"c",' below it would be a statement (a tuple) that does nothing.
    body = '         "a",\n         "b",\n+        "c",\n         fail(kind)\n'
    change = run(diff("m.py", "@@ -3,3 +3,4 @@", body), {"m.py": CHECK})
    assert change.contents["m.py"] == CHECK.replace('"b",\n', '"b",\n        "c",\n')
    assert change.journal[0].tie_break is TieBreak.NO_EFFECT
    # A call does something in the set and as a statement.
    body = body.replace('"c",', "log(kind)")
    (failure,) = failure_of(diff("m.py", "@@ -3,3 +3,4 @@", body), {"m.py": CHECK}).failures
    assert failure.reason is FailureReason.AMBIGUOUS


CHOOSE = "def choose(editable):\n    if editable:\n        return EDITABLE\n    return PLAIN\n"


def test_a_comment_does_not_go_between_a_block_and_its_first_line():
    # "    if editable:" left out: the comment, indented like it, goes above it.
    body = " def choose(editable):\n+    # pick the destination\n         return EDITABLE\n"
    change = run(diff("m.py", "@@ -1,2 +1,3 @@", body), {"m.py": CHOOSE})
    assert change.contents["m.py"] == CHOOSE.replace("    if", "    # pick the destination\n    if")
    assert change.journal[0].tie_break is TieBreak.COMMENT_BEFORE_BODY
    # Indented like the block's body, it fits on either side.
    body = body.replace("+    #", "+        #")
    (failure,) = failure_of(diff("m.py", "@@ -1,2 +1,3 @@", body), {"m.py": CHOOSE}).failures
    assert failure.reason is FailureReason.AMBIGUOUS


EMACS = '''\
class Emacs(Style):
    """
    The default style.
    """

    background = "#f8f8f8"
'''


def test_an_added_statement_is_code_not_the_last_line_of_a_docstring():
    # The docstring's closing quotes left out of the context.
    body = "     The default style.\n+    name = 'emacs'\n \n"
    change = run(diff("m.py", "@@ -3,2 +3,3 @@", body), {"m.py": EMACS})
    assert change.contents["m.py"] == EMACS.replace('"""\n\n', '"""\n    name = \'emacs\'\n\n')
    assert change.journal[0].tie_break is TieBreak.CODE_IN_STRING
    assert "with its added statements as code" in change.journal[0].note
    # Prose can parse as an annotation: it says nothing.
    body = body.replace("name = 'emacs'", "Returns: (name, value)")
    (failure,) = failure_of(diff("m.py", "@@ -3,2 +3,3 @@", body), {"m.py": EMACS}).failures
    assert failure.reason is FailureReason.AMBIGUOUS


# --- SEARCH/REPLACE blocks ---

BLOCKS = """\
bot/retry.py
```python
<<<<<<< SEARCH
    while True:
        attempts += 1
=======
    while attempts < MAX_ATTEMPTS:
        attempts += 1
        log.debug("attempt %d", attempts)
>>>>>>> REPLACE
```
"""


def test_search_replace_exact():
    change = run(BLOCKS, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert change.journal[0].strategy is Strategy.EXACT
    assert change.journal[0].line == 11


def test_search_replace_with_lost_indentation_is_reindented():
    dedented = "\n".join(line.removeprefix("    ") for line in BLOCKS.split("\n"))
    change = run(dedented, {"bot/retry.py": RETRY})
    assert change.contents["bot/retry.py"] == RETRY_FIXED
    assert change.journal[0].strategy is Strategy.REINDENT


def test_search_replace_with_trailing_spaces_on_crlf_file():
    crlf = RETRY.replace("\n", "\r\n")
    reply = BLOCKS.replace("    while True:\n", "    while True:  \n")
    change = run(reply, {"bot/retry.py": crlf})
    assert change.contents["bot/retry.py"] == RETRY_FIXED.replace("\n", "\r\n")
    assert change.journal[0].strategy is Strategy.WHITESPACE


def test_search_replace_ambiguous():
    files = {"m.py": "x = 0\nreturn None\ny = 1\nreturn None\n"}
    reply = "m.py\n<<<<<<< SEARCH\nreturn None\n=======\nreturn 0\n>>>>>>> REPLACE\n"
    err = failure_of(reply, files)
    (failure,) = err.failures
    assert (failure.reason, failure.detail) == (
        FailureReason.AMBIGUOUS,
        "matches at 2 places (file lines 2, 4)",
    )
    assert "m.py, block 1 of 1 (reply line 2): ambiguous" in str(err)


def test_search_replace_not_found():
    reply = (
        "bot/retry.py\n<<<<<<< SEARCH\n    while False:\n=======\n    while 1:\n>>>>>>> REPLACE\n"
    )
    (failure,) = failure_of(reply, {"bot/retry.py": RETRY}).failures
    assert failure.reason is FailureReason.CONTEXT_NOT_FOUND
    assert failure.text.startswith("<<<<<<< SEARCH\n    while False:")


def test_search_replace_new_file_and_existing_file():
    reply = "tests/test_new.py\n<<<<<<< SEARCH\n=======\ndef test_ok():\n    assert True\n>>>>>>> REPLACE\n"
    assert run(reply, {}).contents == {"tests/test_new.py": "def test_ok():\n    assert True\n"}
    (failure,) = failure_of(reply, {"tests/test_new.py": "x\n"}).failures
    assert failure.reason is FailureReason.FILE_EXISTS


def test_second_block_sees_the_first_blocks_result():
    reply = (
        "m.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\na = 2\nb = 1\n=======\na = 3\nb = 1\n>>>>>>> REPLACE\n"
    )
    assert run(reply, {"m.py": "a = 1\nb = 1\n"}).contents["m.py"] == "a = 3\nb = 1\n"
