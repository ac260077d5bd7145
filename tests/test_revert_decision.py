"""Revert only a bot merge that turned a green parent red."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.proposals import MERGED, new_proposal
from bot.revert_decision import should_revert

AT = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
MERGED_P = dataclasses.replace(
    new_proposal(kind="rewrite", repository="o/r", installation_id=1, title="t", rationale="r", spec={}, at=AT),
    state=MERGED, merge_sha="m" * 40, pr_number=7,
)


def test_reverts_the_bot_merge_with_a_green_parent() -> None:
    decision = should_revert(failed_sha="m" * 40, failed_checks=["ci"], parent_sha="p" * 40, parent_green=True, merged=[MERGED_P])
    assert decision is not None and decision.proposal.id == MERGED_P.id
    assert "#7" in decision.reason and "ci" in decision.reason


def test_leaves_red_parents_and_foreign_commits_alone() -> None:
    assert should_revert(failed_sha="m" * 40, failed_checks=["ci"], parent_sha="p" * 40, parent_green=False, merged=[MERGED_P]) is None
    assert should_revert(failed_sha="x" * 40, failed_checks=["ci"], parent_sha="p" * 40, parent_green=True, merged=[MERGED_P]) is None


def test_never_reverts_a_revert() -> None:
    revert = dataclasses.replace(MERGED_P, kind="revert")
    assert should_revert(failed_sha="m" * 40, failed_checks=["ci"], parent_sha="p" * 40, parent_green=True, merged=[revert]) is None
