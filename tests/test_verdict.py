"""CI as the AutoTester: the verdict on a head commit from its check runs and commit statuses."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.verdict import (
    FAILING_CONCLUSIONS,
    FailingCheck,
    HeadCheck,
    HeadStatus,
    Verdict,
    human_duration,
    judge,
)

T0 = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(minutes=30)
EARLY = dt.timedelta(minutes=5)
LATE = dt.timedelta(hours=2)


def check(
    name: str,
    conclusion: str | None = "success",
    *,
    status: str | None = None,
    started: int | None = 0,
    id: int | None = None,
    summary: str | None = None,
) -> HeadCheck:
    """A check run started `started` minutes after T0; a conclusion means it completed a minute later."""
    started_at = T0 + dt.timedelta(minutes=started) if started is not None else None
    completed = conclusion is not None
    return HeadCheck(
        name=name,
        status=status or ("completed" if completed else "in_progress"),
        conclusion=conclusion,
        started_at=started_at,
        completed_at=started_at + dt.timedelta(minutes=1) if completed and started_at else None,
        summary=summary,
        id=id,
        details_url=f"https://ci.example/{name}",
    )


def status(
    context: str, state: str = "success", *, updated: int | None = 0, description: str | None = None
) -> HeadStatus:
    at = T0 + dt.timedelta(minutes=updated) if updated is not None else None
    return HeadStatus(
        context=context, state=state, description=description, created_at=at, updated_at=at
    )


def verdict(
    checks: list[HeadCheck],
    statuses: list[HeadStatus] | None = None,
    *,
    required: list[str] | None = None,
    since: dt.timedelta = EARLY,
) -> Verdict:
    return judge(
        checks, statuses or [], required_checks=required, since_push=since, untested_after=WINDOW
    )


# --- nothing reported -----------------------------------------------------------------------


def test_nothing_yet_within_the_window_is_pending() -> None:
    result = verdict([])
    assert result.state == "pending"
    assert result.required == () and result.missing == ()
    assert result.describe() == "CI pending: no checks reported yet"


def test_nothing_after_the_window_is_untested() -> None:
    result = verdict([], since=LATE)
    assert result.state == "untested"
    assert (
        result.describe()
        == "CI untested: no checks or statuses reported within 30 minutes of the push"
    )


def test_the_window_ends_exactly_at_untested_after() -> None:
    assert verdict([], since=WINDOW - dt.timedelta(seconds=1)).state == "pending"
    assert verdict([], since=WINDOW).state == "untested"


def test_only_the_bots_own_check_is_nothing() -> None:
    assert verdict([check("evolve")], since=LATE).state == "untested"
    assert verdict([], [status("evolve")], since=LATE).state == "untested"


# --- passing ----------------------------------------------------------------------------------


def test_all_success_passes() -> None:
    result = verdict([check("tests"), check("lint")], [status("ci/jenkins")])
    assert result.state == "passed"
    assert result.required == ("ci/jenkins", "lint", "tests")
    assert result.passed == ("ci/jenkins", "lint", "tests")
    assert result.describe() == "CI passed: ci/jenkins, lint, tests"


@pytest.mark.parametrize("conclusion", ["neutral", "skipped"])
def test_neutral_and_skipped_satisfy_even_an_explicit_requirement(conclusion: str) -> None:
    # GitHub's branch protection: success, neutral and skipped all satisfy a required check.
    assert (
        verdict([check("tests"), check("docs", conclusion)], required=["tests", "docs"]).state
        == "passed"
    )
    assert verdict([check("tests"), check("docs", conclusion)]).state == "passed"


def test_checks_not_required_do_not_count() -> None:
    result = verdict(
        [check("tests"), check("flaky", "failure"), check("slow", None)], required=["tests"]
    )
    assert result.state == "passed"
    assert result.required == ("tests",) and result.passed == ("tests",)


def test_a_status_satisfies_a_required_name() -> None:
    assert verdict([], [status("ci/circleci")], required=["ci/circleci"]).state == "passed"


# --- failing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("conclusion", sorted(FAILING_CONCLUSIONS))
def test_every_failing_conclusion_fails(conclusion: str) -> None:
    result = verdict([check("lint"), check("tests", conclusion, summary="2 failed")])
    assert result.state == "failed"
    assert result.failing == (
        FailingCheck("tests", conclusion, "2 failed", "https://ci.example/tests"),
    )
    assert result.passed == ("lint",)
    assert result.describe() == f"CI failed: tests ({conclusion})"


def test_a_conclusion_github_adds_later_is_not_a_pass() -> None:
    assert verdict([check("tests", "mystery")]).state == "failed"


@pytest.mark.parametrize("state", ["failure", "error"])
def test_failing_status(state: str) -> None:
    result = verdict(
        [check("tests")], [status("ci/jenkins", state, description="Build #12 failed")]
    )
    assert result.state == "failed"
    assert result.failing == (FailingCheck("ci/jenkins", state, "Build #12 failed", None),)


def test_failure_wins_over_pending_and_missing() -> None:
    result = verdict(
        [check("tests", "failure"), check("build", None)], required=["tests", "build", "deploy"]
    )
    assert result.state == "failed"
    assert result.pending == ("build",) and result.missing == ("deploy",)


def test_title_stands_in_for_a_missing_summary() -> None:
    run = HeadCheck(name="tests", status="completed", conclusion="failure", title="3 tests failed")
    assert verdict([run]).failing == (FailingCheck("tests", "failure", "3 tests failed", None),)


def test_several_failures_are_all_listed() -> None:
    result = verdict([check("a", "failure"), check("b", "timed_out"), check("c")])
    assert [f.name for f in result.failing] == ["a", "b"]
    assert result.describe() == "CI failed: a (failure), b (timed_out)"


# --- pending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("run_status", ["queued", "in_progress", "waiting", "requested", "pending"])
def test_unfinished_check_is_pending(run_status: str) -> None:
    result = verdict([check("tests"), check("build", None, status=run_status)], since=LATE)
    assert result.state == "pending"
    assert result.pending == ("build",)
    assert result.describe() == "CI pending: waiting for build"


def test_pending_status_is_pending() -> None:
    assert (
        verdict([check("tests")], [status("ci/jenkins", "pending")], since=LATE).state == "pending"
    )


def test_required_check_not_yet_reported_within_the_window_is_pending() -> None:
    result = verdict([check("tests")], required=["tests", "e2e"])
    assert result.state == "pending" and result.missing == ("e2e",)
    assert result.describe() == "CI pending: waiting for e2e"


def test_something_still_running_outlasts_the_window() -> None:
    # A workflow triggered by another one's completion can still add the missing check.
    result = verdict([check("tests", None)], required=["tests", "e2e"], since=LATE)
    assert result.state == "pending"
    assert result.describe() == "CI pending: waiting for tests, e2e"


# --- untested ---------------------------------------------------------------------------------


def test_required_check_that_never_appeared_is_untested() -> None:
    result = verdict([check("tests")], required=["tests", "e2e", "lint"], since=LATE)
    assert result.state == "untested"
    assert result.missing == ("e2e", "lint") and result.passed == ("tests",)
    assert (
        result.describe()
        == "CI untested: required checks never reported within 30 minutes of the push: e2e, lint"
    )
    one = verdict([], required=["e2e"], since=LATE)
    assert (
        one.describe()
        == "CI untested: required check never reported within 30 minutes of the push: e2e"
    )


# --- the bot's own check ------------------------------------------------------------------------


def test_own_check_is_never_waited_for() -> None:
    assert verdict([check("tests"), check("evolve", None)]).state == "passed"
    assert verdict([check("tests"), check("evolve", "failure")]).state == "passed"
    result = verdict([check("tests"), check("evolve", None)], required=["tests", "evolve"])
    assert result.state == "passed" and result.required == ("tests",)
    renamed = judge([check("evolve", "failure"), check("mine", None)], required_checks=None, since_push=EARLY,
                    untested_after=WINDOW, own_check="mine")  # fmt: skip
    assert renamed.state == "failed"


# --- re-runs ----------------------------------------------------------------------------------


def test_newest_rerun_wins_whatever_the_order() -> None:
    old_fail, new_pass = check("tests", "failure", started=0), check("tests", "success", started=10)
    assert verdict([old_fail, new_pass]).state == "passed"
    assert verdict([new_pass, old_fail]).state == "passed"
    old_pass, new_fail = check("tests", "success", started=0), check("tests", "failure", started=10)
    assert verdict([new_fail, old_pass]).state == "failed"
    rerunning = check("tests", None, started=20)
    assert verdict([old_pass, rerunning, new_fail]).state == "pending"


def test_same_start_falls_back_to_id_then_to_listing_order() -> None:
    a, b = check("tests", "failure", started=0, id=7), check("tests", "success", started=0, id=9)
    assert verdict([b, a]).state == "passed"
    undated_fail = check("tests", "failure", started=None)
    undated_pass = check("tests", "success", started=None)
    # No time, no id: GitHub lists newest first.
    assert verdict([undated_pass, undated_fail]).state == "passed"
    assert verdict([undated_fail, undated_pass]).state == "failed"


def test_newest_status_wins() -> None:
    statuses = [
        status("ci/jenkins", "failure", updated=0),
        status("ci/jenkins", "success", updated=5),
    ]
    assert verdict([], statuses).state == "passed"
    assert verdict([], list(reversed(statuses))).state == "passed"
    undated = [
        status("ci/jenkins", "success", updated=None),
        status("ci/jenkins", "failure", updated=None),
    ]
    assert verdict([], undated).state == "passed"


def test_check_and_status_of_one_name_must_both_pass() -> None:
    assert verdict([check("ci")], [status("ci", "failure")]).state == "failed"
    assert verdict([check("ci", "failure")], [status("ci")]).state == "failed"
    assert verdict([check("ci")], [status("ci", "pending")]).state == "pending"
    assert verdict([check("ci")], [status("ci")]).passed == ("ci",)


def test_required_names_keep_their_order_and_duplicates_collapse() -> None:
    result = verdict([check("b"), check("a")], required=["b", "a", "b"])
    assert result.required == ("b", "a") and result.passed == ("b", "a")


# --- GitHub payloads --------------------------------------------------------------------------

CHECK_RUN_PAYLOAD: dict[str, Any] = {
    "id": 4,
    "head_sha": "ce587453ced02b1526dfb4cb910479d431683101",
    "node_id": "MDg6Q2hlY2tSdW40",
    "external_id": "",
    "url": "https://api.github.com/repos/github/hello-world/check-runs/4",
    "html_url": "https://github.com/github/hello-world/runs/4",
    "details_url": "https://example.com",
    "status": "completed",
    "conclusion": "failure",
    "started_at": "2018-05-04T01:14:52Z",
    "completed_at": "2018-05-04T01:15:30Z",
    "output": {
        "title": "Test results",
        "summary": "1 failed, 9 passed in 3.20s",
        "text": "FAILED tests/test_x.py::test_y",
        "annotations_count": 0,
        "annotations_url": "https://api.github.com/repos/github/hello-world/check-runs/4/annotations",
    },
    "name": "pytest",
    "check_suite": {"id": 5},
    "app": {"id": 1, "slug": "github-actions", "name": "GitHub Actions"},
    "pull_requests": [],
}
STATUS_PAYLOAD: dict[str, Any] = {
    "url": "https://api.github.com/repos/octocat/Hello-World/statuses/6dcb09b5b57875f334f61aebed695e2e4193db5e",
    "avatar_url": "https://github.com/images/error/hubot_happy.gif",
    "id": 1,
    "node_id": "MDY6U3RhdHVzMQ==",
    "state": "success",
    "description": "Build has completed successfully",
    "target_url": "https://ci.example.com/1000/output",
    "context": "continuous-integration/jenkins",
    "created_at": "2012-07-20T01:19:13Z",
    "updated_at": "2012-07-20T01:19:13Z",
}


def test_from_api_payloads() -> None:
    run = HeadCheck.from_api(CHECK_RUN_PAYLOAD)
    assert run == HeadCheck(
        name="pytest",
        status="completed",
        conclusion="failure",
        app_slug="github-actions",
        started_at=dt.datetime(2018, 5, 4, 1, 14, 52, tzinfo=dt.UTC),
        completed_at=dt.datetime(2018, 5, 4, 1, 15, 30, tzinfo=dt.UTC),
        title="Test results",
        summary="1 failed, 9 passed in 3.20s",
        text="FAILED tests/test_x.py::test_y",
        id=4,
        details_url="https://example.com",
    )
    assert run.duration_seconds == 38.0
    queued = HeadCheck.from_api(
        {"name": "build", "status": "queued", "conclusion": None, "started_at": None}
    )
    assert queued.duration_seconds is None and not queued.finished
    st = HeadStatus.from_api(STATUS_PAYLOAD)
    assert st.context == "continuous-integration/jenkins" and st.state == "success" and st.id == 1
    assert st.updated_at == dt.datetime(2012, 7, 20, 1, 19, 13, tzinfo=dt.UTC)
    result = judge([run], [st], required_checks=None, since_push=EARLY, untested_after=WINDOW)
    assert result.failing == (
        FailingCheck("pytest", "failure", "1 failed, 9 passed in 3.20s", "https://example.com"),
    )


def test_verdict_to_dict_is_json() -> None:
    result = verdict([check("tests", "failure", summary="boom")], required=["tests", "e2e"])
    assert json.loads(json.dumps(result.to_dict())) == {
        "state": "failed",
        "required": ["tests", "e2e"],
        "passed": [],
        "pending": [],
        "missing": ["e2e"],
        "failing": [
            {
                "name": "tests",
                "conclusion": "failure",
                "summary": "boom",
                "url": "https://ci.example/tests",
            }
        ],
        "window_seconds": 1800.0,
    }


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: HeadCheck(name="tests", status="completed"),
            "check run 'tests' is completed but has no conclusion",
        ),
        (lambda: HeadCheck(name="", status="queued"), "a check run needs a non-empty name"),
        (
            lambda: HeadCheck(name="t", status="queued", started_at=dt.datetime(2026, 1, 1)),
            "check run 't': started_at must be timezone-aware",
        ),
        (lambda: HeadStatus(context="ci", state="done"), "commit status 'ci' has state 'done'"),
        (
            lambda: HeadStatus(context="", state="success"),
            "a commit status needs a non-empty context",
        ),
        (
            lambda: HeadStatus(context="ci", state="success", updated_at=dt.datetime(2026, 1, 1)),
            "commit status 'ci': updated_at must be timezone-aware",
        ),
        (lambda: HeadCheck.from_api({"status": "queued"}), "check run payload lacks 'name'"),
        (lambda: HeadStatus.from_api({"context": "ci"}), "commit status payload lacks 'state'"),
        (
            lambda: HeadCheck.from_api(
                {"name": "t", "status": "queued", "started_at": "yesterday"}
            ),
            "check run payload has started_at='yesterday', not an ISO 8601 time",
        ),
        (
            lambda: judge(
                [], required_checks=None, since_push=dt.timedelta(seconds=-1), untested_after=WINDOW
            ),
            "since_push must not be negative",
        ),
        (
            lambda: judge([], required_checks=None, since_push=EARLY, untested_after=-WINDOW),
            "untested_after must not be negative",
        ),
    ],
)
def test_bad_input_is_a_clear_error(make: Any, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        make()
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (dt.timedelta(minutes=30), "30 minutes"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(days=2), "2 days"),
        (dt.timedelta(seconds=90), "90 seconds"),
        (dt.timedelta(seconds=1), "1 second"),
    ],
)
def test_human_duration(span: dt.timedelta, text: str) -> None:
    assert human_duration(span) == text
