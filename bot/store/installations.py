"""Installation state: who installed the app, on which repositories, suspended or removed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.signals import InstallationSignal
from bot.store import tables as t
from bot.store.engine import Database


@dataclass(frozen=True, slots=True)
class Installation:
    """What the app knows of one installation, kept from installation events."""

    id: int
    account: str
    repository_selection: str | None
    suspended: bool
    removed: bool
    repositories: tuple[str, ...]


class Installations:
    """Reads of the installation state; the delivery queue writes it as it stores the signals."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def all(self) -> list[Installation]:
        async with self.db.connect() as conn:
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


async def apply_installation(conn: AsyncConnection, signal: InstallationSignal, at: dt.datetime) -> None:
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
