"""Responders sent to alarms: offer order, travel estimate, accept/refuse, arrival and report

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 20:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, yiyang.db.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alarm_responder",
        sa.Column("id", _ID, nullable=False),
        sa.Column("alarm_id", _ID, nullable=False),
        sa.Column("staff_id", _ID, nullable=True),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("travel_mode", sa.String(length=16), nullable=False),
        sa.Column("travel_minutes", sa.Integer(), nullable=False),
        _at("sent_at", nullable=False),
        sa.Column("sent_by_id", _ID, nullable=True),
        _at("accepted_at"),
        _at("refused_at"),
        sa.Column("refused_reason", sa.String(length=24), nullable=True),
        _at("on_the_way_at"),
        _at("arrived_at"),
        sa.Column("arrived_lat", sa.Float(), nullable=True),
        sa.Column("arrived_lon", sa.Float(), nullable=True),
        sa.Column("arrived_distance_m", sa.Integer(), nullable=True),
        sa.Column("arrived_reason", sa.Text(), nullable=True),
        _at("reported_at"),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["alarm.id"],
            name=op.f("fk_alarm_responder_alarm_id_alarm"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_alarm_responder_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_alarm_responder_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_alarm_responder_sent_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_responder")),
    )
    with op.batch_alter_table("alarm_responder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_responder_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_responder_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index("ix_alarm_responder_user_state", ["user_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_responder", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_responder_user_state")
        batch_op.drop_index(batch_op.f("ix_alarm_responder_staff_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_responder_alarm_id"))
    op.drop_table("alarm_responder")
