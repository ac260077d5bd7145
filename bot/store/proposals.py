"""Stored proposals: each step saved with a version check and journaled in the same transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.proposals import OPEN_PR_STATES, Proposal
from bot.store import tables as t
from bot.store.engine import Database
from bot.store.journal import Journal

CREATED_MEANWHILE = "proposal {id} was created meanwhile"
CHANGED_MEANWHILE = "proposal {id} changed since it was read"


class StaleProposal(Exception):
    """The proposal changed since it was read; re-read it and decide again."""


class Proposals:
    """Every write and read of proposals."""

    def __init__(self, db: Database, journal: Journal) -> None:
        self.db = db
        self.journal = journal

    async def save(
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
        step was stamped with); the store's when not given.
        """
        at = at or self.db.clock()
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
        async with self.db.transaction() as conn:
            saved = dataclasses.replace(proposal, version=proposal.version + 1)
            row["data"] = saved.to_dict()
            if proposal.version == 0:
                try:
                    await conn.execute(insert(p).values(id=proposal.id, version=1, created_at=at, **row))
                except IntegrityError as exc:
                    raise StaleProposal(CREATED_MEANWHILE.format(id=proposal.id)) from exc
            else:
                result = await conn.execute(
                    update(p)
                    .where(p.c.id == proposal.id, p.c.version == proposal.version)
                    .values(version=saved.version, **row)
                )
                if result.rowcount != 1:
                    raise StaleProposal(CHANGED_MEANWHILE.format(id=proposal.id))
            await self.journal.append(
                conn,
                kind or f"proposal.{proposal.state}",
                message,
                at=at,
                delivery_id=delivery_id,
                repository=proposal.repository,
                proposal_id=proposal.id,
                data={"state": proposal.state, **(data or {})},
            )
        return saved

    async def get(self, proposal_id: str) -> Proposal | None:
        return await self._one(t.proposals.c.id == proposal_id)

    async def for_pr(self, repository: str, number: int) -> Proposal | None:
        """The newest proposal whose pull request is `number`."""
        p = t.proposals
        return await self._one(and_(p.c.repository == repository, p.c.pr_number == number))

    async def find(
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
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Proposal.from_dict({**r.data, "version": r.version}) for r in rows]

    async def open_pr_count(self, repository: str) -> int:
        return len(await self.find(repository, states=sorted(OPEN_PR_STATES)))

    async def _one(self, condition: Any) -> Proposal | None:
        p = t.proposals
        async with self.db.connect() as conn:
            row = (
                await conn.execute(select(p.c.version, p.c.data).where(condition).order_by(p.c.created_at.desc()).limit(1))
            ).one_or_none()
        return Proposal.from_dict({**row.data, "version": row.version}) if row else None
