"""What people do to the bot's pull requests: merge, close, reopen, push to them, react to them."""

from __future__ import annotations

import dataclasses

from bot import deciding
from bot import explanation as texts
from bot import proposals as lifecycle
from bot.loop import learning, reverting
from bot.loop.context import Loop, Repo
from bot.loop.proposing import reconsider_held
from bot.proposals import Kind, Proposal
from bot.signals import PullRequestSignal

REVERT_ABANDONED = "revert #{number} was closed unmerged by @{actor}: the change stays merged"
REACTIONS = "reactions on #{number}: {up} 👍, {down} 👎"


async def on_pull_request(loop: Loop, s: PullRequestSignal) -> None:
    if s.action in ("synchronize", "closed") and not s.from_bot and s.installation_id is not None:
        # A person's new commits may apply review suggestions: examples to learn rules from.
        await learning.learn_from_pr(loop, s)
    proposal = await loop.store.proposals.for_pr(s.repository, s.number)  # type: ignore[arg-type]
    if proposal is None or s.installation_id is None:
        return
    proposal = await read_reactions(loop, s, proposal)
    event = deciding.pull_request_event(
        proposal, action=s.action, merged=bool(s.merged), from_bot=s.from_bot, after=s.after
    )
    if event is not None:
        repo = await loop.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
        if event == deciding.MERGED_BY_PERSON:
            await merged_by(loop, repo, proposal, actor=s.actor, merge_sha=s.merge_commit_sha)
        elif event == deciding.CLOSED_BY_PERSON:
            await closed_by(loop, repo, proposal, actor=s.actor, human=not s.from_bot)
        elif event == deciding.PUSHED_BY_PERSON:
            if not proposal.human_pushed:
                await repo.client.comment(s.number, f"{texts.marker(proposal.id)}\n" + texts.HUMAN_PUSH.format(actor=s.actor))
            await loop.advance(
                proposal,
                deciding.after_push(proposal),
                reason=f"@{s.actor} pushed {(s.after or '')[:12]}",
                message=f"@{s.actor} pushed to {proposal.branch}; I no longer rewrite it",
                human_pushed=True,
                head_sha=s.after,
            )
        elif event == deciding.REOPENED:
            await loop.advance(
                proposal,
                lifecycle.PR_OPEN,
                reason=f"reopened by @{s.actor}",
                message=f"#{s.number} reopened by @{s.actor}",
                head_sha=s.head_sha,
            )
    # Room under max_open_prs, whoever closed or merged it (the bot itself included).
    if s.action == "closed" and await loop.store.proposals.find(s.repository, states=[lifecycle.HELD]):
        await reconsider_held(loop, await loop.repo(s.repository, s.installation_id))  # type: ignore[arg-type]


async def read_reactions(loop: Loop, s: PullRequestSignal, proposal: Proposal) -> Proposal:
    """GitHub sends no webhook for reactions: count the 👍/👎 on the bot's PR whenever the bot
    touches its thread, so a 👎 counts against the proposal's outcome."""
    if proposal.pr_number is None or s.installation_id is None or s.repository is None:
        return proposal
    repo = await loop.repo(s.repository, s.installation_id)
    counts = await repo.client.issue_reactions(proposal.pr_number)
    up, down = counts.get("+1", 0), counts.get("-1", 0)
    if (up, down) == (proposal.thumbs_up, proposal.thumbs_down):
        return proposal
    return await loop.save(
        dataclasses.replace(proposal, thumbs_up=up, thumbs_down=down),
        message=REACTIONS.format(number=proposal.pr_number, up=up, down=down),
        kind="proposal.reactions",
    )


async def merged_by(loop: Loop, repo: Repo, proposal: Proposal, *, actor: str | None, merge_sha: str | None) -> None:
    """Someone other than the loop merged the bot's PR."""
    merged = await loop.advance(
        proposal,
        lifecycle.MERGED,
        reason=f"merged by @{actor}",
        message=f"#{proposal.pr_number} merged by @{actor} as {(merge_sha or '')[:12]}",
        kind="outcome.merged",
        merge_sha=merge_sha,
    )
    if merged.merge_sha is not None:
        # The default branch's CI may have finished before the bot heard of the merge
        # (webhooks are not ordered; a missed one is redelivered late, or found by the
        # sweep); its check events found no proposal by merge sha then, so look now.
        await reverting.on_default_branch_ci(loop, repo, merged)


async def closed_by(loop: Loop, repo: Repo, proposal: Proposal, *, actor: str | None, human: bool) -> None:
    """Someone other than the loop closed the bot's PR unmerged: remembered by its key."""
    if proposal.branch and not proposal.human_pushed:
        await repo.client.delete_branch(proposal.branch)
    await loop.advance(
        proposal,
        lifecycle.CLOSED,
        reason=f"closed unmerged by @{actor}",
        message=f"#{proposal.pr_number} closed unmerged by @{actor}; remembered by key {proposal.key}",
        kind="outcome.closed",
        closed_by_human=human,
    )
    if proposal.kind == Kind.REVERT and (reverts := proposal.spec.get("reverts")):
        # The revert was turned down: the original change stays, and is not a failure.
        original = await loop.store.proposals.get(reverts)
        if original is not None and original.state == lifecycle.REVERTED:
            abandoned = REVERT_ABANDONED.format(number=proposal.pr_number, actor=actor)
            await loop.advance(original, lifecycle.MERGED, reason=abandoned, message=abandoned, kind="outcome.merged")
