"""Checks, commit statuses and the built-in CI that reports through them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.sandbox import events as hooks
from bot.sandbox import shapes
from bot.sandbox.ci import run_workflow_job
from bot.sandbox.model import (
    Account,
    App,
    CheckRun,
    CheckSuite,
    CommitStatus,
    Repo,
    utcnow,
    validation_failed,
)
from bot.sandbox.state import SandboxState
from bot.sandbox.workflows import WORKFLOWS_DIR, WorkflowJob, is_workflow, jobs_for


class Checks(SandboxState):
    """Check runs and suites, commit statuses, required checks, and the built-in CI."""

    # -- check runs and suites -----------------------------------------------------------------

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
                raise validation_failed("CheckRun", "conclusion", code="missing_field", docs="https://docs.github.com/rest/checks/runs#update-a-check-run")
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

    # -- commit statuses and required checks ---------------------------------------------------

    async def create_status(self, repo: Repo, sha: str, *, creator: Account, state: str, context: str = "default", target_url: str | None = None, description: str | None = None) -> CommitStatus:
        if state not in ("error", "failure", "pending", "success"):
            raise validation_failed("Status", "state", docs="https://docs.github.com/rest/commits/statuses#create-a-commit-status")
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

    # -- CI -----------------------------------------------------------------------------------

    def start_ci(self, repo: Repo, sha: str, *, branch: str | None, before: str | None) -> None:
        """Run the workflow jobs the commit's push (and the pull requests it heads) trigger; a
        commit without a workflow gets no CI, as on GitHub."""
        if not self.ci_enabled:
            return
        timeout = repo.ci_timeout
        ci_app = self._ci_app

        async def job() -> None:
            jobs = await self._triggered_jobs(repo, sha, branch=branch)
            if not jobs:
                return
            suite = self._suite_for(repo, ci_app, sha, before=before, branch=branch)
            del suite
            runs = [await self.create_check_run(repo, app=ci_app, name=j.name, head_sha=sha, status="queued") for j in jobs]
            for run, workflow_job in zip(runs, jobs, strict=True):
                await self.update_check_run(run, sender=ci_app.bot, status="in_progress", started_at=utcnow())
                ref = f"refs/heads/{branch}" if branch else None
                outcome = await run_workflow_job(repo.git, sha=sha, ref=ref, job=workflow_job, timeout=timeout)
                await self.update_check_run(
                    run,
                    sender=ci_app.bot,
                    conclusion=outcome.conclusion,
                    output={"title": outcome.title, "summary": outcome.summary},
                )

        self.ci_queue.submit((repo.id, sha), job)

    async def _triggered_jobs(self, repo: Repo, sha: str, *, branch: str | None) -> list[WorkflowJob]:
        folder = await repo.git.entry_at(sha, WORKFLOWS_DIR)
        entries = await repo.git.list_tree(folder.sha) if folder is not None and folder.type == "tree" else []
        workflows = {}
        for entry in entries:
            path = f"{WORKFLOWS_DIR}/{entry.path}"
            if entry.type == "blob" and is_workflow(path):
                workflows[path] = (await repo.git.read_blob(entry.sha)).decode(errors="replace")
        if not workflows:
            return []
        jobs = jobs_for(workflows, event="push", branch=branch) if branch else []
        for item in repo.pulls():
            if item.state == "open" and item.pull and item.pull.head_sha == sha:
                jobs += jobs_for(workflows, event="pull_request", branch=item.pull.base_ref)
        seen: set[tuple[str, str]] = set()
        return [j for j in jobs if (j.workflow, j.name) not in seen and not seen.add((j.workflow, j.name))]

    async def wait_ci(self, repo: str | Repo, sha: str, *, timeout: float = 120.0) -> CheckRun:
        """Wait for the built-in CI on `sha` to complete; returns its first job's check run."""
        the_repo = self.repo(repo)
        await self.ci_queue.wait((the_repo.id, sha), timeout)
        run = next(
            (r for r in self.world.check_runs.values() if r.suite.repo is the_repo and r.head_sha == sha and r.suite.app is self._ci_app),
            None,
        )
        if run is None:
            raise LookupError(f"CI for {sha} ran no workflow job (does the repository have .github/workflows/?)")
        return run
