"""The delivery queue: deliveries accepted once, claimed in order per repository, and their signals."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.delivery import Delivery
from bot.signals import InstallationSignal, Signal, signal_from_dict
from bot.store import tables as t
from bot.store.engine import Database
from bot.store.installations import apply_installation
from bot.store.journal import Journal

# Delivery states. `ignored` and `ping` are final at intake: no worker ever sees them.
PENDING, PROCESSING, DONE, FAILED, IGNORED, PING = (
    "pending",
    "processing",
    "done",
    "failed",
    "ignored",
    "ping",
)

DUPLICATE = "{delivery} received again; not processed twice"
FAILED_ATTEMPT = "{delivery} failed (attempt {attempt}, {verb}): {error}"


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    """A delivery as the store holds it, with its processing state."""

    seq: int
    delivery: Delivery
    status: str
    attempts: int
    received_at: dt.datetime
    error: str | None


class Deliveries:
    """The queue between the HTTP intake and the workers, and the signals the workers made."""

    def __init__(self, db: Database, journal: Journal) -> None:
        self.db = db
        self.journal = journal

    async def accept(self, delivery: Delivery, *, status: str = PENDING, note: str = "") -> bool:
        """Commit a new delivery and its journal entry; False when its id was seen before."""
        at = self.db.clock()
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
            async with self.db.transaction() as conn:
                await conn.execute(insert(t.deliveries).values(**row))
                await self._journal(conn, kind, message, delivery=delivery, at=at)
        except IntegrityError:
            await self.journal.record(
                "delivery.duplicate",
                DUPLICATE.format(delivery=_describe(delivery)),
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
        at = self.db.clock()
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
        if self.db.backend == "postgresql":
            # Racing workers in other processes skip rows another has locked instead of all
            # picking the same ones; the `blocked` test still sees a locked head as unfinished.
            query = query.with_for_update(skip_locked=True, of=d)
        claimed: list[StoredDelivery] = []
        async with self.db.transaction() as conn:
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
        at = self.db.clock()
        async with self.db.transaction() as conn:
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
                await conn.execute(self.db.insert_ignore(t.signals, values))
                if isinstance(signal, InstallationSignal):
                    await apply_installation(conn, signal, at)
            await conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.seq == seq)
                .values(status=DONE, processed_at=at, lease_until=None, error=None)
            )
            await self._journal(
                conn,
                "delivery.processed",
                message,
                delivery=_delivery(row),
                at=at,
                data={"signals": [s.kind for s in signals]},
            )

    async def fail(self, seq: int, error: str, *, retry_in: float | None) -> str:
        """Record a failed attempt: back to pending after `retry_in` seconds, or failed for good."""
        at = self.db.clock()
        status = PENDING if retry_in is not None else FAILED
        async with self.db.transaction() as conn:
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
            await self._journal(
                conn,
                "delivery.failed",
                FAILED_ATTEMPT.format(delivery=_describe(_delivery(row)), attempt=row.attempts, verb=verb, error=error),
                delivery=_delivery(row),
                at=at,
                data={"attempt": row.attempts, "error": error, "final": retry_in is None},
            )
        return status

    async def release(self, seq: int) -> None:
        """Hand a claimed delivery back untouched (a worker shutting down)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.seq == seq, t.deliveries.c.status == PROCESSING)
                .values(status=PENDING, lease_until=None, attempts=t.deliveries.c.attempts - 1)
            )

    async def expedite(self) -> int:
        """Make deliveries waiting out a backoff due now (an operator's "retry now"); returns how many."""
        d = t.deliveries
        async with self.db.transaction() as conn:
            result = await conn.execute(
                update(d).where(d.c.status == PENDING, d.c.not_before.is_not(None)).values(not_before=None)
            )
        return result.rowcount

    async def get(self, delivery_id: str) -> StoredDelivery | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(select(t.deliveries).where(t.deliveries.c.delivery_id == delivery_id))
            ).one_or_none()
        return _stored(row) if row else None

    async def recent(self, *, limit: int = 100) -> list[StoredDelivery]:
        """The newest `limit` deliveries, newest first."""
        async with self.db.connect() as conn:
            rows = (
                await conn.execute(select(t.deliveries).order_by(t.deliveries.c.seq.desc()).limit(limit))
            ).all()
        return [_stored(r) for r in rows]

    async def backlog(self) -> int:
        """Deliveries accepted but not yet finished."""
        async with self.db.connect() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count())
                        .select_from(t.deliveries)
                        .where(t.deliveries.c.status.in_((PENDING, PROCESSING)))
                    )
                ).scalar_one()
            )

    async def signals(
        self, *, delivery_id: str | None = None, repository: str | None = None, limit: int = 1000
    ) -> list[Signal]:
        """The signals made of deliveries, oldest first."""
        s = t.signals
        query = select(s.c.data).order_by(s.c.id).limit(limit)
        if delivery_id is not None:
            query = query.where(s.c.delivery_id == delivery_id)
        if repository is not None:
            query = query.where(s.c.repository == repository)
        async with self.db.connect() as conn:
            return [signal_from_dict(data) for data in (await conn.execute(query)).scalars()]

    async def _journal(
        self,
        conn: AsyncConnection,
        kind: str,
        message: str,
        *,
        delivery: Delivery,
        at: dt.datetime,
        data: dict[str, Any] | None = None,
    ) -> None:
        await self.journal.append(
            conn,
            kind,
            message,
            at=at,
            delivery_id=delivery.delivery_id,
            repository=delivery.repository,
            data={"event": delivery.event, "action": delivery.action, **(data or {})},
        )


def new_delivery_id() -> str:
    """A delivery id of GitHub's shape, for replays and the sandbox."""
    return str(uuid.uuid4())


def _describe(delivery: Delivery) -> str:
    action = f".{delivery.action}" if delivery.action else ""
    where = f" on {delivery.repository}" if delivery.repository else ""
    return f"{delivery.event}{action}{where}"


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
