"""Sandbox CI: runs a repository's workflow jobs (their `run:` steps) on a clean checkout, each
reported as a check run named after the job."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.git import GitRepository
from bot.sandbox.workflows import WorkflowJob

CHECK_NAME = "ci"
OUTPUT_TAIL_LINES = 40
OUTPUT_TAIL_CHARS = 4000
TITLE_PASSED = "`{command}` passed"
TITLE_FAILED = "`{command}` failed (exit {code})"
TITLE_TIMED_OUT = "`{command}` timed out after {timeout:g}s"
TITLE_ERRORED = "`{command}` could not run"
TITLE_INVALID = "the workflow could not be read"
STEP_DONE = "{uses}: taken as done (a clean checkout, with the sandbox's Python)"
STEP_NOT_RUN = "{uses}: not run (the sandbox runs only `run:` steps)"
TITLE_NOTHING_RUN = "no `run:` step to run"
STEP_SKIPPED = "{name}: not run (an earlier step failed)"
# Variables the outer test session sets that must not leak into the repository's own run.
LEAKY_PREFIXES = ("PYTEST_", "COV_CORE_")


@dataclass(frozen=True)
class CiOutcome:
    """What a run of the CI command produced."""

    conclusion: str  # success, failure or timed_out
    exit_code: int | None
    title: str
    summary: str
    duration: float


def tail(text: str) -> str:
    lines = text.rstrip().splitlines()[-OUTPUT_TAIL_LINES:]
    joined = "\n".join(lines)
    return joined[-OUTPUT_TAIL_CHARS:]


def command_env(*, sha: str, ref: str | None) -> dict[str, str]:
    """The environment of a CI run: ours, minus test-session leaks, with this interpreter first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    # `python` in the command means the interpreter running the sandbox (the project venv).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(CI="true", GITHUB_ACTIONS="false", GITHUB_SHA=sha, GITHUB_REF=ref or "", PYTHONDONTWRITEBYTECODE="1")
    return env


async def run_ci_command(git: GitRepository, *, sha: str, ref: str | None, command: str, timeout: float) -> CiOutcome:
    """Check `sha` out into a temporary worktree, run `command` there and judge its exit code."""
    async with git.worktree(sha) as work:
        return await _run_step(work, command, None, {}, sha=sha, ref=ref, timeout=timeout)


async def run_workflow_job(git: GitRepository, *, sha: str, ref: str | None, job: WorkflowJob, timeout: float) -> CiOutcome:
    """Run `job`'s `run:` steps in order on a clean checkout of `sha` (bash -e, as GitHub's
    default shell), stopping at the first failure; the summary says what each step did."""
    started = time.perf_counter()
    if job.error:
        return CiOutcome("failure", None, TITLE_INVALID, job.error, 0.0)
    said: list[str] = []
    last: CiOutcome | None = None
    async with git.worktree(sha) as work:
        for step in job.steps:
            if last is not None and last.conclusion != "success":
                said.append(STEP_SKIPPED.format(name=step.name))
                continue
            if step.uses is not None:
                said.append((STEP_DONE if step.taken_as_done else STEP_NOT_RUN).format(uses=step.uses))
                continue
            assert step.run is not None
            left = timeout - (time.perf_counter() - started)
            last = await _run_step(work, step.run, step.working_directory, dict(job.env + step.env), sha=sha, ref=ref, timeout=max(left, 0.1))
            said.append(f"{step.name}:\n{last.summary}")
    summary = "\n\n".join(said)
    if last is None:
        return CiOutcome("success", 0, TITLE_NOTHING_RUN, summary, time.perf_counter() - started)
    return CiOutcome(last.conclusion, last.exit_code, last.title, summary, time.perf_counter() - started)


async def _run_step(
    work: Path, command: str, directory: str | None, env: dict[str, str], *, sha: str, ref: str | None, timeout: float
) -> CiOutcome:
    started = time.perf_counter()
    cwd = (work / directory) if directory else work
    try:
        proc = await asyncio.create_subprocess_exec(
            "bash", "-e", "-c", command,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**command_env(sha=sha, ref=ref), **env},
            start_new_session=True,  # so a timeout can kill the whole process group
        )  # fmt: skip
    except OSError as exc:
        return CiOutcome("failure", None, TITLE_ERRORED.format(command=command.strip()), str(exc), 0.0)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.CancelledError:
        # The sandbox is shutting down: take the test run down with it, then stop.
        _kill_group(proc.pid)
        await proc.wait()
        raise
    except TimeoutError:
        _kill_group(proc.pid)
        out, _ = await proc.communicate()
        title = TITLE_TIMED_OUT.format(command=command.strip(), timeout=timeout)
        return CiOutcome("timed_out", None, title, "```\n" + tail(out.decode(errors="replace")) + "\n```", time.perf_counter() - started)
    code = proc.returncode or 0
    summary = "```\n" + tail(out.decode(errors="replace")) + "\n```"
    if code == 0:
        return CiOutcome("success", 0, TITLE_PASSED.format(command=command.strip()), summary, time.perf_counter() - started)
    return CiOutcome("failure", code, TITLE_FAILED.format(command=command.strip(), code=code), summary, time.perf_counter() - started)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class CiQueue:
    """Runs CI jobs one at a time (the machine is small) and remembers each commit's outcome."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.jobs: dict[tuple[int, str], asyncio.Task[None]] = {}

    def submit(self, key: tuple[int, str], job: Callable[[], Awaitable[None]]) -> asyncio.Task[None] | None:
        """Start `job` for (repo id, sha) unless that commit already has one."""
        if key in self.jobs:
            return None

        async def serialised() -> None:
            async with self._lock:
                await job()

        task = asyncio.get_running_loop().create_task(serialised(), name=f"sandbox-ci-{key[1][:7]}")
        self.jobs[key] = task
        return task

    async def wait(self, key: tuple[int, str], timeout: float) -> None:
        task = self.jobs.get(key)
        if task is None:
            raise LookupError(f"no CI run was started for commit {key[1]}")
        await asyncio.wait_for(asyncio.shield(task), timeout)

    async def close(self) -> None:
        for task in self.jobs.values():
            if not task.done():
                task.cancel()
        for task in self.jobs.values():
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down; errors were reported
                pass
