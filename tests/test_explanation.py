"""The texts the bot writes: PR bodies carry what/why/confidence/risk/how to respond and a marker."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot import explanation as texts
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
