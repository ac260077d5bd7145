"""CI on the bot's pull requests: judge the head's checks, merge in full_auto, fix once or close on failure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot import deciding
from bot import explanation as texts
from bot import proposals as lifecycle
from bot.github import FileChange, MergeMethod
from bot.llm import ENV_PROVIDER
from bot.loop import reverting
from bot.loop.checks import verdict_for
from bot.loop.context import OWN_CHECK, Loop, Repo, RepoFiles
from bot.loop.proposing import close_pr, patch
from bot.proposals import Kind, Proposal
from bot.signals import CheckSignal
from bot.strategies import NothingToChange, PatchFailed

MERGE_METHOD: MergeMethod = "merge"
JUDGED_STATES = (lifecycle.TESTING, lifecycle.PR_OPEN, lifecycle.UNTESTED, lifecycle.PASSED)


async def on_check(loop: Loop, s: CheckSignal) -> None:
    if s.installation_id is None or s.repository is None:
        return
    if s.source == "check_run" and s.name == OWN_CHECK:
        return
    testing = [p for p in await loop.store.proposals.find(s.repository, head_sha=s.head_sha) if p.state in JUDGED_STATES]
    merged = await loop.store.proposals.find(s.repository, merge_sha=s.head_sha)
    if not testing and not merged:
        return
    repo = await loop.repo(s.repository, s.installation_id)
    for proposal in testing:
        await judge(loop, repo, proposal)
    for proposal in merged:
        await reverting.on_default_branch_ci(loop, repo, proposal)


async def judge(loop: Loop, repo: Repo, proposal: Proposal) -> Proposal:
    """Read the PR head's checks and act: merge (full_auto), close as a regression, or wait."""
    assert proposal.head_sha is not None and proposal.pr_number is not None
    since = next(
        (step.at for step in reversed(proposal.history) if step.state in (lifecycle.TESTING, lifecycle.PR_OPEN)),
        None,
    )
    verdict = await verdict_for(loop, repo, proposal.head_sha, since=since)
    base_failing = False
    if verdict.state == "failed" and proposal.base_sha:
        # Was the base broken already? Then the failure is not this proposal's (nor its kind's).
        base_failing = (await verdict_for(loop, repo, proposal.base_sha, since=None)).state == "failed"
    plan = deciding.after_verdict(
        proposal, verdict, config_valid=repo.config_error is None, base_failing=base_failing
    )
    for move in plan.moves:
        proposal = await loop.advance(
            proposal, move.to, reason=move.reason, message=move.message, kind=move.kind, data=move.data
        )
    if plan.then == deciding.MERGE:
        return await merge(loop, repo, proposal)
    if plan.then == deciding.LEAVE_TO_PEOPLE:
        return await leave_to_people(
            loop,
            repo,
            proposal,
            comment=texts.CONFIG_INVALID.format(error=repo.config_error),
            reason=f"not merging: {repo.config_error}",
        )
    if plan.then == deciding.FIX_OR_CLOSE:
        failures = [(c.name, c.summary) for c in verdict.failing]
        fixed = await fix_on_branch(loop, repo, proposal, failures)
        if fixed is not None:
            return fixed
        proposal = await loop.store.proposals.get(proposal.id) or proposal
        return await close_pr(
            loop,
            repo,
            proposal,
            reason=f"regression: {verdict.describe()}",
            comment=texts.CI_FAILED.format(checks=texts.failing_checks(failures), kind=proposal.kind),
            human=False,
        )
    if plan.then == deciding.MARK_UNTESTED and plan.last is not None:
        assert proposal.pr_number is not None
        await repo.client.comment(
            proposal.pr_number,
            f"{texts.marker(proposal.id)}\n" + texts.UNTESTED.format(minutes=repo.config.untested_after_minutes),
        )
        last = plan.last
        return await loop.advance(proposal, last.to, reason=last.reason, message=last.message)
    return proposal


async def merge(loop: Loop, repo: Repo, proposal: Proposal) -> Proposal:
    assert proposal.pr_number is not None and proposal.head_sha is not None
    if repo.config.automerge:
        result = await repo.client.enable_auto_merge(proposal.pr_number, method=MERGE_METHOD)
        await loop.note(
            "proposal.automerge",
            f"auto-merge on #{proposal.pr_number}: {result}",
            repository=repo.full_name,
            proposal_id=proposal.id,
        )
        if getattr(result, "enabled", False):
            return proposal
    merged = await repo.client.merge_pull_request(proposal.pr_number, sha=proposal.head_sha, method=MERGE_METHOD)
    merge_sha = merged.sha
    if not merged.merged:
        pull = await repo.client.get_pull_request(proposal.pr_number)
        if not pull.merged:
            # Not mergeable (a conflict with the default branch, branch protection, a head
            # that moved): no retry fixes that, so say so once and leave it to people.
            return await leave_to_people(
                loop,
                repo,
                proposal,
                comment=texts.MERGE_BLOCKED.format(error=merged.message),
                reason=f"merge refused: {merged.message}",
            )
        merge_sha = pull.merge_commit_sha  # an earlier attempt merged it, then stopped
    if proposal.branch:
        await repo.client.delete_branch(proposal.branch)
    return await loop.advance(
        proposal,
        lifecycle.MERGED,
        reason="full_auto: checks passed and risk is low",
        message=f"merged #{proposal.pr_number} as {(merge_sha or '')[:12]} (full_auto)",
        kind="outcome.merged",
        merge_sha=merge_sha,
    )


async def leave_to_people(loop: Loop, repo: Repo, proposal: Proposal, *, comment: str, reason: str) -> Proposal:
    """Stop merging this PR automatically, and say why on it (once: auto_merge is off after)."""
    assert proposal.pr_number is not None
    await repo.client.comment(proposal.pr_number, f"{texts.marker(proposal.id)}\n{comment}")
    return await loop.save(
        dataclasses.replace(proposal, auto_merge=False),
        message=f"left #{proposal.pr_number} to people: {reason}",
        kind="proposal.not_merged",
    )


async def fix_on_branch(
    loop: Loop, repo: Repo, proposal: Proposal, failures: Sequence[tuple[str, str | None]]
) -> Proposal | None:
    """One more try for a model-made PR whose CI failed: the failing output goes back to the
    model and the fix is pushed on the same branch. None when there is nothing to try."""
    if proposal.kind != Kind.INSTRUCTION or proposal.ci_fix_tried or proposal.human_pushed or not proposal.branch:
        return None
    if not loop.llm_env.get(ENV_PROVIDER):
        return None
    output = "\n\n".join(f"## {name}\n{summary or ''}" for name, summary in failures)
    tried = await loop.save(
        dataclasses.replace(proposal, ci_fix_tried=True),
        message=f"asking the model to fix {', '.join(n for n, _ in failures)} on {proposal.branch}",
        kind="proposal.ci_fix",
    )
    try:
        made = await patch(
            # Read the branch at the commit CI judged (a sha: branch names with "/" are not refs
            # every tree endpoint takes).
            loop,
            repo,
            tried,
            RepoFiles(repo.client, proposal.head_sha or proposal.branch),
            failure=output,
            check=failures[0][0],
        )
    except (PatchFailed, NothingToChange) as exc:
        await loop.note("proposal.ci_fix_failed", f"no fix: {exc}", repository=repo.full_name, proposal_id=proposal.id)
        return None
    changes = [FileChange(path, content) for path, content in made.changes.items()]
    commit = await repo.client.commit_to_branch(
        proposal.branch, changes=changes, message=f"Fix CI: {made.summary}\n\nProposal: {proposal.id}"
    )
    assert tried.pr_number is not None
    await repo.client.comment(
        tried.pr_number,
        f"{texts.marker(tried.id)}\n" + texts.CI_FIX_PUSHED.format(sha=commit.sha[:12], summary=made.summary),
    )
    return await loop.advance(
        tried,
        lifecycle.TESTING,
        reason="pushed a fix for the failing checks",
        message=f"pushed {commit.sha[:12]} to {proposal.branch}: {made.summary}",
        head_sha=commit.sha,
        targets=tuple(sorted({*tried.targets, *made.targets})),
    )
