"""The durable store: one database, one concept store each for deliveries, proposals, journal and learning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.proposals import Proposal
from bot.rules import Example
from bot.signals import Signal
from bot.store.deliveries import Deliveries
from bot.store.engine import Database, now, open_engine, upgrade
from bot.store.installations import Installations
from bot.store.journal import Journal
from bot.store.learning import Learning
from bot.store.proposals import Proposals


class Store:
    """All reads and writes of the bot's state. One instance per process, shared by tasks.

    Each concept has its own store on the one database: `deliveries` (the queue and its
    signals), `installations`, `proposals`, `journal` and `learning` (examples, retired rules,
    playbooks). A step and its journal entry commit in one transaction, whichever store takes it.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], dt.datetime] = now) -> None:
        self.db = Database(engine, clock=clock)
        self.journal = Journal(self.db)
        self.deliveries = Deliveries(self.db, self.journal)
        self.installations = Installations(self.db)
        self.proposals = Proposals(self.db, self.journal)
        self.learning = Learning(self.db, self.journal)

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, clock: Callable[[], dt.datetime] = now, **engine_options: Any
    ) -> Store:
        """Connect to `url` and bring its schema to the latest migration."""
        return cls(await open_engine(url, migrate=migrate, **engine_options), clock=clock)

    @property
    def engine(self) -> AsyncEngine:
        return self.db.engine

    @property
    def backend(self) -> str:
        return self.db.backend

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The one clock every stored timestamp is read from."""
        return self.db.clock

    async def migrate(self) -> None:
        await upgrade(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.db.connect() as conn:
            await conn.execute(select(1))

    # -- Delegates kept for bot/autopilot.py until the loop split lands; removed at merge -------
    # The loop's calls map one to one onto the concept stores; `store.proposals(...)` and
    # `store.journal(...)` are `Proposals.__call__` (= `find`) and `Journal.__call__` (= `entries`).

    async def record(self, kind: str, message: str, **where: Any) -> None:
        await self.journal.record(kind, message, **where)

    async def save_proposal(self, proposal: Proposal, **step: Any) -> Proposal:
        return await self.proposals.save(proposal, **step)

    async def proposal(self, proposal_id: str) -> Proposal | None:
        return await self.proposals.get(proposal_id)

    async def proposal_for_pr(self, repository: str, number: int) -> Proposal | None:
        return await self.proposals.for_pr(repository, number)

    async def open_pr_count(self, repository: str) -> int:
        return await self.proposals.open_pr_count(repository)

    async def signals(self, **where: Any) -> list[Signal]:
        return await self.deliveries.signals(**where)

    async def add_example(self, repository: str, example: Example, *, origin: str) -> bool:
        return await self.learning.add_example(repository, example, origin=origin)

    async def examples(self, repository: str) -> list[Example]:
        return await self.learning.examples(repository)

    async def retire_rule(self, repository: str, rule_id: str, *, reason: str, examples: Sequence[str] = ()) -> None:
        await self.learning.retire_rule(repository, rule_id, reason=reason, examples=examples)

    async def unretire_rule(self, repository: str, rule_id: str) -> str | None:
        return await self.learning.unretire_rule(repository, rule_id)

    async def retired_rules(self, repository: str) -> dict[str, str]:
        return await self.learning.retired_rules(repository)

    async def retired_examples(self, repository: str) -> list[tuple[frozenset[str], str]]:
        return await self.learning.retired_examples(repository)

    async def playbook_text(self, repository: str) -> tuple[str, str | None] | None:
        return await self.learning.playbook_text(repository)

    async def save_playbook(self, repository: str, text: str, *, file_sha: str | None, message: str) -> None:
        await self.learning.save_playbook(repository, text, file_sha=file_sha, message=message)

    # -- end of the delegates kept for bot/autopilot.py ----------------------------------------
