"""The big screen's last district picture, kept for a web process just started

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screen_picture",
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("taken_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_screen_picture")),
    )


def downgrade() -> None:
    op.drop_table("screen_picture")
