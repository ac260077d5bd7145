"""The store on every backend: deliveries once, claims in order, leases, signals once, journal."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update

from bot.delivery import Delivery
from bot.signals import CommentSignal, InstallationSignal
from bot.store import Store
from bot.store import tables as t
from bot.store.engine import StoreError


def delivery(n: int, *, repo: str | None = "octo/one", event: str = "issue_comment", installation: int | None = 7) -> Delivery:
    payload = {"action": "created", "n": n}
    return Delivery(
        delivery_id=f"d-{n}",
        event=event,
        action="created",
        installation_id=installation,
        repository=repo,
        headers={"x-github-event": event},
        body=json.dumps(payload).encode(),
    )


def comment(delivery_id: str, n: int = 1) -> CommentSignal:
    return CommentSignal(
        delivery_id=delivery_id,
        event="issue_comment",
        action="created",
        installation_id=7,
        repository="octo/one",
        actor="alice",
        from_bot=False,
        number=n,
        is_pull_request=False,
        comment_id=100 + n,
        body="/evolve help",
        author_association="MEMBER",
        html_url="https://github.com/octo/one/issues/1#issuecomment-1",
    )


async def test_migrations_match_the_tables(store: Store) -> None:
    def diff(conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(conn), t.metadata)

    async with store.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_open_is_idempotent(store: Store, database_url: tuple[str, dict]) -> None:
    url, options = database_url
    again = await Store.open(url, **options)  # migrating an up-to-date schema changes nothing
    try:
        assert await again.deliveries.backlog() == 0
    finally:
        await again.close()


async def test_bad_url_is_a_readable_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        await Store.open("definitely not a url")


async def test_unreachable_database_names_it_without_password() -> None:
    with pytest.raises(StoreError, match=r"postgresql\+asyncpg://evolve:\*\*\*@127.0.0.1:1/x"):
        await Store.open("postgresql+asyncpg://evolve:hunter2@127.0.0.1:1/x")


async def test_accept_once_per_delivery_id(store: Store) -> None:
    assert await store.deliveries.accept(delivery(1)) is True
    assert await store.deliveries.accept(delivery(1)) is False
    assert [d.delivery.delivery_id for d in await store.deliveries.recent()] == ["d-1"]
    assert [e.kind for e in await store.journal.entries()] == ["delivery.accepted", "delivery.duplicate"]
    assert await store.deliveries.backlog() == 1


async def test_claims_follow_arrival_order_within_a_repository(store: Store) -> None:
    for n, repo in enumerate(["octo/one", "octo/two", "octo/one", "octo/two", "octo/one"], start=1):
        await store.deliveries.accept(delivery(n, repo=repo))
    first = await store.deliveries.claim(limit=10)
    # Only the head of each repository's queue may run: d-1 (one) and d-2 (two).
    assert [c.delivery.delivery_id for c in first] == ["d-1", "d-2"]
    assert await store.deliveries.claim(limit=10) == []
    await store.deliveries.complete(first[0].seq, [], message="done")
    assert [c.delivery.delivery_id for c in await store.deliveries.claim(limit=10)] == ["d-3"]


async def test_racing_claims_take_each_delivery_once(store: Store) -> None:
    for n in range(1, 21):
        await store.deliveries.accept(delivery(n, repo=f"octo/r{n}"))
    ids: list[str] = []
    for _ in range(20):  # rounds of 8 racing claimers until the backlog is taken
        batches = await asyncio.gather(*(store.deliveries.claim(limit=5) for _ in range(8)))
        ids += [c.delivery.delivery_id for batch in batches for c in batch]
        if len(set(ids)) == 20:
            break
    assert len(ids) == len(set(ids)), "a delivery was claimed twice"
    assert sorted(ids) == sorted(f"d-{n}" for n in range(1, 21))


async def test_expired_lease_is_claimed_again(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    (first,) = await store.deliveries.claim(lease_seconds=60)
    assert await store.deliveries.claim() == []  # leased: nobody else takes it
    async with store.engine.begin() as conn:  # the worker died an hour ago
        past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        await conn.execute(update(t.deliveries).where(t.deliveries.c.seq == first.seq).values(lease_until=past))
    (again,) = await store.deliveries.claim()
    assert again.delivery.delivery_id == "d-1"
    assert again.attempts == 2


async def test_signals_are_stored_once_even_if_processed_twice(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    (claimed,) = await store.deliveries.claim()
    await store.deliveries.complete(claimed.seq, [comment("d-1", 1), comment("d-1", 2)], message="first")
    await store.deliveries.complete(claimed.seq, [comment("d-1", 1), comment("d-1", 2)], message="again")
    signals = await store.deliveries.signals(delivery_id="d-1")
    assert signals == [comment("d-1", 1), comment("d-1", 2)]
    assert (await store.deliveries.get("d-1")).status == "done"


async def test_failed_attempt_waits_then_retries_and_blocks_later_ones(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    await store.deliveries.accept(delivery(2))
    (claimed,) = await store.deliveries.claim()
    assert await store.deliveries.fail(claimed.seq, "boom", retry_in=3600) == "pending"
    # Not due yet, and d-2 must not overtake it.
    assert await store.deliveries.claim(limit=5) == []
    entry = (await store.journal.entries())[-1]
    assert entry.kind == "delivery.failed" and "boom" in entry.message and "retry" in entry.message


async def test_final_failure_unblocks_the_repository(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    await store.deliveries.accept(delivery(2))
    (claimed,) = await store.deliveries.claim()
    assert await store.deliveries.fail(claimed.seq, "bad payload", retry_in=None) == "failed"
    assert [c.delivery.delivery_id for c in await store.deliveries.claim()] == ["d-2"]


async def test_release_hands_a_delivery_back(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    (claimed,) = await store.deliveries.claim()
    await store.deliveries.release(claimed.seq)
    (again,) = await store.deliveries.claim()
    assert again.attempts == 1


async def test_journal_filters_and_limits(store: Store) -> None:
    await store.deliveries.accept(delivery(1, repo="octo/one"))
    await store.deliveries.accept(delivery(2, repo="octo/two"))
    await store.journal.record("proposal.opened", "opened PR #3", repository="octo/two", proposal_id="p-1")
    assert [e.message for e in await store.journal.entries(repository="octo/two")] == [
        "issue_comment.created on octo/two accepted",
        "opened PR #3",
    ]
    assert [e.proposal_id for e in await store.journal.entries(proposal_id="p-1")] == ["p-1"]
    newest = await store.journal.entries(limit=1)
    assert [e.kind for e in newest] == ["proposal.opened"]
    assert newest[0].at.tzinfo is not None


async def test_installation_state_follows_events(store: Store) -> None:
    base = dict(event="installation", installation_id=9, repository=None, actor="alice", from_bot=False, account="alice")
    created = InstallationSignal(delivery_id="i-1", action="created", repository_selection="selected", added=("alice/a", "alice/b"), **base)
    added = InstallationSignal(
        delivery_id="i-2", action="added", repository_selection="selected", added=("alice/c",), removed=("alice/a",),
        **{**base, "event": "installation_repositories"},
    )
    suspended = InstallationSignal(delivery_id="i-3", action="suspend", repository_selection="selected", **base)
    for n, signal in enumerate([created, added, suspended], start=1):
        await store.deliveries.accept(delivery(n, repo=None, event=signal.event, installation=9))
        (claimed,) = await store.deliveries.claim()
        await store.deliveries.complete(claimed.seq, [signal], message="ok")
    (inst,) = await store.installations.all()
    assert inst.id == 9 and inst.account == "alice"
    assert inst.repositories == ("alice/b", "alice/c")
    assert inst.suspended is True and inst.removed is False

    deleted = InstallationSignal(delivery_id="i-4", action="deleted", repository_selection="selected", **base)
    await store.deliveries.accept(delivery(4, repo=None, event="installation", installation=9))
    (claimed,) = await store.deliveries.claim()
    await store.deliveries.complete(claimed.seq, [deleted], message="ok")
    (inst,) = await store.installations.all()
    assert inst.removed is True and inst.repositories == ()


async def test_deliveries_survive_reopening(store: Store, database_url: tuple[str, dict]) -> None:
    await store.deliveries.accept(delivery(1))
    await store.close()
    url, options = database_url
    reopened = await Store.open(url, **options)
    try:
        assert await reopened.deliveries.backlog() == 1
        assert (await reopened.deliveries.get("d-1")).delivery.body == delivery(1).body
    finally:
        await reopened.close()


async def test_proposals_save_find_and_lock(store: Store) -> None:
    from bot import proposals as p
    from bot.store.proposals import StaleProposal

    at = dt.datetime.now(dt.UTC)
    new = p.new_proposal(kind="rewrite", repository="octo/one", installation_id=7, title="t", rationale="r", spec={"pattern": "a"}, at=at)
    saved = await store.proposals.save(new, message="proposed")
    assert saved.version == 1
    opened = await store.proposals.save(
        p.advance(p.advance(saved, p.PATCHING, at=at, reason="x"), p.PR_OPEN, at=at, reason="y", pr_number=5, branch="evolve/x"),
        message="opened PR #5",
    )
    assert (await store.proposals.for_pr("octo/one", 5)) == opened
    assert [q.id for q in await store.proposals.find("octo/one", key=new.key)] == [new.id]
    assert await store.proposals.open_pr_count("octo/one") == 1
    # A second writer holding the old version loses instead of overwriting the step.
    with pytest.raises(StaleProposal):
        await store.proposals.save(p.advance(saved, p.ASKED, at=at, reason="late"), message="late")
    with pytest.raises(StaleProposal):
        await store.proposals.save(new, message="created twice")
    entries = await store.journal.entries(proposal_id=new.id)
    assert [(e.kind, e.message) for e in entries] == [("proposal.proposed", "proposed"), ("proposal.pr_open", "opened PR #5")]


async def test_learner_memory(store: Store) -> None:
    from bot.rules import Example, Surroundings

    ex = Example(before="x == None", after="x is None", path="a.py", language="python", source="suggestion", author="rev", pr=3, line=7)
    assert await store.learning.add_example("octo/one", ex, origin="review-comment:1") is True
    assert await store.learning.add_example("octo/one", ex, origin="review-comment:1") is False
    assert await store.learning.examples("octo/one") == [ex]
    assert await store.learning.examples("octo/two") == []
    # What surrounded an example is kept with it; an example stored without it reads back as None.
    around = dataclasses.replace(
        ex, before="d.get(k, None)", after="d.get(k)",
        surroundings=Surroundings(enclosing_class="C", types=(("d", "dict"),)),
    )
    assert await store.learning.add_example("octo/one", around, origin="review-comment:2") is True
    assert await store.learning.examples("octo/one") == [ex, around]
    await store.learning.retire_rule("octo/one", "rule-1", reason="@maya said /evolve ignore")
    await store.learning.retire_rule("octo/one", "rule-1", reason="again")
    assert await store.learning.retired_rules("octo/one") == {"rule-1": "@maya said /evolve ignore"}
    # Retired before the examples were kept with it: known by its id alone.
    assert await store.learning.retired_examples("octo/one") == []
    await store.learning.retire_rule("octo/one", "rule-2", reason="@ann said /evolve ignore", examples=["k1", "k2"])
    assert await store.learning.retired_examples("octo/one") == [(frozenset({"k1", "k2"}), "@ann said /evolve ignore")]
    assert await store.learning.retired_examples("octo/two") == []
    # Brought back (by /evolve retry): gone with its examples; another repository's is untouched.
    await store.learning.retire_rule("octo/two", "rule-2", reason="elsewhere", examples=["k1"])
    assert await store.learning.unretire_rule("octo/one", "rule-2") == "@ann said /evolve ignore"
    assert await store.learning.unretire_rule("octo/one", "rule-2") is None
    assert await store.learning.retired_rules("octo/one") == {"rule-1": "@maya said /evolve ignore"}
    assert await store.learning.retired_examples("octo/one") == []
    assert await store.learning.retired_rules("octo/two") == {"rule-2": "elsewhere"}
    assert await store.learning.playbook_text("octo/one") is None
    await store.learning.save_playbook("octo/one", "# Playbook\n", file_sha=None, message="first lessons")
    await store.learning.save_playbook("octo/one", "# Playbook v2\n", file_sha="abc", message="human edit read back")
    assert await store.learning.playbook_text("octo/one") == ("# Playbook v2\n", "abc")
    assert [e.kind for e in await store.journal.entries()] == ["playbook.updated", "playbook.updated"]


async def test_expedite_makes_waiting_deliveries_due(store: Store) -> None:
    await store.deliveries.accept(delivery(1))
    (claimed,) = await store.deliveries.claim()
    await store.deliveries.fail(claimed.seq, "rate limited", retry_in=600)
    assert await store.deliveries.claim() == []
    assert await store.deliveries.expedite() == 1
    assert [c.delivery.delivery_id for c in await store.deliveries.claim()] == ["d-1"]


async def test_one_clock_stamps_every_concept(database_url: tuple[str, dict]) -> None:
    from bot import proposals as p

    at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    url, options = database_url
    store = await Store.open(url, clock=lambda: at, **options)
    try:
        await store.deliveries.accept(delivery(1))
        new = p.new_proposal(kind="rewrite", repository="octo/one", installation_id=7, title="t", rationale="r", spec={}, at=at)
        await store.proposals.save(new, message="proposed")
        await store.learning.save_playbook("octo/one", "# Playbook\n", file_sha=None, message="first lessons")
        assert store.clock() == at
        assert (await store.deliveries.get("d-1")).received_at == at
        assert [(e.kind, e.at) for e in await store.journal.entries()] == [
            ("delivery.accepted", at),
            ("proposal.proposed", at),
            ("playbook.updated", at),
        ]
        # A caller that stamped its own step (the proposal's history) journals it at that time.
        later = at + dt.timedelta(minutes=1)
        await store.journal.record("x", "y", at=later)
        assert (await store.journal.entries(limit=1))[0].at == later
    finally:
        await store.close()
