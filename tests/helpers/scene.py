"""The autopilot's scene on the Stage: a repository of alice's, bob and carol, and what people see there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot import proposals as lifecycle
from bot.sandbox import Sandbox
from bot.sandbox.model import CheckRun, Issue, IssueComment
from bot.store.deliveries import FAILED
from bot.strategies import CONFIG_PATH
from webhooks.demo import SLUG, Stage

OWNER = "alice"  # owns every repository (admin)
WRITER = "bob"  # write access
READER = "carol"  # read access only
BOT = f"{SLUG}[bot]"

# A tiny project: one `x == None` to rewrite, and a test that passes before and after.
APP = "def check(x):\n    if x == None:\n        return 0\n    return x\n"
APP_TEST = "from app import check\n\n\ndef test_check():\n    assert check(None) == 0\n    assert check(3) == 3\n"
FILES = {"app.py": APP, "test_app.py": APP_TEST}
REWRITE = "/evolve rewrite $X == None -> $X is None in **/*.py"
FIXED = APP.replace("x == None", "x is None")


def config(mode: str, **settings: Any) -> str:
    lines = [f"mode: {mode}", *(f"{key}: {value}" for key, value in settings.items())]
    return "\n".join(lines) + "\n"


@dataclass
class Scene:
    """One repository on the stage, owned by alice, with bob (write) and carol (read)."""

    stage: Stage
    repo: str
    checked: int = 0  # the journal entry up to which settle() has looked for failures

    @property
    def owner(self) -> str:
        return self.repo.split("/")[0]

    @property
    def sandbox(self) -> Sandbox:
        return self.stage.sandbox

    async def settle(self, *, failures_allowed: bool = False) -> None:
        """Wait until the loop is idle; no delivery may have failed since the last settle unless
        faults were injected, and none may have been given up on. Where faults were injected,
        waits a rate limit asked for are skipped (as if that time had passed)."""
        await self.stage.settle(expedite=failures_allowed)
        entries = [e for e in await self.stage.store.journal.entries(limit=1000) if e.id > self.checked]
        self.checked = max((e.id for e in entries), default=self.checked)
        if not failures_allowed:
            failed = [e.message for e in entries if e.kind == "delivery.failed"]
            assert failed == [], failed
        given_up = [d.delivery.delivery_id for d in await self.stage.store.deliveries.recent(limit=1000) if d.status == FAILED]
        assert given_up == []

    async def comment(self, number: int, body: str, *, as_: str | None = None) -> IssueComment:
        return await self.sandbox.comment(self.repo, number, as_=as_ or self.owner, body=body)

    async def command(self, number: int, body: str, *, as_: str | None = None) -> IssueComment:
        """Comment and wait until the bot has done everything it is going to do about it."""
        comment = await self.comment(number, body, as_=as_)
        await self.settle()
        return comment

    async def human_pr(self, files: Mapping[str, str | None] | None = None, *, branch: str = "topic") -> int:
        """A pull request by the owner, where commands are written; its own CI is not run (the
        bot ignores it, and CI runs one job at a time: skipping it keeps the suite fast)."""
        enabled, self.sandbox.ci_enabled = self.sandbox.ci_enabled, False
        try:
            await self.sandbox.push(self.repo, as_=self.owner, branch=branch, files=files or {"README.md": "hello\n"})
            pull: Issue = await self.sandbox.open_pull_request(self.repo, as_=self.owner, head=branch, title=f"Work on {branch}")
        finally:
            self.sandbox.ci_enabled = enabled
        return pull.number

    def comments(self, number: int) -> list[IssueComment]:
        return self.stage.comments(self.repo, number)

    def bot_comments(self, number: int) -> list[str]:
        return [c.body for c in self.comments(number) if c.user.login == BOT]

    def check_runs(self, sha: str) -> dict[str, CheckRun]:
        """The check runs on a commit by name (the newest of each), as the sandbox holds them."""
        runs = sorted((r for r in self.sandbox.world.check_runs.values() if r.head_sha == sha), key=lambda r: r.id)
        return {r.name: r for r in runs}

    def pull(self, number: int) -> Issue:
        return self.sandbox.pull(self.sandbox.repo(self.repo), number)

    def pulls(self) -> list[Issue]:
        """Every pull request, oldest first."""
        repo = self.sandbox.repo(self.repo)
        return sorted((i for i in repo.issues.values() if i.pull is not None), key=lambda i: i.number)

    def bot_pulls(self) -> list[Issue]:
        return [p for p in self.pulls() if p.user.login == BOT]

    async def file(self, ref: str, path: str) -> str | None:
        git = self.sandbox.repo(self.repo).git
        sha = await git.resolve(ref)
        assert sha is not None, f"no ref {ref}"
        data = await git.read_file(sha, path)
        return None if data is None else data.decode()

    async def branch_exists(self, branch: str) -> bool:
        return await self.sandbox.repo(self.repo).git.ref(f"refs/heads/{branch}") is not None

    async def proposals(self) -> list[lifecycle.Proposal]:
        """Oldest first."""
        return list(reversed(await self.stage.store.proposals.find(self.repo)))

    async def only_proposal(self) -> lifecycle.Proposal:
        found = await self.proposals()
        assert len(found) == 1, [(p.id, p.state) for p in found]
        return found[0]

    async def journal(self, proposal: lifecycle.Proposal | None = None) -> list[Any]:
        return await self.stage.store.journal.entries(
            repository=self.repo, proposal_id=proposal.id if proposal else None, limit=1000
        )


def states(proposal: lifecycle.Proposal) -> list[str]:
    return [step.state for step in proposal.history]


async def scene(
    stage: Stage,
    name: str,
    *,
    files: Mapping[str, str] = FILES,
    evolve_yml: str | None = None,
    owner: str = OWNER,
    **options: Any,
) -> Scene:
    """A new repository of `owner` (alice: the bot is installed on all of hers already)."""
    repo = f"{owner}/{name}"
    contents = dict(files)
    if evolve_yml is not None:
        contents[CONFIG_PATH] = evolve_yml
    # The repository's own CI: a `ci` workflow job running its tests, unless the test brings its own.
    if not any(path.startswith(".github/workflows/") for path in contents):
        options.setdefault("ci_command", "python -m pytest -q")
    await stage.sandbox.create_repo(repo, files=contents, **options)
    stage.sandbox.grant(repo, WRITER, "write")
    stage.sandbox.grant(repo, READER, "read")
    return Scene(stage, repo)
