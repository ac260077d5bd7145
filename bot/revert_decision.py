"""When a merged bot change broke the default branch: the pure decision to revert it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.proposals import MERGED, Proposal

REASON = (
    "The default branch's CI failed on {sha} ({checks}), the commit that merged #{number}, "
    "while its parent {parent} was green."
)


@dataclass(frozen=True, slots=True)
class RevertDecision:
    """Revert `proposal` (merged as `merge_sha`), and why."""

    proposal: Proposal
    merge_sha: str
    reason: str


def should_revert(
    *,
    failed_sha: str,
    failed_checks: Sequence[str],
    parent_sha: str | None,
    parent_green: bool,
    merged: Sequence[Proposal],
) -> RevertDecision | None:
    """Revert only what is surely to blame: a bot merge whose parent passed and which itself failed.

    A failure whose parent was already red, or on a commit no bot PR merged, is not ours to
    undo; reverting there would hide someone else's breakage instead of our own.
    """
    if not parent_green or parent_sha is None:
        return None
    for proposal in merged:
        if proposal.state == MERGED and proposal.merge_sha == failed_sha and proposal.kind != "revert":
            return RevertDecision(
                proposal=proposal,
                merge_sha=failed_sha,
                reason=REASON.format(
                    sha=failed_sha[:12], checks=", ".join(failed_checks) or "checks", number=proposal.pr_number, parent=parent_sha[:12]
                ),
            )
    return None
