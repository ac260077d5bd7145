"""proposals: what the bot proposes and where each proposal stands

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("repository", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("pr_number", sa.Integer),
        sa.Column("branch", sa.String(300)),
        sa.Column("head_sha", sa.String(64)),
        sa.Column("merge_sha", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_proposals_repository_key", "proposals", ["repository", "key"])
    op.create_index("ix_proposals_repository_pr", "proposals", ["repository", "pr_number"])
    op.create_index("ix_proposals_repository_state", "proposals", ["repository", "state"])


def downgrade() -> None:
    op.drop_table("proposals")
