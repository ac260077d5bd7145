"""Which workflow jobs an event triggers: `on:` in its three spellings, branch filters, bad files."""

from __future__ import annotations

from bot.sandbox.workflows import ci_workflow, jobs_for

JOB = "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"


def names(workflow: str, *, event: str, branch: str) -> list[str]:
    return [j.name for j in jobs_for({".github/workflows/w.yml": workflow}, event=event, branch=branch)]


def test_on_as_a_word_a_list_or_a_mapping() -> None:
    assert names("on: push\n" + JOB, event="push", branch="x") == ["build"]
    assert names("on: push\n" + JOB, event="pull_request", branch="main") == []
    assert names("on: [push, pull_request]\n" + JOB, event="pull_request", branch="main") == ["build"]
    assert names("on:\n  pull_request:\n" + JOB, event="pull_request", branch="main") == ["build"]


def test_branch_filters_follow_githubs_globs() -> None:
    only = "on:\n  push:\n    branches: [main, 'release/*']\n" + JOB
    assert names(only, event="push", branch="main") == ["build"]
    assert names(only, event="push", branch="release/1.0") == ["build"]
    assert names(only, event="push", branch="release/1.0/hotfix") == []
    assert names(only, event="push", branch="feature") == []
    ignore = "on:\n  pull_request:\n    branches-ignore: ['docs/**']\n" + JOB
    assert names(ignore, event="pull_request", branch="docs/a/b") == []
    assert names(ignore, event="pull_request", branch="main") == ["build"]


def test_a_job_is_named_by_its_name_or_its_id_and_keeps_its_steps() -> None:
    flow = "on: push\njobs:\n  t:\n    name: Tests\n    steps:\n      - uses: actions/checkout@v4\n      - name: go\n        run: pytest\n"
    [job] = jobs_for({".github/workflows/t.yml": flow}, event="push", branch="main")
    assert job.name == "Tests"
    assert [(s.name, s.run, s.uses, s.taken_as_done) for s in job.steps] == [
        ("Run actions/checkout@v4", None, "actions/checkout@v4", True),
        ("go", "pytest", None, False),
    ]


def test_a_workflow_that_cannot_be_read_is_a_failing_job_that_says_why() -> None:
    [job] = jobs_for({".github/workflows/bad.yml": "on: push\njobs:\n  x:\n    steps:\n      - name: neither\n"}, event="push", branch="main")
    assert job.name == "bad.yml" and job.error and "needs one of `run:` or `uses:`" in job.error
    [broken] = jobs_for({".github/workflows/b.yml": "on: [push\n"}, event="push", branch="main")
    assert broken.error and "b.yml is not a valid workflow" in broken.error


def test_the_ci_command_shorthand_is_a_ci_job() -> None:
    [job] = jobs_for({".github/workflows/ci.yml": ci_workflow("python -m pytest -q")}, event="pull_request", branch="main")
    assert job.name == "ci" and job.steps[-1].run == "python -m pytest -q"
