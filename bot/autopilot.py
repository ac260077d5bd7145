"""The evolution loop: signals → proposals → gate → PR → CI verdict → merge, close or revert."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import explanation as ex
from bot import gate
from bot import proposals as pr
from bot.ab import CheckOutcome, compare
from bot.app_auth import GitHubApp
from bot.commands import HELP_TEXT, UNAUTHORIZED_TEXT, Command, parse_commands
from bot.confidence import Outcome, confidence_for, outcome_of, rule_id_of
from bot.config import BetaPrior, ConfigError, RepoConfig, parse_config
from bot.github import CheckRun, FileChange, InstallationClient, MergeMethod, RepoClient
from bot.github_retry import GitHubError
from bot.instruction import fix_ci_failure, instruction
from bot.llm import (
    ENV_PROVIDER,
    LLMConfigError,
    TokenBudget,
    llm_from_settings,
    llm_settings_from_env,
)
from bot.playbook import PLAYBOOK_PATH, Playbook, curate, gate_hints, prompt_section, reflect
from bot.playbook import parse as parse_playbook
from bot.playbook import render as render_playbook
from bot.proposals import Evidence, Proposal
from bot.revert import RevertConflictError, revert_pull_request
from bot.revert_decision import should_revert
from bot.risk import assess
from bot.rules import (
    REWRITE_COMMAND,
    Example,
    edit_regions,
    example_from_commit,
    example_from_suggestion,
    example_key,
    find_sites,
    language_for,
    learn_rules,
    retirement,
    surroundings_of,
)
from bot.signals import (
    CheckSignal,
    CommentSignal,
    InstallationSignal,
    PullRequestSignal,
    PushSignal,
    ReviewCommentSignal,
    Signal,
)
from bot.store import Store
from bot.strategies import CONFIG_PATH, NothingToChange, Patch, PatchFailed, strategy_for
from bot.suppression import Candidate, suppression_for
from bot.verdict import HeadCheck, HeadStatus, Verdict, judge

log = logging.getLogger("evolve.autopilot")

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
OWN_CHECK = "evolve"
MERGE_METHOD: MergeMethod = "merge"

STATUS_LINE = "- `{id}` ({kind}) — {state}{pr}"
STATUS_NONE = "No proposals in this repository yet."
ALREADY = "This change is already proposal `{id}` ({state}{pr})."
RETRIED = "Reopened `{id}`; deciding again."
RULE_RETIRED = "retired rule {rule_id} ({reason}), with the {examples} example(s) it was learned from"
RULE_UNRETIRED = "@{actor} brought rule {rule_id} back with /evolve retry on #{number} (it was retired: {reason})"
REVERT_ABANDONED = "revert #{number} was closed unmerged by @{actor}: the change stays merged"
AB_TITLE = "Before/after on `{branch}`"


# The repositories read while handling the current signal (see Autopilot.handle).
_repos_read: contextvars.ContextVar[dict[str, Repo] | None] = contextvars.ContextVar("repos_read", default=None)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Repo:
    """One repository while handling one signal: its client, default branch and config."""

    client: RepoClient
    full_name: str
    installation_id: int
    default_branch: str
    config: RepoConfig
    has_config: bool
    config_error: ConfigError | None


class Autopilot:
    """The loop's I/O edge: reads signals, asks the pure core what to do, and does it on GitHub.

    Every step is saved with the proposal and journaled in the same transaction. Handlers are
    re-entrant: a delivery processed twice (at-least-once) finds its proposal already moved on.
    """

    def __init__(
        self,
        *,
        app: GitHubApp,
        store: Store,
        app_slug: str,
        clock: Callable[[], dt.datetime] = now,
        llm_env: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.app_slug = app_slug
        self.clock = clock
        # The operator's model settings (EVOLVE_LLM_*, the provider's key), read per proposal so
        # a repository's `llm:` section can narrow them; without a provider, free text is refused.
        self.llm_env: Mapping[str, str] = dict(llm_env or {})
        self._installations: dict[int, InstallationClient] = {}
        self._repo_locks: dict[str, asyncio.Lock] = {}

    # -- entry points -------------------------------------------------------------------------

    async def __call__(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            await self.handle(signal)

    def repo_lock(self, full_name: str) -> asyncio.Lock:
        """One repository's proposals are worked on by one task at a time in this process.

        The store orders deliveries per repository, but an installation event (ordered per
        installation) and the sweep act on a repository's proposals too; without the lock they
        race the repository's own deliveries and lose with StaleProposal.
        """
        return self._repo_locks.setdefault(full_name.lower(), asyncio.Lock())

    async def handle(self, signal: Signal) -> None:
        # One signal's steps share one read of each repository (its default branch and config):
        # they run one after another, so re-reading would only cost API calls.
        token = _repos_read.set({})
        try:
            await self._handle(signal)
        finally:
            _repos_read.reset(token)

    async def _handle(self, signal: Signal) -> None:
        if isinstance(signal, InstallationSignal):
            await self.on_installation(signal)  # locks each repository it works on
            return
        if signal.repository is None:
            return
        async with self.repo_lock(signal.repository):
            if isinstance(signal, CommentSignal):
                await self.on_comment(signal)
            elif isinstance(signal, PullRequestSignal):
                await self.on_pull_request(signal)
            elif isinstance(signal, CheckSignal):
                await self.on_check(signal)
            elif isinstance(signal, PushSignal):
                await self.on_push(signal)
            if isinstance(signal, PullRequestSignal) and signal.action == "closed" and signal.installation_id is not None:
                # Every merge and close is an outcome: the Reflector and Curator learn from it.
                repo = await self.repo(signal.repository, signal.installation_id)
                await self.reflect_on(repo, delivery_id=signal.delivery_id)
                if signal.merged:
                    await self.learn_from_merge(repo, signal)

    # -- context ------------------------------------------------------------------------------

    def installation(self, installation_id: int) -> InstallationClient:
        client = self._installations.get(installation_id)
        if client is None:
            client = self._installations[installation_id] = InstallationClient(
                self.app, installation_id
            )
        return client

    async def repo(self, full_name: str, installation_id: int) -> Repo:
        """The repository's client, default branch and config, read once per signal."""
        seen = _repos_read.get()
        key = f"{installation_id}:{full_name.lower()}"
        if seen is not None and key in seen:
            return seen[key]
        found = await self._read_repo(full_name, installation_id)
        if seen is not None:
            seen[key] = found
        return found

    async def _read_repo(self, full_name: str, installation_id: int) -> Repo:
        owner, name = full_name.split("/", 1)
        client = self.installation(installation_id).repo(owner, name)
        info = await client.repository()
        text = await client.read_file(CONFIG_PATH, ref=info.default_branch)
        config, error = RepoConfig(), None
        if text is not None:
            try:
                config = parse_config(text.text or "")
            except ConfigError as exc:
                error = exc
        client.bot_branch_prefix = config.branch_prefix
        return Repo(
            client=client,
            full_name=full_name,
            installation_id=installation_id,
            default_branch=info.default_branch,
            config=config,
            has_config=text is not None,
            config_error=error,
        )

    # -- comments and commands ----------------------------------------------------------------

    async def on_comment(self, s: CommentSignal) -> None:
        # Edited and deleted comments never trigger, nor does anything a bot wrote.
        if s.action != "created" or s.from_bot or s.installation_id is None:
            return
        commands = parse_commands(s.body, app_slug=self.app_slug)
        if not commands:
            return
        command = commands[0]
        if await self._already_handled(s):
            return
        repo = await self.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
        permission = await repo.client.permission(s.actor or "ghost")
        await self.store.record(
            "command.received",
            f"@{s.actor} ({permission}) asked `/evolve {command.name}` on #{s.number}",
            delivery_id=s.delivery_id,
            repository=s.repository,
            data={"command": command.name, "args": command.args, "comment_id": s.comment_id},
        )
        if permission not in WRITE_PERMISSIONS:
            await repo.client.comment(s.number, UNAUTHORIZED_TEXT)
            await self.store.record(
                "command.refused",
                f"@{s.actor} has {permission} access, not write",
                delivery_id=s.delivery_id,
                repository=s.repository,
            )
            return
        await repo.client.react_to_comment(s.comment_id, "eyes")
        if repo.config_error is not None and command.name != "help":
            await repo.client.comment(s.number, ex.CONFIG_INVALID.format(error=repo.config_error))
            await self.store.record(
                "config.invalid",
                str(repo.config_error),
                delivery_id=s.delivery_id,
                repository=s.repository,
            )
            return
        handler = getattr(self, f"command_{command.name}", None)
        if handler is None:
            await repo.client.comment(s.number, HELP_TEXT)
        else:
            await handler(repo, s, command)
        await self.store.record(
            "command.done",
            f"`/evolve {command.name}` handled",
            delivery_id=s.delivery_id,
            repository=s.repository,
        )

    async def _already_handled(self, s: CommentSignal) -> bool:
        return any(
            e.kind == "command.done"
            for e in await self.store.journal(delivery_id=s.delivery_id, limit=50)
        )

    async def command_help(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        await repo.client.comment(s.number, HELP_TEXT)

    async def command_invalid(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        await repo.client.comment(
            s.number,
            str(command.args.get("error", "I could not read that command.")) + "\n\n" + HELP_TEXT,
        )

    async def command_instruction(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        if not self.llm_env.get(ENV_PROVIDER):
            await repo.client.comment(s.number, ex.NO_LLM)
            await self.store.record(
                "command.unsupported",
                "free-text instruction, but no LLM is configured",
                delivery_id=s.delivery_id,
                repository=s.repository,
            )
            return
        text = str(command.args.get("instruction", "")).strip()
        first = text.splitlines()[0] if text else ""
        await self.propose(
            repo,
            kind="instruction",
            spec={"instruction": text, "issue": {"number": s.number}},
            title=f"evolve: {first[:70]}" + ("…" if len(first) > 70 else ""),
            rationale=f"@{s.actor} asked for it in #{s.number} ({s.html_url}).",
            signals=(s.delivery_id,),
            origin={"number": s.number, "comment_id": s.comment_id, "actor": s.actor},
        )

    async def command_rewrite(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        spec = {k: command.args.get(k) for k in ("pattern", "fix", "glob", "language")}
        await self.propose(
            repo,
            kind="rewrite",
            spec=spec,
            title=f"Rewrite `{spec['pattern']}` → `{spec['fix']}`",
            rationale=f"@{s.actor} asked for it in #{s.number} ({s.html_url}).",
            signals=(s.delivery_id,),
            origin={"number": s.number, "comment_id": s.comment_id, "actor": s.actor},
        )

    async def command_apply(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        waiting = [
            p
            for p in await self.store.proposals(
                repo.full_name, states=[pr.ASKED, pr.SUGGESTED, pr.HELD]
            )
            if p.origin.get("number") == s.number
        ]
        if not waiting:
            await repo.client.comment(s.number, ex.NOTHING_TO_APPLY)
            return
        await self.decide(repo, waiting[0], approved_by=s.actor, delivery_id=s.delivery_id)

    async def command_retry(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        target = await self.store.proposal_for_pr(repo.full_name, s.number)
        if target is None:
            candidates = [
                p
                for p in await self.store.proposals(repo.full_name, states=[pr.CLOSED, pr.SKIPPED])
                if p.origin.get("number") == s.number
            ]
            target = candidates[0] if candidates else None
        if target is None or target.state not in (pr.CLOSED, pr.SKIPPED):
            await repo.client.comment(s.number, ex.NOTHING_TO_RETRY)
            return
        rule_id = rule_id_of(target)
        if target.kind == "learned_rule" and rule_id is not None:
            # Retry on the PR of an ignored rule takes back that "no": the rule may be proposed again.
            was = await self.store.unretire_rule(repo.full_name, rule_id)
            if was is not None:
                await self.store.record(
                    "rule.unretired",
                    RULE_UNRETIRED.format(actor=s.actor, rule_id=rule_id, number=s.number, reason=was),
                    delivery_id=s.delivery_id,
                    repository=repo.full_name,
                    proposal_id=target.id,
                    data={"rule_id": rule_id, "retired_for": was},
                )
        target = await self.store.save_proposal(
            pr.advance(
                target,
                pr.PROPOSED,
                at=self.clock(),
                reason=f"@{s.actor} said /evolve retry",
                spec={**target.spec, "retried": target.attempts + 1},
                attempts=target.attempts + 1,
            ),
            message=f"@{s.actor} lifted the closed/skipped state with /evolve retry",
            kind="proposal.retried",
            delivery_id=s.delivery_id,
        )
        await repo.client.comment(s.number, RETRIED.format(id=target.id))
        await self.decide(repo, target, delivery_id=s.delivery_id, retry=True)

    async def command_ignore(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        target = await self.store.proposal_for_pr(repo.full_name, s.number)
        if target is None:
            waiting = [
                p
                for p in await self.store.proposals(
                    repo.full_name, states=[pr.ASKED, pr.SUGGESTED, pr.HELD]
                )
                if p.origin.get("number") == s.number
            ]
            target = waiting[0] if waiting else None
        if target is None or target.state in pr.FINAL_STATES:
            await repo.client.comment(s.number, ex.NOT_A_BOT_PR.format(command="ignore"))
            return
        if target.kind == "learned_rule" and target.spec.get("rule_id"):
            rule_id = str(target.spec["rule_id"])
            # The examples the rule stands on, as the learner draws it now: a later learner may
            # draw another rule from them, which this "no" covers too.
            learned = learn_rules(await self.store.examples(repo.full_name), min_examples=repo.config.learn.min_examples)
            examples = next((r.examples for r in learned if r.id == rule_id), ())
            reason = f"@{s.actor} said /evolve ignore on #{s.number}"
            await self.store.retire_rule(repo.full_name, rule_id, reason=reason, examples=[example_key(e) for e in examples])
            await self.store.record(
                "rule.retired",
                RULE_RETIRED.format(rule_id=rule_id, reason=reason, examples=len(examples)),
                delivery_id=s.delivery_id,
                repository=repo.full_name,
                proposal_id=target.id,
                data={"rule_id": rule_id, "examples": len(examples)},
            )
        if target.is_open and target.pr_number is not None:
            await self._close_pr(
                repo,
                target,
                reason=f"@{s.actor} said /evolve ignore",
                comment=ex.IGNORED.format(id=target.id),
                human=True,
                delivery_id=s.delivery_id,
            )
        else:
            await self.store.save_proposal(
                pr.advance(
                    target,
                    pr.SKIPPED,
                    at=self.clock(),
                    reason=f"@{s.actor} said /evolve ignore",
                    spec={**target.spec, "ignored": True},
                ),
                message=f"@{s.actor} dropped it with /evolve ignore",
                delivery_id=s.delivery_id,
            )
            await repo.client.comment(s.number, ex.IGNORED.format(id=target.id))

    async def command_why(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        target = await self.store.proposal_for_pr(repo.full_name, s.number)
        if target is None:
            await repo.client.comment(s.number, ex.NOT_A_BOT_PR.format(command="why"))
            return
        entries = await self.store.journal(proposal_id=target.id, limit=200)
        await repo.client.comment(s.number, ex.why_chain(target, entries))

    async def command_status(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        listed = await self.store.proposals(repo.full_name, limit=20)
        lines = [
            STATUS_LINE.format(
                id=p.id,
                kind=p.kind,
                state=p.state.replace("_", " "),
                pr=f", #{p.pr_number}" if p.pr_number else "",
            )
            for p in listed
        ]
        header = f"**evolve-bot** here: mode `{repo.config.mode}`, {await self.store.open_pr_count(repo.full_name)}/{repo.config.max_open_prs} PRs open."
        await repo.client.comment(s.number, header + "\n\n" + ("\n".join(lines) or STATUS_NONE))

    async def command_revert(self, repo: Repo, s: CommentSignal, command: Command) -> None:
        target = await self.store.proposal_for_pr(repo.full_name, s.number)
        if target is None:
            await repo.client.comment(
                s.number, ex.NOT_A_BOT_PR.format(command="revert") + " It must be merged."
            )
            return
        if target.state != pr.MERGED:
            if target.state == pr.REVERTED:
                by = await self._reverted_by(repo, target)
                why = ex.ALREADY_REVERTED.format(number=s.number, by=by)
            else:
                why = ex.NOT_MERGED.format(number=s.number)
            await self._nothing_to_revert(repo, target, why=why, delivery_id=s.delivery_id)
            return
        await self.revert(
            repo,
            target,
            reason=f"@{s.actor} asked for it with /evolve revert on #{s.number}.",
            delivery_id=s.delivery_id,
            asked=True,
        )

    # -- patching -----------------------------------------------------------------------------

    async def patch(
        self,
        repo: Repo,
        proposal: Proposal,
        files: RepoFiles,
        *,
        delivery_id: str | None,
        failure: str | None = None,
        check: str = "",
    ) -> Patch:
        """Run the proposal's patch strategy; model-backed ones get a model and a token budget,
        and what they spent is journaled whether they succeeded or not."""
        if proposal.kind != "instruction":
            return await strategy_for(proposal.kind)(proposal, files, repo.config)
        try:
            settings = llm_settings_from_env(self.llm_env, repo=repo.config.llm)
        except LLMConfigError as exc:
            raise PatchFailed(str(exc)) from exc
        llm = llm_from_settings(settings)
        if llm is None or settings is None:
            raise PatchFailed(ex.NO_LLM)
        budget = TokenBudget(settings.max_tokens_per_proposal)
        try:
            if failure is None:
                lessons = prompt_section(await self.playbook(repo))
                return await instruction(proposal, files, repo.config, llm=llm, budget=budget, playbook=lessons)
            return await fix_ci_failure(
                proposal, files, repo.config, llm=llm, failure=failure, check=check, budget=budget
            )
        finally:
            await llm.aclose()
            usage = budget.usage()
            await self.store.record(
                "llm.usage",
                f"{settings.provider} {settings.model}: {usage.get('input_tokens', 0)} tokens in, "
                f"{usage.get('output_tokens', 0)} out"
                + (f", ${usage['cost_usd']:.4f}" if usage.get("cost_usd") else ""),
                delivery_id=delivery_id,
                repository=repo.full_name,
                proposal_id=proposal.id,
                data={"provider": settings.provider, "model": settings.model, **usage},
            )

    async def fix_on_branch(
        self,
        repo: Repo,
        proposal: Proposal,
        failures: Sequence[tuple[str, str | None]],
        *,
        delivery_id: str | None,
    ) -> Proposal | None:
        """One more try for a model-made PR whose CI failed: the failing output goes back to the
        model and the fix is pushed on the same branch. None when there is nothing to try."""
        if (
            proposal.kind != "instruction"
            or proposal.spec.get("ci_fix_tried")
            or proposal.human_pushed
            or not proposal.branch
        ):
            return None
        if not self.llm_env.get(ENV_PROVIDER):
            return None
        output = "\n\n".join(f"## {name}\n{summary or ''}" for name, summary in failures)
        tried = await self.store.save_proposal(
            dataclasses.replace(proposal, spec={**proposal.spec, "ci_fix_tried": True}),
            message=f"asking the model to fix {', '.join(n for n, _ in failures)} on {proposal.branch}",
            kind="proposal.ci_fix",
            delivery_id=delivery_id,
        )
        try:
            patch = await self.patch(
                # Read the branch at the commit CI judged (a sha: branch names with "/" are not refs
                # every tree endpoint takes).
                repo,
                tried,
                RepoFiles(repo.client, proposal.head_sha or proposal.branch),
                delivery_id=delivery_id,
                failure=output,
                check=failures[0][0],
            )
        except (PatchFailed, NothingToChange) as exc:
            await self.store.record(
                "proposal.ci_fix_failed",
                f"no fix: {exc}",
                repository=repo.full_name,
                proposal_id=proposal.id,
                delivery_id=delivery_id,
            )
            return None
        changes = [FileChange(path, content) for path, content in patch.changes.items()]
        commit = await repo.client.commit_to_branch(
            proposal.branch,
            changes=changes,
            message=f"Fix CI: {patch.summary}\n\nProposal: {proposal.id}",
        )
        assert tried.pr_number is not None
        await repo.client.comment(
            tried.pr_number,
            f"{ex.marker(tried.id)}\n"
            + ex.CI_FIX_PUSHED.format(sha=commit.sha[:12], summary=patch.summary),
        )
        return await self.store.save_proposal(
            pr.advance(
                tried,
                pr.TESTING,
                at=self.clock(),
                reason="pushed a fix for the failing checks",
                head_sha=commit.sha,
                targets=tuple(sorted({*tried.targets, *patch.targets})),
            ),
            message=f"pushed {commit.sha[:12]} to {proposal.branch}: {patch.summary}",
            delivery_id=delivery_id,
        )

    async def playbook(self, repo: Repo) -> Playbook:
        """The repository's playbook as last saved (empty until lessons are learned)."""
        saved = await self.store.playbook_text(repo.full_name)
        if saved is None:
            return Playbook()
        try:
            return parse_playbook(saved[0])
        except ValueError as exc:
            log.warning("stored playbook of %s does not parse: %s", repo.full_name, exc)
            return Playbook()

    # -- proposing and deciding ---------------------------------------------------------------

    async def propose(
        self,
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
        key = pr.stable_key(kind, repo.full_name, spec)
        previous = await self.store.proposals(repo.full_name, key=key)
        number = (origin or {}).get("number")
        if previous:
            last = previous[0]
            if last.state in (pr.PROPOSED, pr.PATCHING):
                # An earlier attempt at this delivery stopped half-way (at-least-once): go on.
                return await self.decide(repo, last)
            if last.state not in (pr.MERGED, pr.REVERTED) and not _retryable_skip(last):
                if last.state in (pr.CLOSED, pr.SKIPPED):
                    reason = f"`{last.id}` was {last.state} before ({last.history[-1].reason}); say `/evolve retry` on #{last.pr_number or number} to try again"
                    if number is not None:
                        await repo.client.comment(number, ex.REFUSED.format(reason=reason))
                    await self.store.record(
                        "proposal.suppressed",
                        reason,
                        repository=repo.full_name,
                        proposal_id=last.id,
                        data={"key": key},
                    )
                    return None
                if number is not None:
                    await repo.client.comment(
                        number,
                        ALREADY.format(
                            id=last.id,
                            state=last.state.replace("_", " "),
                            pr=f", #{last.pr_number}" if last.pr_number else "",
                        ),
                    )
                return last
        proposal = pr.new_proposal(
            kind=kind,
            repository=repo.full_name,
            installation_id=repo.installation_id,
            title=title,
            rationale=rationale,
            spec=spec,
            at=self.clock(),
            signals=signals,
            origin=origin,
            suffix=len(previous) + 1,
        )
        proposal = await self.store.save_proposal(
            proposal, message=f"proposed: {title}. {rationale}"
        )
        return await self.decide(repo, proposal)

    async def outcomes(self, repo: Repo) -> list[Outcome]:
        """What became of this repository's proposals: the learner's evidence."""
        at = self.clock()
        found = []
        for p in await self.store.proposals(repo.full_name, limit=10_000):
            outcome = outcome_of(
                p,
                now=at,
                settle_days=repo.config.learn.settle_days,
                thumbs_down=int(p.spec.get("thumbs_down", 0)),
                thumbs_up=int(p.spec.get("thumbs_up", 0)),
            )
            if outcome is not None:
                found.append(outcome)
        return found

    def confidence(
        self, repo: Repo, kind: str, *, rule_id: str | None = None, outcomes: Sequence[Outcome] = ()
    ) -> tuple[float, Evidence]:
        """The posterior mean for `kind` (and learned rule) from the configured prior and outcomes."""
        prior = (
            repo.config.priors[kind]
            if repo.config.priors.get(kind) is not None
            else BetaPrior(alpha=2, beta=2)
        )
        return confidence_for(
            kind, rule_id, prior=prior, outcomes=outcomes, repository=repo.full_name
        )

    async def decide(
        self,
        repo: Repo,
        proposal: Proposal,
        *,
        approved_by: str | None = None,
        delivery_id: str | None = None,
        retry: bool = False,
    ) -> Proposal:
        """Patch (to know the change), assess, and act on the gate's decision."""
        number = proposal.origin.get("number")
        if approved_by is not None:
            # Remembered: a proposal held for room after `/evolve apply` must not ask again.
            proposal = dataclasses.replace(
                proposal, spec={**proposal.spec, "approved_by": approved_by}
            )
        else:
            approved_by = proposal.spec.get("approved_by")
        try:
            patch = await self.patch(
                repo, proposal, RepoFiles(repo.client, repo.default_branch), delivery_id=delivery_id
            )
        except NothingToChange as exc:
            if number is not None:
                await repo.client.comment(
                    number, f"{ex.marker(proposal.id)}\nNothing to change: {exc}."
                )
            return await self.store.save_proposal(
                pr.advance(
                    proposal, pr.SKIPPED, at=self.clock(), reason=f"nothing to change: {exc}"
                ),
                message=f"nothing to change: {exc}",
                delivery_id=delivery_id,
            )
        except PatchFailed as exc:
            if number is not None:
                await repo.client.comment(
                    number, f"{ex.marker(proposal.id)}\nI could not make this change: {exc}"
                )
            return await self.store.save_proposal(
                pr.advance(proposal, pr.SKIPPED, at=self.clock(), reason=f"patch failed: {exc}"),
                message=f"patch failed: {exc}",
                delivery_id=delivery_id,
            )
        risk = assess(kind=proposal.kind, paths=patch.targets, diff_lines=patch.diff_lines)
        outcomes = await self.outcomes(repo)
        confidence, evidence = self.confidence(
            repo, proposal.kind, rule_id=rule_id_of(proposal), outcomes=outcomes
        )
        proposal = dataclasses.replace(
            proposal,
            targets=patch.targets,
            risk=risk.level,
            risk_score=risk.score,
            risk_reasons=risk.reasons,
            confidence=confidence,
            evidence=evidence,
        )
        exempt = proposal.kind in ("onboarding", "playbook")  # the config file itself lives under .github/
        denied = (
            () if exempt else tuple(p for p in patch.targets if not repo.config.path_allowed(p))
        )
        force_ask = None
        if not exempt and proposal.kind != "revert":
            lifted = {
                p.key
                for p in await self.store.proposals(repo.full_name, limit=10_000)
                if p.spec.get("retried")
            }
            no = suppression_for(Candidate.of(proposal), outcomes=outcomes, lifted_by_retry=lifted)
            if no is not None:
                await self.store.record(
                    "proposal.suppressed",
                    no.reason,
                    delivery_id=delivery_id,
                    repository=repo.full_name,
                    proposal_id=proposal.id,
                    data={"key": no.key, "evidence": list(no.evidence)},
                )
                # A person's explicit request is asked about; the bot's own idea is dropped.
                force_ask = f"{no.reason} (say `/evolve retry` to lift this)"
            hints = gate_hints(await self.playbook(repo), kind=proposal.kind, paths=patch.targets)
            for hint in hints:
                if hint.force_ask and force_ask is None:
                    force_ask = f"the playbook says: {hint.reason}"
            delta = sum(h.confidence_delta for h in hints)
            if delta:
                confidence = max(0.0, min(1.0, confidence + delta))
                proposal = dataclasses.replace(proposal, confidence=confidence)
        suppressed = None
        if force_ask is not None and not proposal.origin.get("actor") and approved_by is None:
            suppressed, force_ask = force_ask, None
        if patch.diff_lines > repo.config.max_diff_lines:
            suppressed = f"the diff has {patch.diff_lines} lines, over max_diff_lines {repo.config.max_diff_lines}"
        decision = gate.decide(
            mode="confidence" if exempt else repo.config.mode,
            confidence=1.0 if exempt else confidence,
            threshold=repo.config.confidence_threshold,
            risk=risk.level,
            open_prs=await self.store.open_pr_count(repo.full_name),
            max_open_prs=repo.config.max_open_prs,
            approved=approved_by is not None,
            denied_paths=denied,
            suppressed=suppressed,
            force_ask=force_ask,
        )
        await self.store.record(
            "gate.decided",
            f"{decision.action}: {decision.reason}",
            delivery_id=delivery_id,
            repository=repo.full_name,
            proposal_id=proposal.id,
            data={
                "action": decision.action,
                "confidence": confidence,
                "risk": risk.level,
                "approved_by": approved_by,
            },
        )
        if decision.action in (gate.OPEN_PR, gate.OPEN_AND_MERGE):
            return await self.open_pr(
                repo, proposal, patch, decision=decision, delivery_id=delivery_id
            )
        state, footer = {
            gate.SUGGEST: (pr.SUGGESTED, ex.SUGGEST_FOOTER),
            gate.ASK: (pr.ASKED, ex.ASK_FOOTER),
            gate.HOLD: (pr.HELD, ex.HELD.format(reason=decision.reason)),
            gate.REFUSE: (pr.SKIPPED, ex.REFUSED.format(reason=decision.reason)),
        }[decision.action]
        if number is not None:
            await repo.client.comment(
                number,
                ex.proposal_comment(
                    proposal,
                    summary=patch.summary,
                    diff=patch.diff,
                    decision=decision.reason,
                    footer=footer,
                ),
            )
        return await self.store.save_proposal(
            pr.advance(proposal, state, at=self.clock(), reason=decision.reason),
            message=f"{state}: {decision.reason}",
            delivery_id=delivery_id,
        )

    async def open_pr(
        self,
        repo: Repo,
        proposal: Proposal,
        patch: Patch,
        *,
        decision: gate.Decision,
        delivery_id: str | None,
    ) -> Proposal:
        branch = f"{repo.config.branch_prefix}{proposal.id}"
        if proposal.human_pushed or (proposal.branch is not None and proposal.branch != branch):
            # The earlier branch has a person's commits (kept when their PR closed): never
            # rewrite it; a retry gets a branch of its own.
            branch = f"{branch}-{proposal.attempts + 1}"
        proposal = await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.PATCHING,
                at=self.clock(),
                reason=decision.reason,
                branch=branch,
                auto_merge=decision.action == gate.OPEN_AND_MERGE,
                human_pushed=False,
            ),
            message=f"patching on {branch}: {patch.summary}",
            delivery_id=delivery_id,
        )
        changes = [FileChange(path, content) for path, content in patch.changes.items()]
        message = f"{proposal.title}\n\n{patch.summary}\n\nProposal: {proposal.id}"
        base = await repo.client.branch_head(repo.default_branch)
        if await _branch_exists(repo.client, branch):
            commit = await repo.client.commit_to_branch(
                branch, changes=changes, message=message, onto=base
            )
        else:
            commit = await repo.client.create_branch(
                branch, base=base, changes=changes, message=message
            )
        body = ex.pr_body(
            proposal,
            summary=patch.summary,
            diff=patch.diff,
            decision=decision.reason,
            mode=repo.config.mode,
        )
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
            summary=f"{patch.summary}\n\n{proposal.rationale}\n\nGate: {decision.reason}",
        )
        proposal = await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.PR_OPEN,
                at=self.clock(),
                reason=f"opened #{pull.number}",
                pr_number=pull.number,
                head_sha=commit.sha,
                base_sha=base,
            ),
            message=f"opened #{pull.number} ({pull.html_url})",
            delivery_id=delivery_id,
            data={"pr": pull.number, "branch": branch, "files": list(patch.targets)},
        )
        proposal = await self.store.save_proposal(
            pr.advance(
                proposal, pr.TESTING, at=self.clock(), reason="waiting for CI on the PR's head"
            ),
            message=f"testing {commit.sha[:12]}: CI on the PR is the AutoTester",
            delivery_id=delivery_id,
        )
        await self._close_superseded(repo, proposal, delivery_id=delivery_id)
        number = proposal.origin.get("number")
        if number is not None and number != pull.number:
            await repo.client.comment(
                number, f"{ex.marker(proposal.id)}\nOpened #{pull.number}: {patch.summary}"
            )
        return proposal

    async def _close_superseded(
        self, repo: Repo, proposal: Proposal, *, delivery_id: str | None
    ) -> None:
        mine = supersede_key(proposal)
        if mine is None:
            return
        for other in await self.store.proposals(repo.full_name, states=sorted(pr.OPEN_PR_STATES)):
            if other.id != proposal.id and supersede_key(other) == mine and not other.human_pushed:
                await self._close_pr(
                    repo,
                    other,
                    reason=f"superseded by #{proposal.pr_number}",
                    comment=f"Superseded by #{proposal.pr_number}.",
                    human=False,
                    delivery_id=delivery_id,
                )

    async def _close_pr(
        self,
        repo: Repo,
        proposal: Proposal,
        *,
        reason: str,
        comment: str,
        human: bool,
        delivery_id: str | None,
    ) -> Proposal:
        assert proposal.pr_number is not None
        await repo.client.comment(proposal.pr_number, f"{ex.marker(proposal.id)}\n{comment}")
        await repo.client.close_pull_request(proposal.pr_number)
        if proposal.branch and not proposal.human_pushed:
            await repo.client.delete_branch(proposal.branch)
        return await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.CLOSED,
                at=self.clock(),
                reason=reason,
                spec={**proposal.spec, "closed_by_human": human},
            ),
            message=f"closed #{proposal.pr_number}: {reason}",
            delivery_id=delivery_id,
        )

    # -- the playbook -------------------------------------------------------------------------

    async def reflect_on(self, repo: Repo, *, delivery_id: str | None) -> None:
        """Reflect on the outcomes, curate the lessons into the playbook incrementally, and
        propose the playbook file when it changed materially."""
        outcomes = await self.outcomes(repo)
        current = await self.playbook(repo)
        if len(outcomes) <= current.outcomes_seen:
            return
        info = {p.id: p for p in await self.store.proposals(repo.full_name, limit=10_000)}
        curation = curate(current, reflect(outcomes, info), outcomes_seen=len(outcomes))
        saved = await self.store.playbook_text(repo.full_name)
        text = render_playbook(curation.playbook)
        await self.store.save_playbook(
            repo.full_name, text, file_sha=saved[1] if saved else None,
            message="; ".join(curation.changes) or f"reflected on {len(outcomes)} outcomes; no lesson changed",
        )
        if curation.material_change:
            await self.propose(
                repo,
                kind="playbook",
                spec={"text": text},
                title="Update the evolve-bot playbook",
                rationale="What I learned from this repository's outcomes changed: " + "; ".join(curation.changes),
                signals=(delivery_id,) if delivery_id else (),
            )

    async def on_push(self, s: PushSignal) -> None:
        """A push to the default branch: an invalid `.github/evolve.yml` gets a failing `evolve`
        check naming the line; a person's edit of the playbook is read back as authoritative."""
        if s.installation_id is None or s.repository is None:
            return
        changed = {path for c in s.commits for path in (*c.added, *c.modified)}
        if CONFIG_PATH in changed:
            repo = await self.repo(s.repository, s.installation_id)
            if repo.config_error is not None:
                await repo.client.create_check_run(
                    name=OWN_CHECK,
                    head_sha=s.after,
                    status="completed",
                    conclusion="failure",
                    title=f"{CONFIG_PATH} is invalid: I do nothing here until it is fixed",
                    summary=str(repo.config_error),
                )
                await self.store.record("config.invalid", str(repo.config_error), delivery_id=s.delivery_id, repository=repo.full_name)
        if PLAYBOOK_PATH not in changed or s.from_bot:
            return
        repo = await self.repo(s.repository, s.installation_id)
        found = await repo.client.read_file(PLAYBOOK_PATH, ref=s.after)
        if found is None or found.text is None:
            return
        try:
            playbook = parse_playbook(found.text)
        except ValueError as exc:
            await self.store.record("playbook.invalid", f"{PLAYBOOK_PATH} does not parse: {exc}", delivery_id=s.delivery_id, repository=repo.full_name)
            return
        await self.store.save_playbook(
            repo.full_name, render_playbook(playbook), file_sha=found.sha,
            message=f"@{s.actor} edited {PLAYBOOK_PATH}: read back as authoritative ({len(playbook.lessons)} lessons)",
        )

    async def _read_reactions(self, s: PullRequestSignal, proposal: Proposal) -> Proposal:
        """GitHub sends no webhook for reactions: count the 👍/👎 on the bot's PR whenever the bot
        touches its thread, so a 👎 counts against the proposal's outcome."""
        if proposal.pr_number is None or s.installation_id is None or s.repository is None:
            return proposal
        repo = await self.repo(s.repository, s.installation_id)
        counts = await repo.client.issue_reactions(proposal.pr_number)
        up, down = counts.get("+1", 0), counts.get("-1", 0)
        if (up, down) == (proposal.spec.get("thumbs_up", 0), proposal.spec.get("thumbs_down", 0)):
            return proposal
        return await self.store.save_proposal(
            dataclasses.replace(proposal, spec={**proposal.spec, "thumbs_up": up, "thumbs_down": down}),
            message=f"reactions on #{proposal.pr_number}: {up} 👍, {down} 👎",
            kind="proposal.reactions",
            delivery_id=s.delivery_id,
        )

    # -- learning rules from reviews ----------------------------------------------------------

    async def learn_from_pr(self, s: PullRequestSignal) -> int:
        """Store the review suggestions a PR's head now shows applied, then learn; returns how many
        new examples were found."""
        assert s.repository is not None and s.installation_id is not None
        commented = [
            c for c in await self.store.signals(repository=s.repository, limit=10_000)
            if isinstance(c, ReviewCommentSignal) and c.number == s.number and not c.from_bot and c.line is not None
        ]
        suggested = [c for c in commented if c.suggestions]
        if not commented:
            return 0
        repo = await self.repo(s.repository, s.installation_id)
        added = 0
        for comment in suggested:
            for i, suggestion in enumerate(comment.suggestions):
                old = await repo.client.read_file(suggestion.path, ref=comment.commit_id)
                new = await repo.client.read_file(suggestion.path, ref=s.head_sha)
                if old is None or new is None or old.text is None or new.text is None:
                    continue
                derived = example_from_suggestion(suggestion, old_text=old.text, new_text=new.text, author=comment.actor, pr=s.number)
                if derived.example is None:
                    continue
                if await self.store.add_example(repo.full_name, derived.example, origin=f"suggestion:{comment.comment_id}:{i}"):
                    added += 1
                    await self.store.record(
                        "learn.example",
                        f"@{comment.actor}'s suggestion on #{s.number} ({suggestion.path}:{suggestion.start_line}) was applied",
                        delivery_id=s.delivery_id,
                        repository=repo.full_name,
                        data={"before": derived.example.before, "after": derived.example.after},
                    )
        for comment in commented:
            if comment.suggestions or comment.line is None:
                continue
            # A plain review comment on lines the author then changed: the change answers it.
            old = await repo.client.read_file(comment.path, ref=comment.commit_id)
            new = await repo.client.read_file(comment.path, ref=s.head_sha)
            if old is None or new is None or old.text == new.text:
                continue
            derived = example_from_commit(
                path=comment.path, old_text=old.text, new_text=new.text, start_line=comment.start_line or comment.line,
                end_line=comment.line, author=s.actor, pr=s.number,
            )
            if derived.example is not None and await self.store.add_example(
                repo.full_name, derived.example, origin=f"commit:{comment.comment_id}:{s.head_sha}"
            ):
                added += 1
                await self.store.record(
                    "learn.example",
                    f"@{s.actor} changed {comment.path}:{comment.line} after @{comment.actor}'s review comment on #{s.number}",
                    delivery_id=s.delivery_id,
                    repository=repo.full_name,
                    data={"before": derived.example.before, "after": derived.example.after},
                )
        if added:
            await self.learn(repo, delivery_id=s.delivery_id)
        return added

    async def learn_from_merge(self, repo: Repo, s: PullRequestSignal) -> int:
        """A merged `/evolve rewrite` PR: each changed unit is an example a person approved."""
        proposal = await self.store.proposal_for_pr(repo.full_name, s.number)
        if proposal is None or proposal.kind != "rewrite" or proposal.base_sha is None or proposal.head_sha is None:
            return 0
        added = 0
        for path in proposal.targets:
            language = language_for(path)
            before = await repo.client.read_file(path, ref=proposal.base_sha)
            after = await repo.client.read_file(path, ref=proposal.head_sha)
            if language is None or before is None or after is None:
                continue
            try:
                regions = edit_regions(before.text, after.text, language=language)
            except ValueError as exc:  # a file that does not parse gives no trustworthy units
                log.info("no examples from %s: %s", path, exc)
                continue
            for i, region in enumerate(regions):
                example = Example(
                    before=region.before, after=region.after, path=path, language=language, source=REWRITE_COMMAND,
                    author=proposal.origin.get("actor"), pr=s.number, line=region.start_line,
                    surroundings=surroundings_of(before.text, region.before_span, language=language),
                )
                added += await self.store.add_example(repo.full_name, example, origin=f"rewrite:{proposal.id}:{path}:{i}")
        if added:
            await self.store.record(
                "learn.example", f"{added} example(s) from merged rewrite #{s.number}", delivery_id=s.delivery_id, repository=repo.full_name
            )
            await self.learn(repo, delivery_id=s.delivery_id)
        return added

    async def learn(self, repo: Repo, *, delivery_id: str | None = None) -> list[Proposal]:
        """Learn rules from the stored examples and propose each kept one where it applies."""
        learned = learn_rules(await self.store.examples(repo.full_name), min_examples=repo.config.learn.min_examples)
        retired = await self.store.retired_rules(repo.full_name)
        taught = await self.store.retired_examples(repo.full_name)
        opened = []
        files = RepoFiles(repo.client, repo.default_branch)
        paths = await files.paths()
        for rule in learned:
            if not rule.kept or rule.rule is None or retirement(rule, retired, taught):
                continue
            language = rule.rule.language
            contents = {p: t for p, t in (await files.read([p for p in paths if language_for(p) == language])).items() if t is not None}
            sites = find_sites(rule, contents)
            if not sites.sites:
                continue
            spec = {k: v for k, v in sites.spec().items() if k != "examples"}  # the key is the rule
            proposal = await self.propose(
                repo, kind="learned_rule", spec=spec, title=sites.title(), rationale=sites.rationale(), signals=(delivery_id,) if delivery_id else ()
            )
            if proposal is not None:
                opened.append(proposal)
        return opened

    # -- pull request events ------------------------------------------------------------------

    async def on_pull_request(self, s: PullRequestSignal) -> None:
        if s.action in ("synchronize", "closed") and not s.from_bot and s.installation_id is not None:
            # A person's new commits may apply review suggestions: examples to learn rules from.
            await self.learn_from_pr(s)
        proposal = await self.store.proposal_for_pr(s.repository, s.number)  # type: ignore[arg-type]
        if proposal is None or s.installation_id is None:
            return
        proposal = await self._read_reactions(s, proposal)
        at = self.clock()
        if (
            s.action == "closed"
            and s.merged
            and proposal.state != pr.MERGED
            and pr.can_advance(proposal, pr.MERGED)
        ):
            repo = await self.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
            await self._merged_by(
                repo,
                proposal,
                actor=s.actor,
                merge_sha=s.merge_commit_sha,
                delivery_id=s.delivery_id,
            )
        elif (
            s.action == "closed"
            and not s.merged
            and proposal.state not in (pr.CLOSED, pr.MERGED, pr.REVERTED)
        ):
            repo = await self.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
            await self._closed_by(
                repo, proposal, actor=s.actor, human=not s.from_bot, delivery_id=s.delivery_id
            )
        elif s.action == "synchronize" and not s.from_bot and s.after != proposal.head_sha:
            repo = await self.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
            if not proposal.human_pushed:
                await repo.client.comment(
                    s.number, f"{ex.marker(proposal.id)}\n" + ex.HUMAN_PUSH.format(actor=s.actor)
                )
            target = pr.TESTING if pr.can_advance(proposal, pr.TESTING) else proposal.state
            await self.store.save_proposal(
                pr.advance(
                    proposal,
                    target,
                    at=at,
                    reason=f"@{s.actor} pushed {(s.after or '')[:12]}",
                    human_pushed=True,
                    head_sha=s.after,
                ),
                message=f"@{s.actor} pushed to {proposal.branch}; I no longer rewrite it",
                delivery_id=s.delivery_id,
            )
        elif s.action == "reopened" and proposal.state == pr.CLOSED:
            await self.store.save_proposal(
                pr.advance(
                    proposal,
                    pr.PR_OPEN,
                    at=at,
                    reason=f"reopened by @{s.actor}",
                    head_sha=s.head_sha,
                ),
                message=f"#{s.number} reopened by @{s.actor}",
                delivery_id=s.delivery_id,
            )
        if s.action == "closed":
            # Room under max_open_prs, whoever closed or merged it (the bot itself included).
            await self._reconsider_held(s)

    async def _merged_by(
        self,
        repo: Repo,
        proposal: Proposal,
        *,
        actor: str | None,
        merge_sha: str | None,
        delivery_id: str | None,
    ) -> None:
        """Someone other than the loop merged the bot's PR."""
        merged = await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.MERGED,
                at=self.clock(),
                reason=f"merged by @{actor}",
                merge_sha=merge_sha,
            ),
            message=f"#{proposal.pr_number} merged by @{actor} as {(merge_sha or '')[:12]}",
            delivery_id=delivery_id,
            kind="outcome.merged",
        )
        if merged.merge_sha is not None:
            # The default branch's CI may have finished before the bot heard of the merge
            # (webhooks are not ordered; a missed one is redelivered late, or found by the
            # sweep); its check events found no proposal by merge sha then, so look now.
            await self.on_default_branch_ci(repo, merged, delivery_id=delivery_id)

    async def _closed_by(
        self,
        repo: Repo,
        proposal: Proposal,
        *,
        actor: str | None,
        human: bool,
        delivery_id: str | None,
    ) -> None:
        """Someone other than the loop closed the bot's PR unmerged: remembered by its key."""
        if proposal.branch and not proposal.human_pushed:
            await repo.client.delete_branch(proposal.branch)
        await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.CLOSED,
                at=self.clock(),
                reason=f"closed unmerged by @{actor}",
                spec={**proposal.spec, "closed_by_human": human},
            ),
            message=f"#{proposal.pr_number} closed unmerged by @{actor}; remembered by key {proposal.key}",
            delivery_id=delivery_id,
            kind="outcome.closed",
        )
        if proposal.kind == "revert" and (reverts := proposal.spec.get("reverts")):
            # The revert was turned down: the original change stays, and is not a failure.
            original = await self.store.proposal(reverts)
            if original is not None and original.state == pr.REVERTED:
                await self.store.save_proposal(
                    pr.advance(
                        original,
                        pr.MERGED,
                        at=self.clock(),
                        reason=REVERT_ABANDONED.format(number=proposal.pr_number, actor=actor),
                    ),
                    message=REVERT_ABANDONED.format(number=proposal.pr_number, actor=actor),
                    delivery_id=delivery_id,
                    kind="outcome.merged",
                )

    async def _reconsider_held(self, s: Signal) -> None:
        if s.installation_id is None or not await self.store.proposals(
            s.repository, states=[pr.HELD]
        ):
            return
        repo = await self.repo(s.repository, s.installation_id)  # type: ignore[arg-type]
        await self._reconsider_held_in(repo, delivery_id=s.delivery_id)

    async def _reconsider_held_in(self, repo: Repo, *, delivery_id: str | None) -> None:
        """A PR closed or merged: the oldest held proposal gets the room, if there is room."""
        held = await self.store.proposals(repo.full_name, states=[pr.HELD])
        if not held or repo.config_error is not None:
            return  # a broken config means "doing nothing in this repository until it is fixed"
        if await self.store.open_pr_count(repo.full_name) < repo.config.max_open_prs:
            await self.decide(repo, held[-1], delivery_id=delivery_id)

    # -- CI -----------------------------------------------------------------------------------

    async def on_check(self, s: CheckSignal) -> None:
        if s.installation_id is None or s.repository is None:
            return
        if s.source == "check_run" and s.name == OWN_CHECK:
            return
        testing = [
            p
            for p in await self.store.proposals(s.repository, head_sha=s.head_sha)
            if p.state in (pr.TESTING, pr.PR_OPEN, pr.UNTESTED, pr.PASSED)
        ]
        merged = await self.store.proposals(s.repository, merge_sha=s.head_sha)
        if not testing and not merged:
            return
        repo = await self.repo(s.repository, s.installation_id)
        for proposal in testing:
            await self.judge(repo, proposal, delivery_id=s.delivery_id)
        for proposal in merged:
            await self.on_default_branch_ci(repo, proposal, delivery_id=s.delivery_id)

    async def verdict_for(self, repo: Repo, sha: str, *, since: dt.datetime | None) -> Verdict:
        runs, status = await asyncio.gather(
            repo.client.check_runs(sha), repo.client.combined_status(sha)
        )
        statuses = [
            HeadStatus(context=st.context, state=st.state, description=st.description)
            for st in status.statuses
        ]
        waited = max(self.clock() - since, dt.timedelta(0)) if since else dt.timedelta(0)
        return judge(
            [_head_check(r) for r in runs],
            statuses,
            required_checks=repo.config.required_checks,
            since_push=waited,
            untested_after=dt.timedelta(minutes=repo.config.untested_after_minutes),
            own_check=OWN_CHECK,
        )

    async def judge(self, repo: Repo, proposal: Proposal, *, delivery_id: str | None) -> Proposal:
        """Read the PR head's checks and act: merge (full_auto), close as a regression, or wait."""
        assert proposal.head_sha is not None and proposal.pr_number is not None
        since = next(
            (
                step.at
                for step in reversed(proposal.history)
                if step.state in (pr.TESTING, pr.PR_OPEN)
            ),
            None,
        )
        verdict = await self.verdict_for(repo, proposal.head_sha, since=since)
        at = self.clock()
        if verdict.state == "pending":
            return proposal
        if proposal.state == pr.PR_OPEN:
            proposal = await self.store.save_proposal(
                pr.advance(proposal, pr.TESTING, at=at, reason="checks reported"),
                message="testing",
                delivery_id=delivery_id,
            )
        if verdict.state == "passed":
            if proposal.state != pr.PASSED:
                proposal = await self.store.save_proposal(
                    pr.advance(proposal, pr.PASSED, at=at, reason=verdict.describe()),
                    message=f"CI passed on {(proposal.head_sha or '')[:12]}: {verdict.describe()}",
                    delivery_id=delivery_id,
                    kind="outcome.ci_passed",
                )
            if proposal.auto_merge and not proposal.human_pushed:
                if repo.config_error is not None:
                    return await self._leave_to_people(
                        repo,
                        proposal,
                        comment=ex.CONFIG_INVALID.format(error=repo.config_error),
                        reason=f"not merging: {repo.config_error}",
                        delivery_id=delivery_id,
                    )
                return await self.merge(repo, proposal, delivery_id=delivery_id)
            return proposal
        if verdict.state == "failed":
            failures = [(c.name, c.summary) for c in verdict.failing]
            proposal = await self.store.save_proposal(
                pr.advance(proposal, pr.FAILED, at=at, reason=verdict.describe()),
                message=f"CI failed on {(proposal.head_sha or '')[:12]}: {verdict.describe()}",
                delivery_id=delivery_id,
                kind="outcome.ci_failed",
                data={"failing": [name for name, _ in failures]},
            )
            if proposal.human_pushed:
                return proposal  # the branch is a person's now; the verdict is theirs to act on
            fixed = await self.fix_on_branch(repo, proposal, failures, delivery_id=delivery_id)
            if fixed is not None:
                return fixed
            proposal = await self.store.proposal(proposal.id) or proposal
            return await self._close_pr(
                repo,
                proposal,
                reason=f"regression: {verdict.describe()}",
                comment=ex.CI_FAILED.format(checks=ex.failing_checks(failures), kind=proposal.kind),
                human=False,
                delivery_id=delivery_id,
            )
        if verdict.state == "untested" and proposal.state != pr.UNTESTED:
            assert proposal.pr_number is not None
            await repo.client.comment(
                proposal.pr_number,
                f"{ex.marker(proposal.id)}\n"
                + ex.UNTESTED.format(minutes=repo.config.untested_after_minutes),
            )
            return await self.store.save_proposal(
                pr.advance(proposal, pr.UNTESTED, at=at, reason=verdict.describe()),
                message=f"untested: {verdict.describe()}; never merged automatically",
                delivery_id=delivery_id,
            )
        return proposal

    async def merge(self, repo: Repo, proposal: Proposal, *, delivery_id: str | None) -> Proposal:
        assert proposal.pr_number is not None and proposal.head_sha is not None
        if repo.config.automerge:
            result = await repo.client.enable_auto_merge(proposal.pr_number, method=MERGE_METHOD)
            await self.store.record(
                "proposal.automerge",
                f"auto-merge on #{proposal.pr_number}: {result}",
                repository=repo.full_name,
                proposal_id=proposal.id,
                delivery_id=delivery_id,
            )
            if getattr(result, "enabled", False):
                return proposal
        merged = await repo.client.merge_pull_request(
            proposal.pr_number, sha=proposal.head_sha, method=MERGE_METHOD
        )
        merge_sha = merged.sha
        if not merged.merged:
            pull = await repo.client.get_pull_request(proposal.pr_number)
            if not pull.merged:
                # Not mergeable (a conflict with the default branch, branch protection, a head
                # that moved): no retry fixes that, so say so once and leave it to people.
                return await self._leave_to_people(
                    repo,
                    proposal,
                    comment=ex.MERGE_BLOCKED.format(error=merged.message),
                    reason=f"merge refused: {merged.message}",
                    delivery_id=delivery_id,
                )
            merge_sha = pull.merge_commit_sha  # an earlier attempt merged it, then stopped
        if proposal.branch:
            await repo.client.delete_branch(proposal.branch)
        return await self.store.save_proposal(
            pr.advance(
                proposal,
                pr.MERGED,
                at=self.clock(),
                reason="full_auto: checks passed and risk is low",
                merge_sha=merge_sha,
            ),
            message=f"merged #{proposal.pr_number} as {(merge_sha or '')[:12]} (full_auto)",
            delivery_id=delivery_id,
            kind="outcome.merged",
        )

    async def _leave_to_people(
        self, repo: Repo, proposal: Proposal, *, comment: str, reason: str, delivery_id: str | None
    ) -> Proposal:
        """Stop merging this PR automatically, and say why on it (once: auto_merge is off after)."""
        assert proposal.pr_number is not None
        await repo.client.comment(proposal.pr_number, f"{ex.marker(proposal.id)}\n{comment}")
        return await self.store.save_proposal(
            dataclasses.replace(proposal, auto_merge=False),
            message=f"left #{proposal.pr_number} to people: {reason}",
            kind="proposal.not_merged",
            delivery_id=delivery_id,
        )

    async def on_default_branch_ci(
        self, repo: Repo, proposal: Proposal, *, delivery_id: str | None
    ) -> None:
        """The default branch's CI on a commit that merged a bot PR: A/B figures, and revert on regression."""
        merge_sha = proposal.merge_sha
        assert merge_sha is not None
        after = await self.verdict_for(repo, merge_sha, since=None)
        if after.state == "pending":
            return
        commit = await repo.client.get_commit(merge_sha)
        parent = commit.parents[0] if commit.parents else None
        before = await self.verdict_for(repo, parent, since=None) if parent else None
        if not proposal.spec.get("ab_reported"):
            await self.report_ab(repo, proposal, parent=parent, delivery_id=delivery_id)
            proposal = await self.store.proposal(proposal.id) or proposal
        if after.state == "failed" and proposal.state == pr.MERGED:
            decision = should_revert(
                failed_sha=merge_sha,
                failed_checks=[c.name for c in after.failing],
                parent_sha=parent,
                parent_green=before is not None and before.state == "passed",
                merged=[proposal],
            )
            if decision is not None:
                await self.revert(repo, proposal, reason=decision.reason, delivery_id=delivery_id)

    async def report_ab(
        self, repo: Repo, proposal: Proposal, *, parent: str | None, delivery_id: str | None
    ) -> None:
        assert proposal.merge_sha is not None and proposal.pr_number is not None
        after_runs = await repo.client.check_runs(proposal.merge_sha)
        before_runs = await repo.client.check_runs(parent) if parent else []
        report = compare(
            [CheckOutcome.from_check(_head_check(r)) for r in _latest(before_runs)],
            [CheckOutcome.from_check(_head_check(r)) for r in _latest(after_runs)],
            exclude=(OWN_CHECK,),
        )
        await repo.client.comment(
            proposal.pr_number,
            f"{ex.marker(proposal.id)}\n**{AB_TITLE.format(branch=repo.default_branch)}**\n\n{report.to_markdown()}",
        )
        await self.store.save_proposal(
            dataclasses.replace(proposal, spec={**proposal.spec, "ab_reported": True}),
            message=f"A/B on {repo.default_branch}: {report.judgement}",
            kind="proposal.ab",
            delivery_id=delivery_id,
            data={"ab": report.to_dict()},
        )

    # -- revert -------------------------------------------------------------------------------

    async def revert(
        self,
        repo: Repo,
        original: Proposal,
        *,
        reason: str,
        delivery_id: str | None,
        asked: bool = False,
    ) -> Proposal | None:
        """Open "Revert …" for a merged bot PR; in full_auto it merges once its CI passes.

        `asked`: a person said `/evolve revert`. A revert skipped before (it conflicted) or
        closed unmerged is tried again on today's default branch, where the conflict may be gone;
        without a person asking, it stays as it is (the same CI failure is reported more than
        once).
        """
        assert original.pr_number is not None and original.merge_sha is not None
        spec = _revert_spec(original)
        key = pr.stable_key("revert", repo.full_name, spec)
        earlier = await self.store.proposals(repo.full_name, key=key)
        again = asked and bool(earlier) and earlier[0].state in (pr.SKIPPED, pr.CLOSED)
        if earlier and earlier[0].state != pr.PATCHING and not again:
            # Already reverting this merge (a duplicate or reordered delivery).
            if asked:
                under_way = earlier[0].pr_number
                by = ex.REVERTED_BY.format(number=under_way) if under_way else ""
                why = ex.REVERT_UNDER_WAY.format(number=original.pr_number, by=by)
                await self._nothing_to_revert(repo, original, why=why, delivery_id=delivery_id)
            return None
        if earlier and not again:
            # An earlier attempt stopped half-way (at-least-once): start its branch again.
            revert = earlier[0]
            branch = revert.branch or f"{repo.config.branch_prefix}{revert.id}"
            await repo.client.delete_branch(branch)
        else:
            revert = pr.new_proposal(
                kind="revert",
                repository=repo.full_name,
                installation_id=repo.installation_id,
                title=ex.REVERT_TITLE.format(title=original.title),
                rationale=reason,
                spec=spec,
                at=self.clock(),
                origin={"number": original.pr_number},
                suffix=len(earlier) + 1,
            )
            branch = f"{repo.config.branch_prefix}{revert.id}"
            confidence, evidence = self.confidence(
                repo, "revert", outcomes=await self.outcomes(repo)
            )
            revert = await self.store.save_proposal(
                pr.advance(
                    dataclasses.replace(
                        revert,
                        confidence=confidence,
                        evidence=evidence,
                        risk="low",
                        risk_score=0.0,
                        risk_reasons=("a revert returns to a commit whose CI was green",),
                    ),
                    pr.PATCHING,
                    at=self.clock(),
                    reason=reason,
                    branch=branch,
                    auto_merge=repo.config.mode == "full_auto",
                ),
                message=f"reverting #{original.pr_number}: {reason}",
                delivery_id=delivery_id,
            )
        try:
            outcome = await revert_pull_request(repo.client, original.pr_number, branch=branch)
        except RevertConflictError as exc:
            await repo.client.comment(
                original.pr_number,
                f"{ex.marker(revert.id)}\n"
                + ex.REVERT_CONFLICT.format(number=original.pr_number, report=exc.plan.report()),
            )
            await self.store.save_proposal(
                pr.advance(revert, pr.SKIPPED, at=self.clock(), reason=str(exc)),
                message=str(exc),
                delivery_id=delivery_id,
            )
            return None
        if outcome.branch is None:
            await self.store.save_proposal(
                pr.advance(revert, pr.SKIPPED, at=self.clock(), reason="already undone"),
                message="nothing left to revert",
                delivery_id=delivery_id,
            )
            if asked:
                why = ex.ALREADY_UNDONE.format(
                    branch=repo.default_branch, number=original.pr_number
                )
                await self._nothing_to_revert(repo, original, why=why, delivery_id=delivery_id)
            return None
        body = ex.revert_body(
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
            original.pr_number,
            f"{ex.marker(original.id)}\nOpened #{pull.number} to revert this: {reason}",
        )
        revert = await self.store.save_proposal(
            pr.advance(
                revert,
                pr.PR_OPEN,
                at=self.clock(),
                reason=f"opened #{pull.number}",
                pr_number=pull.number,
                head_sha=outcome.branch.sha,
                targets=tuple(sorted(outcome.plan.changes)),
            ),
            message=f"opened revert #{pull.number} of #{original.pr_number}",
            delivery_id=delivery_id,
        )
        revert = await self.store.save_proposal(
            pr.advance(revert, pr.TESTING, at=self.clock(), reason="waiting for CI"),
            message="testing the revert",
            delivery_id=delivery_id,
        )
        await self.store.save_proposal(
            pr.advance(original, pr.REVERTED, at=self.clock(), reason=reason),
            message=f"#{original.pr_number} is being reverted by #{pull.number}",
            delivery_id=delivery_id,
            kind="outcome.reverted",
        )
        return revert

    async def _reverted_by(self, repo: Repo, original: Proposal) -> str:
        """" by #N" for the newest pull request that reverts `original`; "" when none opened."""
        if original.merge_sha is None:
            return ""
        key = pr.stable_key("revert", repo.full_name, _revert_spec(original))
        for revert in await self.store.proposals(repo.full_name, key=key):
            if revert.pr_number is not None:
                return ex.REVERTED_BY.format(number=revert.pr_number)
        return ""

    async def _nothing_to_revert(
        self, repo: Repo, original: Proposal, *, why: str, delivery_id: str | None
    ) -> None:
        """Answer a `/evolve revert` that opens nothing on the PR, and keep the answer on record."""
        assert original.pr_number is not None
        text = ex.NOTHING_TO_REVERT.format(why=why)
        await repo.client.comment(original.pr_number, f"{ex.marker(original.id)}\n{text}")
        await self.store.record(
            "command.nothing_to_revert",
            text,
            delivery_id=delivery_id,
            repository=repo.full_name,
            proposal_id=original.id,
        )

    # -- installation -------------------------------------------------------------------------

    async def on_installation(self, s: InstallationSignal) -> None:
        if s.action not in ("created", "added") or s.installation_id is None:
            return
        for full_name in s.added:
            async with self.repo_lock(full_name):
                repo = await self.repo(full_name, s.installation_id)
                if repo.has_config:
                    continue
                await self.propose(
                    repo,
                    kind="onboarding",
                    spec={"config": CONFIG_PATH},
                    title="Configure evolve-bot",
                    rationale=f"@{s.actor} installed evolve-bot on {full_name}; until a config exists I only act on explicit commands.",
                    signals=(s.delivery_id,),
                )

    # -- reconciliation -----------------------------------------------------------------------

    async def sweep(self, *, limit: int = 50) -> int:
        """Reconcile open bot PRs, for deliveries that were missed; bounded per call.

        GitHub does not redeliver a failed delivery by itself, so a merge or close the bot never
        heard of would keep a proposal open for good (and its place under max_open_prs): each
        open proposal's PR is read, and those still waiting on CI are judged again.
        """
        waiting = await self.store.proposals(states=sorted(pr.OPEN_PR_STATES), limit=limit)
        for proposal in waiting:
            if proposal.installation_id is None or proposal.pr_number is None:
                continue
            try:
                async with self.repo_lock(proposal.repository):
                    # Read again under the lock: a delivery may have moved it on meanwhile.
                    current = await self.store.proposal(proposal.id)
                    if current is None or current.state not in pr.OPEN_PR_STATES:
                        continue
                    await self._reconcile(current)
            except (GitHubError, pr.InvalidTransition) as exc:
                log.warning("sweep could not reconcile %s: %s", proposal.id, exc)
        return len(waiting)

    async def _reconcile(self, proposal: Proposal) -> None:
        assert proposal.installation_id is not None and proposal.pr_number is not None
        repo = await self.repo(proposal.repository, proposal.installation_id)
        pull = await repo.client.get_pull_request(proposal.pr_number)
        if pull.state == "closed":
            # Not closed by the loop: that saves the state as it closes.
            if pull.merged:
                await self._merged_by(
                    repo, proposal, actor=None, merge_sha=pull.merge_commit_sha, delivery_id=None
                )
            else:
                await self._closed_by(repo, proposal, actor=None, human=True, delivery_id=None)
            await self._reconsider_held_in(repo, delivery_id=None)
        elif proposal.state in (pr.TESTING, pr.PR_OPEN):
            await self.judge(repo, proposal, delivery_id=None)


class RepoFiles:
    """The default branch's files, as a patch strategy reads them."""

    def __init__(self, client: RepoClient, ref: str) -> None:
        self.client = client
        self.ref = ref

    async def paths(self) -> list[str]:
        tree = await self.client.tree(self.ref)
        return sorted(tree.blobs())

    async def read(self, paths: list[str]) -> dict[str, str | None]:
        found = await self.client.read_files(paths, ref=self.ref)
        return {path: (f.text if f is not None else None) for path, f in found.items()}


def _retryable_skip(proposal: Proposal) -> bool:
    """A skip that was no person's "no" (nothing matched, a patch failed): asking again is fine."""
    return proposal.state == pr.SKIPPED and not proposal.spec.get("ignored")


def _revert_spec(original: Proposal) -> dict[str, Any]:
    """What identifies the revert of one merge: its proposal key is made from it."""
    return {"reverts": original.id, "pr": original.pr_number, "merge_sha": original.merge_sha}


def supersede_key(proposal: Proposal) -> str | None:
    """Proposals with the same supersede key replace each other: a newer one closes the older."""
    if proposal.kind == "rewrite":
        return f"rewrite:{proposal.spec.get('pattern')}:{proposal.spec.get('glob')}"
    if proposal.kind in ("playbook", "onboarding"):
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


def _head_check(run: CheckRun) -> HeadCheck:
    return HeadCheck(
        name=run.name,
        status=run.status,
        conclusion=run.conclusion,
        started_at=run.started_at,
        completed_at=run.completed_at,
        title=run.title,
        summary=run.summary,
        text=run.text,
        id=run.id,
        details_url=run.html_url,
    )


def _latest(runs: Sequence[CheckRun]) -> list[CheckRun]:
    """The newest run of each check name (re-runs leave the older ones listed)."""
    newest: dict[str, CheckRun] = {}
    for run in runs:
        if run.name not in newest or run.id > newest[run.name].id:
            newest[run.name] = run
    return list(newest.values())
