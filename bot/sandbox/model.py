"""The sandbox's in-memory GitHub: accounts, apps, installations, repositories and their threads."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.git import GitRepository

PERMISSION_LEVELS = {"none": 0, "read": 1, "triage": 1, "write": 2, "maintain": 2, "admin": 3}
# A collaborator's role as the REST API names it in `permission` (maintain -> write, triage -> read).
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(moment: dt.datetime | None) -> str | None:
    """GitHub's timestamp form: `2024-01-02T03:04:05Z`."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """A refusal GitHub would answer with: status, message and optional validation errors."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        docs: str = "https://docs.github.com/rest",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.docs = docs
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": self.docs, "status": str(self.status)}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def validation_failed(resource: str, field: str, *, code: str = "invalid", docs: str = "https://docs.github.com/rest", message: str | None = None) -> ApiError:
    """GitHub's 422 "Validation Failed" for one field of one resource."""
    error: dict[str, Any] = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error], docs=docs)


@dataclass(eq=False)
class Account:
    """A user, organization or an app's bot user."""

    id: int
    login: str
    type: str = "User"  # User, Organization or Bot
    name: str | None = None
    email: str | None = None
    site_admin: bool = False
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        prefix = {"User": "U", "Organization": "O", "Bot": "BOT"}[self.type]
        return node_id(prefix, self.id)

    @property
    def noreply_email(self) -> str:
        return self.email or f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass(eq=False)
class App:
    """A registered GitHub App; `private_key_pem` is handed to whoever plays the app."""

    id: int
    slug: str
    name: str
    owner: Account
    bot: Account
    client_id: str
    private_key_pem: str
    public_key_pem: str
    webhook_url: str | None
    webhook_secret: str | None
    permissions: dict[str, str]
    events: list[str]
    hook_id: int
    description: str = ""
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("A", self.id)


@dataclass(eq=False)
class Installation:
    """An app installed on an account for some (or all) of its repositories."""

    id: int
    app: App
    account: Account
    repository_selection: str  # "all" or "selected"
    repository_ids: set[int]
    permissions: dict[str, str]
    events: list[str]
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    def covers(self, repo: Repo) -> bool:
        if self.repository_selection == "all":
            return repo.owner is self.account
        return repo.id in self.repository_ids


@dataclass(eq=False)
class InstallationToken:
    """A `ghs_` token minted for one installation."""

    token: str
    installation: Installation
    expires_at: dt.datetime
    permissions: dict[str, str]
    repository_ids: set[int] | None  # None: every repository of the installation


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False

    @property
    def node_id(self) -> str:
        return node_id("LA", self.id)


@dataclass(eq=False)
class Reaction:
    id: int
    user: Account
    content: str
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("REA", self.id)


@dataclass(eq=False)
class PullState:
    """What turns an issue into a pull request."""

    id: int
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: dt.datetime | None = None
    merged_by: Account | None = None
    merge_commit_sha: str | None = None
    maintainer_can_modify: bool = False
    auto_merge: dict[str, Any] | None = None  # {"enabled_by": Account, "merge_method": str, ...}

    @property
    def node_id(self) -> str:
        return node_id("PR", self.id)


@dataclass(eq=False)
class Issue:
    """An issue, or a pull request when `pull` is set (they share one number space)."""

    id: int
    number: int
    title: str
    body: str | None
    user: Account
    state: str = "open"
    labels: list[Label] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)
    closed_at: dt.datetime | None = None
    closed_by: Account | None = None
    locked: bool = False
    pull: PullState | None = None
    app: App | None = None

    @property
    def node_id(self) -> str:
        return node_id("I", self.id)


@dataclass(eq=False)
class IssueComment:
    id: int
    repo: Repo
    issue: Issue
    user: Account
    body: str
    app: App | None = None
    reactions: list[Reaction] = field(default_factory=list)
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("IC", self.id)


@dataclass(eq=False)
class Review:
    id: int
    repo: Repo
    issue: Issue
    user: Account
    body: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, PENDING, DISMISSED
    commit_id: str
    submitted_at: dt.datetime | None = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("PRR", self.id)


@dataclass(eq=False)
class ReviewComment:
    id: int
    repo: Repo
    issue: Issue
    review: Review | None
    user: Account
    path: str
    line: int | None
    start_line: int | None
    side: str
    body: str
    commit_id: str
    diff_hunk: str
    in_reply_to_id: int | None = None
    reactions: list[Reaction] = field(default_factory=list)
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("PRRC", self.id)


@dataclass(eq=False)
class CheckSuite:
    id: int
    repo: Repo
    app: App
    head_sha: str
    head_branch: str | None
    before: str | None
    after: str | None
    status: str = "queued"
    conclusion: str | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("CS", self.id)


@dataclass(eq=False)
class CheckRun:
    id: int
    suite: CheckSuite
    name: str
    head_sha: str
    status: str = "queued"
    conclusion: str | None = None
    started_at: dt.datetime | None = field(default_factory=utcnow)
    completed_at: dt.datetime | None = None
    external_id: str | None = None
    details_url: str | None = None
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def node_id(self) -> str:
        return node_id("CR", self.id)


@dataclass(eq=False)
class CommitStatus:
    id: int
    repo: Repo
    sha: str
    state: str
    context: str
    creator: Account
    target_url: str | None = None
    description: str | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)

    @property
    def node_id(self) -> str:
        return node_id("SC", self.id)


@dataclass(eq=False)
class Repo:
    """A repository: a real bare git repo plus the issue tracker and settings GitHub keeps."""

    id: int
    owner: Account
    name: str
    git: GitRepository
    default_branch: str
    private: bool = False
    description: str | None = None
    ci_command: str | None = None  # the command of the ci.yml create_repo wrote, if it wrote one
    ci_timeout: float = 120.0
    required_checks: list[str] = field(default_factory=lambda: ["ci"])
    allow_auto_merge: bool = True
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> admin/write/read
    labels: dict[str, Label] = field(default_factory=dict)  # lower-case name -> label
    issues: dict[int, Issue] = field(default_factory=dict)
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)
    pushed_at: dt.datetime = field(default_factory=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def node_id(self) -> str:
        return node_id("R", self.id)

    def permission_of(self, account: Account) -> str:
        """admin, write, read or none (public repositories are readable by everybody)."""
        if account is self.owner:
            return "admin"
        level = self.collaborators.get(account.login.lower())
        if level:
            return level
        return "none" if self.private else "read"

    def pulls(self) -> list[Issue]:
        return [issue for issue in self.issues.values() if issue.pull is not None]


def node_id(prefix: str, number: int) -> str:
    """A GraphQL global id in GitHub's current style, e.g. `PR_kwDOAAAB`."""
    packed = base64.urlsafe_b64encode(number.to_bytes(8, "big")).decode().rstrip("=")
    return f"{prefix}_kwDO{packed}"


class World:
    """Every object the sandbox knows, keyed the way lookups need them."""

    def __init__(self) -> None:
        # Ids start at a random offset, unique across sandboxes as on GitHub, so a client's
        # token cache keyed by app or installation id never mixes two sandboxes up.
        self._ids = itertools.count(1_000_000 + secrets.randbelow(1_000_000_000))
        self.accounts: dict[str, Account] = {}  # lower-case login
        self.apps: dict[int, App] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, InstallationToken] = {}
        self.repos: dict[str, Repo] = {}  # lower-case full name
        self.comments: dict[int, IssueComment] = {}
        self.review_comments: dict[int, ReviewComment] = {}
        self.reviews: dict[int, Review] = {}
        self.check_suites: dict[int, CheckSuite] = {}
        self.check_runs: dict[int, CheckRun] = {}
        self.statuses: list[CommitStatus] = []

    def next_id(self) -> int:
        return next(self._ids)

    def account(self, login: str) -> Account | None:
        return self.accounts.get(login.lower())

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def repo_by_id(self, repo_id: int) -> Repo | None:
        return next((repo for repo in self.repos.values() if repo.id == repo_id), None)

    def installations_of(self, app: App) -> list[Installation]:
        return [inst for inst in self.installations.values() if inst.app is app]

    def installations_covering(self, repo: Repo) -> list[Installation]:
        return [inst for inst in self.installations.values() if inst.covers(repo)]

    def pull_by_node_id(self, value: str) -> tuple[Repo, Issue] | None:
        for repo in self.repos.values():
            for issue in repo.issues.values():
                if issue.pull is not None and issue.pull.node_id == value:
                    return repo, issue
        return None
