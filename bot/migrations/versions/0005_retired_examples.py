"""learner: the examples a retired rule was learned from, so that it stays retired when relearned

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a rule retired before this revision is known by its id alone.
    op.add_column("retired_rules", sa.Column("examples", sa.JSON))


def downgrade() -> None:
    op.drop_column("retired_rules", "examples")
