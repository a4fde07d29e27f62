"""a visit's planned end; on PostgreSQL no caregiver holds two overlapping visits

`service_order.planned_end_at` = planned start + standard minutes, backfilled. A held order
with a caregiver but no planned start gets the start the code already assumed (its window's).
On PostgreSQL (ADR 0004): `btree_gist`; a check that the end is the start plus the standard
minutes; and an exclusion constraint over (caregiver, [start, end)) for orders whose status
holds the caregiver, deferrable so that a day plan may let two visits trade times. Existing
overlaps are listed and the upgrade stops: a person must reassign one of each pair first.
SQLite gets the column only; there writers are serialised and the lock discipline holds.

Revision ID: 0007
Revises: 0012
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0007"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_DOUBLE_BOOKING = "ex_service_order_no_double_booking"
PLANNED_END = "ck_service_order_planned_end"
# Statuses that hold a caregiver's time: orders.rules.HOLDS_CAREGIVER when this was written (a
# test keeps them equal; a change there needs a migration that rebuilds the constraint).
HOLDS_CAREGIVER = (
    "offered",
    "org_accepted",
    "assigned",
    "caregiver_accepted",
    "on_the_way",
    "checked_in",
)
HELD = ", ".join(f"'{s}'" for s in HOLDS_CAREGIVER)
SHOWN = 20  # overlapping pairs named when the upgrade stops


def _backfill_sqlite(conn: sa.Connection) -> None:
    """Row by row through the column type, so the stored text matches what the app writes."""
    order = sa.table(
        "service_order",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("staff_id", sa.Integer()),
        sa.column("window_start_at", yiyang.db.UtcDateTime()),
        sa.column("planned_start_at", yiyang.db.UtcDateTime()),
        sa.column("planned_end_at", yiyang.db.UtcDateTime()),
        sa.column("standard_minutes", sa.Integer()),
    )
    held = sa.and_(order.c.staff_id.is_not(None), order.c.status.in_(HOLDS_CAREGIVER))
    rows = conn.execute(
        sa.select(
            order.c.id, order.c.planned_start_at, order.c.window_start_at, order.c.standard_minutes
        ).where(sa.or_(order.c.planned_start_at.is_not(None), held))
    ).all()
    values = [
        {"i": i, "start": start or opens, "end": (start or opens) + timedelta(minutes=minutes)}
        for i, start, opens, minutes in rows
    ]
    if values:
        conn.execute(
            order.update()
            .where(order.c.id == sa.bindparam("i"))
            .values(planned_start_at=sa.bindparam("start"), planned_end_at=sa.bindparam("end")),
            values,
        )


def _refuse_existing_overlaps(conn: sa.Connection) -> None:
    pairs = conn.execute(
        sa.text(
            f"SELECT a.id, b.id, a.staff_id FROM service_order a JOIN service_order b "
            f"ON a.staff_id = b.staff_id AND a.id < b.id "
            f"AND a.planned_start_at < b.planned_end_at AND b.planned_start_at < a.planned_end_at "
            f"WHERE a.status IN ({HELD}) AND b.status IN ({HELD}) ORDER BY a.id, b.id LIMIT {SHOWN}"
        )
    ).all()
    if pairs:
        listed = ", ".join(f"orders {a} and {b} (staff {s})" for a, b, s in pairs)
        raise RuntimeError(
            "Cannot add the no-double-booking constraint: these visits overlap on one "
            f"caregiver: {listed}{' and more' if len(pairs) == SHOWN else ''}. Reassign or "
            "cancel one of each pair with the running version, then upgrade again."
        )


def upgrade() -> None:
    with op.batch_alter_table("service_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("planned_end_at", yiyang.db.UtcDateTime(timezone=True), nullable=True)
        )
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        _backfill_sqlite(conn)
        return
    op.execute(
        f"UPDATE service_order SET planned_start_at = window_start_at "
        f"WHERE planned_start_at IS NULL AND staff_id IS NOT NULL AND status IN ({HELD})"
    )
    op.execute(
        "UPDATE service_order SET planned_end_at = planned_start_at "
        "+ make_interval(mins => standard_minutes) WHERE planned_start_at IS NOT NULL"
    )
    _refuse_existing_overlaps(conn)
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        f"ALTER TABLE service_order ADD CONSTRAINT {PLANNED_END} CHECK (planned_end_at "
        "IS NOT DISTINCT FROM planned_start_at + make_interval(mins => standard_minutes))"
    )
    op.execute(
        f"ALTER TABLE service_order ADD CONSTRAINT {NO_DOUBLE_BOOKING} EXCLUDE USING gist ("
        "staff_id WITH =, tstzrange(planned_start_at, planned_end_at) WITH &&) "
        f"WHERE (staff_id IS NOT NULL AND status IN ({HELD})) "
        "DEFERRABLE INITIALLY IMMEDIATE"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE service_order DROP CONSTRAINT {NO_DOUBLE_BOOKING}")
        op.execute(f"ALTER TABLE service_order DROP CONSTRAINT {PLANNED_END}")
    with op.batch_alter_table("service_order", schema=None) as batch_op:
        batch_op.drop_column("planned_end_at")
