"""Issued monthly reports: a month's figures frozen as the bureau issued them

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiyang.db

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "issued_report",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scope_key", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issued_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", _ID, nullable=True),
        sa.Column("issued_by_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("content", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["user_account.id"], name=op.f("fk_issued_report_issued_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_report")),
        sa.UniqueConstraint(
            "month", "scope_key", "version", name=op.f("uq_issued_report_month_scope_key_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("issued_report")
