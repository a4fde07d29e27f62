"""Subsidy policy names in English and retired versions; complaint handling steps; the
return-visit (回访) call-back queue

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The built-in policies (orders/seed.py) are version 1 of their codes: their English names.
NAMES_EN = {
    "special_difficulty_monthly": "Government purchase for special-difficulty elders (600 yuan a month)",
    "meal_subsidy": "Meal subsidy (3 yuan a meal, at most 5 meals a week)",
}


def upgrade() -> None:
    with op.batch_alter_table("subsidy_policy") as batch:
        batch.add_column(sa.Column("name_en", sa.String(length=128), nullable=True))
        batch.add_column(
            sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("created_by_id", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_subsidy_policy_created_by_id_user_account"),
            "user_account",
            ["created_by_id"],
            ["id"],
        )
    policy = sa.table("subsidy_policy", sa.column("code"), sa.column("name_en"))
    for code, name in NAMES_EN.items():
        op.execute(policy.update().where(policy.c.code == code).values(name_en=name))

    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("assigned_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("assigned_provider_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("response", sa.Text(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_complaint_assigned_user_id_user_account"),
            "user_account",
            ["assigned_user_id"],
            ["id"],
        )
        batch.create_foreign_key(
            batch.f("fk_complaint_assigned_provider_id_provider"),
            "provider",
            ["assigned_provider_id"],
            ["id"],
        )
    op.create_table(
        "complaint_step",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("by_role", sa.String(length=32), nullable=False),
        sa.Column("to_name", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_step_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_complaint_step_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_step")),
    )
    with op.batch_alter_table("complaint_step") as batch:
        batch.create_index(batch.f("ix_complaint_step_complaint_id"), ["complaint_id"])

    with op.batch_alter_table("return_visit") as batch:
        batch.add_column(sa.Column("result", sa.String(length=16), nullable=True))
    op.create_table(
        "return_visit_due",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("sample_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_order.id"],
            name=op.f("fk_return_visit_due_order_id_service_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_visit_due")),
        sa.UniqueConstraint("order_id", name=op.f("uq_return_visit_due_order_id")),
    )
    with op.batch_alter_table("return_visit_due") as batch:
        batch.create_index(batch.f("ix_return_visit_due_due_date"), ["due_date"])
        batch.create_index(batch.f("ix_return_visit_due_sample_date"), ["sample_date"])


def downgrade() -> None:
    op.drop_table("return_visit_due")
    with op.batch_alter_table("return_visit") as batch:
        batch.drop_column("result")
    op.drop_table("complaint_step")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_constraint(batch.f("fk_complaint_assigned_provider_id_provider"), "foreignkey")
        batch.drop_constraint(batch.f("fk_complaint_assigned_user_id_user_account"), "foreignkey")
        for name in (
            "outcome", "response", "responded_at", "assigned_at", "assigned_provider_id",
            "assigned_user_id",
        ):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("subsidy_policy") as batch:
        batch.drop_constraint(batch.f("fk_subsidy_policy_created_by_id_user_account"), "foreignkey")
        batch.drop_column("created_by_id")
        batch.drop_column("retired")
        batch.drop_column("name_en")
