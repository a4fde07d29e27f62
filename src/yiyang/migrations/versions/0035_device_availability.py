"""Hourly device availability per street, for the reports of a period

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "device_availability",
        sa.Column("sampled_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("street_id", _ID, nullable=False),
        sa.Column("installed", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("low_battery", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_id"], ["area.id"], name=op.f("fk_device_availability_street_id_area")
        ),
        sa.PrimaryKeyConstraint("sampled_at", "street_id", name=op.f("pk_device_availability")),
    )


def downgrade() -> None:
    op.drop_table("device_availability")
