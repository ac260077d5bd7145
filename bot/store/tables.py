"""The store's tables, as SQLAlchemy Core; Alembic migrations create them, tests check they agree."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# SQLite has no 64-bit autoincrement type other than INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        value = value.astimezone(dt.UTC)
        # SQLite compares timestamps as text, so keep one format: naive UTC.
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


deliveries = Table(
    "deliveries",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", String(100), nullable=False, unique=True),
    Column("event", String(100), nullable=False),
    Column("action", String(100)),
    Column("installation_id", BigInteger),
    Column("repository", String(300)),
    Column("order_key", String(320), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # pending → processing → done | failed; ignored and ping are final at intake.
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("processed_at", UTCDateTime),
    Column("error", Text),
    Index("ix_deliveries_status_order", "status", "order_key", "seq"),
)

signals = Table(
    "signals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(50), nullable=False),
    Column("repository", String(300)),
    Column("installation_id", BigInteger),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Re-processing a delivery (at-least-once) must not store its signals twice.
    UniqueConstraint("delivery_id", "position", name="uq_signals_delivery_position"),
    Index("ix_signals_repository_kind", "repository", "kind"),
)

journal = Table(
    "journal",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("delivery_id", String(100)),
    Column("repository", String(300)),
    Column("proposal_id", String(100)),
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_journal_repository", "repository", "id"),
    Index("ix_journal_proposal", "proposal_id", "id"),
)

installations = Table(
    "installations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("account", String(200), nullable=False),
    Column("repository_selection", String(20)),
    Column("suspended", Boolean, nullable=False, default=False),
    Column("removed", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

installation_repositories = Table(
    "installation_repositories",
    metadata,
    Column("installation_id", BigInteger, primary_key=True, autoincrement=False),
    Column("full_name", String(300), primary_key=True),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("repository", String(300), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("pr_number", Integer),
    Column("branch", String(300)),
    Column("head_sha", String(64)),
    Column("merge_sha", String(64)),
    # Optimistic locking: a write based on a stale read fails instead of losing a step.
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_proposals_repository_key", "repository", "key"),
    Index("ix_proposals_repository_pr", "repository", "pr_number"),
    Index("ix_proposals_repository_state", "repository", "state"),
)

examples = Table(
    "examples",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository", String(300), nullable=False),
    # One example per place it came from: a suggestion, a commit region or a command's PR file.
    Column("origin", String(300), nullable=False),
    Column("source", String(30), nullable=False),
    Column("path", String(1000), nullable=False),
    Column("language", String(40), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("author", String(200)),
    Column("pr", Integer),
    Column("line", Integer),
    Column("outcome", String(30)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("surroundings", JSON),
    UniqueConstraint("repository", "origin", name="uq_examples_repository_origin"),
)

retired_rules = Table(
    "retired_rules",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("rule_id", String(64), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    # The keys of the examples the rule was learned from (`bot.rules.example_key`): a
    # rule a later learner draws from them alone is the same "no".
    Column("examples", JSON),
)

playbooks = Table(
    "playbooks",
    metadata,
    Column("repository", String(300), primary_key=True),
    Column("text", Text, nullable=False),
    # The blob sha of .github/evolve/playbook.md last read from the default branch, if any.
    Column("file_sha", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)
