"""Community workers' own duty hours for alarm response

Revision ID: 0028
Revises: 0022
Create Date: 2026-12-02 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiyang.db

revision: str = "0028"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "community_duty",
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("pattern", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("updated_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_community_duty_user_id_user_account"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"],
            name=op.f("fk_community_duty_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_community_duty")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("community_duty")
