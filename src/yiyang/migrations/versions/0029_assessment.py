"""Capability assessments (GB/T 42195-2022)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiyang.db

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "assessment",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("elder_id", _ID, nullable=False),
        sa.Column("assessed_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("assessor_id", _ID, nullable=True),
        sa.Column("standard", sa.String(length=32), nullable=False),
        sa.Column("scores", _JSON, nullable=False),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("score_level", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("adjustments", _JSON, nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("level BETWEEN 0 AND 4", name=op.f("ck_assessment_level")),
        sa.CheckConstraint("total BETWEEN 0 AND 90", name=op.f("ck_assessment_total")),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elder.id"],
            name=op.f("fk_assessment_elder_id_elder"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["user_account.id"],
            name=op.f("fk_assessment_assessor_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )  # fmt: skip
    op.create_index("ix_assessment_elder_at", "assessment", ["elder_id", "assessed_at"])


def downgrade() -> None:
    op.drop_index("ix_assessment_elder_at", table_name="assessment")
    op.drop_table("assessment")
