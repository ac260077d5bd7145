"""The GitHub operations the loop needs, as one installation on one repository, over githubkit.

Every call goes through the App's RetryPolicy (githubkit's own retry is off), and writes for
one installation are serialised by its SerialWrites throttler. Results are small frozen
dataclasses read from the JSON fields we use, not githubkit's generated models: those demand
every field of the newest schema (e.g. labels' `archived_at`), which GitHub Enterprise Server
and older answers lack, and a missing field we never read should not fail a call.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from githubkit import GitHub
from githubkit.exception import GraphQLFailed

from bot.app_auth import REST_API_VERSION, GitHubApp, InstallationAuthStrategy, github_client
from bot.github_retry import GitHubError

T = TypeVar("T")

FileMode = Literal["100644", "100755", "120000", "040000", "160000"]
ReactionContent = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]
MergeMethod = Literal["merge", "squash", "rebase"]
CheckStatus = Literal["queued", "in_progress", "completed"]
CheckConclusion = Literal[
    "action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"
]

BOT_BRANCH_PREFIX = "evolve/"
READ_CONCURRENCY = 8
# GitHub rejects check-run output fields longer than this (characters).
CHECK_OUTPUT_LIMIT = 65535
TRUNCATED = "\n\n… (truncated: GitHub limits a check run's {field} to 65535 characters)"
SHA = re.compile(
    r"""
    ^[0-9a-f]{40}$      # a full SHA-1 object id
    """,
    re.VERBOSE,
)
# A tree path GitHub would reject or that could escape the repository.
BAD_PATH = re.compile(
    r"""
    (^/)                # absolute
    | (/$)              # ends in a separator
    | (//)              # empty component
    | (^|/)\.\.?(/|$)   # "." or ".." component
    | (^\.git(/|$))     # git's own directory
    """,
    re.VERBOSE,
)

NO_CHANGES = "a commit needs at least one file change"
DUPLICATE_PATH = "file change for {path!r} appears more than once"
INVALID_PATH = "file path {path!r} is not a repository-relative path"
IS_DIRECTORY = "{path} at {ref} is a directory, not a file"
NOT_BOT_BRANCH = (
    "refusing to force-push {branch!r}: only the bot's own branches ({prefix}*) are rewritten"
)
TREE_TRUNCATED = "the tree of {ref} has more entries than GitHub returns at once"
AUTO_MERGE_NOT_ALLOWED = (
    "auto-merge is not allowed in {repo}; enable 'Allow auto-merge' in its settings"
)

# https://docs.github.com/en/graphql/reference/mutations#enablepullrequestautomerge
AUTO_MERGE_QUERY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    autoMergeAllowed
    pullRequest(number: $number) { id autoMergeRequest { enabledAt mergeMethod } }
  }
}
"""
ENABLE_AUTO_MERGE = """
mutation($id: ID!, $method: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) {
    pullRequest { number autoMergeRequest { enabledAt mergeMethod } }
  }
}
"""


# --- what callers get back -------------------------------------------------------------


@dataclass(frozen=True)
class FileContent:
    """A file's bytes at some ref, with its blob sha."""

    path: str
    sha: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str
    sha: str


@dataclass(frozen=True)
class Tree:
    """Every entry of a commit's tree, by path (recursive)."""

    sha: str
    entries: Mapping[str, TreeEntry]

    def blobs(self) -> dict[str, TreeEntry]:
        return {p: e for p, e in self.entries.items() if e.type == "blob"}


@dataclass(frozen=True)
class FileChange:
    """One file in a commit: new content (str, or bytes) or None to delete it.

    `mode` None keeps an existing file's mode (an executable stays executable), else 100644.
    """

    path: str
    content: str | bytes | None
    mode: FileMode | None = None

    @classmethod
    def delete(cls, path: str) -> FileChange:
        return cls(path, None)


@dataclass(frozen=True)
class GitCommit:
    sha: str
    tree_sha: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class BranchCommit:
    """The commit now at the tip of `branch`."""

    branch: str
    sha: str
    tree_sha: str
    parent_sha: str


@dataclass(frozen=True)
class PullRequest:
    number: int
    node_id: str
    html_url: str
    title: str
    state: str
    draft: bool
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    merge_commit_sha: str | None
    author: str | None
    labels: tuple[str, ...] = ()
    commits: int = 0


@dataclass(frozen=True)
class Comment:
    id: int
    html_url: str


@dataclass(frozen=True)
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    html_url: str | None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class CommitStatus:
    context: str
    state: str
    description: str | None


@dataclass(frozen=True)
class CombinedStatus:
    """GitHub's combined commit status: 'success', 'pending' or 'failure' over all contexts."""

    sha: str
    state: str
    statuses: tuple[CommitStatus, ...]


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str
    additions: int
    deletions: int
    previous_filename: str | None = None


@dataclass(frozen=True)
class Comparison:
    status: str
    ahead_by: int
    behind_by: int
    merge_base_sha: str
    commits: tuple[str, ...]
    files: tuple[ChangedFile, ...]


@dataclass(frozen=True)
class MergeResult:
    merged: bool
    sha: str | None
    message: str


@dataclass(frozen=True)
class AutoMergeResult:
    """Whether auto-merge is now on for the PR, and GitHub's reason when it is not."""

    enabled: bool
    reason: str = ""
    merge_method: str | None = None


@dataclass(frozen=True)
class Repository:
    full_name: str
    default_branch: str
    private: bool
    allow_auto_merge: bool | None


# --- the clients -----------------------------------------------------------------------


class InstallationClient:
    """GitHub as one installation of the App: githubkit with its token, policy and write lock."""

    def __init__(self, app: GitHubApp, installation_id: int) -> None:
        self.app = app
        self.installation_id = installation_id
        self.gh: GitHub = github_client(
            InstallationAuthStrategy(app.tokens, installation_id),
            base_url=app.base_url,
            throttler=app.write_throttler(installation_id),
            timeout=app.timeout,
            event_hooks=app.event_hooks,
        )

    async def call(self, request: Callable[[], Awaitable[T]], *, what: str) -> T:
        return await self.app.policy.call(request, what=what)

    async def graphql(self, query: str, variables: dict[str, Any], *, what: str) -> dict[str, Any]:
        return await self.call(lambda: self.gh.async_graphql(query, variables), what=what)

    def repo(self, owner: str, name: str) -> RepoClient:
        return RepoClient(self, owner, name)


def _pull_request(data: Any) -> PullRequest:
    return PullRequest(
        number=data["number"],
        node_id=data["node_id"],
        html_url=data["html_url"],
        title=data["title"],
        state=data["state"],
        draft=bool(data.get("draft")),
        merged=bool(data.get("merged") or data.get("merged_at")),
        head_ref=data["head"]["ref"],
        head_sha=data["head"]["sha"],
        base_ref=data["base"]["ref"],
        merge_commit_sha=data.get("merge_commit_sha") or None,
        author=(data.get("user") or {}).get("login"),
        labels=tuple(label["name"] for label in data.get("labels") or ()),
        commits=int(data.get("commits") or 0),
    )


def _check_run(data: Any) -> CheckRun:
    output = data.get("output") or {}
    return CheckRun(
        id=data["id"],
        name=data["name"],
        head_sha=data["head_sha"],
        status=data["status"],
        conclusion=data.get("conclusion"),
        html_url=data.get("html_url"),
        title=output.get("title"),
        summary=output.get("summary"),
        text=output.get("text"),
        started_at=_time(data.get("started_at")),
        completed_at=_time(data.get("completed_at")),
    )


def _time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 timestamps ("…Z"), aware; None stays None."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _limit(text: str | None, field_name: str) -> str | None:
    if text is None or len(text) <= CHECK_OUTPUT_LIMIT:
        return text
    marker = TRUNCATED.format(field=field_name)
    return text[: CHECK_OUTPUT_LIMIT - len(marker)] + marker


@dataclass
class RepoClient:
    """One repository, as seen by one installation."""

    installation: InstallationClient
    owner: str
    name: str
    bot_branch_prefix: str = BOT_BRANCH_PREFIX
    _reads: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(READ_CONCURRENCY), repr=False
    )

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def _rest(self) -> Any:
        return self.installation.gh.rest(REST_API_VERSION)

    async def _call(self, request: Callable[[], Awaitable[T]], what: str) -> T:
        return await self.installation.call(request, what=f"{what} in {self.full_name}")

    # --- reading -------------------------------------------------------------------------

    async def repository(self) -> Repository:
        data = (
            await self._call(
                lambda: self._rest.repos.async_get(self.owner, self.name), "get repository"
            )
        ).json()
        allow = data.get("allow_auto_merge")
        return Repository(
            full_name=data["full_name"],
            default_branch=data["default_branch"],
            private=bool(data["private"]),
            allow_auto_merge=allow if isinstance(allow, bool) else None,
        )

    async def branch_head(self, branch: str) -> str:
        """The commit sha `branch` points at."""
        response = await self._call(
            lambda: self._rest.git.async_get_ref(
                self.owner, self.name, _segment(f"heads/{branch}")
            ),
            f"get branch {branch}",
        )
        return response.json()["object"]["sha"]

    async def read_file(self, path: str, *, ref: str) -> FileContent | None:
        """The file at `path` on `ref`, or None when there is no such file there."""
        async with self._reads:
            try:
                response = await self._call(
                    lambda: self._rest.repos.async_get_content(
                        self.owner, self.name, _segment(path), ref=ref
                    ),
                    f"read {path} at {ref}",
                )
            except GitHubError as exc:
                if exc.status == 404 and "no commit found" not in exc.message.lower():
                    return None
                raise
        data = response.json()
        if isinstance(data, list) or data.get("type") == "dir":
            raise GitHubError(IS_DIRECTORY.format(path=path, ref=ref))
        if data["type"] != "file":
            return None  # symlink or submodule: no file content to read
        if data.get("encoding") == "base64" and data.get("content"):
            return FileContent(
                path=path, sha=data["sha"], content=base64.b64decode(data["content"])
            )
        if data.get("size") == 0:
            return FileContent(path=path, sha=data["sha"], content=b"")
        # Files over 1 MB come back with encoding "none"; the blob API has them whole.
        return FileContent(path=path, sha=data["sha"], content=await self.read_blob(data["sha"]))

    async def read_files(self, paths: Iterable[str], *, ref: str) -> dict[str, FileContent | None]:
        """Several files at `ref` (concurrent reads, a few at a time); None for those missing."""
        unique = list(dict.fromkeys(paths))
        contents = await asyncio.gather(*(self.read_file(p, ref=ref) for p in unique))
        return dict(zip(unique, contents, strict=True))

    async def read_blob(self, sha: str) -> bytes:
        async with self._reads:
            response = await self._call(
                lambda: self._rest.git.async_get_blob(self.owner, self.name, _segment(sha)),
                f"read blob {sha}",
            )
        data = response.json()
        if data.get("encoding") == "base64":
            return base64.b64decode(data["content"])
        return str(data["content"]).encode("utf-8")

    async def tree(self, ref: str) -> Tree:
        """The whole tree at `ref` (a branch, tag or commit sha): path -> mode/type/sha."""
        response = await self._call(
            lambda: self._rest.git.async_get_tree(
                self.owner, self.name, _segment(ref), recursive="1"
            ),
            f"get tree of {ref}",
        )
        data = response.json()
        if data.get("truncated"):
            raise GitHubError(TREE_TRUNCATED.format(ref=ref))
        entries = {
            item["path"]: TreeEntry(
                path=item["path"], mode=item["mode"], type=item["type"], sha=item["sha"]
            )
            for item in data["tree"]
            if item.get("path") and item.get("sha")
        }
        return Tree(sha=data["sha"], entries=entries)

    async def get_commit(self, sha: str) -> GitCommit:
        data = (
            await self._call(
                lambda: self._rest.git.async_get_commit(self.owner, self.name, _segment(sha)),
                f"get commit {sha}",
            )
        ).json()
        return GitCommit(
            sha=data["sha"],
            tree_sha=data["tree"]["sha"],
            parents=tuple(p["sha"] for p in data["parents"]),
            message=data["message"],
        )

    async def permission(self, username: str) -> str:
        """`username`'s role on the repo: admin, maintain, write, triage, read or none."""
        try:
            response = await self._call(
                lambda: self._rest.repos.async_get_collaborator_permission_level(
                    self.owner, self.name, username
                ),
                f"permission of {username}",
            )
        except GitHubError as exc:
            if exc.status == 404:
                return "none"
            raise
        data = response.json()
        return str(data.get("role_name") or data["permission"])

    async def check_runs(self, ref: str) -> list[CheckRun]:
        """All check runs on the commit `ref`, every page."""
        runs: list[CheckRun] = []
        page = 1
        while True:
            response = await self._call(
                partial(
                    self._rest.checks.async_list_for_ref,
                    self.owner,
                    self.name,
                    _segment(ref),
                    per_page=100,
                    page=page,
                ),
                f"list check runs of {ref}",
            )
            data = response.json()
            runs.extend(_check_run(run) for run in data["check_runs"])
            if len(data["check_runs"]) < 100 or len(runs) >= data["total_count"]:
                return runs
            page += 1

    async def combined_status(self, ref: str) -> CombinedStatus:
        response = await self._call(
            lambda: self._rest.repos.async_get_combined_status_for_ref(
                self.owner, self.name, _segment(ref), per_page=100
            ),
            f"combined status of {ref}",
        )
        data = response.json()
        return CombinedStatus(
            sha=data["sha"],
            state=data["state"],
            statuses=tuple(
                CommitStatus(s["context"], s["state"], s.get("description"))
                for s in data["statuses"]
            ),
        )

    async def compare(self, base: str, head: str) -> Comparison:
        """How `head` differs from `base` (GitHub's three-dot compare)."""
        response = await self._call(
            lambda: self._rest.repos.async_compare_commits(
                self.owner, self.name, f"{_segment(base)}...{_segment(head)}"
            ),
            f"compare {base}...{head}",
        )
        data = response.json()
        files = data.get("files") or []
        return Comparison(
            status=data["status"],
            ahead_by=data["ahead_by"],
            behind_by=data["behind_by"],
            merge_base_sha=data["merge_base_commit"]["sha"],
            commits=tuple(c["sha"] for c in data["commits"]),
            files=tuple(
                ChangedFile(
                    filename=f["filename"],
                    status=f["status"],
                    additions=f["additions"],
                    deletions=f["deletions"],
                    previous_filename=f.get("previous_filename") or None,
                )
                for f in files
            ),
        )

    async def get_pull_request(self, number: int) -> PullRequest:
        response = await self._call(
            lambda: self._rest.pulls.async_get(self.owner, self.name, number),
            f"get pull request #{number}",
        )
        return _pull_request(response.json())

    async def pre_merge_sha(self, pull: PullRequest) -> str:
        """The base branch's commit just before `pull` landed, whichever way it was merged."""
        if not pull.merge_commit_sha:
            raise ValueError(f"pull request #{pull.number} has no merge commit")
        merge = await self.get_commit(pull.merge_commit_sha)
        if len(merge.parents) != 1 or pull.commits <= 1:
            return merge.parents[0]  # a merge commit, or a squash / rebase of a single commit
        # One parent and several PR commits: a squash, or a rebase that replayed them all, in
        # which case the merge commit is the PR's last commit replayed, message and all.
        head = await self.get_commit(pull.head_sha)
        if head.message != merge.message:
            return merge.parents[0]
        sha = merge.sha
        for _ in range(pull.commits):
            sha = (await self.get_commit(sha)).parents[0]
        return sha

    # --- writing -------------------------------------------------------------------------

    async def _commit(
        self, *, parent_ref: str, changes: Sequence[FileChange], message: str
    ) -> tuple[str, str, str]:
        """Create (without moving any ref) a commit on `parent_ref` applying `changes`.

        Calls: get ref (skipped for a sha), get tree, create tree, create commit; plus one
        create blob per file whose bytes are not UTF-8.
        """
        _check_changes(changes)
        parent = parent_ref if SHA.match(parent_ref) else await self.branch_head(parent_ref)
        # Reading the base tree (one call) gives its sha and keeps existing files' modes.
        base = await self.tree(parent)
        items: list[dict[str, Any]] = []
        for change in changes:
            existing = base.entries.get(change.path)
            if change.content is None:
                if existing is None:
                    continue  # already absent: deleting it again would make GitHub fail the tree
                items.append(
                    {"path": change.path, "mode": existing.mode, "type": existing.type, "sha": None}
                )
                continue
            mode = change.mode or (
                existing.mode if existing and existing.type == "blob" else "100644"
            )
            item: dict[str, Any] = {"path": change.path, "mode": mode, "type": "blob"}
            text = _as_text(change.content)
            if text is not None:
                item["content"] = text
            else:
                item["sha"] = await self._create_blob(change.content)  # type: ignore[arg-type]
            items.append(item)
        tree = await self._call(
            lambda: self._rest.git.async_create_tree(
                self.owner, self.name, data={"base_tree": base.sha, "tree": items}
            ),
            f"create tree on {parent[:12]}",
        )
        tree_sha = tree.json()["sha"]
        commit = await self._call(
            lambda: self._rest.git.async_create_commit(
                self.owner,
                self.name,
                data={"message": message, "tree": tree_sha, "parents": [parent]},
            ),
            "create commit",
        )
        return commit.json()["sha"], tree_sha, parent

    async def _create_blob(self, content: bytes) -> str:
        encoded = base64.b64encode(content).decode("ascii")
        response = await self._call(
            lambda: self._rest.git.async_create_blob(
                self.owner, self.name, data={"content": encoded, "encoding": "base64"}
            ),
            "create blob",
        )
        return response.json()["sha"]

    async def create_branch(
        self, name: str, *, base: str, changes: Sequence[FileChange], message: str
    ) -> BranchCommit:
        """A new branch `name` off `base` (branch or sha) with one commit applying `changes`.

        Five calls at most for any number of text files: get ref, get tree, create tree
        (inline contents, deletions as sha null), create commit, create ref.
        """
        sha, tree_sha, parent = await self._commit(
            parent_ref=base, changes=changes, message=message
        )
        try:
            await self._call(
                lambda: self._rest.git.async_create_ref(
                    self.owner, self.name, data={"ref": f"refs/heads/{name}", "sha": sha}
                ),
                f"create branch {name}",
            )
        except GitHubError as exc:
            # A retry after a dropped connection finds the ref its first attempt made.
            if exc.status != 422 or await self._head_or_none(name) != sha:
                raise
        return BranchCommit(branch=name, sha=sha, tree_sha=tree_sha, parent_sha=parent)

    async def _head_or_none(self, branch: str) -> str | None:
        try:
            return await self.branch_head(branch)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise

    async def commit_to_branch(
        self, branch: str, *, changes: Sequence[FileChange], message: str, onto: str | None = None
    ) -> BranchCommit:
        """Move the bot's `branch` to a new commit applying `changes`.

        With `onto` None the commit goes on top of the branch (fast-forward). With `onto`
        (a branch or sha, e.g. the default branch) the branch is rewritten as one commit on
        `onto` and force-pushed; only branches under the bot's prefix may be rewritten.
        """
        if onto is not None and not branch.startswith(self.bot_branch_prefix):
            raise ValueError(NOT_BOT_BRANCH.format(branch=branch, prefix=self.bot_branch_prefix))
        sha, tree_sha, parent = await self._commit(
            parent_ref=onto or branch, changes=changes, message=message
        )
        await self._call(
            lambda: self._rest.git.async_update_ref(
                self.owner,
                self.name,
                _segment(f"heads/{branch}"),
                data={"sha": sha, "force": onto is not None},
            ),
            f"update branch {branch}",
        )
        return BranchCommit(branch=branch, sha=sha, tree_sha=tree_sha, parent_sha=parent)

    async def delete_branch(self, branch: str) -> bool:
        """Delete `branch`; False when it was already gone."""
        try:
            await self._call(
                lambda: self._rest.git.async_delete_ref(
                    self.owner, self.name, _segment(f"heads/{branch}")
                ),
                f"delete branch {branch}",
            )
        except GitHubError as exc:
            if exc.status in (404, 422):
                return False
            raise
        return True

    async def open_pull_request(
        self,
        *,
        head: str,
        base: str,
        title: str,
        body: str = "",
        draft: bool = False,
        labels: Sequence[str] = (),
    ) -> PullRequest:
        """Open a PR from `head` into `base` and label it (two calls when labelled)."""
        try:
            response = await self._call(
                lambda: self._rest.pulls.async_create(
                    self.owner,
                    self.name,
                    data={"title": title, "head": head, "base": base, "body": body, "draft": draft},
                ),
                f"open pull request {head} -> {base}",
            )
            pull = _pull_request(response.json())
        except GitHubError as exc:
            # A retry after a dropped connection meets the PR its first attempt opened.
            existing = await self._open_pull_for(head, base) if exc.status == 422 else None
            if existing is None or existing.title != title:
                raise
            pull = existing
        if labels:
            await self.add_labels(pull.number, labels)
            pull = replace(pull, labels=tuple(dict.fromkeys([*pull.labels, *labels])))
        return pull

    async def _open_pull_for(self, head: str, base: str) -> PullRequest | None:
        response = await self._call(
            lambda: self._rest.pulls.async_list(
                self.owner, self.name, head=f"{self.owner}:{head}", base=base, state="open"
            ),
            f"find pull request {head} -> {base}",
        )
        pulls = [p for p in response.json() if p["head"]["ref"] == head]
        return _pull_request(pulls[0]) if pulls else None

    async def add_labels(self, number: int, labels: Sequence[str]) -> tuple[str, ...]:
        response = await self._call(
            lambda: self._rest.issues.async_add_labels(
                self.owner, self.name, number, data={"labels": list(labels)}
            ),
            f"label #{number}",
        )
        return tuple(label["name"] for label in response.json())

    async def comment(self, number: int, body: str) -> Comment:
        """Comment on issue or pull request `number`."""
        response = await self._call(
            lambda: self._rest.issues.async_create_comment(
                self.owner, self.name, number, data={"body": body}
            ),
            f"comment on #{number}",
        )
        data = response.json()
        return Comment(id=data["id"], html_url=data["html_url"])

    async def issue_reactions(self, number: int) -> dict[str, int]:
        """How many of each reaction issue or pull request `number` has (its first 100)."""
        response = await self._call(
            lambda: self._rest.reactions.async_list_for_issue(self.owner, self.name, number, per_page=100),
            f"reactions on #{number}",
        )
        counts: dict[str, int] = {}
        for reaction in response.json():
            counts[reaction["content"]] = counts.get(reaction["content"], 0) + 1
        return counts

    async def react_to_comment(self, comment_id: int, content: ReactionContent) -> int:
        """React to the issue comment `comment_id`; returns the reaction id."""
        response = await self._call(
            lambda: self._rest.reactions.async_create_for_issue_comment(
                self.owner, self.name, comment_id, data={"content": content}
            ),
            f"react {content} to comment {comment_id}",
        )
        return int(response.json()["id"])

    async def create_check_run(
        self,
        *,
        name: str,
        head_sha: str,
        title: str,
        summary: str,
        text: str | None = None,
        status: CheckStatus = "in_progress",
        conclusion: CheckConclusion | None = None,
        details_url: str | None = None,
        external_id: str | None = None,
    ) -> CheckRun:
        """A check run on `head_sha` whose Markdown `summary` shows on the PR's Checks tab."""
        body: dict[str, Any] = {
            "name": name,
            "head_sha": head_sha,
            "status": status,
            "output": _output(title, summary, text),
        }
        if conclusion is not None:
            body["conclusion"] = conclusion
        if details_url is not None:
            body["details_url"] = details_url
        if external_id is not None:
            body["external_id"] = external_id
        response = await self._call(
            lambda: self._rest.checks.async_create(self.owner, self.name, data=body),
            f"create check run {name!r}",
        )
        return _check_run(response.json())

    async def update_check_run(
        self,
        check_run_id: int,
        *,
        status: CheckStatus | None = None,
        conclusion: CheckConclusion | None = None,
        title: str | None = None,
        summary: str | None = None,
        text: str | None = None,
    ) -> CheckRun:
        """Move a check run on (a conclusion completes it) and/or replace its Markdown output."""
        body: dict[str, Any] = {}
        if status is not None:
            body["status"] = status
        if conclusion is not None:
            body["conclusion"] = conclusion
        if title is not None or summary is not None:
            if title is None or summary is None:
                raise ValueError("a check run's output needs both title and summary")
            body["output"] = _output(title, summary, text)
        response = await self._call(
            lambda: self._rest.checks.async_update(self.owner, self.name, check_run_id, data=body),
            f"update check run {check_run_id}",
        )
        return _check_run(response.json())

    async def merge_pull_request(
        self,
        number: int,
        *,
        method: MergeMethod = "squash",
        sha: str | None = None,
        commit_title: str | None = None,
    ) -> MergeResult:
        """Merge `number`; when GitHub says it cannot be merged (405/409) the result says why."""
        body: dict[str, Any] = {"merge_method": method}
        if sha is not None:
            body["sha"] = sha  # GitHub refuses (409) if the head moved since we looked
        if commit_title is not None:
            body["commit_title"] = commit_title
        try:
            response = await self._call(
                lambda: self._rest.pulls.async_merge(self.owner, self.name, number, data=body),
                f"merge #{number}",
            )
        except GitHubError as exc:
            if exc.status in (405, 409, 422):
                return MergeResult(merged=False, sha=None, message=exc.message)
            raise
        data = response.json()
        return MergeResult(
            merged=bool(data["merged"]), sha=data.get("sha"), message=data.get("message", "")
        )

    async def enable_auto_merge(
        self, number: int, *, method: MergeMethod = "squash"
    ) -> AutoMergeResult:
        """Turn on auto-merge for `number` (GraphQL); a clear result where the repo forbids it."""
        variables = {"owner": self.owner, "name": self.name, "number": number}
        data = await self.installation.graphql(
            AUTO_MERGE_QUERY, variables, what=f"auto-merge state of #{number}"
        )
        repository = data["repository"]
        pull = repository["pullRequest"]
        if not repository["autoMergeAllowed"]:
            return AutoMergeResult(
                enabled=False, reason=AUTO_MERGE_NOT_ALLOWED.format(repo=self.full_name)
            )
        try:
            result = await self.installation.graphql(
                ENABLE_AUTO_MERGE,
                {"id": pull["id"], "method": method.upper()},
                what=f"enable auto-merge on #{number}",
            )
        except GitHubError as exc:
            if isinstance(exc.__cause__, GraphQLFailed):
                # e.g. "Pull request is in clean status": nothing to wait for, merge it directly.
                return AutoMergeResult(enabled=False, reason=exc.message)
            raise
        request = result["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"]
        if not request:
            return AutoMergeResult(enabled=False, reason="GitHub returned no auto-merge request")
        return AutoMergeResult(enabled=True, merge_method=request["mergeMethod"])

    async def close_pull_request(self, number: int) -> PullRequest:
        response = await self._call(
            lambda: self._rest.pulls.async_update(
                self.owner, self.name, number, data={"state": "closed"}
            ),
            f"close #{number}",
        )
        return _pull_request(response.json())


def _segment(value: str) -> str:
    """`value` as one URL path segment, slashes and all, the way octokit.js sends it.

    githubkit puts path parameters into URLs as they are, so a branch `evolve/x` or a file
    `src/a.py` would become several segments: GitHub copes, but GitHub's OpenAPI routes
    (and any strict router) see a different path, and `#`, `?` or `%` in a name would break it.
    """
    return quote(value, safe="")


def _output(title: str, summary: str, text: str | None) -> dict[str, str]:
    output = {"title": title[:1000], "summary": _limit(summary, "summary") or ""}
    if text is not None:
        output["text"] = _limit(text, "text") or ""
    return output


def _as_text(content: str | bytes) -> str | None:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _check_changes(changes: Sequence[FileChange]) -> None:
    if not changes:
        raise ValueError(NO_CHANGES)
    seen: set[str] = set()
    for change in changes:
        if not change.path or BAD_PATH.search(change.path):
            raise ValueError(INVALID_PATH.format(path=change.path))
        if change.path in seen:
            raise ValueError(DUPLICATE_PATH.format(path=change.path))
        seen.add(change.path)
