"""The one database under every concept store: its engine, migrations, write lock and clock."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent.parent / "migrations"

BAD_URL = "EVOLVE_DATABASE_URL {url!r} is not a database URL: {error}"
CANNOT_OPEN = "cannot open the store at {url}: {error}"
NO_STORE = "no store at {path}: nothing has been recorded there"


class StoreError(Exception):
    """The database cannot be opened or migrated; the message names the URL (without password)."""


def now() -> dt.datetime:
    """The store's clock: every row's timestamp, aware UTC."""
    return dt.datetime.now(dt.UTC)


class Database:
    """One engine shared by the concept stores, with the write lock SQLite needs and one clock."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], dt.datetime] = now) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        self.clock = clock
        # SQLite allows one writer; serialising writes in-process avoids "database is locked".
        self._write_lock = asyncio.Lock() if self.backend == "sqlite" else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write: one transaction, committed on leaving, rolled back on an error."""
        async with self._write_lock or contextlib.nullcontext(), self.engine.begin() as conn:
            yield conn

    def connect(self) -> AsyncConnection:
        """A read: a connection of its own (use as `async with`)."""
        return self.engine.connect()

    def insert_ignore(self, table: Table, values: dict[str, Any]) -> Any:
        """An INSERT that does nothing when the row's unique key is there already."""
        dialect_insert = pg_insert if self.backend == "postgresql" else sqlite_insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing()


async def open_engine(url: str, *, migrate: bool = True, create: bool = True, **engine_options: Any) -> AsyncEngine:
    """Connect to `url` and bring its schema to the latest migration. Without `create`, a SQLite
    file that is not there is an error, not a new empty database (for commands that only read)."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(BAD_URL.format(url=url, error=exc)) from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not create and not Path(parsed.database).is_file():
            raise StoreError(NO_STORE.format(path=parsed.database))
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, **engine_options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if migrate:
        try:
            await upgrade(engine)
        except Exception as exc:
            await engine.dispose()
            safe = parsed.render_as_string(hide_password=True)
            raise StoreError(CANNOT_OPEN.format(url=safe, error=exc)) from exc
    return engine


async def upgrade(engine: AsyncEngine) -> None:
    """Run the Alembic migrations up to the latest, on a connection of `engine`."""
    async with engine.begin() as conn:
        await conn.run_sync(_run_upgrade)


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
