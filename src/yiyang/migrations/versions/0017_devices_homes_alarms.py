"""Devices, homes and who lives there, device identities and history; alarms and their
timeline; the elder's mobility, conditions and time away

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:28:08.009270
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiyang.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column(
            "street_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("created_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name=op.f("ck_home_coords")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_home_community_id_area")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["area.id"], name=op.f("fk_home_street_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home")),
    )
    with op.batch_alter_table("home", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_home_street_id"), ["street_id"], unique=False)

    op.create_table(
        "device",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("elder_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("home_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("street_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("location_note", sa.String(length=128), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_s", sa.Integer(), nullable=False),
        sa.Column("installed_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("battery_pct", sa.Integer(), nullable=True),
        sa.Column("signal_dbm", sa.Integer(), nullable=True),
        sa.Column("firmware", sa.String(length=32), nullable=True),
        sa.Column("last_seen_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("last_lon", sa.Float(), nullable=True),
        sa.Column("created_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "battery_pct IS NULL OR battery_pct BETWEEN 0 AND 100", name=op.f("ck_device_battery")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_device_community_id_area")
        ),
        sa.ForeignKeyConstraint(["elder_id"], ["elder.id"], name=op.f("fk_device_elder_id_elder")),
        sa.ForeignKeyConstraint(["home_id"], ["home.id"], name=op.f("fk_device_home_id_home")),
        sa.ForeignKeyConstraint(["street_id"], ["area.id"], name=op.f("fk_device_street_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_home_id"), ["home_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_last_seen_at"), ["last_seen_at"], unique=False)
        batch_op.create_index("ix_device_scope", ["street_id", "community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_status"), ["status"], unique=False)

    op.create_table(
        "home_resident",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("home_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("elder_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elder.id"],
            name=op.f("fk_home_resident_elder_id_elder"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name=op.f("fk_home_resident_home_id_home"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_home_resident")),
        sa.UniqueConstraint("elder_id", name=op.f("uq_home_resident_elder_id")),
    )
    with op.batch_alter_table("home_resident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_resident_home_id"), ["home_id"], unique=False)

    op.create_table(
        "device_identity",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "device_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("scheme", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_device_identity_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_identity")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_device_identity_scheme_value")),
    )
    with op.batch_alter_table("device_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_identity_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "device_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "device_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "by_user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("home_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("place", sa.String(length=256), nullable=True),
        sa.Column(
            "other_device_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_device_history_by_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_device_history_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elder.id"], name=op.f("fk_device_history_elder_id_elder")
        ),
        sa.ForeignKeyConstraint(
            ["home_id"], ["home.id"], name=op.f("fk_device_history_home_id_home")
        ),
        sa.ForeignKeyConstraint(
            ["other_device_id"],
            ["device.id"],
            name=op.f("fk_device_history_other_device_id_device"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_history")),
    )
    with op.batch_alter_table("device_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_history_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "alarm",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("originator", sa.String(length=32), nullable=False),
        sa.Column("elder_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("home_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("device_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("street_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "community_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("raised_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("acknowledged_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "acknowledged_by_id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("cleared_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", yiyang.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "closed_by_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("disposition", sa.String(length=24), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_alarm_acknowledged_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["user_account.id"], name=op.f("fk_alarm_closed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_alarm_community_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_alarm_device_id_device")
        ),
        sa.ForeignKeyConstraint(["elder_id"], ["elder.id"], name=op.f("fk_alarm_elder_id_elder")),
        sa.ForeignKeyConstraint(["home_id"], ["home.id"], name=op.f("fk_alarm_home_id_home")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["service_order.id"], name=op.f("fk_alarm_order_id_service_order")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["area.id"], name=op.f("fk_alarm_street_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
    )
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index("ix_alarm_queue", ["status", "severity", "raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index("ix_alarm_scope", ["street_id", "community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alarm_type"), ["type"], unique=False)
        batch_op.create_index(
            "uq_alarm_open",
            ["originator", "type"],
            unique=True,
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )

    op.create_table(
        "alarm_step",
        sa.Column("id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("alarm_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column(
            "by_user_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("by_role", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"],
            ["alarm.id"],
            name=op.f("fk_alarm_step_alarm_id_alarm"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"], ["user_account.id"], name=op.f("fk_alarm_step_by_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_step")),
    )
    with op.batch_alter_table("alarm_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_step_alarm_id"), ["alarm_id"], unique=False)

    with op.batch_alter_table("elder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobility", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("conditions", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("away_until", yiyang.db.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("away_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("away_note", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarm_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_step_alarm_id"))

    op.drop_table("alarm_step")
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_alarm_open",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_alarm_type"))
        batch_op.drop_index("ix_alarm_scope")
        batch_op.drop_index(batch_op.f("ix_alarm_raised_at"))
        batch_op.drop_index("ix_alarm_queue")
        batch_op.drop_index(batch_op.f("ix_alarm_elder_id"))
        batch_op.drop_index(batch_op.f("ix_alarm_closed_at"))

    op.drop_table("alarm")
    with op.batch_alter_table("device_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_history_device_id"))

    op.drop_table("device_history")
    with op.batch_alter_table("device_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_identity_device_id"))

    op.drop_table("device_identity")
    with op.batch_alter_table("home_resident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_resident_home_id"))

    op.drop_table("home_resident")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_status"))
        batch_op.drop_index("ix_device_scope")
        batch_op.drop_index(batch_op.f("ix_device_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_device_kind"))
        batch_op.drop_index(batch_op.f("ix_device_home_id"))
        batch_op.drop_index(batch_op.f("ix_device_elder_id"))

    op.drop_table("device")
    with op.batch_alter_table("home", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_street_id"))
        batch_op.drop_index(batch_op.f("ix_home_community_id"))

    op.drop_table("home")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of `elder` would fail on
    # the foreign keys that point at it.
    for column in ("away_note", "away_reason", "away_until", "conditions", "mobility"):
        op.drop_column("elder", column)
