"""The big screen's tally of closed days and the indexes of its reads

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "screen_demand_day",
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("written_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_date", name=op.f("pk_screen_demand_day")),
    )
    op.create_table(
        "screen_demand",
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("street_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_date"],
            ["screen_demand_day.service_date"],
            ondelete="CASCADE",
            name=op.f("fk_screen_demand_service_date_screen_demand_day"),
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["area.id"], name=op.f("fk_screen_demand_street_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_screen_demand_item_id_service_item")
        ),
        sa.PrimaryKeyConstraint(
            "service_date", "street_id", "item_id", name=op.f("pk_screen_demand")
        ),
    )
    op.create_index(
        "ix_service_order_date_updated", "service_order", ["service_date", "updated_at"]
    )
    op.create_index("ix_elder_updated_at", "elder", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_elder_updated_at", table_name="elder")
    op.drop_index("ix_service_order_date_updated", table_name="service_order")
    op.drop_table("screen_demand")
    op.drop_table("screen_demand_day")
