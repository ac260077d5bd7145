"""Confidence learned from outcomes, and a "no" that generalises, end to end on the Stage."""

from __future__ import annotations

import pytest

from bot import proposals as lifecycle
from tests.helpers.scene import Scene, config, scene
from webhooks.demo import Stage

APP2 = "def other(y):\n    if y == None:\n        return 1\n    return y\n"


async def rewrite_proposals(s: Scene) -> list[lifecycle.Proposal]:
    return [p for p in await s.stage.store.proposals.find(s.repo) if p.kind == "rewrite"]


async def test_a_merge_raises_the_next_confidence_and_a_no_lowers_it(stage: Stage) -> None:
    s = await scene(stage, "learns", evolve_yml=config("confidence", confidence_threshold=0.5, learn="{settle_days: 0}"))
    number = await s.human_pr()
    await s.settle()

    await s.command(number, "/evolve rewrite $X == None -> $X is None in app.py")
    [first] = await rewrite_proposals(s)
    assert first.confidence == pytest.approx(0.7)  # the Beta(2.8, 1.2) prior: nothing learned yet
    assert first.evidence.n == 0
    await s.sandbox.merge(s.repo, first.pr_number, as_="alice")
    await s.settle()

    await s.sandbox.push(s.repo, as_="alice", branch="main", files={"b.py": APP2})
    await s.settle()
    await s.command(number, "/evolve rewrite $Y == None -> $Y is None in b.py")
    second = (await rewrite_proposals(s))[0]
    # One success: Beta(3.8, 1.2).
    assert second.confidence == pytest.approx(3.8 / 5)
    assert (second.evidence.n, second.evidence.successes) == (1, 1)
    assert "1 of 1 similar proposals succeeded" in s.sandbox.pull(s.sandbox.repo(s.repo), second.pr_number).body

    await s.sandbox.close(s.repo, second.pr_number, as_="alice")
    await s.settle()
    # The same kind on the same file after a person's "no": asked about, with the reason.
    await s.sandbox.push(s.repo, as_="alice", branch="main", files={"b.py": APP2.replace("return y", "return y  # note")})
    await s.settle()
    await s.command(number, "/evolve rewrite $Z == None -> $Z is None in b.py")
    third = (await rewrite_proposals(s))[0]
    assert third.state == lifecycle.ASKED, third.history
    assert third.confidence == pytest.approx(3.8 / 6)  # Beta(3.8, 2.2)
    reply = s.bot_comments(number)[-1]
    assert "b.py" in reply and "/evolve retry" in reply
    suppressed = [e for e in await stage.store.journal.entries(proposal_id=third.id) if e.kind == "proposal.suppressed"]
    assert suppressed and "b.py" in suppressed[0].message


async def test_a_thumbs_down_on_the_bot_pr_counts_against_it(stage: Stage) -> None:
    s = await scene(stage, "frowns", evolve_yml=config("confidence", confidence_threshold=0.5, learn="{settle_days: 0}"))
    number = await s.human_pr()
    await s.settle()
    await s.command(number, "/evolve rewrite $X == None -> $X is None in app.py")
    [first] = await rewrite_proposals(s)
    await s.sandbox.react(s.repo, as_="bob", content="-1", number=first.pr_number)
    await s.sandbox.merge(s.repo, first.pr_number, as_="alice")
    await s.settle()
    merged = await stage.store.proposals.get(first.id)
    assert (merged.thumbs_up, merged.thumbs_down) == (0, 1)

    await s.sandbox.push(s.repo, as_="alice", branch="main", files={"b.py": APP2})
    await s.settle()
    await s.command(number, "/evolve rewrite $Y == None -> $Y is None in b.py")
    second = (await rewrite_proposals(s))[0]
    # Merged, but more 👎 than 👍: a failure, so Beta(2.8, 2.2).
    assert second.confidence == pytest.approx(2.8 / 5)
    assert (second.evidence.n, second.evidence.successes) == (1, 0)
