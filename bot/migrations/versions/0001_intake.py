"""intake: deliveries, signals, journal, installations

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import Id, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(100), nullable=False, unique=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100)),
        sa.Column("installation_id", sa.BigInteger),
        sa.Column("repository", sa.String(300)),
        sa.Column("order_key", sa.String(320), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("content_type", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", UTCDateTime),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("processed_at", UTCDateTime),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_deliveries_status_order", "deliveries", ["status", "order_key", "seq"])
    op.create_table(
        "signals",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("repository", sa.String(300)),
        sa.Column("installation_id", sa.BigInteger),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("delivery_id", "position", name="uq_signals_delivery_position"),
    )
    op.create_index("ix_signals_repository_kind", "signals", ["repository", "kind"])
    op.create_table(
        "journal",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("delivery_id", sa.String(100)),
        sa.Column("repository", sa.String(300)),
        sa.Column("proposal_id", sa.String(100)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_journal_repository", "journal", ["repository", "id"])
    op.create_index("ix_journal_proposal", "journal", ["proposal_id", "id"])
    op.create_table(
        "installations",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("repository_selection", sa.String(20)),
        sa.Column("suspended", sa.Boolean, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "installation_repositories",
        sa.Column("installation_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("full_name", sa.String(300), primary_key=True),
    )


def downgrade() -> None:
    for name in ("installation_repositories", "installations", "journal", "signals", "deliveries"):
        op.drop_table(name)
