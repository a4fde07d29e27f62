"""alert acknowledgement note and resolution (who, when, note)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit_alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledge_note", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("resolved_at", yiyang.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "resolved_by_id",
                sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_alert_resolved_by_id_user_account"),
            "user_account",
            ["resolved_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("visit_alert", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_visit_alert_resolved_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("acknowledge_note")
