"""Outcomes from proposal histories, Beta posteriors per kind and rule, and calibration figures."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import confidence as c
from bot import proposals as p
from bot.config import BetaPrior, RepoConfig

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
REPO = "octo/demo"


def proposal(kind: str = "rewrite", *, rule: str | None = None, **changes: object) -> p.Proposal:
    spec: dict[str, object] = {"pattern": "$X == None", "fix": "$X is None"}
    if rule is not None:
        spec["rule_id"] = rule
    made = p.new_proposal(
        kind=kind, repository=REPO, installation_id=1, title="t", rationale="why", spec=spec, at=T0
    )
    return dataclasses.replace(made, targets=("src/a.py",), confidence=0.7, **changes)  # type: ignore[arg-type]


def walk(
    prop: p.Proposal, *steps: tuple[str, dt.datetime] | tuple[str, dt.datetime, str], **flags: object
) -> p.Proposal:
    for step in steps:
        state, at, reason = (*step, f"to {step[0]}") if len(step) == 2 else step  # type: ignore[misc]
        prop = p.advance(prop, state, at=at, reason=reason)
    return dataclasses.replace(prop, **flags) if flags else prop  # type: ignore[arg-type]


OPENED = ((p.PATCHING, T0), (p.PR_OPEN, T0), (p.TESTING, T0 + DAY))


def outcome(
    pid: str = "x",
    *,
    kind: str = "rewrite",
    success: bool = True,
    rule: str | None = None,
    repository: str = REPO,
    predicted: float = 0.5,
    reason: str | None = None,
    at: dt.datetime = T0,
) -> c.Outcome:
    return c.Outcome(
        proposal_id=pid,
        repository=repository,
        kind=kind,
        rule_id=rule,
        paths=("src/a.py",),
        predicted=predicted,
        success=success,
        at=at,
        reason=reason or (c.MERGED if success else c.CLOSED_UNMERGED),
    )


# -- outcome_of ---------------------------------------------------------------------------


def test_a_merge_that_stood_for_settle_days_is_a_success() -> None:
    merged = walk(proposal(rule="R7"), *OPENED, (p.PASSED, T0 + DAY), (p.MERGED, T0 + 2 * DAY))
    result = c.outcome_of(merged, now=T0 + 9 * DAY, settle_days=7)
    assert result == c.Outcome(
        proposal_id=merged.id,
        repository=REPO,
        kind="rewrite",
        rule_id="R7",
        paths=("src/a.py",),
        predicted=0.7,
        success=True,
        at=T0 + 9 * DAY,
        reason=c.MERGED,
    )


def test_a_merge_still_settling_has_no_outcome_yet() -> None:
    merged = walk(proposal(), *OPENED, (p.MERGED, T0 + 2 * DAY))
    assert c.outcome_of(merged, now=T0 + 8 * DAY, settle_days=7) is None
    # settle_days 0: final the moment it merged
    assert c.outcome_of(merged, now=T0 + 2 * DAY, settle_days=0) is not None


def test_a_revert_is_a_failure_even_after_settling() -> None:
    reverted = walk(proposal(), *OPENED, (p.MERGED, T0 + 2 * DAY), (p.REVERTED, T0 + 3 * DAY))
    result = c.outcome_of(reverted, now=T0 + 30 * DAY, settle_days=7)
    assert result is not None
    assert (result.success, result.reason, result.at) == (False, c.REVERTED, T0 + 3 * DAY)
    assert result.people_said_no


def test_closed_unmerged_by_a_person_is_a_failure() -> None:
    closed = walk(
        proposal(),
        *OPENED,
        (p.PASSED, T0 + DAY),
        (p.CLOSED, T0 + 2 * DAY, "closed unmerged by @a"),
        closed_by_human=True,
    )
    result = c.outcome_of(closed, now=T0 + 3 * DAY, settle_days=7)
    assert result is not None and (result.success, result.reason) == (False, c.CLOSED_UNMERGED)


def test_closed_after_ci_failed_is_a_ci_failure_not_a_persons_no() -> None:
    closed = walk(
        proposal(),
        *OPENED,
        (p.FAILED, T0 + DAY),
        (p.CLOSED, T0 + DAY, "regression: ci failed"),
        closed_by_human=False,
    )
    result = c.outcome_of(closed, now=T0 + 3 * DAY, settle_days=7)
    assert result is not None and (result.success, result.reason) == (False, c.CI_FAILED)
    assert not result.people_said_no


def test_a_failure_on_a_broken_base_counts_against_no_kind() -> None:
    closed = walk(
        proposal("learned_rule", rule="r1"),
        *OPENED,
        (p.FAILED, T0 + DAY, f"1 of 1 required checks failed: ci; {p.BASE_WAS_FAILING}"),
        (p.CLOSED, T0 + DAY, "regression: ci failed"),
        closed_by_human=False,
    )
    assert c.outcome_of(closed, now=T0 + 3 * DAY, settle_days=7) is None


def test_a_failure_fixed_by_a_later_push_does_not_count_as_ci_failed() -> None:
    steps = (
        *OPENED,
        (p.FAILED, T0 + DAY),
        (p.PATCHING, T0 + DAY),
        (p.PR_OPEN, T0 + DAY),
        (p.TESTING, T0 + DAY),
    )
    closed = walk(
        proposal(), *steps, (p.PASSED, T0 + DAY), (p.CLOSED, T0 + 2 * DAY), closed_by_human=True
    )
    result = c.outcome_of(closed, now=T0 + 3 * DAY, settle_days=7)
    assert result is not None and result.reason == c.CLOSED_UNMERGED


def test_superseded_by_the_bot_is_no_outcome() -> None:
    closed = walk(
        proposal(), *OPENED, (p.CLOSED, T0 + DAY, "superseded by #9"), closed_by_human=False
    )
    assert c.outcome_of(closed, now=T0 + 3 * DAY, settle_days=7) is None


def test_ignored_is_a_failure_but_nothing_to_change_is_no_outcome() -> None:
    ignored = walk(
        proposal(), (p.ASKED, T0), (p.SKIPPED, T0 + DAY, "@a said /evolve ignore"), ignored=True
    )
    result = c.outcome_of(ignored, now=T0 + 2 * DAY, settle_days=7)
    assert result is not None and (result.reason, result.at) == (c.IGNORED, T0 + DAY)
    nothing = walk(proposal(), (p.SKIPPED, T0, "nothing to change: no matches"))
    assert c.outcome_of(nothing, now=T0 + 2 * DAY, settle_days=7) is None


@pytest.mark.parametrize("state", [p.PROPOSED, p.ASKED, p.SUGGESTED, p.PR_OPEN])
def test_open_proposals_have_no_outcome(state: str) -> None:
    prop = (
        proposal()
        if state == p.PROPOSED
        else walk(
            proposal(),
            *((p.PATCHING, T0), (p.PR_OPEN, T0)) if state == p.PR_OPEN else ((state, T0),),
        )
    )
    assert c.outcome_of(prop, now=T0 + 30 * DAY, settle_days=7) is None


def test_more_thumbs_down_than_up_is_a_failure() -> None:
    asked = walk(proposal(), (p.ASKED, T0 + DAY))
    result = c.outcome_of(asked, now=T0 + 2 * DAY, settle_days=7, thumbs_down=2, thumbs_up=1)
    assert result is not None and (result.success, result.reason, result.at) == (
        False,
        c.THUMBS_DOWN,
        T0 + DAY,
    )
    assert c.outcome_of(asked, now=T0 + 2 * DAY, settle_days=7, thumbs_down=1, thumbs_up=1) is None
    merged = walk(proposal(), *OPENED, (p.MERGED, T0 + DAY))
    settled = c.outcome_of(merged, now=T0 + 30 * DAY, settle_days=7, thumbs_down=1)
    assert settled is not None and settled.reason == c.THUMBS_DOWN


def test_a_revert_outranks_thumbs() -> None:
    reverted = walk(proposal(), *OPENED, (p.MERGED, T0 + DAY), (p.REVERTED, T0 + 2 * DAY))
    result = c.outcome_of(reverted, now=T0 + 3 * DAY, settle_days=7, thumbs_down=5)
    assert result is not None and result.reason == c.REVERTED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": dt.datetime(2026, 3, 1), "settle_days": 7}, "now must be timezone-aware"),
        ({"now": T0, "settle_days": -1}, "settle_days must be a whole number"),
        ({"now": T0, "settle_days": 7, "thumbs_down": True}, "thumbs_down must be a whole number"),
        ({"now": T0, "settle_days": 7, "thumbs_up": -2}, "thumbs_up must be a whole number"),
    ],
)
def test_outcome_of_rejects_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        c.outcome_of(proposal(), **kwargs)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"predicted": 1.5}, ValueError, "predicted must be a number from 0 to 1"),
        ({"predicted": float("nan")}, ValueError, "predicted must be a number from 0 to 1"),
        ({"at": dt.datetime(2026, 1, 1)}, ValueError, "at must be timezone-aware"),
        ({"success": 1}, TypeError, "must be True"),
        ({"paths": "src/a.py"}, TypeError, "paths must be a tuple"),
    ],
)
def test_an_outcome_refuses_bad_fields(changes: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        dataclasses.replace(outcome(), **changes)


def test_rule_id_of_reads_the_spec() -> None:
    assert c.rule_id_of(proposal(rule="R1")) == "R1"
    assert c.rule_id_of(proposal()) is None
    assert c.rule_id_of(dataclasses.replace(proposal(), spec={"rule_id": 3})) is None


# -- posteriors ---------------------------------------------------------------------------


def test_a_posterior_counts_outcomes_on_top_of_its_prior() -> None:
    start = c.Posterior.from_prior(BetaPrior(alpha=7, beta=3))
    assert (start.mean, start.n, start.successes) == (0.7, 0, 0)
    after = start.update(True).update(False).update(False)
    assert (after.alpha, after.beta, after.n, after.successes, after.failures) == (8, 5, 3, 1, 2)
    assert after.mean == pytest.approx(8 / 13)
    assert start.updated([True, False, False]) == after
    assert start.n == 0  # update returns a new posterior


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1), "finite and > 0"),
        ((1, float("inf")), "finite and > 0"),
        ((1, 1, 1, 2), "successes ≤ n"),
        ((True, 1), "finite"),
    ],
)
def test_a_posterior_refuses_impossible_parameters(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        c.Posterior(*args)


def test_update_takes_only_true_or_false() -> None:
    with pytest.raises(TypeError, match="True .success. or False"):
        c.Posterior(1, 1).update(1)  # type: ignore[arg-type]


def test_confidence_without_outcomes_is_the_prior_mean() -> None:
    prior = RepoConfig().priors["rewrite"]
    value, evidence = c.confidence_for("rewrite", None, prior=prior, outcomes=[])
    assert value == pytest.approx(0.7)
    assert (evidence.n, evidence.successes) == (0, 0)
    assert "Beta(2.8, 1.2) prior for rewrite" in evidence.source


def test_confidence_is_the_posterior_mean_of_this_kind_in_this_repository() -> None:
    prior = BetaPrior(alpha=5, beta=5)
    history = [
        outcome("a", kind="instruction", success=False),
        outcome("b", kind="instruction", success=False),
        outcome("c", kind="instruction", success=True),
        outcome("d", kind="rewrite", success=True),  # another kind
        outcome(
            "e", kind="instruction", success=True, repository="octo/other"
        ),  # another repository
    ]
    value, evidence = c.confidence_for(
        "instruction", None, prior=prior, outcomes=history, repository=REPO
    )
    assert value == pytest.approx(6 / 13)
    assert (evidence.n, evidence.successes) == (3, 1)


def test_outcomes_of_several_repositories_need_a_repository() -> None:
    history = [outcome("a"), outcome("b", repository="octo/other")]
    with pytest.raises(
        ValueError, match="several repositories .octo/demo, octo/other.; pass repository="
    ):
        c.confidence_for("rewrite", None, prior=BetaPrior(alpha=1, beta=1), outcomes=history)


def test_a_new_rule_starts_from_its_kinds_posterior() -> None:
    prior = BetaPrior(alpha=6, beta=4)
    history = [outcome(f"s{i}", kind="learned_rule", rule="other", success=False) for i in range(2)]
    kind_value, _ = c.confidence_for("learned_rule", None, prior=prior, outcomes=history)
    rule_value, evidence = c.confidence_for("learned_rule", "R1", prior=prior, outcomes=history)
    assert rule_value == pytest.approx(kind_value) == pytest.approx(6 / 12)
    assert (evidence.n, evidence.successes) == (0, 0)
    assert (
        "rule R1" in evidence.source and "2 outcomes of other learned_rule rules" in evidence.source
    )


def test_a_rules_own_record_moves_it_even_against_many_siblings() -> None:
    prior = BetaPrior(alpha=6, beta=4)
    siblings = [
        outcome(f"s{i}", kind="learned_rule", rule="other", success=True) for i in range(90)
    ]
    own = [outcome(f"r{i}", kind="learned_rule", rule="R1", success=False) for i in range(4)]
    kind_value, _ = c.confidence_for("learned_rule", None, prior=prior, outcomes=siblings + own)
    rule_value, evidence = c.confidence_for(
        "learned_rule", "R1", prior=prior, outcomes=siblings + own
    )
    assert kind_value > 0.9
    # The siblings weigh as much as the prior (10 pseudo-outcomes, mean 96/100), then 4 failures.
    assert rule_value == pytest.approx(9.6 / 14)
    assert (evidence.n, evidence.successes) == (4, 0)


def test_when_rules_here_differ_a_rules_own_first_outcomes_count_for_more() -> None:
    prior = BetaPrior(alpha=6, beta=4)

    def record(rule: str, success: bool) -> list[c.Outcome]:
        return [
            outcome(f"{rule}{i}", kind="learned_rule", rule=rule, success=success)
            for i in range(10)
        ]

    differ = record("a", True) + record("b", True) + record("c", False)
    own = [outcome(f"r{i}", kind="learned_rule", rule="R1", success=False) for i in range(2)]
    value, _ = c.confidence_for("learned_rule", "R1", prior=prior, outcomes=differ + own)
    # Siblings' mean (6 + 20) / (10 + 30) = 0.65, their rates 1, 1, 0: the spread says a
    # typical rule's record is worth at most one outcome (MIN_SIBLING_WEIGHT), then 2 failures.
    assert value == pytest.approx(0.65 / 3)
    # Rules that agree (all about 2 in 3) keep the siblings' full weight, the prior's 10.
    agree = [
        outcome(f"{rule}{i}", kind="learned_rule", rule=rule, success=i % 3 != 0)
        for rule in "abc"
        for i in range(9)
    ]
    assert c.between_rules_weight(agree, mean=0.65) is None
    value, _ = c.confidence_for("learned_rule", "R1", prior=prior, outcomes=agree + own)
    assert value == pytest.approx((6 + 18) / (10 + 27) * 10 / 12)


def test_the_spread_between_rules_needs_three_rules_with_outcomes() -> None:
    two = [
        outcome(f"{r}{i}", kind="learned_rule", rule=r, success=r == "a")
        for r in "ab"
        for i in range(5)
    ]
    assert c.between_rules_weight(two, mean=0.5) is None
    three = two + [outcome(f"c{i}", kind="learned_rule", rule="c", success=True) for i in range(5)]
    assert c.between_rules_weight(three, mean=2 / 3) == pytest.approx(1.0)


# -- calibration --------------------------------------------------------------------------


def test_brier_is_the_mean_squared_gap() -> None:
    assert c.brier([(1.0, True), (0.0, False)]) == 0
    assert c.brier([(0.5, True), (0.5, False)]) == 0.25
    assert c.brier([(0.9, False), (0.8, True)]) == pytest.approx((0.81 + 0.04) / 2)


@pytest.mark.parametrize(
    ("pairs", "error", "message"),
    [
        ([], ValueError, "Brier score of no predictions is undefined"),
        ([(1.2, True)], ValueError, "from 0 to 1"),
        ([("0.5", True)], ValueError, "from 0 to 1"),
        ([(0.5, "yes")], TypeError, "True .success. or False"),
        ([(0.5, 2)], TypeError, "True .success. or False"),
    ],
)
def test_brier_refuses_bad_pairs(pairs: list, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        c.brier(pairs)


def test_reliability_table_bins_stated_confidence() -> None:
    pairs = [(0.05, False), (0.15, False), (0.12, True), (0.95, True), (1.0, True), (0.91, False)]
    table = c.reliability_table(pairs, bins=10)
    assert [(b.low, b.high, b.count) for b in table] == [
        (0.0, 0.1, 1),
        (0.1, 0.2, 2),
        (0.9, 1.0, 3),
    ]
    top = table[-1]
    assert top.mean_predicted == pytest.approx((0.95 + 1.0 + 0.91) / 3)
    assert top.observed_rate == pytest.approx(2 / 3)
    assert c.reliability_table([], bins=4) == []
    assert [b.count for b in c.reliability_table(pairs, bins=1)] == [6]


@pytest.mark.parametrize("bins", [0, -1, 2.5, True])
def test_reliability_table_refuses_bad_bins(bins: object) -> None:
    with pytest.raises(ValueError, match="bins must be a whole number"):
        c.reliability_table([(0.5, True)], bins=bins)  # type: ignore[arg-type]


def test_acceptance_by_kind_and_stats() -> None:
    history = [
        outcome("a", kind="rewrite", success=True, predicted=0.8),
        outcome("b", kind="rewrite", success=False, predicted=0.6, reason=c.REVERTED),
        outcome("c", kind="instruction", success=False, predicted=0.5, reason=c.CI_FAILED),
        outcome("d", kind="instruction", success=False, predicted=0.5, reason=c.CI_FAILED),
        outcome("e", kind="rewrite", success=True, repository="octo/other"),
    ]
    kinds = c.acceptance_by_kind(history[:4])
    assert [(k.kind, k.n, k.successes, k.rate) for k in kinds] == [
        ("instruction", 2, 0, 0.0),
        ("rewrite", 2, 1, 0.5),
    ]
    assert kinds[1].mean_predicted == pytest.approx(0.7)
    assert kinds[1].brier == pytest.approx((0.04 + 0.36) / 2)
    summary = c.stats(history, repository=REPO)
    assert (summary.n, summary.successes) == (4, 1)
    assert summary.brier == pytest.approx((0.04 + 0.36 + 0.25 + 0.25) / 4)
    assert summary.failures == ((c.CI_FAILED, 2), (c.REVERTED, 1))
    assert sum(b.count for b in summary.reliability) == 4


def test_render_stats_prints_the_tables() -> None:
    history = [
        outcome("a", kind="rewrite", success=True, predicted=0.8),
        outcome("b", kind="rewrite", success=False, predicted=0.6, reason=c.REVERTED),
        outcome("c", kind="instruction", success=False, predicted=0.5, reason=c.CI_FAILED),
    ]
    text = c.render_stats(c.stats(history, repository=REPO))
    lines = text.splitlines()
    assert lines[0] == "Outcomes in octo/demo: 3 (1 succeeded, 33%)"
    assert lines[1].startswith("Brier score: 0.217")
    assert any(line.split() == ["rewrite", "2", "1", "0.50", "0.70", "0.200"] for line in lines)
    assert any(line.split() == ["0.8-0.9", "1", "0.80", "1.00"] for line in lines)
    assert lines[-1] == f"Failures: {c.CI_FAILED} 1 · {c.REVERTED} 1"


def test_render_stats_without_outcomes_says_so() -> None:
    assert c.render_stats(c.stats([], repository=REPO)) == "No settled outcomes yet in octo/demo.\n"
    assert c.stats([]).brier is None
