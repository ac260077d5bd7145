"""Every text the bot writes on GitHub: PR bodies, replies and the `/evolve why` chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from bot import proposals as lifecycle
from bot.proposals import Proposal

# A hidden marker in every PR body and comment, so the bot can find its own words again.
MARKER = "<!-- evolve-bot:proposal={id} -->"

PREVIEW_LINES = 200

HOW_TO_RESPOND = """\
### How to respond
- **Merge** it if it is right. **Close** it to say no: I remember, and won't propose this change again until someone says `/evolve retry`.
- `/evolve why` shows the chain of signals and decisions behind it; `/evolve ignore` closes it for good.
- Push your own commits to this branch and I stop rewriting it; it is yours from then on."""

ASK_FOOTER = "Reply `/evolve apply` and I open a pull request with this change; `/evolve ignore` and I drop it."
SUGGEST_FOOTER = "This repository runs me in `suggest_only` mode, so I only suggest. A maintainer can still reply `/evolve apply`."
HELD = "I have this change ready, but I'm holding it: {reason}. I will open it when one of them is merged or closed."
REFUSED = "I won't open this change: {reason}."
NO_LLM = (
    "I can't act on free-text instructions here: no LLM is configured (`EVOLVE_LLM_PROVIDER`, "
    "`EVOLVE_LLM_MODEL`). What works without one: `/evolve rewrite <pattern> -> <fix> [in <glob>]` "
    "for structural rewrites; `/evolve help` lists everything."
)
CONFIG_INVALID = (
    "`.github/evolve.yml` is invalid, so I am doing nothing in this repository until it is fixed:\n\n"
    "> {error}\n\n`/evolve help` shows the keys; the onboarding PR has a commented example."
)
CI_FAILED = (
    "CI failed on this change, so I'm closing it as a regression:\n\n{checks}\n\n"
    "The outcome is recorded against `{kind}` proposals. `/evolve retry` reopens it."
)
UNTESTED = (
    "No checks reported on this PR within {minutes} minutes, so it is **untested**: I will not merge it "
    "automatically. Merge it yourself if you have checked it."
)
PASSED = "All required checks passed ({checks})."
MERGE_BLOCKED = (
    "The checks passed, but I could not merge it: {error}. I leave it to you: update the branch "
    "and merge it yourself, or close it."
)
REVERT_TITLE = 'Revert "{title}"'
REVERT_CONFLICT = (
    "I could not revert #{number} cleanly:\n\n{report}\n\n"
    "Say `/evolve revert` here to try again, on the default branch as it is then."
)
# `/evolve revert` that opens nothing says why, instead of leaving only the 👀 reaction.
NOTHING_TO_REVERT = "Nothing to revert: {why}."
NOT_MERGED = "#{number} is not merged"
ALREADY_REVERTED = "#{number} was already reverted{by}"
ALREADY_UNDONE = "`{branch}` already has none of the changes #{number} made"
REVERT_UNDER_WAY = "a revert of #{number} is already under way{by}"
REVERTED_BY = " by #{number}"
NOT_A_BOT_PR = "`/evolve {command}` works on pull requests I opened; this is not one of them."
NOTHING_TO_APPLY = "There is no proposal waiting for `/evolve apply` here."
NOTHING_TO_RETRY = "There is nothing closed or skipped here for `/evolve retry` to reopen."
IGNORED = "Understood: I dropped `{id}` and won't propose it again until someone says `/evolve retry`."
CI_FIX_PUSHED = (
    "CI failed, so I sent the failing output back to the model and pushed {sha} to this branch: {summary} "
    "If CI fails again I close this PR as a regression."
)
HUMAN_PUSH = "@{actor} pushed to this branch, so I stop rewriting it. It's yours now."


# `/evolve status`: what is in flight, what waits on a person (grouped, each with its link, title
# and reason), and a count of the rest.
STATUS_HEADER = "**evolve-bot** here: mode `{mode}`, {open}/{maximum} PRs open."
STATUS_WAITING = "**Waiting on a person** ({count})"
STATUS_IN_FLIGHT = "**In flight** ({count})"
STATUS_ITEM = "- {link} {title}: {doing}"
STATUS_REST = "Not shown: {counts}."
STATUS_NOTHING = "Nothing is in flight or waiting on a person."
STATUS_NONE = "No proposals in this repository yet."
# What each state means in the status list; `{reason}` is why it got there.
STATUS_DOING = {
    lifecycle.ASKED: "{reason}; `/evolve apply` on {origin} opens it",
    lifecycle.SUGGESTED: "suggested ({reason}); `/evolve apply` on {origin} opens it",
    lifecycle.PASSED: "checks passed; merge it or close it",
    lifecycle.UNTESTED: "no checks reported, so I will not merge it; merge it yourself if you have checked it",
    lifecycle.PROPOSED: "being prepared",
    lifecycle.PATCHING: "being prepared",
    lifecycle.PR_OPEN: "waiting for checks",
    lifecycle.TESTING: "waiting for checks",
    lifecycle.HELD: "held: {reason}",
    lifecycle.FAILED: "checks failed; I fix it or close it",
}
STATUS_MERGING = "checks passed; I merge it"
STATUS_YOURS = "checks failed on a branch someone pushed to; it is theirs to fix or close"


def waits_on_a_person(p: Proposal) -> bool:
    """Nothing moves until someone acts: an answer to a question, a merge, a look at a failure."""
    if p.state in (lifecycle.ASKED, lifecycle.SUGGESTED, lifecycle.UNTESTED):
        return True
    if p.state == lifecycle.PASSED:
        return not p.auto_merge or p.human_pushed
    return p.state == lifecycle.FAILED and p.human_pushed


def _status_item(p: Proposal) -> str:
    number = p.origin.get("number")
    origin = f"#{number}" if number is not None else f"`{p.id}`"
    link = f"#{p.pr_number}" if p.pr_number is not None else origin
    reason = p.history[-1].reason if p.history else ""
    if p.state == lifecycle.PASSED and p.auto_merge and not p.human_pushed:
        doing = STATUS_MERGING
    elif p.state == lifecycle.FAILED and p.human_pushed:
        doing = STATUS_YOURS
    else:
        doing = STATUS_DOING.get(p.state, p.state.replace("_", " ")).format(reason=reason, origin=origin)
    return STATUS_ITEM.format(link=link, title=p.title, doing=doing)


def status_report(proposals: Sequence[Proposal], *, mode: str, open_prs: int, max_open_prs: int) -> str:
    """The answer to `/evolve status` (proposals newest first): waiting on a person, then in
    flight, then how many of the rest (finished or dropped) there are, by state."""
    header = STATUS_HEADER.format(mode=mode, open=open_prs, maximum=max_open_prs)
    if not proposals:
        return header + "\n\n" + STATUS_NONE
    waiting = [p for p in proposals if p.state not in lifecycle.FINAL_STATES and waits_on_a_person(p)]
    moving = [p for p in proposals if p.state not in lifecycle.FINAL_STATES and not waits_on_a_person(p)]
    parts = [header]
    for title, group in ((STATUS_WAITING, waiting), (STATUS_IN_FLIGHT, moving)):
        if group:
            parts.append(title.format(count=len(group)) + "\n" + "\n".join(_status_item(p) for p in group))
    if not waiting and not moving:
        parts.append(STATUS_NOTHING)
    rest: dict[str, int] = {}
    for p in proposals:
        if p.state in lifecycle.FINAL_STATES:
            rest[p.state] = rest.get(p.state, 0) + 1
    if rest:
        parts.append(STATUS_REST.format(counts=", ".join(f"{n} {state}" for state, n in sorted(rest.items()))))
    return "\n\n".join(parts)


def marker(proposal_id: str) -> str:
    return MARKER.format(id=proposal_id)


def confidence_line(p: Proposal) -> str:
    ev = p.evidence
    outcomes = f"{ev.successes} of {ev.n} similar proposals succeeded" if ev.n else "no outcomes seen yet"
    return f"**{p.confidence:.2f}** — {ev.source}; {outcomes}."


def preview(diff: str, *, limit: int = PREVIEW_LINES) -> str:
    lines = diff.splitlines()
    shown = "\n".join(lines[:limit])
    more = f"\n… {len(lines) - limit} more lines" if len(lines) > limit else ""
    # Four backticks: a diff of Markdown files may itself contain three.
    return f"````diff\n{shown}{more}\n````"


def pr_body(p: Proposal, *, summary: str, diff: str, decision: str, mode: str) -> str:
    """What/why/confidence and its evidence/risk/changes/how to respond, for the bot's PR."""
    risk = f"**{p.risk}** ({p.risk_score:.2f}): " + "; ".join(p.risk_reasons)
    return "\n\n".join(
        [
            marker(p.id),
            f"### What\n{summary}",
            f"### Why\n{p.rationale}",
            f"### Confidence\n{confidence_line(p)}\n\nGate: {decision}",
            f"### Risk\n{risk}",
            f"<details><summary>Changes ({len(p.targets)} file{'s' if len(p.targets) != 1 else ''})</summary>\n\n{preview(diff)}\n\n</details>",
            HOW_TO_RESPOND,
            f"<sub>evolve-bot · mode `{mode}` · proposal `{p.id}` · `/evolve why` for the full chain</sub>",
        ]
    )


def proposal_comment(p: Proposal, *, summary: str, diff: str, decision: str, footer: str) -> str:
    """The reply for suggest, ask, hold and refuse: the change as a preview, and what to do about it.

    The gate's reason is said once: in the footer when it carries it (held, refused), else after
    the risk.
    """
    why = "" if decision in footer else f" {decision}."
    return "\n\n".join(
        [
            marker(p.id),
            f"**Proposal `{p.id}`**: {summary}",
            f"Confidence {confidence_line(p)} Risk **{p.risk}**.{why}",
            preview(diff),
            footer,
        ]
    )


def failing_checks(failures: Sequence[tuple[str, str | None]]) -> str:
    rows = []
    for name, summary in failures:
        text = (summary or "no summary").strip()
        tail = "\n".join(text.splitlines()[-15:])
        rows.append(f"- **{name}**\n\n  ```\n  " + tail.replace("\n", "\n  ") + "\n  ```")
    return "\n".join(rows)


def revert_body(*, original: Proposal | None, number: int, merge_sha: str, reason: str, proposal_id: str) -> str:
    about = f" (proposal `{original.id}`)" if original else ""
    return "\n\n".join(
        [
            marker(proposal_id),
            f"### What\nReverts #{number}{about}, merged as {merge_sha[:12]}.",
            f"### Why\n{reason}",
            HOW_TO_RESPOND,
        ]
    )


class JournalStep(Protocol):
    """What `/evolve why` reads of a journal entry (the store's `JournalEntry` is one): the texts
    stay pure, with no store underneath."""

    at: dt.datetime
    kind: str
    message: str


def why_chain(p: Proposal, entries: Sequence[JournalStep]) -> str:
    """The answer to `/evolve why`: the proposal's steps with their reasons, oldest first."""
    lines = [marker(p.id), f"**Why `{p.id}`** ({p.kind}, now {p.state.replace('_', ' ')})", "", f"Rationale: {p.rationale}"]
    if p.signals:
        lines.append(f"Signals: {', '.join(p.signals[:10])}")
    lines.append(f"Confidence: {confidence_line(p)}")
    lines.append(f"Risk: {p.risk} ({'; '.join(p.risk_reasons)})")
    lines.append("")
    lines.append("| when (UTC) | step | why |")
    lines.append("|---|---|---|")
    for e in entries:
        first = e.message.splitlines()[0].replace("|", "\\|") if e.message else ""
        lines.append(f"| {e.at:%Y-%m-%d %H:%M:%S} | {e.kind} | {first} |")
    return "\n".join(lines)
