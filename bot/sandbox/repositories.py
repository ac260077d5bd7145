"""Repositories of the sandbox: creating them, access to them, and pushes to their branches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.sandbox import events as hooks
from bot.sandbox.ci import CHECK_NAME
from bot.sandbox.git import ZERO_SHA, GitRepository, Identity, TreeChange
from bot.sandbox.model import PERMISSION_LEVELS, Account, ApiError, App, Repo, utcnow
from bot.sandbox.shapes import JSON
from bot.sandbox.state import DOCS, NOT_FOUND, Person, SandboxState, as_bytes
from bot.sandbox.workflows import WORKFLOWS_DIR, ci_workflow

DEFAULT_CI_COMMAND = "python -m pytest -q"  # what `ci_command=` is usually given
CI_WORKFLOW = f"{WORKFLOWS_DIR}/ci.yml"
NO_WRITE_ACCESS = "Must have push access to {what}"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class Repositories(SandboxState):
    """Repositories, collaborators and pushes (a push sets off the push event, PR synchronize and CI)."""

    # -- creating, finding and granting access -------------------------------------------------

    async def create_repo(
        self,
        full_name: str,
        *,
        files: Mapping[str, str | bytes] | None = None,
        default_branch: str = "main",
        ci_command: str | None = None,
        private: bool = False,
        description: str | None = None,
        required_checks: Iterable[str] | None = None,
        ci_timeout: float | None = None,
    ) -> Repo:
        """Create `owner/name` (the owner is created if new) with an initial commit of `files`.

        CI is the repository's own `.github/workflows/`; `ci_command` is a shorthand that adds
        `.github/workflows/ci.yml`, a `ci` job running that command, to `files`."""
        owner_login, _, name = full_name.partition("/")
        if not owner_login or not name or "/" in name:
            raise ValueError(f"{full_name!r} is not owner/name")
        if self.world.repo(full_name):
            raise ValueError(f"repository {full_name} exists")
        if ci_command and CI_WORKFLOW in (files or {}):
            raise ValueError(f"{CI_WORKFLOW} is given in files and by ci_command: give one")
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
        if ci_command:
            files = {**(files or {}), CI_WORKFLOW: ci_workflow(ci_command, job=CHECK_NAME)}
        if files:
            tree = await git.build_tree([TreeChange(p, content=as_bytes(c)) for p, c in files.items() if c is not None])
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

    def permission_of(self, repo: Repo, login: str) -> str:
        return repo.permission_of(self.user(login))

    def _require(self, repo: Repo, who: Account, level: str, *, what: str) -> None:
        have = repo.permission_of(who)
        if PERMISSION_LEVELS[have] >= PERMISSION_LEVELS[level]:
            return
        if have == "none":
            raise ApiError(404, NOT_FOUND, docs=DOCS)
        raise ApiError(403, NO_WRITE_ACCESS.format(what=what), docs=DOCS)

    def _identity(self, who: Account) -> Identity:
        return Identity(who.name or who.login, who.noreply_email, int(utcnow().timestamp()))

    # -- acting as a person --------------------------------------------------------------------

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
        changes = [TreeChange(p, content=as_bytes(c)) if c is not None else TreeChange(p) for p, c in files.items()]
        tree = await the_repo.git.build_tree(changes, base_tree=base_tree)
        sha = await the_repo.git.write_commit(
            tree=tree, parents=[parent] if parent else [], message=message, author=self._identity(who)
        )
        await self.update_branch(the_repo, branch, sha, pusher=who, force=force)
        return sha

    # -- the shared actions (the REST API and the person API both come here) -------------------

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
                files = await repo.git.diff(obj.parents[0], sha) if obj.parents else await repo.git.diff(EMPTY_TREE, sha)
                commits.append(hooks.push_commit(self.urls, repo, obj, files))
            head = await repo.git.read_commit(after)
            head_files = await repo.git.diff(head.parents[0], after) if head.parents else await repo.git.diff(EMPTY_TREE, after)
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
