"""elder_id_lookup: exact ID-number searches, counted to limit them per user and hour

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "elder_id_lookup",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_elder_id_lookup_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elder_id_lookup")),
    )
    op.create_index("ix_elder_id_lookup_user_at", "elder_id_lookup", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_elder_id_lookup_user_at", table_name="elder_id_lookup")
    op.drop_table("elder_id_lookup")
