"""Issues and pull requests as issues: comments, labels, reactions, closing and reopening."""

from __future__ import annotations

from collections.abc import Iterable

from bot.sandbox import shapes
from bot.sandbox.model import (
    REACTIONS,
    Account,
    ApiError,
    App,
    Issue,
    IssueComment,
    Label,
    Reaction,
    Repo,
    utcnow,
    validation_failed,
)
from bot.sandbox.shapes import JSON
from bot.sandbox.state import DOCS, NOT_FOUND, Person, SandboxState

LABEL_COLOR = "ededed"


class Issues(SandboxState):
    """Issue comments, labels, reactions and the open/closed state of issues and pull requests."""

    # -- acting as a person --------------------------------------------------------------------

    async def comment(self, repo: str | Repo, number: int, *, as_: Person, body: str) -> IssueComment:
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "read", what=the_repo.full_name)
        return await self.add_issue_comment(the_repo, self.issue(the_repo, number), user=who, body=body)

    async def edit_comment(self, repo: str | Repo, comment_id: int, *, as_: Person, body: str) -> IssueComment:
        the_repo, who = self.repo(repo), self.user(as_)
        comment = self.issue_comment(the_repo, comment_id)
        if comment.user is not who:
            self._require(the_repo, who, "write", what="edit this comment")
        return await self.update_issue_comment(comment, body=body, editor=who)

    async def delete_comment(self, repo: str | Repo, comment_id: int, *, as_: Person) -> None:
        the_repo, who = self.repo(repo), self.user(as_)
        comment = self.issue_comment(the_repo, comment_id)
        if comment.user is not who:
            self._require(the_repo, who, "write", what="delete this comment")
        await self.remove_issue_comment(comment, deleter=who)

    async def close(self, repo: str | Repo, number: int, *, as_: Person) -> Issue:
        the_repo, who = self.repo(repo), self.user(as_)
        item = self.issue(the_repo, number)
        if item.user is not who:
            self._require(the_repo, who, "write", what=the_repo.full_name)
        await self.set_state(the_repo, item, "closed", actor=who)
        return item

    async def reopen(self, repo: str | Repo, number: int, *, as_: Person) -> Issue:
        the_repo, who = self.repo(repo), self.user(as_)
        item = self.issue(the_repo, number)
        if item.user is not who:
            self._require(the_repo, who, "write", what=the_repo.full_name)
        await self.set_state(the_repo, item, "open", actor=who)
        return item

    async def react(
        self,
        repo: str | Repo,
        *,
        as_: Person,
        content: str,
        comment_id: int | None = None,
        number: int | None = None,
        review_comment_id: int | None = None,
    ) -> Reaction:
        """React to an issue comment, an issue/PR, or a review comment (give exactly one)."""
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "read", what=the_repo.full_name)
        if [comment_id, number, review_comment_id].count(None) != 2:
            raise ValueError("give exactly one of comment_id, number, review_comment_id")
        if comment_id is not None:
            target = self.issue_comment(the_repo, comment_id).reactions
        elif number is not None:
            target = self.issue(the_repo, number).reactions
        else:
            target = self.review_comment(the_repo, review_comment_id or 0).reactions
        reaction, _ = self.add_reaction(target, user=who, content=content)
        return reaction

    async def add_labels(self, repo: str | Repo, number: int, *, as_: Person, labels: Iterable[str]) -> list[Label]:
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "write", what=the_repo.full_name)
        return await self.label_issue(the_repo, self.issue(the_repo, number), labels, actor=who)

    # -- lookups -------------------------------------------------------------------------------

    def issue(self, repo: Repo, number: int) -> Issue:
        item = repo.issues.get(number)
        if item is None:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return item

    def issue_comment(self, repo: Repo, comment_id: int) -> IssueComment:
        comment = self.world.comments.get(comment_id)
        if comment is None or comment.repo is not repo:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return comment

    # -- the shared actions (the REST API and the person API both come here) -------------------

    async def set_state(self, repo: Repo, item: Issue, state: str, *, actor: Account) -> None:
        if state not in ("open", "closed"):
            raise validation_failed("Issue", "state", docs=DOCS)
        if item.state == state:
            return
        if state == "open":
            if item.pull and item.pull.merged:
                raise ApiError(422, "Validation Failed", errors=[{"resource": "PullRequest", "code": "custom", "message": "Cannot reopen a merged pull request"}])
            if item.pull and await repo.git.ref(f"refs/heads/{item.pull.head_ref}") is None:
                raise ApiError(422, "Validation Failed", errors=[{"resource": "PullRequest", "code": "custom", "message": "The head branch no longer exists"}])
        item.state = state
        item.updated_at = utcnow()
        item.closed_at = utcnow() if state == "closed" else None
        item.closed_by = actor if state == "closed" else None
        if item.pull:
            action = "closed" if state == "closed" else "reopened"
            self._emit(repo, "pull_request", {"action": action, "number": item.number, "pull_request": await self.pull_json(repo, item)}, sender=actor)

    async def add_issue_comment(self, repo: Repo, item: Issue, *, user: Account, body: str, app: App | None = None) -> IssueComment:
        if not body or not body.strip():
            raise validation_failed("IssueComment", "body", code="missing_field", docs=DOCS)
        comment = IssueComment(self.world.next_id(), repo, item, user, body, app=app)
        self.world.comments[comment.id] = comment
        item.updated_at = utcnow()
        self._emit_comment(repo, comment, "created", sender=user)
        return comment

    async def update_issue_comment(self, comment: IssueComment, *, body: str, editor: Account) -> IssueComment:
        if not body or not body.strip():
            raise validation_failed("IssueComment", "body", code="missing_field", docs=DOCS)
        old = comment.body
        comment.body, comment.updated_at = body, utcnow()
        self._emit_comment(comment.repo, comment, "edited", sender=editor, changes={"body": {"from": old}})
        return comment

    async def remove_issue_comment(self, comment: IssueComment, *, deleter: Account) -> None:
        del self.world.comments[comment.id]
        self._emit_comment(comment.repo, comment, "deleted", sender=deleter)

    def _emit_comment(self, repo: Repo, comment: IssueComment, action: str, *, sender: Account, changes: JSON | None = None) -> None:
        count = sum(1 for c in self.world.comments.values() if c.issue is comment.issue)
        payload: JSON = {"action": action, "issue": shapes.issue(self.urls, repo, comment.issue, comments=count), "comment": shapes.issue_comment(self.urls, comment)}
        if changes is not None:
            payload["changes"] = changes
        self._emit(repo, "issue_comment", payload, sender=sender)

    def add_reaction(self, target: list[Reaction], *, user: Account, content: str) -> tuple[Reaction, bool]:
        """The reaction and whether it is new (GitHub answers 200 for an existing one, 201 for new)."""
        if content not in REACTIONS:
            raise validation_failed("Reaction", "content", docs="https://docs.github.com/rest/reactions/reactions")
        for existing in target:
            if existing.user is user and existing.content == content:
                return existing, False
        reaction = Reaction(self.world.next_id(), user, content)
        target.append(reaction)
        return reaction, True

    async def label_issue(self, repo: Repo, item: Issue, names: Iterable[str], *, actor: Account) -> list[Label]:
        for name in names:
            if not name or not name.strip():
                raise validation_failed("Label", "name", docs=DOCS)
            lab = repo.labels.get(name.lower())
            if lab is None:
                lab = Label(self.world.next_id(), name, LABEL_COLOR)
                repo.labels[name.lower()] = lab
            if lab in item.labels:
                continue
            item.labels.append(lab)
            item.updated_at = utcnow()
            if item.pull:
                self._emit(
                    repo,
                    "pull_request",
                    {"action": "labeled", "number": item.number, "label": shapes.label(self.urls, repo, lab), "pull_request": await self.pull_json(repo, item)},
                    sender=actor,
                )
        return list(item.labels)
