"""The proposal state machine: the paths the loop takes, the ones it may not, and stable keys."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import proposals as p

AT = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def fresh(**spec: str) -> p.Proposal:
    return p.new_proposal(
        kind="rewrite", repository="Octo/Demo", installation_id=1, title="t", rationale="asked by alice",
        spec=spec or {"pattern": "$X == None", "fix": "$X is None"}, at=AT,
    )


def walk(proposal: p.Proposal, *states: str) -> p.Proposal:
    for state in states:
        proposal = p.advance(proposal, state, at=AT, reason=f"to {state}")
    return proposal


def test_the_happy_path_keeps_its_history() -> None:
    done = walk(fresh(), p.PATCHING, p.PR_OPEN, p.TESTING, p.PASSED, p.MERGED, p.REVERTED)
    assert [s.state for s in done.history] == ["proposed", "patching", "pr_open", "testing", "passed", "merged", "reverted"]
    assert done.history[0].reason == "asked by alice"


@pytest.mark.parametrize(
    "path",
    [
        (p.ASKED, p.PATCHING, p.PR_OPEN, p.TESTING, p.FAILED, p.CLOSED),
        (p.SUGGESTED, p.SKIPPED, p.PROPOSED),
        (p.HELD, p.PATCHING, p.PR_OPEN, p.TESTING, p.UNTESTED, p.MERGED),
        (p.PATCHING, p.PR_OPEN, p.CLOSED, p.PROPOSED),
        (p.PATCHING, p.PR_OPEN, p.TESTING, p.FAILED, p.PATCHING, p.PR_OPEN),
        # A revert PR closed unmerged: the change it would have undone stays merged.
        (p.PATCHING, p.PR_OPEN, p.MERGED, p.REVERTED, p.MERGED),
    ],
)
def test_allowed_paths(path: tuple[str, ...]) -> None:
    assert walk(fresh(), *path).state == path[-1]


@pytest.mark.parametrize(
    ("path", "bad"),
    [((), p.MERGED), ((p.PATCHING, p.PR_OPEN, p.CLOSED), p.REVERTED), ((p.PATCHING, p.PR_OPEN, p.TESTING, p.PASSED, p.MERGED), p.CLOSED), ((), "exploded")],
)
def test_forbidden_transitions_raise(path: tuple[str, ...], bad: str) -> None:
    proposal = walk(fresh(), *path)
    with pytest.raises(p.InvalidTransition, match=bad):
        p.advance(proposal, bad, at=AT, reason="nope")


def test_same_change_same_key_and_id() -> None:
    a, b = fresh(), fresh()
    assert a.key == b.key and a.id == b.id and a.id.startswith("rewrite-")
    assert fresh(pattern="x", fix="y").key != a.key
    again = p.new_proposal(kind="rewrite", repository="octo/demo", installation_id=1, title="t", rationale="r", spec=a.spec, at=AT, suffix=2)
    assert again.key == a.key and again.id == a.id + "-2"


def test_round_trip_through_dict() -> None:
    proposal = walk(fresh(), p.PATCHING, p.PR_OPEN)
    proposal = p.advance(proposal, p.TESTING, at=AT, reason="ci", pr_number=4, targets=("a.py",))
    assert p.Proposal.from_dict(proposal.to_dict()) == proposal


def test_lifecycle_flags_are_fields_stored_inside_spec_as_before() -> None:
    flagged = dataclasses.replace(fresh(), thumbs_down=1, closed_by_human=False, retried=2, approved_by="bob")
    stored = flagged.to_dict()
    assert stored["spec"] == {
        "pattern": "$X == None", "fix": "$X is None",
        "thumbs_down": 1, "closed_by_human": False, "retried": 2, "approved_by": "bob",
    }  # fmt: skip
    assert not set(p.LIFECYCLE_FLAGS) & set(stored)
    assert p.Proposal.from_dict(stored) == flagged
    # A proposal stored before the flags were fields reads the same.
    old = {**fresh().to_dict(), "spec": {"pattern": "a", "ignored": True, "thumbs_up": 0, "ab_reported": True}}
    read = p.Proposal.from_dict(old)
    assert (read.spec, read.ignored, read.thumbs_up, read.ab_reported, read.closed_by_human) == ({"pattern": "a"}, True, 0, True, None)


def test_kinds_are_strings() -> None:
    assert p.Kind.LEARNED_RULE == "learned_rule" and f"{p.Kind.LEARNED_RULE}" == "learned_rule"
    assert fresh().id.startswith("rewrite-") and p.stable_key(p.Kind.REWRITE, "o/r", {}) == p.stable_key("rewrite", "o/r", {})
