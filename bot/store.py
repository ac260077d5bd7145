"""The durable store: deliveries, signals, journal and installation state, on SQLAlchemy 2 async."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, and_, delete, event, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot import tables as t
from bot.delivery import Delivery
from bot.journal import JournalEntry
from bot.proposals import OPEN_PR_STATES, Proposal
from bot.rules import Example, Surroundings
from bot.signals import InstallationSignal, Signal, signal_from_dict

MIGRATIONS = Path(__file__).with_name("migrations")

# Delivery states. `ignored` and `ping` are final at intake: no worker ever sees them.
PENDING, PROCESSING, DONE, FAILED, IGNORED, PING = (
    "pending",
    "processing",
    "done",
    "failed",
    "ignored",
    "ping",
)


class StaleProposal(Exception):
    """The proposal changed since it was read; re-read it and decide again."""


class StoreError(Exception):
    """The database cannot be opened or migrated; the message names the URL (without password)."""


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """A delivery as the store holds it, with its processing state."""

    seq: int
    delivery: Delivery
    status: str
    attempts: int
    received_at: dt.datetime
    error: str | None


@dataclass(frozen=True, slots=True)
class Installation:
    """What the app knows of one installation, kept from installation events."""

    id: int
    account: str
    repository_selection: str | None
    suspended: bool
    removed: bool
    repositories: tuple[str, ...]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the HTTP intake write while workers read; NORMAL is durable across a process
    # crash (kill -9), which is the failure we promise to survive.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _run_upgrade(connection: Connection) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


class Store:
    """All reads and writes of the bot's state. One instance per process, shared by tasks."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        # SQLite allows one writer; serialising writes in-process avoids "database is locked".
        self._write_lock = asyncio.Lock() if self.backend == "sqlite" else None

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, **engine_options: Any) -> Store:
        """Connect to `url` and bring its schema to the latest migration."""
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise StoreError(f"EVOLVE_DATABASE_URL {url!r} is not a database URL: {exc}") from exc
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **engine_options)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            try:
                await store.migrate()
            except Exception as exc:
                await engine.dispose()
                safe = parsed.render_as_string(hide_password=True)
                raise StoreError(f"cannot open the store at {safe}: {exc}") from exc
        return store

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_upgrade)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    # -- deliveries ---------------------------------------------------------------------------

    async def accept(self, delivery: Delivery, *, status: str = PENDING, note: str = "") -> bool:
        """Commit a new delivery and its journal entry; False when its id was seen before."""
        at = now()
        row = {
            "delivery_id": delivery.delivery_id,
            "event": delivery.event,
            "action": delivery.action,
            "installation_id": delivery.installation_id,
            "repository": delivery.repository,
            "order_key": delivery.order_key,
            "headers": delivery.headers,
            "content_type": delivery.content_type,
            "body": delivery.body,
            "received_at": at,
            "status": status,
            "attempts": 0,
            "processed_at": at if status in (IGNORED, PING) else None,
        }
        kind = {PENDING: "delivery.accepted", IGNORED: "delivery.ignored", PING: "delivery.ping"}[status]
        message = note or f"{_describe(delivery)} {kind.split('.')[1]}"
        try:
            async with self._writing():
                async with self.engine.begin() as conn:
                    await conn.execute(insert(t.deliveries).values(**row))
                    await conn.execute(
                        insert(t.journal).values(**_journal_row(kind, message, delivery=delivery, at=at))
                    )
        except IntegrityError:
            await self.record(
                "delivery.duplicate",
                f"{_describe(delivery)} received again; not processed twice",
                delivery_id=delivery.delivery_id,
                repository=delivery.repository,
            )
            return False
        return True

    async def claim(self, *, lease_seconds: float = 120.0, limit: int = 1) -> list[StoredDelivery]:
        """Lease up to `limit` deliveries, each the oldest unfinished one of its repository.

        A delivery is claimable when it is pending (and due), or processing with an expired
        lease (its worker died). Only the first unfinished delivery of an order key qualifies,
        so one repository's deliveries are handled in the order received, whatever the number of
        workers or processes.
        """
        at = now()
        d = t.deliveries
        earlier = t.deliveries.alias("earlier")
        claimable = or_(
            and_(d.c.status == PENDING, or_(d.c.not_before.is_(None), d.c.not_before <= at)),
            and_(d.c.status == PROCESSING, d.c.lease_until < at),
        )
        blocked = exists().where(
            earlier.c.order_key == d.c.order_key,
            earlier.c.seq < d.c.seq,
            earlier.c.status.in_((PENDING, PROCESSING)),
        )
        query = select(d.c.seq).where(claimable, ~blocked).order_by(d.c.seq).limit(limit)
        if self.backend == "postgresql":
            # Racing workers in other processes skip rows another has locked instead of all
            # picking the same ones; the `blocked` test still sees a locked head as unfinished.
            query = query.with_for_update(skip_locked=True, of=d)
        claimed: list[StoredDelivery] = []
        async with self._writing():
            async with self.engine.begin() as conn:
                seqs = (await conn.execute(query)).scalars().all()
                for seq in seqs:
                    # The conditional update makes two racing workers claim a delivery once.
                    result = await conn.execute(
                        update(d)
                        .where(d.c.seq == seq, claimable)
                        .values(
                            status=PROCESSING,
                            attempts=d.c.attempts + 1,
                            lease_until=at + dt.timedelta(seconds=lease_seconds),
                        )
                    )
                    if result.rowcount == 1:
                        row = (await conn.execute(select(d).where(d.c.seq == seq))).one()
                        claimed.append(_stored(row))
        return claimed

    async def complete(self, seq: int, signals: Sequence[Signal], *, message: str) -> None:
        """Store a delivery's signals (once, even if processed twice) and mark it done."""
        at = now()
        async with self._writing():
            async with self.engine.begin() as conn:
                row = (await conn.execute(select(t.deliveries).where(t.deliveries.c.seq == seq))).one()
                for position, signal in enumerate(signals):
                    values = {
                        "delivery_id": row.delivery_id,
                        "position": position,
                        "kind": signal.kind,
                        "repository": signal.repository,
                        "installation_id": signal.installation_id,
                        "data": signal.to_dict(),
                        "created_at": at,
                    }
                    await conn.execute(self._insert_ignore(t.signals, values))
                    if isinstance(signal, InstallationSignal):
                        await _apply_installation(conn, signal, at)
                await conn.execute(
                    update(t.deliveries)
                    .where(t.deliveries.c.seq == seq)
                    .values(status=DONE, processed_at=at, lease_until=None, error=None)
                )
                await conn.execute(
                    insert(t.journal).values(
                        **_journal_row(
                            "delivery.processed",
                            message,
                            delivery=_delivery(row),
                            at=at,
                            data={"signals": [s.kind for s in signals]},
                        )
                    )
                )

    async def fail(self, seq: int, error: str, *, retry_in: float | None) -> str:
        """Record a failed attempt: back to pending after `retry_in` seconds, or failed for good."""
        at = now()
        status = PENDING if retry_in is not None else FAILED
        async with self._writing():
            async with self.engine.begin() as conn:
                row = (await conn.execute(select(t.deliveries).where(t.deliveries.c.seq == seq))).one()
                await conn.execute(
                    update(t.deliveries)
                    .where(t.deliveries.c.seq == seq)
                    .values(
                        status=status,
                        error=error,
                        lease_until=None,
                        not_before=at + dt.timedelta(seconds=retry_in) if retry_in is not None else None,
                        processed_at=None if retry_in is not None else at,
                    )
                )
                verb = f"will retry in {retry_in:.0f}s" if retry_in is not None else "gave up"
                await conn.execute(
                    insert(t.journal).values(
                        **_journal_row(
                            "delivery.failed",
                            f"{_describe(_delivery(row))} failed (attempt {row.attempts}, {verb}): {error}",
                            delivery=_delivery(row),
                            at=at,
                            data={"attempt": row.attempts, "error": error, "final": retry_in is None},
                        )
                    )
                )
        return status

    async def release(self, seq: int) -> None:
        """Hand a claimed delivery back untouched (a worker shutting down)."""
        async with self._writing():
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(t.deliveries)
                    .where(t.deliveries.c.seq == seq, t.deliveries.c.status == PROCESSING)
                    .values(status=PENDING, lease_until=None, attempts=t.deliveries.c.attempts - 1)
                )

    async def retry_failed(self, delivery_id: str | None = None) -> int:
        """Put failed deliveries (one, or all) back in the backlog; returns how many."""
        d = t.deliveries
        cond = d.c.status == FAILED
        if delivery_id is not None:
            cond = and_(cond, d.c.delivery_id == delivery_id)
        async with self._writing():
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(d).where(cond).values(status=PENDING, not_before=None, attempts=0)
                )
        return result.rowcount

    async def expedite(self) -> int:
        """Make deliveries waiting out a backoff due now (an operator's "retry now"); returns how many."""
        d = t.deliveries
        async with self._writing():
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(d).where(d.c.status == PENDING, d.c.not_before.is_not(None)).values(not_before=None)
                )
        return result.rowcount

    async def delivery(self, delivery_id: str) -> StoredDelivery | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(t.deliveries).where(t.deliveries.c.delivery_id == delivery_id))
            ).one_or_none()
        return _stored(row) if row else None

    async def deliveries(self, *, limit: int = 100) -> list[StoredDelivery]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(select(t.deliveries).order_by(t.deliveries.c.seq.desc()).limit(limit))
            ).all()
        return [_stored(r) for r in rows]

    async def backlog(self) -> int:
        """Deliveries accepted but not yet finished."""
        async with self.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count())
                        .select_from(t.deliveries)
                        .where(t.deliveries.c.status.in_((PENDING, PROCESSING)))
                    )
                ).scalar_one()
            )

    async def counts(self) -> dict[tuple[str, str], int]:
        """Deliveries by (event, status), for the metrics page after a restart."""
        d = t.deliveries
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(d.c.event, d.c.status, func.count()).group_by(d.c.event, d.c.status))).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    # -- signals ------------------------------------------------------------------------------

    async def signals(
        self, *, delivery_id: str | None = None, repository: str | None = None, limit: int = 1000
    ) -> list[Signal]:
        s = t.signals
        query = select(s.c.data).order_by(s.c.id).limit(limit)
        if delivery_id is not None:
            query = query.where(s.c.delivery_id == delivery_id)
        if repository is not None:
            query = query.where(s.c.repository == repository)
        async with self.engine.connect() as conn:
            return [signal_from_dict(data) for data in (await conn.execute(query)).scalars()]

    # -- journal ------------------------------------------------------------------------------

    async def record(
        self,
        kind: str,
        message: str,
        *,
        delivery_id: str | None = None,
        repository: str | None = None,
        proposal_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Append one journal entry (at `at`, by the caller's clock, or now). The journal is
        never updated or deleted."""
        row = {
            "at": at or now(),
            "kind": kind,
            "delivery_id": delivery_id,
            "repository": repository,
            "proposal_id": proposal_id,
            "message": message,
            "data": data or {},
        }
        async with self._writing():
            async with self.engine.begin() as conn:
                await conn.execute(insert(t.journal).values(**row))

    async def journal(
        self,
        *,
        limit: int = 50,
        repository: str | None = None,
        delivery_id: str | None = None,
        proposal_id: str | None = None,
    ) -> list[JournalEntry]:
        """The newest `limit` entries matching the filters, oldest first."""
        j = t.journal
        query = select(j).order_by(j.c.id.desc()).limit(limit)
        for column, value in ((j.c.repository, repository), (j.c.delivery_id, delivery_id), (j.c.proposal_id, proposal_id)):
            if value is not None:
                query = query.where(column == value)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            JournalEntry(
                id=r.id,
                at=r.at,
                kind=r.kind,
                message=r.message,
                delivery_id=r.delivery_id,
                repository=r.repository,
                proposal_id=r.proposal_id,
                data=r.data,
            )
            for r in reversed(rows)
        ]

    # -- installations ------------------------------------------------------------------------

    async def installations(self) -> list[Installation]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t.installations).order_by(t.installations.c.id))).all()
            repos = (await conn.execute(select(t.installation_repositories))).all()
        by_inst: dict[int, list[str]] = {}
        for r in repos:
            by_inst.setdefault(r.installation_id, []).append(r.full_name)
        return [
            Installation(
                id=r.id,
                account=r.account,
                repository_selection=r.repository_selection,
                suspended=r.suspended,
                removed=r.removed,
                repositories=tuple(sorted(by_inst.get(r.id, []))),
            )
            for r in rows
        ]

    # -- proposals ----------------------------------------------------------------------------

    async def save_proposal(
        self,
        proposal: Proposal,
        *,
        message: str,
        kind: str | None = None,
        delivery_id: str | None = None,
        data: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
    ) -> Proposal:
        """Insert or update a proposal and journal the step, in one transaction.

        Updates are checked against `proposal.version`, so two tasks cannot both move the same
        proposal from the same state (the second gets StaleProposal). Returns the saved proposal,
        with its new version, for the next step. `at` is the caller's clock (the one its history
        step was stamped with); now when not given.
        """
        at = at or now()
        p = t.proposals
        row = {
            "key": proposal.key,
            "repository": proposal.repository,
            "kind": proposal.kind,
            "state": proposal.state,
            "pr_number": proposal.pr_number,
            "branch": proposal.branch,
            "head_sha": proposal.head_sha,
            "merge_sha": proposal.merge_sha,
            "data": proposal.to_dict(),
            "updated_at": at,
        }
        async with self._writing():
            async with self.engine.begin() as conn:
                saved = dataclasses.replace(proposal, version=proposal.version + 1)
                row["data"] = saved.to_dict()
                if proposal.version == 0:
                    try:
                        await conn.execute(insert(p).values(id=proposal.id, version=1, created_at=at, **row))
                    except IntegrityError as exc:
                        raise StaleProposal(f"proposal {proposal.id} was created meanwhile") from exc
                else:
                    result = await conn.execute(
                        update(p)
                        .where(p.c.id == proposal.id, p.c.version == proposal.version)
                        .values(version=saved.version, **row)
                    )
                    if result.rowcount != 1:
                        raise StaleProposal(f"proposal {proposal.id} changed since it was read")
                await conn.execute(
                    insert(t.journal).values(
                        at=at,
                        kind=kind or f"proposal.{proposal.state}",
                        delivery_id=delivery_id,
                        repository=proposal.repository,
                        proposal_id=proposal.id,
                        message=message,
                        data={"state": proposal.state, **(data or {})},
                    )
                )
        return saved

    async def proposal(self, proposal_id: str) -> Proposal | None:
        return await self._one_proposal(t.proposals.c.id == proposal_id)

    async def proposal_for_pr(self, repository: str, number: int) -> Proposal | None:
        p = t.proposals
        return await self._one_proposal(and_(p.c.repository == repository, p.c.pr_number == number))

    async def proposal_for_branch(self, repository: str, branch: str) -> Proposal | None:
        p = t.proposals
        return await self._one_proposal(and_(p.c.repository == repository, p.c.branch == branch))

    async def proposals(
        self,
        repository: str | None = None,
        *,
        key: str | None = None,
        states: Sequence[str] | None = None,
        head_sha: str | None = None,
        merge_sha: str | None = None,
        limit: int = 200,
    ) -> list[Proposal]:
        """Proposals matching every filter given, newest first."""
        p = t.proposals
        query = select(p.c.version, p.c.data).order_by(p.c.created_at.desc(), p.c.id.desc()).limit(limit)
        for column, value in ((p.c.repository, repository), (p.c.key, key), (p.c.head_sha, head_sha), (p.c.merge_sha, merge_sha)):
            if value is not None:
                query = query.where(column == value)
        if states is not None:
            query = query.where(p.c.state.in_(tuple(states)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Proposal.from_dict({**r.data, "version": r.version}) for r in rows]

    async def open_pr_count(self, repository: str) -> int:
        return len(await self.proposals(repository, states=sorted(OPEN_PR_STATES)))

    async def _one_proposal(self, condition: Any) -> Proposal | None:
        p = t.proposals
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(p.c.version, p.c.data).where(condition).order_by(p.c.created_at.desc()).limit(1))
            ).one_or_none()
        return Proposal.from_dict({**row.data, "version": row.version}) if row else None

    # -- the learner's memory -----------------------------------------------------------------

    async def add_example(self, repository: str, example: Example, *, origin: str) -> bool:
        """Keep a before/after example once per origin; False when that origin was seen before."""
        values = {
            "repository": repository,
            "origin": origin,
            "source": example.source,
            "path": example.path,
            "language": example.language,
            "before": example.before,
            "after": example.after,
            "author": example.author,
            "pr": example.pr,
            "line": example.line,
            "outcome": example.outcome,
            "created_at": now(),
            "surroundings": example.surroundings.to_dict() if example.surroundings else None,
        }
        async with self._writing():
            async with self.engine.begin() as conn:
                result = await conn.execute(self._insert_ignore(t.examples, values))
        return bool(result.rowcount)

    async def examples(self, repository: str) -> list[Example]:
        e = t.examples
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(e).where(e.c.repository == repository).order_by(e.c.id))).all()
        return [
            Example(
                before=r.before, after=r.after, path=r.path, language=r.language, source=r.source,
                author=r.author, pr=r.pr, line=r.line, outcome=r.outcome,
                surroundings=Surroundings.from_dict(r.surroundings) if r.surroundings else None,
            )
            for r in rows
        ]

    async def retire_rule(self, repository: str, rule_id: str, *, reason: str, examples: Sequence[str] = ()) -> None:
        """Retire a learned rule, with the keys of the examples it was learned from (if known)."""
        values = {"repository": repository, "rule_id": rule_id, "reason": reason, "at": now(), "examples": list(examples) or None}
        async with self._writing():
            async with self.engine.begin() as conn:
                await conn.execute(self._insert_ignore(t.retired_rules, values))

    async def unretire_rule(self, repository: str, rule_id: str) -> str | None:
        """Bring a retired rule back; the reason it was retired for, or None if it was not retired."""
        r = t.retired_rules
        where = and_(r.c.repository == repository, r.c.rule_id == rule_id)
        async with self._writing():
            async with self.engine.begin() as conn:
                reason = (await conn.execute(select(r.c.reason).where(where))).scalar_one_or_none()
                if reason is not None:
                    await conn.execute(delete(r).where(where))
        return reason

    async def retired_rules(self, repository: str) -> dict[str, str]:
        r = t.retired_rules
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(r.c.rule_id, r.c.reason).where(r.c.repository == repository))).all()
        return {row.rule_id: row.reason for row in rows}

    async def retired_examples(self, repository: str) -> list[tuple[frozenset[str], str]]:
        """Per retired rule whose examples are known: their keys, and why it was retired."""
        r = t.retired_rules
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(r.c.examples, r.c.reason).where(r.c.repository == repository).order_by(r.c.at))).all()
        return [(frozenset(str(k) for k in row.examples), row.reason) for row in rows if isinstance(row.examples, list) and row.examples]

    async def playbook_text(self, repository: str) -> tuple[str, str | None] | None:
        """The repository's playbook as last saved, and the file sha it was read from (if any)."""
        p = t.playbooks
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(p.c.text, p.c.file_sha).where(p.c.repository == repository))).one_or_none()
        return (row.text, row.file_sha) if row else None

    async def save_playbook(self, repository: str, text: str, *, file_sha: str | None, message: str) -> None:
        p = t.playbooks
        at = now()
        async with self._writing():
            async with self.engine.begin() as conn:
                exists_ = (await conn.execute(select(p.c.repository).where(p.c.repository == repository))).first()
                if exists_:
                    await conn.execute(update(p).where(p.c.repository == repository).values(text=text, file_sha=file_sha, updated_at=at))
                else:
                    await conn.execute(insert(p).values(repository=repository, text=text, file_sha=file_sha, updated_at=at))
                await conn.execute(
                    insert(t.journal).values(at=at, kind="playbook.updated", delivery_id=None, repository=repository, proposal_id=None, message=message, data={})
                )

    # -- internals ----------------------------------------------------------------------------

    def _writing(self) -> asyncio.Lock | _NoLock:
        return self._write_lock or _NoLock()

    def _insert_ignore(self, table: t.Table, values: dict[str, Any]) -> Any:
        dialect_insert = pg_insert if self.backend == "postgresql" else sqlite_insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing()


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _apply_installation(conn: Any, signal: InstallationSignal, at: dt.datetime) -> None:
    """Keep installation state: who installed, which repositories, suspended or removed."""
    inst_id = signal.installation_id
    if inst_id is None:
        return
    i, r = t.installations, t.installation_repositories
    existing = (await conn.execute(select(i.c.id).where(i.c.id == inst_id))).first()
    values = {
        "account": signal.account,
        "repository_selection": signal.repository_selection,
        "suspended": signal.action == "suspend",
        "removed": signal.action == "deleted",
        "updated_at": at,
    }
    if signal.event == "installation_repositories" and existing:
        values = {"repository_selection": signal.repository_selection, "updated_at": at}
    elif signal.action in ("new_permissions_accepted",) and existing:
        values = {"updated_at": at}
    if existing:
        await conn.execute(update(i).where(i.c.id == inst_id).values(**values))
    else:
        await conn.execute(insert(i).values(id=inst_id, **{**_installation_defaults(signal, at), **values}))
    if signal.event == "installation" and signal.action == "created":
        await conn.execute(r.delete().where(r.c.installation_id == inst_id))
    if signal.action == "deleted":
        await conn.execute(r.delete().where(r.c.installation_id == inst_id))
    for name in signal.removed:
        await conn.execute(r.delete().where(r.c.installation_id == inst_id, r.c.full_name == name))
    for name in signal.added:
        present = (await conn.execute(select(r.c.full_name).where(r.c.installation_id == inst_id, r.c.full_name == name))).first()
        if not present:
            await conn.execute(insert(r).values(installation_id=inst_id, full_name=name))


def _installation_defaults(signal: InstallationSignal, at: dt.datetime) -> dict[str, Any]:
    return {
        "account": signal.account,
        "repository_selection": signal.repository_selection,
        "suspended": False,
        "removed": False,
        "updated_at": at,
    }


def _describe(delivery: Delivery) -> str:
    action = f".{delivery.action}" if delivery.action else ""
    where = f" on {delivery.repository}" if delivery.repository else ""
    return f"{delivery.event}{action}{where}"


def _journal_row(
    kind: str,
    message: str,
    *,
    delivery: Delivery,
    at: dt.datetime,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "kind": kind,
        "delivery_id": delivery.delivery_id,
        "repository": delivery.repository,
        "proposal_id": None,
        "message": message,
        "data": {"event": delivery.event, "action": delivery.action, **(data or {})},
    }


def _delivery(row: Any) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        event=row.event,
        action=row.action,
        installation_id=row.installation_id,
        repository=row.repository,
        headers=dict(row.headers or {}),
        content_type=row.content_type,
        body=bytes(row.body),
    )


def _stored(row: Any) -> StoredDelivery:
    return StoredDelivery(
        seq=row.seq,
        delivery=_delivery(row),
        status=row.status,
        attempts=row.attempts,
        received_at=row.received_at,
        error=row.error,
    )


def new_delivery_id() -> str:
    """A delivery id of GitHub's shape, for replays and the sandbox."""
    return str(uuid.uuid4())
