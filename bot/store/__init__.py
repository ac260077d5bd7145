"""The durable store: one database, one concept store each for deliveries, proposals, journal and learning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

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
        cls,
        url: str,
        *,
        migrate: bool = True,
        create: bool = True,
        clock: Callable[[], dt.datetime] = now,
        **engine_options: Any,
    ) -> Store:
        """Connect to `url` and bring its schema to the latest migration (`create=False`: a
        SQLite store that does not exist yet is a StoreError, and nothing is created)."""
        return cls(await open_engine(url, migrate=migrate, create=create, **engine_options), clock=clock)

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

