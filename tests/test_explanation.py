"""The texts the bot writes: PR bodies carry what/why/confidence/risk/how to respond and a marker."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot import explanation as texts
from bot import proposals as lifecycle
from bot.proposals import Evidence, new_proposal
from bot.store.journal import JournalEntry

AT = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def proposal():
    p = new_proposal(kind="rewrite", repository="o/r", installation_id=1, title="t", rationale="@alice asked in #3", spec={"pattern": "a"}, at=AT)
    return dataclasses.replace(
        p, confidence=0.7, evidence=Evidence(source="prior for rewrite (Beta 7/3) from .github/evolve.yml", n=4, successes=3),
        risk="low", risk_score=0.15, risk_reasons=("kind rewrite starts at 0.15",), targets=("a.py",),
    )


def test_pr_body_sections_and_marker() -> None:
    p = proposal()
    body = texts.pr_body(p, summary="Rewrites 2 sites", diff="--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a\n+b", decision="mode confidence", mode="confidence")
    for part in ("### What", "Rewrites 2 sites", "### Why", "@alice asked in #3", "**0.70**", "3 of 4 similar proposals succeeded", "**low** (0.15)", "````diff", "/evolve retry"):
        assert part in body
    assert texts.marker(p.id) in body


def test_preview_is_bounded() -> None:
    text = texts.preview("\n".join(f"+{i}" for i in range(500)), limit=10)
    assert "+9" in text and "+10\n" not in text and "490 more lines" in text


def test_why_chain_lists_steps() -> None:
    entries = [JournalEntry(id=1, at=AT, kind="proposal.proposed", message="asked | by alice"), JournalEntry(id=2, at=AT, kind="proposal.pr_open", message="opened #4")]
    text = texts.why_chain(proposal(), entries)
    assert "| 2026-11-21 12:00:00 | proposal.pr_open | opened #4 |" in text
    assert "asked \\| by alice" in text


def test_failing_checks_show_the_tail() -> None:
    text = texts.failing_checks([("ci", "line\n" * 30 + "1 failed, 2 passed")])
    assert "**ci**" in text and "1 failed, 2 passed" in text and text.count("line") == 14


def at_state(state: str, *, title: str, reason: str, number: int | None = 5, **changes: object):
    p = new_proposal(
        kind=str(changes.pop("kind", "instruction")), repository="o/r", installation_id=1, title=title,
        rationale="r", spec={"n": title}, at=AT, origin={"number": number} if number is not None else {},
    )  # fmt: skip
    step = lifecycle.Step(state=state, at=AT, reason=reason)
    return dataclasses.replace(p, state=state, history=(*p.history, step), **changes)  # type: ignore[arg-type]


def test_status_groups_what_waits_on_a_person_and_what_is_in_flight_and_counts_the_rest() -> None:
    # What a maintainer saw (issue 21, item 6): 8 skipped instruction attempts and 3 copies of
    # one skipped learned rule drowned the two things that mattered, without titles or links.
    skipped = [at_state("skipped", title=f"evolve: try {i}", reason="patch failed: file missing") for i in range(8)]
    rules = [
        at_state("skipped", title="Apply learned rule a -> b", reason="only denied", number=None, kind="learned_rule")
        for _ in range(3)
    ]
    asked = at_state("asked", title="Rewrite `print($A)` → `log($A)`", reason="mode ask_before: I ask before opening a PR", number=12)
    testing = at_state("testing", title="evolve: add type hints", reason="checks reported", pr_number=31)
    passed = at_state("passed", title="Rewrite `x == None` → `x is None`", reason="all checks passed", pr_number=30)
    merged = at_state("merged", title="done", reason="merged", pr_number=29)

    report = texts.status_report(
        [testing, asked, passed, *skipped, *rules, merged], mode="ask_before", open_prs=2, max_open_prs=3
    )

    assert report == (
        "**evolve-bot** here: mode `ask_before`, 2/3 PRs open.\n\n"
        "**Waiting on a person** (2)\n"
        "- #12 Rewrite `print($A)` → `log($A)`: mode ask_before: I ask before opening a PR; "
        "`/evolve apply` on #12 opens it\n"
        "- #30 Rewrite `x == None` → `x is None`: checks passed; merge it or close it\n\n"
        "**In flight** (1)\n- #31 evolve: add type hints: waiting for checks\n\n"
        "Not shown: 1 merged, 11 skipped."
    )


def test_status_says_when_nothing_is_going_on() -> None:
    done = at_state("merged", title="done", reason="merged", pr_number=29)
    assert texts.status_report([done], mode="confidence", open_prs=0, max_open_prs=3).endswith(
        "\n\n" + texts.STATUS_NOTHING + "\n\nNot shown: 1 merged."
    )
    assert texts.status_report([], mode="confidence", open_prs=0, max_open_prs=3).endswith(texts.STATUS_NONE)


def test_a_refused_or_held_proposal_says_why_once() -> None:
    p = proposal()
    for footer, reason in ((texts.REFUSED, "it would change denied paths: a.py"), (texts.HELD, "3 evolve PRs are open")):
        comment = texts.proposal_comment(p, summary="s", diff="d", decision=reason, footer=footer.format(reason=reason))
        assert comment.count(reason) == 1 and footer.format(reason=reason) in comment
    asked = texts.proposal_comment(p, summary="s", diff="d", decision="mode ask_before: I ask", footer=texts.ASK_FOOTER)
    assert "Risk **low**. mode ask_before: I ask." in asked and asked.endswith(texts.ASK_FOOTER)
