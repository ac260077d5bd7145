"""`evolve-bot demo`: the whole loop, played as people would, on a local GitHub and the real bot."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.proposals import Proposal
from bot.settings import DEMO_ROOT

from .stage import SECRET, Stage

REPO = "maya/ledger"
MAINTAINER, CONTRIBUTOR, OUTSIDER = "maya", "devon", "olly"

FILES = {
    "README.md": "# ledger\n\nSmall bookkeeping helpers.\n",
    # The repository's own CI, which the sandbox runs as GitHub Actions would (its `run:` steps).
    ".github/workflows/ci.yml": (
        "name: CI\n"
        "on:\n"
        "  push:\n"
        "    branches: [main]\n"
        "  pull_request:\n"
        "jobs:\n"
        "  tests:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@v5\n"
        "        with:\n"
        '          python-version: "3.12"\n'
        "      - run: python -m pytest -q\n"
    ),
    "ledger.py": (
        "def total(amounts):\n"
        "    return sum(amounts)\n"
        "\n"
        "\n"
        "def legacy_total(amounts):\n"
        '    """Deprecated: use total()."""\n'
        "    result = 0\n"
        "    for amount in amounts:\n"
        "        result += amount\n"
        "    return result\n"
        "\n"
        "\n"
        "def describe(entry):\n"
        "    if entry == None:\n"
        '        return "nothing"\n'
        "    if entry.get(\"note\") == None:\n"
        '        return f"{entry[\'amount\']}"\n'
        "    return f\"{entry['amount']} ({entry['note']})\"\n"
    ),
    "report.py": (
        "import ledger\n"
        "\n"
        "\n"
        "def monthly(entries):\n"
        "    return ledger.legacy_total([e[\"amount\"] for e in entries])\n"
    ),
    "test_ledger.py": (
        "from ledger import describe, legacy_total, total\n"
        "from report import monthly\n"
        "\n"
        "\n"
        "def test_totals_agree():\n"
        "    assert total([1, 2, 3]) == legacy_total([1, 2, 3]) == 6\n"
        "\n"
        "\n"
        "def test_describe():\n"
        '    assert describe(None) == "nothing"\n'
        '    assert describe({"amount": 5}) == "5"\n'
        '    assert describe({"amount": 5, "note": "tea"}) == "5 (tea)"\n'
        "\n"
        "\n"
        "def test_monthly():\n"
        '    assert monthly([{"amount": 2}, {"amount": 3}]) == 5\n'
    ),
}

# Devon's change on the default branch: `total` becomes `grand_total`, every caller updated,
# made on main as it stands (the bot's merged rewrite stays).
RENAME = {
    "ledger.py": (("def total(", "def grand_total("),),
    "test_ledger.py": (
        ("import describe, legacy_total, total", "import describe, grand_total, legacy_total"),
        ("assert total([1, 2, 3])", "assert grand_total([1, 2, 3])"),
    ),
}

CONFIDENCE_CONFIG = "mode: confidence\nconfidence_threshold: 0.6\n"
FULL_AUTO_CONFIG = "mode: full_auto\nconfidence_threshold: 0.6\n"

# After the story: where its records are, and how to read them with the usual commands.
KEPT_STORE = (
    "The bot's store is kept in {database}; read it with\n"
    "  export EVOLVE_DATABASE_URL={url}\n"
    "  evolve-bot journal  ·  evolve-bot stats  ·  evolve-bot rules --repo {repo}"
)
# Progress inside a step: what the story waits on now, and a reminder while a wait goes on.
STARTING = "Starting the local GitHub and the bot…"
INSTALLED = "the App is installed on {repo}; the bot opens its onboarding PR, and CI runs on it"
ONBOARDING_MERGED = "@{who} merged onboarding PR #{number}; CI runs on main"
MODE_CHOSEN = "@{who} chose `mode: confidence` on main; CI runs on main"
STILL_WAITING = "still waiting ({seconds:.0f}s): {what}"
WAITING_ON_NOTHING = "the bot is at work"
STILL_WAITING_EVERY = 5.0
SERVERS_UP = (
    "Servers are up: GitHub (sandbox) {api}  ·  control API {api}/_sandbox  ·  "
    "bot {bot} (webhook secret {secret!r})  ·  Ctrl-C to stop"
)


@dataclass
class Step:
    """One beat of the story: what should happen, whether it did, and the evidence."""

    name: str
    ok: bool = False
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Story:
    steps: list[Step] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    store: str = ""  # the bot's database URL, kept after the demo

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [asdict(s) for s in self.steps], "urls": self.urls, "store": self.store}

    def where(self) -> str:
        """How to read the bot's store once the demo is over."""
        database = self.store.removeprefix("sqlite+aiosqlite:///")
        return KEPT_STORE.format(database=database, url=self.store, repo=REPO)


class StepFailed(Exception):
    """A beat of the story did not happen; the message says what was seen instead."""


class Demo:
    """Plays the story on a Stage, one step at a time, printing each as it happens."""

    def __init__(self, stage: Stage, *, console: Console | None) -> None:
        self.stage = stage
        self.sb = stage.sandbox
        self.console = console
        self.story = Story()
        self._last_said = time.monotonic()

    def note(self, text: str) -> None:
        """Say what the step waits on now (CI runs take seconds each)."""
        self._last_said = time.monotonic()
        if self.console:
            self.console.print(f"  [dim]·[/] {text}", highlight=False, soft_wrap=True)

    async def _remind(self, started: float) -> None:
        """While a step is quiet for a while, say what the stage is still busy with."""
        while True:
            await asyncio.sleep(1.0)
            if time.monotonic() - self._last_said >= STILL_WAITING_EVERY:
                what = await self.stage.busy() or WAITING_ON_NOTHING
                self.note(STILL_WAITING.format(seconds=time.monotonic() - started, what=what))

    async def step(self, name: str, action: Callable[[], Awaitable[str]]) -> bool:
        started = self._last_said = time.monotonic()
        step = Step(name=name)
        self.story.steps.append(step)
        if self.console:
            self.console.print(f"[bold]→[/] {name}")
        reminder = asyncio.get_running_loop().create_task(self._remind(started)) if self.console else None
        try:
            step.detail = await action()
            step.ok = True
        except (StepFailed, TimeoutError) as exc:
            step.detail = str(exc)
        except Exception as exc:  # a step that breaks is reported as not having happened
            step.detail = f"{type(exc).__name__}: {exc}"
        finally:
            if reminder:
                reminder.cancel()
        step.seconds = round(time.monotonic() - started, 2)
        if self.console:
            mark = "[green]✓[/]" if step.ok else "[red]✗[/]"
            self.console.print(f"  {mark} {step.detail}  [dim]({step.seconds:.1f}s)[/]")
        return step.ok

    # -- helpers ------------------------------------------------------------------------------

    async def proposals(self) -> list[Proposal]:
        return await self.stage.store.proposals.find(REPO)

    async def proposal(self, kind: str, *, newest: bool = True) -> Proposal:
        found = [p for p in await self.proposals() if p.kind == kind]
        if not found:
            raise StepFailed(f"no {kind} proposal was made")
        return found[0] if newest else found[-1]

    def bot_comments(self, number: int) -> list[str]:
        return [c.body for c in self.stage.comments(REPO, number) if c.user.login.endswith("[bot]")]

    async def comment(self, number: int, who: str, body: str) -> None:
        await self.sb.comment(REPO, number, as_=who, body=body)
        await self.stage.settle()

    async def renamed_on_main(self) -> dict[str, str]:
        """The files RENAME edits, as main holds them now, with its edits made."""
        git = self.sb.repo(REPO).git
        main = await git.resolve("refs/heads/main")
        files = {}
        for path, edits in RENAME.items():
            text = ((await git.read_file(main, path)) if main else None) or b""
            content = text.decode()
            for old, new in edits:
                if old not in content:
                    raise StepFailed(f"{path} on main no longer has {old!r} to rename")
                content = content.replace(old, new)
            files[path] = content
        return files

    def pull(self, number: int) -> Any:
        return self.sb.pull(self.sb.repo(REPO), number)

    async def onboarding_pr(self) -> int:
        number = (await self.proposal("onboarding")).pr_number
        if number is None:
            raise StepFailed("there is no onboarding PR to talk on")
        return number

    # -- the story ----------------------------------------------------------------------------

    async def play(self) -> Story:
        sb = self.sb
        for login in (MAINTAINER, CONTRIBUTOR, OUTSIDER):
            sb.add_user(login)
        await sb.create_repo(REPO, files=FILES, default_branch="main", required_checks=["tests"])
        sb.grant(REPO, CONTRIBUTOR, "write")
        sb.grant(REPO, OUTSIDER, "read")
        self.story.urls = {"github": self.stage.api_url, "bot": self.stage.bot_url, "repository": f"{self.stage.api_url}/{REPO}"}

        async def onboarding() -> str:
            await self.stage.install(account=MAINTAINER, repos=[REPO])
            self.note(INSTALLED.format(repo=REPO))
            await self.stage.settle()
            p = await self.proposal("onboarding")
            if p.pr_number is None or p.state not in ("testing", "passed"):
                raise StepFailed(f"onboarding proposal is {p.state}, no PR")
            await sb.merge(REPO, p.pr_number, as_=MAINTAINER)
            self.note(ONBOARDING_MERGED.format(who=MAINTAINER, number=p.pr_number))
            await self.stage.settle()
            await sb.push(REPO, as_=MAINTAINER, branch="main", files={".github/evolve.yml": CONFIDENCE_CONFIG}, message="evolve-bot: confidence mode")
            self.note(MODE_CHOSEN.format(who=MAINTAINER))
            await self.stage.settle()
            return f"onboarding PR #{p.pr_number} added .github/evolve.yml; @{MAINTAINER} merged it and chose `mode: confidence`"

        async def rewrite() -> str:
            await self.comment(await self.onboarding_pr(), MAINTAINER, "Thanks! Now:\n/evolve rewrite $X == None -> $X is None in **/*.py")
            p = await self.proposal("rewrite")
            if p.pr_number is None:
                raise StepFailed(f"the rewrite proposal is {p.state}: {p.history[-1].reason}")
            if p.state != "passed":
                raise StepFailed(f"PR #{p.pr_number} is {p.state}, expected CI to pass")
            return f"bot opened PR #{p.pr_number} ({len(p.targets)} file(s), confidence {p.confidence:.2f}, risk {p.risk}); real CI passed"

        async def merge_with_ab() -> str:
            p = await self.proposal("rewrite")
            if p.pr_number is None:
                raise StepFailed(f"the rewrite proposal is {p.state}, with no PR to merge")
            await sb.merge(REPO, p.pr_number, as_=MAINTAINER)
            await self.stage.settle()
            merged = await self.stage.store.proposals.get(p.id)
            if merged is None or merged.state != "merged":
                raise StepFailed(f"proposal is {merged.state if merged else 'gone'} after the merge")
            ab = [c for c in self.bot_comments(p.pr_number) if "Before/after" in c]
            if not ab:
                raise StepFailed("no before/after comment on the merged PR")
            figures = next((line for line in ab[-1].splitlines() if line.startswith("| ci")), "").strip()
            return f"@{MAINTAINER} merged #{p.pr_number}; the bot commented before/after figures: {figures or ab[-1].splitlines()[0]}"

        async def regression_and_revert() -> str:
            await sb.push(REPO, as_=MAINTAINER, branch="main", files={".github/evolve.yml": FULL_AUTO_CONFIG}, message="evolve-bot: full_auto")
            await self.stage.settle()
            await sb.comment(REPO, await self.onboarding_pr(), as_=MAINTAINER, body="/evolve rewrite ledger.legacy_total($X) -> ledger.total($X) in report.py")
            # Devon renames total() on main while the bot's PR is in CI: neither change is wrong
            # alone, and they do not conflict as text, but together they break the tests.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                opened = [p for p in await self.proposals() if p.kind == "rewrite" and "legacy_total" in str(p.spec.get("pattern")) and p.pr_number]
                if opened:
                    break
                await asyncio.sleep(0.02)
            else:
                raise StepFailed("the bot never opened the legacy_total rewrite")
            await sb.push(REPO, as_=CONTRIBUTOR, branch="main", files=await self.renamed_on_main(), message="Rename total() to grand_total()")
            await self.stage.settle(timeout=180)
            original = await self.stage.store.proposals.get(opened[0].id)
            revert = next((p for p in await self.proposals() if p.kind == "revert"), None)
            if original is None or original.state != "reverted" or revert is None:
                raise StepFailed(f"rewrite is {original.state if original else '?'}; revert proposal: {revert.state if revert else 'none'}")
            if revert.state != "merged":
                raise StepFailed(f"revert PR #{revert.pr_number} is {revert.state}, expected merged in full_auto")
            return (
                f"full_auto merged #{original.pr_number} after its CI passed; with @{CONTRIBUTOR}'s rename it broke main; "
                f"the bot opened revert #{revert.pr_number} by itself, its CI passed, and it merged it"
            )

        async def refusal() -> str:
            before = len(await self.proposals())
            number = await self.onboarding_pr()
            await self.comment(number, OUTSIDER, "/evolve rewrite $X is None -> $X == None")
            replies = self.bot_comments(number)
            if len(await self.proposals()) != before:
                raise StepFailed("a proposal was made for a user without write access")
            if not replies or "write access" not in replies[-1]:
                raise StepFailed("no refusal reply")
            return f"@{OUTSIDER} (read access) tried a command; the bot replied once and did nothing"

        async def why() -> str:
            original = next((p for p in await self.proposals() if p.state == "reverted" and p.pr_number), None)
            if original is None or original.pr_number is None:
                raise StepFailed("no reverted bot PR to ask about")
            await self.comment(original.pr_number, MAINTAINER, "/evolve why")
            answer = self.bot_comments(original.pr_number)[-1]
            if "Why" not in answer or "outcome.reverted" not in answer:
                raise StepFailed("`/evolve why` did not explain the chain")
            steps = sum(1 for line in answer.splitlines() if line.startswith("| 20"))
            return f"`/evolve why` on #{original.pr_number} answered with {steps} journaled steps, ending in its revert"

        plan = [
            ("The app is installed; its onboarding PR is merged", onboarding),
            ("A maintainer asks for a structural rewrite; the bot opens a PR and CI passes", rewrite),
            ("The PR is merged; the bot reports before/after figures", merge_with_ab),
            ("A merged change breaks the default branch; the bot reverts it by itself", regression_and_revert),
            ("Someone without write access tries a command and is refused", refusal),
            ("`/evolve why` explains a decision", why),
        ]
        for name, action in plan:
            await self.step(name, action)
        return self.story


def summary_table(story: Story) -> Table:
    table = Table(title="evolve-bot demo", show_lines=False)
    table.add_column("", width=2)
    table.add_column("step")
    table.add_column("what happened", overflow="fold")
    table.add_column("s", justify="right")
    for s in story.steps:
        table.add_row("[green]✓[/]" if s.ok else "[red]✗[/]", s.name, s.detail, f"{s.seconds:.1f}")
    return table


async def run_demo(*, root: Path | None, keep: bool, console: Console | None) -> Story:
    """Play the story in `root` (by default DEMO_ROOT, the last demo's folder, replaced), and keep
    the repositories and the bot's store there; with `keep`, leave both servers up until interrupted."""
    if root is None:
        root = DEMO_ROOT
        shutil.rmtree(root, ignore_errors=True)
    if console:
        console.print(STARTING)
    async with Stage(root, workers=2, sweep_seconds=5) as stage:
        demo = Demo(stage, console=console)
        demo.story.store = stage.settings.database_url
        story = await demo.play()
        if keep:
            if console:
                console.print(summary_table(story))
                console.print(story.where(), highlight=False, soft_wrap=True)
                console.print(SERVERS_UP.format(api=stage.api_url, bot=stage.bot_url, secret=SECRET), highlight=False, soft_wrap=True)
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass
        return story


def print_json(story: Story) -> None:
    print(json.dumps(story.to_dict(), indent=2))
