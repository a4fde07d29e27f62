"""The ingest processes alive in each group, so that they share a device's allowance

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_member",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("seen_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_ingest_member")),
    )
    op.create_index("ix_ingest_member_group_seen", "ingest_member", ["group_name", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_ingest_member_group_seen", table_name="ingest_member")
    op.drop_table("ingest_member")
