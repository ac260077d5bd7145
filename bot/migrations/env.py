"""Alembic environment: runs on the connection the store hands over (see bot.store.engine.upgrade)."""

from __future__ import annotations

from alembic import context

from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through bot.store.engine.upgrade(), which passes a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
