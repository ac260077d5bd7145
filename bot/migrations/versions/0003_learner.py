"""learner: review examples, retired rules and each repository's playbook

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import Id, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "examples",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("repository", sa.String(300), nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("language", sa.String(40), nullable=False),
        sa.Column("before", sa.Text, nullable=False),
        sa.Column("after", sa.Text, nullable=False),
        sa.Column("author", sa.String(200)),
        sa.Column("pr", sa.Integer),
        sa.Column("line", sa.Integer),
        sa.Column("outcome", sa.String(30)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("repository", "origin", name="uq_examples_repository_origin"),
    )
    op.create_table(
        "retired_rules",
        sa.Column("repository", sa.String(300), primary_key=True),
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "playbooks",
        sa.Column("repository", sa.String(300), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("file_sha", sa.String(64)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("playbooks", "retired_rules", "examples"):
        op.drop_table(name)
