"""Confidence learned from outcomes: what became of each proposal, Beta posteriors, and calibration.

Pure: proposals, outcomes and priors go in, numbers and tables come out.

* `outcome_of` reads a finished proposal's history: merged and not reverted within
  `learn.settle_days` is a success; closed unmerged (or ignored), reverted, closed after CI failed,
  or more 👎 than 👍 on the bot's comment is a failure. A proposal still open or still settling,
  or closed by the bot itself because a newer one superseded it, has no outcome yet (None).
* A kind's confidence is the mean of its Beta posterior: the configured prior plus the outcomes
  of that kind in the repository. A learned rule starts from its kind's posterior (the prior plus
  the outcomes of the kind's *other* rules, weighted no more than the prior itself, so a rule's
  own record is not drowned by its siblings) and adds its own outcomes.
* Calibration compares what the bot said (the confidence it stated) with what happened: the
  Brier score, a reliability table and acceptance per kind, as `evolve-bot stats` prints them.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot import proposals as lifecycle
from bot.proposals import Evidence, Proposal, Step

# Outcome reasons: short enough for a table cell, specific enough for the Reflector to count.
MERGED = "merged and not reverted"
CLOSED_UNMERGED = "closed unmerged"
IGNORED = "ignored with /evolve ignore"
REVERTED = "reverted"
CI_FAILED = "failed CI"
THUMBS_DOWN = "more 👎 than 👍 on the bot's comment"
REASONS = (MERGED, CLOSED_UNMERGED, IGNORED, REVERTED, CI_FAILED, THUMBS_DOWN)
# A person said no. A CI failure is the patch being broken, not the change being unwanted.
PEOPLE_SAID_NO = frozenset({CLOSED_UNMERGED, IGNORED, REVERTED, THUMBS_DOWN})

# Rules needed to tell how much rules here differ, and the least weight siblings keep.
MIN_RULES_FOR_SPREAD = 3
MIN_SIBLING_WEIGHT = 1.0
KIND_SOURCE = "learner: Beta({alpha:g}, {beta:g}) prior for {kind}, updated by outcomes here"
RULE_SOURCE = (
    "learner: rule {rule_id}, starting from the {kind} posterior (the Beta({alpha:g}, {beta:g}) "
    "prior and {others} outcome{s} of other {kind} rules here)"
)

NAIVE_TIME = "{name} must be timezone-aware, got {value!r}"
BAD_PROBABILITY = "{name} must be a number from 0 to 1, got {value!r}"
BAD_OUTCOME_FLAG = "an outcome must be True (success) or False (failure), got {value!r}"
BAD_COUNT = "{name} must be a whole number ≥ 0, got {value!r}"
BAD_BETA = "Beta parameters must be finite and > 0, got alpha={alpha!r}, beta={beta!r}"
BAD_TALLY = "a posterior needs 0 ≤ successes ≤ n, got n={n!r}, successes={successes!r}"
BAD_BINS = "bins must be a whole number ≥ 1, got {value!r}"
NO_PAIRS = "the Brier score of no predictions is undefined; pass at least one (predicted, outcome)"
MIXED_REPOSITORIES = (
    "outcomes of {kind} come from several repositories ({repositories}); "
    "pass repository= to say whose confidence this is"
)

NO_OUTCOMES_YET = "No settled outcomes yet{where}."
STATS_HEADLINE = "Outcomes{where}: {n} ({successes} succeeded, {rate:.0%})"
BRIER_LINE = "Brier score: {brier:.3f} (0 is perfect; always saying 0.5 scores 0.250)"
FAILURES_LINE = "Failures: {parts}"


class BetaLike(Protocol):
    """Anything with Beta parameters: `config.BetaPrior`, or a `Posterior`."""

    @property
    def alpha(self) -> float: ...

    @property
    def beta(self) -> float: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What became of one proposal: success or failure, when it became final, and why."""

    proposal_id: str
    repository: str
    kind: str
    rule_id: str | None
    paths: tuple[str, ...]
    predicted: float  # the confidence the bot stated when it decided
    success: bool
    at: dt.datetime  # when the outcome became final
    reason: str  # one of REASONS

    def __post_init__(self) -> None:
        _check_probability("predicted", self.predicted)
        _check_aware("at", self.at)
        if not isinstance(self.success, bool):
            raise TypeError(BAD_OUTCOME_FLAG.format(value=self.success))
        if isinstance(self.paths, str) or not isinstance(self.paths, tuple):
            # A bare string would be read as a tuple of one-letter paths.
            raise TypeError(f"paths must be a tuple of paths, got {self.paths!r}")

    @property
    def people_said_no(self) -> bool:
        return not self.success and self.reason in PEOPLE_SAID_NO


def rule_id_of(proposal: Proposal) -> str | None:
    """The learned rule a proposal applies, if it applies one (`spec["rule_id"]`)."""
    rule = proposal.spec.get("rule_id")
    return rule if isinstance(rule, str) and rule else None


def outcome_of(
    proposal: Proposal,
    *,
    now: dt.datetime,
    settle_days: int,
    thumbs_down: int = 0,
    thumbs_up: int = 0,
) -> Outcome | None:
    """The outcome of `proposal` as of `now`, or None while it is open, settling or was superseded.

    `thumbs_down`/`thumbs_up` count the 👎/👍 reactions on the bot's comment about the proposal.
    A revert, a close or an ignore decides first; then more 👎 than 👍; then a merge that has
    stood for `settle_days`.
    """
    _check_aware("now", now)
    for name, count in (
        ("settle_days", settle_days),
        ("thumbs_down", thumbs_down),
        ("thumbs_up", thumbs_up),
    ):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(BAD_COUNT.format(name=name, value=count))

    def outcome(success: bool, at: dt.datetime, reason: str) -> Outcome:
        return Outcome(
            proposal_id=proposal.id,
            repository=proposal.repository,
            kind=proposal.kind,
            rule_id=rule_id_of(proposal),
            paths=tuple(proposal.targets),
            predicted=proposal.confidence,
            success=success,
            at=at,
            reason=reason,
        )

    last_at = proposal.history[-1].at if proposal.history else now
    if proposal.state == lifecycle.REVERTED:
        return outcome(False, _last_step_at(proposal, lifecycle.REVERTED) or last_at, REVERTED)
    if proposal.state == lifecycle.CLOSED:
        closed_at = _last_step_at(proposal, lifecycle.CLOSED) or last_at
        if failed := _closed_after_ci_failed(proposal):
            if lifecycle.BASE_WAS_FAILING in failed.reason:
                return None  # the base was broken already: no fault of this proposal's kind
            return outcome(False, closed_at, CI_FAILED)
        # The bot closes its own PR when a newer proposal supersedes it: nobody said no.
        if proposal.closed_by_human is not False:
            return outcome(False, closed_at, CLOSED_UNMERGED)
    if proposal.state == lifecycle.SKIPPED and proposal.ignored:
        return outcome(False, _last_step_at(proposal, lifecycle.SKIPPED) or last_at, IGNORED)
    if thumbs_down > thumbs_up:
        # Reactions carry no time here; the last step keeps the answer the same on every call.
        return outcome(False, last_at, THUMBS_DOWN)
    if proposal.state == lifecycle.MERGED:
        merged_at = _last_step_at(proposal, lifecycle.MERGED) or last_at
        settled_at = merged_at + dt.timedelta(days=settle_days)
        if now >= settled_at:
            return outcome(True, settled_at, MERGED)
    return None


def _last_step_at(proposal: Proposal, state: str) -> dt.datetime | None:
    return next((s.at for s in reversed(proposal.history) if s.state == state), None)


def _closed_after_ci_failed(proposal: Proposal) -> Step | None:
    """The failing verdict that was the last before the (last) close, if it was one."""
    steps = list(proposal.history)
    close = max((i for i, s in enumerate(steps) if s.state == lifecycle.CLOSED), default=len(steps))
    verdicts = (lifecycle.PASSED, lifecycle.FAILED, lifecycle.UNTESTED)
    for step in reversed(steps[:close]):
        if step.state in verdicts:
            return step if step.state == lifecycle.FAILED else None
        if step.state == lifecycle.PR_OPEN:
            return None  # the verdicts before that belong to an earlier head
    return None


@dataclass(frozen=True, slots=True)
class Posterior:
    """A Beta(alpha, beta) belief that a proposal succeeds, and the outcomes counted into it."""

    alpha: float
    beta: float
    n: int = 0
    successes: int = 0

    def __post_init__(self) -> None:
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for v in (self.alpha, self.beta)
        ):
            raise ValueError(BAD_BETA.format(alpha=self.alpha, beta=self.beta))
        if not (0 <= self.successes <= self.n):
            raise ValueError(BAD_TALLY.format(n=self.n, successes=self.successes))

    @classmethod
    def from_prior(cls, prior: BetaLike) -> Posterior:
        return cls(float(prior.alpha), float(prior.beta))

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def failures(self) -> int:
        return self.n - self.successes

    def update(self, success: bool) -> Posterior:
        """The posterior after one more outcome."""
        if not isinstance(success, bool):
            raise TypeError(BAD_OUTCOME_FLAG.format(value=success))
        return Posterior(
            self.alpha + success,
            self.beta + (not success),
            self.n + 1,
            self.successes + success,
        )

    def updated(self, successes: Iterable[bool]) -> Posterior:
        posterior = self
        for success in successes:
            posterior = posterior.update(success)
        return posterior


def between_rules_weight(outcomes: Iterable[Outcome], *, mean: float) -> float | None:
    """How many outcomes' worth a typical rule's record is for a new rule: the Beta concentration
    that the spread between rules' acceptance rates implies (method of moments); None when that
    spread cannot be told from noise, or fewer than MIN_RULES_FOR_SPREAD rules have outcomes.

    When some rules here are always merged and others always closed, the siblings' mean says
    little about the next rule, and its own first outcomes should count for more.
    """
    tally: dict[str, list[int]] = {}
    for o in outcomes:
        if o.rule_id is not None:
            counts = tally.setdefault(o.rule_id, [0, 0])
            counts[0] += 1
            counts[1] += o.success
    if len(tally) < MIN_RULES_FOR_SPREAD or not 0 < mean < 1:
        return None
    rates = [s / n for n, s in tally.values()]
    noise = statistics.fmean(mean * (1 - mean) / n for n, _ in tally.values())
    spread = statistics.pvariance(rates) - noise
    if spread <= 0:
        return None
    return max(MIN_SIBLING_WEIGHT, mean * (1 - mean) / spread - 1)


def confidence_for(
    kind: str,
    rule_id: str | None,
    *,
    prior: BetaLike,
    outcomes: Iterable[Outcome],
    repository: str | None = None,
) -> tuple[float, Evidence]:
    """The confidence for a new proposal of `kind` (applying learned rule `rule_id`, if any).

    `outcomes` may hold any repository's and kind's; those of another kind (or of another
    `repository`, when given) are left out. Without `repository`, the outcomes of `kind` must all
    come from one repository: a posterior mixes no two repositories' reviewers.
    """
    mine = [
        o for o in outcomes if o.kind == kind and (repository is None or o.repository == repository)
    ]
    repositories = sorted({o.repository for o in mine})
    if len(repositories) > 1:
        raise ValueError(MIXED_REPOSITORIES.format(kind=kind, repositories=", ".join(repositories)))
    start = Posterior.from_prior(prior)
    if rule_id is None:
        posterior = start.updated(o.success for o in mine)
        source = KIND_SOURCE.format(alpha=start.alpha, beta=start.beta, kind=kind)
        return posterior.mean, Evidence(source=source, n=posterior.n, successes=posterior.successes)
    siblings = [o for o in mine if o.rule_id != rule_id]
    others = start.updated(o.success for o in siblings)
    # Sibling rules say what a typical rule of this kind does here, but one rule's own record
    # must be able to move its confidence: their weight is capped at the prior's own, and lower
    # still when the siblings' own records show that rules here differ (`between_rules_weight`).
    weight = min(start.alpha + start.beta, others.alpha + others.beta)
    if (spread := between_rules_weight(siblings, mean=others.mean)) is not None:
        weight = min(weight, spread)
    rule_start = Posterior(others.mean * weight, (1 - others.mean) * weight)
    posterior = rule_start.updated(o.success for o in mine if o.rule_id == rule_id)
    source = RULE_SOURCE.format(
        rule_id=rule_id,
        kind=kind,
        alpha=start.alpha,
        beta=start.beta,
        others=others.n,
        s="" if others.n == 1 else "s",
    )
    return posterior.mean, Evidence(source=source, n=posterior.n, successes=posterior.successes)


# -- calibration ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """Predictions whose stated confidence fell in [low, high): what they said and what happened."""

    low: float
    high: float
    mean_predicted: float
    observed_rate: float
    count: int


@dataclass(frozen=True, slots=True)
class KindAcceptance:
    """How proposals of one kind fared, and how well the bot's confidence for them held up."""

    kind: str
    n: int
    successes: int
    rate: float
    mean_predicted: float
    brier: float


@dataclass(frozen=True, slots=True)
class Stats:
    """What `evolve-bot stats` prints: totals, calibration, acceptance per kind, failure reasons."""

    repository: str | None
    n: int
    successes: int
    brier: float | None  # None when there are no outcomes
    reliability: tuple[ReliabilityBin, ...]
    kinds: tuple[KindAcceptance, ...]
    failures: tuple[tuple[str, int], ...]  # (reason, count), most frequent first


def brier(pairs: Iterable[tuple[float, bool]]) -> float:
    """Mean squared gap between stated confidence and outcome (1 success, 0 failure)."""
    checked = _checked_pairs(pairs)
    if not checked:
        raise ValueError(NO_PAIRS)
    return sum((p - y) ** 2 for p, y in checked) / len(checked)


def reliability_table(
    pairs: Iterable[tuple[float, bool]], *, bins: int = 10
) -> list[ReliabilityBin]:
    """Predictions grouped into `bins` equal bins of stated confidence; empty bins are left out."""
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(BAD_BINS.format(value=bins))
    grouped: dict[int, list[tuple[float, int]]] = {}
    for p, y in _checked_pairs(pairs):
        grouped.setdefault(min(int(p * bins), bins - 1), []).append((p, y))  # 1.0 joins the top bin
    return [
        ReliabilityBin(
            low=index / bins,
            high=(index + 1) / bins,
            mean_predicted=sum(p for p, _ in members) / len(members),
            observed_rate=sum(y for _, y in members) / len(members),
            count=len(members),
        )
        for index, members in sorted(grouped.items())
    ]


def acceptance_by_kind(outcomes: Iterable[Outcome]) -> list[KindAcceptance]:
    """Acceptance and calibration per kind, kinds in alphabetical order."""
    by_kind: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_kind.setdefault(o.kind, []).append(o)
    rows = []
    for kind, members in sorted(by_kind.items()):
        successes = sum(o.success for o in members)
        rows.append(
            KindAcceptance(
                kind=kind,
                n=len(members),
                successes=successes,
                rate=successes / len(members),
                mean_predicted=sum(o.predicted for o in members) / len(members),
                brier=brier((o.predicted, o.success) for o in members),
            )
        )
    return rows


def stats(outcomes: Iterable[Outcome], *, repository: str | None = None, bins: int = 10) -> Stats:
    """Everything `evolve-bot stats` shows, for one repository's outcomes (or all given)."""
    mine = [o for o in outcomes if repository is None or o.repository == repository]
    pairs = [(o.predicted, o.success) for o in mine]
    failures = Counter(o.reason for o in mine if not o.success)
    return Stats(
        repository=repository,
        n=len(mine),
        successes=sum(o.success for o in mine),
        brier=brier(pairs) if pairs else None,
        reliability=tuple(reliability_table(pairs, bins=bins)),
        kinds=tuple(acceptance_by_kind(mine)),
        failures=tuple(sorted(failures.items(), key=lambda item: (-item[1], item[0]))),
    )


def render_stats(summary: Stats) -> str:
    """`summary` as plain text: a headline, acceptance per kind, the reliability table."""
    where = f" in {summary.repository}" if summary.repository else ""
    if summary.n == 0 or summary.brier is None:
        return NO_OUTCOMES_YET.format(where=where) + "\n"
    lines = [
        STATS_HEADLINE.format(
            where=where,
            n=summary.n,
            successes=summary.successes,
            rate=summary.successes / summary.n,
        ),
        BRIER_LINE.format(brier=summary.brier),
        "",
        "Acceptance by kind",
        *_table(
            ("kind", "outcomes", "succeeded", "rate", "mean confidence", "brier"),
            [
                (
                    k.kind,
                    str(k.n),
                    str(k.successes),
                    f"{k.rate:.2f}",
                    f"{k.mean_predicted:.2f}",
                    f"{k.brier:.3f}",
                )
                for k in summary.kinds
            ],
        ),
        "",
        "Calibration: stated confidence against what happened",
        *_table(
            ("confidence", "proposals", "mean stated", "observed"),
            [
                (
                    f"{b.low:.1f}-{b.high:.1f}",
                    str(b.count),
                    f"{b.mean_predicted:.2f}",
                    f"{b.observed_rate:.2f}",
                )
                for b in summary.reliability
            ],
        ),
    ]
    if summary.failures:
        parts = " · ".join(f"{reason} {count}" for reason, count in summary.failures)
        lines += ["", FAILURES_LINE.format(parts=parts)]
    return "\n".join(lines) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    # First column left-aligned (names), the rest right-aligned (numbers).
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _checked_pairs(pairs: Iterable[tuple[float, bool]]) -> list[tuple[float, int]]:
    checked = []
    for predicted, happened in pairs:
        _check_probability("predicted", predicted)
        if happened not in (True, False) or not isinstance(happened, bool | int):
            raise TypeError(BAD_OUTCOME_FLAG.format(value=happened))
        checked.append((float(predicted), int(happened)))
    return checked


def _check_probability(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise ValueError(BAD_PROBABILITY.format(name=name, value=value))


def _check_aware(name: str, value: object) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError(NAIVE_TIME.format(name=name, value=value))
