"""Proposals and their state machine: what the bot wants to change, and every state it went through."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The kinds of change the loop knows how to patch.

    A `StrEnum`, so a kind is stored, compared and written as the same string as before; a
    stored proposal of a kind this version does not know still loads (its `kind` is a str).
    """

    REWRITE = "rewrite"
    INSTRUCTION = "instruction"
    LEARNED_RULE = "learned_rule"
    REVERT = "revert"
    PLAYBOOK = "playbook"
    ONBOARDING = "onboarding"


KINDS = tuple(Kind)

PROPOSED = "proposed"
SUGGESTED = "suggested"  # suggest_only: commented with a preview, nothing more unless applied
ASKED = "asked"  # ask_before (or below threshold): waiting for `/evolve apply`
SKIPPED = "skipped"  # ignored by a person, or nothing to change
HELD = "held"  # waiting for room under max_open_prs
PATCHING = "patching"
PR_OPEN = "pr_open"
TESTING = "testing"
PASSED = "passed"
FAILED = "failed"
UNTESTED = "untested"
MERGED = "merged"
CLOSED = "closed"
REVERTED = "reverted"

# Said in a FAILED step's reason when the PR's base was failing its CI already: the failure is
# the base's, and counts against no proposal kind (see confidence.outcome_of).
BASE_WAS_FAILING = "its base was failing CI already"

STATES = (
    PROPOSED, SUGGESTED, ASKED, SKIPPED, HELD, PATCHING, PR_OPEN, TESTING,
    PASSED, FAILED, UNTESTED, MERGED, CLOSED, REVERTED,
)  # fmt: skip

# Where each state may go next. Closing is possible from every open state (a person closes the
# PR, or a newer proposal supersedes it); `retry` reopens a closed or skipped one. A suggestion
# approved with `/evolve apply` may have to wait for room (held), and a held one is decided
# again when room comes, in whatever the mode says then. A passed head can still fail: a
# check that reports late (a second CI, a status) or a re-run that fails.
TRANSITIONS: dict[str, frozenset[str]] = {
    PROPOSED: frozenset({SUGGESTED, ASKED, SKIPPED, HELD, PATCHING, CLOSED}),
    SUGGESTED: frozenset({PATCHING, SKIPPED, HELD, CLOSED}),
    ASKED: frozenset({PATCHING, SKIPPED, HELD, CLOSED}),
    HELD: frozenset({PATCHING, SUGGESTED, ASKED, SKIPPED, CLOSED}),
    SKIPPED: frozenset({PROPOSED}),
    PATCHING: frozenset({PR_OPEN, SKIPPED, FAILED, CLOSED}),
    PR_OPEN: frozenset({TESTING, MERGED, CLOSED}),
    TESTING: frozenset({PASSED, FAILED, UNTESTED, MERGED, CLOSED}),
    PASSED: frozenset({MERGED, TESTING, FAILED, CLOSED}),
    FAILED: frozenset({TESTING, PATCHING, CLOSED, MERGED}),
    UNTESTED: frozenset({TESTING, PASSED, FAILED, MERGED, CLOSED}),
    MERGED: frozenset({REVERTED}),
    CLOSED: frozenset({PROPOSED, PR_OPEN}),
    REVERTED: frozenset({MERGED}),  # its revert PR was closed unmerged: the change stays
}

OPEN_PR_STATES = frozenset({PR_OPEN, TESTING, PASSED, FAILED, UNTESTED})
FINAL_STATES = frozenset({MERGED, CLOSED, REVERTED, SKIPPED})


class InvalidTransition(ValueError):
    """A proposal was asked to move to a state it cannot reach from where it is."""


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a proposal's history."""

    state: str
    at: dt.datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a confidence rests on: the prior's source and the outcomes seen so far."""

    source: str  # e.g. "prior for rewrite from .github/evolve.yml", later "learner"
    n: int = 0
    successes: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A change the bot proposes, with why, how sure it is, how risky, and where it stands."""

    id: str
    key: str  # stable across retries: the same change asked again has the same key
    repository: str
    installation_id: int | None
    kind: str  # a Kind, or a kind this version does not know
    title: str
    rationale: str
    spec: dict[str, Any]  # what the patch strategy needs (pattern/fix/glob, instruction, …)
    signals: tuple[str, ...] = ()  # delivery ids (and links) of the signals it came from
    targets: tuple[str, ...] = ()  # files it changes (known once patched)
    confidence: float = 0.0
    evidence: Evidence = field(default_factory=lambda: Evidence(source="none"))
    risk: str = "unknown"  # low | medium | high
    risk_score: float = 0.0
    risk_reasons: tuple[str, ...] = ()
    origin: dict[str, Any] = field(default_factory=dict)  # {"number": 12, "comment_id": 3, "actor": "alice"}
    state: str = PROPOSED
    history: tuple[Step, ...] = ()
    branch: str | None = None
    pr_number: int | None = None
    head_sha: str | None = None
    base_sha: str | None = None
    merge_sha: str | None = None
    human_pushed: bool = False
    auto_merge: bool = False  # the gate said open_and_merge: merge once the checks pass
    attempts: int = 0
    # Lifecycle flags. Stored inside `spec` under their own names (see LIFECYCLE_FLAGS), as they
    # always were, so stored proposals need no migration.
    thumbs_up: int = 0  # 👍 on the bot's PR when last read (GitHub sends no reaction webhooks)
    thumbs_down: int = 0
    retried: int = 0  # the attempt a person's `/evolve retry` started (0: never retried)
    ignored: bool = False  # a person said `/evolve ignore`
    ci_fix_tried: bool = False  # the model had its one try at fixing failing CI on the branch
    approved_by: str | None = None  # who said `/evolve apply` (a held proposal must not ask again)
    ab_reported: bool = False  # the before/after report on the default branch is written
    closed_by_human: bool | None = None  # None: closed by no one the bot knows of
    # The store's revision of this record (0 = never saved); a save based on an older one fails.
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_PR_STATES

    def to_dict(self) -> dict[str, Any]:
        """The stored form: lifecycle flags that are set go inside `spec`, under their names."""
        data = dataclasses.asdict(self)
        data["history"] = [{"state": s.state, "at": s.at.isoformat(), "reason": s.reason} for s in self.history]
        flags = {name: data.pop(name) for name in LIFECYCLE_FLAGS}
        data["spec"] = {**data["spec"], **{k: v for k, v in flags.items() if v != _FLAG_DEFAULTS[k]}}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Proposal:
        values = dict(data)
        spec = dict(values.get("spec") or {})
        for name in LIFECYCLE_FLAGS:
            if name in spec:
                values[name] = spec.pop(name)
        values["spec"] = spec
        values["history"] = tuple(
            Step(state=s["state"], at=dt.datetime.fromisoformat(s["at"]), reason=s["reason"]) for s in values.get("history", ())
        )
        values["evidence"] = Evidence(**values.get("evidence") or {"source": "none"})
        for name in ("signals", "targets", "risk_reasons"):
            values[name] = tuple(values.get(name) or ())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


LIFECYCLE_FLAGS = (
    "thumbs_up", "thumbs_down", "retried", "ignored", "ci_fix_tried", "approved_by", "ab_reported", "closed_by_human",
)  # fmt: skip
_FLAG_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Proposal) if f.name in LIFECYCLE_FLAGS}


def stable_key(kind: str, repository: str, spec: dict[str, Any]) -> str:
    """The same change to the same repository always gets the same key."""
    canonical = json.dumps({"kind": kind, "repository": repository.lower(), "spec": spec}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def new_proposal(
    *,
    kind: str,
    repository: str,
    installation_id: int | None,
    title: str,
    rationale: str,
    spec: dict[str, Any],
    at: dt.datetime,
    signals: tuple[str, ...] = (),
    origin: dict[str, Any] | None = None,
    suffix: int = 1,
) -> Proposal:
    """A fresh proposal in state `proposed`; `suffix` > 1 for a repeat of a finished change."""
    key = stable_key(kind, repository, spec)
    ident = f"{kind.replace('_', '-')}-{key[:8]}" + (f"-{suffix}" if suffix > 1 else "")
    return Proposal(
        id=ident,
        key=key,
        repository=repository,
        installation_id=installation_id,
        kind=kind,
        title=title,
        rationale=rationale,
        spec=spec,
        signals=signals,
        origin=origin or {},
        history=(Step(state=PROPOSED, at=at, reason=rationale),),
    )


def advance(proposal: Proposal, to: str, *, at: dt.datetime, reason: str, **changes: Any) -> Proposal:
    """The proposal in state `to`, with the step in its history and any field `changes`."""
    if to not in STATES:
        raise InvalidTransition(f"{to!r} is not a proposal state")
    if to != proposal.state and to not in TRANSITIONS[proposal.state]:
        raise InvalidTransition(f"proposal {proposal.id} cannot go from {proposal.state} to {to} ({reason})")
    return dataclasses.replace(
        proposal, state=to, history=(*proposal.history, Step(state=to, at=at, reason=reason)), **changes
    )


def can_advance(proposal: Proposal, to: str) -> bool:
    return to == proposal.state or to in TRANSITIONS.get(proposal.state, frozenset())
