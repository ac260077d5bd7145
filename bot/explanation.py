"""Every text the bot writes on GitHub: PR bodies, replies and the `/evolve why` chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

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
NO_MATCHES = "Nothing to change: `{pattern}` matches nowhere{where} on `{branch}`."
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
    """The reply for suggest and ask: the change as a preview, and what to do about it."""
    return "\n\n".join(
        [
            marker(p.id),
            f"**Proposal `{p.id}`**: {summary}",
            f"Confidence {confidence_line(p)} Risk **{p.risk}**. {decision}.",
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
