"""After a bot PR merged: the default branch's CI, the before/after report, and reverting on regression."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot import deciding
from bot import explanation as texts
from bot import proposals as lifecycle
from bot.ab import CheckOutcome, compare
from bot.loop.checks import head_check, latest, verdict_for
from bot.loop.context import OWN_CHECK, Loop, Repo
from bot.proposals import Kind, Proposal
from bot.revert import RevertConflictError, revert_pull_request
from bot.revert_decision import should_revert

AB_TITLE = "Before/after on `{branch}`"
REVERT_OPENED = "{marker}\nOpened #{number} to revert this: {reason}"
REVERT_RISK = "a revert returns to a commit whose CI was green"


async def on_default_branch_ci(loop: Loop, repo: Repo, proposal: Proposal) -> None:
    """The default branch's CI on a commit that merged a bot PR: A/B figures, and revert on regression."""
    merge_sha = proposal.merge_sha
    assert merge_sha is not None
    after = await verdict_for(loop, repo, merge_sha, since=None)
    if after.state == "pending":
        return
    commit = await repo.client.get_commit(merge_sha)
    parent = commit.parents[0] if commit.parents else None
    before = await verdict_for(loop, repo, parent, since=None) if parent else None
    if not proposal.ab_reported:
        await report_ab(loop, repo, proposal, parent=parent)
        proposal = await loop.store.proposals.get(proposal.id) or proposal
    if after.state == "failed" and proposal.state == lifecycle.MERGED:
        decision = should_revert(
            failed_sha=merge_sha,
            failed_checks=[c.name for c in after.failing],
            parent_sha=parent,
            parent_green=before is not None and before.state == "passed",
            merged=[proposal],
        )
        if decision is not None:
            await revert(loop, repo, proposal, reason=decision.reason)


async def report_ab(loop: Loop, repo: Repo, proposal: Proposal, *, parent: str | None) -> None:
    assert proposal.merge_sha is not None and proposal.pr_number is not None
    after_runs = await repo.client.check_runs(proposal.merge_sha)
    before_runs = await repo.client.check_runs(parent) if parent else []
    report = compare(
        [CheckOutcome.from_check(head_check(r)) for r in latest(before_runs)],
        [CheckOutcome.from_check(head_check(r)) for r in latest(after_runs)],
        exclude=(OWN_CHECK,),
    )
    await repo.client.comment(
        proposal.pr_number,
        f"{texts.marker(proposal.id)}\n**{AB_TITLE.format(branch=repo.default_branch)}**\n\n{report.to_markdown()}",
    )
    await loop.save(
        dataclasses.replace(proposal, ab_reported=True),
        message=f"A/B on {repo.default_branch}: {report.judgement}",
        kind="proposal.ab",
        data={"ab": report.to_dict()},
    )


async def revert(loop: Loop, repo: Repo, original: Proposal, *, reason: str, asked: bool = False) -> Proposal | None:
    """Open "Revert …" for a merged bot PR; in full_auto it merges once its CI passes.

    `asked`: a person said `/evolve revert`. A revert skipped before (it conflicted) or
    closed unmerged is tried again on today's default branch, where the conflict may be gone;
    without a person asking, it stays as it is (the same CI failure is reported more than
    once).
    """
    assert original.pr_number is not None and original.merge_sha is not None
    spec = revert_spec(original)
    key = lifecycle.stable_key(Kind.REVERT, repo.full_name, spec)
    earlier = await loop.store.proposals.find(repo.full_name, key=key)
    again = deciding.repeat_revert(earlier, asked=asked)
    if again.action == deciding.ALREADY_THERE:
        if asked:
            under_way = earlier[0].pr_number
            by = texts.REVERTED_BY.format(number=under_way) if under_way else ""
            why = texts.REVERT_UNDER_WAY.format(number=original.pr_number, by=by)
            await nothing_to_revert(loop, repo, original, why=why)
        return None
    if again.action == deciding.RESUME:
        # An earlier attempt stopped half-way (at-least-once): start its branch again.
        revert = earlier[0]
        branch = revert.branch or f"{repo.config.branch_prefix}{revert.id}"
        await repo.client.delete_branch(branch)
    else:
        revert = lifecycle.new_proposal(
            kind=Kind.REVERT,
            repository=repo.full_name,
            installation_id=repo.installation_id,
            title=texts.REVERT_TITLE.format(title=original.title),
            rationale=reason,
            spec=spec,
            at=loop.clock(),
            origin={"number": original.pr_number},
            suffix=again.suffix,
        )
        branch = f"{repo.config.branch_prefix}{revert.id}"
        confidence, evidence = loop.confidence(repo, Kind.REVERT, outcomes=await loop.outcomes(repo))
        revert = await loop.advance(
            dataclasses.replace(
                revert,
                confidence=confidence,
                evidence=evidence,
                risk="low",
                risk_score=0.0,
                risk_reasons=(REVERT_RISK,),
            ),
            lifecycle.PATCHING,
            reason=reason,
            message=f"reverting #{original.pr_number}: {reason}",
            branch=branch,
            auto_merge=repo.config.mode == "full_auto",
        )
    try:
        outcome = await revert_pull_request(repo.client, original.pr_number, branch=branch)
    except RevertConflictError as exc:
        await repo.client.comment(
            original.pr_number,
            f"{texts.marker(revert.id)}\n"
            + texts.REVERT_CONFLICT.format(number=original.pr_number, report=exc.plan.report()),
        )
        await loop.advance(revert, lifecycle.SKIPPED, reason=str(exc), message=str(exc))
        return None
    if outcome.branch is None:
        await loop.advance(revert, lifecycle.SKIPPED, reason="already undone", message="nothing left to revert")
        if asked:
            why = texts.ALREADY_UNDONE.format(branch=repo.default_branch, number=original.pr_number)
            await nothing_to_revert(loop, repo, original, why=why)
        return None
    body = texts.revert_body(
        original=original,
        number=original.pr_number,
        merge_sha=original.merge_sha,
        reason=reason,
        proposal_id=revert.id,
    )
    pull = await repo.client.open_pull_request(
        head=branch,
        base=repo.default_branch,
        title=revert.title,
        body=body,
        labels=repo.config.labels,
    )
    await repo.client.comment(
        original.pr_number, REVERT_OPENED.format(marker=texts.marker(original.id), number=pull.number, reason=reason)
    )
    revert = await loop.advance(
        revert,
        lifecycle.PR_OPEN,
        reason=f"opened #{pull.number}",
        message=f"opened revert #{pull.number} of #{original.pr_number}",
        pr_number=pull.number,
        head_sha=outcome.branch.sha,
        targets=tuple(sorted(outcome.plan.changes)),
    )
    revert = await loop.advance(revert, lifecycle.TESTING, reason="waiting for CI", message="testing the revert")
    await loop.advance(
        original,
        lifecycle.REVERTED,
        reason=reason,
        message=f"#{original.pr_number} is being reverted by #{pull.number}",
        kind="outcome.reverted",
    )
    return revert


async def reverted_by(loop: Loop, repo: Repo, original: Proposal) -> str:
    """" by #N" for the newest pull request that reverts `original`; "" when none opened."""
    if original.merge_sha is None:
        return ""
    key = lifecycle.stable_key(Kind.REVERT, repo.full_name, revert_spec(original))
    for revert in await loop.store.proposals.find(repo.full_name, key=key):
        if revert.pr_number is not None:
            return texts.REVERTED_BY.format(number=revert.pr_number)
    return ""


async def nothing_to_revert(loop: Loop, repo: Repo, original: Proposal, *, why: str) -> None:
    """Answer a `/evolve revert` that opens nothing on the PR, and keep the answer on record."""
    assert original.pr_number is not None
    text = texts.NOTHING_TO_REVERT.format(why=why)
    await repo.client.comment(original.pr_number, f"{texts.marker(original.id)}\n{text}")
    await loop.note("command.nothing_to_revert", text, repository=repo.full_name, proposal_id=original.id)


def revert_spec(original: Proposal) -> dict[str, Any]:
    """What identifies the revert of one merge: its proposal key is made from it."""
    return {"reverts": original.id, "pr": original.pr_number, "merge_sha": original.merge_sha}
