"""learner: what surrounded each example (its enclosing class, its names' known types)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: examples kept before this revision were stored without it and stay usable.
    op.add_column("examples", sa.Column("surroundings", sa.JSON))


def downgrade() -> None:
    op.drop_column("examples", "surroundings")
