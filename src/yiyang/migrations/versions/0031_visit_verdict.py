"""Stored payability verdicts of delivered visits, so the exceptions queue is a query

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 11:00:00.000000

Every delivered visit gets its verdict from the payability rules themselves (rules.py, with
the policy of this installation's settings), from its facts read here as rows, in batches.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import yiyang.db
from yiyang.config import get_settings
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ
from yiyang.visits.payment.rules import VisitFacts, payability, state_of
from yiyang.visits.policy import policy_from

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_AT = yiyang.db.UtcDateTime(timezone=True)
DELIVERED = ("completed", "confirmed", "settled")
SETTLED_COMPLAINT = ("closed", "resolved")
BATCH = 1000

# The columns the backfill reads, as they stand at this revision.
order_t = sa.table(
    "service_order", sa.column("id", _ID), sa.column("status", sa.String()),
    sa.column("provider_id", _ID), sa.column("window_start_at", _AT),
    sa.column("standard_minutes", sa.Integer()),
)  # fmt: skip
visit_t = sa.table(
    "visit", sa.column("order_id", _ID), sa.column("check_in_at", _AT),
    sa.column("check_out_at", _AT), sa.column("check_in_flag", sa.String()),
    sa.column("check_out_flag", sa.String()), sa.column("short_reason", sa.String()),
    sa.column("manual", sa.Boolean()),
)  # fmt: skip
complaint_t = sa.table(
    "complaint", sa.column("id", _ID), sa.column("order_id", _ID), sa.column("status", sa.String())
)
rating_t = sa.table("visit_rating", sa.column("order_id", _ID), sa.column("score", sa.Integer()))
review_t = sa.table(
    "visit_review", sa.column("id", _ID), sa.column("order_id", _ID), sa.column("at", _AT),
    sa.column("decision", sa.String()),
)  # fmt: skip


def upgrade() -> None:
    verdict = op.create_table(
        "visit_verdict",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("provider_id", _ID, nullable=True),
        sa.Column("payable", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("computed_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["service_order.id"],
            name=op.f("fk_visit_verdict_order_id_service_order"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_visit_verdict_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_visit_verdict")),
    )  # fmt: skip
    op.create_index("ix_visit_verdict_queue", "visit_verdict", ["state", "month", "provider_id"])
    reason = op.create_table(
        "visit_verdict_reason",
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["visit_verdict.order_id"],
            name=op.f("fk_visit_verdict_reason_order_id_visit_verdict"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "reason", name=op.f("pk_visit_verdict_reason")),
    )  # fmt: skip
    _backfill(op.get_bind(), verdict, reason)


def _backfill(conn: sa.Connection, verdict: sa.Table, reason: sa.Table) -> None:
    """A verdict for every delivered visit, judged by today's rules, a batch at a time."""
    policy = policy_from(get_settings())
    now = utcnow()
    after = 0
    while True:
        rows = conn.execute(
            sa.select(
                order_t.c.id, order_t.c.provider_id, order_t.c.window_start_at,
                order_t.c.standard_minutes, visit_t.c.check_in_at, visit_t.c.check_out_at,
                visit_t.c.check_in_flag, visit_t.c.check_out_flag, visit_t.c.short_reason,
                visit_t.c.manual,
            )
            .select_from(order_t.outerjoin(visit_t, visit_t.c.order_id == order_t.c.id))
            .where(order_t.c.status.in_(DELIVERED), order_t.c.id > after)
            .order_by(order_t.c.id)
            .limit(BATCH)
        ).all()  # fmt: skip
        if not rows:
            return
        ids = [r[0] for r in rows]
        complaints, scores, last = _complaints(conn, ids), _scores(conn, ids), _last(conn, ids)
        verdicts, reasons = [], []
        for order_id, provider, start, minutes, c_in, c_out, f_in, f_out, why, manual in rows:
            facts = VisitFacts(
                window_start_at=start, check_in_at=c_in, check_out_at=c_out,
                standard_minutes=minutes, check_in_flag=f_in, check_out_flag=f_out,
                short_reason=why, manual=bool(manual),
                open_complaints=complaints.get(order_id, 0), rating_score=scores.get(order_id),
            )  # fmt: skip
            pay = payability(facts, last.get(order_id), policy)
            verdicts.append(
                {"order_id": order_id, "month": _month(start), "provider_id": provider,
                 "payable": pay.payable, "state": state_of(pay, last.get(order_id)),
                 "computed_at": now}
            )  # fmt: skip
            reasons += [
                {"order_id": order_id, "reason": str(r), "position": n}
                for n, r in enumerate(pay.reasons)
            ]
        conn.execute(verdict.insert(), verdicts)
        if reasons:
            conn.execute(reason.insert(), reasons)
        after = ids[-1]


def _month(at: datetime) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m")


def _complaints(conn: sa.Connection, ids: list[int]) -> dict[int, int]:
    stmt = (
        sa.select(complaint_t.c.order_id, sa.func.count(complaint_t.c.id))
        .where(complaint_t.c.order_id.in_(ids), complaint_t.c.status.not_in(SETTLED_COMPLAINT))
        .group_by(complaint_t.c.order_id)
    )
    return {order_id: n for order_id, n in conn.execute(stmt)}


def _scores(conn: sa.Connection, ids: list[int]) -> dict[int, int]:
    stmt = sa.select(rating_t.c.order_id, rating_t.c.score).where(rating_t.c.order_id.in_(ids))
    return {order_id: score for order_id, score in conn.execute(stmt)}


def _last(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    stmt = (
        sa.select(review_t.c.order_id, review_t.c.decision)
        .where(review_t.c.order_id.in_(ids))
        .order_by(review_t.c.order_id, review_t.c.at, review_t.c.id)
    )
    return {order_id: decision for order_id, decision in conn.execute(stmt)}  # newest wins


def downgrade() -> None:
    op.drop_table("visit_verdict_reason")
    op.drop_index("ix_visit_verdict_queue", table_name="visit_verdict")
    op.drop_table("visit_verdict")
