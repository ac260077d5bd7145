"""Typed signals: what a webhook delivery tells the learner, as plain frozen dataclasses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Signal kinds are plain strings, not an enum: GitHub adds events and actions without asking us,
# and a stored signal of a kind this version does not know must still load (as `Signal`).


@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    """One fact from one delivery. `from_bot` marks anything a bot did, this app included."""

    kind: ClassVar[str] = "signal"

    delivery_id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    actor: str | None
    from_bot: bool

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentSignal(Signal):
    """A comment on an issue or pull request was created, edited or deleted."""

    kind: ClassVar[str] = "comment"

    number: int
    is_pull_request: bool
    comment_id: int
    body: str
    author_association: str
    html_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequestSignal(Signal):
    """A pull request was opened, pushed to, closed (merged or not) or reopened."""

    kind: ClassVar[str] = "pull_request"

    number: int
    title: str
    author: str
    author_is_bot: bool
    head_ref: str
    head_sha: str
    base_ref: str
    merged: bool
    merge_commit_sha: str | None
    # For `synchronize`: the head before and after the push.
    before: str | None = None
    after: str | None = None
    draft: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewSignal(Signal):
    """A review was submitted: approved, changes requested or commented."""

    kind: ClassVar[str] = "review"

    number: int
    review_id: int
    state: str  # approved | changes_requested | commented | dismissed
    body: str
    commit_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Suggestion:
    """A ```suggestion block: replace lines `start_line..end_line` of `path` (`before`) with `after`.

    `before` is None when the comment's diff hunk does not show all of those lines.
    """

    path: str
    start_line: int
    end_line: int
    before: str | None
    after: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewCommentSignal(Signal):
    """A review comment on a line range of a pull request's diff, with any suggestions in it."""

    kind: ClassVar[str] = "review_comment"

    number: int
    comment_id: int
    body: str
    path: str
    line: int | None
    start_line: int | None
    side: str | None
    commit_id: str
    diff_hunk: str
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckSignal(Signal):
    """A check suite, check run, workflow run or commit status reached a state on a commit."""

    kind: ClassVar[str] = "check"

    source: str  # check_suite | check_run | workflow_run | status
    name: str
    head_sha: str
    head_branch: str | None
    status: str  # queued | in_progress | completed (statuses: pending | completed)
    conclusion: str | None  # success | failure | neutral | cancelled | timed_out | ...
    app_slug: str | None
    pull_requests: tuple[int, ...] = ()
    summary: str | None = None
    details_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PushedCommit:
    """One commit of a push, with the paths it touched."""

    sha: str
    message: str
    author: str | None
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSignal(Signal):
    """A push to the repository's default branch."""

    kind: ClassVar[str] = "push"

    ref: str
    before: str
    after: str
    forced: bool
    commits: tuple[PushedCommit, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationSignal(Signal):
    """The app was installed, removed, suspended or its repositories changed."""

    kind: ClassVar[str] = "installation"

    account: str
    repository_selection: str | None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


SIGNAL_TYPES: dict[str, type[Signal]] = {
    cls.kind: cls
    for cls in (
        CommentSignal,
        PullRequestSignal,
        ReviewSignal,
        ReviewCommentSignal,
        CheckSignal,
        PushSignal,
        InstallationSignal,
    )
}

_NESTED: dict[str, type] = {"suggestions": Suggestion, "commits": PushedCommit}


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    """JSON has no tuples: turn the lists of a stored record back into the tuples it was built with."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def signal_from_dict(data: dict[str, Any]) -> Signal:
    """Rebuild a stored signal; fields this version does not know are dropped, not fatal."""
    data = dict(data)
    cls = SIGNAL_TYPES.get(data.pop("kind", ""), Signal)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue
        if name in _NESTED and isinstance(value, list):
            value = tuple(_NESTED[name](**_tuples(item)) for item in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)
