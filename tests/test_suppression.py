"""A person's "no" holds for the next proposal like it: same rule, same paths, same folder."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import confidence as c
from bot import proposals as p
from bot.suppression import (
    Candidate,
    Suppression,
    Thresholds,
    folders_of,
    normalised,
    suppression_for,
)

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
REPO = "octo/demo"


def no(
    pid: str,
    *paths: str,
    kind: str = "rewrite",
    rule: str | None = None,
    day: int = 0,
    reason: str = c.CLOSED_UNMERGED,
    repository: str = REPO,
) -> c.Outcome:
    return c.Outcome(
        proposal_id=pid,
        repository=repository,
        kind=kind,
        rule_id=rule,
        paths=paths,
        predicted=0.7,
        success=reason == c.MERGED,
        at=T0 + day * DAY,
        reason=reason,
    )


def yes(pid: str, *paths: str, **kwargs: object) -> c.Outcome:
    return no(pid, *paths, reason=c.MERGED, **kwargs)  # type: ignore[arg-type]


def candidate(
    *paths: str, kind: str = "rewrite", rule: str | None = None, key: str | None = None
) -> Candidate:
    return Candidate(repository=REPO, kind=kind, rule_id=rule, paths=paths, key=key)


def test_the_same_rule_turned_down_once_is_suppressed_anywhere() -> None:
    history = [
        no("learned-rule-aa", "src/a.py", kind="learned_rule", rule="R1", day=2, reason=c.REVERTED)
    ]
    found = suppression_for(
        candidate("docs/other.py", kind="learned_rule", rule="R1"), outcomes=history
    )
    assert found == Suppression(
        reason="rule `R1` was turned down before: `learned-rule-aa` (reverted 2026-03-03); say `/evolve retry` to try anyway",
        key="rule:R1",
        evidence=("learned-rule-aa",),
    )
    # Before patching, only the rule is known; it is enough.
    assert suppression_for(candidate(kind="learned_rule", rule="R1"), outcomes=history) is not None
    assert (
        suppression_for(candidate("src/a.py", kind="learned_rule", rule="R2"), outcomes=history)
        is not None
    )  # same path
    assert (
        suppression_for(candidate("lib/z.py", kind="learned_rule", rule="R2"), outcomes=history)
        is None
    )


def test_the_same_kind_on_an_overlapping_path_is_suppressed() -> None:
    history = [no("rewrite-1", "src/a.py", "src/b.py", day=1)]
    found = suppression_for(candidate("./src/b.py", "lib/c.py"), outcomes=history)
    assert found is not None and found.key == "path:rewrite:src/b.py"
    assert (
        "a rewrite change to `src/b.py` was turned down before: `rewrite-1` (closed unmerged 2026-03-02)"
        in found.reason
    )
    # another kind on the same path, or the same kind elsewhere: not this "no"
    assert suppression_for(candidate("src/b.py", kind="instruction"), outcomes=history) is None
    assert suppression_for(candidate("src/c.py"), outcomes=history) is None


def test_two_noes_under_a_folder_suppress_the_kind_there() -> None:
    history = [
        no("r-1", "legacy/old/a.py", day=1),
        no("r-2", "legacy/old/b.py", reason=c.IGNORED, day=3),
    ]
    found = suppression_for(candidate("legacy/old/new.py"), outcomes=history)
    assert found is not None and found.key == "dir:rewrite:legacy/old/"
    assert found.evidence == ("r-1", "r-2")
    assert found.reason.startswith(
        "2 rewrite changes under `legacy/old/` were turned down: `r-2` (ignored with /evolve ignore 2026-03-04), `r-1` (closed unmerged 2026-03-02)"
    )
    # The folder both sit in is named even for a sibling folder's file: legacy/ holds both too.
    assert (
        suppression_for(candidate("legacy/new/x.py"), outcomes=history).key == "dir:rewrite:legacy/"
    )  # type: ignore[union-attr]


def test_one_no_under_a_folder_or_two_at_the_root_is_not_enough() -> None:
    assert suppression_for(candidate("legacy/c.py"), outcomes=[no("r-1", "legacy/a.py")]) is None
    assert (
        suppression_for(candidate("setup.py"), outcomes=[no("r-1", "a.py"), no("r-2", "b.py")])
        is None
    )


def test_ci_failures_are_not_a_no() -> None:
    history = [no("r-1", "src/a.py", reason=c.CI_FAILED), no("r-2", "src/b.py", reason=c.CI_FAILED)]
    assert suppression_for(candidate("src/a.py"), outcomes=history) is None


def test_a_later_success_answers_the_noes_before_it() -> None:
    history = [no("r-1", "src/a.py", day=1), yes("r-2", "src/a.py", day=2)]
    assert suppression_for(candidate("src/a.py"), outcomes=history) is None
    # history order does not matter: outcomes are read by time
    assert suppression_for(candidate("src/a.py"), outcomes=list(reversed(history))) is None
    again = [*history, no("r-3", "src/a.py", day=3)]
    found = suppression_for(candidate("src/a.py"), outcomes=again)
    assert found is not None and found.evidence == ("r-3",)
    rule = [
        no("x", kind="learned_rule", rule="R", day=1),
        yes("y", kind="learned_rule", rule="R", day=2),
    ]
    assert suppression_for(candidate(kind="learned_rule", rule="R"), outcomes=rule) is None


def test_other_repositories_do_not_count() -> None:
    history = [no("r-1", "src/a.py", repository="octo/elsewhere")]
    assert suppression_for(candidate("src/a.py"), outcomes=history) is None


def test_retry_lifts_by_key_or_by_the_candidates_own_key() -> None:
    history = [no("r-1", "legacy/a.py", day=1), no("r-2", "legacy/b.py", day=2)]
    path_and_dir = candidate("legacy/a.py", key="k1")
    assert suppression_for(path_and_dir, outcomes=history).key == "path:rewrite:legacy/a.py"  # type: ignore[union-attr]
    # lifting the path's "no" leaves the folder's
    lifted = suppression_for(
        path_and_dir, outcomes=history, lifted_by_retry={"path:rewrite:legacy/a.py"}
    )
    assert lifted is not None and lifted.key == "dir:rewrite:legacy/"
    both = {"path:rewrite:legacy/a.py", "dir:rewrite:legacy/"}
    assert suppression_for(path_and_dir, outcomes=history, lifted_by_retry=both) is None
    assert suppression_for(path_and_dir, outcomes=history, lifted_by_retry={"k1"}) is None


def test_a_long_list_of_evidence_is_cut_short() -> None:
    history = [no(f"r-{i}", f"legacy/{i}.py", day=i) for i in range(8)]
    found = suppression_for(candidate("legacy/new.py"), outcomes=history)
    assert found is not None and len(found.evidence) == 8
    assert "`r-7`" in found.reason and "`r-2`" not in found.reason and " and 3 more" in found.reason


def test_a_candidate_from_a_proposal() -> None:
    made = p.new_proposal(
        kind="learned_rule", repository=REPO, installation_id=1, title="t", rationale="r",
        spec={"rule_id": "R9"}, at=T0,
    )  # fmt: skip
    made = dataclasses.replace(made, targets=("src/a.py",))
    assert Candidate.of(made) == Candidate(
        repository=REPO, kind="learned_rule", rule_id="R9", paths=("src/a.py",), key=made.key
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": ""}, ValueError, "a candidate needs a kind"),
        ({"kind": "rewrite", "paths": "src/a.py"}, TypeError, "paths must be a list"),
        ({"kind": "rewrite", "paths": ["src/a.py"]}, TypeError, "paths must be a list"),
    ],
)
def test_a_bad_candidate_is_refused(kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Candidate(repository=REPO, **kwargs)


def test_paths_and_folders() -> None:
    assert (
        normalised("./src/a.py") == normalised("/src/a.py") == normalised("src\\a.py") == "src/a.py"
    )
    assert folders_of("a/b/c.py") == ["a/b/", "a/"]
    assert folders_of("setup.py") == []


def test_thresholds_ask_for_more_noes_per_scope() -> None:
    history = [no("r-1", "src/a.py", kind="learned_rule", rule="R", day=1)]
    strict = Thresholds(rule=2, path=2, folder=3)
    assert (
        suppression_for(
            candidate("lib/b.py", kind="learned_rule", rule="R"),
            outcomes=history,
            thresholds=strict,
        )
        is None
    )
    assert (
        suppression_for(
            candidate("src/a.py", kind="learned_rule"), outcomes=history, thresholds=strict
        )
        is None
    )
    twice = [*history, no("r-2", "src/a.py", kind="learned_rule", rule="R", day=2)]
    found = suppression_for(
        candidate("src/a.py", kind="learned_rule", rule="R"), outcomes=twice, thresholds=strict
    )
    assert found is not None and found.key == "rule:R" and found.evidence == ("r-1", "r-2")
    folder = [no("x1", "legacy/a.py", day=1), no("x2", "legacy/b.py", day=2)]
    assert suppression_for(candidate("legacy/c.py"), outcomes=folder, thresholds=strict) is None


@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_thresholds_refuse_nonsense(value: object) -> None:
    with pytest.raises(ValueError, match="threshold folder must be a whole number ≥ 1"):
        Thresholds(folder=value)  # type: ignore[arg-type]
