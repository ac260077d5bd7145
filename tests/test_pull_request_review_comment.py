"""Review comments become signals; ```suggestion blocks become before/after text with lines."""

from __future__ import annotations

import copy

import pytest

from bot.signals import ReviewCommentSignal, Suggestion
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route
from webhooks.pull_request_review_comment import hunk_lines, suggested_texts

HUNK = """@@ -10,6 +10,7 @@ def load(path):
     with open(path) as f:
         data = f.read()
-    if data == None:
+    if data is None:
+        log.warning("empty")
         return {}
     return parse(data)"""


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "pull_request_review_comment" and not n.startswith("deleted")])
def test_examples_give_review_comment_signals(name: str) -> None:
    payload = load_payload("pull_request_review_comment", name)
    (signal,) = route("pull_request_review_comment", payload)
    assert isinstance(signal, ReviewCommentSignal)
    assert signal.path == payload["comment"]["path"]
    assert signal.commit_id == payload["comment"]["commit_id"]
    assert signal.suggestions == ()


def test_deleted_review_comments_are_not_signals() -> None:
    assert route("pull_request_review_comment", load_payload("pull_request_review_comment", "deleted.1")) == []


def test_hunk_lines_by_side() -> None:
    right = hunk_lines(HUNK, side="RIGHT")
    assert right[12] == "    if data is None:"
    assert right[13] == '        log.warning("empty")'
    assert right[15] == "    return parse(data)"
    left = hunk_lines(HUNK, side="LEFT")
    assert left[12] == "    if data == None:"
    assert left[14] == "    return parse(data)"


def test_suggestion_texts() -> None:
    body = (
        "Use a guard.\n```suggestion\n    if not data:\n        return {}\n```\n"
        "Or drop it:\n````suggestion\n````\n"
        "> ```suggestion\n> quoted text is not a block\n"
        "```python\nnot a suggestion\n```"
    )
    assert suggested_texts(body) == ["    if not data:\n        return {}", ""]


def with_suggestion(body: str, *, line: int, start_line: int | None) -> dict:
    payload = copy.deepcopy(load_payload("pull_request_review_comment", "created.1"))
    payload["comment"].update(
        body=body, path="app/load.py", diff_hunk=HUNK, line=line,
        original_line=line, start_line=start_line, original_start_line=start_line, side="RIGHT",
        start_side="RIGHT" if start_line else None,
    )
    return payload


def test_single_line_suggestion_has_before_and_after() -> None:
    payload = with_suggestion("```suggestion\n    if not data:\n```", line=12, start_line=None)
    (signal,) = route("pull_request_review_comment", payload)
    assert signal.suggestions == (
        Suggestion(path="app/load.py", start_line=12, end_line=12, before="    if data is None:", after="    if not data:"),
    )


def test_multi_line_suggestion_covers_the_range() -> None:
    payload = with_suggestion("Simpler:\n```suggestion\n    if not data: return {}\n```", line=14, start_line=12)
    (signal,) = route("pull_request_review_comment", payload)
    (suggestion,) = signal.suggestions
    assert (suggestion.start_line, suggestion.end_line) == (12, 14)
    assert suggestion.before == '    if data is None:\n        log.warning("empty")\n        return {}'
    assert suggestion.after == "    if not data: return {}"


def test_before_is_unknown_when_the_hunk_does_not_show_the_lines() -> None:
    payload = with_suggestion("```suggestion\nx = 1\n```", line=12, start_line=3)
    (signal,) = route("pull_request_review_comment", payload)
    assert signal.suggestions[0].before is None
    assert signal.suggestions[0].after == "x = 1"
