"""The gate: by the repository's mode, whether to suggest, ask, open a PR, or open and merge."""

from __future__ import annotations

from dataclasses import dataclass

SUGGEST = "suggest"  # comment the proposal with a diff preview
ASK = "ask"  # the same, plus "reply `/evolve apply`"
OPEN_PR = "open_pr"
OPEN_AND_MERGE = "open_and_merge"  # open, and merge (or enable auto-merge) once checks pass
HOLD = "hold"  # no room: max_open_prs reached
REFUSE = "refuse"  # a denied path, or a suppressed change

MODES = ("suggest_only", "ask_before", "confidence", "full_auto")

NO_ROOM = "{count} evolve {prs} open (max_open_prs {maximum})"
DENIED_PATHS = "it would change denied paths: {paths}"
# GitHub refuses an App's push that touches a workflow file without the `workflows` permission.
NEEDS_WORKFLOWS = (
    "it changes workflow files ({paths}), and GitHub lets an App change those only with the "
    "`workflows` permission, which this installation lacks. A maintainer can make the change "
    "by hand, or grant evolve-bot the Workflows (read and write) permission in the App's "
    "settings and accept it on this installation"
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the gate decided, and a sentence saying why (it goes in the journal and the PR)."""

    action: str
    reason: str


def decide(
    *,
    mode: str,
    confidence: float,
    threshold: float,
    risk: str,
    open_prs: int,
    max_open_prs: int,
    approved: bool = False,
    denied_paths: tuple[str, ...] = (),
    workflow_paths: tuple[str, ...] = (),
    suppressed: str | None = None,
    force_ask: str | None = None,
) -> Decision:
    """Decide for one proposal. `approved` is a person's `/evolve apply` on it.

    Limits come first, then the mode: no mode opens a PR that touches a denied path, a
    workflow file GitHub would refuse (`workflow_paths`), or exceeds the open-PR budget, and an
    approval only lifts the mode's question, never a limit.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if denied_paths:
        return Decision(REFUSE, DENIED_PATHS.format(paths=", ".join(denied_paths)))
    if workflow_paths:
        return Decision(REFUSE, NEEDS_WORKFLOWS.format(paths=", ".join(f"`{p}`" for p in workflow_paths)))
    if suppressed:
        return Decision(REFUSE, suppressed)
    sure = f"confidence {confidence:.2f} {'≥' if confidence >= threshold else '<'} threshold {threshold:.2f}"
    if approved:
        if open_prs >= max_open_prs:
            return Decision(HOLD, f"approved, but {_no_room(open_prs, max_open_prs)}")
        return Decision(OPEN_PR, "approved with /evolve apply")
    if force_ask and mode != "suggest_only":
        # Past "no"s or a playbook lesson say to ask first, whatever the mode would do.
        return Decision(ASK, force_ask)
    if mode == "suggest_only":
        return Decision(SUGGEST, "mode suggest_only: I only suggest")
    if mode == "ask_before":
        return Decision(ASK, "mode ask_before: I ask before opening a PR")
    if mode == "confidence" and confidence < threshold:
        return Decision(ASK, f"mode confidence: {sure}, so I ask")
    if open_prs >= max_open_prs:
        return Decision(HOLD, _no_room(open_prs, max_open_prs))
    if mode == "confidence":
        return Decision(OPEN_PR, f"mode confidence: {sure}")
    if risk != "low":
        return Decision(OPEN_PR, f"mode full_auto, but risk is {risk}: I open the PR and leave merging to you")
    return Decision(OPEN_AND_MERGE, f"mode full_auto and risk low: I merge once the checks pass ({sure})")


def _no_room(count: int, maximum: int) -> str:
    return NO_ROOM.format(count=count, prs="PR is" if count == 1 else "PRs are", maximum=maximum)
