"""Pull requests in the sandbox: opening, editing, reviewing, merging and auto-merge, and their rendering."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.sandbox import shapes
from bot.sandbox.git import Identity
from bot.sandbox.model import (
    Account,
    ApiError,
    App,
    Issue,
    PullState,
    Repo,
    Review,
    ReviewComment,
    utcnow,
    validation_failed,
)
from bot.sandbox.shapes import JSON, PullFacts
from bot.sandbox.state import DOCS, NOT_FOUND, Person, SandboxState

GITHUB_COMMITTER = ("GitHub", "noreply@github.com")
NOT_MERGEABLE = "Pull Request is not mergeable"
HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."
MERGED_MESSAGE = "Pull Request successfully merged"
DRAFT_NOT_MERGEABLE = "Pull Request is still a draft"
CANNOT_REBASE = "This branch can't be rebased"
CANNOT_APPROVE_OWN = "Can not approve your own pull request"
CANNOT_REQUEST_CHANGES_OWN = "Can not request changes on your own pull request"
REVIEW_BODY_REQUIRED = "Body is required when requesting changes or commenting"
LINE_NOT_IN_DIFF = "Pull request review thread line must be part of the diff"
PATH_NOT_IN_DIFF = "Path could not be resolved"
REVIEW_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}

DOCS_MERGE = "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request"
DOCS_PULLS = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
DOCS_REVIEWS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"

# A unified-diff hunk header: "@@ -old,count +new,count @@ context".
HUNK_HEADER = re.compile(
    r"""
    ^@@\ -(?P<old>\d+)(?:,(?P<old_len>\d+))?   # first line and length on the old side
    \ \+(?P<new>\d+)(?:,(?P<new_len>\d+))?\ @@ # first line and length on the new side
    """,
    re.VERBOSE,
)


class Pulls(SandboxState):
    """Pull requests, their reviews and review comments, merges and auto-merge."""

    # -- acting as a person --------------------------------------------------------------------

    async def open_pull_request(
        self,
        repo: str | Repo,
        *,
        as_: Person,
        head: str,
        title: str,
        base: str | None = None,
        body: str | None = None,
        draft: bool = False,
    ) -> Issue:
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "read", what=the_repo.full_name)
        return await self.create_pull(the_repo, user=who, head=head, base=base or the_repo.default_branch, title=title, body=body, draft=draft)

    async def review(
        self,
        repo: str | Repo,
        number: int,
        *,
        as_: Person,
        event: str,
        body: str = "",
        comments: list[Mapping[str, Any]] | None = None,
    ) -> Review:
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "read", what=the_repo.full_name)
        return await self.submit_review(the_repo, self.pull(the_repo, number), user=who, event=event, body=body, comments=comments or [])

    async def merge(self, repo: str | Repo, number: int, *, as_: Person, method: str = "merge", sha: str | None = None) -> str:
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "write", what=the_repo.full_name)
        return await self.merge_pull(the_repo, self.pull(the_repo, number), actor=who, method=method, sha=sha)

    # -- lookups -------------------------------------------------------------------------------

    def pull(self, repo: Repo, number: int) -> Issue:
        item = self.issue(repo, number)
        if item.pull is None:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return item

    def review_comment(self, repo: Repo, comment_id: int) -> ReviewComment:
        comment = self.world.review_comments.get(comment_id)
        if comment is None or comment.repo is not repo:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return comment

    # -- the shared actions (the REST API and the person API both come here) -------------------

    async def create_pull(
        self,
        repo: Repo,
        *,
        user: Account,
        head: str,
        base: str,
        title: str,
        body: str | None,
        draft: bool = False,
        app: App | None = None,
        maintainer_can_modify: bool = False,
    ) -> Issue:
        head_branch = head.split(":", 1)[1] if ":" in head else head
        if ":" in head and head.split(":", 1)[0].lower() != repo.owner.login.lower():
            raise validation_failed("PullRequest", "head", docs=DOCS_PULLS)
        if not title:
            raise validation_failed("PullRequest", "title", code="missing_field", docs=DOCS_PULLS)
        head_sha = await repo.git.ref(f"refs/heads/{head_branch}")
        base_sha = await repo.git.ref(f"refs/heads/{base}")
        if head_sha is None:
            raise validation_failed("PullRequest", "head", docs=DOCS_PULLS)
        if base_sha is None:
            raise validation_failed("PullRequest", "base", docs=DOCS_PULLS)
        for other in repo.pulls():
            if other.state == "open" and other.pull and other.pull.head_ref == head_branch and other.pull.base_ref == base:
                raise ApiError(
                    422,
                    "Validation Failed",
                    errors=[{"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for {repo.owner.login}:{head_branch}."}],
                    docs=DOCS_PULLS,
                )
        if not await repo.git.commits_between(base_sha, head_sha):
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {head_branch}"}],
                docs=DOCS_PULLS,
            )
        item = Issue(
            id=self.world.next_id(),
            number=len(repo.issues) + 1,
            title=title,
            body=body,
            user=user,
            pull=PullState(
                id=self.world.next_id(),
                head_ref=head_branch,
                head_sha=head_sha,
                base_ref=base,
                base_sha=base_sha,
                draft=draft,
                maintainer_can_modify=maintainer_can_modify,
            ),
            app=app,
        )
        repo.issues[item.number] = item
        repo.updated_at = utcnow()
        self._emit(repo, "pull_request", {"action": "opened", "number": item.number, "pull_request": await self.pull_json(repo, item)}, sender=user)
        self.start_ci(repo, head_sha, branch=head_branch, before=None)
        return item

    async def edit_pull(self, repo: Repo, item: Issue, *, actor: Account, title: str | None = None, body: str | None = None, base: str | None = None) -> None:
        changes: JSON = {}
        if title is not None and title != item.title:
            changes["title"] = {"from": item.title}
            item.title = title
        if body is not None and body != item.body:
            changes["body"] = {"from": item.body or ""}
            item.body = body
        if base is not None and item.pull and base != item.pull.base_ref:
            base_sha = await repo.git.ref(f"refs/heads/{base}")
            if base_sha is None:
                raise validation_failed("PullRequest", "base", docs=DOCS)
            changes["base"] = {"ref": {"from": item.pull.base_ref}, "sha": {"from": item.pull.base_sha}}
            item.pull.base_ref, item.pull.base_sha = base, base_sha
        if changes:
            item.updated_at = utcnow()
            if item.pull:
                self._emit(repo, "pull_request", {"action": "edited", "number": item.number, "changes": changes, "pull_request": await self.pull_json(repo, item)}, sender=actor)

    async def merge_pull(
        self,
        repo: Repo,
        item: Issue,
        *,
        actor: Account,
        method: str = "merge",
        sha: str | None = None,
        commit_title: str | None = None,
        commit_message: str | None = None,
    ) -> str:
        """Merge with a real merge/squash/rebase commit; 405 on conflict, 409 on a stale sha."""
        pull = item.pull
        assert pull is not None
        if method not in ("merge", "squash", "rebase"):
            raise validation_failed("PullRequest", "merge_method", docs=DOCS_MERGE)
        if item.state != "open" or pull.merged:
            raise ApiError(405, NOT_MERGEABLE, docs=DOCS_MERGE)
        if sha is not None and sha != pull.head_sha:
            raise ApiError(409, HEAD_MODIFIED, docs=DOCS_MERGE)
        if pull.draft:
            raise ApiError(405, DRAFT_NOT_MERGEABLE, docs=DOCS_MERGE)
        base_tip = await repo.git.ref(f"refs/heads/{pull.base_ref}")
        if base_tip is None:
            raise ApiError(405, NOT_MERGEABLE, docs=DOCS_MERGE)
        outcome = await repo.git.merge_trees(base_tip, pull.head_sha)
        if not outcome.clean or outcome.tree is None:
            raise ApiError(405, NOT_MERGEABLE, docs=DOCS_MERGE)
        author = self._identity(actor)
        committer = Identity(*GITHUB_COMMITTER, author.epoch)
        if method == "merge":
            title = commit_title or f"Merge pull request #{item.number} from {repo.owner.login}/{pull.head_ref}"
            message = f"{title}\n\n{commit_message if commit_message is not None else item.title}"
            new = await repo.git.write_commit(tree=outcome.tree, parents=[base_tip, pull.head_sha], message=message, author=author, committer=committer)
        elif method == "squash":
            title = commit_title or f"{item.title} (#{item.number})"
            if commit_message is None:
                shas = await repo.git.commits_between(base_tip, pull.head_sha)
                bodies = [(await repo.git.read_commit(s)).message.strip() for s in shas]
                commit_message = "\n\n".join(f"* {b}" for b in bodies)
            new = await repo.git.write_commit(tree=outcome.tree, parents=[base_tip], message=f"{title}\n\n{commit_message}".rstrip() + "\n", author=author, committer=committer)
        else:
            shas = await repo.git.commits_between(base_tip, pull.head_sha)
            rebased = await repo.git.cherry_pick_onto(base_tip, shas, committer=committer)
            if rebased is None:
                raise ApiError(405, CANNOT_REBASE, docs=DOCS_MERGE)
            new = rebased
        await repo.git.set_ref(f"refs/heads/{pull.base_ref}", new, old=base_tip)
        pull.merged, pull.merged_at, pull.merged_by, pull.merge_commit_sha = True, utcnow(), actor, new
        item.state, item.closed_at, item.closed_by, item.updated_at = "closed", utcnow(), actor, utcnow()
        pull.auto_merge = None
        await self.after_push(repo, f"refs/heads/{pull.base_ref}", base_tip, new, pusher=actor)
        self._emit(repo, "pull_request", {"action": "closed", "number": item.number, "pull_request": await self.pull_json(repo, item)}, sender=actor)
        return new

    async def submit_review(
        self,
        repo: Repo,
        item: Issue,
        *,
        user: Account,
        event: str | None,
        body: str = "",
        comments: list[Mapping[str, Any]],
        commit_id: str | None = None,
    ) -> Review:
        pull = item.pull
        assert pull is not None
        if event is not None and event not in REVIEW_EVENTS:
            raise validation_failed("PullRequestReview", "event", docs=DOCS_REVIEWS)
        state = REVIEW_EVENTS[event] if event else "PENDING"
        if item.user is user and state == "APPROVED":
            raise ApiError(422, "Unprocessable Entity", errors=[CANNOT_APPROVE_OWN], docs=DOCS_REVIEWS)
        if item.user is user and state == "CHANGES_REQUESTED":
            raise ApiError(422, "Unprocessable Entity", errors=[CANNOT_REQUEST_CHANGES_OWN], docs=DOCS_REVIEWS)
        if state in ("CHANGES_REQUESTED", "COMMENTED") and not (body or "").strip() and not comments:
            raise ApiError(422, "Unprocessable Entity", errors=[REVIEW_BODY_REQUIRED], docs=DOCS_REVIEWS)
        commit = commit_id or pull.head_sha
        files = {f.filename: f for f in await repo.git.diff(await self.merge_base(repo, item), commit)}
        planned = []
        for spec in comments:
            path, line = spec.get("path"), spec.get("line") or spec.get("position")
            if not isinstance(path, str) or path not in files:
                raise ApiError(422, "Unprocessable Entity", errors=[PATH_NOT_IN_DIFF], docs=DOCS_REVIEWS)
            if not isinstance(line, int) or not isinstance(spec.get("body"), str):
                raise ApiError(422, "Unprocessable Entity", errors=[LINE_NOT_IN_DIFF], docs=DOCS_REVIEWS)
            side = spec.get("side") or "RIGHT"
            hunk = diff_hunk_for(files[path].patch or "", line, side=side)
            start = spec.get("start_line")
            if hunk is None or (start is not None and (not isinstance(start, int) or start > line or diff_hunk_for(files[path].patch or "", start, side=side) is None)):
                raise ApiError(422, "Unprocessable Entity", errors=[LINE_NOT_IN_DIFF], docs=DOCS_REVIEWS)
            planned.append((path, line, start, side, spec["body"], hunk))
        review = Review(self.world.next_id(), repo, item, user, body or "", state, commit, submitted_at=None if state == "PENDING" else utcnow())
        self.world.reviews[review.id] = review
        made = []
        for path, line, start, side, text, hunk in planned:
            comment = ReviewComment(self.world.next_id(), repo, item, review, user, path, line, start, side, text, commit, hunk)
            self.world.review_comments[comment.id] = comment
            made.append(comment)
        if state != "PENDING":
            pull_json = await self.pull_json(repo, item, simple=True)
            self._emit(repo, "pull_request_review", {"action": "submitted", "review": shapes.review(self.urls, review), "pull_request": pull_json}, sender=user)
            for comment in made:
                self._emit(
                    repo,
                    "pull_request_review_comment",
                    {"action": "created", "comment": shapes.review_comment(self.urls, comment), "pull_request": pull_json},
                    sender=user,
                )
        return review

    async def merge_base(self, repo: Repo, item: Issue) -> str:
        pull = item.pull
        assert pull is not None
        base_tip = await repo.git.ref(f"refs/heads/{pull.base_ref}") or pull.base_sha
        if pull.merged and pull.merge_commit_sha:
            # After a merge GitHub keeps showing the diff against the base as it was.
            return await repo.git.merge_base(pull.base_sha, pull.head_sha) or pull.base_sha
        return await repo.git.merge_base(base_tip, pull.head_sha) or base_tip

    # -- auto-merge ---------------------------------------------------------------------------

    async def enable_auto_merge(self, repo: Repo, item: Issue, *, actor: Account, method: str = "MERGE", commit_title: str | None = None, commit_message: str | None = None) -> None:
        pull = item.pull
        assert pull is not None
        pull.auto_merge = {"enabled_by": actor, "merge_method": method.lower(), "commit_title": commit_title, "commit_message": commit_message, "enabled_at": utcnow()}
        item.updated_at = utcnow()
        self._emit(repo, "pull_request", {"action": "auto_merge_enabled", "number": item.number, "pull_request": await self.pull_json(repo, item)}, sender=actor)

    async def checks_changed(self, repo: Repo, sha: str) -> None:
        """A check or status on `sha` changed: merge PRs waiting on auto-merge whose checks pass."""
        for item in repo.pulls():
            pull = item.pull
            if item.state != "open" or pull is None or not pull.auto_merge or pull.head_sha != sha:
                continue
            if self.required_checks_state(repo, sha) != "success":
                continue
            try:
                await self.merge_pull(
                    repo, item, actor=pull.auto_merge["enabled_by"], method=pull.auto_merge["merge_method"].lower(),
                    commit_title=pull.auto_merge.get("commit_title"), commit_message=pull.auto_merge.get("commit_message"),
                )
            except ApiError:
                # Not mergeable now (conflict): GitHub leaves auto-merge on and waits.
                continue

    # -- rendering ----------------------------------------------------------------------------

    async def pull_json(self, repo: Repo, item: Issue, *, simple: bool = False) -> JSON:
        if simple:
            return shapes.pull_request(self.urls, repo, item)
        return shapes.pull_request(self.urls, repo, item, await self.pull_facts(repo, item))

    async def pull_facts(self, repo: Repo, item: Issue) -> PullFacts:
        pull = item.pull
        assert pull is not None
        merge_base = await self.merge_base(repo, item)
        files = await repo.git.diff(merge_base, pull.head_sha)
        commits = await repo.git.commits_between(merge_base, pull.head_sha)
        comments = sum(1 for c in self.world.comments.values() if c.issue is item)
        review_comments = sum(1 for c in self.world.review_comments.values() if c.issue is item)
        mergeable: bool | None = None
        state = "unknown"
        if item.state == "open":
            base_tip = await repo.git.ref(f"refs/heads/{pull.base_ref}")
            mergeable = bool(base_tip) and (await repo.git.merge_trees(base_tip or "", pull.head_sha)).clean
            checks = self.required_checks_state(repo, pull.head_sha)
            if pull.draft:
                state = "draft"
            elif not mergeable:
                state = "dirty"
            elif checks == "failure":
                state = "unstable"
            elif checks == "pending":
                state = "blocked" if repo.required_checks else "clean"
            else:
                state = "clean"
        return PullFacts(
            mergeable=mergeable,
            mergeable_state=state,
            comments=comments,
            review_comments=review_comments,
            commits=len(commits),
            additions=sum(f.additions for f in files),
            deletions=sum(f.deletions for f in files),
            changed_files=len(files),
            rebaseable=mergeable,
        )


def diff_hunk_for(patch: str, line: int, *, side: str = "RIGHT") -> str | None:
    """The diff hunk GitHub stores with a review comment: its hunk up to the commented line."""
    lines = patch.splitlines()
    i = 0
    while i < len(lines):
        header = HUNK_HEADER.match(lines[i])
        if not header:
            i += 1
            continue
        old, new = int(header["old"]), int(header["new"])
        body = [lines[i]]
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            text = lines[i]
            body.append(text)
            marker = text[:1]
            if side == "RIGHT" and marker in (" ", "+") and new == line:
                return "\n".join(body)
            if side == "LEFT" and marker in (" ", "-") and old == line:
                return "\n".join(body)
            if marker in (" ", ""):
                old, new = old + 1, new + 1
            elif marker == "+":
                new += 1
            elif marker == "-":
                old += 1
            i += 1
    return None
