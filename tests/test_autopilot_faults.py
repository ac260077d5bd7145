"""The evolution loop end to end when GitHub misbehaves: webhooks duplicated, reordered, delayed or
lost and redelivered late, and API calls answered with 5xx and rate limits."""

from __future__ import annotations

import socket

from bot import proposals as lifecycle
from bot.loop.reverting import AB_TITLE
from bot.sandbox.faults import Fault
from tests.helpers.scene import APP, FILES, FIXED, REWRITE, WRITER, Scene, config, scene, states
from webhooks.demo import Stage

CONFIDENT = config("confidence", confidence_threshold=0.6)


def misbehave(stage: Stage) -> list[Fault]:
    """Webhooks duplicated, reordered and delayed; API calls failing with 5xx and rate limits."""
    faults = stage.sandbox.faults
    # 502s on any call now and then; rare enough that five in a row (the retry policy's limit)
    # does not happen in a run, so the outcomes must be exactly the fault-free ones.
    faults.randomly(seed=7, rate=0.05, kinds=("error",))
    hooks = faults.webhooks
    hooks.duplicate_rate, hooks.reorder_rate, hooks.delay = 0.3, 0.3, 0.01
    # And some on the calls the loop cannot do without, with short Retry-After waits.
    return [
        faults.add("error", method="POST", path="/repos/*/*/pulls", status=503, times=2),
        faults.add("secondary_rate_limit", method="POST", path="/repos/*/*/issues/*/comments", times=2, retry_after=1),
        faults.add("too_many_requests", method="GET", path="*check-runs*", times=2, retry_after=1),
        faults.add("primary_rate_limit", method="GET", path="/repos/*/*/contents/*", times=1, retry_after=1),
        faults.add("error", method="PUT", path="/repos/*/*/pulls/*/merge", status=502, times=1),
        faults.add("secondary_rate_limit", method="POST", path="/repos/*/*/git/refs", times=1, retry_after=1),
    ]


async def test_the_same_outcomes_when_webhooks_and_the_api_misbehave(stage: Stage) -> None:
    passing = await scene(stage, "flaky-pass", evolve_yml=CONFIDENT)
    failing = await scene(stage, "flaky-fail", evolve_yml=config("full_auto"))
    merging = await scene(stage, "flaky-merge", evolve_yml=config("full_auto"))
    measured = await scene(stage, "flaky-ab", evolve_yml=CONFIDENT)
    numbers = {s.repo: await s.human_pr() for s in (passing, failing, merging, measured)}
    await measured.sandbox.merge(measured.repo, numbers[measured.repo], as_=measured.owner)  # main's CI: "before"
    await passing.settle()
    rules = misbehave(stage)

    await passing.comment(numbers[passing.repo], REWRITE)
    await failing.comment(numbers[failing.repo], "/evolve rewrite `return 0` -> `return 1` in app.py")
    await merging.comment(numbers[merging.repo], REWRITE)
    second = await measured.human_pr(branch="second")
    await measured.comment(second, REWRITE)
    await passing.settle(failures_allowed=True)

    # Confidence mode: one PR, CI passed, one reply with its link.
    [bot_pr] = passing.bot_pulls()
    proposal = await passing.only_proposal()
    assert proposal.state == lifecycle.PASSED and proposal.pr_number == bot_pr.number
    assert bot_pr.pull is not None and await passing.file(bot_pr.pull.head_ref, "app.py") == FIXED
    [reply] = passing.bot_comments(numbers[passing.repo])
    assert f"Opened #{bot_pr.number}" in reply

    # Failing CI: closed as a regression, once, with its branch gone.
    [broken] = failing.bot_pulls()
    proposal = await failing.only_proposal()
    assert states(proposal)[-2:] == [lifecycle.FAILED, lifecycle.CLOSED] and broken.state == "closed"
    assert broken.pull is not None and not broken.pull.merged and not await failing.branch_exists(broken.pull.head_ref)
    [closing] = failing.bot_comments(broken.number)
    assert "CI failed on this change" in closing and "- **ci**" in closing
    assert await failing.file("main", "app.py") == APP

    # full_auto: merged once, by the bot.
    [merged] = merging.bot_pulls()
    proposal = await merging.only_proposal()
    assert proposal.state == lifecycle.MERGED and merged.pull is not None and merged.pull.merged
    assert await merging.file("main", "app.py") == FIXED

    # A person merges a bot PR: A/B figures once the default branch's CI ran.
    [ab_pr] = measured.bot_pulls()
    await measured.sandbox.merge(measured.repo, ab_pr.number, as_=WRITER)
    await measured.settle(failures_allowed=True)
    await assert_ab_reported(measured, ab_pr.number)

    # The faults really happened: every rule fired as often as it was set to, and webhooks came twice.
    assert [rule.times for rule in rules] == [0] * len(rules), [(r.kind, r.path, r.hits) for r in rules]
    assert stage.sandbox.requests.counts(by="status").get("502", 0) > 1  # the random ones too
    assert "delivery.duplicate" in [e.kind for e in await stage.store.journal.entries(limit=5000)]


async def assert_ab_reported(s: Scene, number: int) -> None:
    proposal = await s.only_proposal()
    assert proposal.state == lifecycle.MERGED
    reports = [b for b in s.bot_comments(number) if AB_TITLE.format(branch="main") in b]
    assert len(reports) == 1, reports
    assert "| ci | success | 1 | 0 | 0 | 0 |" in reports[0]  # before and after alike
    assert len([e for e in await s.journal(proposal) if e.kind == "proposal.ab"]) == 1


def dead_url() -> str:
    """A loopback URL nothing listens on: deliveries to it fail, as when the bot is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks"


async def test_a_merge_webhook_redelivered_after_the_default_branch_ci_still_gets_its_ab(stage: Stage) -> None:
    s = await scene(stage, "late-merge", files=FILES, evolve_yml=CONFIDENT)
    number = await s.human_pr()
    await s.sandbox.merge(s.repo, number, as_=s.owner)  # main's CI: "before"
    await s.settle()
    second = await s.human_pr(branch="second")
    await s.settle()
    await s.command(second, REWRITE)
    [bot_pr] = s.bot_pulls()

    # The bot is down while a person merges; CI on main finishes and is delivered first.
    url, stage.app.webhook_url = stage.app.webhook_url, dead_url()
    stage.sandbox.ci_enabled = False
    merge_sha = await s.sandbox.merge(s.repo, bot_pr.number, as_=WRITER)
    await s.settle()
    stage.app.webhook_url, stage.sandbox.ci_enabled = url, True
    s.sandbox.start_ci(s.sandbox.repo(s.repo), merge_sha, branch="main", before=None)
    await s.settle()
    assert (await s.only_proposal()).state == lifecycle.PASSED  # the bot has not heard of the merge yet

    # GitHub's "redeliver" of the missed events, after the fact.
    missed = [d for d in s.sandbox.deliveries.log.values() if d.attempts and not d.ok]
    assert {d.event for d in missed} >= {"pull_request", "push"}
    for delivery in missed:
        await s.sandbox.redeliver(delivery.id)
    await s.settle()

    await assert_ab_reported(s, bot_pr.number)


async def test_the_sweep_catches_up_with_webhooks_that_never_came(stage: Stage) -> None:
    files = {**FILES, "other.py": "def other(y):\n    return y != None\n"}
    s = await scene(stage, "catch-up", files=files, evolve_yml=config("confidence", confidence_threshold=0.6, max_open_prs=1))
    number = await s.human_pr()
    await s.command(number, REWRITE)
    await s.command(number, "/evolve rewrite $Y != None -> $Y is not None")
    first, second = await s.proposals()
    assert (first.state, second.state) == (lifecycle.PASSED, lifecycle.HELD)
    assert first.pr_number is not None
    url = stage.app.webhook_url

    # The bot is down while a person merges; GitHub does not redeliver by itself.
    stage.app.webhook_url = dead_url()
    await s.sandbox.merge(s.repo, first.pr_number, as_=WRITER)
    await s.settle()
    stage.app.webhook_url = url
    assert [p.state for p in await s.proposals()] == [lifecycle.PASSED, lifecycle.HELD]

    # The sweep finds the merge: A/B once main's CI is read, and the held rewrite opens. Its CI's
    # webhooks are lost too, so the next sweep reads the verdict itself.
    stage.app.webhook_url = dead_url()
    await stage.autopilot.sweep()
    await s.settle()
    stage.app.webhook_url = url
    first, second = await s.proposals()
    assert (first.state, second.state) == (lifecycle.MERGED, lifecycle.TESTING) and first.pr_number is not None
    assert len([b for b in s.bot_comments(first.pr_number) if AB_TITLE.format(branch="main") in b]) == 1
    await stage.autopilot.sweep()
    await s.settle()
    first, second = await s.proposals()
    assert second.state == lifecycle.PASSED and second.pr_number is not None
    assert await s.file(f"evolve/{second.id}", "other.py") == "def other(y):\n    return y is not None\n"
