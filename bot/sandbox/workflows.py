"""Which GitHub Actions jobs an event triggers, read from a commit's `.github/workflows/` (pure).

The sandbox's CI is the repository's own: the jobs whose `on:` matches the event (`push` or
`pull_request`, with `branches` / `branches-ignore` filters) run their `run:` steps. It has no
runners, so `actions/checkout` and `actions/setup-python` are taken as done (the run is on a clean
checkout, with the sandbox's Python) and every other `uses:` step is reported as not run.
https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

WORKFLOWS_DIR = ".github/workflows"
TAKEN_AS_DONE = ("actions/checkout", "actions/setup-python")
INVALID = "{path} is not a valid workflow: {error}"


class InvalidWorkflow(Exception):
    """A workflow file GitHub would not run; the message says what is wrong."""


@dataclass(frozen=True)
class WorkflowStep:
    """One step of a job: a shell command (`run`) or an action (`uses`)."""

    name: str
    run: str | None = None
    uses: str | None = None
    working_directory: str | None = None
    env: tuple[tuple[str, str], ...] = ()

    @property
    def taken_as_done(self) -> bool:
        return self.uses is not None and self.uses.split("@")[0] in TAKEN_AS_DONE


@dataclass(frozen=True)
class WorkflowJob:
    """A job the event triggers; its check run is named `name`, as GitHub names it."""

    name: str
    workflow: str
    steps: tuple[WorkflowStep, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    error: str | None = None  # the workflow could not be read: the job fails with this


def is_workflow(path: str) -> bool:
    return path.startswith(WORKFLOWS_DIR + "/") and "/" not in path[len(WORKFLOWS_DIR) + 1 :] and path.endswith((".yml", ".yaml"))


def _glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter globs: `*` stays within a path segment, `**` crosses them."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + ".", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _matches(filters: Any, branch: str) -> bool:
    if filters is None:
        return True
    if not isinstance(filters, Mapping):
        return True
    if "branches" in filters:
        return any(_glob(str(p)).match(branch) for p in filters["branches"] or [])
    if "branches-ignore" in filters:
        return not any(_glob(str(p)).match(branch) for p in filters["branches-ignore"] or [])
    return True


def triggered(on: Any, *, event: str, branch: str) -> bool:
    """Does a workflow's `on:` start it for `event` on `branch` (a push's branch, a PR's base)?"""
    if isinstance(on, str):
        return on == event
    if isinstance(on, list):
        return event in on
    if isinstance(on, Mapping) and event in on:
        return _matches(on[event], branch)
    return False


def _env(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value.items()) if isinstance(value, Mapping) else ()


def jobs_for(workflows: Mapping[str, str], *, event: str, branch: str) -> list[WorkflowJob]:
    """The jobs `event` on `branch` triggers, workflow by workflow (in path order)."""
    jobs: list[WorkflowJob] = []
    for path in sorted(workflows):
        try:
            doc = yaml.safe_load(workflows[path])
            if not isinstance(doc, Mapping) or not isinstance(doc.get("jobs"), Mapping):
                raise InvalidWorkflow("it needs `on:` and `jobs:`")
            # YAML 1.1 reads a bare `on` key as true.
            on = doc.get("on", doc.get(True))
            if not triggered(on, event=event, branch=branch):
                continue
            for job_id, job in doc["jobs"].items():
                if not isinstance(job, Mapping) or not isinstance(job.get("steps", []), list):
                    raise InvalidWorkflow(f"job {job_id} has no list of steps")
                steps = []
                for n, step in enumerate(job.get("steps", []), start=1):
                    if not isinstance(step, Mapping) or ("run" in step) == ("uses" in step):
                        raise InvalidWorkflow(f"step {n} of job {job_id} needs one of `run:` or `uses:`")
                    run, uses = step.get("run"), step.get("uses")
                    steps.append(
                        WorkflowStep(
                            name=str(step.get("name") or (f"Run {str(run).splitlines()[0]}" if run else f"Run {uses}")),
                            run=str(run) if run is not None else None,
                            uses=str(uses) if uses is not None else None,
                            working_directory=step.get("working-directory"),
                            env=_env(step.get("env")),
                        )
                    )
                jobs.append(
                    WorkflowJob(
                        name=str(job.get("name") or job_id),
                        workflow=path,
                        steps=tuple(steps),
                        env=_env(doc.get("env")) + _env(job.get("env")),
                    )
                )
        except (yaml.YAMLError, InvalidWorkflow, TypeError, AttributeError) as exc:
            jobs.append(WorkflowJob(name=path.rsplit("/", 1)[-1], workflow=path, error=INVALID.format(path=path, error=exc)))
    return jobs


def ci_workflow(command: str, *, job: str = "ci") -> str:
    """A workflow running `command` on every push and pull request: a repository's CI in one line."""
    return (
        "on: [push, pull_request]\n"
        "jobs:\n"
        f"  {job}:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        f"      - run: {command}\n"
    )
