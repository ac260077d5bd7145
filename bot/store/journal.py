"""The journal: an append-only audit trail of every step, from delivery to outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import tables as t
from bot.store.engine import Database


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One step: when, what kind (`delivery.accepted`, `proposal.opened`, …), and a sentence."""

    id: int
    at: dt.datetime
    kind: str
    message: str
    delivery_id: str | None = None
    repository: str | None = None
    proposal_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "message": self.message,
            "delivery_id": self.delivery_id,
            "repository": self.repository,
            "proposal_id": self.proposal_id,
            "data": self.data,
        }


class Journal:
    """Every write and read of the journal. Entries are appended, never updated or deleted."""

    def __init__(self, db: Database) -> None:
        self.db = db

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
        """Append one journal entry, in a transaction of its own, at `at` (the caller's clock) or now."""
        at = at or self.db.clock()
        async with self.db.transaction() as conn:
            await self.append(
                conn,
                kind,
                message,
                at=at,
                delivery_id=delivery_id,
                repository=repository,
                proposal_id=proposal_id,
                data=data,
            )

    async def append(
        self,
        conn: AsyncConnection,
        kind: str,
        message: str,
        *,
        at: dt.datetime,
        delivery_id: str | None = None,
        repository: str | None = None,
        proposal_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry inside another store's transaction: the step and its entry commit together."""
        await conn.execute(
            insert(t.journal).values(
                at=at,
                kind=kind,
                delivery_id=delivery_id,
                repository=repository,
                proposal_id=proposal_id,
                message=message,
                data=data or {},
            )
        )

    async def entries(
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
        async with self.db.connect() as conn:
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
