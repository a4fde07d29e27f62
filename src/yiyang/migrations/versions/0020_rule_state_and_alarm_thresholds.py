"""Alarm rule state (what each rule remembers, so a restart forgets nothing) and the
elders' own alarm thresholds

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 20:38:57.476765
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiyang.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_AT = yiyang.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rule_state",
        sa.Column("id", _ID, nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("rule_key", sa.String(length=24), nullable=False),
        sa.Column("device_id", _ID, nullable=True),
        sa.Column("elder_id", _ID, nullable=True),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_reading_at", _AT, nullable=True),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("fired_type", sa.String(length=24), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("silence_until", _AT, nullable=True),
        sa.Column("pending_since", _AT, nullable=True),
        sa.Column("last_event_at", _AT, nullable=True),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_rule_state_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elder.id"],
            name=op.f("fk_rule_state_elder_id_elder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_state")),
        sa.UniqueConstraint("owner", "rule_key", name=op.f("uq_rule_state_owner_rule_key")),
    )
    with op.batch_alter_table("rule_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_state_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            "ix_rule_state_sweep", ["rule_key", "fired", "last_event_at"], unique=False
        )

    op.create_table(
        "alarm_threshold",
        sa.Column("id", _ID, nullable=False),
        sa.Column("elder_id", _ID, nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("major_high", sa.Float(), nullable=True),
        sa.Column("critical_high", sa.Float(), nullable=True),
        sa.Column("major_low", sa.Float(), nullable=True),
        sa.Column("critical_low", sa.Float(), nullable=True),
        sa.Column("consecutive", sa.Integer(), nullable=True),
        sa.Column("window_start", sa.String(length=5), nullable=True),
        sa.Column("window_end", sa.String(length=5), nullable=True),
        sa.Column("silence_minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=256), nullable=True),
        sa.Column("set_by_id", _ID, nullable=True),
        sa.Column("set_by_name", sa.String(length=64), nullable=False),
        sa.Column("set_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elder.id"],
            name=op.f("fk_alarm_threshold_elder_id_elder"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["user_account.id"],
            name=op.f("fk_alarm_threshold_set_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_threshold")),
        sa.UniqueConstraint("elder_id", "metric", name=op.f("uq_alarm_threshold_elder_id_metric")),
    )
    with op.batch_alter_table("alarm_threshold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_threshold_elder_id"), ["elder_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_threshold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_threshold_elder_id"))
    op.drop_table("alarm_threshold")
    with op.batch_alter_table("rule_state", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_state_sweep")
        batch_op.drop_index(batch_op.f("ix_rule_state_device_id"))
    op.drop_table("rule_state")
