"""The loop's deciding core: what to do with a proposal, from plain values, with the notes to journal.

Like `gate.py`, nothing here does I/O: the loop reads the repository, the store and GitHub,
calls these functions, and performs what they return (the comments to write, the states to move
to, the journal entries to add). So every rule can be tested without a server.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import explanation, gate
from bot import proposals as lifecycle
from bot.confidence import Outcome
from bot.config import RepoConfig
from bot.playbook import Playbook, gate_hints
from bot.proposals import Kind, Proposal
from bot.suppression import Candidate, suppression_for
from bot.verdict import Verdict

ALREADY = "This change is already proposal `{id}` ({state}{pr})."
WAS_CLOSED = "`{id}` was {state} before ({reason}); say `/evolve retry` on #{number} to try again"
# Why the bot's own setup opens whatever the mode: said instead of the confidence it is not
# judged by (the PR body shows the real confidence once, and the repository's mode once).
EXEMPT_OPENS = "my own setup opens as a pull request in every mode, for you to review and merge"
PLAYBOOK_ASKS = "the playbook says: {reason}"
TOO_BIG = "the diff has {lines} lines, over max_diff_lines {maximum}"

# The config file itself lives under .github/, which path rules usually deny: the bot's own
# setup and its playbook are exempt from path rules, suppression and the mode.
EXEMPT_KINDS = frozenset({Kind.ONBOARDING, Kind.PLAYBOOK})

# GitHub refuses to let an App push a change to a file under .github/workflows/ unless its
# installation has `workflows: write`, and app.yml does not ask for it. The rule holds whatever
# the path rules say (`paths.deny: []` included) and for every kind: GitHub makes no exceptions.
WORKFLOWS_DIR = ".github/workflows/"


@dataclass(frozen=True, slots=True)
class Note:
    """One journal entry the core asks the loop to write."""

    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


# -- the gate, with everything it needs worked out -------------------------------------------


def exempt(kind: str) -> bool:
    return kind in EXEMPT_KINDS


def weighs_history(kind: str) -> bool:
    """Whether past outcomes and the playbook bear on `kind` (so the loop must read them)."""
    return not exempt(kind) and kind != Kind.REVERT


def unpushable_workflows(targets: Iterable[str], *, permissions: Mapping[str, str]) -> tuple[str, ...]:
    """The workflow files among `targets` that GitHub would refuse to let this installation push."""
    if permissions.get("workflows") in ("write", "admin"):
        return ()
    return tuple(path for path in targets if path.lstrip("/").startswith(WORKFLOWS_DIR))


def only_off_limits(paths: Iterable[str], *, config: RepoConfig) -> tuple[str, ...]:
    """The paths, sorted, when every one is off limits by the path rules; else ().

    A learned rule whose matches are all off limits has nothing to propose: proposing it would
    only be skipped, and again on every learning event.
    """
    found = sorted(set(paths))
    return tuple(found) if found and not any(config.path_allowed(p) for p in found) else ()


def lifted_by_retry(proposals: Iterable[Proposal]) -> frozenset[str]:
    """The keys a person took back a "no" for with `/evolve retry`: suppression spares them."""
    return frozenset(p.key for p in proposals if p.retried)


@dataclass(frozen=True, slots=True)
class Decided:
    """The gate's decision for a patched proposal, its confidence after the playbook, and the
    journal entries to write (in order)."""

    decision: gate.Decision
    confidence: float
    notes: tuple[Note, ...]


def decide(
    proposal: Proposal,
    *,
    config: RepoConfig,
    diff_lines: int,
    approved_by: str | None,
    open_prs: int,
    outcomes: Sequence[Outcome] = (),
    lifted: Collection[str] = frozenset(),
    playbook: Playbook | None = None,
    permissions: Mapping[str, str] | None = None,
) -> Decided:
    """Decide for a patched, assessed proposal (its targets, risk and confidence are set).

    Path rules deny first, then workflow files the installation may not push (`permissions`
    are its token's; None: not known, taken as app.yml's, which has no `workflows`); past "no"s (suppression) and the playbook's firm lessons make the
    gate ask; the playbook's weaker lessons move the confidence. A suppressed change the bot
    thought of itself is dropped; one a person asked for (or approved) is asked about.
    """
    is_exempt = exempt(proposal.kind)
    denied = () if is_exempt else tuple(p for p in proposal.targets if not config.path_allowed(p))
    confidence = proposal.confidence
    notes: list[Note] = []
    force_ask = None
    if weighs_history(proposal.kind):
        no = suppression_for(Candidate.of(proposal), outcomes=outcomes, lifted_by_retry=lifted)
        if no is not None:
            notes.append(Note("proposal.suppressed", no.reason, {"key": no.key, "evidence": list(no.evidence)}))
            force_ask = no.reason  # it says how to lift it: `/evolve retry`
        hints = gate_hints(playbook or Playbook(), kind=proposal.kind, paths=proposal.targets)
        for hint in hints:
            if hint.force_ask and force_ask is None:
                force_ask = PLAYBOOK_ASKS.format(reason=hint.reason)
        delta = sum(h.confidence_delta for h in hints)
        if delta:
            confidence = max(0.0, min(1.0, confidence + delta))
    suppressed = None
    if force_ask is not None and not proposal.origin.get("actor") and approved_by is None:
        suppressed, force_ask = force_ask, None
    if diff_lines > config.max_diff_lines:
        suppressed = TOO_BIG.format(lines=diff_lines, maximum=config.max_diff_lines)
    decision = gate.decide(
        mode="confidence" if is_exempt else config.mode,
        confidence=1.0 if is_exempt else confidence,
        threshold=config.confidence_threshold,
        risk=proposal.risk,
        open_prs=open_prs,
        max_open_prs=config.max_open_prs,
        approved=approved_by is not None,
        denied_paths=denied,
        workflow_paths=unpushable_workflows(proposal.targets, permissions=permissions or {}),
        suppressed=suppressed,
        force_ask=force_ask,
    )
    if is_exempt and decision.action == gate.OPEN_PR:
        decision = gate.Decision(gate.OPEN_PR, EXEMPT_OPENS)
    notes.append(
        Note(
            "gate.decided",
            f"{decision.action}: {decision.reason}",
            {"action": decision.action, "confidence": confidence, "risk": proposal.risk, "approved_by": approved_by},
        )
    )
    return Decided(decision, confidence, tuple(notes))


def opens_pr(decision: gate.Decision) -> bool:
    return decision.action in (gate.OPEN_PR, gate.OPEN_AND_MERGE)


def waiting_state(decision: gate.Decision) -> tuple[str, str]:
    """For a decision that opens no PR: the state the proposal waits in, and the comment's footer."""
    return {
        gate.SUGGEST: (lifecycle.SUGGESTED, explanation.SUGGEST_FOOTER),
        gate.ASK: (lifecycle.ASKED, explanation.ASK_FOOTER),
        gate.HOLD: (lifecycle.HELD, explanation.HELD.format(reason=decision.reason)),
        gate.REFUSE: (lifecycle.SKIPPED, explanation.REFUSED.format(reason=decision.reason)),
    }[decision.action]


# -- the same change proposed again ----------------------------------------------------------

RESUME = "resume"  # an earlier attempt stopped half-way (at-least-once): decide it again
REFUSE = "refuse"  # a person said no (closed it, ignored it): only /evolve retry brings it back
ALREADY_THERE = "already"  # it is under way: point at it
NEW = "new"  # never proposed, or finished: a new proposal (`suffix` > 1 for a repeat)


@dataclass(frozen=True, slots=True)
class Repeat:
    """What proposing a change again does: `action`, the comment to write on the origin (if
    any), the journal entries, and the suffix of a new proposal's id."""

    action: str
    comment: str | None = None
    notes: tuple[Note, ...] = ()
    suffix: int = 1


def retryable_skip(proposal: Proposal) -> bool:
    """A skip that was no person's "no" (nothing matched, a patch failed): asking again is fine."""
    return proposal.state == lifecycle.SKIPPED and not proposal.ignored


def repeat(previous: Sequence[Proposal], *, number: int | None) -> Repeat:
    """What to do about a change whose earlier proposals (newest first) are `previous`;
    `number` is the issue or PR it was asked on, if any."""
    if not previous:
        return Repeat(NEW)
    last = previous[0]
    if last.state in (lifecycle.PROPOSED, lifecycle.PATCHING):
        return Repeat(RESUME)
    if last.state in (lifecycle.MERGED, lifecycle.REVERTED) or retryable_skip(last):
        return Repeat(NEW, suffix=len(previous) + 1)
    if last.state in (lifecycle.CLOSED, lifecycle.SKIPPED):
        reason = WAS_CLOSED.format(
            id=last.id, state=last.state, reason=last.history[-1].reason, number=last.pr_number or number
        )
        return Repeat(
            REFUSE,
            comment=explanation.REFUSED.format(reason=reason) if number is not None else None,
            notes=(Note("proposal.suppressed", reason, {"key": last.key}),),
        )
    already = ALREADY.format(
        id=last.id, state=last.state.replace("_", " "), pr=f", #{last.pr_number}" if last.pr_number else ""
    )
    return Repeat(ALREADY_THERE, comment=already if number is not None else None)


def repeat_revert(earlier: Sequence[Proposal], *, asked: bool) -> Repeat:
    """Reverting a merge again. A revert skipped before (it conflicted) or closed unmerged is
    tried again when a person asks (the conflict may be gone); otherwise one under way stays."""
    again = asked and bool(earlier) and earlier[0].state in (lifecycle.SKIPPED, lifecycle.CLOSED)
    if earlier and earlier[0].state != lifecycle.PATCHING and not again:
        return Repeat(ALREADY_THERE)  # a duplicate or reordered delivery
    if earlier and not again:
        return Repeat(RESUME)
    return Repeat(NEW, suffix=len(earlier) + 1)


# -- a CI verdict on the PR's head -----------------------------------------------------------

WAIT = "wait"  # nothing (more) to do until the next check event
MERGE = "merge"
LEAVE_TO_PEOPLE = "leave_to_people"  # would merge, but the config is broken
FIX_OR_CLOSE = "fix_or_close"  # failed: one model fix on the branch, else close as a regression
MARK_UNTESTED = "mark_untested"  # nothing reported in time: say so, and `last` moves it


@dataclass(frozen=True, slots=True)
class Move:
    """One state change for the loop to make: saved and journaled as one step."""

    to: str
    reason: str
    message: str
    kind: str | None = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AfterVerdict:
    """The moves to make at once, then what to do, then (for `MARK_UNTESTED`) the last move."""

    moves: tuple[Move, ...] = ()
    then: str = WAIT
    last: Move | None = None


def after_verdict(proposal: Proposal, verdict: Verdict, *, config_valid: bool, base_failing: bool = False) -> AfterVerdict:
    """A bot PR's next state from its head's verdict: merged only in full_auto (auto_merge set),
    never once a person pushed to it; a failure is the bot's to fix or close, unless a person
    pushed (then the verdict is theirs to act on). A failure while the PR's base was failing CI
    already (`base_failing`) says so: it is the base's, not the proposal's."""
    if verdict.state == "pending":
        return AfterVerdict()
    moves: list[Move] = []
    state = proposal.state
    if state == lifecycle.PR_OPEN:
        moves.append(Move(lifecycle.TESTING, "checks reported", "testing"))
        state = lifecycle.TESTING
    sha = (proposal.head_sha or "")[:12]
    if verdict.state == "passed":
        if state != lifecycle.PASSED:
            moves.append(
                Move(lifecycle.PASSED, verdict.describe(), f"CI passed on {sha}: {verdict.describe()}", "outcome.ci_passed")
            )
        if proposal.auto_merge and not proposal.human_pushed:
            return AfterVerdict(tuple(moves), MERGE if config_valid else LEAVE_TO_PEOPLE)
        return AfterVerdict(tuple(moves))
    if verdict.state == "failed":
        why = f"{verdict.describe()}; {lifecycle.BASE_WAS_FAILING}" if base_failing else verdict.describe()
        data: dict[str, Any] = {"failing": [c.name for c in verdict.failing]}
        if base_failing:
            data["base_failing"] = True
        moves.append(Move(lifecycle.FAILED, why, f"CI failed on {sha}: {why}", "outcome.ci_failed", data))
        return AfterVerdict(tuple(moves), WAIT if proposal.human_pushed else FIX_OR_CLOSE)
    if verdict.state == "untested" and state != lifecycle.UNTESTED:
        last = Move(
            lifecycle.UNTESTED, verdict.describe(), f"untested: {verdict.describe()}; never merged automatically"
        )
        return AfterVerdict(tuple(moves), MARK_UNTESTED, last)
    return AfterVerdict(tuple(moves))


# -- what a person did to the bot's pull request ---------------------------------------------

MERGED_BY_PERSON = "merged_by"  # merged by someone other than the loop
CLOSED_BY_PERSON = "closed_by"  # closed unmerged by someone other than the loop
PUSHED_BY_PERSON = "pushed"  # a person's commits: the branch is theirs from now on
REOPENED = "reopened"


def pull_request_event(
    proposal: Proposal, *, action: str, merged: bool, from_bot: bool, after: str | None
) -> str | None:
    """What a pull_request event on the bot's PR means for its proposal; None: nothing.

    Events arrive late, twice, or out of order, so each is read against where the proposal
    already stands: a merge or close the loop made itself is already saved.
    """
    state = proposal.state
    if action == "closed" and merged:
        if state != lifecycle.MERGED and lifecycle.can_advance(proposal, lifecycle.MERGED):
            return MERGED_BY_PERSON
        return None
    if action == "closed":
        return CLOSED_BY_PERSON if state not in (lifecycle.CLOSED, lifecycle.MERGED, lifecycle.REVERTED) else None
    if action == "synchronize" and not from_bot and after != proposal.head_sha:
        return PUSHED_BY_PERSON
    if action == "reopened" and state == lifecycle.CLOSED:
        return REOPENED
    return None


def after_push(proposal: Proposal) -> str:
    """A person pushed: the PR is tested again when it can be; else it stays where it is."""
    return lifecycle.TESTING if lifecycle.can_advance(proposal, lifecycle.TESTING) else proposal.state
