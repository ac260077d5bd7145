"""The evolution loop following CI end to end: failures, human pushes, untested PRs, reverts and A/B."""

from __future__ import annotations

import datetime as dt

from bot import explanation as texts
from bot import proposals as lifecycle
from bot.loop.reverting import AB_TITLE
from tests.helpers.scene import (
    APP,
    APP_TEST,
    FILES,
    FIXED,
    REWRITE,
    WRITER,
    config,
    scene,
    states,
)
from webhooks.demo import Stage


async def test_failing_ci_closes_the_pr_as_a_regression(stage: Stage) -> None:
    s = await scene(stage, "breaks", evolve_yml=config("full_auto", max_open_prs=1))
    number = await s.human_pr()
    await s.settle()

    await s.comment(number, "/evolve rewrite `return 0` -> `return 1` in app.py")
    await s.comment(number, REWRITE)  # held: one PR at a time
    await s.settle()

    bot_pr = s.bot_pulls()[0]
    assert bot_pr.pull is not None
    proposal, held = await s.proposals()
    assert states(proposal)[-3:] == [lifecycle.TESTING, lifecycle.FAILED, lifecycle.CLOSED]
    assert bot_pr.state == "closed" and not bot_pr.pull.merged
    assert not await s.branch_exists(bot_pr.pull.head_ref)
    assert "return 1" not in (await s.file("main", "app.py") or "")
    [closing] = s.bot_comments(bot_pr.number)
    assert closing.startswith(texts.marker(proposal.id))
    assert "CI failed on this change, so I'm closing it as a regression" in closing
    assert "- **ci**" in closing  # the failing check, by name...
    assert "FAILED test_app.py::test_check" in closing and "assert 1 == 0" in closing  # ...with its output
    assert proposal.closed_by_human is False
    [failed] = [e for e in await s.journal(proposal) if e.kind == "outcome.ci_failed"]
    assert failed.data["failing"] == ["ci"]
    # Closing it made room for the held rewrite, which went on to pass and merge (full_auto).
    assert lifecycle.HELD in states(held) and held.state == lifecycle.MERGED
    assert await s.file("main", "app.py") == FIXED


async def test_a_check_failing_after_ci_passed_closes_the_pr(stage: Stage) -> None:
    s = await scene(stage, "late-red", evolve_yml=config("confidence", confidence_threshold=0.6))
    number = await s.human_pr()
    await s.settle()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert (await s.only_proposal()).state == lifecycle.PASSED and bot_pr.pull is not None

    # Another CI system reports later, on the same head commit, and fails.
    repo, linter = stage.sandbox.repo(s.repo), stage.sandbox.user(s.owner)
    await stage.sandbox.create_status(repo, bot_pr.pull.head_sha, creator=linter, state="failure", context="lint", description="E711 comparison to None")
    await s.settle()

    proposal = await s.only_proposal()
    assert states(proposal)[-3:] == [lifecycle.PASSED, lifecycle.FAILED, lifecycle.CLOSED]
    assert s.pull(bot_pr.number).state == "closed"
    [closing] = s.bot_comments(bot_pr.number)
    assert "- **lint**" in closing and "E711 comparison to None" in closing


async def test_full_auto_leaves_a_pr_it_cannot_merge_to_people(stage: Stage) -> None:
    s = await scene(stage, "conflict", evolve_yml=config("full_auto"))
    number = await s.human_pr()
    await s.settle()
    stage.sandbox.ci_enabled = False  # the PR waits for CI while main moves
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None
    # A person changes the same line on main: the PR now conflicts.
    await stage.sandbox.push(s.repo, as_=WRITER, branch="main", files={"app.py": APP.replace("x == None", "x in (None,)")})
    stage.sandbox.ci_enabled = True
    stage.sandbox.start_ci(stage.sandbox.repo(s.repo), bot_pr.pull.head_sha, branch=bot_pr.pull.head_ref, before=None)
    await s.settle()

    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.PASSED and not proposal.auto_merge
    assert s.pull(bot_pr.number).state == "open" and not bot_pr.pull.merged
    [blocked] = s.bot_comments(bot_pr.number)
    assert "I could not merge it" in blocked and "Pull Request is not mergeable" in blocked


async def test_an_invalid_config_stops_automatic_merges(stage: Stage) -> None:
    s = await scene(stage, "went-bad", evolve_yml=config("full_auto"))
    number = await s.human_pr()
    await s.settle()
    stage.sandbox.ci_enabled = False
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None
    await stage.sandbox.push(s.repo, as_=WRITER, branch="main", files={".github/evolve.yml": "mode: full_auto\nmode: confidence\n"})
    stage.sandbox.ci_enabled = True
    stage.sandbox.start_ci(stage.sandbox.repo(s.repo), bot_pr.pull.head_sha, branch=bot_pr.pull.head_ref, before=None)
    await s.settle()

    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.PASSED
    assert s.pull(bot_pr.number).state == "open" and not bot_pr.pull.merged
    [reply] = s.bot_comments(bot_pr.number)
    assert reply.startswith(texts.marker(proposal.id)) and "`.github/evolve.yml` is invalid" in reply
    assert "line 2: mode: given twice" in reply


async def test_a_human_push_makes_the_branch_theirs(stage: Stage) -> None:
    s = await scene(stage, "shared", evolve_yml=config("full_auto"))
    number = await s.human_pr()
    await s.settle()
    stage.sandbox.ci_enabled = False  # so the person pushes before the bot's CI could merge
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None
    branch = bot_pr.pull.head_ref
    stage.sandbox.ci_enabled = True

    broken = APP_TEST.replace("check(3) == 3", "check(3) == 4")
    await stage.sandbox.push(s.repo, as_=WRITER, branch=branch, files={"test_app.py": broken}, message="tighten the test")
    await s.settle()
    proposal = await s.only_proposal()
    assert proposal.human_pushed and proposal.state == lifecycle.FAILED  # CI failed on their commit...
    assert s.pull(bot_pr.number).state == "open" and await s.branch_exists(branch)  # ...it stays open
    [yours] = s.bot_comments(bot_pr.number)
    assert yours == f"{texts.marker(proposal.id)}\n" + texts.HUMAN_PUSH.format(actor=WRITER)

    fixed = await stage.sandbox.push(s.repo, as_=WRITER, branch=branch, files={"test_app.py": APP_TEST}, message="undo")
    await s.settle()
    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.PASSED and proposal.head_sha == fixed
    assert s.pull(bot_pr.number).state == "open"  # green, but full_auto never merges a person's branch
    assert await s.file("main", "app.py") == APP
    assert s.bot_comments(bot_pr.number) == [yours]  # said once


async def test_the_bot_never_rewrites_a_branch_a_person_pushed_to(stage: Stage) -> None:
    s = await scene(stage, "kept", evolve_yml=config("confidence", confidence_threshold=0.6))
    number = await s.human_pr()
    await s.settle()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None
    branch = bot_pr.pull.head_ref
    git = stage.sandbox.repo(s.repo).git
    mine = await stage.sandbox.push(s.repo, as_=WRITER, branch=branch, files={"notes.md": "mine now\n"}, message="notes")
    await s.settle()

    # A newer proposal for the same pattern supersedes the bot's own PRs, but not this one.
    await s.command(number, "/evolve rewrite $X == None -> ($X is None) in **/*.py")
    newer = s.bot_pulls()[-1]
    assert newer.number != bot_pr.number and newer.state == "open"
    assert s.pull(bot_pr.number).state == "open" and await git.ref(f"refs/heads/{branch}") == mine

    # Closed by its person and retried: the retry gets a branch of its own; theirs is untouched.
    await stage.sandbox.close(s.repo, bot_pr.number, as_=WRITER)
    await s.settle()
    assert await git.ref(f"refs/heads/{branch}") == mine  # a person's branch is not deleted
    await s.command(bot_pr.number, "/evolve retry", as_=WRITER)
    retried = s.bot_pulls()[-1]
    assert retried.number not in (bot_pr.number, newer.number) and retried.state == "open"
    assert retried.pull is not None and retried.pull.head_ref == f"{branch}-2"
    assert await s.file(retried.pull.head_ref, "app.py") == FIXED
    assert await git.ref(f"refs/heads/{branch}") == mine
    proposal = (await s.proposals())[0]
    assert proposal.pr_number == retried.number and not proposal.human_pushed
    assert proposal.state == lifecycle.PASSED
    assert s.pull(newer.number).state == "closed"  # the retried one supersedes the newer again


async def test_a_repository_without_ci_gets_untested_prs_that_never_merge(stage: Stage) -> None:
    s = await scene(stage, "no-ci", evolve_yml=config("full_auto", untested_after_minutes=1), ci_command=None)
    number = await s.human_pr()
    await s.settle()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    assert (await s.only_proposal()).state == lifecycle.TESTING  # nothing reported yet: still waiting

    # Two minutes later, the reconciliation sweep finds nothing ever reported.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    stage.autopilot.clock = lambda: later
    await stage.autopilot.sweep()
    await stage.autopilot.sweep()  # a second sweep changes nothing
    await s.settle()

    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.UNTESTED
    [untested] = s.bot_comments(bot_pr.number)
    assert texts.UNTESTED.format(minutes=1) in untested
    assert s.pull(bot_pr.number).state == "open"
    assert bot_pr.pull is not None and not bot_pr.pull.merged
    assert await s.file("main", "app.py") == APP


# Semantic conflict: the rewrite moves callers to `new_name`, which a person removes from main
# meanwhile. Each change passes CI alone; together they fail.
LIB = "def old_name(x):\n    return x\n\n\ndef new_name(x):\n    return x\n"
CALLER = "import lib\n\n\ndef run(x):\n    return lib.old_name(x)\n"
CALLER_TEST = "from caller import run\n\n\ndef test_run():\n    assert run(2) == 2\n"
CONFLICTING = {"lib.py": LIB, "caller.py": CALLER, "test_caller.py": CALLER_TEST}


async def test_a_bot_merge_that_breaks_the_default_branch_is_reverted(stage: Stage) -> None:
    s = await scene(stage, "semantic", files=CONFLICTING, evolve_yml=config("full_auto"))
    number = await s.human_pr()
    await s.settle()
    git = stage.sandbox.repo(s.repo).git

    # The bot opens its PR while CI is paused, so a person's commit can land on main between
    # the PR's creation and its (green) CI run; the order CI then runs in is the real one.
    stage.sandbox.ci_enabled = False
    await s.command(number, "/evolve rewrite lib.old_name($A) -> lib.new_name($A) in caller.py")
    [bot_pr] = s.bot_pulls()
    assert bot_pr.pull is not None and bot_pr.state == "open"
    removed = await stage.sandbox.push(s.repo, as_=WRITER, branch="main", files={"lib.py": "def old_name(x):\n    return x\n"}, message="drop new_name")
    stage.sandbox.ci_enabled = True
    repo = stage.sandbox.repo(s.repo)
    stage.sandbox.start_ci(repo, removed, branch="main", before=None)  # main stays green
    await s.settle()
    stage.sandbox.start_ci(repo, bot_pr.pull.head_sha, branch=bot_pr.pull.head_ref, before=None)
    await s.settle()

    original = (await s.proposals())[0]
    assert original.kind == "rewrite"
    assert lifecycle.MERGED in states(original) and original.state == lifecycle.REVERTED
    merge_sha = original.merge_sha
    assert merge_sha is not None and (await git.read_commit(merge_sha)).parents[0] == removed
    assert (await stage.sandbox.wait_ci(s.repo, merge_sha)).conclusion == "failure"

    revert_pr = next(p for p in s.bot_pulls() if p.number != bot_pr.number)
    assert revert_pr.title.startswith('Revert "')
    body = revert_pr.body or ""
    assert f"Reverts #{bot_pr.number}" in body and merge_sha[:12] in body and removed[:12] in body
    assert any(f"Opened #{revert_pr.number} to revert this" in b for b in s.bot_comments(bot_pr.number))
    # full_auto: the revert merged once its own CI passed, and main is green again.
    revert = next(p for p in await s.proposals() if p.kind == "revert")
    assert revert.state == lifecycle.MERGED and revert_pr.pull is not None and revert_pr.pull.merged
    assert await s.file("main", "caller.py") == CALLER
    main = await git.ref("refs/heads/main")
    assert main is not None and (await stage.sandbox.wait_ci(s.repo, main)).conclusion == "success"
    assert "outcome.reverted" in [e.kind for e in await s.journal(original)]


async def test_evolve_revert_on_a_merged_bot_pr_opens_a_revert(stage: Stage) -> None:
    s = await scene(stage, "undo", evolve_yml=config("confidence", confidence_threshold=0.6))
    number = await s.human_pr()
    await s.settle()
    await s.command(number, REWRITE)
    [bot_pr] = s.bot_pulls()
    await stage.sandbox.merge(s.repo, bot_pr.number, as_=WRITER)
    await s.settle()
    assert await s.file("main", "app.py") == FIXED

    # GitHub refuses the revert branch once, for longer than the bot waits in a call: the
    # delivery is retried later and the revert goes on from where it stopped.
    refusal = stage.sandbox.faults.add("secondary_rate_limit", method="POST", path="/repos/*/*/git/refs", retry_after=600)
    await s.comment(bot_pr.number, "/evolve revert", as_=WRITER)
    await s.settle(failures_allowed=True)
    assert refusal.hits == 1

    original, revert = await s.proposals()
    assert original.state == lifecycle.REVERTED and revert.kind == "revert"
    assert revert.state == lifecycle.PASSED  # confidence mode: a person merges the revert
    assert revert.pr_number is not None
    revert_pr = s.pull(revert.pr_number)
    assert revert_pr.state == "open" and revert_pr.pull is not None
    assert f"Reverts #{bot_pr.number}" in (revert_pr.body or "")
    assert await s.file(revert_pr.pull.head_ref, "app.py") == APP

    await s.command(number, "/evolve revert")  # not a bot PR
    assert s.bot_comments(number)[-1].startswith(texts.NOT_A_BOT_PR.format(command="revert"))


async def test_a_merged_bot_pr_gets_before_after_figures(stage: Stage) -> None:
    s = await scene(stage, "ab", files={**FILES, "test_more.py": "def test_more():\n    assert True\n"}, evolve_yml=config("confidence", confidence_threshold=0.6))
    number = await s.human_pr()
    await stage.sandbox.merge(s.repo, number, as_=s.owner)  # main's CI runs: the "before"
    await s.settle()
    second = await s.human_pr(branch="second")
    await s.settle()
    await s.command(second, REWRITE)
    [bot_pr] = s.bot_pulls()

    await stage.sandbox.merge(s.repo, bot_pr.number, as_=WRITER)
    await s.settle()

    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.MERGED
    [ab] = [b for b in s.bot_comments(bot_pr.number) if AB_TITLE.format(branch="main") in b]
    assert "**A/B: same**" in ab
    # ci's conclusion, then passed/failed/skipped/errors: the same before and after.
    assert "| ci | success | 2 | 0 | 0 | 0 |" in ab
    [entry] = [e for e in await s.journal(proposal) if e.kind == "proposal.ab"]
    assert entry.data["ab"]["judgement"] == "same"
