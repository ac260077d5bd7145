"""Signals survive the store's JSON round trip, and unknown kinds or fields still load."""

from __future__ import annotations

import json

from bot.signals import CheckSignal, PushedCommit, PushSignal, ReviewCommentSignal, Signal, Suggestion, signal_from_dict

BASE = dict(delivery_id="d", event="e", action="a", installation_id=1, repository="o/r", actor="u", from_bot=False)


def round_trip(signal: Signal) -> Signal:
    return signal_from_dict(json.loads(json.dumps(signal.to_dict())))


def test_nested_records_round_trip() -> None:
    s = ReviewCommentSignal(
        **BASE, number=1, comment_id=2, body="b", path="p.py", line=3, start_line=None, side="RIGHT", commit_id="c",
        diff_hunk="@@", suggestions=(Suggestion(path="p.py", start_line=3, end_line=3, before="x", after="y"),),
    )
    assert round_trip(s) == s
    p = PushSignal(**BASE, ref="refs/heads/main", before="a", after="b", forced=False, commits=(PushedCommit(sha="s", message="m", author="u", added=("x",)),))
    assert round_trip(p) == p
    c = CheckSignal(**BASE, source="check_run", name="ci", head_sha="h", head_branch=None, status="completed", conclusion="success", app_slug="ci", pull_requests=(1, 2))
    assert round_trip(c) == c


def test_unknown_kind_and_fields_load_as_plain_signal() -> None:
    data = {"kind": "from-the-future", "novel": 1, **BASE}
    loaded = signal_from_dict(data)
    assert type(loaded) is Signal and loaded.repository == "o/r"
