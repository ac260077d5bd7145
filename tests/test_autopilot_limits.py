"""The loop's limits end to end: a revert that conflicts, the diff-size cap and denied paths.

Each test drives the sandbox GitHub and the bot over signed webhooks (see test_autopilot.py) and
asserts what people see: pull requests, branches, the bot's comments and its journal.
CI is paused wherever its verdict is not what the test is about, so each test stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import explanation as texts
from bot import gate
from bot import proposals as lifecycle
from bot.confidence import outcome_of
from bot.instruction import ONLY_DENIED
from bot.loop.pull_requests import REVERT_ABANDONED
from bot.revert import LINES_CHANGED
from bot.strategies import LEFT_ALONE, ONLY_DENIED_MATCHES
from tests.helpers.llm_server import LLMServer, llm_env
from tests.helpers.scene import (
    APP,
    APP_TEST,
    FIXED,
    OWNER,
    READER,
    REWRITE,
    WRITER,
    config,
    scene,
)
from webhooks.demo import Stage
from webhooks.demo.stage import PERMISSIONS

# `x == None` → `x is None` looks safe, but a sentinel that equals None tells them apart: the
# rewrite breaks this test once it is on main.
SENTINEL_TEST = (
    "from app import check\n\n\n"
    "class Missing:\n"
    "    def __eq__(self, other):\n"
    "        return other is None\n\n\n"
    "def test_check():\n"
    "    assert check(None) == 0\n"
    "    assert check(Missing()) == 0\n"
)
# bob's own fix on main, on the very line the bot changed.
FIXED_BY_HAND = APP.replace(
    "    if x == None:", "    if x == None:  # Missing() counts as None too"
)
CONFLICT_HEAD = texts.REVERT_CONFLICT.split("{report}")[0]


async def test_a_revert_that_conflicts_with_a_later_commit_is_explained_not_forced(
    stage: Stage,
) -> None:
    s = await scene(
        stage,
        "tangled",
        files={"app.py": APP, "test_app.py": SENTINEL_TEST},
        evolve_yml=config("confidence", confidence_threshold=0.6),
    )
    repo = stage.sandbox.repo(s.repo)
    green = await repo.git.ref("refs/heads/main")
    assert green is not None
    stage.sandbox.start_ci(repo, green, branch="main", before=None)  # runs while the bot works
    # From here on CI is slow to come: pushes start none until the test starts it.
    stage.sandbox.ci_enabled = False
    number = await s.human_pr()

    # alice merges the bot's rewrite before its CI reports; main's CI on the merge is late too,
    # and meanwhile bob fixes main by hand, on the line the rewrite changed.
    await s.command(number, REWRITE)
    assert (await stage.sandbox.wait_ci(s.repo, green)).conclusion == "success"
    [bot_pr] = s.bot_pulls()
    merge_sha = await stage.sandbox.merge(s.repo, bot_pr.number, as_=OWNER)
    await stage.sandbox.push(
        s.repo,
        as_=WRITER,
        branch="main",
        files={"app.py": FIXED_BY_HAND},
        message="Missing() is None too",
    )
    stage.sandbox.ci_enabled = True
    stage.sandbox.start_ci(repo, merge_sha, branch="main", before=green)
    stage.sandbox.ci_enabled = False
    await s.settle()
    assert (await stage.sandbox.wait_ci(s.repo, merge_sha)).conclusion == "failure"

    # The bot tried to revert its merge, found bob's line in the way, and said so on its PR
    # instead of opening a revert that would undo bob's fix.
    original, revert = await s.proposals()
    assert revert.kind == "revert" and f"CI failed on {merge_sha[:12]}" in revert.rationale
    assert [p.number for p in s.bot_pulls()] == [bot_pr.number]
    assert await s.file("main", "app.py") == FIXED_BY_HAND
    assert not await s.branch_exists(f"evolve/{revert.id}")
    [explained] = [
        b for b in s.bot_comments(bot_pr.number) if CONFLICT_HEAD.format(number=bot_pr.number) in b
    ]
    # The conflicts are a Markdown list of their own, and the comment ends with how to try again.
    assert f"cleanly:\n\n- `app.py` (line 2): {LINES_CHANGED}\n\n" in explained
    assert "`/evolve revert`" in explained.splitlines()[-1]
    # The merge stays on record as merged, not reverted; the revert is skipped, and why is kept.
    assert original.state == lifecycle.MERGED
    assert (
        revert.state == lifecycle.SKIPPED
        and f"cannot revert #{bot_pr.number} cleanly" in revert.history[-1].reason
    )
    assert any(LINES_CHANGED in e.message for e in await s.journal(revert))

    # Once bob backs out his line, a person's `/evolve revert` tries again, and this time it opens.
    await stage.sandbox.push(
        s.repo, as_=WRITER, branch="main", files={"app.py": FIXED}, message="Back out the hand fix"
    )
    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    original, *_, retried = await s.proposals()
    assert (
        original.state == lifecycle.REVERTED and retried.kind == "revert" and retried.pr_number is not None
    )
    revert_pr = s.pull(retried.pr_number)
    assert revert_pr.pull is not None and f"Reverts #{bot_pr.number}" in (revert_pr.body or "")
    assert await s.file(revert_pr.pull.head_ref, "app.py") == APP

    # Asked once more, the bot says the revert is already open rather than nothing at all.
    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    already = texts.ALREADY_REVERTED.format(number=bot_pr.number, by=f" by #{revert_pr.number}")
    assert s.bot_comments(bot_pr.number)[-1].endswith(texts.NOTHING_TO_REVERT.format(why=already))
    assert len(s.bot_pulls()) == 2


async def test_evolve_revert_with_nothing_to_undo_says_why(stage: Stage) -> None:
    s = await scene(stage, "undone", evolve_yml=config("confidence", confidence_threshold=0.6))
    stage.sandbox.ci_enabled = False  # nothing here waits for a verdict
    number = await s.human_pr()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()

    # Not merged yet: nothing to revert, and the reply says so.
    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    not_merged = texts.NOTHING_TO_REVERT.format(why=texts.NOT_MERGED.format(number=bot_pr.number))
    assert s.bot_comments(bot_pr.number)[-1].endswith(not_merged)

    # Merged, then undone by hand on main: a revert would change nothing, so none opens.
    await stage.sandbox.merge(s.repo, bot_pr.number, as_=OWNER)
    await s.settle()
    await stage.sandbox.push(
        s.repo, as_=WRITER, branch="main", files={"app.py": APP}, message="Undo by hand"
    )
    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    undone = texts.ALREADY_UNDONE.format(branch="main", number=bot_pr.number)
    assert s.bot_comments(bot_pr.number)[-1].endswith(texts.NOTHING_TO_REVERT.format(why=undone))
    assert [p.number for p in s.bot_pulls()] == [bot_pr.number]
    original = (await s.proposals())[0]
    assert original.state == lifecycle.MERGED
    assert [
        e.message for e in await s.journal(original) if e.kind == "command.nothing_to_revert"
    ] == [
        not_merged,
        texts.NOTHING_TO_REVERT.format(why=undone),
    ]


async def test_a_revert_closed_unmerged_leaves_the_change_merged_and_not_a_failure(
    stage: Stage,
) -> None:
    s = await scene(stage, "kept", evolve_yml=config("confidence", confidence_threshold=0.6))
    stage.sandbox.ci_enabled = False  # the revert waits for a person either way
    number = await s.human_pr()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    await stage.sandbox.merge(s.repo, bot_pr.number, as_=OWNER)
    await s.settle()

    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    revert_pr = next(p for p in s.bot_pulls() if p.number != bot_pr.number)
    original = next(p for p in await s.proposals() if p.pr_number == bot_pr.number)
    assert original.state == lifecycle.REVERTED

    # The owner decides to keep the change: the revert PR is closed unmerged.
    await stage.sandbox.close(s.repo, revert_pr.number, as_=OWNER)
    await s.settle()
    original = next(p for p in await s.proposals() if p.pr_number == bot_pr.number)
    assert original.state == lifecycle.MERGED
    abandoned = REVERT_ABANDONED.format(number=revert_pr.number, actor=OWNER)
    assert original.history[-1].reason == abandoned
    assert abandoned in [e.message for e in await s.journal(original)]
    # Not counted as a revert when it is learned from: merged, it settles as a success.
    later = original.history[-1].at + dt.timedelta(days=30)
    outcome = outcome_of(original, now=later, settle_days=7)
    assert outcome is not None and outcome.success

    # And a later `/evolve revert` is a new revert, not "already reverted".
    await s.command(bot_pr.number, "/evolve revert", as_=WRITER)
    assert len([p for p in s.bot_pulls() if p.number not in (bot_pr.number, revert_pr.number)]) == 1


# -- the diff-size cap ----------------------------------------------------------------------------

MANY_NONES = {
    "app.py": APP,
    "more.py": "def first(y):\n    return y == None\n\n\ndef second(z):\n    return z == None\n",
}


async def test_a_change_over_max_diff_lines_is_refused_with_its_size(stage: Stage) -> None:
    s = await scene(
        stage,
        "capped",
        files=MANY_NONES,
        evolve_yml=config("confidence", confidence_threshold=0.6, max_diff_lines=4),
    )
    stage.sandbox.ci_enabled = False  # the gate's answer comes before any CI
    number = await s.human_pr()

    await s.command(number, REWRITE)  # three lines change: 3 removed + 3 added

    [refusal] = s.bot_comments(number)
    reason = "the diff has 6 lines, over max_diff_lines 4"
    assert texts.REFUSED.format(reason=reason) in refusal
    assert s.bot_pulls() == []
    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.SKIPPED and proposal.history[-1].reason == reason
    assert f"refuse: {reason}" in [
        e.message for e in await s.journal(proposal) if e.kind == "gate.decided"
    ]
    await s.command(number, "/evolve apply")  # a person's yes does not lift a limit
    assert s.bot_comments(number)[-1] == texts.NOTHING_TO_APPLY and s.bot_pulls() == []

    # The same rewrite on one file is within the cap, and opens.
    await s.command(number, "/evolve rewrite $X == None -> $X is None in app.py")
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None and await s.file(bot_pr.pull.head_ref, "app.py") == FIXED


# -- denied paths ---------------------------------------------------------------------------------

GUARDED = {
    "app.py": APP,
    "test_app.py": APP_TEST,
    "vendor/six.py": "def vendored(v):\n    return v == None\n",
}
DENY = "paths:\n  deny:\n    - .github/**\n    - vendor/**\n"
ONLY_VENDOR = "/evolve make vendor/six.py compare with `is None`"
# How each mode goes on with a change outside the denied paths.
GOES_ON = {
    "suggest_only": (lifecycle.SUGGESTED, texts.SUGGEST_FOOTER),
    "ask_before": (lifecycle.ASKED, texts.ASK_FOOTER),
    "confidence": (lifecycle.TESTING, None),
    "full_auto": (lifecycle.TESTING, None),
}


@pytest.fixture
async def stage_with_model(tmp_path: Path, model: LLMServer) -> AsyncIterator[Stage]:
    """The `stage` fixture of conftest.py, with a (scripted) model configured."""
    async with Stage(tmp_path, llm_env=llm_env(model, "openai")) as opened:
        for login in (OWNER, WRITER, READER):
            opened.sandbox.add_user(login)
        await opened.sandbox.install(opened.app, account=OWNER, repos=None)
        await opened.settle()
        yield opened


@pytest.mark.parametrize("mode", list(GOES_ON))
async def test_a_change_to_a_denied_path_is_refused_in_every_mode(
    stage_with_model: Stage, model: LLMServer, mode: str
) -> None:
    stage = stage_with_model
    s = await scene(
        stage,
        f"guarded-{mode.replace('_', '-')}",
        files=GUARDED,
        evolve_yml=config(mode, confidence_threshold=0.6) + DENY,
    )
    stage.sandbox.ci_enabled = False  # the gate's answer comes before any CI
    number = await s.human_pr()

    await s.command(number, ONLY_VENDOR)

    [refusal] = s.bot_comments(number)
    assert "I could not make this change: " + ONLY_DENIED.format(paths="`vendor/six.py`") in refusal
    assert s.bot_pulls() == [] and model.requests == []  # the denied file never reached the model
    refused = await s.only_proposal()
    assert (
        refused.state == lifecycle.SKIPPED
        and ONLY_DENIED.format(paths="`vendor/six.py`") in refused.history[-1].reason
    )
    assert any(
        "vendor/six.py" in e.message
        for e in await s.journal(refused)
        if e.kind == "proposal.skipped"
    )

    # A rewrite across the repository goes on as the mode says, and leaves the denied file alone.
    await s.command(number, REWRITE)
    allowed = (await s.proposals())[-1]
    state, footer = GOES_ON[mode]
    assert allowed.state == state and allowed.targets == ("app.py",)
    assert allowed.auto_merge == (mode == "full_auto")
    left_alone = LEFT_ALONE.format(paths="`vendor/six.py`")  # named, so the skip is not silent
    if footer is not None:
        reply = s.bot_comments(number)[-1]
        assert footer in reply and "app.py" in reply and left_alone in reply
        assert s.bot_pulls() == []
    else:
        [bot_pr] = s.bot_pulls()
        assert (
            bot_pr.number == allowed.pr_number
            and bot_pr.state == "open"
            and bot_pr.pull is not None
            and left_alone in (bot_pr.body or "")
        )
        assert await s.file(bot_pr.pull.head_ref, "app.py") == FIXED
        assert await s.file(bot_pr.pull.head_ref, "vendor/six.py") == GUARDED["vendor/six.py"]


async def test_a_rewrite_that_matches_only_denied_files_says_so(stage: Stage) -> None:
    s = await scene(
        stage,
        "all-denied",
        files=GUARDED,
        evolve_yml=config("confidence", confidence_threshold=0.6) + DENY,
    )
    stage.sandbox.ci_enabled = False  # the answer comes before any CI
    number = await s.human_pr()

    await s.command(number, "/evolve rewrite return $X == None -> return $X is None")  # vendor only

    [refusal] = s.bot_comments(number)
    why = ONLY_DENIED_MATCHES.format(pattern="return $X == None", paths="`vendor/six.py`")
    assert "I could not make this change: " + why in refusal and "Nothing to change" not in refusal
    assert s.bot_pulls() == []
    refused = await s.only_proposal()
    assert refused.state == lifecycle.SKIPPED and why in refused.history[-1].reason
    assert any(why in e.message for e in await s.journal(refused) if e.kind == "proposal.skipped")


# -- workflow files ---------------------------------------------------------------------------------

WORKFLOW = ".github/workflows/ci.yml"
CI_YML = "on: push\njobs:\n  test:\n    runs-on: ubuntu-20.04\n    steps:\n      - run: pytest\n"
WITH_CI = {"app.py": APP, "test_app.py": APP_TEST, WORKFLOW: CI_YML}
NO_DENY = "paths:\n  deny: []\n"
BUMP_RUNNER = "/evolve rewrite `runs-on: ubuntu-20.04` -> `runs-on: ubuntu-24.04` in .github/workflows/*.yml lang yaml"


async def test_a_workflow_change_is_refused_up_front_without_the_workflows_permission(stage: Stage) -> None:
    # app.yml does not ask for `workflows`; GitHub would refuse the push, so the bot says so first.
    s = await scene(stage, "workflows", files=WITH_CI, evolve_yml=config("confidence", confidence_threshold=0.5) + NO_DENY)
    stage.sandbox.ci_enabled = False  # the gate's answer comes before any CI
    number = await s.human_pr()

    await s.command(number, BUMP_RUNNER)

    why = gate.NEEDS_WORKFLOWS.format(paths=f"`{WORKFLOW}`")
    [refusal] = s.bot_comments(number)
    assert texts.REFUSED.format(reason=why) in refusal
    assert "grant evolve-bot the Workflows (read and write) permission" in refusal
    assert s.bot_pulls() == []
    refused = await s.only_proposal()
    assert refused.state == lifecycle.SKIPPED and refused.history[-1].reason == why
    assert not await s.branch_exists(f"evolve/{refused.id}")  # nothing was pushed
    assert await s.file("main", WORKFLOW) == CI_YML


async def test_a_workflow_change_opens_its_pull_request_once_the_permission_is_granted(stage: Stage) -> None:
    stage.sandbox.add_user("dave")
    await stage.sandbox.install(stage.app, account="dave", repos=None, permissions={**PERMISSIONS, "workflows": "write"})
    await stage.settle()
    s = await scene(
        stage, "workflows", files=WITH_CI, owner="dave", evolve_yml=config("confidence", confidence_threshold=0.5) + NO_DENY
    )
    stage.sandbox.ci_enabled = False
    number = await s.human_pr()

    await s.command(number, BUMP_RUNNER)

    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None
    assert await s.file(bot_pr.pull.head_ref, WORKFLOW) == CI_YML.replace("ubuntu-20.04", "ubuntu-24.04")
