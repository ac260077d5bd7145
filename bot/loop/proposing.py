"""Proposing a change: patch it, ask the deciding core, and comment, hold, or open (and close) its pull request."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot import deciding, gate
from bot import explanation as texts
from bot import proposals as lifecycle
from bot.confidence import rule_id_of
from bot.github import FileChange, RepoClient
from bot.github_retry import GitHubError
from bot.instruction import fix_ci_failure, instruction
from bot.llm import LLMConfigError, TokenBudget, llm_from_settings, llm_settings_from_env
from bot.loop.context import OWN_CHECK, Loop, Repo, RepoFiles, unfiled
from bot.playbook import prompt_section
from bot.proposals import Kind, Proposal
from bot.risk import assess
from bot.strategies import NothingToChange, Patch, PatchFailed, strategy_for

NOTHING_TO_CHANGE = "{marker}\nNothing to change: {error}."
COULD_NOT = "{marker}\nI could not make this change: {error}"
OPENED = "{marker}\nOpened #{number}: {summary}"
SUPERSEDED = "Superseded by #{number}."


async def propose(
    loop: Loop,
    repo: Repo,
    *,
    kind: str,
    spec: dict[str, Any],
    title: str,
    rationale: str,
    signals: tuple[str, ...] = (),
    origin: dict[str, Any] | None = None,
) -> Proposal | None:
    """Record a new proposal (or find the same change again) and run it through the gate."""
    with unfiled():
        key = lifecycle.stable_key(kind, repo.full_name, spec)
        previous = await loop.store.proposals.find(repo.full_name, key=key)
        number = (origin or {}).get("number")
        again = deciding.repeat(previous, number=number)
        if again.action == deciding.RESUME:
            return await decide(loop, repo, previous[0])
        if again.action in (deciding.REFUSE, deciding.ALREADY_THERE):
            if again.comment is not None and number is not None:
                await repo.client.comment(number, again.comment)
            for note in again.notes:
                await loop.note(note.kind, note.message, repository=repo.full_name, proposal_id=previous[0].id, data=note.data)
            return None if again.action == deciding.REFUSE else previous[0]
        at = loop.clock()
        proposal = lifecycle.new_proposal(
            kind=kind,
            repository=repo.full_name,
            installation_id=repo.installation_id,
            title=title,
            rationale=rationale,
            spec=spec,
            at=at,
            signals=signals,
            origin=origin,
            suffix=again.suffix,
        )
        proposal = await loop.save(proposal, message=f"proposed: {title}. {rationale}", at=at)
        return await decide(loop, repo, proposal)


async def patch(
    loop: Loop,
    repo: Repo,
    proposal: Proposal,
    files: RepoFiles,
    *,
    failure: str | None = None,
    check: str = "",
) -> Patch:
    """Run the proposal's patch strategy; model-backed ones get a model and a token budget,
    and what they spent is journaled whether they succeeded or not."""
    if proposal.kind != Kind.INSTRUCTION:
        return await strategy_for(proposal.kind)(proposal, files, repo.config)
    try:
        settings = llm_settings_from_env(loop.llm_env, repo=repo.config.llm)
    except LLMConfigError as exc:
        raise PatchFailed(str(exc)) from exc
    llm = llm_from_settings(settings)
    if llm is None or settings is None:
        raise PatchFailed(texts.NO_LLM)
    budget = TokenBudget(settings.max_tokens_per_proposal)
    try:
        if failure is None:
            lessons = prompt_section(await loop.playbook(repo))
            return await instruction(proposal, files, repo.config, llm=llm, budget=budget, playbook=lessons)
        return await fix_ci_failure(proposal, files, repo.config, llm=llm, failure=failure, check=check, budget=budget)
    finally:
        await llm.aclose()
        usage = budget.usage()
        await loop.note(
            "llm.usage",
            f"{settings.provider} {settings.model}: {usage.get('input_tokens', 0)} tokens in, "
            f"{usage.get('output_tokens', 0)} out"
            + (f", ${usage['cost_usd']:.4f}" if usage.get("cost_usd") else ""),
            repository=repo.full_name,
            proposal_id=proposal.id,
            data={"provider": settings.provider, "model": settings.model, **usage},
        )


async def decide(loop: Loop, repo: Repo, proposal: Proposal, *, approved_by: str | None = None) -> Proposal:
    """Patch (to know the change), assess, and act on what the deciding core decides."""
    number = proposal.origin.get("number")
    if approved_by is not None:
        # Remembered: a proposal held for room after `/evolve apply` must not ask again.
        proposal = dataclasses.replace(proposal, approved_by=approved_by)
    else:
        approved_by = proposal.approved_by
    marker = texts.marker(proposal.id)
    try:
        made = await patch(loop, repo, proposal, RepoFiles(repo.client, repo.default_branch))
    except NothingToChange as exc:
        if number is not None:
            # The reasons are sentences of their own at times ("Left alone, …: a.py."): one full stop.
            await repo.client.comment(number, NOTHING_TO_CHANGE.format(marker=marker, error=str(exc).rstrip(".")))
        return await loop.advance(
            proposal, lifecycle.SKIPPED, reason=f"nothing to change: {exc}", message=f"nothing to change: {exc}"
        )
    except PatchFailed as exc:
        if number is not None:
            await repo.client.comment(number, COULD_NOT.format(marker=marker, error=exc))
        return await loop.advance(proposal, lifecycle.SKIPPED, reason=f"patch failed: {exc}", message=f"patch failed: {exc}")
    risk = assess(kind=proposal.kind, paths=made.targets, diff_lines=made.diff_lines)
    outcomes = await loop.outcomes(repo)
    confidence, evidence = loop.confidence(repo, proposal.kind, rule_id=rule_id_of(proposal), outcomes=outcomes)
    proposal = dataclasses.replace(
        proposal,
        targets=made.targets,
        risk=risk.level,
        risk_score=risk.score,
        risk_reasons=risk.reasons,
        confidence=confidence,
        evidence=evidence,
    )
    lifted, playbook = frozenset[str](), None
    if deciding.weighs_history(proposal.kind):
        lifted = deciding.lifted_by_retry(await loop.store.proposals.find(repo.full_name, limit=10_000))
        playbook = await loop.playbook(repo)
    decided = deciding.decide(
        proposal,
        config=repo.config,
        diff_lines=made.diff_lines,
        approved_by=approved_by,
        open_prs=await loop.store.proposals.open_pr_count(repo.full_name),
        outcomes=outcomes,
        lifted=lifted,
        playbook=playbook,
        permissions=repo.permissions,
    )
    proposal = dataclasses.replace(proposal, confidence=decided.confidence)
    for note in decided.notes:
        await loop.note(note.kind, note.message, repository=repo.full_name, proposal_id=proposal.id, data=note.data)
    decision = decided.decision
    if deciding.opens_pr(decision):
        return await open_pr(loop, repo, proposal, made, decision=decision)
    state, footer = deciding.waiting_state(decision)
    if number is not None:
        await repo.client.comment(
            number,
            texts.proposal_comment(proposal, summary=made.summary, diff=made.diff, decision=decision.reason, footer=footer),
        )
    return await loop.advance(proposal, state, reason=decision.reason, message=f"{state}: {decision.reason}")


async def open_pr(loop: Loop, repo: Repo, proposal: Proposal, made: Patch, *, decision: gate.Decision) -> Proposal:
    branch = f"{repo.config.branch_prefix}{proposal.id}"
    if proposal.human_pushed or (proposal.branch is not None and proposal.branch != branch):
        # The earlier branch has a person's commits (kept when their PR closed): never
        # rewrite it; a retry gets a branch of its own.
        branch = f"{branch}-{proposal.attempts + 1}"
    proposal = await loop.advance(
        proposal,
        lifecycle.PATCHING,
        reason=decision.reason,
        message=f"patching on {branch}: {made.summary}",
        branch=branch,
        auto_merge=decision.action == gate.OPEN_AND_MERGE,
        human_pushed=False,
    )
    changes = [FileChange(path, content) for path, content in made.changes.items()]
    message = f"{proposal.title}\n\n{made.summary}\n\nProposal: {proposal.id}"
    base = await repo.client.branch_head(repo.default_branch)
    if await _branch_exists(repo.client, branch):
        commit = await repo.client.commit_to_branch(branch, changes=changes, message=message, onto=base)
    else:
        commit = await repo.client.create_branch(branch, base=base, changes=changes, message=message)
    body = texts.pr_body(proposal, summary=made.summary, diff=made.diff, decision=decision.reason, mode=repo.config.mode)
    pull = await repo.client.open_pull_request(
        head=branch,
        base=repo.default_branch,
        title=proposal.title.replace("`", ""),
        body=body,
        labels=repo.config.labels,
    )
    await repo.client.create_check_run(
        name=OWN_CHECK,
        head_sha=commit.sha,
        status="completed",
        conclusion="neutral",
        title=f"{proposal.kind}: confidence {proposal.confidence:.2f}, risk {proposal.risk}",
        summary=f"{made.summary}\n\n{proposal.rationale}\n\nGate: {decision.reason}",
    )
    proposal = await loop.advance(
        proposal,
        lifecycle.PR_OPEN,
        reason=f"opened #{pull.number}",
        message=f"opened #{pull.number} ({pull.html_url})",
        data={"pr": pull.number, "branch": branch, "files": list(made.targets)},
        pr_number=pull.number,
        head_sha=commit.sha,
        base_sha=base,
    )
    proposal = await loop.advance(
        proposal,
        lifecycle.TESTING,
        reason="waiting for CI on the PR's head",
        message=f"testing {commit.sha[:12]}: CI on the PR is the AutoTester",
    )
    await _close_superseded(loop, repo, proposal)
    number = proposal.origin.get("number")
    if number is not None and number != pull.number:
        await repo.client.comment(number, OPENED.format(marker=texts.marker(proposal.id), number=pull.number, summary=made.summary))
    return proposal


async def _close_superseded(loop: Loop, repo: Repo, proposal: Proposal) -> None:
    mine = supersede_key(proposal)
    if mine is None:
        return
    for other in await loop.store.proposals.find(repo.full_name, states=sorted(lifecycle.OPEN_PR_STATES)):
        if other.id != proposal.id and supersede_key(other) == mine and not other.human_pushed:
            await close_pr(
                loop,
                repo,
                other,
                reason=f"superseded by #{proposal.pr_number}",
                comment=SUPERSEDED.format(number=proposal.pr_number),
                human=False,
            )


async def close_pr(loop: Loop, repo: Repo, proposal: Proposal, *, reason: str, comment: str, human: bool) -> Proposal:
    """Close the bot's PR with a comment saying why; `human`: a person asked for it."""
    assert proposal.pr_number is not None
    await repo.client.comment(proposal.pr_number, f"{texts.marker(proposal.id)}\n{comment}")
    await repo.client.close_pull_request(proposal.pr_number)
    if proposal.branch and not proposal.human_pushed:
        await repo.client.delete_branch(proposal.branch)
    return await loop.advance(
        proposal,
        lifecycle.CLOSED,
        reason=reason,
        message=f"closed #{proposal.pr_number}: {reason}",
        closed_by_human=human,
    )


async def reconsider_held(loop: Loop, repo: Repo) -> None:
    """A PR closed or merged: the oldest held proposal gets the room, if there is room."""
    held = await loop.store.proposals.find(repo.full_name, states=[lifecycle.HELD])
    if not held or repo.config_error is not None:
        return  # a broken config means "doing nothing in this repository until it is fixed"
    if await loop.store.proposals.open_pr_count(repo.full_name) < repo.config.max_open_prs:
        await decide(loop, repo, held[-1])


def supersede_key(proposal: Proposal) -> str | None:
    """Proposals with the same supersede key replace each other: a newer one closes the older."""
    if proposal.kind == Kind.REWRITE:
        return f"rewrite:{proposal.spec.get('pattern')}:{proposal.spec.get('glob')}"
    if proposal.kind in (Kind.PLAYBOOK, Kind.ONBOARDING):
        return proposal.kind
    return None


async def _branch_exists(client: RepoClient, branch: str) -> bool:
    try:
        await client.branch_head(branch)
    except GitHubError as exc:
        if exc.status == 404:
            return False
        raise
    return True
