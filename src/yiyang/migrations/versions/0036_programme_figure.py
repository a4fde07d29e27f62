"""Programme figures for the big screen, set on a page and kept by effective date

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "programme_figure",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("set_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("set_by", _ID, nullable=True),
        sa.Column("set_by_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by"], ["user_account.id"], name=op.f("fk_programme_figure_set_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_figure")),
    )
    op.create_index("ix_programme_figure_key_from", "programme_figure", ["key", "effective_from"])


def downgrade() -> None:
    op.drop_index("ix_programme_figure_key_from", table_name="programme_figure")
    op.drop_table("programme_figure")
