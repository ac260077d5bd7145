"""The loop's deciding core, rule by rule, from plain values: no server, no store, no GitHub."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot import confidence as c
from bot import deciding, gate
from bot import explanation as texts
from bot import proposals as lifecycle
from bot.config import RepoConfig, parse_config
from bot.playbook import Lesson, Playbook
from bot.proposals import Kind, Proposal
from bot.verdict import FailingCheck, Verdict

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
REPO = "octo/demo"


def patched(
    kind: str = Kind.REWRITE,
    *targets: str,
    confidence: float = 0.9,
    risk: str = "low",
    actor: str | None = "alice",
    **changes: object,
) -> Proposal:
    p = lifecycle.new_proposal(
        kind=kind, repository=REPO, installation_id=1, title="t", rationale="r",
        spec={"pattern": "a", "fix": "b"}, at=T0, origin={"number": 3, "actor": actor} if actor else {},
    )  # fmt: skip
    return dataclasses.replace(p, targets=targets or ("src/a.py",), confidence=confidence, risk=risk, **changes)  # type: ignore[arg-type]


def config(text: str = "mode: confidence\nconfidence_threshold: 0.5\n") -> RepoConfig:
    return parse_config(text)


def turned_down(pid: str, *paths: str) -> c.Outcome:
    return c.Outcome(
        proposal_id=pid, repository=REPO, kind="rewrite", rule_id=None, paths=paths, predicted=0.7,
        success=False, at=T0, reason=c.CLOSED_UNMERGED,
    )  # fmt: skip


def decide(proposal: Proposal, **kwargs: object) -> deciding.Decided:
    values: dict[str, object] = {"config": config(), "diff_lines": 2, "approved_by": None, "open_prs": 0, **kwargs}
    return deciding.decide(proposal, **values)  # type: ignore[arg-type]


# -- the gate, with everything it needs worked out -------------------------------------------


def test_a_sure_change_opens_a_pr_and_journals_the_decision() -> None:
    decided = decide(patched())
    assert decided.decision == gate.Decision(gate.OPEN_PR, "mode confidence: confidence 0.90 ≥ threshold 0.50")
    assert decided.notes == (
        deciding.Note(
            "gate.decided",
            "open_pr: mode confidence: confidence 0.90 ≥ threshold 0.50",
            {"action": "open_pr", "confidence": 0.9, "risk": "low", "approved_by": None},
        ),
    )


def test_denied_paths_refuse_but_the_bots_own_files_are_exempt() -> None:
    rules = config("mode: full_auto\npaths:\n  deny: ['.github/**']\n")
    refused = decide(patched(Kind.REWRITE, ".github/x.yml"), config=rules)
    assert refused.decision.action == gate.REFUSE and ".github/x.yml" in refused.decision.reason
    # Onboarding and the playbook live under .github/: exempt from path rules and the mode.
    for kind in (Kind.ONBOARDING, Kind.PLAYBOOK):
        ok = decide(patched(kind, ".github/evolve.yml", confidence=0.1, risk="medium"), config=rules)
        # Said as it is (issue 21, item 7), not as "mode confidence: confidence 1.00" beside the
        # real confidence and the repository's own mode.
        assert ok.decision == gate.Decision(gate.OPEN_PR, deciding.EXEMPT_OPENS)
        assert ok.notes[-1].message == f"open_pr: {deciding.EXEMPT_OPENS}"


def test_a_workflow_file_is_refused_without_the_workflows_permission_whatever_the_path_rules() -> None:
    no_deny = config("mode: full_auto\npaths:\n  deny: []\n")
    workflow = patched(Kind.REWRITE, ".github/workflows/ci.yml", "src/a.py", approved_by="alice")
    for permissions in (None, {"contents": "write"}, {"workflows": "read"}):
        refused = decide(workflow, config=no_deny, approved_by="alice", permissions=permissions)
        assert refused.decision == gate.Decision(
            gate.REFUSE, gate.NEEDS_WORKFLOWS.format(paths="`.github/workflows/ci.yml`")
        )
    # Granted, it goes on as the mode says; other .github files are the path rules' business.
    granted = decide(workflow, config=no_deny, permissions={"workflows": "write"})
    assert granted.decision.action == gate.OPEN_AND_MERGE
    assert decide(patched(Kind.REWRITE, ".github/labeler.yml"), config=no_deny).decision.action == gate.OPEN_AND_MERGE


def test_a_past_no_makes_the_gate_ask_a_person_and_drop_the_bots_own_idea() -> None:
    history = [turned_down("rewrite-1", "src/a.py")]
    asked = decide(patched(), outcomes=history)
    [suppressed, decided] = asked.notes
    assert suppressed.kind == "proposal.suppressed" and suppressed.data["evidence"] == ["rewrite-1"]
    assert asked.decision.action == gate.ASK
    # Said once (issue 21, item 7: "…to try anyway (say `/evolve retry` to lift this)").
    assert asked.decision.reason == suppressed.message
    assert asked.decision.reason.count("/evolve retry") == 1
    assert decided.kind == "gate.decided"
    # The bot's own idea (no person asked) is dropped, not asked about…
    dropped = decide(patched(actor=None), outcomes=history)
    assert dropped.decision == gate.Decision(gate.REFUSE, asked.decision.reason)
    # …unless a person approved it with /evolve apply.
    approved = decide(patched(actor=None), outcomes=history, approved_by="bob")
    assert approved.decision.action == gate.OPEN_PR
    # /evolve retry on the same key lifts it.
    lifted = decide(patched(), outcomes=history, lifted=deciding.lifted_by_retry([patched(retried=1)]))
    assert lifted.decision.action == gate.OPEN_PR and len(lifted.notes) == 1


def test_reverts_and_exempt_kinds_ignore_history() -> None:
    history = [turned_down("rewrite-1", "src/a.py")]
    assert not deciding.weighs_history(Kind.REVERT) and not deciding.weighs_history(Kind.ONBOARDING)
    assert deciding.weighs_history(Kind.REWRITE) and deciding.weighs_history("someday_kind")
    assert decide(patched(Kind.REVERT), outcomes=history).decision.action == gate.OPEN_PR


def test_the_playbook_asks_first_or_lowers_the_confidence() -> None:
    firm = Playbook((Lesson(id="L1", text="No legacy", helpful=4, harmful=2, tags=("reject-dir:legacy/",)),))
    asked = decide(patched(Kind.REWRITE, "legacy/a.py"), playbook=firm)
    assert asked.decision.action == gate.ASK and asked.decision.reason.startswith("the playbook says: playbook L1")
    weak = Playbook((Lesson(id="L1", text="Careful", helpful=3, harmful=2, tags=("reject-path:setup.py",)),))
    lowered = decide(patched(Kind.REWRITE, "setup.py", confidence=0.6), playbook=weak)
    assert lowered.confidence == pytest.approx(0.6 - 1 / 7)
    assert lowered.decision.action == gate.ASK  # 0.46 < 0.50
    assert lowered.notes[-1].data["confidence"] == lowered.confidence


def test_a_diff_over_max_diff_lines_is_refused() -> None:
    decided = decide(patched(), config=config("mode: confidence\nmax_diff_lines: 10\n"), diff_lines=11)
    assert decided.decision == gate.Decision(gate.REFUSE, "the diff has 11 lines, over max_diff_lines 10")


def test_a_decision_that_opens_nothing_waits_in_its_state_with_its_footer() -> None:
    assert deciding.waiting_state(gate.Decision(gate.ASK, "x")) == (lifecycle.ASKED, texts.ASK_FOOTER)
    assert deciding.waiting_state(gate.Decision(gate.SUGGEST, "x")) == (lifecycle.SUGGESTED, texts.SUGGEST_FOOTER)
    assert deciding.waiting_state(gate.Decision(gate.HOLD, "full")) == (lifecycle.HELD, texts.HELD.format(reason="full"))
    assert deciding.waiting_state(gate.Decision(gate.REFUSE, "no")) == (lifecycle.SKIPPED, texts.REFUSED.format(reason="no"))
    assert deciding.opens_pr(gate.Decision(gate.OPEN_AND_MERGE, "x")) and not deciding.opens_pr(gate.Decision(gate.ASK, "x"))


# -- the same change proposed again ----------------------------------------------------------


def at(proposal: Proposal, *states: str, **changes: object) -> Proposal:
    for state in states:
        proposal = lifecycle.advance(proposal, state, at=T0, reason=f"to {state}")
    return dataclasses.replace(proposal, **changes)  # type: ignore[arg-type]


def test_a_change_never_proposed_is_new() -> None:
    assert deciding.repeat([], number=3) == deciding.Repeat(deciding.NEW)


def test_a_half_done_proposal_resumes() -> None:
    for states in ((), (lifecycle.PATCHING,)):
        assert deciding.repeat([at(patched(), *states)], number=3).action == deciding.RESUME


def test_a_finished_or_harmlessly_skipped_change_is_proposed_anew() -> None:
    merged = at(patched(), lifecycle.PATCHING, lifecycle.PR_OPEN, lifecycle.MERGED)
    assert deciding.repeat([merged, patched()], number=3) == deciding.Repeat(deciding.NEW, suffix=3)
    skipped = at(patched(), lifecycle.SKIPPED)
    assert deciding.repeat([skipped], number=3).action == deciding.NEW


def test_a_person_said_no_so_it_is_refused_with_the_way_back() -> None:
    closed = at(patched(), lifecycle.PATCHING, lifecycle.PR_OPEN, lifecycle.CLOSED, pr_number=7)
    again = deciding.repeat([closed], number=3)
    reason = f"`{closed.id}` was closed before (to closed); say `/evolve retry` on #7 to try again"
    assert again == deciding.Repeat(
        deciding.REFUSE,
        comment=texts.REFUSED.format(reason=reason),
        notes=(deciding.Note("proposal.suppressed", reason, {"key": closed.key}),),
    )
    ignored = at(patched(), lifecycle.SKIPPED, ignored=True)
    refused = deciding.repeat([ignored], number=None)
    assert refused.action == deciding.REFUSE and refused.comment is None
    assert "on #None to try again" in refused.notes[0].message  # as it always read without a number


def test_a_change_under_way_is_pointed_at() -> None:
    open_ = at(patched(), lifecycle.PATCHING, lifecycle.PR_OPEN, pr_number=7)
    assert deciding.repeat([open_], number=3) == deciding.Repeat(
        deciding.ALREADY_THERE, comment=f"This change is already proposal `{open_.id}` (pr open, #7)."
    )
    assert deciding.repeat([at(patched(), lifecycle.ASKED)], number=None).comment is None


def test_reverting_again() -> None:
    patching = at(patched(Kind.REVERT), lifecycle.PATCHING)
    testing = at(patched(Kind.REVERT), lifecycle.PATCHING, lifecycle.PR_OPEN, lifecycle.TESTING)
    skipped = at(patched(Kind.REVERT), lifecycle.SKIPPED)
    assert deciding.repeat_revert([], asked=False) == deciding.Repeat(deciding.NEW)
    assert deciding.repeat_revert([patching], asked=False).action == deciding.RESUME
    assert deciding.repeat_revert([testing], asked=True).action == deciding.ALREADY_THERE
    assert deciding.repeat_revert([skipped], asked=False).action == deciding.ALREADY_THERE
    # A person asking tries a skipped (conflicting) or closed revert again, on a new branch.
    assert deciding.repeat_revert([skipped], asked=True) == deciding.Repeat(deciding.NEW, suffix=2)


# -- a CI verdict on the PR's head -----------------------------------------------------------

PASSED = Verdict(state="passed", passed=("ci",))
FAILED = Verdict(state="failed", failing=(FailingCheck(name="ci", conclusion="failure"),))
UNTESTED = Verdict(state="untested")


def in_testing(**changes: object) -> Proposal:
    return at(patched(), lifecycle.PATCHING, lifecycle.PR_OPEN, lifecycle.TESTING, head_sha="a" * 40, **changes)


def test_pending_waits() -> None:
    assert deciding.after_verdict(in_testing(), Verdict(state="pending"), config_valid=True) == deciding.AfterVerdict()


def test_passed_merges_only_in_full_auto_and_never_a_persons_branch() -> None:
    plain = deciding.after_verdict(in_testing(), PASSED, config_valid=True)
    assert [m.to for m in plain.moves] == [lifecycle.PASSED] and plain.then == deciding.WAIT
    assert plain.moves[0].kind == "outcome.ci_passed"
    assert plain.moves[0].message == f"CI passed on {'a' * 12}: {PASSED.describe()}"
    assert deciding.after_verdict(in_testing(auto_merge=True), PASSED, config_valid=True).then == deciding.MERGE
    assert deciding.after_verdict(in_testing(auto_merge=True), PASSED, config_valid=False).then == deciding.LEAVE_TO_PEOPLE
    mine = deciding.after_verdict(in_testing(auto_merge=True, human_pushed=True), PASSED, config_valid=True)
    assert mine.then == deciding.WAIT
    # Already passed (a late check event): nothing to move, but still merge.
    again = at(in_testing(auto_merge=True), lifecycle.PASSED)
    assert deciding.after_verdict(again, PASSED, config_valid=True) == deciding.AfterVerdict((), deciding.MERGE)


def test_a_pr_open_head_is_testing_first() -> None:
    opened = at(patched(), lifecycle.PATCHING, lifecycle.PR_OPEN, head_sha="b" * 40)
    plan = deciding.after_verdict(opened, PASSED, config_valid=True)
    first = plan.moves[0]
    assert (first.to, first.reason, first.message) == (lifecycle.TESTING, "checks reported", "testing")
    assert [m.to for m in plan.moves] == [lifecycle.TESTING, lifecycle.PASSED]


def test_failed_is_fixed_or_closed_unless_a_person_pushed() -> None:
    plan = deciding.after_verdict(in_testing(), FAILED, config_valid=True)
    [move] = plan.moves
    assert (move.to, move.kind, move.data) == (lifecycle.FAILED, "outcome.ci_failed", {"failing": ["ci"]})
    assert plan.then == deciding.FIX_OR_CLOSE
    assert deciding.after_verdict(in_testing(human_pushed=True), FAILED, config_valid=True).then == deciding.WAIT


def test_a_failure_on_a_failing_base_says_so() -> None:
    plan = deciding.after_verdict(in_testing(), FAILED, config_valid=True, base_failing=True)
    [move] = plan.moves
    assert move.to == lifecycle.FAILED and lifecycle.BASE_WAS_FAILING in move.reason
    assert move.data == {"failing": ["ci"], "base_failing": True}
    alone = deciding.after_verdict(in_testing(), FAILED, config_valid=True)
    assert lifecycle.BASE_WAS_FAILING not in alone.moves[0].reason


def test_untested_is_said_once() -> None:
    plan = deciding.after_verdict(in_testing(), UNTESTED, config_valid=True)
    assert plan.moves == () and plan.then == deciding.MARK_UNTESTED
    assert plan.last is not None and plan.last.to == lifecycle.UNTESTED
    assert plan.last.message == f"untested: {UNTESTED.describe()}; never merged automatically"
    already = at(in_testing(), lifecycle.UNTESTED)
    assert deciding.after_verdict(already, UNTESTED, config_valid=True) == deciding.AfterVerdict()


# -- what a person did to the bot's pull request ---------------------------------------------


def event(proposal: Proposal, action: str, *, merged: bool = False, from_bot: bool = False, after: str | None = None) -> str | None:
    return deciding.pull_request_event(proposal, action=action, merged=merged, from_bot=from_bot, after=after)


def test_a_merge_or_close_by_a_person_is_an_outcome_once() -> None:
    assert event(in_testing(), "closed", merged=True) == deciding.MERGED_BY_PERSON
    merged = at(in_testing(), lifecycle.PASSED, lifecycle.MERGED)
    assert event(merged, "closed", merged=True) is None  # the loop merged it and saved that already
    assert event(in_testing(), "closed") == deciding.CLOSED_BY_PERSON
    for done in (at(in_testing(), lifecycle.CLOSED), merged, at(merged, lifecycle.REVERTED)):
        assert event(done, "closed") is None


def test_a_persons_push_makes_the_branch_theirs() -> None:
    pr_head = in_testing().head_sha
    assert event(in_testing(), "synchronize", after="c" * 40) == deciding.PUSHED_BY_PERSON
    assert event(in_testing(), "synchronize", after=pr_head) is None  # the loop's own push, heard back
    assert event(in_testing(), "synchronize", after="c" * 40, from_bot=True) is None
    assert deciding.after_push(at(in_testing(), lifecycle.FAILED)) == lifecycle.TESTING
    assert deciding.after_push(at(in_testing(), lifecycle.CLOSED)) == lifecycle.CLOSED


def test_a_reopened_pr_is_open_again() -> None:
    assert event(at(in_testing(), lifecycle.CLOSED), "reopened") == deciding.REOPENED
    assert event(in_testing(), "reopened") is None
    assert event(in_testing(), "labeled") is None
