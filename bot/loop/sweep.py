"""The sweep: reconcile open bot PRs whose deliveries were missed."""

from __future__ import annotations

from bot import proposals as lifecycle
from bot.github_retry import GitHubError
from bot.loop.ci import judge
from bot.loop.context import Loop, log
from bot.loop.proposing import reconsider_held
from bot.loop.pull_requests import closed_by, merged_by
from bot.proposals import Proposal


async def sweep(loop: Loop, *, limit: int = 50) -> int:
    """Reconcile open bot PRs, for deliveries that were missed; bounded per call.

    GitHub does not redeliver a failed delivery by itself, so a merge or close the bot never
    heard of would keep a proposal open for good (and its place under max_open_prs): each
    open proposal's PR is read, and those still waiting on CI are judged again.
    """
    waiting = await loop.store.proposals.find(states=sorted(lifecycle.OPEN_PR_STATES), limit=limit)
    for proposal in waiting:
        if proposal.installation_id is None or proposal.pr_number is None:
            continue
        try:
            async with loop.repo_lock(proposal.repository):
                # Read again under the lock: a delivery may have moved it on meanwhile.
                current = await loop.store.proposals.get(proposal.id)
                if current is None or current.state not in lifecycle.OPEN_PR_STATES:
                    continue
                await _reconcile(loop, current)
        except (GitHubError, lifecycle.InvalidTransition) as exc:
            log.warning("sweep could not reconcile %s: %s", proposal.id, exc)
    return len(waiting)


async def _reconcile(loop: Loop, proposal: Proposal) -> None:
    assert proposal.installation_id is not None and proposal.pr_number is not None
    repo = await loop.repo(proposal.repository, proposal.installation_id)
    pull = await repo.client.get_pull_request(proposal.pr_number)
    if pull.state == "closed":
        # Not closed by the loop: that saves the state as it closes.
        if pull.merged:
            await merged_by(loop, repo, proposal, actor=None, merge_sha=pull.merge_commit_sha)
        else:
            await closed_by(loop, repo, proposal, actor=None, human=True)
        await reconsider_held(loop, repo)
    elif proposal.state in (lifecycle.TESTING, lifecycle.PR_OPEN):
        await judge(loop, repo, proposal)
