"""Verdict: what CI says about a pull request's head commit (pending, passed, failed or untested).

CI is the AutoTester: the bot never runs a repository's tests itself, it reads the check runs and
commit statuses GitHub holds for the head commit. The rules follow GitHub's branch protection:

* A required name is satisfied by a check run or a commit status of that name (both, when both
  exist). Of several check runs (re-runs) or statuses with one name, the newest counts: by
  start time (else completion or update time), then by id; with neither, the one listed first,
  as GitHub lists newest first.
* A check run passes when completed with `success`, `neutral` or `skipped`, whether or not it is
  explicitly required; any other conclusion (`failure`, `cancelled`, `timed_out`,
  `action_required`, `startup_failure`, `stale`, or one GitHub adds later) fails it. A status
  passes on `success` and fails on `error` or `failure`.
* `required_checks=None` requires every check run and status present on the head commit.
* The bot's own check (`evolve` by default) reports this verdict, so it is never waited for,
  even when named in `required_checks`: waiting for it would wait forever.

Precedence: any required failure makes the verdict `failed` at once; otherwise anything still
running makes it `pending`; otherwise required names that never appeared (or nothing at all,
when nothing is named) make it `pending` within the `untested_after` window after the push and
`untested` after it; otherwise it is `passed`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

OWN_CHECK = "evolve"
PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})
# The failing conclusions GitHub documents; an unknown conclusion fails too (it is not a pass).
FAILING_CONCLUSIONS = frozenset(
    {"failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"}
)
STATUS_STATES = frozenset({"error", "failure", "pending", "success"})
FAILING_STATES = frozenset({"error", "failure"})

VerdictState = Literal["pending", "passed", "failed", "untested"]

COMPLETED_WITHOUT_CONCLUSION = "check run {name!r} is completed but has no conclusion"
NAIVE_TIMESTAMP = "{what} {name!r}: {field} must be timezone-aware, got {value!r}"
UNKNOWN_STATE = "commit status {context!r} has state {state!r}; GitHub's states are error, failure, pending, success"
EMPTY_NAME = "a {what} needs a non-empty {field}"
PAYLOAD_LACKS = "{what} payload lacks {field!r}"
BAD_TIMESTAMP = "{what} payload has {field}={value!r}, not an ISO 8601 time"
NEGATIVE_DURATION = "{name} must not be negative, got {value}"

DESCRIBE_PASSED = "CI passed: {names}"
DESCRIBE_FAILED = "CI failed: {failures}"
DESCRIBE_PENDING = "CI pending: waiting for {names}"
DESCRIBE_WAITING_FOR_ANY = "CI pending: no checks reported yet"
DESCRIBE_UNTESTED_NOTHING = (
    "CI untested: no checks or statuses reported within {window} of the push"
)
DESCRIBE_UNTESTED_MISSING = (
    "CI untested: required {noun} never reported within {window} of the push: {names}"
)


def human_duration(span: dt.timedelta) -> str:
    """`span` as people write it in a comment: 30 minutes, 2 hours, 90 seconds."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _parse_time(data: Mapping[str, Any], field: str, *, what: str) -> dt.datetime | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(BAD_TIMESTAMP.format(what=what, field=field, value=value)) from exc


def _require(data: Mapping[str, Any], field: str, *, what: str) -> Any:
    if field not in data:
        raise ValueError(PAYLOAD_LACKS.format(what=what, field=field))
    return data[field]


def _check_aware(what: str, name: str, **times: dt.datetime | None) -> None:
    # Mixing naive and aware times fails only later, comparing re-runs; say so where it comes in.
    for field, value in times.items():
        if value is not None and value.tzinfo is None:
            raise ValueError(NAIVE_TIMESTAMP.format(what=what, name=name, field=field, value=value))


@dataclass(frozen=True)
class HeadCheck:
    """A check run on the head commit, as GitHub reports it."""

    name: str
    status: str  # queued | in_progress | completed | waiting | requested | pending
    conclusion: str | None = None
    app_slug: str | None = None
    started_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    id: int | None = None
    details_url: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError(EMPTY_NAME.format(what="check run", field="name"))
        if self.status == "completed" and not self.conclusion:
            raise ValueError(COMPLETED_WITHOUT_CONCLUSION.format(name=self.name))
        _check_aware(
            "check run", self.name, started_at=self.started_at, completed_at=self.completed_at
        )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> HeadCheck:
        """From an item of GitHub's `GET /repos/{owner}/{repo}/commits/{ref}/check-runs` (or a check_run webhook)."""
        what = "check run"
        output = data.get("output") or {}
        return cls(
            name=_require(data, "name", what=what),
            status=_require(data, "status", what=what),
            conclusion=data.get("conclusion"),
            app_slug=(data.get("app") or {}).get("slug"),
            started_at=_parse_time(data, "started_at", what=what),
            completed_at=_parse_time(data, "completed_at", what=what),
            title=output.get("title"),
            summary=output.get("summary"),
            text=output.get("text"),
            id=data.get("id"),
            details_url=data.get("details_url") or data.get("html_url"),
        )

    @property
    def finished(self) -> bool:
        return self.status == "completed"

    @property
    def passed(self) -> bool:
        return self.finished and self.conclusion in PASSING_CONCLUSIONS

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to completion, when GitHub reported both."""
        if self.started_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class HeadStatus:
    """A commit status on the head commit, as GitHub reports it."""

    context: str
    state: str  # error | failure | pending | success
    description: str | None = None
    target_url: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.context:
            raise ValueError(EMPTY_NAME.format(what="commit status", field="context"))
        if self.state not in STATUS_STATES:
            raise ValueError(UNKNOWN_STATE.format(context=self.context, state=self.state))
        _check_aware(
            "commit status", self.context, created_at=self.created_at, updated_at=self.updated_at
        )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> HeadStatus:
        """From an item of GitHub's `GET /repos/{owner}/{repo}/commits/{ref}/statuses` (or a status webhook)."""
        what = "commit status"
        return cls(
            context=_require(data, "context", what=what),
            state=_require(data, "state", what=what),
            description=data.get("description"),
            target_url=data.get("target_url"),
            created_at=_parse_time(data, "created_at", what=what),
            updated_at=_parse_time(data, "updated_at", what=what),
            id=data.get("id"),
        )


@dataclass(frozen=True)
class FailingCheck:
    """A required check that failed: its conclusion (or status state) and what it said."""

    name: str
    conclusion: str
    summary: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Verdict:
    """CI's judgement of the head commit, with the names behind it."""

    state: VerdictState
    required: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # required but never reported
    failing: tuple[FailingCheck, ...] = ()
    window: dt.timedelta = dt.timedelta(0)

    def describe(self) -> str:
        """One line for a comment or the journal."""
        if self.state == "failed":
            return DESCRIBE_FAILED.format(
                failures=", ".join(f"{f.name} ({f.conclusion})" for f in self.failing)
            )
        if self.state == "passed":
            return DESCRIBE_PASSED.format(names=", ".join(self.passed))
        if self.state == "pending":
            waiting = (*self.pending, *self.missing)
            return (
                DESCRIBE_PENDING.format(names=", ".join(waiting))
                if waiting
                else DESCRIBE_WAITING_FOR_ANY
            )
        if not self.missing:
            return DESCRIBE_UNTESTED_NOTHING.format(window=human_duration(self.window))
        noun = "check" if len(self.missing) == 1 else "checks"
        return DESCRIBE_UNTESTED_MISSING.format(
            noun=noun, window=human_duration(self.window), names=", ".join(self.missing)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "required": list(self.required),
            "passed": list(self.passed),
            "pending": list(self.pending),
            "missing": list(self.missing),
            "failing": [
                {"name": f.name, "conclusion": f.conclusion, "summary": f.summary, "url": f.url}
                for f in self.failing
            ],
            "window_seconds": self.window.total_seconds(),
        }


_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _newest_checks(checks: Iterable[HeadCheck]) -> dict[str, HeadCheck]:
    newest: dict[str, tuple[tuple[dt.datetime, dt.datetime, int, int], HeadCheck]] = {}
    for position, check in enumerate(checks):
        key = (
            check.started_at or check.completed_at or _OLDEST,
            check.completed_at or _OLDEST,
            check.id if check.id is not None else -1,
            -position,  # GitHub lists newest first
        )
        if check.name not in newest or key > newest[check.name][0]:
            newest[check.name] = (key, check)
    return {name: check for name, (_, check) in newest.items()}


def _newest_statuses(statuses: Iterable[HeadStatus]) -> dict[str, HeadStatus]:
    newest: dict[str, tuple[tuple[dt.datetime, int, int], HeadStatus]] = {}
    for position, status in enumerate(statuses):
        key = (
            status.updated_at or status.created_at or _OLDEST,
            status.id if status.id is not None else -1,
            -position,
        )
        if status.context not in newest or key > newest[status.context][0]:
            newest[status.context] = (key, status)
    return {context: status for context, (_, status) in newest.items()}


def judge(
    checks: Sequence[HeadCheck],
    statuses: Sequence[HeadStatus] = (),
    *,
    required_checks: Sequence[str] | None,
    since_push: dt.timedelta,
    untested_after: dt.timedelta,
    own_check: str = OWN_CHECK,
) -> Verdict:
    """The verdict on a head commit from its check runs and statuses, `since_push` after the push."""
    if since_push < dt.timedelta(0):
        raise ValueError(NEGATIVE_DURATION.format(name="since_push", value=since_push))
    if untested_after < dt.timedelta(0):
        raise ValueError(NEGATIVE_DURATION.format(name="untested_after", value=untested_after))
    runs = _newest_checks(c for c in checks if c.name != own_check)
    states = _newest_statuses(s for s in statuses if s.context != own_check)
    if required_checks is None:
        required = sorted(set(runs) | set(states))
    else:
        required = [name for name in dict.fromkeys(required_checks) if name != own_check]

    passed, pending, missing, failing = [], [], [], []
    for name in required:
        run, status = runs.get(name), states.get(name)
        if run is None and status is None:
            missing.append(name)
            continue
        failed_here = []
        if run is not None and run.finished and not run.passed:
            summary = run.summary or run.title
            failed_here.append(FailingCheck(name, run.conclusion or "", summary, run.details_url))
        if status is not None and status.state in FAILING_STATES:
            failed_here.append(
                FailingCheck(name, status.state, status.description, status.target_url)
            )
        if failed_here:
            failing.extend(failed_here)
        elif (run is not None and not run.finished) or (
            status is not None and status.state == "pending"
        ):
            pending.append(name)
        else:
            passed.append(name)

    within_window = since_push < untested_after
    state: VerdictState
    if failing:
        state = "failed"
    elif pending:
        state = "pending"
    elif missing or not required:
        state = "pending" if within_window else "untested"
    else:
        state = "passed"
    return Verdict(
        state=state,
        required=tuple(required),
        passed=tuple(passed),
        pending=tuple(pending),
        missing=tuple(missing),
        failing=tuple(failing),
        window=untested_after,
    )
