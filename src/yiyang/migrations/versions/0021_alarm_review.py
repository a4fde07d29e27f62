"""The alarm review ticket (opened when nobody answered an alarm in 180 s)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alarm_review",
        sa.Column("id", ID, nullable=False),
        sa.Column("alarm_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("opened_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", ID, nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarm.id"], name=op.f("fk_alarm_review_alarm_id_alarm"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["user_account.id"],
            name=op.f("fk_alarm_review_reviewed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_review")),
        sa.UniqueConstraint("alarm_id", "reason", name=op.f("uq_alarm_review_alarm_id_reason")),
    )  # fmt: skip
    op.create_index(op.f("ix_alarm_review_alarm_id"), "alarm_review", ["alarm_id"])
    op.create_index(op.f("ix_alarm_review_reviewed_at"), "alarm_review", ["reviewed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alarm_review_reviewed_at"), table_name="alarm_review")
    op.drop_index(op.f("ix_alarm_review_alarm_id"), table_name="alarm_review")
    op.drop_table("alarm_review")
