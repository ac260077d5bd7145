"""The Sandbox: a local GitHub whose people, apps and CI are driven from Python (and HTTP)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
import socket
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.sandbox import events as hooks
from bot.sandbox import shapes
from bot.sandbox.auth import KeyPairs, mint_token
from bot.sandbox.ci import CHECK_NAME, CiQueue, run_ci_command
from bot.sandbox.deliveries import Deliveries, Delivery
from bot.sandbox.faults import FaultPlan
from bot.sandbox.git import ZERO_SHA, GitRepository, Identity, TreeChange
from bot.sandbox.model import (
    PERMISSION_LEVELS,
    REACTIONS,
    Account,
    ApiError,
    App,
    CheckRun,
    CheckSuite,
    CommitStatus,
    Installation,
    InstallationToken,
    Issue,
    IssueComment,
    Label,
    PullState,
    Reaction,
    Repo,
    Review,
    ReviewComment,
    World,
    utcnow,
)
from bot.sandbox.ratelimits import RateLimits
from bot.sandbox.requestlog import RequestLog
from bot.sandbox.shapes import JSON, PullFacts, Urls

DEFAULT_CI_COMMAND = "python -m pytest -q"
ALL_EVENTS = [
    "check_run",
    "check_suite",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
    "status",
]
DEFAULT_PERMISSIONS = {
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}
GITHUB_COMMITTER = ("GitHub", "noreply@github.com")
LABEL_COLOR = "ededed"

NOT_FOUND = "Not Found"
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
NO_WRITE_ACCESS = "Must have push access to {what}"
REVIEW_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}

DOCS = "https://docs.github.com/rest"
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

Person = str | Account


class Sandbox:
    """A local GitHub: real git repositories under `root`, everything else in memory.

    `token_ttl` is how long installation tokens live (GitHub: one hour); `ci` turns the built-in
    CI on or off.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        token_ttl: dt.timedelta = dt.timedelta(hours=1),
        ci: bool = True,
        ci_timeout: float = 120.0,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.world = World()
        self.urls = Urls()
        self.token_ttl = token_ttl
        self.ci_enabled = ci
        self.ci_timeout = ci_timeout
        self.deliveries = Deliveries()
        self.faults = FaultPlan(webhooks=self.deliveries.faults)
        self.requests = RequestLog()
        self.rate_limits = RateLimits()
        self.ci_queue = CiQueue()
        self._hook_ids = iter(range(400_000_001, 500_000_000))
        self._key_pairs = KeyPairs()
        self._unsent: list[tuple[App, str, JSON]] = []
        self._ci_app = self.register_app(slug="sandbox-ci", name="Sandbox CI", permissions={"checks": "write"}, events=[])
        self._background: set[asyncio.Task[Any]] = set()

    # -- people, apps and repositories ----------------------------------------------------

    def add_user(self, login: str, *, name: str | None = None, email: str | None = None, type: str = "User") -> Account:
        """Create a user (or an organization with type="Organization"); logins are unique."""
        if self.world.account(login):
            raise ValueError(f"the login {login!r} is taken")
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(\[bot\])?", login):
            raise ValueError(f"{login!r} is not a valid GitHub login")
        account = Account(self.world.next_id(), login, type, name=name, email=email)
        self.world.accounts[login.lower()] = account
        return account

    def add_org(self, login: str, *, name: str | None = None) -> Account:
        return self.add_user(login, name=name, type="Organization")

    def user(self, who: Person) -> Account:
        if isinstance(who, Account):
            return who
        account = self.world.account(who)
        if account is None:
            raise LookupError(f"no user {who!r}; add it with sandbox.add_user({who!r})")
        return account

    def register_app(
        self,
        *,
        slug: str,
        name: str | None = None,
        owner: Person | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        permissions: Mapping[str, str] | None = None,
        events: Iterable[str] | None = None,
    ) -> App:
        """Register a GitHub App with an RSA key no other app here has; a webhook URL gets a `ping` delivery."""
        if any(a.slug == slug for a in self.world.apps.values()):
            raise ValueError(f"an app with slug {slug!r} exists")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
            raise ValueError(f"{slug!r} is not a valid app slug (lower-case letters, digits and dashes)")
        for perm, level in (permissions or {}).items():
            if level not in ("read", "write", "admin"):
                raise ValueError(f"permission {perm}={level!r}: use read, write or admin")
        private_pem, public_pem = self._key_pairs.next()
        owner_account = self.user(owner) if owner else self._system_owner()
        bot = Account(self.world.next_id(), f"{slug}[bot]", "Bot")
        self.world.accounts[bot.login.lower()] = bot
        perms = {"metadata": "read", **dict(permissions if permissions is not None else DEFAULT_PERMISSIONS)}
        app = App(
            id=self.world.next_id(),
            slug=slug,
            name=name or slug,
            owner=owner_account,
            bot=bot,
            client_id="Iv1." + secrets.token_hex(8),
            private_key_pem=private_pem,
            public_key_pem=public_pem,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            permissions=perms,
            events=list(events) if events is not None else list(ALL_EVENTS),
            hook_id=next(self._hook_ids),
        )
        self.world.apps[app.id] = app
        if webhook_url:
            self._enqueue(app, "ping", hooks.ping(self.urls, app) | {"sender": shapes.user(self.urls, owner_account)})
        return app

    def _system_owner(self) -> Account:
        return self.world.account("sandbox") or self.add_org("sandbox")

    async def create_repo(
        self,
        full_name: str,
        *,
        files: Mapping[str, str | bytes] | None = None,
        default_branch: str = "main",
        ci_command: str | None = DEFAULT_CI_COMMAND,
        private: bool = False,
        description: str | None = None,
        required_checks: Iterable[str] | None = None,
        ci_timeout: float | None = None,
    ) -> Repo:
        """Create `owner/name` (the owner is created if new) with an initial commit of `files`."""
        owner_login, _, name = full_name.partition("/")
        if not owner_login or not name or "/" in name:
            raise ValueError(f"{full_name!r} is not owner/name")
        if self.world.repo(full_name):
            raise ValueError(f"repository {full_name} exists")
        owner = self.world.account(owner_login) or self.add_user(owner_login)
        git = await GitRepository.init(self.root / "repos" / owner.login / f"{name}.git", default_branch=default_branch)
        repo = Repo(
            id=self.world.next_id(),
            owner=owner,
            name=name,
            git=git,
            default_branch=default_branch,
            private=private,
            description=description,
            ci_command=ci_command,
            ci_timeout=ci_timeout or self.ci_timeout,
            required_checks=list(required_checks) if required_checks is not None else ([CHECK_NAME] if ci_command else []),
        )
        self.world.repos[full_name.lower()] = repo
        if files:
            tree = await git.build_tree([TreeChange(p, content=_bytes(c)) for p, c in files.items() if c is not None])
            who = self._identity(owner)
            sha = await git.write_commit(tree=tree, parents=[], message="Initial commit", author=who)
            await git.set_ref(f"refs/heads/{default_branch}", sha)
        return repo

    def repo(self, full_name: str | Repo) -> Repo:
        if isinstance(full_name, Repo):
            return full_name
        repo = self.world.repo(full_name)
        if repo is None:
            raise LookupError(f"no repository {full_name!r}")
        return repo

    def grant(self, repo: str | Repo, login: Person, permission: str) -> None:
        """Give `login` admin, write, read (or none: remove) access to `repo`."""
        if permission not in ("admin", "maintain", "write", "triage", "read", "none"):
            raise ValueError(f"permission {permission!r}: use admin, write, read or none")
        the_repo, account = self.repo(repo), self.user(login)
        if permission == "none":
            the_repo.collaborators.pop(account.login.lower(), None)
        else:
            the_repo.collaborators[account.login.lower()] = permission

    async def install(
        self,
        app: App,
        *,
        account: Person,
        repos: Iterable[str | Repo] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> Installation:
        """Install `app` on `account` for `repos` (None: all); again on the same account adds repos."""
        owner = self.user(account)
        chosen = [self.repo(r) for r in repos] if repos is not None else None
        for repo in chosen or []:
            if repo.owner is not owner:
                raise ValueError(f"{repo.full_name} does not belong to {owner.login}")
        existing = next((i for i in self.world.installations.values() if i.app is app and i.account is owner), None)
        sender = owner
        if existing is not None:
            added = [r for r in chosen or [] if r.id not in existing.repository_ids]
            existing.repository_ids.update(r.id for r in added)
            if chosen is None:
                existing.repository_selection = "all"
            existing.updated_at = utcnow()
            if added:
                self._enqueue(
                    app,
                    "installation_repositories",
                    {
                        "action": "added",
                        "installation": shapes.installation(self.urls, existing),
                        "repository_selection": existing.repository_selection,
                        "repositories_added": [hooks.repository_brief(r) for r in added],
                        "repositories_removed": [],
                        "requester": None,
                        "sender": shapes.user(self.urls, sender),
                    },
                )
            return existing
        inst = Installation(
            id=self.world.next_id(),
            app=app,
            account=owner,
            repository_selection="all" if chosen is None else "selected",
            repository_ids={r.id for r in chosen or []},
            permissions=dict(permissions or app.permissions),
            events=list(app.events),
        )
        self.world.installations[inst.id] = inst
        covered = [r for r in self.world.repos.values() if inst.covers(r)]
        self._enqueue(
            app,
            "installation",
            {
                "action": "created",
                "installation": shapes.installation(self.urls, inst),
                "repositories": [hooks.repository_brief(r) for r in covered],
                "requester": None,
                "sender": shapes.user(self.urls, sender),
            },
        )
        return inst

    def installation_token(self, installation: Installation, *, ttl: dt.timedelta | None = None) -> InstallationToken:
        """Mint a token directly (what POST /app/installations/{id}/access_tokens does)."""
        return mint_token(self.world, installation, ttl=ttl if ttl is not None else self.token_ttl)

    def expire_tokens(self, installation: Installation | None = None) -> int:
        """Make every (or one installation's) token expired now; returns how many."""
        count = 0
        for token in self.world.tokens.values():
            if installation is None or token.installation is installation:
                token.expires_at = utcnow() - dt.timedelta(seconds=1)
                count += 1
        return count

    # -- acting as a person -------------------------------------------------------------------

    async def push(
        self,
        repo: str | Repo,
        *,
        as_: Person,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str = "Update files",
        base: str | None = None,
        force: bool = False,
    ) -> str:
        """Commit `files` (None deletes a path) on `branch` as `as_` and push; returns the sha.

        A new branch starts from `base` (default: the default branch's tip).
        """
        the_repo, who = self.repo(repo), self.user(as_)
        self._require(the_repo, who, "write", what=the_repo.full_name)
        ref = f"refs/heads/{branch}"
        parent = await the_repo.git.ref(ref)
        if parent is None:
            start = base or the_repo.default_branch
            parent = await the_repo.git.resolve(start) if start else None
            if base and parent is None:
                raise ApiError(422, f"No commit found for the ref {base}")
        base_tree = (await the_repo.git.read_commit(parent)).tree if parent else None
        changes = [TreeChange(p, content=_bytes(c)) if c is not None else TreeChange(p) for p, c in files.items()]
        tree = await the_repo.git.build_tree(changes, base_tree=base_tree)
        sha = await the_repo.git.write_commit(
            tree=tree, parents=[parent] if parent else [], message=message, author=self._identity(who)
        )
        await self.update_branch(the_repo, branch, sha, pusher=who, force=force)
        return sha

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

    # -- waiting ---------------------------------------------------------------------------

    async def wait_ci(self, repo: str | Repo, sha: str, *, timeout: float = 120.0) -> CheckRun:
        """Wait for the built-in CI on `sha` to complete; returns its `ci` check run."""
        the_repo = self.repo(repo)
        await self.ci_queue.wait((the_repo.id, sha), timeout)
        run = next(
            (r for r in self.world.check_runs.values() if r.suite.repo is the_repo and r.head_sha == sha and r.suite.app is self._ci_app),
            None,
        )
        if run is None:
            raise LookupError(f"CI for {sha} finished without a check run")
        return run

    async def wait_deliveries(self, timeout: float = 30.0) -> list[Delivery]:
        """Wait until every queued webhook has been attempted; returns the delivery log."""
        while True:
            await self.deliveries.wait_idle(timeout)
            # A delivery may have queued more work (e.g. CI finishing); settle once more.
            await asyncio.sleep(0)
            if self.deliveries._idle is None or self.deliveries._idle.is_set():
                return list(self.deliveries.log.values())

    async def redeliver(self, delivery_id: int) -> Delivery:
        return await self.deliveries.redeliver(delivery_id)

    async def close_all(self) -> None:
        """Stop CI jobs and the webhook sender."""
        await self.ci_queue.close()
        for task in list(self._background):
            task.cancel()
        await self.deliveries.close()

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close_all()

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None) -> AsyncIterator[str]:
        """Serve the REST/GraphQL/control API with uvicorn in this event loop (on `sock` when
        given, a socket bound already); yields the base URL."""
        from bot.sandbox.server import serve

        async with serve(self, host=host, port=port, sock=sock) as base_url:
            yield base_url

    # -- lookups ------------------------------------------------------------------------------

    def issue(self, repo: Repo, number: int) -> Issue:
        item = repo.issues.get(number)
        if item is None:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return item

    def pull(self, repo: Repo, number: int) -> Issue:
        item = self.issue(repo, number)
        if item.pull is None:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return item

    def issue_comment(self, repo: Repo, comment_id: int) -> IssueComment:
        comment = self.world.comments.get(comment_id)
        if comment is None or comment.repo is not repo:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return comment

    def review_comment(self, repo: Repo, comment_id: int) -> ReviewComment:
        comment = self.world.review_comments.get(comment_id)
        if comment is None or comment.repo is not repo:
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        return comment

    def _require(self, repo: Repo, who: Account, level: str, *, what: str) -> None:
        have = repo.permission_of(who)
        if PERMISSION_LEVELS[have] >= PERMISSION_LEVELS[level]:
            return
        if have == "none":
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        raise ApiError(403, NO_WRITE_ACCESS.format(what=what), docs=DOCS)

    def _identity(self, who: Account) -> Identity:
        return Identity(who.name or who.login, who.noreply_email, int(utcnow().timestamp()))

    def permission_of(self, repo: Repo, login: str) -> str:
        return repo.permission_of(self.user(login))

    # -- the shared actions (the REST API and the person API both come here) -------------

    async def update_branch(
        self,
        repo: Repo,
        branch: str,
        sha: str,
        *,
        pusher: Account,
        force: bool = True,
        app: App | None = None,
    ) -> None:
        """Move refs/heads/`branch` to `sha` (fast-forward only unless force) and announce it."""
        ref = f"refs/heads/{branch}"
        before = await repo.git.ref(ref)
        if before is not None and not force and not await repo.git.is_ancestor(before, sha):
            raise ApiError(422, "Update is not a fast forward", docs="https://docs.github.com/rest/git/refs#update-a-reference")
        await repo.git.set_ref(ref, sha, old=before or ZERO_SHA)
        await self.after_push(repo, ref, before or ZERO_SHA, sha, pusher=pusher, forced=bool(before) and force and not await repo.git.is_ancestor(before, sha))

    async def after_push(self, repo: Repo, ref: str, before: str, after: str, *, pusher: Account, forced: bool = False) -> None:
        """Everything a push sets off: the push event, PR synchronize/close, CI."""
        repo.pushed_at = repo.updated_at = utcnow()
        created, deleted = before == ZERO_SHA, after == ZERO_SHA
        commits: list[JSON] = []
        head_commit = None
        if not deleted:
            new = await repo.git.commits_between(before, after) if not created else [after]
            if created:
                # A new branch lists the commits not on any other branch (GitHub shows the tip only when none).
                others = [sha for name, sha in (await repo.git.refs("refs/heads/")).items() if name != ref]
                listed = await repo.git.git("rev-list", "--reverse", after, *[f"^{o}" for o in others]) if others else b""
                new = listed.decode().split() or []
            for sha in new[-hooks.PUSH_COMMITS_LIMIT :]:
                obj = await repo.git.read_commit(sha)
                files = await repo.git.diff(obj.parents[0], sha) if obj.parents else await repo.git.diff(_EMPTY_TREE, sha)
                commits.append(hooks.push_commit(self.urls, repo, obj, files))
            head = await repo.git.read_commit(after)
            head_files = await repo.git.diff(head.parents[0], after) if head.parents else await repo.git.diff(_EMPTY_TREE, after)
            head_commit = hooks.push_commit(self.urls, repo, head, head_files)
        self._emit(
            repo,
            "push",
            {
                "ref": ref,
                "before": before,
                "after": after,
                "created": created,
                "deleted": deleted,
                "forced": forced,
                "base_ref": None,
                "compare": f"{self.urls.repo_web(repo)}/compare/{before[:12]}...{after[:12]}",
                "commits": commits,
                "head_commit": head_commit,
                "pusher": {"name": pusher.login, "email": pusher.noreply_email},
            },
            sender=pusher,
            repository=hooks.push_repository(self.urls, repo),
        )
        if not ref.startswith("refs/heads/"):
            return
        branch = ref.removeprefix("refs/heads/")
        for item in repo.pulls():
            pull = item.pull
            assert pull is not None
            if item.state != "open":
                continue
            if pull.base_ref == branch and not deleted:
                pull.base_sha = after
            if pull.head_ref != branch:
                continue
            if deleted:
                await self.set_state(repo, item, "closed", actor=pusher)
                continue
            previous = pull.head_sha
            pull.head_sha = after
            item.updated_at = utcnow()
            self._emit(
                repo,
                "pull_request",
                {"action": "synchronize", "number": item.number, "before": previous, "after": after, "pull_request": await self.pull_json(repo, item)},
                sender=pusher,
            )
        if deleted:
            return
        if branch == repo.default_branch or any(i.state == "open" and i.pull and i.pull.head_ref == branch for i in repo.pulls()):
            self.start_ci(repo, after, branch=branch, before=before if not created else None)

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
            raise _invalid("PullRequest", "head", docs=DOCS_PULLS)
        if not title:
            raise _invalid("PullRequest", "title", code="missing_field", docs=DOCS_PULLS)
        head_sha = await repo.git.ref(f"refs/heads/{head_branch}")
        base_sha = await repo.git.ref(f"refs/heads/{base}")
        if head_sha is None:
            raise _invalid("PullRequest", "head", docs=DOCS_PULLS)
        if base_sha is None:
            raise _invalid("PullRequest", "base", docs=DOCS_PULLS)
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
                raise _invalid("PullRequest", "base", docs=DOCS)
            changes["base"] = {"ref": {"from": item.pull.base_ref}, "sha": {"from": item.pull.base_sha}}
            item.pull.base_ref, item.pull.base_sha = base, base_sha
        if changes:
            item.updated_at = utcnow()
            if item.pull:
                self._emit(repo, "pull_request", {"action": "edited", "number": item.number, "changes": changes, "pull_request": await self.pull_json(repo, item)}, sender=actor)

    async def set_state(self, repo: Repo, item: Issue, state: str, *, actor: Account) -> None:
        if state not in ("open", "closed"):
            raise _invalid("Issue", "state", docs=DOCS)
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
            raise _invalid("PullRequest", "merge_method", docs=DOCS_MERGE)
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

    async def add_issue_comment(self, repo: Repo, item: Issue, *, user: Account, body: str, app: App | None = None) -> IssueComment:
        if not body or not body.strip():
            raise _invalid("IssueComment", "body", code="missing_field", docs=DOCS)
        comment = IssueComment(self.world.next_id(), repo, item, user, body, app=app)
        self.world.comments[comment.id] = comment
        item.updated_at = utcnow()
        self._emit_comment(repo, comment, "created", sender=user)
        return comment

    async def update_issue_comment(self, comment: IssueComment, *, body: str, editor: Account) -> IssueComment:
        if not body or not body.strip():
            raise _invalid("IssueComment", "body", code="missing_field", docs=DOCS)
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
            raise _invalid("Reaction", "content", docs="https://docs.github.com/rest/reactions/reactions")
        for existing in target:
            if existing.user is user and existing.content == content:
                return existing, False
        reaction = Reaction(self.world.next_id(), user, content)
        target.append(reaction)
        return reaction, True

    async def label_issue(self, repo: Repo, item: Issue, names: Iterable[str], *, actor: Account) -> list[Label]:
        for name in names:
            if not name or not name.strip():
                raise _invalid("Label", "name", docs=DOCS)
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
            raise _invalid("PullRequestReview", "event", docs=DOCS_REVIEWS)
        state = REVIEW_EVENTS[event] if event else "PENDING"
        if item.user is user and state == "APPROVED":
            raise ApiError(422, "Unprocessable Entity", errors=[CANNOT_APPROVE_OWN], docs=DOCS_REVIEWS)
        if item.user is user and state == "CHANGES_REQUESTED":
            raise ApiError(422, "Unprocessable Entity", errors=[CANNOT_REQUEST_CHANGES_OWN], docs=DOCS_REVIEWS)
        if state in ("CHANGES_REQUESTED", "COMMENTED") and not (body or "").strip() and not comments:
            raise ApiError(422, "Unprocessable Entity", errors=[REVIEW_BODY_REQUIRED], docs=DOCS_REVIEWS)
        commit = commit_id or pull.head_sha
        files = {f.filename: f for f in await repo.git.diff(await self._merge_base(repo, item), commit)}
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

    async def _merge_base(self, repo: Repo, item: Issue) -> str:
        pull = item.pull
        assert pull is not None
        base_tip = await repo.git.ref(f"refs/heads/{pull.base_ref}") or pull.base_sha
        if pull.merged and pull.merge_commit_sha:
            # After a merge GitHub keeps showing the diff against the base as it was.
            return await repo.git.merge_base(pull.base_sha, pull.head_sha) or pull.base_sha
        return await repo.git.merge_base(base_tip, pull.head_sha) or base_tip

    # -- checks and statuses --------------------------------------------------------------

    async def create_check_run(
        self,
        repo: Repo,
        *,
        app: App,
        name: str,
        head_sha: str,
        status: str = "queued",
        conclusion: str | None = None,
        external_id: str | None = None,
        details_url: str | None = None,
        output: Mapping[str, Any] | None = None,
        started_at: dt.datetime | None = None,
        completed_at: dt.datetime | None = None,
        sender: Account | None = None,
    ) -> CheckRun:
        suite = self._suite_for(repo, app, head_sha)
        run = CheckRun(self.world.next_id(), suite, name, head_sha, external_id=external_id, details_url=details_url, output=dict(output or {}))
        run.started_at = started_at or utcnow()
        self.world.check_runs[run.id] = run
        if conclusion is not None:
            status = "completed"
        run.status = status
        if status == "completed":
            run.conclusion = conclusion
            run.completed_at = completed_at or utcnow()
        if suite.status == "queued" and status != "queued":
            suite.status = "in_progress"
        suite.updated_at = utcnow()
        await self._emit_check_run(run, "created", sender=sender or app.bot)
        if status == "completed":
            await self._emit_check_run(run, "completed", sender=sender or app.bot)
            await self._settle_suite(suite, sender=sender or app.bot)
        return run

    async def update_check_run(self, run: CheckRun, *, sender: Account, **changes: Any) -> CheckRun:
        was_completed = run.status == "completed"
        for key in ("name", "details_url", "external_id", "started_at"):
            if changes.get(key) is not None:
                setattr(run, key, changes[key])
        if changes.get("output") is not None:
            run.output = {**run.output, **changes["output"]}
        if changes.get("conclusion") is not None:
            run.conclusion = changes["conclusion"]
            run.status = "completed"
        elif changes.get("status") is not None:
            run.status = changes["status"]
        if run.status == "completed":
            run.completed_at = changes.get("completed_at") or run.completed_at or utcnow()
            if run.conclusion is None:
                raise _invalid("CheckRun", "conclusion", code="missing_field", docs="https://docs.github.com/rest/checks/runs#update-a-check-run")
        if run.suite.status == "queued" and run.status != "queued":
            run.suite.status = "in_progress"
        run.suite.updated_at = utcnow()
        if run.status == "completed" and not was_completed:
            await self._emit_check_run(run, "completed", sender=sender)
            await self._settle_suite(run.suite, sender=sender)
        return run

    def _suite_for(self, repo: Repo, app: App, head_sha: str, *, before: str | None = None, branch: str | None = None) -> CheckSuite:
        for suite in self.world.check_suites.values():
            if suite.repo is repo and suite.app is app and suite.head_sha == head_sha:
                return suite
        if branch is None:
            branch = next((i.pull.head_ref for i in repo.pulls() if i.pull and i.pull.head_sha == head_sha), None)
        suite = CheckSuite(self.world.next_id(), repo, app, head_sha, branch, before, head_sha)
        self.world.check_suites[suite.id] = suite
        return suite

    async def _settle_suite(self, suite: CheckSuite, *, sender: Account) -> None:
        runs = [r for r in self.world.check_runs.values() if r.suite is suite]
        if not runs or any(r.status != "completed" for r in runs):
            return
        order = ["action_required", "cancelled", "timed_out", "failure", "neutral", "skipped", "stale", "success"]
        conclusions = [r.conclusion or "neutral" for r in runs]
        worst = min(conclusions, key=lambda c: order.index(c) if c in order else 0)
        if worst in ("neutral", "skipped") and "success" in conclusions:
            worst = "success"
        suite.status, suite.conclusion, suite.updated_at = "completed", worst, utcnow()
        head = await suite.repo.git.read_commit(suite.head_sha) if await suite.repo.git.object_type(suite.head_sha) == "commit" else None
        self._emit(
            suite.repo,
            "check_suite",
            {"action": "completed", "check_suite": shapes.check_suite(self.urls, suite, runs=len(runs), head_commit=head)},
            sender=sender,
        )
        await self.checks_changed(suite.repo, suite.head_sha)

    async def _emit_check_run(self, run: CheckRun, action: str, *, sender: Account) -> None:
        runs = sum(1 for r in self.world.check_runs.values() if r.suite is run.suite)
        self._emit(run.suite.repo, "check_run", {"action": action, "check_run": hooks.check_run_webhook(self.urls, run, suite_runs=runs)}, sender=sender)

    async def create_status(self, repo: Repo, sha: str, *, creator: Account, state: str, context: str = "default", target_url: str | None = None, description: str | None = None) -> CommitStatus:
        if state not in ("error", "failure", "pending", "success"):
            raise _invalid("Status", "state", docs="https://docs.github.com/rest/commits/statuses#create-a-commit-status")
        item = CommitStatus(self.world.next_id(), repo, sha, state, context or "default", creator, target_url, description)
        self.world.statuses.append(item)
        obj = await repo.git.read_commit(sha)
        branches = [
            {"name": name.removeprefix("refs/heads/"), "commit": {"sha": tip, "url": f"{self.urls.repo(repo)}/commits/{tip}"}, "protected": False}
            for name, tip in (await repo.git.refs("refs/heads/")).items()
            if tip == sha
        ]
        self._emit(
            repo,
            "status",
            {
                "id": item.id,
                "sha": sha,
                "name": repo.full_name,
                "target_url": target_url,
                "avatar_url": shapes.user(self.urls, creator)["avatar_url"],
                "context": item.context,
                "description": description,
                "state": state,
                "commit": shapes.commit(self.urls, repo, obj),
                "branches": branches,
                "created_at": shapes.iso(item.created_at),
                "updated_at": shapes.iso(item.updated_at),
            },
            sender=creator,
        )
        await self.checks_changed(repo, sha)
        return item

    def latest_statuses(self, repo: Repo, sha: str) -> list[CommitStatus]:
        latest: dict[str, CommitStatus] = {}
        for item in self.world.statuses:
            if item.repo is repo and item.sha == sha:
                latest[item.context] = item
        return sorted(latest.values(), key=lambda s: s.id, reverse=True)

    def required_checks_state(self, repo: Repo, sha: str) -> str:
        """success, pending or failure for the repository's required checks at `sha`."""
        state = "success"
        for name in repo.required_checks:
            runs = [r for r in self.world.check_runs.values() if r.suite.repo is repo and r.head_sha == sha and r.name == name]
            statuses = [s for s in self.latest_statuses(repo, sha) if s.context == name]
            if runs:
                run = max(runs, key=lambda r: r.id)
                if run.status != "completed":
                    state = "pending"
                elif run.conclusion not in ("success", "neutral", "skipped"):
                    return "failure"
            elif statuses:
                if statuses[0].state in ("failure", "error"):
                    return "failure"
                if statuses[0].state == "pending":
                    state = "pending"
            else:
                state = "pending"
        return state

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

    async def enable_auto_merge(self, repo: Repo, item: Issue, *, actor: Account, method: str = "MERGE", commit_title: str | None = None, commit_message: str | None = None) -> None:
        pull = item.pull
        assert pull is not None
        pull.auto_merge = {"enabled_by": actor, "merge_method": method.lower(), "commit_title": commit_title, "commit_message": commit_message, "enabled_at": utcnow()}
        item.updated_at = utcnow()
        self._emit(repo, "pull_request", {"action": "auto_merge_enabled", "number": item.number, "pull_request": await self.pull_json(repo, item)}, sender=actor)

    # -- CI -----------------------------------------------------------------------------------

    def start_ci(self, repo: Repo, sha: str, *, branch: str | None, before: str | None) -> None:
        if not self.ci_enabled or not repo.ci_command:
            return
        command, timeout = repo.ci_command, repo.ci_timeout
        ci_app = self._ci_app

        async def job() -> None:
            suite = self._suite_for(repo, ci_app, sha, before=before, branch=branch)
            run = await self.create_check_run(repo, app=ci_app, name=CHECK_NAME, head_sha=sha, status="queued")
            await self.update_check_run(run, sender=ci_app.bot, status="in_progress", started_at=utcnow())
            del suite
            outcome = await run_ci_command(repo.git, sha=sha, ref=f"refs/heads/{branch}" if branch else None, command=command, timeout=timeout)
            await self.update_check_run(
                run,
                sender=ci_app.bot,
                conclusion=outcome.conclusion,
                output={"title": outcome.title, "summary": outcome.summary},
            )

        self.ci_queue.submit((repo.id, sha), job)

    # -- rendering ---------------------------------------------------------------------------

    async def pull_json(self, repo: Repo, item: Issue, *, simple: bool = False) -> JSON:
        if simple:
            return shapes.pull_request(self.urls, repo, item)
        return shapes.pull_request(self.urls, repo, item, await self.pull_facts(repo, item))

    async def pull_facts(self, repo: Repo, item: Issue) -> PullFacts:
        pull = item.pull
        assert pull is not None
        merge_base = await self._merge_base(repo, item)
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

    # -- webhooks -----------------------------------------------------------------------------

    def _emit(self, repo: Repo, event: str, payload: JSON, *, sender: Account, repository: JSON | None = None) -> None:
        """Queue `event` for every app installed on `repo` that subscribes to it."""
        for inst in self.world.installations_covering(repo):
            if event not in inst.events:
                continue
            body = dict(payload)
            body["repository"] = repository or shapes.repository(self.urls, repo)
            body["sender"] = shapes.user(self.urls, sender)
            body["installation"] = hooks.installation_ref(inst)
            self._enqueue(inst.app, event, body)

    def _enqueue(self, app: App, event: str, payload: JSON) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # Outside an event loop (a sync register_app at set-up time) the ping waits for one.
            self._unsent.append((app, event, payload))
            return
        while self._unsent:
            self.deliveries.enqueue(*self._unsent.pop(0))
        self.deliveries.enqueue(app, event, payload)

    def flush_unsent(self) -> None:
        while self._unsent:
            self.deliveries.enqueue(*self._unsent.pop(0))


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


def _invalid(resource: str, field: str, *, code: str = "invalid", docs: str = DOCS) -> ApiError:
    return ApiError(422, "Validation Failed", errors=[{"resource": resource, "field": field, "code": code}], docs=docs)


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
