"""The loop's one transition helper: one clock, the version check, and the journal filed under the delivery."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import proposals as lifecycle
from bot.loop.context import Loop, Repo, delivery, unfiled
from bot.store import Store
from bot.store.proposals import StaleProposal

AT = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
REPO = "octo/demo"


def loop_on(store: Store) -> Loop:
    return Loop(app=None, store=store, app_slug="evolve-bot", clock=lambda: AT)  # type: ignore[arg-type]


def fresh(number: int = 3, **spec: str) -> lifecycle.Proposal:
    return lifecycle.new_proposal(
        kind=lifecycle.Kind.REWRITE, repository=REPO, installation_id=1, title="t", rationale="r",
        spec=spec or {"pattern": "a", "fix": "b"}, at=AT, origin={"number": number},
    )  # fmt: skip


def naive(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=None)  # SQLite gives back naive UTC


async def test_a_step_is_stamped_by_one_clock_and_filed_under_the_delivery(store: Store) -> None:
    loop = loop_on(store)
    with delivery("d-1"):
        saved = await loop.save(fresh(), message="proposed", at=AT)
        moved = await loop.advance(saved, lifecycle.ASKED, reason="mode ask_before", message="asked: mode ask_before")
        await loop.note("gate.decided", "ask", repository=REPO, proposal_id=moved.id)
    entries = await store.journal.entries(proposal_id=moved.id)
    assert [(e.kind, e.delivery_id, naive(e.at)) for e in entries] == [
        ("proposal.proposed", "d-1", naive(AT)),
        ("proposal.asked", "d-1", naive(AT)),
        ("gate.decided", "d-1", naive(AT)),
    ]
    assert moved.history[-1] == lifecycle.Step(state=lifecycle.ASKED, at=AT, reason="mode ask_before")
    assert (moved.version, (await store.proposals.get(moved.id)).state) == (2, lifecycle.ASKED)  # type: ignore[union-attr]


async def test_outside_a_delivery_or_unfiled_nothing_is_filed_under_one(store: Store) -> None:
    loop = loop_on(store)
    await loop.note("sweep", "outside", repository=REPO)
    with delivery("d-2"), unfiled():
        await loop.note("proposal.suppressed", "inside, unfiled", repository=REPO)
    with delivery("d-2"):
        await loop.note("command.done", "inside", repository=REPO)
    entries = await store.journal.entries(repository=REPO)
    assert [e.delivery_id for e in entries] == [None, None, "d-2"]


async def test_two_moves_from_the_same_version_cannot_both_land(store: Store) -> None:
    loop = loop_on(store)
    saved = await loop.save(fresh(), message="proposed")
    await loop.advance(saved, lifecycle.ASKED, reason="r", message="m")
    with pytest.raises(StaleProposal):
        await loop.advance(saved, lifecycle.SUGGESTED, reason="r", message="m")


async def test_waiting_on_is_the_one_lookup_by_issue(store: Store) -> None:
    loop = loop_on(store)
    asked = await loop.advance(await loop.save(fresh(3), message="p"), lifecycle.ASKED, reason="r", message="m")
    other = await loop.save(fresh(4, pattern="x", fix="y"), message="p")
    await loop.advance(other, lifecycle.ASKED, reason="r", message="m")
    repo = Repo(client=None, full_name=REPO, installation_id=1, default_branch="main", config=None, has_config=True, config_error=None)  # type: ignore[arg-type]
    assert [p.id for p in await loop.waiting_on(repo, 3)] == [asked.id]
    assert await loop.waiting_on(repo, 3, states=(lifecycle.CLOSED,)) == []
